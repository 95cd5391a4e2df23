//! Put, delete and update requests.

use super::{record_capacity, BoxFuture, Repository};
use crate::entity::{Entity, Key};
use crate::error::{from_sdk, ConditionFailed, Error, Result};
use crate::expr::{Path, Placeholders, Update, UpdateAction, ValueFor};
use crate::validate;
use crate::value::Item;
use aws_sdk_dynamodb::types::{
    ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure,
};
use std::future::IntoFuture;
use tracing::Instrument;

fn condition_failed<T: Entity>(
    operation: &'static str,
    table: &str,
    key: &Item,
    item: Option<Item>,
) -> Error {
    Error::ConditionFailed(Box::new(ConditionFailed {
        operation,
        entity: T::SCHEMA.entity,
        table: table.to_owned(),
        key: Key::<T>::from_item(key.clone()).to_string(),
        item,
    }))
}

/// `attribute_exists(pk)` or `attribute_not_exists(pk)`, through placeholders.
fn existence_condition<T: Entity>(placeholders: &mut Placeholders, exists: bool) -> String {
    let name = placeholders.name("c", T::SCHEMA.partition_key.name);
    if exists {
        format!("attribute_exists({name})")
    } else {
        format!("attribute_not_exists({name})")
    }
}

/// A `PutItem` request being built; `.await` it (or call [`Put::send`]).
#[must_use = "a request does nothing until it is awaited"]
pub struct Put<'r, T> {
    repo: &'r Repository<T>,
    item: &'r T,
    if_not_exists: bool,
}

impl<'r, T: Entity> Put<'r, T> {
    pub(super) fn new(repo: &'r Repository<T>, item: &'r T) -> Self {
        Put {
            repo,
            item,
            if_not_exists: false,
        }
    }

    /// Writes only when no item with the same key exists; otherwise fails
    /// with [`Error::ConditionFailed`] carrying the existing item.
    pub fn if_not_exists(mut self) -> Self {
        self.if_not_exists = true;
        self
    }

    /// The SDK request this would send, after the same validation.
    pub fn to_request(
        &self,
    ) -> Result<aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder> {
        let item = self.item.to_item();
        validate::check_item(&T::SCHEMA, &item)?;
        let mut request = self
            .repo
            .client
            .sdk()
            .put_item()
            .table_name(&*self.repo.table)
            .set_item(Some(item))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        if self.if_not_exists {
            let mut placeholders = Placeholders::new();
            let condition = existence_condition::<T>(&mut placeholders, false);
            let (names, values) = placeholders.into_maps();
            request = request
                .condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
        }
        Ok(request)
    }

    /// Validates and sends the request.
    pub async fn send(self) -> Result<()> {
        let span = self.repo.span("PutItem");
        async move {
            let request = self.to_request()?;
            let key = self.item.primary_key();
            let output = request.send().await.map_err(|e| {
                if let Some(aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c)) =
                    e.as_service_error()
                {
                    return condition_failed::<T>("PutItem", &self.repo.table, key.as_item(), c.item.clone());
                }
                from_sdk(e, "PutItem", &self.repo.table)
            })?;
            record_capacity(output.consumed_capacity());
            Ok(())
        }
        .instrument(span)
        .await
    }
}

impl<'r, T: Entity> IntoFuture for Put<'r, T> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A `DeleteItem` request being built; `.await` it (or call [`Delete::send`]).
#[must_use = "a request does nothing until it is awaited"]
pub struct Delete<'r, T> {
    repo: &'r Repository<T>,
    key: Key<T>,
    if_exists: bool,
}

impl<'r, T: Entity> Delete<'r, T> {
    pub(super) fn new(repo: &'r Repository<T>, key: Key<T>) -> Self {
        Delete {
            repo,
            key,
            if_exists: false,
        }
    }

    /// Fails with [`Error::ConditionFailed`] when there is no item to delete.
    pub fn if_exists(mut self) -> Self {
        self.if_exists = true;
        self
    }

