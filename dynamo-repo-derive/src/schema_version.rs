//! Versioned items: parses and checks `schema_version = N`,
//! `upgrade(from = v, with = function)`, `schema_version_attribute = "..."`
//! and `oldest_schema_version = v` on an entity. A missing step of the
//! upgrade chain is a compile error here.

use crate::ast::{Container, Data, Derive};
use crate::attr::{
    FROM, OLDEST_SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION_ATTRIBUTE, UPGRADE, UPGRADE_WITH,
};
use crate::ctxt::Ctxt;
use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{LitInt, LitStr};

/// The default attribute; keep in step with `dynamo_repo::schema_version::DEFAULT_ATTRIBUTE`.
pub const DEFAULT_ATTRIBUTE: &str = "_schema_version";

#[derive(Default)]
pub struct SchemaVersionAttr {
    pub current: Option<(u32, Span)>,
    pub oldest: Option<(u32, Span)>,
    pub attribute: Option<LitStr>,
    pub upgrades: Vec<UpgradeAttr>,
}

/// `upgrade(from = 1, with = v1_to_v2)`.
pub struct UpgradeAttr {
    pub keyword: Span,
    pub from: Option<(u32, Span)>,
    pub with: Option<syn::Path>,
}

impl SchemaVersionAttr {
    /// Whether any of the options is given.
    pub fn is_set(&self) -> bool {
        self.current.is_some()
            || self.oldest.is_some()
            || self.attribute.is_some()
            || !self.upgrades.is_empty()
    }

    /// The stored attribute name.
    pub fn attribute_name(&self) -> String {
        self.attribute
            .as_ref()
            .map_or_else(|| DEFAULT_ATTRIBUTE.to_owned(), LitStr::value)
    }

    /// The oldest version upgraded (1 unless `oldest_schema_version` is set).
    pub fn oldest_version(&self) -> u32 {
        self.oldest.map_or(1, |(v, _)| v)
    }

    /// The upgrade functions from `oldest` to `current - 1`, in order (after
    /// [`check`] passed).
    pub fn chain(&self) -> Vec<&syn::Path> {
        let Some((current, _)) = self.current else {
            return Vec::new();
        };
        (self.oldest_version()..current)
            .filter_map(|from| {
                self.upgrades
                    .iter()
                    .find(|u| u.from.map(|(f, _)| f) == Some(from))
                    .and_then(|u| u.with.as_ref())
            })
            .collect()
    }
}

