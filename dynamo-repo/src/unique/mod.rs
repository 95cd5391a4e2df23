//! Unique constraints: `#[dynamo(unique)]` on a field no two items of the
//! entity may share (an email, a user name, a slug), kept by DynamoDB itself.
//!
//! ```rust,no_run
//! use dynamo_repo::{Client, Entity, Error};
//!
//! #[derive(Entity, Debug, Clone)]
//! #[dynamo(table = "users")]
//! struct User {
//!     #[dynamo(partition_key)]
//!     id: String,
//!     #[dynamo(unique)]
//!     email: String,
//!     #[dynamo(unique)]
//!     handle: Option<String>, // `None` claims nothing
//! }
//!
//! # async fn demo(client: Client) -> dynamo_repo::Result<()> {
//! let users = client.repository::<User>();
//! users.put(&User { id: "u-1".into(), email: "ada@example.com".into(), handle: None }).await?;
//! let grace = User { id: "u-2".into(), email: "ada@example.com".into(), handle: None };
//! match users.put(&grace).await {
//!     Err(Error::UniqueTaken(taken)) => assert_eq!(taken.field, "email"), // nothing was written
//!     other => panic!("{other:?}"),
//! }
//! # Ok(()) }
//! ```
//!
//! # How it is kept
//!
//! Each value in use has a **marker item** in the entity's own table, whose
//! key is built from the entity type, the attribute and the value:
//! partition key `_unique#<entity>#<attribute>#<value>` (each part escaped
//! like a key-template value: `%` as `%25`, `#` as `%23`), sort key
//! `_unique` (or `0` / the bytes `_unique` for a number / binary sort key).
//! The marker holds `_unique_of` (`"<entity>.<attribute>"`) and
//! `_unique_owner`, a map of the owner's primary key. Markers hold no index
//! key, so they are in no secondary index.
//!
//! No entity key can be a marker key: every typed read and write refuses,
//! before sending, a partition key value starting with `_unique#`
//! ([`ValidationErrorKind::ReservedKey`]),
//! so a marker never lands on an entity and no entity write lands on a
//! marker, whatever the other entities of the table.
//!
//! Every write of an entity with unique fields is one `TransactWriteItems`:
//!
//! - **`put` / `save`** first read the stored item's unique attributes (a
//!   strongly consistent `GetItem` projecting only them), then send the
//!   entity's put (with its own conditions, version check, timestamps and
//!   entity-type guard) **and** the condition that the stored item still
//!   holds the values read (`email = :old`, or `attribute_not_exists(email)`
//!   when it had none); a **claim** of each new value: a put of its marker
//!   with `attribute_not_exists(PK) OR _unique_owner = <this key>` (so a
//!   value already ours is written again, healing a missing marker); and a
//!   **release** of each old value that changed: a delete of its marker with
//!   the same owner condition, so a marker of another owner is never deleted.
//!   A concurrent writer that changed the item between the read and the
//!   transaction fails the "still holds" condition, and the put reads again
//!   and retries (at most 8 times); so no interleaving leaves a marker
//!   without its owner or an owner without its marker.
//! - **`delete` / `delete_item`** read the stored item likewise and delete
//!   it under the same "still holds" condition, releasing each of its values.
//!   `return_old()` gives the item as that read found it (its unique
//!   attributes are the ones deleted; the transaction returns no item).
//! - A value taken by another item is [`Error::UniqueTaken`](crate::Error::UniqueTaken),
//!   naming the entity, field and attribute, never the value; nothing is
//!   written. Your own conditions and version checks fail as they would
//!   without unique fields (`ConditionFailed`, `VersionConflict`,
//!   `WrongEntityType`).
//! - A release whose marker belongs to another owner (the stored item got
//!   its value without claiming it: a raw write, or data older than the
//!   constraint) is left alone, and the put goes on without it.
//!
//! A put therefore costs one strongly consistent read and a transaction
//! (2 write units per action: the entity, plus one per unique value set,
//! plus one per value released). `save` reads the stored item back once more
//! (a transaction returns no item). `Put::to_request` shows the entity's
//! `PutItem` only, not the transaction.
//!
//! # Units of work
//!
//! `uow.put(&user)` (and `put_if_absent`, `put_if`) adds the claims to the
//! same transaction, and requires the stored item to hold either no value
//! or the same value for each unique field, since without reading it the
//! unit cannot know what to release; changing a value is
//! `uow.put_replacing(&stored, &user)`, which releases what `stored` holds
//! (and requires the item to still hold it). `uow.delete_item(&user)`
//! releases `user`'s values and requires the item to still hold them;
//! `uow.delete(key)` and `uow.delete_if(..)` of an entity with unique fields
//! are refused ([`ValidationErrorKind::UniqueUnmaintained`]),
//! as the values to release are unknown. The markers count towards the 100
//! actions of a transaction and to the rule that one transaction touches an
//! item once (two users claiming one value in one unit is
//! `ValidationErrorKind::DuplicateItem`). A claim that fails makes
//! `commit()` return [`Error::UniqueTaken`](crate::Error::UniqueTaken), which
//! carries the whole [`TransactionCanceled`](crate::unit_of_work::TransactionCanceled);
//! the claim's action reason is `CancellationCode::UniqueTaken`.
//!
//! # What is refused
//!
//! Before anything is sent, with
//! [`ValidationErrorKind::UniqueUnmaintained`]
//! naming the entity and field: an `update` (repository or unit of work)
//! that sets or removes a unique field (put the whole item, which keeps the
//! markers); batch puts, deletes and writes of an entity with unique fields
//! (`BatchWriteItem` takes no conditions and no transactions).
//!
//! # Reads
//!
//! Markers never surface as entities: every query and scan of a
//! repository (whole entities, projections, raw projections, collections;
//! pages, cursors, streams, parallel scans) skips the items whose partition
//! key starts with `_unique#`, and so does a backfill (by `_unique_of`).
//! Skipping works like a filter: a page may hold fewer rows than its
//! `page_size`, and the pager goes on as it does after a filter. `count()`
//! is DynamoDB's own count and includes them. Reads through the SDK itself
//! see them as they are, recognisable by `_unique_of`.
//!
//! # Compile-time checks
//!
//! `unique` belongs on a stored, non-key field of a `#[derive(Entity)]`
//! whose type has one text form (strings, chars, integers, bools, unit
//! enums, uuids, UTC date-times, or an `Option` of one); not on a key field,
//! a key-template source, `skip`, `with`, `serde`, `version` or timestamp
//! field. The table's partition key must be a string (the marker's key is
//! text).

