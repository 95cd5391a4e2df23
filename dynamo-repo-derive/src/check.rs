//! Checks across fields and options, once the model is built.

use crate::ast::{Container, Data, Derive};
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

fn check_indexes(cx: &Ctxt, cont: &Container, fields: &[crate::ast::Field]) {
    use crate::attr::{IndexKind, ProjectionAttr};
    let has_sort_key = fields.iter().any(|f| f.attrs.sort_key.is_set())
        || cont.keys.as_ref().is_some_and(|k| k.sk.is_some());
    let stored = |ident: &syn::Ident| fields.iter().any(|f| f.ident == ident && f.own_attribute());
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
        crate::index_keys::check_index_keys(cx, index);
        for ident in crate::index_keys::key_fields(index) {
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
    for index in &cont.template_indexes {
        global += 1;
        if names.insert(index.name.value(), ()).is_some() {
            cx.error_spanned_by(
                &index.name,
                format!("two indexes are named \"{}\"", index.name.value()),
            );
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

/// Key templates: placeholders name stored fields, the primary key varies,
/// and no two attributes collide.
fn check_templates(cx: &Ctxt, cont: &Container, fields: &[crate::ast::Field]) {
    use crate::template::Template;
    let a = &cont.attrs;
    if cont.keys.is_none() {
        for (attr, what) in [
            (&a.sk, "sk = \"...\""),
            (&a.pk_attribute, "pk_attribute"),
            (&a.sk_attribute, "sk_attribute"),
        ] {
            if let Some(span) = attr.span() {
                cx.syn_error(syn::Error::new(
                    span,
                    format!("`{what}` needs a partition key template: pk = \"...\""),
                ));
            }
        }
        if a.type_attribute.is_set() && !a.entity_type.is_set() {
            cx.syn_error(syn::Error::new(
                a.type_attribute.span().expect("set"),
                "`type_attribute` needs an entity type: entity = \"...\" (or key templates)",
            ));
        }
    } else if a.sk_attribute.is_set() && !a.sk.is_set() {
        cx.syn_error(syn::Error::new(
            a.sk_attribute.span().expect("set"),
            "`sk_attribute` needs a sort key template: sk = \"...\"",
        ));
    }
    if cont.keys.is_none() && !a.entity_type.is_set() {
        for index in &a.template_indexes {
            cx.error_spanned_by(
                &index.keyword,
                "template indexes belong on single-table entities: declare pk = \"...\" or entity = \"...\"",
            );
        }
    }
    check_key_only(cx, cont, fields);
    let check_unambiguous = |template: &Template| {
        if template.ok {
            for message in template.ambiguities() {
                cx.error_spanned_by(&template.lit, message);
            }
        }
    };
    let check_placeholders = |template: &Template| {
        check_unambiguous(template);
        for name in template.fields() {
            match fields.iter().find(|f| f.ident == name) {
                None => cx.error_spanned_by(
                    &template.lit,
                    format!("no field `{name}` in `{}` for the placeholder `{{{name}}}`", cont.ident),
                ),
                Some(f) if f.is_extra() => cx.error_spanned_by(
                    &template.lit,
                    format!("field `{name}` holds the attributes the entity does not declare, so it cannot be a key placeholder"),
                ),
                Some(f) if !f.stored() => cx.error_spanned_by(
                    &template.lit,
                    format!("field `{name}` is skipped, so the placeholder `{{{name}}}` could not be read back"),
                ),
                Some(_) => {}
            }
        }
    };
    // A table key is always present, so it cannot be built from an optional
    // field; an index key can (the item is then absent from the index).
    let check_required = |template: &Template| {
        for name in template.fields() {
            if let Some(f) = fields.iter().find(|f| f.ident == name) {
                if f.option_inner().is_some() {
                    cx.error_spanned_by(
                        &template.lit,
                        format!("field `{name}` is an Option, but every item has a table key; only an index key template (gsi1(...)) can use an optional field, which makes the index sparse"),
                    );
                }
            }
        }
    };
    let mut written: Vec<(String, &syn::LitStr)> = Vec::new();
    if let Some(keys) = &cont.keys {
        check_placeholders(&keys.pk);
        check_required(&keys.pk);
        if let Some(sk) = &keys.sk {
            check_placeholders(sk);
            check_required(sk);
        }
        let varies =
            keys.pk.has_placeholder() || keys.sk.as_ref().is_some_and(|s| s.has_placeholder());
        if keys.pk.ok && keys.sk.as_ref().is_none_or(|s| s.ok) && !varies {
            cx.error_spanned_by(
                keys.sk.as_ref().map_or(&keys.pk.lit, |s| &s.lit),
                format!(
                    "this key template has no placeholder, so every `{}` would have the same primary key; add one such as `{{id}}`",
                    cont.ident
                ),
            );
        }
        written.push((keys.pk_attribute.clone(), &keys.pk.lit));
        if let Some(sk) = &keys.sk {
            written.push((keys.sk_attribute.clone(), &sk.lit));
        }
    }
    for index in &cont.template_indexes {
        check_placeholders(&index.pk);
        written.push((index.pk_attribute.clone(), &index.pk.lit));
        if let Some(sk) = &index.sk {
            check_placeholders(sk);
            written.push((index.sk_attribute.clone(), &sk.lit));
        }
    }
    let typed = cont.keys.is_some() || a.entity_type.is_set();
    let type_attribute = a.type_attribute.get().map_or_else(
        || crate::expand::DEFAULT_TYPE_ATTRIBUTE.to_owned(),
        |l| l.value(),
    );
    for (i, (name, lit)) in written.iter().enumerate() {
        if written[..i].iter().any(|(n, _)| n == name) || (typed && *name == type_attribute) {
            cx.error_spanned_by(
                lit,
                format!("the attribute \"{name}\" is written twice; give this key its own attribute name"),
            );
        }
    }
    for f in fields.iter().filter(|f| f.own_attribute()) {
        if let Some((name, _)) = written.iter().find(|(n, _)| *n == f.name) {
            cx.error_spanned_by(
                f.original,
                format!("field `{}` is stored as \"{name}\", which a key template writes; rename the field or the key attribute", f.ident),
            );
        } else if typed && f.name == type_attribute {
            cx.error_spanned_by(
                f.original,
                format!("field `{}` is stored as \"{type_attribute}\", where the entity type is written; rename the field or set type_attribute", f.ident),
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

/// `#[dynamo(key_only)]` fields are read back by parsing the table key, so
/// they must be in it (every template parses back: see `Template::ambiguities`).
fn check_key_only(cx: &Ctxt, cont: &Container, fields: &[crate::ast::Field]) {
    if cont.keys.is_none() {
        return; // reported with the field: no key template to read from
    }
    let table_templates: Vec<&crate::template::Template> = cont
        .keys
        .iter()
        .flat_map(|k| std::iter::once(&k.pk).chain(k.sk.as_ref()))
        .collect();
    for f in fields.iter().filter(|f| f.attrs.key_only.is_set()) {
        let span = f.attrs.key_only.span().expect("set");
        let err = |message: String| cx.syn_error(syn::Error::new(span, message));
        let a = &f.attrs;
        for (set, option) in [
            (a.skip.is_set(), "skip"),
            (a.rename.is_set(), "rename"),
            (a.default.is_set(), "default"),
            (a.with.is_set(), "with"),
            (a.serde.is_set(), "serde"),
            (a.binary.is_set(), "binary"),
            (a.ttl.is_set(), "ttl"),
            (a.version.is_set(), "version"),
            (a.created_at.is_set(), "created_at"),
            (a.updated_at.is_set(), "updated_at"),
        ] {
            if set {
                err(format!("`key_only` cannot be combined with `{option}`"));
            }
        }
        let name = f.ident.to_string();
        // That the template parses back is checked for every template.
        if !table_templates
            .iter()
            .any(|t| t.fields().contains(&name.as_str()))
        {
            err(format!(
                "`key_only` keeps `{name}` only inside the table key, so it must be a placeholder of pk = \"...\" or sk = \"...\""
            ));
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
