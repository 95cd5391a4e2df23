//! Put, delete and update requests, with the managed attributes (version,
//! timestamps) applied on every write.

use super::{record_capacity, BoxFuture, Repository};
use crate::entity::{Entity, Key};
use crate::error::{from_sdk, Error, Result};
use crate::expr::{Condition, IntoPath, Path, Placeholders, Update, ValueFor};
use crate::managed::{self, ExpectedVersion};
use crate::validate;
use crate::value::Item;
use aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder;
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure,
};
use std::future::IntoFuture;
use tracing::Instrument;

/// `attribute_exists(pk)` or `attribute_not_exists(pk)`.
pub(crate) fn existence<T: Entity>(exists: bool) -> Condition<T> {
    let pk = Path::<T, ()>::attribute(T::SCHEMA.partition_key.name);
    if exists {
        pk.exists()
    } else {
        pk.not_exists()
    }
}

/// All the conditions of one write, rendered with prefix `c`.
pub(crate) fn render_conditions<T: Entity>(
    parts: impl IntoIterator<Item = Option<Condition<T>>>,
    placeholders: &mut Placeholders,
) -> Result<Option<String>> {
    Condition::all(parts)
        .render(placeholders, "c")
        .map_err(|e| e.entity(T::SCHEMA.entity).into())
}

fn and<T>(existing: Option<Condition<T>>, condition: Condition<T>) -> Option<Condition<T>> {
    Some(match existing {
        Some(e) => e.and(condition),
        None => condition,
    })
}

/// The request a put sends: a `PutItem`, or for entities with
/// `#[dynamo(created_at)]` that may already exist, an `UpdateItem` that keeps
/// the stored creation time.
#[derive(Debug)]
pub enum PutRequest {
    /// A plain `PutItem`.
    Put(PutItemFluentBuilder),
    /// An `UpdateItem` setting every attribute.
    Update(UpdateItemFluentBuilder),
}

/// A put being built; `.await` it (or call [`Put::send`]).
#[must_use = "a request does nothing until it is awaited"]
pub struct Put<'r, T> {
    repo: &'r Repository<T>,
    item: &'r T,
    if_not_exists: bool,
    condition: Option<Condition<T>>,
}

impl<'r, T: Entity> Put<'r, T> {
    pub(super) fn new(repo: &'r Repository<T>, item: &'r T) -> Self {
        Put {
            repo,
            item,
            if_not_exists: false,
            condition: None,
        }
    }

    /// Writes only when `condition` holds for the stored item (or its
    /// absence); otherwise fails with [`Error::ConditionFailed`]. Repeated
    /// calls add conditions that must all hold.
    pub fn condition(mut self, condition: Condition<T>) -> Self {
        self.condition = and(self.condition.take(), condition);
        self
    }

    /// Writes only when no item with the same key exists; otherwise fails
    /// with [`Error::ConditionFailed`] carrying the existing item.
    pub fn if_not_exists(mut self) -> Self {
        self.if_not_exists = true;
        self
    }

    fn prepare(&self) -> Result<(managed::PreparedPut<T>, PutRequest)> {
        let prepared = managed::prepare_put::<T>(self.item.to_item())?;
        validate::check_item(&T::SCHEMA, &prepared.item)?;
        let mut placeholders = Placeholders::new();
        let update = match &prepared.as_update {
            Some(update) => Some(update.render(&mut placeholders)?),
            None => None,
        };
        let condition = render_conditions(
            [
                self.if_not_exists.then(|| existence::<T>(false)),
                self.condition.clone(),
                prepared.condition.clone(),
                crate::type_guard::condition::<T>(),
            ],
            &mut placeholders,
        )?;
        let (names, values) = placeholders.into_maps();
        let sdk = self.repo.client.sdk();
        let request = match update {
            None => PutRequest::Put(
                sdk.put_item()
                    .table_name(&*self.repo.table)
                    .set_item(Some(prepared.item.clone()))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
                    .return_consumed_capacity(ReturnConsumedCapacity::Total),
            ),
            Some(expression) => PutRequest::Update(
                sdk.update_item()
                    .table_name(&*self.repo.table)
                    .set_key(Some(key_of::<T>(&prepared.item)))
                    .update_expression(expression)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .return_values(ReturnValue::AllNew)
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
                    .return_consumed_capacity(ReturnConsumedCapacity::Total),
            ),
        };
        Ok((prepared, request))
    }

    /// The SDK request this would send, after the same validation.
    pub fn to_request(&self) -> Result<PutRequest> {
        self.prepare().map(|(_, request)| request)
    }

