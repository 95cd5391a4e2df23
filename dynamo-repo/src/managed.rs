//! Attributes dynamo-repo writes itself, on every write path (repository,
//! unit of work, batch): the optimistic-locking version and the timestamps.
//!
//! ```rust,no_run
//! use dynamo_repo::{Client, Entity, Error};
//!
//! #[derive(Entity, Debug, Clone)]
//! #[dynamo(table = "documents")]
//! struct Document {
//!     #[dynamo(partition_key)] id: String,
//!     body: String,
//!     #[dynamo(version)] version: u64,       // optimistic locking
//!     #[dynamo(created_at)] created_at: i64, // epoch seconds, set once (or chrono / time date-times)
//!     #[dynamo(updated_at)] updated_at: i64, // on every write
//! }
//!
//! # async fn demo(client: Client) -> dynamo_repo::Result<()> {
//! let docs = client.repository::<Document>();
//! let mut doc = Document { id: "d-1".into(), body: "draft".into(), version: 0, created_at: 0, updated_at: 0 };
//! docs.save(&mut doc).await?; // version 0: created only if absent; now version 1
//!
//! doc.body = "final".into();
//! match docs.save(&mut doc).await {
//!     Ok(()) => println!("saved as version {}", doc.version),
//!     // Someone else wrote it first: read it again and retry, or tell the user.
//!     Err(Error::VersionConflict(c)) => println!("conflict: {c}"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! # Versions
//!
//! With a `#[dynamo(version)]` field, a put of an item whose version is 0 (or
//! `None`) requires that no item exists; any other put, and
//! `update_item(&item)` / `delete_item(&item)`, require the stored version to be
//! the one in hand and write it plus one. This holds for repository writes
//! (`put`, `save`, which also refreshes the struct, `update_item`,
//! `delete_item`) and units of work alike; a mismatch is
//! [`Error::VersionConflict`] with the expected
//! and stored versions ([`VersionConflict`]; or the `VersionConflict` reason
//! inside a transaction). Key-only `update(key)` bumps the version without a
//! check. Batch deletes work like `delete(key)`, without a check; batch puts
//! need `.skip_version_check()` (see [`crate::batch`]). An item whose version
//! is `u64::MAX` cannot be written with a version check: `put`, `save`,
//! `update_item` and units of work refuse it before sending with
//! `ValidationErrorKind::VersionOverflow` (the version never wraps to 0).
//!
//! # Timestamps
//!
//! `#[dynamo(updated_at)]` is set to now on every put and update;
//! `#[dynamo(created_at)]` only when the item is created. A put that may replace
//! an existing item of such an entity is sent as an `UpdateItem` that sets every
//! attribute, removes the entity's absent ones and sets `created_at` with
//! `if_not_exists`, so no later write overwrites it. Both accept chrono's
//! `DateTime<Utc>`, time's `OffsetDateTime`, `i64` / `u64` epoch seconds, or an
//! `Option` of one.

use crate::entity::{Entity, TableSchema};
use crate::error::{Error, ValidationError, ValidationErrorKind};
use crate::expr::{Condition, Path, PathElement, SetValue, UntypedPath, Update, UpdateAction};
use crate::redact::ShowItem;
use crate::value::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use std::borrow::Cow;
use std::fmt;

/// What a write expects of the stored item's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// No item may exist yet.
    Absent,
    /// The stored version must be this one.
    Equals(u64),
}

/// A write refused because the stored version is not the one in hand.
///
/// `Display` and `Debug` show the key's attribute names with types and sizes,
/// not its values, unless values are revealed
/// ([`reveal_values_in_errors`](crate::reveal_values_in_errors)).
#[derive(Clone, PartialEq)]
pub struct VersionConflict {
    /// The DynamoDB operation.
    pub operation: &'static str,
    /// The entity type.
    pub entity: &'static str,
    /// The table.
    pub table: String,
    /// The item's key attributes (`Key::<T>::from_item(key)` types it).
    pub key: Item,
    /// The version in hand: `None` when the write expected no item at all.
    pub expected: Option<u64>,
    /// The stored version: `None` when no item is stored.
    pub stored: Option<u64>,
}

impl fmt::Display for VersionConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: Option<u64>, none: &'static str| {
            v.map(|v| v.to_string()).unwrap_or_else(|| none.to_owned())
        };
        write!(
            f,
            "version conflict: {} of {} {} in table `{}` expected {}, found {}",
            self.operation,
            self.entity,
            ShowItem(&self.key),
            self.table,
            show(self.expected, "no stored item"),
            show(self.stored, "no stored item"),
        )
    }
}

