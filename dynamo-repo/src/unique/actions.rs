//! The marker actions of a unique entity's writes, in a unit of work.

use super::{marker_key, value_text, UniqueField, MARKER_OF, MARKER_OWNER};
use crate::entity::{Entity, Key};
use crate::error::{Result, ValidationError, ValidationErrorKind};
use crate::expr::{Condition, Path, PathElement, Update};
use crate::managed::ExpectedVersion;
use crate::unit_of_work::UnitOfWork;
use crate::value::Item;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete as SdkDelete, Put as SdkPut, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem,
};
use std::collections::HashMap;

/// What a marker action does, for the cancellation reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarkerRole {
    /// Puts the marker of a value the item takes.
    Claim(&'static UniqueField),
    /// Deletes the marker of a value the item gives up.
    Release(&'static UniqueField),
}

/// What is known of the stored item's unique values.
#[derive(Debug, Clone)]
pub(crate) enum Stored {
    /// Nothing: the stored item must hold no value or the new one.
    Unknown,
    /// One value per `T::UNIQUE` field (`None`: absent), read or given, and
    /// per field whether its release is left out (its marker is another's).
    Known {
        values: Vec<Option<AttributeValue>>,
        keep: Vec<bool>,
    },
}

impl Stored {
    /// The values `item` holds, all released.
    pub(crate) fn of<T: Entity>(item: &Item) -> Self {
        Stored::Known {
            values: values_of::<T>(item),
            keep: vec![false; T::UNIQUE.len()],
        }
    }
}

/// The unique values of `item`, one per `T::UNIQUE` field.
pub(crate) fn values_of<T: Entity>(item: &Item) -> Vec<Option<AttributeValue>> {
    T::UNIQUE
        .iter()
        .map(|u| {
            item.get(u.attribute)
                .filter(|v| !matches!(v, AttributeValue::Null(_)))
                .cloned()
        })
        .collect()
}

fn attribute<T>(name: &'static str) -> Path<T, AttributeValue> {
    Path::from_elements(vec![PathElement::Attribute(name.into())])
}

/// The condition that the stored item holds what `stored` says: each
/// known value (or its absence); for unknown values, none or `new`'s.
pub(crate) fn holds<T: Entity>(stored: &Stored, new: &[Option<AttributeValue>]) -> Condition<T> {
    Condition::all(T::UNIQUE.iter().enumerate().map(|(i, u)| {
        let path = attribute::<T>(u.attribute);
        let expected = match stored {
            Stored::Known { values, .. } => values[i].as_ref(),
            Stored::Unknown => None,
        };
        match (stored, expected, &new[i]) {
            (Stored::Known { .. }, Some(v), _) => path.eq(v.clone()),
            (Stored::Known { .. }, None, _) | (Stored::Unknown, _, None) => path.not_exists(),
            (Stored::Unknown, _, Some(v)) => path.not_exists().or(path.eq(v.clone())),
        }
    }))
}

/// `attribute_not_exists(PK) OR _unique_owner.<k> = :k AND ...`.
fn owner_condition<T: Entity>(owner: &Item) -> (String, HashMap<String, String>, Item) {
    let mut names = HashMap::new();
    let mut values = Item::new();
    names.insert("#mpk".to_owned(), T::SCHEMA.partition_key.name.to_owned());
    names.insert("#mo".to_owned(), MARKER_OWNER.to_owned());
    let mut parts = Vec::new();
    for (i, k) in T::SCHEMA.key_attributes().enumerate() {
        if let Some(v) = owner.get(k.name) {
            names.insert(format!("#mk{i}"), k.name.to_owned());
            values.insert(format!(":mk{i}"), v.clone());
            parts.push(format!("#mo.#mk{i} = :mk{i}"));
        }
    }
    let expression = format!("attribute_not_exists(#mpk) OR ({})", parts.join(" AND "));
    (expression, names, values)
}

/// Refuses a marker key over DynamoDB's partition key limit.
fn check_marker<T: Entity>(field: &UniqueField, key: &Item) -> Result<usize, ValidationError> {
    let len = match key.get(T::SCHEMA.partition_key.name) {
        Some(AttributeValue::S(s)) => s.len(),
        _ => 0,
    };
    if len > crate::validate::MAX_PARTITION_KEY_BYTES {
        return Err(ValidationError::new(
            ValidationErrorKind::KeyTooLong,
            format!(
                "the marker key of unique field `{}` would be {len} bytes; DynamoDB's partition key limit is {} bytes, so the value is too long to be kept unique",
                field.field,
                crate::validate::MAX_PARTITION_KEY_BYTES
            ),
        )
        .entity(T::SCHEMA.entity)
        .attribute(field.attribute));
    }
    Ok(crate::unit_of_work::key_size(key))
}

fn marker_action<T: Entity>(
    uow: &mut UnitOfWork,
    table: &str,
    role: MarkerRole,
    value: &AttributeValue,
    owner: &Item,
) {
    let (MarkerRole::Claim(field) | MarkerRole::Release(field)) = role;
    let text = value_text(Some(value)).unwrap_or_default();
    let key = marker_key::<T>(field, &text);
    let built = (|| -> Result<(TransactWriteItem, usize), ValidationError> {
        let size = check_marker::<T>(field, &key)?;
        let (expression, names, values) = owner_condition::<T>(owner);
        let size = size + expression.len() + 2 * crate::unit_of_work::key_size(owner) + 64;
        let on_failure = Some(ReturnValuesOnConditionCheckFailure::AllOld);
        let item = match role {
            MarkerRole::Claim(_) => {
                let mut item = key.clone();
                item.insert(
                    MARKER_OF.to_owned(),
                    AttributeValue::S(format!("{}.{}", super::entity_type::<T>(), field.attribute)),
                );
                item.insert(MARKER_OWNER.to_owned(), AttributeValue::M(owner.clone()));
                TransactWriteItem::builder().put(
                    SdkPut::builder()
                        .table_name(table)
                        .set_item(Some(item))
                        .condition_expression(expression)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(Some(values))
                        .set_return_values_on_condition_check_failure(on_failure)
                        .build()
                        .map_err(build_error)?,
                )
            }
            MarkerRole::Release(_) => TransactWriteItem::builder().delete(
                SdkDelete::builder()
                    .table_name(table)
                    .set_key(Some(key.clone()))
                    .condition_expression(expression)
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(Some(values))
                    .set_return_values_on_condition_check_failure(on_failure)
                    .build()
                    .map_err(build_error)?,
            ),
        };
        Ok((item.build(), size))
    })();
    uow.push_marker::<T>(table.to_owned(), role, key, built);
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> ValidationError {
    ValidationError::new(ValidationErrorKind::Other, e.to_string())
}

/// The claims of `new` and the releases of what `stored` holds and `new`
/// does not, after the entity's own action.
fn markers<T: Entity>(
    uow: &mut UnitOfWork,
    table: &str,
    owner: &Item,
    stored: &Stored,
    new: &[Option<AttributeValue>],
) -> Vec<MarkerRole> {
    let mut roles = Vec::new();
    for (i, field) in T::UNIQUE.iter().enumerate() {
        if let Some(value) = &new[i] {
            marker_action::<T>(uow, table, MarkerRole::Claim(field), value, owner);
            roles.push(MarkerRole::Claim(field));
        }
    }
    if let Stored::Known { values, keep } = stored {
        for (i, field) in T::UNIQUE.iter().enumerate() {
            let changed = value_text(values[i].as_ref()) != value_text(new[i].as_ref());
            if let (Some(old), true, false) = (&values[i], changed, keep[i]) {
                marker_action::<T>(uow, table, MarkerRole::Release(field), old, owner);
                roles.push(MarkerRole::Release(field));
            }
        }
    }
    roles
}

/// A put of `item` with its claims and releases (their roles, in order).
pub(crate) fn put_in_unit<T: Entity>(
    uow: &mut UnitOfWork,
    item: &T,
    if_absent: bool,
    condition: Option<Condition<T>>,
    stored: &Stored,
) -> Vec<MarkerRole> {
    let table = uow.table_of::<T>();
    let encoded = item.to_item();
    let new = values_of::<T>(&encoded);
    let owner = item.primary_key().into_item();
    let holds = holds::<T>(stored, &new);
    let condition = Some(match condition {
        Some(c) => c.and(holds),
        None => holds,
    });
    uow.put_entity(item, if_absent, condition);
    markers::<T>(uow, &table, &owner, stored, &new)
}

/// A delete of the item at `key` holding what `stored` says, releasing it.
pub(crate) fn delete_in_unit<T: Entity>(
    uow: &mut UnitOfWork,
    key: Key<T>,
    expected: Option<ExpectedVersion>,
    condition: Option<Condition<T>>,
    stored: &Stored,
) -> Vec<MarkerRole> {
    let table = uow.table_of::<T>();
    let none = vec![None; T::UNIQUE.len()];
    let holds = holds::<T>(stored, &none);
    let condition = Some(match condition {
        Some(c) => c.and(holds),
        None => holds,
    });
    let owner = key.as_item().clone();
    uow.delete_entity(key, expected, condition);
    markers::<T>(uow, &table, &owner, stored, &none)
}

/// The refusal of a unit-of-work write that cannot know what to release.
pub(crate) fn unknown_values<T: Entity>(operation: &str) -> ValidationError {
    let field = T::UNIQUE.first().map_or("", |u| u.field);
    ValidationError::new(
        ValidationErrorKind::UniqueUnmaintained,
        format!(
            "a unit-of-work {operation} of `{}` by key cannot release the values of its unique field `{field}`: use `delete_item(&stored)`, which carries them (or the repository's `delete`, which reads them)",
            T::SCHEMA.entity
        ),
    )
    .entity(T::SCHEMA.entity)
    .attribute(T::UNIQUE.first().map_or("", |u| u.attribute))
}

/// Refuses an update that sets or removes a unique field.
pub(crate) fn check_update<T: Entity>(update: &Update<T>) -> Result<(), ValidationError> {
    for action in update.actions() {
        let Some(PathElement::Attribute(root)) = action.path().elements().first() else {
            continue;
        };
        if let Some(field) = T::UNIQUE.iter().find(|u| u.attribute == root.as_ref()) {
            return Err(ValidationError::new(
                ValidationErrorKind::UniqueUnmaintained,
                format!(
                    "an update of `{}` cannot change unique field `{}`, whose marker it would leave stale; put the whole item (`put` / `save` keep the markers)",
                    T::SCHEMA.entity, field.field
                ),
            )
            .entity(T::SCHEMA.entity)
            .attribute(field.attribute));
        }
    }
    Ok(())
}
