//! Put, delete and update requests, with the managed attributes (version,
//! timestamps) applied on every write.

//!
//! # What a write asks DynamoDB for
//!
//! A write carries only the options whose answer is used:
//! - `ReturnValuesOnConditionCheckFailure=ALL_OLD` only when the write has a
//!   condition: a failed condition then comes back with the stored item
//!   (free of read cost), which [`Error::ConditionFailed`](crate::Error::ConditionFailed) carries and the
//!   type guard reads to tell a wrong entity type from a failed condition.
//!   Without a condition there is no failure to explain.
//! - `ReturnValues` only when the caller wants the item back (`save`,
//!   `return_new`, `return_updated`, `return_old`); the default `NONE` is
//!   never sent.
//! - `ReturnConsumedCapacity` only when capacity was asked for (see
//!   [`crate::capacity`]).

use super::{BoxFuture, Repository, ReturningCapacity};
use crate::capacity::{self, Capacity};
use crate::entity::{Entity, Key};
use crate::error::{from_sdk, Result};
use crate::expr::{Condition, Path, Placeholders};
use crate::managed::{self, ExpectedVersion};
use crate::validate;
use crate::value::Item;
use aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder;
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
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

/// `ALL_OLD` when the write has a condition (a failure then carries the
/// stored item, which the error and the type guard read); nothing otherwise.
pub(crate) fn old_on_failure(
    condition: &Option<String>,
) -> Option<ReturnValuesOnConditionCheckFailure> {
    condition
        .is_some()
        .then_some(ReturnValuesOnConditionCheckFailure::AllOld)
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

pub(super) fn and<T>(
    existing: Option<Condition<T>>,
    condition: Condition<T>,
) -> Option<Condition<T>> {
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

/// A put validated and built, with what its answer is read with.
struct Prepared {
    key: Item,
    expected: Option<ExpectedVersion>,
    /// A copy of the item sent, for `save` only.
    kept: Option<Item>,
    request: PutRequest,
}

/// A put being built; `.await` it (or call [`Put::send`]).
#[must_use = "a request does nothing until it is awaited"]
pub struct Put<'r, T> {
    repo: &'r Repository<T>,
    item: &'r T,
    if_not_exists: bool,
    condition: Option<Condition<T>>,
    capacity: bool,
    /// Whether the stored item is read back (`save`).
    stored: bool,
}

impl<'r, T: Entity> Put<'r, T> {
    pub(super) fn new(repo: &'r Repository<T>, item: &'r T) -> Self {
        Put {
            repo,
            item,
            if_not_exists: false,
            condition: None,
            capacity: repo.client.consumed_capacity(),
            stored: false,
        }
    }

    /// Asks for the capacity the put consumes and returns it:
    /// `.await` gives a [`WithCapacity<()>`](crate::WithCapacity).
    pub fn return_consumed_capacity(mut self) -> ReturningCapacity<Self> {
        self.capacity = true;
        ReturningCapacity(self)
    }

    /// Writes only when `condition` holds for the stored item (or its
    /// absence); otherwise fails with [`Error::ConditionFailed`](crate::Error::ConditionFailed). Repeated
    /// calls add conditions that must all hold.
    pub fn condition(mut self, condition: Condition<T>) -> Self {
        self.condition = and(self.condition.take(), condition);
        self
    }

    /// Writes only when no item with the same key exists; otherwise fails
    /// with [`Error::ConditionFailed`](crate::Error::ConditionFailed) carrying the existing item.
    pub fn if_not_exists(mut self) -> Self {
        self.if_not_exists = true;
        self
    }

    /// Validates and builds the request. The item is moved into it, not
    /// copied: only `save` (which reads the stored item back) keeps a copy.
    fn prepare(&self) -> Result<Prepared> {
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
                prepared.condition,
                crate::type_guard::condition::<T>(),
            ],
            &mut placeholders,
        )?;
        let (names, values) = placeholders.into_maps();
        let sdk = self.repo.client.sdk();
        let on_failure = old_on_failure(&condition);
        let key = key_of::<T>(&prepared.item);
        let kept = self.stored.then(|| prepared.item.clone());
        let request = match update {
            None => PutRequest::Put(
                sdk.put_item()
                    .table_name(&*self.repo.table)
                    .set_item(Some(prepared.item))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values_on_condition_check_failure(on_failure)
                    .set_return_consumed_capacity(capacity::request(self.capacity)),
            ),
            // The stored creation time is kept by the update; only `save`
            // reads the item back (ALL_NEW) to learn it.
            Some(expression) => PutRequest::Update(
                sdk.update_item()
                    .table_name(&*self.repo.table)
                    .set_key(Some(key.clone()))
                    .update_expression(expression)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values(self.stored.then_some(ReturnValue::AllNew))
                    .set_return_values_on_condition_check_failure(on_failure)
                    .set_return_consumed_capacity(capacity::request(self.capacity)),
            ),
        };
        Ok(Prepared {
            key,
            expected: prepared.expected,
            kept,
            request,
        })
    }

    /// The SDK request this would send, after the same validation. For an
    /// entity with `#[dynamo(unique)]` fields, the entity's own request: the
    /// put is sent inside a `TransactWriteItems` with its marker items (see
    /// [`crate::unique`]).
    pub fn to_request(&self) -> Result<PutRequest> {
        self.prepare().map(|p| p.request)
    }

    /// Validates and sends; returns, for `save` ([`reading_back`](Self::reading_back)),
    /// the item as stored (with its new version and timestamps).
    pub(crate) async fn run(self) -> Result<(Option<Item>, Option<Capacity>)> {
        if !T::UNIQUE.is_empty() {
            // Markers of unique fields: one transaction (see `crate::unique`).
            let span = self.repo.span("TransactWriteItems");
            let Put {
                repo,
                item,
                if_not_exists,
                condition,
                capacity,
                stored,
            } = self;
            return crate::unique::put(repo, item, if_not_exists, condition, capacity, stored)
                .instrument(span)
                .await;
        }
        let span = self.repo.span("PutItem");
        async move {
            let Prepared {
                key,
                expected,
                kept,
                request,
            } = self.prepare()?;
            let table = &self.repo.table;
            let stored = |failed_item: Option<Item>, operation| {
                crate::type_guard::condition_error::<T>(operation, table, &key, expected, failed_item)
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
                    let capacity = capacity::record_one(output.consumed_capacity());
                    Ok((kept, capacity))
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
                    let capacity = capacity::record_one(output.consumed_capacity());
                    Ok((output.attributes.or(kept), capacity))
                }
            }
        }
        .instrument(span)
        .await
    }

    /// The put of `save`: reads the stored item back when it may differ.
    pub(super) fn reading_back(mut self) -> Self {
        self.stored = true;
        self
    }

    /// Validates and sends the request.
    pub async fn send(self) -> Result<()> {
        self.run().await.map(|_| ())
    }

    pub(super) async fn run_capacity(self) -> Result<((), Option<Capacity>)> {
        self.run().await.map(|(_, c)| ((), c))
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
    capacity: bool,
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
            capacity: repo.client.consumed_capacity(),
        }
    }

    /// Asks for the capacity the delete consumes and returns it:
    /// `.await` gives a [`WithCapacity<()>`](crate::WithCapacity).
    pub fn return_consumed_capacity(mut self) -> ReturningCapacity<Self> {
        self.capacity = true;
        ReturningCapacity(self)
    }

    /// Deletes only when `condition` holds for the stored item; otherwise
    /// fails with [`Error::ConditionFailed`](crate::Error::ConditionFailed) carrying the stored item.
    pub fn condition(mut self, condition: Condition<T>) -> Self {
        self.condition = and(self.condition.take(), condition);
        self
    }

    /// Fails with [`Error::ConditionFailed`](crate::Error::ConditionFailed) when there is no item to delete.
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
        let on_failure = old_on_failure(&condition);
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
            .set_return_values_on_condition_check_failure(on_failure)
            .set_return_consumed_capacity(capacity::request(self.capacity)))
    }

    pub(super) async fn run(self, return_old: bool) -> Result<(Option<T>, Option<Capacity>)> {
        if !T::UNIQUE.is_empty() {
            // Releases of unique values: one transaction (see `crate::unique`).
            let span = self.repo.span("TransactWriteItems");
            let Delete {
                repo,
                key,
                if_exists,
                condition,
                expected,
                capacity,
            } = self;
            return crate::unique::delete(
                repo, &key, if_exists, condition, expected, capacity, return_old,
            )
            .instrument(span)
            .await;
        }
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
            let capacity = capacity::record_one(output.consumed_capacity());
            let old = output.attributes.filter(|a| !a.is_empty()).map(T::from_item).transpose()?;
            Ok((old, capacity))
        }
        .instrument(span)
        .await
    }

    /// Validates and sends the request.
    pub async fn send(self) -> Result<()> {
        self.run(false).await.map(|_| ())
    }

    pub(super) async fn run_capacity(self) -> Result<((), Option<Capacity>)> {
        self.run(false).await.map(|(_, c)| ((), c))
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
    /// Asks for the capacity the delete consumes and returns it beside the
    /// deleted item.
    pub fn return_consumed_capacity(mut self) -> ReturningCapacity<Self> {
        self.0.capacity = true;
        ReturningCapacity(self)
    }

    /// Validates and sends the request; the deleted item, or `None`.
    pub async fn send(self) -> Result<Option<T>> {
        self.0.run(true).await.map(|(old, _)| old)
    }

    pub(super) async fn run_capacity(self) -> Result<(Option<T>, Option<Capacity>)> {
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