fn version(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<(u32, Span)> {
    let lit: LitInt = meta.value()?.parse()?;
    match lit.base10_parse::<u32>() {
        Ok(v) if v >= 1 => Ok((v, lit.span())),
        _ => {
            cx.error_spanned_by(&lit, "a schema version is a whole number from 1");
            Ok((1, lit.span()))
        }
    }
}

fn once<T>(cx: &Ctxt, meta: &ParseNestedMeta, slot: &mut Option<T>, value: T) {
    if slot.is_some() {
        cx.error_spanned_by(&meta.path, "this dynamo option is given twice");
    }
    *slot = Some(value);
}

/// Parses one container option if it is one of these; `Ok(false)` otherwise.
pub fn parse(cx: &Ctxt, meta: &ParseNestedMeta, attr: &mut SchemaVersionAttr) -> syn::Result<bool> {
    if meta.path.is_ident(SCHEMA_VERSION) {
        // #[dynamo(schema_version = 3)]
        let v = version(cx, meta)?;
        once(cx, meta, &mut attr.current, v);
    } else if meta.path.is_ident(OLDEST_SCHEMA_VERSION) {
        // #[dynamo(oldest_schema_version = 2)]
        let v = version(cx, meta)?;
        once(cx, meta, &mut attr.oldest, v);
    } else if meta.path.is_ident(SCHEMA_VERSION_ATTRIBUTE) {
        // #[dynamo(schema_version_attribute = "_v")]
        let lit: LitStr = meta.value()?.parse()?;
        if lit.value().is_empty() {
            cx.error_spanned_by(&lit, "an attribute name cannot be empty");
        }
        once(cx, meta, &mut attr.attribute, lit);
    } else if meta.path.is_ident(UPGRADE) {
        // #[dynamo(upgrade(from = 1, with = v1_to_v2))] or with = "v1_to_v2"
        let mut upgrade = UpgradeAttr {
            keyword: meta.path.span(),
            from: None,
            with: None,
        };
        meta.parse_nested_meta(|inner| {
            if inner.path.is_ident(FROM) {
                let v = version(cx, &inner)?;
                once(cx, &inner, &mut upgrade.from, v);
            } else if inner.path.is_ident(UPGRADE_WITH) {
                let value = inner.value()?;
                let path = if value.peek(LitStr) {
                    value.parse::<LitStr>()?.parse::<syn::Path>()?
                } else {
                    value.parse::<syn::Path>()?
                };
                once(cx, &inner, &mut upgrade.with, path);
            } else {
                cx.error_spanned_by(
                    &inner.path,
                    "unknown upgrade option; expected `from = <version>` and `with = <function>`",
                );
                if inner.input.peek(syn::Token![=]) {
                    inner.value()?.parse::<syn::Expr>()?;
                }
            }
            Ok(())
        })?;
        attr.upgrades.push(upgrade);
    } else {
        return Ok(false);
    }
    Ok(true)
}

/// The chain is whole (one upgrade from each version `oldest..current`),
/// each upgrade names its step and function, and the attribute is free.
pub fn check(cx: &Ctxt, cont: &Container, derive: Derive) {
    let attr = &cont.attrs.schema_version;
    if !attr.is_set() {
        return;
    }
    let anchor = attr
        .current
        .map(|(_, s)| s)
        .or(attr.oldest.map(|(_, s)| s))
        .or(attr.attribute.as_ref().map(LitStr::span))
        .or(attr.upgrades.first().map(|u| u.keyword))
        .unwrap_or_else(Span::call_site);
    if derive != Derive::Entity {
        cx.syn_error(syn::Error::new(
            anchor,
            "`schema_version` and `upgrade` belong on #[derive(Entity)]: they version stored items",
        ));
        return;
    }
    let Some((current, current_span)) = attr.current else {
        cx.syn_error(syn::Error::new(
            anchor,
            "`upgrade`, `oldest_schema_version` and `schema_version_attribute` need `schema_version = N`",
        ));
        return;
    };
    let oldest = attr.oldest_version();
    if let Some((v, span)) = attr.oldest {
        if v > current {
            cx.syn_error(syn::Error::new(
                span,
                format!("oldest_schema_version = {v} is above schema_version = {current}"),
            ));
            return;
        }
    }
    let mut seen: Vec<u32> = Vec::new();
    for upgrade in &attr.upgrades {
        if upgrade.with.is_none() {
            cx.syn_error(syn::Error::new(
                upgrade.keyword,
                "an upgrade names its function: upgrade(from = 1, with = v1_to_v2)",
            ));
        }
        let Some((from, span)) = upgrade.from else {
            cx.syn_error(syn::Error::new(
                upgrade.keyword,
                "an upgrade names the version it upgrades: upgrade(from = 1, with = v1_to_v2)",
            ));
            continue;
        };
        if from >= current || from < oldest {
            cx.syn_error(syn::Error::new(
                span,
                format!(
                    "no item of version {from} is upgraded: this entity upgrades versions {oldest} to {} (schema_version = {current}{})",
                    current.saturating_sub(1).max(oldest),
                    if oldest > 1 { format!(", oldest_schema_version = {oldest}") } else { String::new() },
                ),
            ));
        } else if seen.contains(&from) {
            cx.syn_error(syn::Error::new(
                span,
                format!("two upgrades from version {from}"),
            ));
        }
        seen.push(from);
    }
    for from in oldest..current {
        if !seen.contains(&from) {
            cx.syn_error(syn::Error::new(
                current_span,
                format!(
                    "missing upgrade from schema version {from} to {}: add upgrade(from = {from}, with = <fn(Item) -> Result<Item, DecodeError>>), or oldest_schema_version = {} once no item of version {from} is stored",
                    from + 1,
                    from + 1,
                ),
            ));
        }
    }
    let name = attr.attribute_name();
    if let Data::Struct(fields) = &cont.data {
        if let Some(f) = fields.iter().find(|f| f.own_attribute() && f.name == name) {
            cx.error_spanned_by(
                f.ident,
                format!("field `{}` is stored as `{name}`, the attribute of the schema version; rename one (schema_version_attribute = \"...\")", f.ident),
            );
        }
    }
    let taken = [
        cont.keys.as_ref().map(|k| k.pk_attribute.clone()),
        cont.keys.as_ref().map(|k| k.sk_attribute.clone()),
        cont.attrs.type_attribute.get().map(LitStr::value),
    ];
    if taken.iter().flatten().any(|t| *t == name)
        || (cont.keys.is_some() || cont.attrs.entity_type.is_set())
            && cont.attrs.type_attribute.get().is_none()
            && name == crate::expand::DEFAULT_TYPE_ATTRIBUTE
    {
        cx.syn_error(syn::Error::new(
            attr.attribute.as_ref().map_or(current_span, LitStr::span),
            format!("`{name}` is already a key or type attribute of this entity"),
        ));
    }
}
