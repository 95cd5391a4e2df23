//! Single-table design: key templates, entity types and collections.
//!
//! Many entity types can share one table, with composite keys built from
//! templates (`PK = "ORG#acme"`, `SK = "USER#42"`) and overloaded global indexes,
//! as the DynamoDB Book, ElectroDB and dynamodb-toolbox teach. The templates are
//! checked at compile time; the keys are built on every write and never hand-parsed.
//!
//! ```rust,no_run
//! use dynamo_repo::{Client, Collection, Entity};
//!
//! #[derive(Entity, Debug)]
//! #[dynamo(table = "app", entity = "org", pk = "ORG#{org_id}", sk = "ORG")]
//! struct Org { org_id: String, name: String }
//!
//! #[derive(Entity, Debug)]
//! #[dynamo(table = "app", entity = "user",
//!          pk = "ORG#{org_id}", sk = "USER#{user_id}",
//!          gsi1(name = "gsi1", pk = "EMAIL#{email}", sk = "USER"))]
//! struct User { org_id: String, user_id: String, email: String, name: String }
//!
//! #[derive(Entity, Debug)]
//! #[dynamo(table = "app", entity = "project",
//!          pk = "ORG#{org_id}", sk = "PROJECT#{team}#{project_id}")]
//! struct Project { org_id: String, team: String, project_id: String, title: String }
//!
//! /// Everything in an org's partition, routed by entity type.
//! #[derive(Collection, Debug)]
//! enum OrgItem { Org(Org), User(User), Project(Project) }
//!
//! # async fn demo(client: Client) -> dynamo_repo::Result<()> {
//! let users = client.repository::<User>();
//! users.ensure_table().await?; // User declares gsi1, so its schema creates the whole table
//! let ada: Option<User> = users.get(User::key("acme", "ada")).await?;
//!
//! // All users of an org: SK begins_with "USER#".
//! let all_users = users
//!     .query(User::pk("acme"))
//!     .sort_key(|k| k.begins_with(User::sk_prefix()))
//!     .all()
//!     .await?;
//!
//! // A user by email, on the overloaded index.
//! let by_email = users
//!     .query_index(User::indexes().gsi1, User::gsi1_pk("ada@acme.example"))
//!     .first()
//!     .await?;
//!
//! // The projects of one team: SK begins_with "PROJECT#core#".
//! let core = client
//!     .repository::<Project>()
//!     .query(Project::pk("acme"))
//!     .sort_key(|k| k.begins_with(Project::sk_prefix_team("core")))
//!     .all()
//!     .await?;
//!
//! // The org with its users and projects, in one query, with the usual pages,
//! // cursors and streams.
//! let page = client
//!     .repository::<Org>()
//!     .query(Org::pk("acme"))
//!     .collection::<OrgItem>()
//!     .page_size(50)
//!     .page()
//!     .await?;
//! for item in page.items {
//!     match item {
//!         OrgItem::Org(o) => println!("org {}", o.name),
//!         OrgItem::User(u) => println!("user {}", u.name),
//!         OrgItem::Project(p) => println!("project {}", p.title),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The table this produces (each item also holds its fields as ordinary
//! attributes, so it reads back whole):
//!
//! | PK | SK | _type | GSI1PK | GSI1SK |
//! |---|---|---|---|---|
//! | `ORG#acme` | `ORG` | `org` | | |
//! | `ORG#acme` | `PROJECT#core#p1` | `project` | | |
//! | `ORG#acme` | `USER#ada` | `user` | `EMAIL#ada@acme.example` | `USER` |
//!
//! The repository's `examples/single_table.rs` is a fuller multi-tenant model (orgs, users,
//! projects, two overloaded indexes) serving eight access patterns, each one
//! typed query, with the layout it writes.
//!
//! # The options
//!
//! | On the struct | Meaning |
//! |---|---|
//! | `pk = "ORG#{org_id}"`, `sk = "USER#{user_id}"` | key templates: literal text and `{field}` placeholders; the struct has no `partition_key` field |
//! | `sk = "SEQ#{seq:sortable}"`, `"N#{n:08}"` | a sort-safe placeholder: key order is value order (integers, floats, UTC date-times; see [`crate::sortable`]) |
//! | `pk_attribute = "PK"`, `sk_attribute = "SK"` | where the keys are stored (these are the defaults) |
//! | `entity = "user"` | the entity type written into every item (default: the struct's name) |
//! | `type_attribute = "_type"` | the attribute holding it (the default) |
//! | `gsi1(name = "gsi1", pk = "...", sk = "...")`, `gsi2(...)`, ... | a global index keyed by templates, stored in `GSI1PK` / `GSI1SK` unless `pk_attribute` / `sk_attribute` say otherwise; `projection = "keys_only"` is accepted; an `Option` placeholder makes it sparse |
//!
//! | On a field | Meaning |
//! |---|---|
//! | `#[dynamo(key_only)]` | stored only inside the table key, not as its own attribute; read back by parsing the key (which every template allows: see *Unambiguous keys*) |
//!
//! # The rules
//!
//! - **Generated helpers.** `User::key(org_id, user_id)` takes the placeholders'
//!   fields in order (the partition key's, then the sort key's, each once);
//!   `User::pk(..)` and `User::sk(..)` render one key; `User::sk_prefix()` is the
//!   text before the first placeholder and `User::sk_prefix_<field>(..)` the text
//!   up to that field and the `#` after it, for `begins_with`; an index has
//!   `User::gsi1_pk(..)`, `User::gsi1_sk(..)` and `User::gsi1_sk_prefix(..)`.
//!   `Entity::PartitionKey` / `SortKey` are `String`.
//! - **Compile-time checks**, each pointing at the template: a placeholder that
//!   names no field (or a skipped one); a field whose type cannot be formatted
//!   into a key (`KeyPart`: strings, chars, integers, bools, `#[derive(Attribute)]`
//!   unit enums, and with the features uuids and UTC date-times; not floats
//!   or collections; an `Option` of one only in an index template, see *Sparse
//!   indexes*); a primary key with no placeholder at all (every item
//!   would share one key); broken braces; a field stored under a key or type
//!   attribute's name; two keys written to one attribute; an ambiguous template
//!   (below).
//! - **Unambiguous keys.** Every template (table and index, partition and sort)
//!   starts with literal text, and each placeholder ends the template or is
//!   followed by `#`; anything else is a compile error saying how to fix it.
//!   `sk = "{label}"` is refused (label `ORG` would render the org's own key),
//!   and so are `"P#{a}{b}"` (`x`+`yz` and `xy`+`z` meet) and `"DOC#{kind}-{id}"`
//!   (`-` may be inside a value). With the escaping below, two different sets of
//!   values never make the same key of one entity, and a key parses back to its
//!   values. Start each entity type's keys with its own prefix (`ORG`, `USER#`,
//!   `PROJECT#`, none the start of another) so that no two types can meet
//!   either: a derive cannot see the other entities of the table, so that part
//!   is yours, and writes check it at run time (*Entity types*, and [`crate::type_guard`]).
//! - **Escaping.** In a value formatted into a key, `%` becomes `%25` and `#`
//!   becomes `%23` (prefixes are built the same way). So no value contains the
//!   `#` separator: team `a#b` with project `c` and team `a` with project `b#c`
//!   get different keys, and a crafted value never lands under another entity's
//!   key or prefix. `#` is the only separator escaped, which is why a
//!   placeholder must be followed by `#` (`USER-{id}-{n}` does not compile).
//!   Integers are written in plain decimal, so they sort as text (`10` before `9`),
//!   unless the placeholder has a sort-safe format: `{seq:sortable}`, `{seq:08}`,
//!   `{at:sortable}` (see [`crate::sortable`]).
//! - **Entity types.** Reading an item of another type (or with no type) into
//!   `User` fails with `DecodeErrorKind::WrongEntityType { expected, found }` on
//!   the type attribute, never a silent mis-decode; so does querying a mixed
//!   partition as `User` without a `sk_prefix()`. Writes never land on an item
//!   of another type: `put`, `save`, `update`, `delete` and every unit-of-work
//!   action (put, update, delete, condition check) of a typed entity carry
//!   `attribute_not_exists(_type) OR _type = :type`, joined with `AND` to their
//!   other conditions (`if_not_exists`, version checks, yours). When the stored
//!   item (returned with `ALL_OLD`) has another type, the write fails with
//!   `Error::WrongEntityType { expected, found, .. }` naming both types (and
//!   no stored value), whatever else failed with it, and nothing is written; in
//!   a unit of work the action's reason is
//!   `CancellationCode::WrongEntityType { expected, found }`. Your own
//!   condition failing on an item of the right type (or none) is still
//!   `ConditionFailed` / `VersionConflict`. An item with no type attribute
//!   (written by another tool) is accepted; an `update` that creates its item
//!   writes the type attribute like a put, so other types stay off it too.
//! - **Collections.** [`#[derive(Collection)]`](derive@crate::Collection) on an enum of newtype variants routes
//!   each item by its type attribute; `.collection::<C>()` works on queries (table
//!   or index) and scans, keeping pages, cursors, limits and streams. An item of a
//!   type the enum does not list is `DecodeErrorKind::UnknownEntityType`, reported,
//!   never dropped. Every variant must have an entity type (a compile error says so),
//!   and two variants with the same type are a compile error.
//! - **Writes.** `put`, `save`, `delete`, units of work and transactional reads take
//!   template-keyed entities unchanged; batch writes of typed entities need
//!   `.skip_entity_type_check()` (see [`crate::batch`]). An `update` that sets a field the
//!   table's key is built from (or a key or type attribute) is refused with `KeyUpdate`,
//!   since the stored keys would go stale: put the whole item instead. A field an index
//!   key is built from can be updated: see *Index keys*. Keys are validated like
//!   any others (non-empty, at most 2048 / 1024 bytes) before sending.
//! - **Sparse indexes.** A placeholder of an index template may be an `Option` field
//!   (`gsi1(name = "pending", pk = "PENDING", sk = "SINCE#{pending_since}#{id}")` with
//!   `pending_since: Option<String>`): the index's key attributes are written only when
//!   every optional field of its templates is `Some`, so the other items are not in the
//!   index at all (and never half in it). The helpers (`Order::pending_sk(..)`) take the
//!   value inside the `Option`. A plain `gsi(partition_key = assignee, ..)` on an
//!   `Option` field is sparse the same way. A table key template cannot use an optional
//!   field: every item has a table key (a compile error says so).
//! - **Index keys.** Index keys never go stale. An update that sets or removes a field
//!   an index template is built from writes that index's key attributes again in the same
//!   `UpdateItem` (or transaction action): `SET GSI2PK = :k, GSI2SK = :k2`, or `REMOVE`
//!   them when an optional field is cleared (the item leaves the sparse index). To build
//!   the key, the update must set every other field of that index's templates too (fields
//!   of the table key are read from the item's key), each with a plain `set` / `remove`;
//!   otherwise it is refused before sending with `ValidationErrorKind::IndexKeyIncomplete`,
//!   naming the fields needed (set them to their current value if they do not change).
//!   `put`, `save` (also when sent as an `UpdateItem` for `created_at`, which removes the
//!   index keys the item no longer has), units of work and batch writes write whole items,
//!   so their index keys are always current.
//! - **One table, many schemas.** `create_table` uses the schema of the entity it
//!   is called on, so call it on one that declares every index of the table (or
//!   create the table yourself); every entity sharing an index should use the same
//!   attribute names for it (the `GSI1PK` / `GSI1SK` defaults do).