mod actions;
mod repository;

pub(crate) use actions::{
    check_update, delete_in_unit, put_in_unit, unknown_values, MarkerRole, Stored,
};
pub(crate) use repository::{delete, put};

use crate::entity::{Entity, KeyType};
use crate::error::{ValidationError, ValidationErrorKind};
use crate::value::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use std::fmt;

/// What every marker key's partition value starts with; refused in entity keys.
pub const MARKER_PREFIX: &str = "_unique#";
/// The sort key value of a marker in a table with a string sort key.
const MARKER_SORT: &str = "_unique";
/// The attribute naming the constraint a marker is for (`"User.email"`).
pub const MARKER_OF: &str = "_unique_of";
/// The attribute holding the owner's primary key, as a map.
pub const MARKER_OWNER: &str = "_unique_owner";

/// One `#[dynamo(unique)]` field, as the derive declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueField {
    /// The Rust field name.
    pub field: &'static str,
    /// The attribute name.
    pub attribute: &'static str,
}

/// A write refused because another item of the entity holds the value of a
/// unique field. Nothing was written.
///
/// Names the entity, field and attribute, never the value.
#[derive(Clone)]
pub struct UniqueTaken {
    /// The entity type.
    pub entity: &'static str,
    /// The Rust field whose value is taken.
    pub field: &'static str,
    /// Its attribute name.
    pub attribute: &'static str,
    /// The table.
    pub table: String,
    /// The cancelled transaction, action by action (the claim's reason is
    /// `CancellationCode::UniqueTaken`).
    pub canceled: Box<crate::unit_of_work::TransactionCanceled>,
}

impl fmt::Display for UniqueTaken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the value of {}.{} (attribute `{}`) is taken by another {} in table `{}`; nothing was written",
            self.entity, self.field, self.attribute, self.entity, self.table
        )
    }
}

impl fmt::Debug for UniqueTaken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UniqueTaken")
            .field("entity", &self.entity)
            .field("field", &self.field)
            .field("attribute", &self.attribute)
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl std::error::Error for UniqueTaken {}

