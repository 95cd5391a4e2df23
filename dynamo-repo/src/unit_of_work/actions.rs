//! The actions a unit of work collects: puts, updates, deletes and condition checks.

use super::UnitOfWork;
use crate::entity::{Entity, Key};
use crate::error::{Error, Result, ValidationError, ValidationErrorKind};
use crate::expr::{Condition, Placeholders, Update};
use crate::managed::{self, ExpectedVersion};
use crate::repository::{existence, key_of, old_on_failure, render_conditions};
use crate::value::Item;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete as SdkDelete, Put as SdkPut, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update as SdkUpdate,
};

impl UnitOfWork {
    pub(super) fn put_with<T: Entity>(
        &mut self,
        item: &T,
        if_absent: bool,
        condition: Option<Condition<T>>,
    ) -> &mut Self {
        if !T::UNIQUE.is_empty() {
            let stored = crate::unique::Stored::Unknown;
            crate::unique::put_in_unit(self, item, if_absent, condition, &stored);
            return self;
        }
        self.put_entity(item, if_absent, condition)
    }

    /// The put action alone, without the markers of unique fields.
    pub(crate) fn put_entity<T: Entity>(
        &mut self,
        item: &T,
        if_absent: bool,
        condition: Option<Condition<T>>,
    ) -> &mut Self {
        let table = self.table_of::<T>();
        let prepared = match managed::prepare_put::<T>(item.to_item()) {
            Ok(prepared) => prepared,
            Err(e) => {
                let key = item.primary_key().into_item();
                return self.push::<T>(table, "Put", key, None, Err(e));
            }
        };
        let key = key_of::<T>(&prepared.item);
        let expected = prepared.expected;
        // Only the update form (created_at entities) needs its own copy of the key.
        let update_key = prepared.as_update.as_ref().map(|_| key.clone());
        let table_name: &str = &table;
        let built = (move || -> Result<(TransactWriteItem, usize)> {
            let size = crate::validate::check_item(&T::SCHEMA, &prepared.item)?;
            let mut placeholders = Placeholders::new();
            let update = match &prepared.as_update {
                Some(update) => Some(update.render(&mut placeholders)?),
                None => None,
            };
            let condition = render_conditions(
                [
                    if_absent.then(|| existence::<T>(false)),
                    condition,
                    prepared.condition.clone(),
                    crate::type_guard::condition::<T>(),
                ],
                &mut placeholders,
            )?;
            let (names, values) = placeholders.into_maps();
            // ALL_OLD only for a conditional action: its cancellation reason then
            // carries the stored item (the error and the type guard read it).
            let on_failure = old_on_failure(&condition);
            let item = match update {
                None => TransactWriteItem::builder().put(
                    SdkPut::builder()
                        .table_name(table_name)
                        .set_item(Some(prepared.item))
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .set_return_values_on_condition_check_failure(on_failure)
                        .build()
                        .map_err(build_error)?,
                ),
                Some(expression) => TransactWriteItem::builder().update(
                    SdkUpdate::builder()
                        .table_name(table_name)
                        .set_key(update_key)
                        .update_expression(expression)
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .set_return_values_on_condition_check_failure(on_failure)
                        .build()
                        .map_err(build_error)?,
                ),
            };
            Ok((item.build(), size))
        })();
        self.push::<T>(table, "Put", key, expected, built.map_err(into_validation))
    }

    /// Puts `item`, replacing any item with its key (for a `#[dynamo(version)]`
    /// entity, only if the stored version is still `item`'s).
    pub fn put<T: Entity>(&mut self, item: &T) -> &mut Self {
        self.put_with(item, false, None)
    }

    /// Puts `item` only if no item with its key exists.
    pub fn put_if_absent<T: Entity>(&mut self, item: &T) -> &mut Self {
        self.put_with(item, true, None)
    }

    /// Puts `item` only if `condition` holds for the stored item.
    pub fn put_if<T: Entity>(&mut self, item: &T, condition: Condition<T>) -> &mut Self {
        self.put_with(item, false, Some(condition))
    }

    /// Puts `item` in place of `stored`, the item as it is stored now: for
    /// an entity with `#[dynamo(unique)]` fields, releases the values of
    /// `stored` that `item` changes and requires the stored item to still
    /// hold them (see [`crate::unique`]). Otherwise the same as
    /// [`put`](Self::put).
    pub fn put_replacing<T: Entity>(&mut self, stored: &T, item: &T) -> &mut Self {
        if T::UNIQUE.is_empty() {
            return self.put_with(item, false, None);
        }
        if stored.primary_key() != item.primary_key() {
            let table = self.table_of::<T>();
            let refusal = ValidationError::new(
                ValidationErrorKind::Other,
                "put_replacing takes the stored item and its replacement, with the same key; these keys differ",
            )
            .entity(T::SCHEMA.entity);
            let key = item.primary_key().into_item();
            return self.push::<T>(table, "Put", key, None, Err(refusal));
        }
        let stored = crate::unique::Stored::of::<T>(&stored.to_item());
        crate::unique::put_in_unit(self, item, false, None, &stored);
        self
    }

