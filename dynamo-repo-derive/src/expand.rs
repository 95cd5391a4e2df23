//! Code generation. Generated code names the runtime by absolute path and
//! calls only `dynamo_repo::__private`, inside `const _: () = { ... };`.

use crate::ast::{Container, Data, Derive, Field, TemplateKeys, Variant};
use crate::check;
use crate::ctxt::Ctxt;
use crate::template::{Segment, Template};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::DeriveInput;

pub fn entity(input: &DeriveInput) -> TokenStream {
    run(input, Derive::Entity)
}

pub fn attribute(input: &DeriveInput) -> TokenStream {
    run(input, Derive::Attribute)
}

pub fn projection(input: &DeriveInput) -> TokenStream {
    run(input, Derive::Projection)
}

pub fn collection(input: &DeriveInput) -> TokenStream {
    run(input, Derive::Collection)
}

fn run(input: &DeriveInput, derive: Derive) -> TokenStream {
    let cx = Ctxt::default();
    let cont = Container::from_ast(&cx, input, derive);
    if let Some(cont) = &cont {
        check::check(&cx, cont, derive);
    }
    if let Err(err) = cx.check() {
        return err.to_compile_error();
    }
    let cont = cont.expect("no errors means a model");
    match (&cont.data, derive) {
        (Data::Struct(fields), Derive::Entity) => expand_entity(&cont, fields),
        (Data::Struct(fields), Derive::Attribute) => expand_map_struct(&cont, fields),
        (Data::Struct(fields), Derive::Projection) => expand_projection(&cont, fields),
        (Data::Enum(variants), Derive::Collection) => expand_collection(&cont, variants),
        (Data::Enum(variants), _) => expand_enum(&cont, variants),
        (Data::Struct(_), Derive::Collection) => unreachable!("refused by the model"),
    }
}

