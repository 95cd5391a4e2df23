//! Parses `#[dynamo(...)]` attributes on containers, fields and variants.
//! Unknown and repeated options are errors pointing at the option.

use crate::case::{RenameRule, RULE_NAMES};
use crate::ctxt::Ctxt;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

// The option names, in one place.
pub const DYNAMO: &str = "dynamo";
const TABLE: &str = "table";
const RENAME_ALL: &str = "rename_all";
const RENAME: &str = "rename";
const PARTITION_KEY: &str = "partition_key";
const SORT_KEY: &str = "sort_key";
const SKIP: &str = "skip";
const DEFAULT: &str = "default";
const WITH: &str = "with";
const SERDE: &str = "serde";
const BINARY: &str = "binary";
const TTL: &str = "ttl";

/// An option given once, with the span of where it was given.
pub struct Attr<T> {
    value: Option<(T, proc_macro2::Span)>,
    name: &'static str,
}

impl<T> Attr<T> {
    fn none(name: &'static str) -> Self {
        Attr { value: None, name }
    }

    fn set(&mut self, cx: &Ctxt, meta: &ParseNestedMeta, value: T) {
        if self.value.is_some() {
            cx.error_spanned_by(
                &meta.path,
                format!("duplicate dynamo option `{}`", self.name),
            );
        } else {
            self.value = Some((value, meta.path.span()));
        }
    }

    pub fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(v, _)| v)
    }

    pub fn span(&self) -> Option<proc_macro2::Span> {
        self.value.as_ref().map(|(_, s)| *s)
    }

    pub fn is_set(&self) -> bool {
        self.value.is_some()
    }
}

/// Options on the struct or enum.
pub struct Container {
    pub table: Attr<LitStr>,
    pub rename_all: Attr<RenameRule>,
}

/// Options on one field.
pub struct Field {
    pub rename: Attr<LitStr>,
    pub partition_key: Attr<()>,
    pub sort_key: Attr<()>,
    pub skip: Attr<()>,
    pub default: Attr<()>,
    pub with: Attr<syn::Path>,
    pub serde: Attr<()>,
    pub binary: Attr<()>,
    pub ttl: Attr<()>,
}

/// Options on one enum variant.
pub struct Variant {
    pub rename: Attr<LitStr>,
}

fn unknown(cx: &Ctxt, meta: &ParseNestedMeta, allowed: &[&str]) {
    let name = meta
        .path
        .get_ident()
        .map(|i| i.to_string())
        .unwrap_or_default();
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown dynamo option `{name}`; expected one of: {}",
            allowed.join(", ")
        ),
    );
    // Skip a value so parsing can go on to the next option.
    if meta.input.peek(syn::Token![=]) {
        let _ = meta.value().and_then(|v| v.parse::<syn::Expr>());
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.parse_nested_meta(|inner| {
            if inner.input.peek(syn::Token![=]) {
                inner.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
    }
}

fn each_option(
    cx: &Ctxt,
    attrs: &[Attribute],
    mut f: impl FnMut(&ParseNestedMeta) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident(DYNAMO)) {
        if let Err(err) = attr.parse_nested_meta(|meta| f(&meta)) {
            cx.syn_error(err);
        }
    }
}

impl Container {
    pub fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut c = Container {
            table: Attr::none(TABLE),
            rename_all: Attr::none(RENAME_ALL),
        };
        each_option(cx, attrs, |meta| {
            if meta.path.is_ident(TABLE) {
                // #[dynamo(table = "users")]
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().is_empty() {
                    cx.error_spanned_by(&lit, "the table name cannot be empty");
                }
                c.table.set(cx, meta, lit);
            } else if meta.path.is_ident(RENAME_ALL) {
                // #[dynamo(rename_all = "camelCase")]
                let lit: LitStr = meta.value()?.parse()?;
                match RenameRule::from_str(&lit.value()) {
                    Some(rule) => c.rename_all.set(cx, meta, rule),
                    None => {
                        let names: Vec<&str> = RULE_NAMES.iter().map(|(n, _)| *n).collect();
                        cx.error_spanned_by(
                            &lit,
                            format!(
                                "unknown rename_all rule; expected one of: {}",
                                names.join(", ")
                            ),
                        )
                    }
                }
            } else {
                unknown(cx, meta, &[TABLE, RENAME_ALL]);
            }
            Ok(())
        });
        c
    }
}

impl Field {
    pub fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut f = Field {
            rename: Attr::none(RENAME),
            partition_key: Attr::none(PARTITION_KEY),
            sort_key: Attr::none(SORT_KEY),
            skip: Attr::none(SKIP),
            default: Attr::none(DEFAULT),
            with: Attr::none(WITH),
            serde: Attr::none(SERDE),
            binary: Attr::none(BINARY),
            ttl: Attr::none(TTL),
        };
        each_option(cx, attrs, |meta| {
            if meta.path.is_ident(RENAME) {
                // #[dynamo(rename = "mail")]
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().is_empty() {
                    cx.error_spanned_by(&lit, "an attribute name cannot be empty");
                }
                f.rename.set(cx, meta, lit);
            } else if meta.path.is_ident(PARTITION_KEY) {
                // #[dynamo(partition_key)]
                f.partition_key.set(cx, meta, ());
            } else if meta.path.is_ident(SORT_KEY) {
                // #[dynamo(sort_key)]
                f.sort_key.set(cx, meta, ());
            } else if meta.path.is_ident(SKIP) {
                // #[dynamo(skip)]
                f.skip.set(cx, meta, ());
            } else if meta.path.is_ident(DEFAULT) {
                // #[dynamo(default)]
                f.default.set(cx, meta, ());
            } else if meta.path.is_ident(WITH) {
                // #[dynamo(with = my_module)] or #[dynamo(with = "my_module")]
                let value = meta.value()?;
                let path = if value.peek(LitStr) {
                    value.parse::<LitStr>()?.parse::<syn::Path>()?
                } else {
                    value.parse::<syn::Path>()?
                };
                f.with.set(cx, meta, path);
            } else if meta.path.is_ident(SERDE) {
                // #[dynamo(serde)]
                f.serde.set(cx, meta, ());
            } else if meta.path.is_ident(BINARY) {
                // #[dynamo(binary)]
                f.binary.set(cx, meta, ());
            } else if meta.path.is_ident(TTL) {
                // #[dynamo(ttl)]
                f.ttl.set(cx, meta, ());
            } else {
                unknown(
                    cx,
                    meta,
                    &[
                        RENAME,
                        PARTITION_KEY,
                        SORT_KEY,
                        SKIP,
                        DEFAULT,
                        WITH,
                        SERDE,
                        BINARY,
                        TTL,
                    ],
                );
            }
            Ok(())
        });
        f
    }
}

impl Variant {
    pub fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut v = Variant {
            rename: Attr::none(RENAME),
        };
        each_option(cx, attrs, |meta| {
            if meta.path.is_ident(RENAME) {
                // #[dynamo(rename = "on-hold")]
                let lit: LitStr = meta.value()?.parse()?;
                v.rename.set(cx, meta, lit);
            } else {
                unknown(cx, meta, &[RENAME]);
            }
            Ok(())
        });
        v
    }
}