impl fmt::Debug for VersionConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VersionConflict")
            .field("operation", &self.operation)
            .field("entity", &self.entity)
            .field("table", &self.table)
            .field("key", &ShowItem(&self.key))
            .field("expected", &self.expected)
            .field("stored", &self.stored)
            .finish()
    }
}

impl std::error::Error for VersionConflict {}

/// The version an item holds: `None` for absent, NULL or 0 ("never stored").
pub(crate) fn version_of(schema: &TableSchema, item: &Item) -> Option<u64> {
    let attribute = schema.version?.name;
    match item.get(attribute) {
        Some(AttributeValue::N(n)) => n.parse::<u64>().ok().filter(|v| *v > 0),
        _ => None,
    }
}

/// The expectation of a write made from `item` (`None` for unversioned entities).
pub(crate) fn expectation(schema: &TableSchema, item: &Item) -> Option<ExpectedVersion> {
    schema.version?;
    Some(match version_of(schema, item) {
        None => ExpectedVersion::Absent,
        Some(v) => ExpectedVersion::Equals(v),
    })
}

/// The error for a version that cannot be incremented.
fn version_overflow(schema: &TableSchema) -> ValidationError {
    ValidationError::new(
        ValidationErrorKind::VersionOverflow,
        "the version in hand is the largest a u64 holds and cannot be incremented",
    )
    .entity(schema.entity)
    .attribute(schema.version.map_or("", |v| v.name))
}

/// Refuses a write made from an item whose version cannot be incremented
/// (`u64::MAX`): DynamoDB would store a version no `u64` field can read back.
pub(crate) fn check_incrementable(
    schema: &TableSchema,
    expected: Option<ExpectedVersion>,
) -> Result<(), ValidationError> {
    match expected {
        Some(ExpectedVersion::Equals(u64::MAX)) => Err(version_overflow(schema)),
        _ => Ok(()),
    }
}

/// The condition that enforces an expectation.
pub(crate) fn version_condition<T: Entity>(
    expected: Option<ExpectedVersion>,
) -> Option<Condition<T>> {
    let schema = &T::SCHEMA;
    match (expected?, schema.version) {
        (ExpectedVersion::Absent, _) => {
            Some(Path::<T, ()>::attribute(schema.partition_key.name).not_exists())
        }
        (ExpectedVersion::Equals(v), Some(attribute)) => {
            Some(Path::<T, u64>::attribute(attribute.name).eq(v))
        }
        (ExpectedVersion::Equals(_), None) => None,
    }
}

/// A put ready to send: the item with its managed attributes, the condition
/// they need, and, for entities with `created_at` that may already exist,
/// the update that replaces the put.
pub(crate) struct PreparedPut<T> {
    /// The item as it will be stored.
    pub item: Item,
    /// The version expectation, if the entity is versioned.
    pub expected: Option<ExpectedVersion>,
    /// The version condition, if any.
    pub condition: Option<Condition<T>>,
    /// Send this update (on the item's key) instead of a put.
    pub as_update: Option<Update<T>>,
}

fn untyped(name: &str) -> UntypedPath {
    UntypedPath::from(vec![PathElement::Attribute(Cow::Owned(name.to_owned()))])
}