    pub(super) fn update_with<T: Entity>(
        &mut self,
        key: Key<T>,
        expected: Option<ExpectedVersion>,
        condition: Option<Condition<T>>,
        build: impl FnOnce(Update<T>) -> Update<T>,
    ) -> &mut Self {
        let table = self.table_of::<T>();
        let update = build(Update::new());
        let key = key.into_item();
        let built = (|| -> Result<(TransactWriteItem, usize)> {
            crate::validate::check_key(&T::SCHEMA, &key)?;
            crate::unique::check_update(&update)?;
            let update = update.with_index_keys(&key)?;
            let mut size = key_size(&key);
            let mut written = 0;
            for action in update.actions() {
                if let Some(value) = action.value() {
                    let value_size =
                        crate::validate::check_value(&T::SCHEMA, &action.path(), value)?;
                    size += value_size;
                    if action.writes_value_whole() {
                        written += value_size;
                    }
                }
            }
            crate::validate::check_update_floor(&T::SCHEMA, written)?;
            if update.is_empty() {
                Update::<T>::new().render(&mut Placeholders::new())?;
            }
            managed::check_incrementable(&T::SCHEMA, expected)?;
            let update = crate::type_guard::tag_update(managed::prepare_update(update));
            let mut placeholders = Placeholders::new();
            let expression = update.render(&mut placeholders)?;
            let condition = render_conditions(
                [
                    condition,
                    managed::version_condition::<T>(expected),
                    crate::type_guard::condition::<T>(),
                ],
                &mut placeholders,
            )?;
            size += expression.len() + condition.as_ref().map_or(0, String::len);
            let (names, values) = placeholders.into_maps();
            // ALL_OLD only for a conditional action: its cancellation reason then
            // carries the stored item (the error and the type guard read it).
            let on_failure = old_on_failure(&condition);
            let item = TransactWriteItem::builder()
                .update(
                    SdkUpdate::builder()
                        .table_name(&table)
                        .set_key(Some(key.clone()))
                        .update_expression(expression)
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .set_return_values_on_condition_check_failure(on_failure)
                        .build()
                        .map_err(build_error)?,
                )
                .build();
            Ok((item, size))
        })();
        self.push::<T>(
            table,
            "Update",
            key,
            expected,
            built.map_err(into_validation),
        )
    }

    /// Updates the item with `key` (creating it when absent) with the typed
    /// [`Update`] builder: `uow.update(Account::key("a"), |u| u.increment(&f.balance, 5))`.
    pub fn update<T: Entity>(
        &mut self,
        key: impl Into<Key<T>>,
        build: impl FnOnce(Update<T>) -> Update<T>,
    ) -> &mut Self {
        self.update_with(key.into(), None, None, build)
    }

    /// Updates the item with `key` only if `condition` holds for it.
    pub fn update_if<T: Entity>(
        &mut self,
        key: impl Into<Key<T>>,
        condition: Condition<T>,
        build: impl FnOnce(Update<T>) -> Update<T>,
    ) -> &mut Self {
        self.update_with(key.into(), None, Some(condition), build)
    }

    /// Updates the stored copy of `item`: for a `#[dynamo(version)]` entity,
    /// only if the stored version is still `item`'s, bumping it by one.
    pub fn update_item<T: Entity>(
        &mut self,
        item: &T,
        build: impl FnOnce(Update<T>) -> Update<T>,
    ) -> &mut Self {
        let expected = managed::expectation(&T::SCHEMA, &item.to_item());
        self.update_with(item.primary_key(), expected, None, build)
    }

    pub(super) fn delete_with<T: Entity>(
        &mut self,
        key: Key<T>,
        expected: Option<ExpectedVersion>,
        condition: Option<Condition<T>>,
    ) -> &mut Self {
        if !T::UNIQUE.is_empty() {
            // Without the stored item, the values to release are unknown.
            let table = self.table_of::<T>();
            let refusal = crate::unique::unknown_values::<T>("delete");
            return self.push::<T>(table, "Delete", key.into_item(), expected, Err(refusal));
        }
        self.delete_entity(key, expected, condition)
    }

