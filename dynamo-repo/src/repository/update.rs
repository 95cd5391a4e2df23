//! Update requests: typed update actions, conditions, and what comes back.

use super::write::{and, existence, old_on_failure, render_conditions};
use super::{Repository, ReturningCapacity};
use crate::capacity::{self, Capacity};
use crate::entity::{Entity, Key};
use crate::error::{from_sdk, Error, Result};
use crate::expr::{Condition, IntoPath, Placeholders, Update, ValueFor};
use crate::managed::{self, ExpectedVersion};
use crate::repository::BoxFuture;
use crate::validate;
use crate::value::Item;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::ReturnValue;
use std::future::IntoFuture;
use tracing::Instrument;

/// An `UpdateItem` request being built; `.await` it (or call [`UpdateItem::send`]).
#[must_use = "a request does nothing until it is awaited"]
pub struct UpdateItem<'r, T> {
    repo: &'r Repository<T>,
    key: Key<T>,
    update: Update<T>,
    if_exists: bool,
    condition: Option<Condition<T>>,
    expected: Option<ExpectedVersion>,
    capacity: bool,
}

impl<'r, T: Entity> UpdateItem<'r, T> {
    pub(super) fn new(
        repo: &'r Repository<T>,
        key: Key<T>,
        expected: Option<ExpectedVersion>,
    ) -> Self {
        UpdateItem {
            repo,
            key,
            update: Update::new(),
            if_exists: false,
            condition: None,
            expected,
            capacity: repo.client.consumed_capacity(),
        }
    }

    /// Asks for the capacity the update consumes and returns it:
    /// `.await` gives a [`WithCapacity<()>`](crate::WithCapacity).
    pub fn return_consumed_capacity(mut self) -> ReturningCapacity<Self> {
        self.capacity = true;
        ReturningCapacity(self)
    }

    /// Sets the attribute at `path` (a `None` removes it).
    pub fn set<V>(mut self, path: impl IntoPath<T, V>, value: impl ValueFor<V>) -> Self {
        self.update = self.update.set(path, value);
        self
    }

    /// Removes the attribute at `path`.
    pub fn remove<V>(mut self, path: impl IntoPath<T, V>) -> Self {
        self.update = self.update.remove(path);
        self
    }

    /// Sets the attribute at `path` only when it is absent.
    pub fn set_if_not_exists<V>(
        mut self,
        path: impl IntoPath<T, V>,
        value: impl ValueFor<V>,
    ) -> Self {
        self.update = self.update.set_if_not_exists(path, value);
        self
    }

    /// Adds `by` to a number attribute, starting from 0 when it is absent:
    /// `.increment(&f.logins, 1)`.
    pub fn increment<V: crate::expr::Numeric>(
        mut self,
        path: impl IntoPath<T, V>,
        by: impl ValueFor<V>,
    ) -> Self {
        self.update = self.update.increment(path, by);
        self
    }

    /// Subtracts `by` from a number attribute, starting from 0 when it is absent.
    pub fn decrement<V: crate::expr::Numeric>(
        mut self,
        path: impl IntoPath<T, V>,
        by: impl ValueFor<V>,
    ) -> Self {
        self.update = self.update.decrement(path, by);
        self
    }

    /// `ADD`: adds to a number (from 0 when absent), or elements to a set.
    pub fn add<V: crate::expr::Addable>(
        mut self,
        path: impl IntoPath<T, V>,
        value: impl ValueFor<V>,
    ) -> Self {
        self.update = self.update.add(path, value);
        self
    }

    /// `DELETE`: removes elements from a set.
    pub fn delete_elements<V: crate::expr::SetType>(
        mut self,
        path: impl IntoPath<T, V>,
        elements: impl ValueFor<V>,
    ) -> Self {
        self.update = self.update.delete(path, elements);
        self
    }

    /// Appends elements to a list (creating it when absent).
    pub fn append<E: crate::ToAttribute, L: crate::expr::AsListOf<E>>(
        mut self,
        path: impl IntoPath<T, L>,
        items: impl IntoIterator<Item = E>,
    ) -> Self {
        self.update = self.update.append(path, items);
        self
    }

    /// Prepends elements to a list (creating it when absent).
    pub fn prepend<E: crate::ToAttribute, L: crate::expr::AsListOf<E>>(
        mut self,
        path: impl IntoPath<T, L>,
        items: impl IntoIterator<Item = E>,
    ) -> Self {
        self.update = self.update.prepend(path, items);
        self
    }

    /// Adds actions with the full [`Update`] builder:
    /// `.apply(|u| u.increment(&f.logins, 1).append(&f.tags, ["new".to_string()]))`.
    pub fn apply(mut self, build: impl FnOnce(Update<T>) -> Update<T>) -> Self {
        self.update = build(self.update);
        self
    }

    /// Updates only when `condition` holds for the stored item; otherwise
    /// fails with [`Error::ConditionFailed`] carrying the stored item.
    pub fn condition(mut self, condition: Condition<T>) -> Self {
        self.condition = and(self.condition.take(), condition);
        self
    }