/// Sets the managed attributes of an item about to be put.
///
/// Refuses, with [`ValidationErrorKind::VersionOverflow`], an item whose
/// version is `u64::MAX`: it cannot be incremented (and must not wrap to 0).
pub(crate) fn prepare_put<T: Entity>(mut item: Item) -> Result<PreparedPut<T>, ValidationError> {
    let schema = &T::SCHEMA;
    let expected = expectation(schema, &item);
    if let (Some(attribute), Some(expected)) = (schema.version, expected) {
        let next = match expected {
            ExpectedVersion::Absent => 1,
            ExpectedVersion::Equals(v) => {
                v.checked_add(1).ok_or_else(|| version_overflow(schema))?
            }
        };
        item.insert(
            attribute.name.to_owned(),
            AttributeValue::N(next.to_string()),
        );
    }
    // Creation time first, so updated_at is never earlier than created_at.
    let created_now = schema.created_at.map(|c| (c.now)());
    if let Some(updated) = schema.updated_at {
        item.insert(updated.name.to_owned(), (updated.now)());
    }
    let mut as_update = None;
    if let (Some(created), Some(now)) = (schema.created_at, created_now) {
        if expected == Some(ExpectedVersion::Absent) {
            item.insert(created.name.to_owned(), now);
        } else {
            item.remove(created.name);
            let mut update = Update::<T>::new();
            for (name, value) in &item {
                if !schema.is_key_attribute(name) {
                    update = update.push(UpdateAction::Set(
                        untyped(name),
                        SetValue::Value(value.clone()),
                    ));
                }
            }
            update = update.push(UpdateAction::Set(
                untyped(created.name),
                SetValue::IfNotExists(now.clone()),
            ));
            for (name, _) in schema.attributes {
                if !item.contains_key(*name)
                    && *name != created.name
                    && !schema.is_key_attribute(name)
                {
                    update = update.push(UpdateAction::Remove(untyped(name)));
                }
            }
            // A sparse index key the item does not have now must not stay stored.
            let index_keys = schema.single_table.map_or(&[][..], |s| s.index_keys);
            for name in index_keys.iter().flat_map(|i| i.attributes) {
                if !item.contains_key(*name) {
                    update = update.push(UpdateAction::Remove(untyped(name)));
                }
            }
            item.insert(created.name.to_owned(), now);
            as_update = Some(update);
        }
    }
    Ok(PreparedPut {
        item,
        expected,
        condition: version_condition::<T>(expected),
        as_update,
    })
}

/// Adds the managed attributes to an update: the version bump, `updated_at`,
/// and `created_at` if the update creates the item.
pub(crate) fn prepare_update<T: Entity>(mut update: Update<T>) -> Update<T> {
    let schema = &T::SCHEMA;
    if let Some(version) = schema.version {
        update = update.push(UpdateAction::Set(
            untyped(version.name),
            SetValue::Increment(AttributeValue::N("1".into())),
        ));
    }
    if let Some(created) = schema.created_at {
        update = update.push(UpdateAction::Set(
            untyped(created.name),
            SetValue::IfNotExists((created.now)()),
        ));
    }
    if let Some(updated) = schema.updated_at {
        update = update.push(UpdateAction::Set(
            untyped(updated.name),
            SetValue::Value((updated.now)()),
        ));
    }
    update
}

/// Whether a failed condition was the version check: compares what the write
/// expected with the stored item DynamoDB returned.
pub(crate) fn conflict(
    schema: &TableSchema,
    expected: Option<ExpectedVersion>,
    stored: Option<&Item>,
) -> Option<(Option<u64>, Option<u64>)> {
    let stored_version = stored.and_then(|item| version_of(schema, item));
    match (expected?, stored) {
        (ExpectedVersion::Absent, Some(_)) => Some((None, stored_version)),
        (ExpectedVersion::Equals(v), None) => Some((Some(v), None)),
        (ExpectedVersion::Equals(v), Some(_)) if stored_version != Some(v) => {
            Some((Some(v), stored_version))
        }
        _ => None,
    }
}

/// The error for a failed condition: a version conflict when the version
/// check failed, otherwise a plain condition failure.
pub(crate) fn condition_error<T: Entity>(
    operation: &'static str,
    table: &str,
    key: &Item,
    expected: Option<ExpectedVersion>,
    stored: Option<Item>,
) -> Error {
    if let Some((expected, found)) = conflict(&T::SCHEMA, expected, stored.as_ref()) {
        return Error::VersionConflict(Box::new(VersionConflict {
            operation,
            entity: T::SCHEMA.entity,
            table: table.to_owned(),
            key: key.clone(),
            expected,
            stored: found,
        }));
    }
    Error::ConditionFailed(Box::new(crate::error::ConditionFailed {
        operation,
        entity: T::SCHEMA.entity,
        table: table.to_owned(),
        key: key.clone(),
        item: stored,
    }))
}

/// Stamps an item for a batch put, which cannot use conditions or
/// `if_not_exists`: `updated_at` is set to now, and `created_at` to now only
/// when the item in hand has none (a batch put replaces the stored item, so
/// the creation time it writes is the one in hand).
pub(crate) fn stamp_for_batch(schema: &TableSchema, mut item: Item) -> Item {
    let created_now = schema.created_at.map(|c| (c.now)());
    if let (Some(created), Some(now)) = (schema.created_at, created_now) {
        if matches!(item.get(created.name), None | Some(AttributeValue::Null(_))) {
            item.insert(created.name.to_owned(), now);
        }
    }
    if let Some(updated) = schema.updated_at {
        item.insert(updated.name.to_owned(), (updated.now)());
    }
    item
}