    /// Validates and sends; returns the item as stored (with its new version
    /// and timestamps).
    pub(crate) async fn run(self) -> Result<Item> {
        let span = self.repo.span("PutItem");
        async move {
            let (prepared, request) = self.prepare()?;
            let key = key_of::<T>(&prepared.item);
            let table = &self.repo.table;
            let stored = |failed_item: Option<Item>, operation| {
                crate::type_guard::condition_error::<T>(operation, table, &key, prepared.expected, failed_item)
            };
            match request {
                PutRequest::Put(request) => {
                    let output = request.send().await.map_err(|e| {
                        if let Some(aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c)) =
                            e.as_service_error()
                        {
                            return stored(c.item.clone(), "PutItem");
                        }
                        from_sdk(e, "PutItem", table)
                    })?;
                    record_capacity(output.consumed_capacity());
                    Ok(prepared.item)
                }
                PutRequest::Update(request) => {
                    let output = request.send().await.map_err(|e| {
                        if let Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c)) =
                            e.as_service_error()
                        {
                            return stored(c.item.clone(), "UpdateItem");
                        }
                        from_sdk(e, "UpdateItem", table)
                    })?;
                    record_capacity(output.consumed_capacity());
                    Ok(output.attributes.unwrap_or(prepared.item))
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Validates and sends the request.
    pub async fn send(self) -> Result<()> {
        self.run().await.map(|_| ())
    }
}

impl<'r, T: Entity> IntoFuture for Put<'r, T> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The key attributes of a full item.
pub(crate) fn key_of<T: Entity>(item: &Item) -> Item {
    T::SCHEMA
        .key_attributes()
        .filter_map(|k| item.get(k.name).map(|v| (k.name.to_owned(), v.clone())))
        .collect()
}

/// A `DeleteItem` request being built; `.await` it (or call [`Delete::send`]).
#[must_use = "a request does nothing until it is awaited"]
pub struct Delete<'r, T> {
    repo: &'r Repository<T>,
    key: Key<T>,
    if_exists: bool,
    condition: Option<Condition<T>>,
    expected: Option<ExpectedVersion>,
}

impl<'r, T: Entity> Delete<'r, T> {
    pub(super) fn new(
        repo: &'r Repository<T>,
        key: Key<T>,
        expected: Option<ExpectedVersion>,
    ) -> Self {
        Delete {
            repo,
            key,
            if_exists: false,
            condition: None,
            expected,
        }
    }

    /// Deletes only when `condition` holds for the stored item; otherwise
    /// fails with [`Error::ConditionFailed`] carrying the stored item.
    pub fn condition(mut self, condition: Condition<T>) -> Self {
        self.condition = and(self.condition.take(), condition);
        self
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

    /// The SDK request this would send, after the same validation.
    pub fn to_request(&self) -> Result<DeleteItemFluentBuilder> {
        validate::check_key(&T::SCHEMA, self.key.as_item())?;
        let mut placeholders = Placeholders::new();
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
        Ok(self
            .repo
            .client
            .sdk()
            .delete_item()
            .table_name(&*self.repo.table)
            .set_key(Some(self.key.as_item().clone()))
            .set_condition_expression(condition)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Total))
    }

    async fn run(self, return_old: bool) -> Result<Option<T>> {
        let span = self.repo.span("DeleteItem");
        async move {
            let mut request = self.to_request()?;
            if return_old {
                request = request.return_values(ReturnValue::AllOld);
            }
            let output = request.send().await.map_err(|e| {
                if let Some(aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(c)) =
                    e.as_service_error()
                {
                    return crate::type_guard::condition_error::<T>(
                        "DeleteItem",
                        &self.repo.table,
                        self.key.as_item(),
                        self.expected,
                        c.item.clone(),
                    );
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
    condition: Option<Condition<T>>,
    expected: Option<ExpectedVersion>,
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
        }
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
        self.run(ReturnValue::UpdatedNew)
            .await
            .map(|item| item.unwrap_or_default())
    }

    /// The SDK request this would send, after the same validation.
    pub fn to_request(&self) -> Result<UpdateItemFluentBuilder> {
        validate::check_key(&T::SCHEMA, self.key.as_item())?;
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

    async fn run(self, return_values: ReturnValue) -> Result<Option<Item>> {
        let span = self.repo.span("UpdateItem");
        async move {
            let request = self.to_request()?.return_values(return_values);
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
            record_capacity(output.consumed_capacity());
            Ok(output.attributes)
        }
        .instrument(span)
        .await
    }

    /// Validates and sends the request.
    pub async fn send(self) -> Result<()> {
        self.run(ReturnValue::None).await.map(|_| ())
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
        self.0
            .run(ReturnValue::AllNew)
            .await?
            .map(T::from_item)
            .transpose()?
            .ok_or_else(|| Error::Service {
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