    /// Fails with [`Error::ConditionFailed`] instead of creating a new item
    /// when none exists.
    pub fn if_exists(mut self) -> Self {
        self.if_exists = true;
        self
    }

    /// Returns the whole item as it is after the update.
    pub fn return_new(self) -> UpdateReturningNew<'r, T> {
        UpdateReturningNew(self)
    }

    /// Returns only the updated attributes, as stored after the update (`UPDATED_NEW`).
    pub async fn return_updated(self) -> Result<Item> {
        self.run(Some(ReturnValue::UpdatedNew))
            .await
            .map(|(item, _)| item.unwrap_or_default())
    }

    /// The SDK request this would send, after the same validation.
    pub fn to_request(&self) -> Result<UpdateItemFluentBuilder> {
        validate::check_key(&T::SCHEMA, self.key.as_item())?;
        crate::unique::check_update(&self.update)?;
        let user_update = self.update.clone().with_index_keys(self.key.as_item())?;
        let mut written = 0;
        for action in user_update.actions() {
            if let Some(value) = action.value() {
                let size = validate::check_value(&T::SCHEMA, &action.path(), value)?;
                if action.writes_value_whole() {
                    written += size;
                }
            }
        }
        validate::check_update_floor(&T::SCHEMA, written)?;
        if user_update.is_empty() {
            // Refuse before the managed attributes make an empty update look busy.
            Update::<T>::new().render(&mut Placeholders::new())?;
        }
        managed::check_incrementable(&T::SCHEMA, self.expected)?;
        let update = crate::type_guard::tag_update(managed::prepare_update(user_update));
        let mut placeholders = Placeholders::new();
        let expression = update.render(&mut placeholders)?;
        let condition = render_conditions(
            [
                self.if_exists.then(|| existence::<T>(true)),
                self.condition.clone(),
                managed::version_condition::<T>(self.expected),
                crate::type_guard::condition::<T>(),
            ],
            &mut placeholders,
        )?;
        let (names, values) = placeholders.into_maps();
        let on_failure = old_on_failure(&condition);
        Ok(self
            .repo
            .client
            .sdk()
            .update_item()
            .table_name(&*self.repo.table)
            .set_key(Some(self.key.as_item().clone()))
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .set_return_values_on_condition_check_failure(on_failure)
            .set_return_consumed_capacity(capacity::request(self.capacity)))
    }

    /// Sends with `return_values` (`None`: DynamoDB's default `NONE`, not sent).
    async fn run(
        self,
        return_values: Option<ReturnValue>,
    ) -> Result<(Option<Item>, Option<Capacity>)> {
        let span = self.repo.span("UpdateItem");
        async move {
            let request = self.to_request()?.set_return_values(return_values);
            let output = request.send().await.map_err(|e| {
                if let Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c)) =
                    e.as_service_error()
                {
                    return crate::type_guard::condition_error::<T>(
                        "UpdateItem",
                        &self.repo.table,
                        self.key.as_item(),
                        self.expected,
                        c.item.clone(),
                    );
                }
                from_sdk(e, "UpdateItem", &self.repo.table)
            })?;
            let capacity = capacity::record_one(output.consumed_capacity());
            Ok((output.attributes, capacity))
        }
        .instrument(span)
        .await
    }

    /// Validates and sends the request.
    pub async fn send(self) -> Result<()> {
        self.run(None).await.map(|_| ())
    }

    pub(super) async fn run_capacity(self) -> Result<((), Option<Capacity>)> {
        self.run(None).await.map(|(_, c)| ((), c))
    }
}

impl<'r, T: Entity> IntoFuture for UpdateItem<'r, T> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// An update that returns the whole updated item.
#[must_use = "a request does nothing until it is awaited"]
pub struct UpdateReturningNew<'r, T>(UpdateItem<'r, T>);

impl<'r, T: Entity> UpdateReturningNew<'r, T> {
    /// Asks for the capacity the update consumes and returns it beside the
    /// updated item.
    pub fn return_consumed_capacity(mut self) -> ReturningCapacity<Self> {
        self.0.capacity = true;
        ReturningCapacity(self)
    }

    /// Validates and sends the request; the item after the update.
    pub async fn send(self) -> Result<T> {
        self.run_capacity().await.map(|(item, _)| item)
    }

    pub(super) async fn run_capacity(self) -> Result<(T, Option<Capacity>)> {
        let table = self.0.repo.table.to_string();
        let (item, capacity) = self.0.run(Some(ReturnValue::AllNew)).await?;
        let item = item
            .map(T::from_item)
            .transpose()?
            .ok_or_else(|| Error::Service {
                operation: "UpdateItem",
                table,
                code: None,
                message: Some("DynamoDB returned no attributes for ReturnValues=ALL_NEW".into()),
                source: "missing attributes".into(),
            })?;
        Ok((item, capacity))
    }
}

impl<'r, T: Entity> IntoFuture for UpdateReturningNew<'r, T> {
    type Output = Result<T>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
