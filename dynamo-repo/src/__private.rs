//! Helpers for the code `#[derive(Entity)]` and `#[derive(Attribute)]`
//! generate. Not a public API: names and signatures may change in any release.

pub use crate::entity::{
    Entity, Include, Index, IndexKeyValue, IndexKind, IndexProjection, IndexSchema, Key,
    KeyAttribute, KeyType, KeyValue, KeysOnly, ManagedAttribute, NoSortKey, StreamView,
    TableSchema, Timestamp, VersionNumber,
};
pub use crate::error::Error;
pub use crate::expr::Path;
pub use crate::expr::{field_path, HasPath, PathElement};
pub use crate::query::Projection;
pub use crate::single_table::{
    push_key_part, Collection, FromKeyPart, KeyPart, KeySegment, SingleTableSchema,
    TemplateIndexKeys, TypedEntity, ViaString,
};
pub use crate::sortable::{
    push_sortable_key_part, push_width_key_part, SortableKeyPart, WidthKeyPart,
};
pub use crate::unique::{assert_unique_table, assert_unique_value, UniqueField};
pub use crate::value::depth::check_item_depth;
pub use crate::value::enum_data::{next_element, take_content, take_tag, take_tuple, unknown_tag};
pub use crate::value::{
    DecodeError, DecodeErrorKind, EpochSeconds, FromAttribute, Item, ToAttribute,
};
pub use aws_sdk_dynamodb::types::AttributeValue;
pub use std::collections::HashMap;

/// Writes `value` under `name` unless it encodes to nothing.
#[inline]
pub fn put<V: ToAttribute + ?Sized>(item: &mut Item, name: &str, value: &V) {
    // The name is allocated before the value, as `insert(name, value)`
    // written by hand does: the allocator then lays an item out the same way.
    let key = name.to_owned();
    if let Some(v) = value.to_attribute() {
        item.insert(key, v);
    }
}

/// Writes an already encoded value under `name` unless it is `None`.
#[inline]
pub fn put_encoded(item: &mut Item, name: &str, value: Option<AttributeValue>) {
    if let Some(v) = value {
        item.insert(name.to_owned(), v);
    }
}

/// Reads and decodes the attribute `name`, naming it in any error.
#[inline]
pub fn take<V: FromAttribute>(item: &mut Item, name: &str) -> Result<V, DecodeError> {
    match item.remove(name) {
        Some(value) => V::from_attribute(value).map_err(|e| e.in_attribute(name)),
        None => V::when_absent().ok_or_else(|| missing(name)),
    }
}

/// Reads the attribute `name`, or `Default` when it is absent.
#[inline]
pub fn take_or_default<V: FromAttribute + Default>(
    item: &mut Item,
    name: &str,
) -> Result<V, DecodeError> {
    match item.remove(name) {
        Some(value) => V::from_attribute(value).map_err(|e| e.in_attribute(name)),
        None => Ok(V::when_absent().unwrap_or_default()),
    }
}

/// Reads the attribute `name` with a custom decoder (`#[dynamo(with = ...)]`).
#[inline]
pub fn take_with<V>(
    item: &mut Item,
    name: &str,
    absent: impl FnOnce() -> Option<V>,
    decode: impl FnOnce(AttributeValue) -> Result<V, DecodeError>,
) -> Result<V, DecodeError> {
    match item.remove(name) {
        Some(value) => decode(value).map_err(|e| e.in_attribute(name)),
        None => absent().ok_or_else(|| missing(name)),
    }
}

/// The error for a required attribute that is absent.
pub fn missing(name: &str) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Missing).in_attribute(name)
}

/// Encodes a serde-only type through `serde_dynamo` (`#[dynamo(serde)]`).
///
/// A value serde cannot express as an attribute (a map with non-string keys)
/// becomes a marker that the write validation rejects with serde's message,
/// naming the attribute, so it is never written silently wrong.
pub fn serde_to_attribute<V: serde::Serialize + ?Sized>(value: &V) -> Option<AttributeValue> {
    match serde_dynamo::to_attribute_value::<_, AttributeValue>(value) {
        Ok(AttributeValue::Null(_)) => None,
        Ok(v) => Some(v),
        Err(e) => Some(AttributeValue::N(format!(
            "{}{e}",
            crate::validate::UNENCODABLE_MARKER
        ))),
    }
}

