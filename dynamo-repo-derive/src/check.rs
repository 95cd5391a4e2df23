//! Checks across fields and options, once the model is built.

use crate::ast::{Container, Data, Derive};
use crate::ctxt::Ctxt;
use std::collections::HashMap;

pub fn check(cx: &Ctxt, cont: &Container, derive: Derive) {
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
        (_, Some(span)) => cx.syn_error(syn::Error::new(
            span,
            "`entity` belongs on #[derive(Projection)]",
        )),
    }
    if derive == Derive::Entity {
        if let Data::Struct(fields) = &cont.data {
            check_indexes(cx, cont, fields);
        }
    }
    match &cont.data {
        Data::Struct(fields) => check_fields(cx, cont, fields, derive),
        Data::Enum(variants) => {
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
    for f in fields {
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
    if derive == Derive::Entity {
        match partition.len() {
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
    for f in fields.iter().filter(|f| f.stored()) {
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

fn check_indexes(cx: &Ctxt, cont: &Container, fields: &[crate::ast::Field]) {
    use crate::attr::{IndexKind, ProjectionAttr};
    let has_sort_key = fields.iter().any(|f| f.attrs.sort_key.is_set());
    let stored = |ident: &syn::Ident| fields.iter().any(|f| f.ident == ident && f.stored());
    let mut names: HashMap<String, ()> = HashMap::new();
    let (mut global, mut local) = (0, 0);
    for index in &cont.attrs.indexes {
        match index.kind {
            IndexKind::Global => global += 1,
            IndexKind::Local => local += 1,
        }
        if let Some(name) = &index.name {
            if names.insert(name.value(), ()).is_some() {
                cx.error_spanned_by(name, format!("two indexes are named \"{}\"", name.value()));
            }
        }
        if index.kind == IndexKind::Local && !has_sort_key {
            cx.error_spanned_by(
                &index.keyword,
                "DynamoDB allows local indexes only on tables with a sort key",
            );
        }
        for ident in index.partition_key.iter().chain(index.sort_key.iter()) {
            if !stored(ident) {
                cx.error_spanned_by(
                    ident,
                    format!("no stored field `{ident}` to use as an index key"),
                );
            }
        }
        if let ProjectionAttr::Include(included) = &index.projection {
            for ident in included {
                if !stored(ident) {
                    cx.error_spanned_by(
                        ident,
                        format!("no stored field `{ident}` to include in the index"),
                    );
                }
            }
        }
    }
    if global > 20 {
        cx.error_spanned_by(
            cont.ident,
            "DynamoDB allows at most 20 global secondary indexes per table",
        );
    }
    if local > 5 {
        cx.error_spanned_by(
            cont.ident,
            "DynamoDB allows at most 5 local secondary indexes per table",
        );
    }
}
