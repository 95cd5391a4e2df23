//! The traits `#[derive(Entity)]` implements: the table schema, the key and
//! the item mapping.
//!
//! The full reference of the derives' `#[dynamo(...)]` options (keys, renames,
//! `skip`, `default`, `with`, `serde`, `binary`, `ttl`, `version`,
//! `created_at`, `updated_at`, `gsi` / `lsi` with every key and projection,
//! key templates) is on [`derive@crate::Entity`].
//!
//! Generated for `#[derive(Entity)] struct User`: [`impl Entity for User`](Entity) (the
//! `SCHEMA`, `to_item(&self) -> Item`, `from_item(Item) -> Result<User>`,
//! `primary_key()`), `User::key(...)` taking the key fields in order (a `String`
//! key takes any `impl Into<String>`), and `User::fields()` with a typed `Path`
//! per stored attribute. [`#[derive(Attribute)]`](derive@crate::Attribute) makes a struct storable as a map
//! (M) inside an entity, an enum of unit variants storable as a string (S,
//! by variant name, honouring `rename` and `rename_all`), or an enum with data
//! stored as a map with a tag attribute.
//!
//! Compile errors point at the offending tokens, all at once: no partition key,
//! two partition or sort keys, a key of a type that cannot be a key, an unknown
//! option, two fields on one attribute name, `Entity` on an enum or tuple struct.

use crate::error::Result;
use crate::value::{Item, ToAttribute};
use aws_sdk_dynamodb::types::{AttributeValue, ScalarAttributeType};
use std::fmt;
use std::marker::PhantomData;

/// A Rust type stored as one item of a DynamoDB table.
///
/// Implemented by `#[derive(Entity)]`; see the crate docs for the options.
pub trait Entity: Sized + Send + Sync + 'static {
    /// The table, key schema and options of this entity.
    const SCHEMA: TableSchema;

    /// The Rust type of the partition key field.
    type PartitionKey: KeyValue;

    /// The Rust type of the sort key field, or [`NoSortKey`].
    type SortKey;

    /// Encodes this value as a DynamoDB item.
    ///
    /// Never fails: values DynamoDB cannot store (a NaN, a 39-digit number)
    /// are encoded as they are, and every write of the repository rejects
    /// them with a validation error naming the attribute before sending.
    fn to_item(&self) -> Item;

    /// Decodes an item, naming the attribute at fault when it does not fit.
    fn from_item(item: Item) -> Result<Self>;

    /// The primary key of this value.
    fn primary_key(&self) -> Key<Self>;

    /// The `#[dynamo(unique)]` fields, whose values no two items of this
    /// entity share (see [`crate::unique`]); empty by default.
    const UNIQUE: &'static [crate::unique::UniqueField] = &[];
}

/// The scalar type of a key attribute: string, number or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `S`
    String,
    /// `N`
    Number,
    /// `B`
    Binary,
}

impl KeyType {
    /// The SDK's name for this type.
    pub fn to_sdk(self) -> ScalarAttributeType {
        match self {
            KeyType::String => ScalarAttributeType::S,
            KeyType::Number => ScalarAttributeType::N,
            KeyType::Binary => ScalarAttributeType::B,
        }
    }

    /// `"S"`, `"N"` or `"B"`.
    pub fn code(self) -> &'static str {
        match self {
            KeyType::String => "S",
            KeyType::Number => "N",
            KeyType::Binary => "B",
        }
    }
}

/// A Rust type that can be a key attribute (strings, integers, binary).
///
/// Floats, options, lists, sets, maps and bools cannot be DynamoDB keys.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a DynamoDB key attribute",
    label = "a key must be a string, an integer or binary",
    note = "DynamoDB keys are scalar S, N or B values; floats, bools, options, lists, sets and maps cannot be keys"
)]
pub trait KeyValue: ToAttribute {
    /// The key's scalar type.
    const KEY_TYPE: KeyType;
}