    /// Returns the deleted item (`None` when there was none).
    pub fn return_old(self) -> DeleteReturningOld<'r, T> {
        DeleteReturningOld(self)
    }

    /// The SDK request this would send.
    pub fn to_request(
        &self,
    ) -> aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder {
        let mut request = self
            .repo
            .client
            .sdk()
            .delete_item()
            .table_name(&*self.repo.table)
            .set_key(Some(self.key.as_item().clone()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        if self.if_exists {
            let mut placeholders = Placeholders::new();
            let condition = existence_condition::<T>(&mut placeholders, true);
            let (names, values) = placeholders.into_maps();
            request = request
                .condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values);
        }
        request
    }

    async fn run(self, return_old: bool) -> Result<Option<T>> {
        let span = self.repo.span("DeleteItem");
        async move {
            validate::check_key(&T::SCHEMA, self.key.as_item())?;
            let mut request = self.to_request();
            if return_old {
                request = request.return_values(ReturnValue::AllOld);
            }
            let output = request.send().await.map_err(|e| {
                if let Some(aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(c)) =
                    e.as_service_error()
                {
                    return condition_failed::<T>("DeleteItem", &self.repo.table, self.key.as_item(), c.item.clone());
                }
                from_sdk(e, "DeleteItem", &self.repo.table)
            })?;
            record_capacity(output.consumed_capacity());
            output.attributes.filter(|a| !a.is_empty()).map(T::from_item).transpose()
        }
        .instrument(span)
        .await
    }

    /// Validates and sends the request.
    pub async fn send(self) -> Result<()> {
        self.run(false).await.map(|_| ())
    }
}

impl<'r, T: Entity> IntoFuture for Delete<'r, T> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A delete that returns the deleted item.
#[must_use = "a request does nothing until it is awaited"]
pub struct DeleteReturningOld<'r, T>(Delete<'r, T>);

impl<'r, T: Entity> DeleteReturningOld<'r, T> {
    /// Validates and sends the request; the deleted item, or `None`.
    pub async fn send(self) -> Result<Option<T>> {
        self.0.run(true).await
    }
}

impl<'r, T: Entity> IntoFuture for DeleteReturningOld<'r, T> {
    type Output = Result<Option<T>>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// An `UpdateItem` request being built; `.await` it (or call [`UpdateItem::send`]).
#[must_use = "a request does nothing until it is awaited"]
pub struct UpdateItem<'r, T> {
    repo: &'r Repository<T>,
    key: Key<T>,
    update: Update<T>,
    if_exists: bool,
}

impl<'r, T: Entity> UpdateItem<'r, T> {
    pub(super) fn new(repo: &'r Repository<T>, key: Key<T>) -> Self {
        UpdateItem {
            repo,
            key,
            update: Update::new(),
            if_exists: false,
        }
    }

    /// Sets the attribute at `path` (a `None` removes it).
    pub fn set<V>(mut self, path: Path<T, V>, value: impl ValueFor<V>) -> Self {
        self.update = self.update.set(path, value);
        self
    }

    /// Removes the attribute at `path`.
    pub fn remove<V>(mut self, path: Path<T, V>) -> Self {
        self.update = self.update.remove(path);
        self
    }

    /// Adds the actions of a prepared [`Update`].
    pub fn apply(mut self, update: Update<T>) -> Self {
        for action in update.actions() {
            self.update = self.update.push(action.clone());
        }
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

    /// The SDK request this would send, after the same validation.
    pub fn to_request(
        &self,
    ) -> Result<aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder> {
        validate::check_key(&T::SCHEMA, self.key.as_item())?;
        for action in self.update.actions() {
            if let UpdateAction::Set(path, value) = action {
                validate::check_value(&T::SCHEMA, &path.to_string(), value)?;
            }
        }
        let mut placeholders = Placeholders::new();
        let expression = self.update.render(&mut placeholders)?;
        let condition = self
            .if_exists
            .then(|| existence_condition::<T>(&mut placeholders, true));
        let (names, values) = placeholders.into_maps();
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
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Total))
    }

    async fn run(self, return_new: bool) -> Result<Option<T>> {
        let span = self.repo.span("UpdateItem");
        async move {
            let mut request = self.to_request()?;
            if return_new {
                request = request.return_values(ReturnValue::AllNew);
            }
            let output = request.send().await.map_err(|e| {
                if let Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c)) =
                    e.as_service_error()
                {
                    return condition_failed::<T>("UpdateItem", &self.repo.table, self.key.as_item(), c.item.clone());
                }
                from_sdk(e, "UpdateItem", &self.repo.table)
            })?;
            record_capacity(output.consumed_capacity());
            output.attributes.filter(|_| return_new).map(T::from_item).transpose()
        }
        .instrument(span)
        .await
    }

    /// Validates and sends the request.
    pub async fn send(self) -> Result<()> {
        self.run(false).await.map(|_| ())
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
    /// Validates and sends the request; the item after the update.
    pub async fn send(self) -> Result<T> {
        let table = self.0.repo.table.to_string();
        self.0.run(true).await?.ok_or_else(|| Error::Service {
            operation: "UpdateItem",
            table,
            code: None,
            message: Some("DynamoDB returned no attributes for ReturnValues=ALL_NEW".into()),
            source: "missing attributes".into(),
        })
    }
}

impl<'r, T: Entity> IntoFuture for UpdateReturningNew<'r, T> {
    type Output = Result<T>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
