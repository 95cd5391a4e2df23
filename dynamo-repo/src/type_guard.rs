//! Writes of one entity type never land on an item of another.
//!
//! Entities with an entity type (`#[dynamo(entity = "...")]` or key
//! templates) share a table, so two types could render the same key: `Org`
//! at `ORG#acme / ORG` and a `Label` whose template happens to produce the
//! same text. The compile-time template rules make each entity's own keys
//! unambiguous (every template starts with literal text, and each placeholder
//! ends the template or is followed by `#`, which values never contain), but
//! a derive cannot see the other entities of the table. So every write of a
//! typed entity checks the type of the item it lands on:
//!
//! - `put`, `save`, `update`, `delete` and the unit-of-work actions (puts,
//!   updates, deletes and condition checks) carry
//!   `(attribute_not_exists(_type) OR _type = :type)`, joined with `AND` to
//!   their other conditions (`if_not_exists`, version checks, the caller's
//!   own). An absent item, or one without a type attribute, is accepted; an
//!   update that creates its item writes the type attribute like a put.
//! - When DynamoDB refuses the write, the stored item it returns
//!   (`ReturnValuesOnConditionCheckFailure = ALL_OLD`) says which part
//!   failed: an item of another type is [`Error::WrongEntityType`] (in a unit
//!   of work, the action's [`CancellationCode::WrongEntityType`]), naming both
//!   types, whatever else failed with it; otherwise the usual
//!   [`Error::ConditionFailed`] or [`Error::VersionConflict`].
//! - `BatchWriteItem` takes no conditions, so typed batch writes cannot be
//!   checked. They are refused before sending
//!   ([`ValidationErrorKind::EntityTypeUnchecked`]) unless the caller says
//!   the check is skipped, with `.skip_entity_type_check()`: the right call
//!   when, for any two entity types sharing a partition, the leading literal
//!   texts of their keys differ before either reaches a placeholder (`ORG`,
//!   `USER#{id}`, `PROJECT#{team}#{id}`), which with the compile-time rule
//!   makes their keys disjoint. Refusing is the default rather than reading
//!   before writing: a read-then-write check races with other writers.
//!
//! [`CancellationCode::WrongEntityType`]: crate::unit_of_work::CancellationCode::WrongEntityType
//! [`ValidationErrorKind::EntityTypeUnchecked`]: crate::ValidationErrorKind::EntityTypeUnchecked

use crate::entity::{Entity, TableSchema};
use crate::error::{Error, ValidationError, ValidationErrorKind};
use crate::expr::{Condition, Path, PathElement, SetValue, UntypedPath, Update, UpdateAction};
use crate::managed::ExpectedVersion;
use crate::value::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use std::borrow::Cow;
use std::fmt;

/// A write refused because the item at its key holds another entity type.
///
/// Holds entity type names only, never a stored value or key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongEntityType {
    /// The DynamoDB operation (`PutItem`, `UpdateItem`, `DeleteItem`).
    pub operation: &'static str,
    /// The Rust type being written.
    pub entity: &'static str,
    /// Its entity type, the one the write expected to find (or nothing).
    pub expected: &'static str,
    /// The entity type of the stored item; `None` when its type attribute
    /// holds something other than a string.
    pub found: Option<String>,
    /// The type attribute (`_type` unless renamed).
    pub attribute: &'static str,
    /// The table.
    pub table: String,
}

impl fmt::Display for WrongEntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} refused: the item at its key in table `{}` is ",
            self.operation, self.entity, self.table
        )?;
        match &self.found {
            Some(found) => write!(f, "a `{found}`")?,
            None => write!(f, "of no readable entity type (`{}`)", self.attribute)?,
        }
        write!(
            f,
            ", not a `{}`; the keys of two entity types collide, so nothing was written",
            self.expected
        )
    }
}

impl std::error::Error for WrongEntityType {}

/// `attribute_not_exists(_type) OR _type = :type` for a typed entity; `None`
/// for an entity without an entity type.
pub(crate) fn condition<T: Entity>() -> Option<Condition<T>> {
    let typed = T::SCHEMA.single_table?;
    let attribute = Path::<T, String>::attribute(typed.type_attribute);
    Some(
        attribute
            .not_exists()
            .or(attribute.eq(typed.entity_type.to_owned())),
    )
}

/// Adds `SET _type = :type` to an update of a typed entity, so an update
/// that creates its item tags it like a put would (the write's condition
/// already guarantees the stored type is absent or this one).
pub(crate) fn tag_update<T: Entity>(update: Update<T>) -> Update<T> {
    let Some(typed) = T::SCHEMA.single_table else {
        return update;
    };
    let path = UntypedPath::from(vec![PathElement::Attribute(Cow::Borrowed(
        typed.type_attribute,
    ))]);
    update.push(UpdateAction::Set(
        path,
        SetValue::Value(AttributeValue::S(typed.entity_type.to_owned())),
    ))
}

/// The stored item's type when it is not `schema`'s: `Some(found)` means the
/// type check failed (`found` is `None` for a type attribute that is not a
/// string). `None`: no item, an untyped item, or the right type.
pub(crate) fn mismatch(schema: &TableSchema, stored: Option<&Item>) -> Option<Option<String>> {
    let typed = schema.single_table?;
    match stored?.get(typed.type_attribute)? {
        AttributeValue::S(found) if found == typed.entity_type => None,
        AttributeValue::S(found) => Some(Some(found.clone())),
        _ => Some(None),
    }
}

/// The error for a failed condition of a write: [`Error::WrongEntityType`]
/// when the stored item is of another type, otherwise what the managed
/// attributes say (version conflict or plain condition failure).
pub(crate) fn condition_error<T: Entity>(
    operation: &'static str,
    table: &str,
    key: &Item,
    expected: Option<ExpectedVersion>,
    stored: Option<Item>,
) -> Error {
    if let Some(found) = mismatch(&T::SCHEMA, stored.as_ref()) {
        return wrong_entity_type::<T>(operation, table, found);
    }
    crate::managed::condition_error::<T>(operation, table, key, expected, stored)
}

fn wrong_entity_type<T: Entity>(
    operation: &'static str,
    table: &str,
    found: Option<String>,
) -> Error {
    let (expected, attribute) = T::SCHEMA
        .single_table
        .map_or(("", ""), |s| (s.entity_type, s.type_attribute));
    Error::WrongEntityType(Box::new(WrongEntityType {
        operation,
        entity: T::SCHEMA.entity,
        expected,
        found,
        attribute,
        table: table.to_owned(),
    }))
}

/// Refuses a batch write of a typed entity unless the caller skipped the
/// type check: `BatchWriteItem` cannot carry the condition.
pub(crate) fn check_batch<T: Entity>(skipped: bool) -> Result<(), ValidationError> {
    let Some(typed) = T::SCHEMA.single_table else {
        return Ok(());
    };
    if skipped {
        return Ok(());
    }
    Err(ValidationError::new(
        ValidationErrorKind::EntityTypeUnchecked,
        format!(
            "BatchWriteItem cannot check the entity type, so a batch write of `{}` items could \
             replace or delete an item of another entity type at the same key; write them with \
             put / delete / a unit of work, or call `.skip_entity_type_check()` when every entity \
             type of the table starts its keys with its own literal prefix",
            typed.entity_type
        ),
    )
    .entity(T::SCHEMA.entity)
    .attribute(typed.type_attribute))
}