macro_rules! key_values {
    ($kt:ident: $($ty:ty),*) => {$(impl KeyValue for $ty { const KEY_TYPE: KeyType = KeyType::$kt; })*};
}
key_values!(String: String, str, char);
key_values!(Number: i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);
key_values!(Binary: bytes::Bytes, aws_sdk_dynamodb::primitives::Blob);
impl<T: KeyValue + ?Sized> KeyValue for &T {
    const KEY_TYPE: KeyType = T::KEY_TYPE;
}
#[cfg(feature = "uuid")]
impl KeyValue for uuid::Uuid {
    const KEY_TYPE: KeyType = KeyType::String;
}
#[cfg(feature = "chrono")]
impl KeyValue for chrono::DateTime<chrono::Utc> {
    const KEY_TYPE: KeyType = KeyType::String;
}
#[cfg(feature = "time")]
impl KeyValue for time::OffsetDateTime {
    const KEY_TYPE: KeyType = KeyType::String;
}

/// A Rust type that can be a key attribute of a secondary index: a
/// [`KeyValue`], or an `Option` of one, which makes the index sparse (an item
/// whose field is `None` has no value in the index's key attribute, so it is
/// absent from the index).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a key attribute of a secondary index",
    label = "an index key must be a string, an integer or binary, or an Option of one (a sparse index)",
    note = "DynamoDB keys are scalar S, N or B values; floats, bools, lists, sets and maps cannot be keys"
)]
pub trait IndexKeyValue {
    /// The key's Rust type as a query takes it: the field's type, without the `Option`.
    type Key;
    /// The key's scalar type.
    const KEY_TYPE: KeyType;
}

impl<T: KeyValue> IndexKeyValue for T {
    type Key = T;
    const KEY_TYPE: KeyType = T::KEY_TYPE;
}

impl<T: KeyValue> IndexKeyValue for Option<T> {
    type Key = T;
    const KEY_TYPE: KeyType = T::KEY_TYPE;
}

/// One key attribute of a table: its attribute name, the Rust field it comes
/// from, and its scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAttribute {
    /// The attribute name in DynamoDB.
    pub name: &'static str,
    /// The Rust field name.
    pub field: &'static str,
    /// The scalar type.
    pub key_type: KeyType,
}

/// What `#[derive(Entity)]` knows about an entity's table.
#[derive(Debug, Clone, Copy)]
pub struct TableSchema {
    /// The Rust type name, used in errors.
    pub entity: &'static str,
    /// The default table name (a repository may override it).
    pub table: &'static str,
    /// The partition (hash) key.
    pub partition_key: KeyAttribute,
    /// The sort (range) key, if any.
    pub sort_key: Option<KeyAttribute>,
    /// The attribute that holds the item's expiry time (`#[dynamo(ttl)]`).
    pub ttl_attribute: Option<&'static str>,
    /// The table's stream, if the entity declares one
    /// (`#[dynamo(stream = "new_and_old_images")]`).
    pub stream: Option<StreamView>,
    /// Every stored attribute: (attribute name, Rust field name).
    pub attributes: &'static [(&'static str, &'static str)],
    /// The secondary indexes, global and local.
    pub indexes: &'static [IndexSchema],
    /// The optimistic-locking version attribute (`#[dynamo(version)]`).
    pub version: Option<ManagedAttribute>,
    /// The creation timestamp (`#[dynamo(created_at)]`), set once.
    pub created_at: Option<ManagedAttribute>,
    /// The last-write timestamp (`#[dynamo(updated_at)]`), set on every write.
    pub updated_at: Option<ManagedAttribute>,
    /// The entity type and key-template sources of a single-table entity
    /// (`#[dynamo(entity = "user")]` or `pk = "..."`).
    pub single_table: Option<crate::single_table::SingleTableSchema>,
    /// The schema version and where it is stored
    /// (`#[dynamo(schema_version = N)]`; see [`crate::schema_version`]).
    pub schema_version: Option<crate::schema_version::SchemaVersion>,
    /// Each stored attribute's type and encoding, and the key templates
    /// (see [`crate::shape`]).
    pub shape: crate::shape::Shape,
}

