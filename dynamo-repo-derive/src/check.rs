//! Checks across fields and options, once the model is built.

use crate::ast::{Container, Data, Derive};
use crate::check_index::{check_indexes, check_templates};
use crate::ctxt::Ctxt;
use quote::ToTokens;
use std::collections::HashMap;

pub fn check(cx: &Ctxt, cont: &Container, derive: Derive) {
    check_names(cx, cont);
    crate::check_enum::check_tag_placement(cx, cont, derive);
    crate::schema_version::check(cx, cont, derive);
    if derive != Derive::Entity && cont.attrs.table.is_set() {
        cx.syn_error(syn::Error::new(
            cont.attrs
                .table
                .span()
                .unwrap_or_else(proc_macro2::Span::call_site),
            "`table` belongs on #[derive(Entity)]; this type is not stored as a table item",
        ));
    }
    if derive != Derive::Entity {
        if let Some(span) = cont.attrs.stream.span() {
            cx.syn_error(syn::Error::new(
                span,
                "`stream` belongs on #[derive(Entity)]: it is an option of the entity's table",
            ));
        }
        for index in &cont.attrs.indexes {
            cx.error_spanned_by(&index.keyword, "indexes belong on #[derive(Entity)]");
        }
    }
    match (derive, cont.attrs.entity.span()) {
        (Derive::Projection, None) => cx.error_spanned_by(
            cont.ident,
            "a projection names its entity: #[dynamo(entity = MyEntity)]",
        ),
        (Derive::Projection, Some(_)) | (_, None) => {}
        (Derive::Entity, Some(span)) => cx.syn_error(syn::Error::new(
            span,
            "on an entity, `entity` is the type name stored in each item, as a string: entity = \"user\"",
        )),
        (_, Some(span)) => cx.syn_error(syn::Error::new(
            span,
            "`entity` belongs on #[derive(Projection)]",
        )),
    }
    if derive != Derive::Entity {
        let a = &cont.attrs;
        for span in [
            a.entity_type.span(),
            a.pk.span(),
            a.sk.span(),
            a.pk_attribute.span(),
            a.sk_attribute.span(),
            a.type_attribute.span(),
        ]
        .into_iter()
        .flatten()
        {
            cx.syn_error(syn::Error::new(
                span,
                "key templates and entity types belong on #[derive(Entity)]",
            ));
        }
        for index in &a.template_indexes {
            cx.error_spanned_by(&index.keyword, "indexes belong on #[derive(Entity)]");
        }
    }
    if derive == Derive::Entity {
        if let Data::Struct(fields) = &cont.data {
            check_indexes(cx, cont, fields);
            check_templates(cx, cont, fields);
        }
    }
    if derive == Derive::Collection {
        if let Data::Enum(variants) = &cont.data {
            check_collection(cx, cont, variants);
        }
        return;
    }
    match &cont.data {
        Data::Struct(fields) => check_fields(cx, cont, fields, derive),
        Data::Enum(variants) if crate::check_enum::is_data_enum(cont, variants) => {
            crate::check_enum::check(cx, cont, variants)
        }
        Data::Enum(variants) => {
            for span in variants.iter().filter_map(|v| v.rename_all_span) {
                cx.syn_error(syn::Error::new(
                    span,
                    "`rename_all` on a variant names the fields of a struct variant; this enum has none",
                ));
            }
            for v in variants {
                if !matches!(v.original.fields, syn::Fields::Unit) {
                    cx.error_spanned_by(
                        &v.original.fields,
                        "only unit variants can be stored as a string; use a struct, or `#[dynamo(serde)]` on the field that holds this enum",
                    );
                }
            }
            let mut seen = HashMap::new();
            for v in variants {
                if let Some(first) = seen.insert(v.name.clone(), v.ident) {
                    cx.error_spanned_by(
                        v.ident,
                        format!(
                            "variants `{first}` and `{}` are both stored as \"{}\"",
                            v.ident, v.name
                        ),
                    );
                }
            }
        }
    }
}