use crate::error::Result;
use crate::value::Item;

/// A Rust type that can be formatted into a key template placeholder.
///
/// Strings, chars, integers, bools and `#[derive(Attribute)]` unit enums
/// (by their stored name); with the crate features, `uuid::Uuid` and
/// chrono's / time's UTC timestamps (RFC 3339, as they are stored).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be formatted into a key template",
    label = "a placeholder's field must be a string, a char, an integer, a bool or a unit enum (or, in an index template, an Option of one)",
    note = "key templates hold text; floats, lists, sets, maps and bytes have no single key form"
)]
pub trait KeyPart {
    /// Appends the value's unescaped text to `out`.
    fn write_key_part(&self, out: &mut String);
}

impl<T: KeyPart + ?Sized> KeyPart for &T {
    fn write_key_part(&self, out: &mut String) {
        (**self).write_key_part(out)
    }
}

impl KeyPart for str {
    fn write_key_part(&self, out: &mut String) {
        out.push_str(self)
    }
}

impl KeyPart for String {
    fn write_key_part(&self, out: &mut String) {
        out.push_str(self)
    }
}

impl KeyPart for char {
    fn write_key_part(&self, out: &mut String) {
        out.push(*self)
    }
}

macro_rules! display_key_parts {
    ($($ty:ty),*) => {$(
        impl KeyPart for $ty {
            fn write_key_part(&self, out: &mut String) {
                use std::fmt::Write;
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
display_key_parts!(bool, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

/// Formats through the type's string attribute, so a key holds the same text
/// as the stored field.
macro_rules! string_attribute_key_parts {
    ($($feature:literal => $ty:ty),*) => {$(
        #[cfg(feature = $feature)]
        impl KeyPart for $ty {
            fn write_key_part(&self, out: &mut String) {
                if let Some(aws_sdk_dynamodb::types::AttributeValue::S(s)) =
                    crate::value::ToAttribute::to_attribute(self)
                {
                    out.push_str(&s)
                }
            }
        }
    )*};
}
string_attribute_key_parts!(
    "uuid" => uuid::Uuid,
    "chrono" => chrono::DateTime<chrono::Utc>,
    "time" => time::OffsetDateTime
);

/// A type that can be read back from its text in a key, for
/// `#[dynamo(key_only)]` fields.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read back from a key",
    label = "a key_only field must be a string, a char, an integer, a bool or a unit enum"
)]
pub trait FromKeyPart: Sized {
    /// Parses the unescaped text of a placeholder.
    fn from_key_part(text: &str) -> Result<Self, crate::DecodeError>;
}

impl FromKeyPart for String {
    fn from_key_part(text: &str) -> Result<Self, crate::DecodeError> {
        Ok(text.to_owned())
    }
}

/// Parses through the type's string attribute (chars, unit enums, uuids,
/// timestamps): the same text the key was formatted from.
impl<T: crate::FromAttribute + KeyPart> FromKeyPart for T
where
    T: ViaString,
{
    fn from_key_part(text: &str) -> Result<Self, crate::DecodeError> {
        T::from_attribute(aws_sdk_dynamodb::types::AttributeValue::S(text.to_owned()))
    }
}

/// Marks key parts read back through their string attribute (see [`FromKeyPart`]).
#[doc(hidden)]
pub trait ViaString {}
impl ViaString for char {}
#[cfg(feature = "uuid")]
impl ViaString for uuid::Uuid {}
#[cfg(feature = "chrono")]
impl ViaString for chrono::DateTime<chrono::Utc> {}
#[cfg(feature = "time")]
impl ViaString for time::OffsetDateTime {}

/// Numbers and bools are stored as N / BOOL, so they parse from the text.
macro_rules! parsed_key_parts {
    ($($ty:ty),*) => {$(
        impl FromKeyPart for $ty {
            fn from_key_part(text: &str) -> Result<Self, crate::DecodeError> {
                text.parse().map_err(|_| crate::DecodeError::invalid(
                    text,
                    concat!("a ", stringify!($ty), " (in the key)"),
                ))
            }
        }
    )*};
}
parsed_key_parts!(bool, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

/// One piece of a key template, for reading `key_only` fields back.
#[derive(Debug, Clone, Copy)]
#[doc(hidden)]
pub enum KeySegment {
    /// Text that must be there as it is.
    Literal(&'static str),
    /// An escaped value, running to the next `#` or the end.
    Placeholder,
}

/// The unescaped text of placeholder `n` of `key`, laid out as `segments`;
/// `None` when the key does not follow the template.
pub(crate) fn split_key(key: &str, segments: &[KeySegment], n: usize) -> Option<String> {
    let mut rest = key;
    let mut seen = 0;
    for segment in segments {
        match segment {
            KeySegment::Literal(text) => rest = rest.strip_prefix(text)?,
            KeySegment::Placeholder => {
                let end = rest.find('#').unwrap_or(rest.len());
                if seen == n {
                    return Some(unescape(&rest[..end]));
                }
                seen += 1;
                rest = &rest[end..];
            }
        }
    }
    None
}

/// Reverses [`escape`].
pub(crate) fn unescape(value: &str) -> String {
    value.replace("%23", "#").replace("%25", "%")
}

/// Appends `value` to `out` with `%` as `%25` and `#` as `%23`.
pub(crate) fn escape(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
}

/// Appends the escaped text of a placeholder's value to a key being built.
#[doc(hidden)]
pub fn push_key_part<V: KeyPart + ?Sized>(out: &mut String, value: &V) {
    let mut raw = String::new();
    value.write_key_part(&mut raw);
    escape(&raw, out);
}

/// An entity that tags its items with an entity type, so it can share a
/// table with other types: declared with `#[dynamo(entity = "user")]` or key
/// templates (whose default type name is the struct's name).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no entity type, so its items cannot be told apart in a collection",
    label = "declare one with #[dynamo(entity = \"...\")] on the entity",
    note = "a collection routes each item by its entity-type attribute"
)]
pub trait TypedEntity: crate::Entity {
    /// The entity type written into every item.
    const ENTITY_TYPE: &'static str;
    /// The attribute that holds it.
    const TYPE_ATTRIBUTE: &'static str;
}

/// What a single-table entity declares beyond its key attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SingleTableSchema {
    /// The attribute holding the entity type (`_type` unless renamed).
    pub type_attribute: &'static str,
    /// This entity's type name.
    pub entity_type: &'static str,
    /// Attribute names of the fields that the table's key templates are
    /// built from; an update may not change them, since the stored keys
    /// would go stale.
    pub key_sources: &'static [&'static str],
    /// The key templates of the global indexes (`gsi1(...)`, ...), which
    /// updates recompute.
    pub index_keys: &'static [TemplateIndexKeys],
}

/// The key attributes a template index writes and how to build them, so an
/// update that changes a field they are built from writes them again in the
/// same request (see [`crate::single_table`], *Index keys*).
#[derive(Clone, Copy)]
pub struct TemplateIndexKeys {
    /// The index name.
    pub index: &'static str,
    /// The key attributes the templates write: the partition key's, then the
    /// sort key's, if any.
    pub attributes: &'static [&'static str],
    /// `(attribute name, Rust field name)` of every field a placeholder of
    /// the templates names, each once.
    pub sources: &'static [(&'static str, &'static str)],
    /// The key attributes built from an item holding every source attribute
    /// that is present (an absent one is a `None` field); empty when an
    /// optional field is absent, so the item is not in the index.
    pub render: fn(&Item) -> Result<Item, crate::DecodeError>,
}

impl PartialEq for TemplateIndexKeys {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
            && self.attributes == other.attributes
            && self.sources == other.sources
    }
}