/// Decodes a serde-only type through `serde_dynamo` (`#[dynamo(serde)]`).
///
/// The value's nesting is bounded first, so serde's recursion is too.
pub fn serde_from_attribute<V: serde::de::DeserializeOwned>(
    value: AttributeValue,
) -> Result<V, DecodeError> {
    let value = crate::value::depth::check_value_depth(value)?;
    serde_dynamo::from_attribute_value(value).map_err(|e| {
        DecodeError::new(DecodeErrorKind::Invalid {
            expected: "what the field's `Deserialize` accepts".into(),
            found: None,
            detail: Some(e.to_string()),
        })
    })
}

/// The value of an absent `#[dynamo(serde)]` attribute: what serde makes of
/// NULL (so `Option` fields read as `None`), else a missing-attribute error.
pub fn serde_absent<V: serde::de::DeserializeOwned>() -> Option<V> {
    serde_dynamo::from_attribute_value(AttributeValue::Null(true)).ok()
}

/// Writes a `#[dynamo(ttl)]` field as epoch seconds.
#[inline]
pub fn put_ttl<V: EpochSeconds>(item: &mut Item, name: &str, value: &V) {
    if let Some(seconds) = value.to_epoch_seconds() {
        item.insert(name.to_owned(), AttributeValue::N(seconds.to_string()));
    }
}

/// Reads a `#[dynamo(ttl)]` field from epoch seconds.
#[inline]
pub fn take_ttl<V: EpochSeconds>(item: &mut Item, name: &str) -> Result<V, DecodeError> {
    match item.remove(name) {
        Some(value) => {
            let seconds = i64::from_attribute(value).map_err(|e| e.in_attribute(name))?;
            V::from_epoch_seconds(seconds).map_err(|e| e.in_attribute(name))
        }
        None => V::when_absent().ok_or_else(|| missing(name)),
    }
}

/// Compiles only for types usable with `#[dynamo(ttl)]`.
#[inline]
pub const fn assert_epoch_seconds<V: EpochSeconds>() {}

/// A `#[derive(Attribute)]` struct: decodes it from a map, refusing more
/// than [`MAX_DEPTH`](crate::value::MAX_DEPTH) such structs inside one
/// another, so a recursive type decodes with bounded recursion even when its
/// decoder is called on a value no item check has measured.
pub fn decode_map<V>(
    value: AttributeValue,
    read: impl FnOnce(&mut Item) -> Result<V, DecodeError>,
) -> Result<V, DecodeError> {
    let _level = match crate::value::depth::DecodeDepth::enter() {
        Ok(level) => level,
        Err(e) => {
            crate::value::depth::drop_flat([value]);
            return Err(e);
        }
    };
    match value {
        AttributeValue::M(mut map) => read(&mut map),
        other => Err(DecodeError::wrong_type("M", &other)),
    }
}

/// A `#[derive(Attribute)]` struct: encodes it as a map written by `write`.
/// Past [`MAX_DEPTH`](crate::value::MAX_DEPTH) such structs inside one
/// another (a recursive type), writes instead a value that the write
/// validation refuses with the attribute's path, so encoding recursion is
/// bounded and nothing too deep is sent.
#[inline]
pub fn encode_map(write: impl FnOnce() -> Item) -> Option<AttributeValue> {
    match crate::value::depth::EncodeDepth::enter() {
        Some(_level) => Some(AttributeValue::M(write())),
        None => Some(AttributeValue::N(format!(
            "{}values nest deeper than DynamoDB's {} levels",
            crate::validate::UNENCODABLE_MARKER,
            crate::value::MAX_DEPTH
        ))),
    }
}