/// What a table's DynamoDB stream records of each change to an item
/// (`StreamViewType`), declared with `#[dynamo(stream = "...")]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamView {
    /// `keys_only`: the key attributes of the changed item.
    KeysOnly,
    /// `new_image`: the item as it is after the change.
    NewImage,
    /// `old_image`: the item as it was before the change.
    OldImage,
    /// `new_and_old_images`: both.
    NewAndOldImages,
}

impl StreamView {
    /// DynamoDB's name for this view type (`"NEW_AND_OLD_IMAGES"`).
    pub fn code(self) -> &'static str {
        match self {
            StreamView::KeysOnly => "KEYS_ONLY",
            StreamView::NewImage => "NEW_IMAGE",
            StreamView::OldImage => "OLD_IMAGE",
            StreamView::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    /// The SDK's name for this view type.
    pub fn to_sdk(self) -> aws_sdk_dynamodb::types::StreamViewType {
        use aws_sdk_dynamodb::types::StreamViewType;
        match self {
            StreamView::KeysOnly => StreamViewType::KeysOnly,
            StreamView::NewImage => StreamViewType::NewImage,
            StreamView::OldImage => StreamViewType::OldImage,
            StreamView::NewAndOldImages => StreamViewType::NewAndOldImages,
        }
    }
}

/// An attribute dynamo-repo writes itself: a version or a timestamp.
#[derive(Debug, Clone, Copy)]
pub struct ManagedAttribute {
    /// The attribute name.
    pub name: &'static str,
    /// The value to write now (a timestamp), or the first version.
    pub now: fn() -> AttributeValue,
}

impl PartialEq for ManagedAttribute {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// A numeric type usable as `#[dynamo(version)]`: 0 (or `None`) means "never stored".
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a version: use an unsigned or signed integer, or an Option of one"
)]
pub trait VersionNumber {}
macro_rules! version_numbers {
    ($($ty:ty),*) => {$( impl VersionNumber for $ty {} impl VersionNumber for Option<$ty> {} )*};
}
version_numbers!(u16, u32, u64, u128, usize, i32, i64, i128, isize);

/// A type usable as `#[dynamo(created_at)]` / `#[dynamo(updated_at)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a timestamp: use chrono's DateTime<Utc>, time's OffsetDateTime, i64 / u64 epoch seconds, or an Option of one"
)]
pub trait Timestamp: Sized {
    /// The current time.
    fn now() -> Self;
}

impl Timestamp for i64 {
    fn now() -> Self {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

impl Timestamp for u64 {
    fn now() -> Self {
        i64::now().max(0) as u64
    }
}

impl<T: Timestamp> Timestamp for Option<T> {
    fn now() -> Self {
        Some(T::now())
    }
}

#[cfg(feature = "chrono")]
impl Timestamp for chrono::DateTime<chrono::Utc> {
    fn now() -> Self {
        chrono::Utc::now()
    }
}

#[cfg(feature = "time")]
impl Timestamp for time::OffsetDateTime {
    fn now() -> Self {
        time::OffsetDateTime::now_utc()
    }
}

/// The sort key type of an entity (or index) that has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoSortKey {}

/// Global or local secondary index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// A global secondary index: its own partition key.
    Global,
    /// A local secondary index: the table's partition key, another sort key.
    Local,
}

/// Which attributes a secondary index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexProjection {
    /// Every attribute.
    All,
    /// Only the table's and the index's key attributes.
    KeysOnly,
    /// The keys and these attributes.
    Include(&'static [&'static str]),
}

