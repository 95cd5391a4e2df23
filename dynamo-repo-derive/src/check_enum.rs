//! Checks of an enum with data (`#[derive(Attribute)]`, stored as a map with
//! a tag attribute): its tagging options, variants and field names.

use crate::ast::{Container, Data, Derive, Variant};
use crate::ctxt::Ctxt;
use std::collections::HashMap;

/// The tag attribute when the enum gives none.
pub const DEFAULT_TAG: &str = "type";

/// Whether the enum is stored as a map with a tag: it has a variant with
/// data, or it asks for a tag.
pub fn is_data_enum(cont: &Container, variants: &[Variant]) -> bool {
    cont.attrs.tag.is_set()
        || cont.attrs.content.is_set()
        || variants
            .iter()
            .any(|v| !matches!(v.original.fields, syn::Fields::Unit))
}

/// `tag` and `content` belong on a `#[derive(Attribute)]` enum.
pub fn check_tag_placement(cx: &Ctxt, cont: &Container, derive: Derive) {
    let on_enum = matches!(cont.data, Data::Enum(_)) && derive == Derive::Attribute;
    if on_enum {
        return;
    }
    for span in [cont.attrs.tag.span(), cont.attrs.content.span()]
        .into_iter()
        .flatten()
    {
        cx.syn_error(syn::Error::new(
            span,
            "`tag` and `content` belong on an enum with #[derive(Attribute)]",
        ));
    }
}

pub fn check(cx: &Ctxt, cont: &Container, variants: &[Variant]) {
    let a = &cont.attrs;
    let tag = a
        .tag
        .get()
        .map_or_else(|| DEFAULT_TAG.to_owned(), |l| l.value());
    let adjacent = a.content.is_set();
    if let (Some(content), false) = (a.content.get(), a.tag.is_set()) {
        cx.error_spanned_by(
            content,
            "`content` needs a `tag`: #[dynamo(tag = \"type\", content = \"value\")]",
        );
    }
    if let Some(content) = a.content.get() {
        if content.value() == tag {
            cx.error_spanned_by(content, "`content` and `tag` name the same attribute");
        }
    }
    let mut seen = HashMap::new();
    for v in variants {
        if let Some(first) = seen.insert(v.name.clone(), v.ident) {
            cx.error_spanned_by(
                v.ident,
                format!(
                    "variants `{first}` and `{}` are both tagged \"{}\"",
                    v.ident, v.name
                ),
            );
        }
        if let (Some(span), false) = (
            v.rename_all_span,
            matches!(v.original.fields, syn::Fields::Named(_)),
        ) {
            cx.syn_error(syn::Error::new(
                span,
                format!(
                    "`rename_all` on a variant names the fields of a struct variant; `{}` has none",
                    v.ident
                ),
            ));
        }
        match &v.original.fields {
            syn::Fields::Unit => {}
            syn::Fields::Unnamed(u) if u.unnamed.is_empty() => cx.error_spanned_by(
                &v.original.fields,
                "a variant without data is written without parentheses",
            ),
            syn::Fields::Unnamed(u) if !adjacent => cx.error_spanned_by(
                &v.original.fields,
                if u.unnamed.len() == 1 {
                    "an internally tagged enum stores a struct variant's fields beside the tag; \
                     a newtype variant has no field names: write `Variant { name: T }`, or use \
                     adjacent tagging: #[dynamo(tag = \"type\", content = \"value\")]"
                } else {
                    "an internally tagged enum stores a struct variant's fields beside the tag; \
                     a tuple variant has no field names: use a struct variant, or adjacent \
                     tagging: #[dynamo(tag = \"type\", content = \"value\")]"
                },
            ),
            syn::Fields::Unnamed(u) => {
                for f in &u.unnamed {
                    if let Some(attr) = f.attrs.iter().find(|a| a.path().is_ident("dynamo")) {
                        cx.error_spanned_by(attr, "fields of a tuple variant take no options");
                    }
                }
            }
            syn::Fields::Named(_) => check_struct_variant(cx, v, &tag, adjacent),
        }
    }
}

fn check_struct_variant(cx: &Ctxt, v: &Variant, tag: &str, adjacent: bool) {
    let mut names = HashMap::new();
    for f in &v.fields {
        let a = &f.attrs;
        for span in [
            a.partition_key.span(),
            a.sort_key.span(),
            a.ttl.span(),
            a.version.span(),
            a.created_at.span(),
            a.updated_at.span(),
            a.key_only.span(),
            a.extra.span(),
        ]
        .into_iter()
        .flatten()
        {
            cx.syn_error(syn::Error::new(
                span,
                "a field of an enum variant takes only rename, skip, default, with, serde or binary",
            ));
        }
        let exclusive = [a.with.is_set(), a.serde.is_set(), a.binary.is_set()];
        if exclusive.iter().filter(|s| **s).count() > 1 {
            cx.error_spanned_by(f.ident, "`with`, `serde` and `binary` exclude each other");
        }
        if !f.stored() {
            continue;
        }
        if !adjacent && f.name == tag {
            cx.error_spanned_by(
                f.ident,
                format!(
                    "field `{}` of variant `{}` is stored as \"{tag}\", the enum's tag attribute; \
                     rename the field or choose another tag: #[dynamo(tag = \"...\")]",
                    f.ident, v.ident
                ),
            );
        }
        if let Some(first) = names.insert(f.name.clone(), f.ident) {
            cx.error_spanned_by(
                f.ident,
                format!(
                    "fields `{first}` and `{}` are both stored as \"{}\"",
                    f.ident, f.name
                ),
            );
        }
    }
}