/// The attribute name of entity `E`'s field `field` (for projections).
pub fn projected_attribute<E: Entity>(field: &'static str) -> &'static str {
    E::SCHEMA.attribute_of(field).unwrap_or(field)
}

/// The first version of an item; compiles only for `VersionNumber` types.
pub fn version_one<V: VersionNumber>() -> AttributeValue {
    AttributeValue::N("1".to_owned())
}

/// The current time as field type `V` encodes it.
pub fn timestamp_now<V: Timestamp + ToAttribute>() -> AttributeValue {
    V::now()
        .to_attribute()
        .unwrap_or(AttributeValue::Null(true))
}

/// Writes a key built from a template.
#[inline]
pub fn put_key(item: &mut Item, name: &str, key: String) {
    item.insert(name.to_owned(), AttributeValue::S(key));
}

/// The entity type an item holds in `attribute`, if any.
pub fn entity_type_of<'i>(item: &'i Item, attribute: &str) -> Option<&'i str> {
    match item.get(attribute) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}

/// Checks that an item holds entity type `expected` before it is decoded.
pub fn check_entity_type(
    item: &Item,
    attribute: &str,
    expected: &'static str,
) -> Result<(), DecodeError> {
    match entity_type_of(item, attribute) {
        Some(found) if found == expected => Ok(()),
        found => Err(DecodeError::new(DecodeErrorKind::WrongEntityType {
            expected,
            found: found.map(str::to_owned),
        })
        .in_attribute(attribute)),
    }
}

/// The error for an item no variant of a collection accepts.
pub fn unknown_entity_type(
    item: &Item,
    attribute: &str,
    expected: &'static [&'static str],
) -> DecodeError {
    DecodeError::new(DecodeErrorKind::UnknownEntityType {
        found: entity_type_of(item, attribute).map(str::to_owned),
        expected,
    })
    .in_attribute(attribute)
}

/// Whether two strings are equal, in a const context (to reject two
/// variants of one collection with the same entity type at compile time).
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Reads a `#[dynamo(key_only)]` field: placeholder `n` of the key in
/// `attribute`, laid out as `segments`.
pub fn key_part_from<V: FromKeyPart>(
    item: &Item,
    attribute: &str,
    segments: &[KeySegment],
    n: usize,
) -> Result<V, DecodeError> {
    let text = key_part_text(item, attribute, segments, n)?;
    V::from_key_part(&text).map_err(|e| e.in_attribute(attribute))
}

/// Reads a `#[dynamo(key_only)]` field from a `{field:sortable}` placeholder.
pub fn sortable_key_part_from<V: SortableKeyPart>(
    item: &Item,
    attribute: &str,
    segments: &[KeySegment],
    n: usize,
) -> Result<V, DecodeError> {
    let text = key_part_text(item, attribute, segments, n)?;
    V::read_sortable(&text).ok_or_else(|| {
        DecodeError::invalid(
            text,
            "the sort-safe text of a `{field:sortable}` placeholder",
        )
        .in_attribute(attribute)
    })
}

/// Reads a `#[dynamo(key_only)]` field from a `{field:08}` placeholder.
pub fn width_key_part_from<V: WidthKeyPart>(
    item: &Item,
    attribute: &str,
    segments: &[KeySegment],
    n: usize,
    width: usize,
) -> Result<V, DecodeError> {
    let text = key_part_text(item, attribute, segments, n)?;
    V::read_width(&text, width).ok_or_else(|| {
        DecodeError::invalid(text, "the fixed-width text of a `{field:08}` placeholder")
            .in_attribute(attribute)
    })
}

/// The unescaped text of placeholder `n` of the key in `attribute`.
fn key_part_text(
    item: &Item,
    attribute: &str,
    segments: &[KeySegment],
    n: usize,
) -> Result<String, DecodeError> {
    let key = match item.get(attribute) {
        Some(AttributeValue::S(s)) => s,
        Some(other) => return Err(DecodeError::wrong_type("S", other).in_attribute(attribute)),
        None => return Err(missing(attribute)),
    };
    crate::single_table::split_key(key, segments, n).ok_or_else(|| {
        DecodeError::invalid(key.as_str(), "a key that follows the entity's key template")
            .in_attribute(attribute)
    })
}

