//! Key attributes and key builders: from key fields or from key templates.

use crate::ast::{Field, TemplateKeys};
use crate::template::{Format, Segment, Template};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

pub(super) fn key_attribute(f: &Field) -> TokenStream {
    let name = &f.name;
    let field = f.ident.to_string();
    let ty = f.ty;
    // Spanned at the field's type: a type that cannot be a key fails here, pointing at that field.
    let key_type = quote_spanned!(ty.span()=> <#ty as __dr::KeyValue>::KEY_TYPE);
    quote!(__dr::KeyAttribute { name: #name, field: #field, key_type: #key_type })
}

/// The key attribute of a plain `gsi(...)` / `lsi(...)` index field, which
/// may be an `Option` (a sparse index).
pub(super) fn index_key_attribute(f: &Field) -> TokenStream {
    let name = &f.name;
    let field = f.ident.to_string();
    let ty = f.ty;
    let key_type = quote_spanned!(ty.span()=> <#ty as __dr::IndexKeyValue>::KEY_TYPE);
    quote!(__dr::KeyAttribute { name: #name, field: #field, key_type: #key_type })
}

/// The attribute holding the entity type unless `type_attribute` renames it.
pub const DEFAULT_TYPE_ATTRIBUTE: &str = "_type";

/// The key attributes and `key(...)` of an entity, from key fields or templates.
pub(super) struct KeyParts {
    pub(super) pk_attr: TokenStream,
    pub(super) sk_attr: TokenStream,
    pub(super) pk_ty: TokenStream,
    pub(super) sk_ty: TokenStream,
    /// Parameters of `T::key(...)`.
    pub(super) params: Vec<TokenStream>,
    /// Statements filling `item` (a key map) from the parameters.
    pub(super) puts: Vec<TokenStream>,
    /// Statements filling `item` from `self`.
    pub(super) self_puts: Vec<TokenStream>,
    pub(super) count: usize,
    pub(super) doc_fields: Vec<String>,
}

pub(super) fn field_key_parts(fields: &[Field]) -> KeyParts {
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

/// A parameter taking a field's value: `impl Into<String>` for strings, the
/// `T` of an `Option<T>` (a sparse index's key takes a present value).
pub(super) fn key_param(f: &Field) -> TokenStream {
    let ident = f.ident;
    let ty = f.option_inner().unwrap_or(f.ty);
    if f.key_is_string() {
        quote!(#ident: impl ::core::convert::Into<::std::string::String>)
    } else {
        quote!(#ident: #ty)
    }
}

/// Turns `impl Into<String>` parameters into `String`s.
pub(super) fn key_param_conversions<'a>(
    params: impl IntoIterator<Item = &'a Field<'a>>,
) -> TokenStream {
    let conversions = params.into_iter().filter(|f| f.key_is_string()).map(|f| {
        let ident = f.ident;
        quote!(let #ident: ::std::string::String = ::core::convert::Into::into(#ident);)
    });
    quote!(#(#conversions)*)
}

/// Every token of `tokens` placed at `span`, so a compile error about them
/// points there (at a key template) rather than at the field.
pub(super) fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
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
pub(super) fn render_segments(
    template: &Template,
    segments: &[Segment],
    value: &dyn Fn(&syn::Ident) -> TokenStream,
    fields: &[Field],
) -> TokenStream {
    let span = template.lit.span();
    // `segments` is a prefix of the template's, so formats line up.
    let pushes = segments
        .iter()
        .enumerate()
        .map(|(i, segment)| match segment {
            Segment::Literal(text) => quote!(key.push_str(#text);),
            Segment::Field(name) => {
                let f = fields.iter().find(|f| f.ident == name).expect("checked");
                // At the template, like the type check, so a field that cannot
                // be formatted is reported there once.
                let v = respan(value(f.ident), span);
                let placeholder = template.placeholder_text(i);
                match template.formats[i] {
                    Format::Plain => quote_spanned!(span=> __dr::push_key_part(&mut key, #v);),
                    Format::Sortable => quote_spanned!(span=>
                        __dr::push_sortable_key_part(&mut key, #v, #name, #placeholder);
                    ),
                    Format::Width(width) => quote_spanned!(span=>
                        __dr::push_width_key_part(&mut key, #v, #width, #name, #placeholder);
                    ),
                }
            }
        });
    quote!({
        let mut key = ::std::string::String::new();
        #(#pushes)*
        key
    })
}

/// The fields of `names`, in order.
pub(super) fn fields_named<'f, 'a>(fields: &'f [Field<'a>], names: &[&str]) -> Vec<&'f Field<'a>> {
    names
        .iter()
        .filter_map(|n| fields.iter().find(|f| f.ident == n))
        .collect()
}

/// `pub fn {base}(fields...) -> String` for a template, and its prefixes
/// (`{base}_prefix()`, `{base}_prefix_{field}(...)`) when `prefixes`.
pub(super) fn template_fns(
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

pub(super) fn template_key_parts(keys: &TemplateKeys, fields: &[Field]) -> KeyParts {
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

/// The statements writing an entity's own table keys into `item` from `self`.
pub(super) fn key_puts_from_self(keys: &TemplateKeys, fields: &[Field]) -> Vec<TokenStream> {
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
pub(super) fn key_only_read(f: &Field, keys: &TemplateKeys) -> TokenStream {
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
    let format = template
        .segments
        .iter()
        .position(|s| matches!(s, Segment::Field(n) if *n == name))
        .map_or(Format::Plain, |i| template.formats[i]);
    let segments = template.segments.iter().map(|s| match s {
        Segment::Literal(text) => quote!(__dr::KeySegment::Literal(#text)),
        Segment::Field(_) => quote!(__dr::KeySegment::Placeholder),
    });
    let ty = f.ty;
    let segments = quote!(&[#(#segments),*]);
    match format {
        Format::Plain => {
            let read = quote_spanned!(ty.span()=> __dr::key_part_from::<#ty>);
            quote!(#read(item, #attribute, #segments, #position)?)
        }
        Format::Sortable => {
            let read = quote_spanned!(ty.span()=> __dr::sortable_key_part_from::<#ty>);
            quote!(#read(item, #attribute, #segments, #position)?)
        }
        Format::Width(width) => {
            let read = quote_spanned!(ty.span()=> __dr::width_key_part_from::<#ty>);
            quote!(#read(item, #attribute, #segments, #position, #width)?)
        }
    }
}