fn check_fields(cx: &Ctxt, cont: &Container, fields: &[crate::ast::Field], derive: Derive) {
    crate::check_unique::check(cx, cont, fields, derive);
    let err_at = |span: Option<proc_macro2::Span>, message: &str| {
        cx.syn_error(syn::Error::new(
            span.unwrap_or_else(proc_macro2::Span::call_site),
            message,
        ))
    };
    let mut partition = Vec::new();
    let mut sort = Vec::new();
    let mut ttl = Vec::new();
    let mut version = Vec::new();
    let mut created = Vec::new();
    let mut updated = Vec::new();
    let mut extra = Vec::new();
    for f in fields {
        if f.is_extra() {
            extra.push(f);
            check_extra(cx, f, derive);
        }
        if f.attrs.version.is_set() {
            version.push(f);
        }
        if f.attrs.created_at.is_set() {
            created.push(f);
        }
        if f.attrs.updated_at.is_set() {
            updated.push(f);
        }
        let a = &f.attrs;
        if a.partition_key.is_set() {
            partition.push(f);
        }
        if a.sort_key.is_set() {
            sort.push(f);
        }
        if a.ttl.is_set() {
            ttl.push(f);
        }
        if a.key_only.is_set() && (derive != Derive::Entity || cont.keys.is_none()) {
            err_at(
                a.key_only.span(),
                "`key_only` belongs on a field of an entity with key templates (pk = \"...\")",
            );
        }
        if derive != Derive::Entity {
            for (attr, what) in [
                (&a.partition_key, "partition_key"),
                (&a.sort_key, "sort_key"),
                (&a.ttl, "ttl"),
            ] {
                if attr.is_set() {
                    err_at(
                        attr.span(),
                        &format!("`{what}` belongs on a field of a #[derive(Entity)] struct"),
                    );
                }
            }
        }
        if a.partition_key.is_set() && a.sort_key.is_set() {
            err_at(
                a.sort_key.span(),
                "a field cannot be both the partition key and the sort key",
            );
        }
        let is_key = a.partition_key.is_set() || a.sort_key.is_set();
        let managed: Vec<_> = [
            (a.version.span(), "version"),
            (a.created_at.span(), "created_at"),
            (a.updated_at.span(), "updated_at"),
        ]
        .into_iter()
        .filter(|(s, _)| s.is_some())
        .collect();
        if let Some((span, what)) = managed.first() {
            if is_key {
                err_at(
                    *span,
                    &format!("`{what}` is managed by dynamo-repo and cannot be a key"),
                );
            }
            if let Some((second, other)) = managed.get(1) {
                err_at(
                    *second,
                    &format!("a field cannot be both `{what}` and `{other}`"),
                );
            }
            for (set, option) in [
                (a.skip.is_set(), "skip"),
                (a.with.is_set(), "with"),
                (a.serde.is_set(), "serde"),
                (a.ttl.is_set(), "ttl"),
            ] {
                if set {
                    err_at(
                        *span,
                        &format!("`{what}` cannot be combined with `{option}`"),
                    );
                }
            }
        }
        if a.skip.is_set() {
            for (attr, what) in [
                (a.partition_key.span(), "partition_key"),
                (a.sort_key.span(), "sort_key"),
                (a.rename.span(), "rename"),
                (a.default.span(), "default"),
                (a.with.span(), "with"),
                (a.serde.span(), "serde"),
                (a.binary.span(), "binary"),
                (a.ttl.span(), "ttl"),
            ] {
                if attr.is_some() {
                    err_at(attr, &format!("`{what}` has no meaning on a skipped field"));
                }
            }
        }
        let conversions: Vec<_> = [
            (a.with.span(), "with"),
            (a.serde.span(), "serde"),
            (a.binary.span(), "binary"),
            (a.ttl.span(), "ttl"),
        ]
        .into_iter()
        .filter(|(s, _)| s.is_some())
        .collect();
        if conversions.len() > 1 {
            err_at(
                conversions[1].0,
                &format!(
                    "`{}` and `{}` both choose how the field is stored; keep one",
                    conversions[0].1, conversions[1].1
                ),
            );
        }
        if is_key {
            if a.default.is_set() {
                err_at(
                    a.default.span(),
                    "a key attribute is always present; `default` has no meaning on it",
                );
            }
            if let Some((span, what)) = conversions.first() {
                err_at(*span, &format!("`{what}` cannot be used on a key field; a key is a string, an integer or bytes"));
            }
        }
    }
    if derive == Derive::Entity && cont.keys.is_some() {
        for f in partition.iter().chain(&sort) {
            let span = f.attrs.partition_key.span().or(f.attrs.sort_key.span());
            err_at(
                span,
                "this entity's keys come from its pk = \"...\" / sk = \"...\" templates; remove the key marker from the field",
            );
        }
    }
    if derive == Derive::Entity {
        match partition.len() {
            0 if cont.keys.is_some() => {}
            0 => cx.error_spanned_by(
                cont.ident,
                "an entity needs a partition key: mark one field #[dynamo(partition_key)]",
            ),
            1 => {}
            _ => {
                for extra in &partition[1..] {
                    err_at(
                        extra.attrs.partition_key.span(),
                        &format!(
                            "only one field can be the partition key; `{}` already is",
                            partition[0].ident
                        ),
                    );
                }
            }
        }
        for extra in sort.iter().skip(1) {
            err_at(
                extra.attrs.sort_key.span(),
                &format!(
                    "only one field can be the sort key; `{}` already is",
                    sort[0].ident
                ),
            );
        }
        for (list, what) in [
            (&version, "version"),
            (&created, "created_at"),
            (&updated, "updated_at"),
        ] {
            for extra in list.iter().skip(1) {
                cx.error_spanned_by(
                    extra.ident,
                    format!(
                        "only one field can be `{what}`; `{}` already is",
                        list[0].ident
                    ),
                );
            }
        }
        for second in extra.iter().skip(1) {
            err_at(
                second.attrs.extra.span(),
                &format!(
                    "only one field can be `extra`; `{}` already holds the undeclared attributes",
                    extra[0].ident
                ),
            );
        }
        for extra in ttl.iter().skip(1) {
            err_at(
                extra.attrs.ttl.span(),
                &format!(
                    "only one field can be the TTL attribute; `{}` already is",
                    ttl[0].ident
                ),
            );
        }
        if !cont.attrs.table.is_set() {
            cx.error_spanned_by(
                cont.ident,
                "an entity needs a table: add #[dynamo(table = \"...\")]",
            );
        }
    }
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for f in fields.iter().filter(|f| f.own_attribute()) {
        if let Some(first) = seen.insert(&f.name, f.ident) {
            cx.error_spanned_by(
                f.original,
                format!(
                    "fields `{first}` and `{}` both map to the attribute \"{}\"",
                    f.ident, f.name
                ),
            );
        }
    }
}