/// Adds the key of the item being read to a decode error: the key attributes
/// still in `item` (generated readers take the key fields last, so a failure
/// elsewhere leaves them there).
pub fn with_item_key(
    e: DecodeError,
    item: &Item,
    schema: &crate::entity::TableSchema,
) -> DecodeError {
    let key: Item = schema
        .key_attributes()
        .filter_map(|k| item.get(k.name).map(|v| (k.name.to_owned(), v.clone())))
        .collect();
    e.with_key(key)
}

/// The checks every write runs, for the library's own tests of raw items.
pub fn check_item(
    schema: &crate::entity::TableSchema,
    item: &Item,
) -> Result<usize, crate::ValidationError> {
    crate::validate::check_item(schema, item)
}

/// Encodes bytes as B (`#[dynamo(binary)]` fields).
pub fn binary_to_attribute<T: AsRef<[u8]>>(value: &T) -> Option<AttributeValue> {
    Some(AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(
        value.as_ref().to_vec(),
    )))
}

/// Decodes B into any type built from a `Vec<u8>` (`#[dynamo(binary)]` fields).
pub fn binary_from_attribute<T: From<Vec<u8>>>(value: AttributeValue) -> Result<T, DecodeError> {
    match value {
        AttributeValue::B(blob) => Ok(T::from(blob.into_inner())),
        other => Err(DecodeError::wrong_type("B", &other)),
    }
}

/// The type of a `#[dynamo(extra)]` field: a map of the attributes an
/// entity does not declare.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold an entity's undeclared attributes",
    label = "a `#[dynamo(extra)]` field is a `dynamo_repo::Item`",
    note = "declare it as `dynamo_repo::Item` (a `HashMap<String, AttributeValue>`), and `Default::default()` when you build the entity"
)]
pub trait ExtraAttributes: Sized {
    /// The attributes as a map.
    fn as_item(&self) -> &Item;
    /// Holds the attributes left in an item once its declared fields are read.
    fn from_leftover(item: Item) -> Self;
}

impl ExtraAttributes for Item {
    fn as_item(&self) -> &Item {
        self
    }
    fn from_leftover(item: Item) -> Self {
        item
    }
}

/// Compiles only for types usable as `#[dynamo(extra)]`.
#[inline]
pub const fn assert_extra<E: ExtraAttributes>() {}

/// Writes back the attributes of a `#[dynamo(extra)]` field: each one the
/// entity does not write itself (`reserved`: its declared attributes, key
/// template attributes and type attribute), so a declared field wins.
#[inline]
pub fn put_extra<E: ExtraAttributes>(item: &mut Item, extra: &E, reserved: &[&str]) {
    let extra = extra.as_item();
    item.reserve(extra.len());
    for (name, value) in extra {
        if !reserved.contains(&name.as_str()) && !item.contains_key(name) {
            item.insert(name.clone(), value.clone());
        }
    }
}

/// Takes what is left of an item once its declared fields are read, without
/// the attributes the entity derives itself (`reserved`).
#[inline]
pub fn take_extra<E: ExtraAttributes>(item: &mut Item, reserved: &[&str]) -> E {
    let mut rest = std::mem::take(item);
    rest.retain(|name, _| !reserved.contains(&name.as_str()));
    E::from_leftover(rest)
}

pub use crate::schema_version::{SchemaVersion, Upgrade};
pub use crate::shape::{AttributeShape, Encoding, KeyOnlyField, KeyTemplate, Shape};

/// Runs the upgrades of `#[dynamo(schema_version = N)]` on an item before
/// `T::from_item` decodes it (`steps[i]` upgrades from `oldest + i`).
#[inline]
pub fn upgrade_item<T: Entity>(item: Item, steps: &[Upgrade]) -> Result<Item, Error> {
    crate::schema_version::upgrade::<T>(item, steps).map_err(Error::Decode)
}

/// Writes the current schema version into an item `T::to_item` built.
#[inline]
pub fn stamp_schema_version(item: &mut Item, schema: &TableSchema) {
    if let Some(version) = schema.schema_version {
        version.stamp(item);
    }
}