/// The text of a unique value, as its marker key holds it; `None` for no
/// value (absent or NULL).
pub(crate) fn value_text(value: Option<&AttributeValue>) -> Option<String> {
    match value? {
        AttributeValue::S(s) => Some(s.clone()),
        AttributeValue::N(n) => Some(n.clone()),
        AttributeValue::Bool(b) => Some(b.to_string()),
        AttributeValue::Null(_) => None,
        // The derive admits only types with one text form (`with` and
        // `serde` are refused at compile time); anything else shares one
        // marker per kind, which errs towards "taken", never towards two owners.
        other => Some(format!("<{}>", crate::value::kind_of(other))),
    }
}

/// The entity type name markers of `T` carry.
fn entity_type<T: Entity>() -> &'static str {
    T::SCHEMA
        .single_table
        .map_or(T::SCHEMA.entity, |s| s.entity_type)
}

/// The key of the marker of `value` (as [`value_text`] gives it) of `field`.
pub(crate) fn marker_key<T: Entity>(field: &UniqueField, value: &str) -> Item {
    let mut pk = String::from(MARKER_PREFIX);
    crate::single_table::escape(entity_type::<T>(), &mut pk);
    pk.push('#');
    crate::single_table::escape(field.attribute, &mut pk);
    pk.push('#');
    crate::single_table::escape(value, &mut pk);
    let schema = &T::SCHEMA;
    let mut key = Item::with_capacity(2);
    key.insert(schema.partition_key.name.to_owned(), AttributeValue::S(pk));
    if let Some(sk) = schema.sort_key {
        let value = match sk.key_type {
            KeyType::String => AttributeValue::S(MARKER_SORT.to_owned()),
            KeyType::Number => AttributeValue::N("0".to_owned()),
            KeyType::Binary => AttributeValue::B(MARKER_SORT.as_bytes().to_vec().into()),
        };
        key.insert(sk.name.to_owned(), value);
    }
    key
}

/// Whether an item read from a table is a marker (by its partition key
/// `pk`, which projections always read).
pub(crate) fn is_marker(item: &Item, pk: &str) -> bool {
    matches!(item.get(pk), Some(AttributeValue::S(s)) if s.starts_with(MARKER_PREFIX))
}

/// Refuses a partition key value in the markers' reserved range.
pub(crate) fn check_reserved(
    entity: &'static str,
    attribute: &'static str,
    value: Option<&AttributeValue>,
) -> Result<(), ValidationError> {
    match value {
        Some(AttributeValue::S(s)) if s.starts_with(MARKER_PREFIX) => Err(ValidationError::new(
            ValidationErrorKind::ReservedKey,
            format!(
                "partition key values starting with `{MARKER_PREFIX}` are reserved for the marker items of unique constraints"
            ),
        )
        .entity(entity)
        .attribute(attribute)),
        _ => Ok(()),
    }
}

/// Refuses a batch write of an entity with unique fields: `BatchWriteItem`
/// cannot keep the markers.
pub(crate) fn check_batch<T: Entity>() -> Result<(), ValidationError> {
    let Some(first) = T::UNIQUE.first() else {
        return Ok(());
    };
    Err(ValidationError::new(
        ValidationErrorKind::UniqueUnmaintained,
        format!(
            "`{}` has unique field `{}`, whose marker items BatchWriteItem cannot keep (no conditions, no transactions); write these items with put / delete / a unit of work",
            T::SCHEMA.entity,
            first.field
        ),
    )
    .entity(T::SCHEMA.entity)
    .attribute(first.attribute))
}

/// A `const` check of the derive: the table's partition key must be a string.
#[doc(hidden)]
pub const fn assert_unique_table(partition_key: KeyType) {
    match partition_key {
        KeyType::String => {}
        _ => {
            panic!("#[dynamo(unique)] needs a string partition key: marker items are keyed by text")
        }
    }
}

/// A type whose values have one text form, so it can be `#[dynamo(unique)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a unique field",
    label = "a unique field must be a string, a char, an integer, a bool, a unit enum, a uuid or a UTC date-time, or an Option of one",
    note = "a unique value is kept as the key of a marker item; floats, lists, sets, maps and bytes have no single text form"
)]
pub trait UniqueValue {}
impl<T: crate::single_table::KeyPart> UniqueValue for T {}
impl<T: crate::single_table::KeyPart> UniqueValue for Option<T> {}

/// A `const` check of the derive: the field's type can be unique.
#[doc(hidden)]
pub const fn assert_unique_value<T: UniqueValue + ?Sized>() {}