impl Eq for TemplateIndexKeys {}

impl std::fmt::Debug for TemplateIndexKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateIndexKeys")
            .field("index", &self.index)
            .field("attributes", &self.attributes)
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

/// An enum of entity types read from one table, each item routed to its
/// variant by the entity-type attribute. Derived with `#[derive(Collection)]`.
pub trait Collection: Sized + Send + 'static {
    /// The entity types this collection accepts.
    const ENTITY_TYPES: &'static [&'static str];
    /// Decodes an item into the variant of its entity type; an item of any
    /// other type is a decode error naming the type found.
    fn from_item(item: Item) -> Result<Self>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_separators_out_of_values() {
        let mut out = String::from("USER#");
        push_key_part(&mut out, "42#PROFILE%23");
        assert_eq!(out, "USER#42%23PROFILE%2523");
        let mut n = String::new();
        push_key_part(&mut n, &-7i64);
        assert_eq!(n, "-7");
    }

    #[test]
    fn key_parts_are_read_back_from_their_template() {
        use KeySegment::{Literal, Placeholder};
        let segments = [Literal("INV#"), Placeholder, Literal("#"), Placeholder];
        let mut key = String::from("INV#");
        push_key_part(&mut key, "a#b%23");
        key.push('#');
        push_key_part(&mut key, &2026u32);
        assert_eq!(split_key(&key, &segments, 0).as_deref(), Some("a#b%23"));
        assert_eq!(split_key(&key, &segments, 1).as_deref(), Some("2026"));
        assert_eq!(split_key("OTHER#x", &segments, 0), None);
    }
}