    /// The delete action alone, without the markers of unique fields.
    pub(crate) fn delete_entity<T: Entity>(
        &mut self,
        key: Key<T>,
        expected: Option<ExpectedVersion>,
        condition: Option<Condition<T>>,
    ) -> &mut Self {
        let table = self.table_of::<T>();
        let key = key.into_item();
        let built = (|| -> Result<(TransactWriteItem, usize)> {
            crate::validate::check_key(&T::SCHEMA, &key)?;
            let mut placeholders = Placeholders::new();
            let condition = render_conditions(
                [
                    condition,
                    managed::version_condition::<T>(expected),
                    crate::type_guard::condition::<T>(),
                ],
                &mut placeholders,
            )?;
            let size = key_size(&key) + condition.as_ref().map_or(0, String::len);
            let (names, values) = placeholders.into_maps();
            // ALL_OLD only for a conditional action: its cancellation reason then
            // carries the stored item (the error and the type guard read it).
            let on_failure = old_on_failure(&condition);
            let item = TransactWriteItem::builder()
                .delete(
                    SdkDelete::builder()
                        .table_name(&table)
                        .set_key(Some(key.clone()))
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .set_return_values_on_condition_check_failure(on_failure)
                        .build()
                        .map_err(build_error)?,
                )
                .build();
            Ok((item, size))
        })();
        self.push::<T>(
            table,
            "Delete",
            key,
            expected,
            built.map_err(into_validation),
        )
    }

    /// Deletes the item with `key`.
    pub fn delete<T: Entity>(&mut self, key: impl Into<Key<T>>) -> &mut Self {
        self.delete_with(key.into(), None, None)
    }

    /// Deletes the item with `key` only if `condition` holds for it.
    pub fn delete_if<T: Entity>(
        &mut self,
        key: impl Into<Key<T>>,
        condition: Condition<T>,
    ) -> &mut Self {
        self.delete_with(key.into(), None, Some(condition))
    }

    /// Deletes the stored copy of `item`: for a `#[dynamo(version)]` entity,
    /// only if the stored version is still `item`'s.
    pub fn delete_item<T: Entity>(&mut self, item: &T) -> &mut Self {
        let encoded = item.to_item();
        let expected = managed::expectation(&T::SCHEMA, &encoded);
        if !T::UNIQUE.is_empty() {
            // Releases `item`'s unique values, if the item still holds them.
            let stored = crate::unique::Stored::of::<T>(&encoded);
            crate::unique::delete_in_unit(self, item.primary_key(), expected, None, &stored);
            return self;
        }
        self.delete_with(item.primary_key(), expected, None)
    }

    /// Requires `condition` to hold for the item with `key`, without writing it.
    pub fn check<T: Entity>(
        &mut self,
        key: impl Into<Key<T>>,
        condition: Condition<T>,
    ) -> &mut Self {
        let table = self.table_of::<T>();
        let key = key.into().into_item();
        let built = (|| -> Result<(TransactWriteItem, usize)> {
            crate::validate::check_key(&T::SCHEMA, &key)?;
            let mut placeholders = Placeholders::new();
            // `render` treats exactly this as "no condition".
            if condition.is_empty() {
                return Err(ValidationError::new(
                    ValidationErrorKind::Other,
                    "a condition check needs a condition",
                )
                .into());
            }
            let rendered = render_conditions(
                [Some(condition), crate::type_guard::condition::<T>()],
                &mut placeholders,
            )?
            .unwrap_or_default();
            let size = key_size(&key) + rendered.len();
            let (names, values) = placeholders.into_maps();
            // A check always has a condition: ALL_OLD puts the stored item in
            // its cancellation reason (the error and the type guard read it).
            let on_failure = Some(ReturnValuesOnConditionCheckFailure::AllOld);
            let item = TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(&table)
                        .set_key(Some(key.clone()))
                        .condition_expression(rendered)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .set_return_values_on_condition_check_failure(on_failure)
                        .build()
                        .map_err(build_error)?,
                )
                .build();
            Ok((item, size))
        })();
        self.push::<T>(
            table,
            "ConditionCheck",
            key,
            None,
            built.map_err(into_validation),
        )
    }
}

pub(crate) fn key_size(key: &Item) -> usize {
    key.iter()
        .map(|(k, v)| {
            k.len()
                + match v {
                    aws_sdk_dynamodb::types::AttributeValue::S(s) => s.len(),
                    aws_sdk_dynamodb::types::AttributeValue::N(n) => n.len(),
                    aws_sdk_dynamodb::types::AttributeValue::B(b) => b.as_ref().len(),
                    _ => 0,
                }
        })
        .sum()
}

pub(super) fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> Error {
    ValidationError::new(ValidationErrorKind::Other, e.to_string()).into()
}

pub(super) fn into_validation(e: Error) -> ValidationError {
    match e {
        Error::Validation(v) => v,
        other => ValidationError::new(ValidationErrorKind::Other, other.to_string()),
    }
}