/// `#[dynamo(extra)]` stands alone: it is no attribute of its own, so no
/// key, conversion or managed option applies to it.
fn check_extra(cx: &Ctxt, f: &crate::ast::Field, derive: Derive) {
    let span = f.attrs.extra.span().expect("set");
    let err = |message: String| cx.syn_error(syn::Error::new(span, message));
    if derive != Derive::Entity {
        err("`extra` belongs on a field of a #[derive(Entity)] struct".to_owned());
        return;
    }
    let a = &f.attrs;
    if a.partition_key.is_set() || a.sort_key.is_set() {
        err(
            "`extra` holds the attributes the entity does not declare; it cannot be a key"
                .to_owned(),
        );
    }
    for (set, option) in [
        (a.rename.is_set(), "rename"),
        (a.skip.is_set(), "skip"),
        (a.default.is_set(), "default"),
        (a.with.is_set(), "with"),
        (a.serde.is_set(), "serde"),
        (a.binary.is_set(), "binary"),
        (a.ttl.is_set(), "ttl"),
        (a.version.is_set(), "version"),
        (a.created_at.is_set(), "created_at"),
        (a.updated_at.is_set(), "updated_at"),
        (a.key_only.is_set(), "key_only"),
    ] {
        if set {
            err(format!("`extra` cannot be combined with `{option}`"));
        }
    }
}

/// A collection is an enum of newtype variants, one per entity type.
fn check_collection(cx: &Ctxt, cont: &Container, variants: &[crate::ast::Variant]) {
    let a = &cont.attrs;
    for span in [a.table.span(), a.rename_all.span(), a.entity.span()]
        .into_iter()
        .flatten()
    {
        cx.syn_error(syn::Error::new(span, "a collection takes no options"));
    }
    if variants.is_empty() {
        cx.error_spanned_by(cont.ident, "a collection needs at least one variant");
    }
    for v in variants {
        match &v.original.fields {
            syn::Fields::Unnamed(u) if u.unnamed.len() == 1 => {}
            other => cx.error_spanned_by(
                if matches!(other, syn::Fields::Unit) {
                    v.ident.to_token_stream()
                } else {
                    other.to_token_stream()
                },
                format!(
                    "each variant of a collection holds one entity: `{}(MyEntity)`",
                    v.ident
                ),
            ),
        }
        for attr in v
            .original
            .attrs
            .iter()
            .filter(|a| a.path().is_ident(crate::attr::DYNAMO))
        {
            cx.error_spanned_by(attr, "a collection's variants take no options");
        }
    }
}

/// Table and index names as DynamoDB's `CreateTable` accepts them: 3 to 255
/// characters of `a-z A-Z 0-9 _ - .`.
fn check_names(cx: &Ctxt, cont: &Container) {
    let check = |what: &str, lit: &syn::LitStr| {
        let name = lit.value();
        if name.is_empty() {
            return; // reported where it is parsed
        }
        let bad: Vec<char> = name
            .chars()
            .filter(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .collect();
        if !bad.is_empty() {
            cx.error_spanned_by(
                lit,
                format!(
                    "DynamoDB {what} names use only a-z, A-Z, 0-9, `_`, `-` and `.`; \"{name}\" has {:?}",
                    bad.iter().collect::<String>()
                ),
            );
        } else if !(3..=255).contains(&name.len()) {
            cx.error_spanned_by(
                lit,
                format!(
                    "DynamoDB {what} names have 3 to 255 characters; \"{name}\" has {}",
                    name.len()
                ),
            );
        }
    };
    if let Some(table) = cont.attrs.table.get() {
        check("table", table);
    }
    for name in cont.attrs.indexes.iter().filter_map(|i| i.name.as_ref()) {
        check("index", name);
    }
    for name in cont
        .attrs
        .template_indexes
        .iter()
        .filter_map(|i| i.name.as_ref())
    {
        check("index", name);
    }
}
