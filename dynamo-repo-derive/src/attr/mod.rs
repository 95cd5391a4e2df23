//! Parses `#[dynamo(...)]` attributes on containers, fields and variants.
//! Unknown and repeated options are errors pointing at the option.

use crate::case::{RenameRule, RULE_NAMES};
use crate::ctxt::Ctxt;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

mod index;

use index::{gsi_number, parse_index, parse_template_index};
pub use index::{IndexAttr, IndexKind, ProjectionAttr, TemplateIndexAttr};

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
const STREAM: &str = "stream";
const GSI: &str = "gsi";
const LSI: &str = "lsi";
const NAME: &str = "name";
const PROJECTION: &str = "projection";
const INCLUDE: &str = "include";
const ENTITY: &str = "entity";
const VERSION: &str = "version";
const CREATED_AT: &str = "created_at";
const UPDATED_AT: &str = "updated_at";
const KEY_ONLY: &str = "key_only";
const EXTRA: &str = "extra";
const UNIQUE: &str = "unique";
const PK: &str = "pk";
const SK: &str = "sk";
const PK_ATTRIBUTE: &str = "pk_attribute";
const SK_ATTRIBUTE: &str = "sk_attribute";
const TYPE_ATTRIBUTE: &str = "type_attribute";
const TAG: &str = "tag";
const CONTENT: &str = "content";
// Versioned items, parsed in `schema_version.rs`.
pub const SCHEMA_VERSION: &str = "schema_version";
pub const SCHEMA_VERSION_ATTRIBUTE: &str = "schema_version_attribute";
pub const OLDEST_SCHEMA_VERSION: &str = "oldest_schema_version";
pub const UPGRADE: &str = "upgrade";
pub const FROM: &str = "from";
pub const UPGRADE_WITH: &str = "with";
/// `gsi1(...)`, `gsi2(...)`, ...: a template-keyed global index.
const GSI_N: &str = "gsiN";

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
    /// `#[dynamo(stream = "new_and_old_images")]`: the table's stream view type.
    pub stream: Attr<StreamView>,
    pub rename_all: Attr<RenameRule>,
    pub indexes: Vec<IndexAttr>,
    /// `#[dynamo(entity = User)]` on a projection.
    pub entity: Attr<syn::Path>,
    /// `#[dynamo(entity = "user")]` on an entity: its stored type name.
    pub entity_type: Attr<LitStr>,
    /// `#[dynamo(pk = "ORG#{org_id}")]`: the partition key template.
    pub pk: Attr<LitStr>,
    /// `#[dynamo(sk = "USER#{user_id}")]`: the sort key template.
    pub sk: Attr<LitStr>,
    /// `#[dynamo(pk_attribute = "PK")]`: where the partition key is stored.
    pub pk_attribute: Attr<LitStr>,
    /// `#[dynamo(sk_attribute = "SK")]`: where the sort key is stored.
    pub sk_attribute: Attr<LitStr>,
    /// `#[dynamo(type_attribute = "_type")]`: where the entity type is stored.
    pub type_attribute: Attr<LitStr>,
    /// `gsi1(...)`, `gsi2(...)`: template-keyed global indexes.
    pub template_indexes: Vec<TemplateIndexAttr>,
    /// `#[dynamo(tag = "type")]` on an enum with data: the tag attribute.
    pub tag: Attr<LitStr>,
    /// `#[dynamo(content = "value")]`: adjacent tagging's content attribute.
    pub content: Attr<LitStr>,
    /// `schema_version = N`, `upgrade(...)` and their options.
    pub schema_version: crate::schema_version::SchemaVersionAttr,
}

fn non_empty(cx: &Ctxt, lit: LitStr) -> LitStr {
    if lit.value().is_empty() {
        cx.error_spanned_by(&lit, "an attribute name cannot be empty");
    }
    lit
}

/// What a table's stream records of each change (`StreamViewType`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum StreamView {
    KeysOnly,
    NewImage,
    OldImage,
    NewAndOldImages,
}