/// A secondary index declared on an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSchema {
    /// The index name in DynamoDB.
    pub name: &'static str,
    /// Global or local.
    pub kind: IndexKind,
    /// The index's partition key (the table's for a local index); the
    /// first of its attributes when it has several.
    pub partition_key: KeyAttribute,
    /// The index's sort key, if any; the first of its attributes when it
    /// has several.
    pub sort_key: Option<KeyAttribute>,
    /// The attributes the index holds.
    pub projection: IndexProjection,
    /// The second to fourth attributes of a multi-attribute partition key
    /// (`gsi(partition_key = [region, status])`), in order; empty for a
    /// single attribute. See [`crate::query::multi_key`].
    pub more_partition_keys: &'static [KeyAttribute],
    /// The second to fourth attributes of a multi-attribute sort key, in
    /// order; empty for a single attribute (or none).
    pub more_sort_keys: &'static [KeyAttribute],
}

impl IndexSchema {
    /// The index's key attributes: every partition key attribute, then
    /// every sort key attribute, in declaration order.
    pub fn key_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.partition_keys().chain(self.sort_keys())
    }

    /// The partition key attributes, in order (one, or up to four).
    pub fn partition_keys(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.partition_key).chain(self.more_partition_keys)
    }

    /// The sort key attributes, in order (none, one, or up to four).
    pub fn sort_keys(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.sort_key.iter().chain(self.more_sort_keys)
    }

    /// Whether the partition or the sort key has more than one attribute.
    pub fn is_multi_attribute(&self) -> bool {
        !self.more_partition_keys.is_empty() || !self.more_sort_keys.is_empty()
    }
}

/// A typed handle on a secondary index of entity `E`, whose partition key has
/// Rust type `P` and sort key `S` ([`NoSortKey`] when none), and whose
/// projection is `Proj` ([`AllAttributes`], [`KeysOnly`] or [`Include`]).
/// Generated as `T::indexes().name`, so an undeclared index does not compile,
/// and reading a keys-only or include index as whole `E` items does not
/// compile either (read it with a `#[derive(Projection)]` type, raw maps or
/// a count).
pub struct Index<E, P, S, Proj = AllAttributes> {
    schema: &'static IndexSchema,
    _types: PhantomData<IndexTypes<E, P, S, Proj>>,
}

/// Marks an [`Index`]'s entity, key and projection types without owning any of them.
type IndexTypes<E, P, S, Proj> = fn() -> (E, P, S, Proj);

/// The projection marker of an [`Index`] that holds every attribute: its
/// rows decode as the whole entity.
#[derive(Debug, Clone, Copy)]
pub enum AllAttributes {}

/// The projection marker of an [`Index`] that holds only the keys; `N` is a
/// marker named after the index (generated by the derive), so compile errors
/// name it.
pub struct KeysOnly<N>(PhantomData<fn() -> N>);

/// The projection marker of an [`Index`] that holds the keys and the
/// attributes of its `include(...)`; `N` is a marker named after the index.
pub struct Include<N>(PhantomData<fn() -> N>);

/// An index projection whose rows hold whole items, so they can be decoded
/// as the entity (or a collection of entities): only [`AllAttributes`].
pub trait HoldsWholeItems: sealed::Sealed {}

impl HoldsWholeItems for AllAttributes {}
impl<N: KeysOnlyIndex> HoldsWholeItems for KeysOnly<N> {}
impl<N: IncludeIndex> HoldsWholeItems for Include<N> {}

/// Implemented by nothing: the error of reading a keys-only index as the
/// whole entity.
#[diagnostic::on_unimplemented(
    message = "index `{Self}` projects keys only: read it with a #[derive(Projection)] struct (`.project::<P>()`), raw maps (`.project_raw(..)`) or `.count()`",
    label = "this decodes whole items, which the index does not hold",
    note = "or declare the index with `projection = \"all\"` (the default) to read whole entities from it"
)]
pub trait KeysOnlyIndex: sealed::Sealed {}

/// Implemented by nothing: the error of reading an include index as the
/// whole entity.
#[diagnostic::on_unimplemented(
    message = "index `{Self}` projects only the keys and its include(...) attributes: read it with a #[derive(Projection)] struct of those fields (`.project::<P>()`), raw maps (`.project_raw(..)`) or `.count()`",
    label = "this decodes whole items, which the index does not hold",
    note = "or declare the index with `projection = \"all\"` (the default) to read whole entities from it"
)]
pub trait IncludeIndex: sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::AllAttributes {}
    impl<N> Sealed for super::KeysOnly<N> {}
    impl<N> Sealed for super::Include<N> {}
}