/// `put`s every stored field into `item`.
fn write_fields(fields: &[Field]) -> TokenStream {
    let writes = fields.iter().filter(|f| f.own_attribute()).map(|f| {
        let ident = f.ident;
        let name = &f.name;
        let a = &f.attrs;
        if let Some(with) = a.with.get() {
            quote!(__dr::put_encoded(&mut item, #name, #with::to_attribute(&self.#ident));)
        } else if a.binary.is_set() {
            quote!(__dr::put_encoded(&mut item, #name, ::dynamo_repo::value::binary::to_attribute(&self.#ident));)
        } else if a.serde.is_set() {
            quote!(__dr::put_encoded(&mut item, #name, __dr::serde_to_attribute(&self.#ident));)
        } else if a.ttl.is_set() {
            quote!(__dr::put_ttl(&mut item, #name, &self.#ident);)
        } else {
            // Spanned at the field's type: a type that cannot be stored is
            // reported there, not at the derive.
            quote_spanned!(f.ty.span()=> __dr::put(&mut item, #name, &self.#ident);)
        }
    });
    let capacity = fields.iter().filter(|f| f.own_attribute()).count();
    quote! {
        let mut item: __dr::Item = __dr::HashMap::with_capacity(#capacity);
        #(#writes)*
    }
}

/// `Self { field: take(...)?, ... }` from `item: &mut Item`; `key_only`
/// fields are parsed out of the table key templates in `keys`.
fn read_fields(fields: &[Field], keys: Option<&TemplateKeys>) -> TokenStream {
    // Key fields are read last (a struct literal may list fields in any
    // order, and evaluates them as listed): when another field fails, the
    // key attributes are still in the item, and the error can name the item.
    let is_key = |f: &&Field| {
        f.attrs.partition_key.is_set() || f.attrs.sort_key.is_set() || f.attrs.key_only.is_set()
    };
    let ordered = fields
        .iter()
        .filter(|f| !is_key(f))
        .chain(fields.iter().filter(|f| is_key(f)));
    let reads = ordered.map(|f| {
        if let (true, Some(keys)) = (f.attrs.key_only.is_set(), keys) {
            let ident = f.ident;
            let value = key_only_read(f, keys);
            return quote!(#ident: #value,);
        }
        let ident = f.ident;
        let name = &f.name;
        let ty = f.ty;
        let a = &f.attrs;
        let absent = if a.default.is_set() {
            quote!(|| ::core::option::Option::Some(<#ty as ::core::default::Default>::default()))
        } else if a.serde.is_set() {
            quote!(__dr::serde_absent::<#ty>)
        } else {
            quote!(|| ::core::option::Option::None)
        };
        let value = if !f.stored() {
            quote!(::core::default::Default::default())
        } else if let Some(with) = a.with.get() {
            quote!(__dr::take_with(item, #name, #absent, #with::from_attribute)?)
        } else if a.binary.is_set() {
            quote!(__dr::take_with(item, #name, #absent, ::dynamo_repo::value::binary::from_attribute)?)
        } else if a.serde.is_set() {
            quote!(__dr::take_with(item, #name, #absent, __dr::serde_from_attribute)?)
        } else if a.ttl.is_set() {
            quote!(__dr::take_ttl(item, #name)?)
        } else if a.default.is_set() {
            quote_spanned!(ty.span()=> __dr::take_or_default(item, #name)?)
        } else {
            quote_spanned!(ty.span()=> __dr::take(item, #name)?)
        };
        quote!(#ident: #value,)
    });
    quote!(Self { #(#reads)* })
}

fn key_attribute(f: &Field) -> TokenStream {
    let name = &f.name;
    let field = f.ident.to_string();
    let ty = f.ty;
    // Spanned at the field's type: a type that cannot be a key fails here, pointing at that field.
    let key_type = quote_spanned!(ty.span()=> <#ty as __dr::KeyValue>::KEY_TYPE);
    quote!(__dr::KeyAttribute { name: #name, field: #field, key_type: #key_type })
}

/// The attribute holding the entity type unless `type_attribute` renames it.
pub const DEFAULT_TYPE_ATTRIBUTE: &str = "_type";

/// The key attributes and `key(...)` of an entity, from key fields or templates.
struct KeyParts {
    pk_attr: TokenStream,
    sk_attr: TokenStream,
    pk_ty: TokenStream,
    sk_ty: TokenStream,
    /// Parameters of `T::key(...)`.
    params: Vec<TokenStream>,
    /// Statements filling `item` (a key map) from the parameters.
    puts: Vec<TokenStream>,
    /// Statements filling `item` from `self`.
    self_puts: Vec<TokenStream>,
    count: usize,
    doc_fields: Vec<String>,
}

fn field_key_parts(fields: &[Field]) -> KeyParts {
    let pk = fields
        .iter()
        .find(|f| f.attrs.partition_key.is_set())
        .expect("checked");
    let sk = fields.iter().find(|f| f.attrs.sort_key.is_set());
    let keys: Vec<&Field> = std::iter::once(pk).chain(sk).collect();
    let pk_ty = pk.ty;
    KeyParts {
        pk_attr: key_attribute(pk),
        sk_attr: match sk {
            Some(sk) => {
                let a = key_attribute(sk);
                quote!(::core::option::Option::Some(#a))
            }
            None => quote!(::core::option::Option::None),
        },
        pk_ty: quote!(#pk_ty),
        sk_ty: match sk {
            Some(sk) => {
                let ty = sk.ty;
                quote!(#ty)
            }
            None => quote!(__dr::NoSortKey),
        },
        params: keys.iter().map(|f| key_param(f)).collect(),
        puts: std::iter::once(key_param_conversions(keys.iter().copied()))
            .chain(keys.iter().map(|f| {
                let ident = f.ident;
                let name = &f.name;
                quote!(__dr::put(&mut item, #name, &#ident);)
            }))
            .collect(),
        self_puts: keys
            .iter()
            .map(|f| {
                let ident = f.ident;
                let name = &f.name;
                quote!(__dr::put(&mut item, #name, &self.#ident);)
            })
            .collect(),
        count: keys.len(),
        doc_fields: keys.iter().map(|f| f.ident.to_string()).collect(),
    }
}

/// A parameter taking a field's value: `impl Into<String>` for strings.
fn key_param(f: &Field) -> TokenStream {
    let ident = f.ident;
    let ty = f.ty;
    if f.is_string() {
        quote!(#ident: impl ::core::convert::Into<::std::string::String>)
    } else {
        quote!(#ident: #ty)
    }
}

/// Turns `impl Into<String>` parameters into `String`s.
fn key_param_conversions<'a>(params: impl IntoIterator<Item = &'a Field<'a>>) -> TokenStream {
    let conversions = params.into_iter().filter(|f| f.is_string()).map(|f| {
        let ident = f.ident;
        quote!(let #ident: ::std::string::String = ::core::convert::Into::into(#ident);)
    });
    quote!(#(#conversions)*)
}

/// Every token of `tokens` placed at `span`, so a compile error about them
/// points there (at a key template) rather than at the field.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = proc_macro2::TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

/// An expression building the `String` of `segments`; `value` gives the
/// expression of a placeholder's field (a reference).
fn render_segments(
    template: &Template,
    segments: &[Segment],
    value: &dyn Fn(&syn::Ident) -> TokenStream,
    fields: &[Field],
) -> TokenStream {
    let span = template.lit.span();
    let pushes = segments.iter().map(|segment| match segment {
        Segment::Literal(text) => quote!(key.push_str(#text);),
        Segment::Field(name) => {
            let f = fields.iter().find(|f| f.ident == name).expect("checked");
            // At the template, like the type check, so a field that cannot
            // be formatted is reported there once.
            let v = respan(value(f.ident), span);
            quote_spanned!(span=> __dr::push_key_part(&mut key, #v);)
        }
    });
    quote!({
        let mut key = ::std::string::String::new();
        #(#pushes)*
        key
    })
}

/// The fields of `names`, in order.
fn fields_named<'f, 'a>(fields: &'f [Field<'a>], names: &[&str]) -> Vec<&'f Field<'a>> {
    names
        .iter()
        .filter_map(|n| fields.iter().find(|f| f.ident == n))
        .collect()
}

/// `pub fn {base}(fields...) -> String` for a template, and its prefixes
/// (`{base}_prefix()`, `{base}_prefix_{field}(...)`) when `prefixes`.
fn template_fns(
    template: &Template,
    base: &str,
    what: &str,
    prefixes: bool,
    fields: &[Field],
) -> TokenStream {
    let by_param = |ident: &syn::Ident| quote!(&#ident);
    let mut out = Vec::new();
    let mut emit = |name: String, doc: String, segments: &[Segment]| {
        let mut names: Vec<&str> = Vec::new();
        for s in segments {
            if let Segment::Field(f) = s {
                if !names.contains(&f.as_str()) {
                    names.push(f);
                }
            }
        }
        let params_fields = fields_named(fields, &names);
        let params = params_fields.iter().map(|f| key_param(f));
        let conversions = key_param_conversions(params_fields.iter().copied());
        let body = render_segments(template, segments, &by_param, fields);
        let fn_ident = format_ident!("{}", name);
        out.push(quote! {
            #[doc = #doc]
            pub fn #fn_ident(#(#params),*) -> ::std::string::String {
                #conversions
                #body
            }
        });
    };
    let text = template.lit.value();
    emit(
        base.to_owned(),
        format!("The {what} `{text}`, escaped as every key is."),
        &template.segments,
    );
    if prefixes {
        let mut names_seen: Vec<String> = Vec::new();
        let count = template.placeholder_count();
        let placeholders: Vec<&str> = template
            .segments
            .iter()
            .filter_map(|s| match s {
                Segment::Field(f) => Some(f.as_str()),
                Segment::Literal(_) => None,
            })
            .collect();
        for n in 0..count {
            let name = if n == 0 {
                format!("{base}_prefix")
            } else {
                format!("{base}_prefix_{}", placeholders[n - 1])
            };
            if names_seen.contains(&name) {
                continue;
            }
            names_seen.push(name.clone());
            let doc = if n == 0 {
                format!("The part of the {what} `{text}` before its first placeholder, for `begins_with` queries.")
            } else {
                format!("The part of the {what} `{text}` up to `{{{}}}` and the text after it, for `begins_with` queries.", placeholders[n - 1])
            };
            emit(name, doc, template.prefix(n));
        }
    }
    quote!(#(#out)*)
}

fn template_key_parts(keys: &TemplateKeys, fields: &[Field]) -> KeyParts {
    let mut names = keys.pk.fields();
    if let Some(sk) = &keys.sk {
        for f in sk.fields() {
            if !names.contains(&f) {
                names.push(f);
            }
        }
    }
    let key_fields = fields_named(fields, &names);
    let string_key = |name: &str| quote!(__dr::KeyAttribute { name: #name, field: "", key_type: __dr::KeyType::String });
    let pk_attr = string_key(&keys.pk_attribute);
    let sk_attr = match &keys.sk {
        Some(_) => {
            let a = string_key(&keys.sk_attribute);
            quote!(::core::option::Option::Some(#a))
        }
        None => quote!(::core::option::Option::None),
    };
    let by_param = |ident: &syn::Ident| quote!(&#ident);
    let by_self = |ident: &syn::Ident| quote!(&self.#ident);
    let key_puts = |value: &dyn Fn(&syn::Ident) -> TokenStream| {
        let pk_name = &keys.pk_attribute;
        let pk = render_segments(&keys.pk, &keys.pk.segments, value, fields);
        let mut puts = vec![quote!(__dr::put_key(&mut item, #pk_name, #pk);)];
        if let Some(sk) = &keys.sk {
            let sk_name = &keys.sk_attribute;
            let sk = render_segments(sk, &sk.segments, value, fields);
            puts.push(quote!(__dr::put_key(&mut item, #sk_name, #sk);));
        }
        puts
    };
    let conversions = key_param_conversions(key_fields.iter().copied());
    let mut puts = vec![conversions];
    puts.extend(key_puts(&by_param));
    KeyParts {
        pk_attr,
        sk_attr,
        pk_ty: quote!(::std::string::String),
        sk_ty: if keys.sk.is_some() {
            quote!(::std::string::String)
        } else {
            quote!(__dr::NoSortKey)
        },
        params: key_fields.iter().map(|f| key_param(f)).collect(),
        puts,
        self_puts: key_puts(&by_self),
        count: 1 + usize::from(keys.sk.is_some()),
        doc_fields: names.iter().map(|n| n.to_string()).collect(),
    }
}

fn expand_entity(cont: &Container, fields: &[Field]) -> TokenStream {
    let ident = cont.ident;
    let entity_name = ident.to_string();
    let table = cont.attrs.table.get().expect("checked");
    let key_parts = match &cont.keys {
        Some(keys) => template_key_parts(keys, fields),
        None => field_key_parts(fields),
    };
    let KeyParts {
        pk_attr,
        sk_attr,
        pk_ty,
        sk_ty,
        params: key_params,
        puts: key_puts,
        self_puts: self_key_puts,
        count: key_count,
        doc_fields,
    } = key_parts;
    let ttl = match fields.iter().find(|f| f.attrs.ttl.is_set()) {
        Some(f) => {
            let name = &f.name;
            quote!(::core::option::Option::Some(#name))
        }
        None => quote!(::core::option::Option::None),
    };
    let managed = |pick: fn(&Field) -> bool, assert: TokenStream| match fields
        .iter()
        .find(|f| pick(f))
    {
        Some(f) => {
            let name = &f.name;
            let ty = f.ty;
            let check = quote_spanned!(ty.span()=> #assert::<#ty>);
            quote!(::core::option::Option::Some(__dr::ManagedAttribute { name: #name, now: #check }))
        }
        None => quote!(::core::option::Option::None),
    };
    let version = managed(|f| f.attrs.version.is_set(), quote!(__dr::version_one));
    let created_at = managed(|f| f.attrs.created_at.is_set(), quote!(__dr::timestamp_now));
    let updated_at = managed(|f| f.attrs.updated_at.is_set(), quote!(__dr::timestamp_now));
    let attribute_list = fields.iter().filter(|f| f.own_attribute()).map(|f| {
        let name = &f.name;
        let field = f.ident.to_string();
        quote!((#name, #field))
    });
    let ttl_asserts = fields.iter().filter(|f| f.attrs.ttl.is_set()).map(|f| {
        let ty = f.ty;
        quote_spanned!(ty.span()=> const _: () = __dr::assert_epoch_seconds::<#ty>();)
    });

    // Single-table parts: the entity type, template-built keys and helpers.
    let typed = cont.keys.is_some() || cont.attrs.entity_type.is_set();
    let entity_type = cont
        .attrs
        .entity_type
        .get()
        .map_or_else(|| entity_name.clone(), |l| l.value());
    let type_attribute = cont
        .attrs
        .type_attribute
        .get()
        .map_or_else(|| DEFAULT_TYPE_ATTRIBUTE.to_owned(), |l| l.value());
    let by_self = |ident: &syn::Ident| quote!(&self.#ident);
    let mut templates: Vec<&Template> = Vec::new();
    let mut template_writes = Vec::new();
    let mut template_helpers = Vec::new();
    if let Some(keys) = &cont.keys {
        templates.push(&keys.pk);
        template_writes.extend(key_puts_from_self(keys, fields));
        template_helpers.push(template_fns(&keys.pk, "pk", "partition key", false, fields));
        if let Some(sk) = &keys.sk {
            templates.push(sk);
            template_helpers.push(template_fns(sk, "sk", "sort key", true, fields));
        }
    }
    for index in &cont.template_indexes {
        let method = index_method_name(&index.name.value(), index.name.span()).to_string();
        let method = method.strip_prefix("r#").unwrap_or(&method).to_owned();
        let pk_name = &index.pk_attribute;
        let pk = render_segments(&index.pk, &index.pk.segments, &by_self, fields);
        template_writes.push(quote!(__dr::put_key(&mut item, #pk_name, #pk);));
        templates.push(&index.pk);
        template_helpers.push(template_fns(
            &index.pk,
            &format!("{method}_pk"),
            &format!("partition key of index `{}`", index.name.value()),
            false,
            fields,
        ));
        if let Some(sk) = &index.sk {
            let sk_name = &index.sk_attribute;
            let value = render_segments(sk, &sk.segments, &by_self, fields);
            template_writes.push(quote!(__dr::put_key(&mut item, #sk_name, #value);));
            templates.push(sk);
            template_helpers.push(template_fns(
                sk,
                &format!("{method}_sk"),
                &format!("sort key of index `{}`", index.name.value()),
                true,
                fields,
            ));
        }
    }
    let mut key_sources: Vec<&str> = Vec::new();
    for t in &templates {
        for name in t.fields() {
            if let Some(f) = fields.iter().find(|f| f.ident == name) {
                if !key_sources.contains(&f.name.as_str()) {
                    key_sources.push(&f.name);
                }
            }
        }
    }
    let (single_table, type_write, type_check, typed_impl) = if typed {
        (
            quote!(::core::option::Option::Some(__dr::SingleTableSchema {
                type_attribute: #type_attribute,
                entity_type: #entity_type,
                key_sources: &[#(#key_sources),*],
            })),
            quote!(__dr::put_key(&mut item, #type_attribute, ::std::string::String::from(#entity_type));),
            quote!(__dr::check_entity_type(&item, #type_attribute, #entity_type)
                .map_err(|e| __dr::Error::Decode(e.in_entity(#entity_name)))?;),
            quote! {
                #[automatically_derived]
                impl __dr::TypedEntity for #ident {
                    const ENTITY_TYPE: &'static str = #entity_type;
                    const TYPE_ATTRIBUTE: &'static str = #type_attribute;
                }
            },
        )
    } else {
        (
            quote!(::core::option::Option::None),
            quote!(),
            quote!(),
            quote!(),
        )
    };

    let write = write_fields(fields);
    let read = read_fields(fields, cont.keys.as_ref());

    let key_doc = format!(
        "The primary key of a [`{entity_name}`]: {}.",
        doc_fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let vis = &cont.original.vis;
    let fields_ident = format_ident!("{}Fields", ident);
    let fields_doc = format!(
        "Typed paths to the attributes of [`{entity_name}`], from `{entity_name}::fields()`."
    );
    let stored: Vec<&Field> = fields.iter().filter(|f| f.own_attribute()).collect();
    let path_decls = stored.iter().map(|f| path_decl(f, &quote!(#ident)));
    let path_inits = stored
        .iter()
        .map(|f| path_init(f, &quote!(#ident), &quote!(&[])));
    let (index_schemas, index_struct, index_fn) = expand_indexes(cont, fields, (&pk_attr, &pk_ty));

    quote! {
        #[doc = #fields_doc]
        #[allow(dead_code)]
        #vis struct #fields_ident {
            #(#path_decls)*
        }

        const _: () = {
            use ::dynamo_repo::__private as __dr;
            #(#ttl_asserts)*

            #[automatically_derived]
            impl __dr::Entity for #ident {
                const SCHEMA: __dr::TableSchema = __dr::TableSchema {
                    entity: #entity_name,
                    table: #table,
                    partition_key: #pk_attr,
                    sort_key: #sk_attr,
                    ttl_attribute: #ttl,
                    attributes: &[#(#attribute_list),*],
                    indexes: &[#(#index_schemas),*],
                    version: #version,
                    created_at: #created_at,
                    updated_at: #updated_at,
                    single_table: #single_table,
                };
                type PartitionKey = #pk_ty;
                type SortKey = #sk_ty;

                fn to_item(&self) -> __dr::Item {
                    #write
                    #(#template_writes)*
                    #type_write
                    item
                }

                fn from_item(mut item: __dr::Item) -> ::core::result::Result<Self, __dr::Error> {
                    #type_check
                    let read = |item: &mut __dr::Item| -> ::core::result::Result<Self, __dr::DecodeError> {
                        // Bounds the recursion of every decoder below.
                        __dr::check_item_depth(item)?;
                        ::core::result::Result::Ok(#read)
                    };
                    read(&mut item).map_err(|e| {
                        __dr::Error::Decode(__dr::with_item_key(
                            e.in_entity(#entity_name),
                            &item,
                            &<Self as ::dynamo_repo::Entity>::SCHEMA,
                        ))
                    })
                }

                fn primary_key(&self) -> __dr::Key<Self> {
                    let mut item: __dr::Item = __dr::HashMap::with_capacity(#key_count);
                    #(#self_key_puts)*
                    __dr::Key::from_item(item)
                }
            }

            #typed_impl

            #[automatically_derived]
            #[allow(dead_code)]
            impl #ident {
                #[doc = #key_doc]
                pub fn key(#(#key_params),*) -> __dr::Key<Self> {
                    let mut item: __dr::Item = __dr::HashMap::with_capacity(#key_count);
                    #(#key_puts)*
                    __dr::Key::from_item(item)
                }

                /// Typed paths to this entity's attributes, for updates and conditions.
                pub fn fields() -> #fields_ident {
                    #fields_ident { #(#path_inits)* }
                }

                #index_fn

                #(#template_helpers)*
            }
        };

        #index_struct
    }
}

/// The statements writing an entity's own table keys into `item` from `self`.
fn key_puts_from_self(keys: &TemplateKeys, fields: &[Field]) -> Vec<TokenStream> {
    let by_self = |ident: &syn::Ident| quote!(&self.#ident);
    let pk_name = &keys.pk_attribute;
    let pk = render_segments(&keys.pk, &keys.pk.segments, &by_self, fields);
    let mut puts = vec![quote!(__dr::put_key(&mut item, #pk_name, #pk);)];
    if let Some(sk) = &keys.sk {
        let sk_name = &keys.sk_attribute;
        let value = render_segments(sk, &sk.segments, &by_self, fields);
        puts.push(quote!(__dr::put_key(&mut item, #sk_name, #value);));
    }
    puts
}

/// Reads a `key_only` field back from the first table key template that
/// holds it.
fn key_only_read(f: &Field, keys: &TemplateKeys) -> TokenStream {
    let name = f.ident.to_string();
    let (template, attribute) = std::iter::once((&keys.pk, &keys.pk_attribute))
        .chain(keys.sk.as_ref().map(|sk| (sk, &keys.sk_attribute)))
        .find(|(t, _)| t.fields().contains(&name.as_str()))
        .expect("checked");
    let position = template
        .segments
        .iter()
        .filter(|s| matches!(s, Segment::Field(_)))
        .position(|s| matches!(s, Segment::Field(n) if *n == name))
        .expect("checked");
    let segments = template.segments.iter().map(|s| match s {
        Segment::Literal(text) => quote!(__dr::KeySegment::Literal(#text)),
        Segment::Field(_) => quote!(__dr::KeySegment::Placeholder),
    });
    let ty = f.ty;
    let read = quote_spanned!(ty.span()=> __dr::key_part_from::<#ty>);
    quote!(#read(item, #attribute, &[#(#segments),*], #position)?)
}

/// Whether a field's stored form follows its Rust type (so its path can be navigated).
fn plain(f: &Field) -> bool {
    let a = &f.attrs;
    !(a.with.is_set() || a.serde.is_set() || a.binary.is_set() || a.ttl.is_set())
}

/// `pub name: <Ty as HasPath>::Path<Root>,` in a generated path struct.
fn path_decl(f: &Field, root: &TokenStream) -> TokenStream {
    let fid = f.ident;
    let ty = f.ty;
    let doc = format!("The attribute `{}`.", f.name);
    if plain(f) {
        let path = quote_spanned!(ty.span()=> <#ty as ::dynamo_repo::expr::HasPath>::Path<#root>);
        quote!(#[doc = #doc] pub #fid: #path,)
    } else {
        quote!(#[doc = #doc] pub #fid: ::dynamo_repo::Path<#root, #ty>,)
    }
}

/// The initialiser of [`path_decl`], below the path `parent`.
fn path_init(f: &Field, root: &TokenStream, parent: &TokenStream) -> TokenStream {
    let fid = f.ident;
    let ty = f.ty;
    let name = &f.name;
    if plain(f) {
        let path = quote_spanned!(ty.span()=> ::dynamo_repo::expr::field_path::<#ty, #root>);
        quote!(#fid: #path(#parent, #name),)
    } else {
        quote!(#fid: ::dynamo_repo::Path::from_elements({
            let mut elements: ::std::vec::Vec<::dynamo_repo::expr::PathElement> = (#parent).to_vec();
            elements.push(::dynamo_repo::expr::PathElement::Attribute(::std::borrow::Cow::Borrowed(#name)));
            elements
        }),)
    }
}

/// The index schemas, the `XIndexes` struct and the `indexes()` function.
fn expand_indexes(
    cont: &Container,
    fields: &[Field],
    (table_pk_attr, table_pk_ty): (&TokenStream, &TokenStream),
) -> (Vec<TokenStream>, TokenStream, TokenStream) {
    use crate::attr::{IndexKind, ProjectionAttr};
    let ident = cont.ident;
    let find = |name: &syn::Ident| fields.iter().find(|f| f.ident == name);
    let mut schemas = Vec::new();
    let mut decls = Vec::new();
    let mut inits = Vec::new();
    for (i, index) in cont.attrs.indexes.iter().enumerate() {
        let (Some(name), Some(sort_or_pk)) = (
            &index.name,
            index.partition_key.as_ref().or(index.sort_key.as_ref()),
        ) else {
            continue;
        };
        let _ = sort_or_pk;
        let (pk_attr, pk_ty) = match index.kind {
            IndexKind::Global => {
                let Some(f) = index.partition_key.as_ref().and_then(&find) else {
                    continue;
                };
                let ty = f.ty;
                (key_attribute(f), quote!(#ty))
            }
            IndexKind::Local => (table_pk_attr.clone(), table_pk_ty.clone()),
        };
        let index_sk = index.sort_key.as_ref().and_then(&find);
        let sk_attr = match index_sk {
            Some(f) => {
                let a = key_attribute(f);
                quote!(::core::option::Option::Some(#a))
            }
            None => quote!(::core::option::Option::None),
        };
        let kind = match index.kind {
            IndexKind::Global => quote!(__dr::IndexKind::Global),
            IndexKind::Local => quote!(__dr::IndexKind::Local),
        };
        let projection = match &index.projection {
            ProjectionAttr::All => quote!(__dr::IndexProjection::All),
            ProjectionAttr::KeysOnly => quote!(__dr::IndexProjection::KeysOnly),
            ProjectionAttr::Include(included) => {
                let names = included.iter().filter_map(&find).map(|f| &f.name);
                quote!(__dr::IndexProjection::Include(&[#(#names),*]))
            }
        };
        schemas.push(quote!(__dr::IndexSchema {
            name: #name,
            kind: #kind,
            partition_key: #pk_attr,
            sort_key: #sk_attr,
            projection: #projection,
        }));
        let method = index_method_name(&name.value(), name.span());
        let sk_ty = match index_sk {
            Some(f) => {
                let ty = f.ty;
                quote!(#ty)
            }
            None => quote!(::dynamo_repo::NoSortKey),
        };
        let doc = format!("The index `{}`.", name.value());
        decls
            .push(quote!(#[doc = #doc] pub #method: ::dynamo_repo::Index<#ident, #pk_ty, #sk_ty>,));
        inits.push(
            quote!(#method: __dr::Index::new(&<#ident as __dr::Entity>::SCHEMA.indexes[#i]),),
        );
    }
    let field_indexes = cont.attrs.indexes.len();
    for (i, index) in cont.template_indexes.iter().enumerate() {
        let i = field_indexes + i;
        let name = &index.name;
        let string_key = |attr: &str| quote!(__dr::KeyAttribute { name: #attr, field: "", key_type: __dr::KeyType::String });
        let pk_attr = string_key(&index.pk_attribute);
        let (sk_attr, sk_ty) = match &index.sk {
            Some(_) => {
                let a = string_key(&index.sk_attribute);
                (
                    quote!(::core::option::Option::Some(#a)),
                    quote!(::std::string::String),
                )
            }
            None => (
                quote!(::core::option::Option::None),
                quote!(::dynamo_repo::NoSortKey),
            ),
        };
        let projection = match &cont.attrs.template_indexes[index.position].projection {
            ProjectionAttr::KeysOnly => quote!(__dr::IndexProjection::KeysOnly),
            _ => quote!(__dr::IndexProjection::All),
        };
        schemas.push(quote!(__dr::IndexSchema {
            name: #name,
            kind: __dr::IndexKind::Global,
            partition_key: #pk_attr,
            sort_key: #sk_attr,
            projection: #projection,
        }));
        let method = index_method_name(&name.value(), name.span());
        let doc = format!("The index `{}`.", name.value());
        decls.push(quote!(#[doc = #doc] pub #method: ::dynamo_repo::Index<#ident, ::std::string::String, #sk_ty>,));
        inits.push(
            quote!(#method: __dr::Index::new(&<#ident as __dr::Entity>::SCHEMA.indexes[#i]),),
        );
    }
    let vis = &cont.original.vis;
    let struct_ident = format_ident!("{}Indexes", ident);
    let doc = format!("The secondary indexes of [`{ident}`], from `{ident}::indexes()`.");
    let index_struct = quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #[derive(Clone, Copy, Debug)]
        #vis struct #struct_ident { #(#decls)* }
    };
    let index_fn = quote! {
        /// Typed handles on this entity's secondary indexes, for queries.
        pub fn indexes() -> #struct_ident {
            #struct_ident { #(#inits)* }
        }
    };
    (schemas, index_struct, index_fn)
}

/// `"by-email"` → `by_email`: a Rust name for an index.
fn index_method_name(name: &str, span: proc_macro2::Span) -> syn::Ident {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "index_");
    }
    syn::parse_str::<syn::Ident>(&out)
        .unwrap_or_else(|_| syn::Ident::new(&format!("r#{out}"), span))
}

fn expand_map_struct(cont: &Container, fields: &[Field]) -> TokenStream {
    let ident = cont.ident;
    let write = write_fields(fields);
    let read = read_fields(fields, None);
    let vis = &cont.original.vis;
    let path_ident = format_ident!("{}Path", ident);
    let root = quote!(E);
    let stored: Vec<&Field> = fields.iter().filter(|f| f.stored()).collect();
    let path_decls = stored.iter().map(|f| path_decl(f, &root));
    let path_inits = stored
        .iter()
        .map(|f| path_init(f, &root, &quote!(&elements)));
    let doc = format!("Typed paths into a [`{ident}`] stored inside entity `E`; dereferences to the path of the whole map.");
    quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #vis struct #path_ident<E> {
            #(#path_decls)*
            __whole: ::dynamo_repo::Path<E, #ident>,
        }

        impl<E> ::core::ops::Deref for #path_ident<E> {
            type Target = ::dynamo_repo::Path<E, #ident>;
            fn deref(&self) -> &Self::Target {
                &self.__whole
            }
        }

        impl<E> ::dynamo_repo::expr::IntoPath<E, #ident> for #path_ident<E> {
            fn into_path(self) -> ::dynamo_repo::Path<E, #ident> {
                self.__whole
            }
        }

        impl<E> ::dynamo_repo::expr::IntoPath<E, #ident> for &#path_ident<E> {
            fn into_path(self) -> ::dynamo_repo::Path<E, #ident> {
                self.__whole.clone()
            }
        }

        impl ::dynamo_repo::expr::HasPath for #ident {
            type Path<E> = #path_ident<E>;
            fn path_at<E>(elements: ::std::vec::Vec<::dynamo_repo::expr::PathElement>) -> Self::Path<E> {
                #path_ident {
                    #(#path_inits)*
                    __whole: ::dynamo_repo::Path::from_elements(elements),
                }
            }
        }

        const _: () = {
            use ::dynamo_repo::__private as __dr;

            #[automatically_derived]
            impl __dr::ToAttribute for #ident {
                fn to_attribute(&self) -> ::core::option::Option<__dr::AttributeValue> {
                    __dr::encode_map(|| {
                        #write
                        item
                    })
                }
            }

            #[automatically_derived]
            impl __dr::FromAttribute for #ident {
                fn from_attribute(value: __dr::AttributeValue) -> ::core::result::Result<Self, __dr::DecodeError> {
                    __dr::decode_map(value, |item| ::core::result::Result::Ok(#read))
                }
            }
        };
    }
}

fn expand_projection(cont: &Container, fields: &[Field]) -> TokenStream {
    let ident = cont.ident;
    let entity = cont.attrs.entity.get().expect("checked");
    let entity_name = ident.to_string();
    // Each field must exist on the entity with the same type: checked by the compiler, at the field.
    let checks = fields.iter().map(|f| {
        let fid = f.ident;
        let ty = f.ty;
        quote_spanned!(f.original.span()=> let _: &#ty = &entity.#fid;)
    });
    let field_names = fields.iter().map(|f| f.ident.to_string());
    let reads = fields.iter().map(|f| {
        let fid = f.ident;
        let field = fid.to_string();
        let value = if f.attrs.default.is_set() {
            quote!(__dr::take_or_default(item, __dr::projected_attribute::<#entity>(#field))?)
        } else {
            quote!(__dr::take(item, __dr::projected_attribute::<#entity>(#field))?)
        };
        quote!(#fid: #value,)
    });
    quote! {
        const _: () = {
            use ::dynamo_repo::__private as __dr;

            #[allow(dead_code, unused_variables)]
            fn __check_fields(entity: &#entity) {
                #(#checks)*
            }

            #[automatically_derived]
            impl __dr::Projection for #ident {
                type Entity = #entity;
                const FIELDS: &'static [&'static str] = &[#(#field_names),*];

                fn from_item(mut item: __dr::Item) -> ::core::result::Result<Self, __dr::Error> {
                    let read = |item: &mut __dr::Item| -> ::core::result::Result<Self, __dr::DecodeError> {
                        __dr::check_item_depth(item)?;
                        ::core::result::Result::Ok(Self { #(#reads)* })
                    };
                    read(&mut item).map_err(|e| __dr::Error::Decode(e.in_entity(#entity_name)))
                }
            }
        };
    }
}

fn expand_enum(cont: &Container, variants: &[Variant]) -> TokenStream {
    let ident = cont.ident;
    let to_arms = variants.iter().map(|v| {
        let vid = v.ident;
        let name = &v.name;
        quote!(#ident::#vid => #name,)
    });
    let from_arms = variants.iter().map(|v| {
        let vid = v.ident;
        let name = &v.name;
        quote!(#name => ::core::result::Result::Ok(#ident::#vid),)
    });
    let names = variants.iter().map(|v| &v.name);
    let key_part_arms = variants.iter().map(|v| {
        let vid = v.ident;
        let name = &v.name;
        quote!(#ident::#vid => #name,)
    });
    quote! {
        const _: () = {
            use ::dynamo_repo::__private as __dr;

            #[automatically_derived]
            impl __dr::ToAttribute for #ident {
                fn to_attribute(&self) -> ::core::option::Option<__dr::AttributeValue> {
                    let name: &str = match self { #(#to_arms)* };
                    ::core::option::Option::Some(__dr::AttributeValue::S(name.to_owned()))
                }
            }

            #[automatically_derived]
            impl __dr::FromAttribute for #ident {
                fn from_attribute(value: __dr::AttributeValue) -> ::core::result::Result<Self, __dr::DecodeError> {
                    match value {
                        __dr::AttributeValue::S(s) => match s.as_str() {
                            #(#from_arms)*
                            _ => ::core::result::Result::Err(__dr::DecodeError::new(
                                __dr::DecodeErrorKind::UnknownVariant { found: s, expected: &[#(#names),*] },
                            )),
                        },
                        other => ::core::result::Result::Err(__dr::DecodeError::wrong_type("S", &other)),
                    }
                }
            }

            #[automatically_derived]
            impl __dr::KeyValue for #ident {
                const KEY_TYPE: __dr::KeyType = __dr::KeyType::String;
            }

            #[automatically_derived]
            impl __dr::ViaString for #ident {}

            #[automatically_derived]
            impl __dr::KeyPart for #ident {
                fn write_key_part(&self, out: &mut ::std::string::String) {
                    out.push_str(match self { #(#key_part_arms)* });
                }
            }

            impl __dr::HasPath for #ident {
                type Path<E> = ::dynamo_repo::Path<E, #ident>;
                fn path_at<E>(elements: ::std::vec::Vec<__dr::PathElement>) -> Self::Path<E> {
                    ::dynamo_repo::Path::from_elements(elements)
                }
            }
        };
    }
}

fn expand_collection(cont: &Container, variants: &[Variant]) -> TokenStream {
    let ident = cont.ident;
    let name = ident.to_string();
    let entries: Vec<(&syn::Ident, &syn::Type)> = variants
        .iter()
        .filter_map(|v| match &v.original.fields {
            syn::Fields::Unnamed(u) => u.unnamed.first().map(|f| (v.ident, &f.ty)),
            _ => None,
        })
        .collect();
    let types = entries
        .iter()
        .map(|(_, ty)| quote_spanned!(ty.span()=> <#ty as __dr::TypedEntity>::ENTITY_TYPE));
    let arms = entries.iter().map(|(vid, ty)| {
        quote! {
            if __dr::entity_type_of(&item, <#ty as __dr::TypedEntity>::TYPE_ATTRIBUTE)
                == ::core::option::Option::Some(<#ty as __dr::TypedEntity>::ENTITY_TYPE)
            {
                return <#ty as __dr::Entity>::from_item(item).map(#ident::#vid);
            }
        }
    });
    // Two variants of one entity type would make routing ambiguous.
    let mut distinct = Vec::new();
    for (i, (va, a)) in entries.iter().enumerate() {
        for (vb, b) in &entries[..i] {
            let message =
                format!("variants `{vb}` and `{va}` of `{name}` have the same entity type");
            distinct.push(quote_spanned!(a.span()=> const _: () = ::core::assert!(
                !__dr::str_eq(<#a as __dr::TypedEntity>::ENTITY_TYPE, <#b as __dr::TypedEntity>::ENTITY_TYPE)
                    || !__dr::str_eq(<#a as __dr::TypedEntity>::TYPE_ATTRIBUTE, <#b as __dr::TypedEntity>::TYPE_ATTRIBUTE),
                #message
            );));
        }
    }
    let first = entries
        .first()
        .map(|(_, ty)| quote!(<#ty as __dr::TypedEntity>::TYPE_ATTRIBUTE));
    quote! {
        const _: () = {
            use ::dynamo_repo::__private as __dr;
            #(#distinct)*

            #[automatically_derived]
            impl __dr::Collection for #ident {
                const ENTITY_TYPES: &'static [&'static str] = &[#(#types),*];

                fn from_item(item: __dr::Item) -> ::core::result::Result<Self, __dr::Error> {
                    #(#arms)*
                    ::core::result::Result::Err(__dr::Error::Decode(
                        __dr::unknown_entity_type(&item, #first, <Self as __dr::Collection>::ENTITY_TYPES)
                            .in_entity(#name),
                    ))
                }
            }
        };
    }
}