impl StreamView {
    pub const NAMES: [&'static str; 4] =
        ["keys_only", "new_image", "old_image", "new_and_old_images"];

    fn from_str(s: &str) -> Option<Self> {
        Some(match s {
            "keys_only" => StreamView::KeysOnly,
            "new_image" => StreamView::NewImage,
            "old_image" => StreamView::OldImage,
            "new_and_old_images" => StreamView::NewAndOldImages,
            _ => return None,
        })
    }
}

fn parse_ident_value(meta: &ParseNestedMeta) -> syn::Result<syn::Ident> {
    let value = meta.value()?;
    if value.peek(LitStr) {
        value.parse::<LitStr>()?.parse()
    } else {
        value.parse()
    }
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
    pub version: Attr<()>,
    pub created_at: Attr<()>,
    pub updated_at: Attr<()>,
    /// `#[dynamo(key_only)]`: stored only inside the key template.
    pub key_only: Attr<()>,
    /// `#[dynamo(extra)]`: holds the attributes the entity does not declare.
    pub extra: Attr<()>,
    /// `#[dynamo(unique)]`: no two items share the value (marker items).
    pub unique: Attr<()>,
}

/// Options on one enum variant.
pub struct Variant {
    pub rename: Attr<LitStr>,
    /// `#[dynamo(rename_all = "camelCase")]` on a struct variant: how its
    /// fields are stored.
    pub rename_all: Attr<RenameRule>,
}

/// `rename_all = "camelCase"`, on the container or a struct variant.
fn parse_rename_all(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    into: &mut Attr<RenameRule>,
) -> syn::Result<()> {
    let lit: LitStr = meta.value()?.parse()?;
    match RenameRule::from_str(&lit.value()) {
        Some(rule) => into.set(cx, meta, rule),
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
    Ok(())
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
            stream: Attr::none(STREAM),
            rename_all: Attr::none(RENAME_ALL),
            indexes: Vec::new(),
            entity: Attr::none(ENTITY),
            entity_type: Attr::none(ENTITY),
            pk: Attr::none(PK),
            sk: Attr::none(SK),
            pk_attribute: Attr::none(PK_ATTRIBUTE),
            sk_attribute: Attr::none(SK_ATTRIBUTE),
            type_attribute: Attr::none(TYPE_ATTRIBUTE),
            template_indexes: Vec::new(),
            tag: Attr::none(TAG),
            content: Attr::none(CONTENT),
            schema_version: Default::default(),
        };
        each_option(cx, attrs, |meta| {
            if meta.path.is_ident(TABLE) {
                // #[dynamo(table = "users")]
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().is_empty() {
                    cx.error_spanned_by(&lit, "the table name cannot be empty");
                }
                c.table.set(cx, meta, lit);
            } else if meta.path.is_ident(STREAM) {
                // #[dynamo(stream = "new_and_old_images")]
                let lit: LitStr = meta.value()?.parse()?;
                match StreamView::from_str(&lit.value()) {
                    Some(view) => c.stream.set(cx, meta, view),
                    None => cx.error_spanned_by(
                        &lit,
                        format!(
                            "unknown stream view type; expected one of: {}",
                            StreamView::NAMES.join(", ")
                        ),
                    ),
                }
            } else if meta.path.is_ident(RENAME_ALL) {
                // #[dynamo(rename_all = "camelCase")]
                parse_rename_all(cx, meta, &mut c.rename_all)?;
            } else if meta.path.is_ident(GSI) {
                // #[dynamo(gsi(name = "by_email", partition_key = email, sort_key = created))]
                c.indexes.push(parse_index(cx, meta, IndexKind::Global)?);
            } else if meta.path.is_ident(LSI) {
                // #[dynamo(lsi(name = "by_total", sort_key = total))]
                c.indexes.push(parse_index(cx, meta, IndexKind::Local)?);
            } else if meta.path.is_ident(ENTITY) {
                let value = meta.value()?;
                if value.peek(LitStr) {
                    // #[dynamo(entity = "user")] on a #[derive(Entity)]
                    let lit: LitStr = value.parse()?;
                    if lit.value().is_empty() {
                        cx.error_spanned_by(&lit, "an entity type cannot be empty");
                    }
                    c.entity_type.set(cx, meta, lit);
                } else {
                    // #[dynamo(entity = User)] on a #[derive(Projection)]
                    let path: syn::Path = value.parse()?;
                    c.entity.set(cx, meta, path);
                }
            } else if meta.path.is_ident(PK) {
                // #[dynamo(pk = "ORG#{org_id}")]
                c.pk.set(cx, meta, meta.value()?.parse()?);
            } else if meta.path.is_ident(SK) {
                // #[dynamo(sk = "USER#{user_id}")]
                c.sk.set(cx, meta, meta.value()?.parse()?);
            } else if meta.path.is_ident(PK_ATTRIBUTE) {
                // #[dynamo(pk_attribute = "PK")]
                let lit = non_empty(cx, meta.value()?.parse()?);
                c.pk_attribute.set(cx, meta, lit);
            } else if meta.path.is_ident(SK_ATTRIBUTE) {
                // #[dynamo(sk_attribute = "SK")]
                let lit = non_empty(cx, meta.value()?.parse()?);
                c.sk_attribute.set(cx, meta, lit);
            } else if meta.path.is_ident(TYPE_ATTRIBUTE) {
                // #[dynamo(type_attribute = "_type")]
                let lit = non_empty(cx, meta.value()?.parse()?);
                c.type_attribute.set(cx, meta, lit);
            } else if meta.path.is_ident(TAG) {
                // #[dynamo(tag = "type")]
                let lit = non_empty(cx, meta.value()?.parse()?);
                c.tag.set(cx, meta, lit);
            } else if meta.path.is_ident(CONTENT) {
                // #[dynamo(content = "value")]
                let lit = non_empty(cx, meta.value()?.parse()?);
                c.content.set(cx, meta, lit);
            } else if let Some((ident, number)) = meta
                .path
                .get_ident()
                .and_then(|i| gsi_number(i).map(|n| (i, n)))
            {
                // #[dynamo(gsi1(name = "gsi1", pk = "EMAIL#{email}", sk = "USER"))]
                c.template_indexes
                    .push(parse_template_index(cx, meta, ident, number)?);
            } else if crate::schema_version::parse(cx, meta, &mut c.schema_version)? {
                // #[dynamo(schema_version = 3, upgrade(from = 1, with = v1_to_v2), ...)]
            } else {
                unknown(
                    cx,
                    meta,
                    &[
                        TABLE,
                        STREAM,
                        RENAME_ALL,
                        GSI,
                        LSI,
                        ENTITY,
                        PK,
                        SK,
                        PK_ATTRIBUTE,
                        SK_ATTRIBUTE,
                        TYPE_ATTRIBUTE,
                        TAG,
                        CONTENT,
                        GSI_N,
                        SCHEMA_VERSION,
                        SCHEMA_VERSION_ATTRIBUTE,
                        OLDEST_SCHEMA_VERSION,
                        UPGRADE,
                    ],
                );
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
            version: Attr::none(VERSION),
            created_at: Attr::none(CREATED_AT),
            updated_at: Attr::none(UPDATED_AT),
            key_only: Attr::none(KEY_ONLY),
            extra: Attr::none(EXTRA),
            unique: Attr::none(UNIQUE),
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
            } else if meta.path.is_ident(VERSION) {
                // #[dynamo(version)]
                f.version.set(cx, meta, ());
            } else if meta.path.is_ident(CREATED_AT) {
                // #[dynamo(created_at)]
                f.created_at.set(cx, meta, ());
            } else if meta.path.is_ident(UPDATED_AT) {
                // #[dynamo(updated_at)]
                f.updated_at.set(cx, meta, ());
            } else if meta.path.is_ident(KEY_ONLY) {
                // #[dynamo(key_only)]
                f.key_only.set(cx, meta, ());
            } else if meta.path.is_ident(EXTRA) {
                // #[dynamo(extra)]
                f.extra.set(cx, meta, ());
            } else if meta.path.is_ident(UNIQUE) {
                // #[dynamo(unique)]
                f.unique.set(cx, meta, ());
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
                        VERSION,
                        CREATED_AT,
                        UPDATED_AT,
                        KEY_ONLY,
                        EXTRA,
                        UNIQUE,
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
            rename_all: Attr::none(RENAME_ALL),
        };
        each_option(cx, attrs, |meta| {
            if meta.path.is_ident(RENAME) {
                // #[dynamo(rename = "on-hold")]
                let lit: LitStr = meta.value()?.parse()?;
                v.rename.set(cx, meta, lit);
            } else if meta.path.is_ident(RENAME_ALL) {
                // #[dynamo(rename_all = "camelCase")] on a struct variant
                parse_rename_all(cx, meta, &mut v.rename_all)?;
            } else {
                unknown(cx, meta, &[RENAME, RENAME_ALL]);
            }
            Ok(())
        });
        v
    }
}
