//! The `shape` of the generated `TableSchema`: each stored attribute's Rust
//! type and encoding, the key templates, the `extra` field and the `key_only`
//! fields (read by schema snapshots).

use crate::ast::{Container, Field};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

pub(super) fn shape(cont: &Container, fields: &[Field]) -> TokenStream {
    let attributes = fields.iter().filter(|f| f.own_attribute()).map(|f| {
        let name = &f.name;
        let (field, rust_type) = (field_name(f), type_text(f));
        let optional = f.attrs.default.is_set() || f.option_inner().is_some();
        let a = &f.attrs;
        let encoding = if let Some(with) = a.with.get() {
            let path: String = with
                .to_token_stream()
                .to_string()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            quote!(__dr::Encoding::With(#path))
        } else if a.binary.is_set() {
            quote!(__dr::Encoding::Binary)
        } else if a.serde.is_set() {
            quote!(__dr::Encoding::Serde)
        } else if a.ttl.is_set() {
            quote!(__dr::Encoding::Ttl)
        } else {
            quote!(__dr::Encoding::Plain)
        };
        quote!(__dr::AttributeShape {
            name: #name,
            field: #field,
            rust_type: #rust_type,
            optional: #optional,
            encoding: #encoding,
        })
    });
    let mut templates = Vec::new();
    let mut template = |attribute: &str, lit: &syn::LitStr| {
        let text = lit.value();
        templates.push(quote!(__dr::KeyTemplate { attribute: #attribute, template: #text }));
    };
    if let Some(keys) = &cont.keys {
        template(&keys.pk_attribute, &keys.pk.lit);
        if let Some(sk) = &keys.sk {
            template(&keys.sk_attribute, &sk.lit);
        }
    }
    for index in &cont.template_indexes {
        template(&index.pk_attribute, &index.pk.lit);
        if let Some(sk) = &index.sk {
            template(&index.sk_attribute, &sk.lit);
        }
    }
    let extra = match fields.iter().find(|f| f.is_extra()) {
        Some(f) => {
            let field = field_name(f);
            quote!(::core::option::Option::Some(#field))
        }
        None => quote!(::core::option::Option::None),
    };
    let key_only = fields
        .iter()
        .filter(|f| f.stored() && f.attrs.key_only.is_set())
        .map(|f| {
            let (field, rust_type) = (field_name(f), type_text(f));
            quote!(__dr::KeyOnlyField { field: #field, rust_type: #rust_type })
        });
    quote!(__dr::Shape {
        attributes: &[#(#attributes),*],
        templates: &[#(#templates),*],
        extra: #extra,
        key_only: &[#(#key_only),*],
    })
}

/// The Rust field name, without `r#`.
fn field_name(f: &Field) -> String {
    let field = f.ident.to_string();
    field.strip_prefix("r#").unwrap_or(&field).to_owned()
}

/// The field's type as written, without spaces.
fn type_text(f: &Field) -> String {
    f.ty.to_token_stream()
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}
