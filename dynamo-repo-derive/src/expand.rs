//! Code generation. Generated code names the runtime by absolute path and
//! calls only `dynamo_repo::__private`, inside `const _: () = { ... };`.

use crate::ast::{Container, Data, Derive, Field, Variant};
use crate::check;
use crate::ctxt::Ctxt;
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
        (Data::Enum(variants), _) => expand_enum(&cont, variants),
    }
}

/// `put`s every stored field into `item`.
fn write_fields(fields: &[Field]) -> TokenStream {
    let writes = fields.iter().filter(|f| f.stored()).map(|f| {
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
            quote!(__dr::put(&mut item, #name, &self.#ident);)
        }
    });
    let capacity = fields.iter().filter(|f| f.stored()).count();
    quote! {
        let mut item: __dr::Item = __dr::HashMap::with_capacity(#capacity);
        #(#writes)*
    }
}

/// `Self { field: take(...)?, ... }` from `item: &mut Item`.
fn read_fields(fields: &[Field]) -> TokenStream {
    let reads = fields.iter().map(|f| {
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
            quote!(__dr::take_or_default(item, #name)?)
        } else {
            quote!(__dr::take(item, #name)?)
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

fn expand_entity(cont: &Container, fields: &[Field]) -> TokenStream {
    let ident = cont.ident;
    let entity_name = ident.to_string();
    let table = cont.attrs.table.get().expect("checked");
    let pk = fields
        .iter()
        .find(|f| f.attrs.partition_key.is_set())
        .expect("checked");
    let sk = fields.iter().find(|f| f.attrs.sort_key.is_set());
    let keys: Vec<&Field> = std::iter::once(pk).chain(sk).collect();

    let pk_attr = key_attribute(pk);
    let sk_attr = match sk {
        Some(sk) => {
            let a = key_attribute(sk);
            quote!(::core::option::Option::Some(#a))
        }
        None => quote!(::core::option::Option::None),
    };
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
    let attribute_list = fields.iter().filter(|f| f.stored()).map(|f| {
        let name = &f.name;
        let field = f.ident.to_string();
        quote!((#name, #field))
    });
    let ttl_asserts = fields.iter().filter(|f| f.attrs.ttl.is_set()).map(|f| {
        let ty = f.ty;
        quote_spanned!(ty.span()=> const _: () = __dr::assert_epoch_seconds::<#ty>();)
    });

    let write = write_fields(fields);
    let read = read_fields(fields);

    let key_params = keys.iter().map(|f| {
        let ident = f.ident;
        let ty = f.ty;
        if f.is_string() {
            quote!(#ident: impl ::core::convert::Into<::std::string::String>)
        } else {
            quote!(#ident: #ty)
        }
    });
    let key_puts = keys.iter().map(|f| {
        let ident = f.ident;
        let name = &f.name;
        if f.is_string() {
            quote!(__dr::put(&mut item, #name, &::core::convert::Into::<::std::string::String>::into(#ident));)
        } else {
            quote!(__dr::put(&mut item, #name, &#ident);)
        }
    });
    let self_key_puts = keys.iter().map(|f| {
        let ident = f.ident;
        let name = &f.name;
        quote!(__dr::put(&mut item, #name, &self.#ident);)
    });
    let key_count = keys.len();
    let key_doc = format!(
        "The primary key of a [`{entity_name}`]: {}.",
        keys.iter()
            .map(|f| format!("`{}`", f.ident))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let vis = &cont.original.vis;
    let fields_ident = format_ident!("{}Fields", ident);
    let fields_doc = format!(
        "Typed paths to the attributes of [`{entity_name}`], from `{entity_name}::fields()`."
    );
    let stored: Vec<&Field> = fields.iter().filter(|f| f.stored()).collect();
    let path_decls = stored.iter().map(|f| path_decl(f, &quote!(#ident)));
    let path_inits = stored
        .iter()
        .map(|f| path_init(f, &quote!(#ident), &quote!(&[])));
    let pk_ty = pk.ty;
    let sk_ty = match sk {
        Some(sk) => {
            let ty = sk.ty;
            quote!(#ty)
        }
        None => quote!(__dr::NoSortKey),
    };
    let (index_schemas, index_struct, index_fn) = expand_indexes(cont, fields, pk);

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
                };
                type PartitionKey = #pk_ty;
                type SortKey = #sk_ty;

                fn to_item(&self) -> __dr::Item {
                    #write
                    item
                }

                fn from_item(mut item: __dr::Item) -> ::core::result::Result<Self, __dr::Error> {
                    let read = |item: &mut __dr::Item| -> ::core::result::Result<Self, __dr::DecodeError> {
                        ::core::result::Result::Ok(#read)
                    };
                    read(&mut item).map_err(|e| __dr::Error::Decode(e.in_entity(#entity_name)))
                }

                fn primary_key(&self) -> __dr::Key<Self> {
                    let mut item: __dr::Item = __dr::HashMap::with_capacity(#key_count);
                    #(#self_key_puts)*
                    __dr::Key::from_item(item)
                }
            }

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
            }
        };

        #index_struct
    }
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
        quote!(#[doc = #doc] pub #fid: <#ty as ::dynamo_repo::expr::HasPath>::Path<#root>,)
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
        quote!(#fid: ::dynamo_repo::expr::field_path::<#ty, #root>(#parent, #name),)
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
    pk: &Field,
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
        let index_pk = match index.kind {
            IndexKind::Global => index.partition_key.as_ref().and_then(&find),
            IndexKind::Local => Some(pk),
        };
        let Some(index_pk) = index_pk else { continue };
        let index_sk = index.sort_key.as_ref().and_then(&find);
        let pk_attr = key_attribute(index_pk);
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
        let pk_ty = index_pk.ty;
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
    let read = read_fields(fields);
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
                    #write
                    ::core::option::Option::Some(__dr::AttributeValue::M(item))
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

            impl __dr::HasPath for #ident {
                type Path<E> = ::dynamo_repo::Path<E, #ident>;
                fn path_at<E>(elements: ::std::vec::Vec<__dr::PathElement>) -> Self::Path<E> {
                    ::dynamo_repo::Path::from_elements(elements)
                }
            }
        };
    }
}