impl<E, P, S, Proj> Index<E, P, S, Proj> {
    /// A handle on `schema` (the generated `indexes()` use this).
    #[doc(hidden)]
    pub const fn new(schema: &'static IndexSchema) -> Self {
        Index {
            schema,
            _types: PhantomData,
        }
    }

    /// The index's schema.
    pub fn schema(&self) -> &'static IndexSchema {
        self.schema
    }

    /// The index name.
    pub fn name(&self) -> &'static str {
        self.schema.name
    }
}

impl<E, P, S, Proj> Clone for Index<E, P, S, Proj> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E, P, S, Proj> Copy for Index<E, P, S, Proj> {}

impl<E, P, S, Proj> fmt::Debug for Index<E, P, S, Proj> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Index({})", self.schema.name)
    }
}

impl TableSchema {
    /// The key attributes: the partition key, then the sort key if any.
    pub fn key_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.partition_key).chain(self.sort_key.as_ref())
    }

    /// The attribute name of a Rust field, if it is stored.
    pub fn attribute_of(&self, field: &str) -> Option<&'static str> {
        self.attributes
            .iter()
            .find(|(_, f)| *f == field)
            .map(|(a, _)| *a)
    }

    /// Whether `attribute` is one of the key attributes.
    pub fn is_key_attribute(&self, attribute: &str) -> bool {
        self.key_attributes().any(|k| k.name == attribute)
    }

    /// Whether `attribute` is a field that a key template is built from, or
    /// an attribute a template writes (a table or index key).
    pub fn is_key_source(&self, attribute: &str) -> bool {
        self.single_table
            .is_some_and(|s| s.key_sources.contains(&attribute) || s.type_attribute == attribute)
            || self
                .indexes
                .iter()
                .flat_map(|i| i.key_attributes())
                .any(|k| k.field.is_empty() && k.name == attribute)
    }
}

/// The primary key of one `T` item: its key attributes, typed by the entity.
///
/// Built by the generated `T::key(...)` or from an item with
/// [`Entity::primary_key`].
pub struct Key<T> {
    item: Item,
    _entity: PhantomData<fn() -> T>,
}

impl<T: Entity> Key<T> {
    /// A key from its attribute map (the generated `T::key` is the checked way).
    pub fn from_item(item: Item) -> Self {
        Key {
            item,
            _entity: PhantomData,
        }
    }

    /// The key's attribute map, as the SDK takes it.
    pub fn as_item(&self) -> &Item {
        &self.item
    }

    /// The key's attribute map, by value.
    pub fn into_item(self) -> Item {
        self.item
    }
}

impl<T> Clone for Key<T> {
    fn clone(&self) -> Self {
        Key {
            item: self.item.clone(),
            _entity: PhantomData,
        }
    }
}

impl<T> From<&Key<T>> for Key<T> {
    fn from(key: &Key<T>) -> Self {
        key.clone()
    }
}

impl<T> PartialEq for Key<T> {
    fn eq(&self, other: &Self) -> bool {
        self.item == other.item
    }
}

impl<T: Entity> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key<{}>{self}", T::SCHEMA.entity)
    }
}

/// Shows the key in the schema's order as `{id: S(3 bytes), sk: N(1 chars)}`,
/// or as `{id: "u-1", sk: 5}` once values are revealed
/// ([`reveal_values_in_errors`](crate::reveal_values_in_errors)).
impl<T: Entity> fmt::Display for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, k) in T::SCHEMA.key_attributes().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}: ", k.name)?;
            match self.item.get(k.name) {
                Some(value) => write!(f, "{}", crate::redact::ShowValue(value))?,
                None => f.write_str("<missing>")?,
            }
        }
        f.write_str("}")
    }
}
