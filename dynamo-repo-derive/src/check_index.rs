//! Checks of the secondary indexes and key templates of an entity: index
//! names, counts and keys, and what a template may reference.

use crate::ast::Container;
use crate::ctxt::Ctxt;
use std::collections::HashMap;

pub fn check_indexes(cx: &Ctxt, cont: &Container, fields: &[crate::ast::Field]) {
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
pub fn check_templates(cx: &Ctxt, cont: &Container, fields: &[crate::ast::Field]) {
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
