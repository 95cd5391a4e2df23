//! [`UnitOfWork`]: writes across entities and tables committed as one
//! `TransactWriteItems`, validated before sending, idempotent across retries;
//! and [`TransactGet`]: typed reads of up to 100 keys in one `TransactGetItems`.

use crate::client::Client;
use crate::entity::{Entity, Key};
use crate::error::{from_sdk, Error, Result, ValidationError, ValidationErrorKind};
use crate::expr::{Condition, Placeholders, Update};
use crate::managed::{self, ExpectedVersion};
use crate::repository::{existence, key_of, render_conditions, Repository};
use crate::retry::{self, RetryPolicy};
use crate::validate;
use crate::value::Item;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete as SdkDelete, Put as SdkPut, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update as SdkUpdate,
};
use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use tracing::Instrument;

/// DynamoDB's largest transaction, in actions.
pub const MAX_ACTIONS: usize = 100;
/// DynamoDB's largest transaction, in bytes.
pub const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

/// One action of a unit, described for errors.
#[derive(Debug, Clone)]
struct Action {
    operation: &'static str,
    entity: &'static str,
    schema: &'static crate::entity::TableSchema,
    table: String,
    key: Item,
    /// Renders the key for errors; only called when one is reported.
    key_text: fn(&Item) -> String,
    expected: Option<ExpectedVersion>,
    /// The built request and its size, boxed: actions stay small to move.
    request: std::result::Result<(Box<TransactWriteItem>, usize), ValidationError>,
}

/// Puts, updates, deletes and condition checks across entities and tables,
/// committed together or not at all: exactly one `TransactWriteItems` request
/// per attempt.
///
/// ```no_run
/// # use dynamo_repo::{Client, Entity};
/// # #[derive(Entity)] #[dynamo(table = "accounts")]
/// # struct Account { #[dynamo(partition_key)] id: String, balance: i64 }
/// # async fn demo(client: Client) -> dynamo_repo::Result<()> {
/// let f = Account::fields();
/// let mut uow = client.unit_of_work();
/// uow.update_if(Account::key("alice"), f.balance.ge(30), |u| u.decrement(&f.balance, 30))
///     .update(Account::key("bob"), |u| u.increment(&f.balance, 30));
/// uow.commit().await?; // both or neither
/// # Ok(()) }
/// ```
#[must_use = "a unit of work does nothing until committed"]
pub struct UnitOfWork {
    client: Client,
    actions: Vec<Action>,
    tables: HashMap<TypeId, String>,
    token: Option<String>,
    retry: RetryPolicy,
}

/// What a successful commit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The `ClientRequestToken` sent (the same on every attempt); `None` when
    /// the unit was empty and nothing was sent.
    pub token: Option<String>,
    /// How many `TransactWriteItems` requests were sent (0 for an empty unit).
    pub attempts: u32,
}

fn new_token() -> String {
    format!("{:016x}{:016x}", retry::random_u64(), retry::random_u64())
}

impl Client {
    /// A new, empty unit of work on this client.
    pub fn unit_of_work(&self) -> UnitOfWork {
        UnitOfWork {
            client: self.clone(),
            actions: Vec::new(),
            tables: HashMap::new(),
            token: None,
            retry: RetryPolicy::default(),
        }
    }

    /// A new, empty transactional read on this client.
    pub fn transact_get(&self) -> TransactGet {
        TransactGet {
            client: self.clone(),
            gets: Vec::new(),
            tables: HashMap::new(),
        }
    }
}

impl UnitOfWork {
    /// Sends actions on `T` to this repository's table (by default, `T`'s own).
    pub fn with_repository<T: Entity>(&mut self, repo: &Repository<T>) -> &mut Self {
        self.tables
            .insert(TypeId::of::<T>(), repo.table_name().to_owned());
        self
    }

    /// Uses `token` as the `ClientRequestToken` (1 to 36 characters) instead
    /// of a generated one; DynamoDB applies a token's transaction at most
    /// once in 10 minutes.
    pub fn client_request_token(&mut self, token: impl Into<String>) -> &mut Self {
        self.token = Some(token.into());
        self
    }

    /// How transaction conflicts and throttling are retried (default: 5
    /// attempts, full jitter from 100 ms, 20 s cap).
    pub fn retry_policy(&mut self, policy: RetryPolicy) -> &mut Self {
        self.retry = policy;
        self
    }

    /// The number of actions so far.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Whether no action was added.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The token this unit sends (generated on first use).
    pub fn token(&mut self) -> String {
        self.token.get_or_insert_with(new_token).clone()
    }

    fn table_of<T: Entity>(&self) -> String {
        self.tables
            .get(&TypeId::of::<T>())
            .cloned()
            .unwrap_or_else(|| T::SCHEMA.table.to_owned())
    }

    fn push<T: Entity>(
        &mut self,
        table: String,
        operation: &'static str,
        key: Item,
        expected: Option<ExpectedVersion>,
        request: std::result::Result<(TransactWriteItem, usize), ValidationError>,
    ) -> &mut Self {
        let key_text: fn(&Item) -> String = |key| Key::<T>::from_item(key.clone()).to_string();
        self.actions.push(Action {
            operation,
            entity: T::SCHEMA.entity,
            schema: &T::SCHEMA,
            table,
            key,
            key_text,
            expected,
            request: request.map(|(item, size)| (Box::new(item), size)),
        });
        self
    }

    fn put_with<T: Entity>(
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
            let size = validate::check_item(&T::SCHEMA, &prepared.item)?;
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
                ],
                &mut placeholders,
            )?;
            let (names, values) = placeholders.into_maps();
            let item = match update {
                None => TransactWriteItem::builder().put(
                    SdkPut::builder()
                        .table_name(table_name)
                        .set_item(Some(prepared.item))
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
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
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
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

    fn update_with<T: Entity>(
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
            validate::check_key(&T::SCHEMA, &key)?;
            update.check_key_sources()?;
            let mut size = key_size(&key);
            for action in update.actions() {
                if let Some(value) = action.value() {
                    size += validate::check_value(&T::SCHEMA, &action.path(), value)?;
                }
            }
            if update.is_empty() {
                Update::<T>::new().render(&mut Placeholders::new())?;
            }
            managed::check_incrementable(&T::SCHEMA, expected)?;
            let update = managed::prepare_update(update);
            let mut placeholders = Placeholders::new();
            let expression = update.render(&mut placeholders)?;
            let condition = render_conditions(
                [condition, managed::version_condition::<T>(expected)],
                &mut placeholders,
            )?;
            size += expression.len() + condition.as_ref().map_or(0, String::len);
            let (names, values) = placeholders.into_maps();
            let item = TransactWriteItem::builder()
                .update(
                    SdkUpdate::builder()
                        .table_name(&table)
                        .set_key(Some(key.clone()))
                        .update_expression(expression)
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
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

    fn delete_with<T: Entity>(
        &mut self,
        key: Key<T>,
        expected: Option<ExpectedVersion>,
        condition: Option<Condition<T>>,
    ) -> &mut Self {
        let table = self.table_of::<T>();
        let key = key.into_item();
        let built = (|| -> Result<(TransactWriteItem, usize)> {
            validate::check_key(&T::SCHEMA, &key)?;
            let mut placeholders = Placeholders::new();
            let condition = render_conditions(
                [condition, managed::version_condition::<T>(expected)],
                &mut placeholders,
            )?;
            let size = key_size(&key) + condition.as_ref().map_or(0, String::len);
            let (names, values) = placeholders.into_maps();
            let item = TransactWriteItem::builder()
                .delete(
                    SdkDelete::builder()
                        .table_name(&table)
                        .set_key(Some(key.clone()))
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
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
        let expected = managed::expectation(&T::SCHEMA, &item.to_item());
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
            validate::check_key(&T::SCHEMA, &key)?;
            let mut placeholders = Placeholders::new();
            let rendered = condition
                .render(&mut placeholders, "c")
                .map_err(|e| e.entity(T::SCHEMA.entity))?;
            let Some(rendered) = rendered else {
                return Err(ValidationError::new(
                    ValidationErrorKind::Other,
                    "a condition check needs a condition",
                )
                .into());
            };
            let size = key_size(&key) + rendered.len();
            let (names, values) = placeholders.into_maps();
            let item = TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(&table)
                        .set_key(Some(key.clone()))
                        .condition_expression(rendered)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
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

    fn describe(&self, position: usize) -> String {
        let a = &self.actions[position];
        format!(
            "action {position} ({} of {} {} in `{}`)",
            a.operation,
            a.entity,
            (a.key_text)(&a.key),
            a.table
        )
    }

    /// Checks the whole unit as DynamoDB would, without building or sending
    /// a request: at most 100 actions, every action valid, no two on the same
    /// item, at most 4 MB in all. `commit` and `to_request` run the same checks.
    pub fn validate(&self) -> Result<()> {
        if self.actions.len() > MAX_ACTIONS {
            return Err(ValidationError::new(
                ValidationErrorKind::TooManyActions,
                format!(
                    "a transaction holds at most {MAX_ACTIONS} actions; this unit has {} ({} is the first one over)",
                    self.actions.len(),
                    self.describe(MAX_ACTIONS)
                ),
            )
            .into());
        }
        let mut seen: HashMap<(&str, Vec<u8>), usize> = HashMap::with_capacity(self.actions.len());
        let mut total = 0;
        for (position, action) in self.actions.iter().enumerate() {
            match &action.request {
                Err(e) => {
                    let mut e = e.clone();
                    e.message = format!("{}: {}", self.describe(position), e.message);
                    e.action = Some(position);
                    return Err(e.into());
                }
                Ok((_, size)) => total += size,
            }
            if let Some(first) = seen.insert(
                (action.table.as_str(), validate::key_identity(&action.key)),
                position,
            ) {
                let mut e = ValidationError::new(
                    ValidationErrorKind::DuplicateItem,
                    format!(
                        "{} and {} touch the same item; DynamoDB refuses two actions on one item in a transaction",
                        self.describe(first),
                        self.describe(position)
                    ),
                )
                .entity(action.entity);
                e.action = Some(position);
                return Err(e.into());
            }
        }
        if total > MAX_TRANSACTION_BYTES {
            return Err(ValidationError::new(
                ValidationErrorKind::ItemTooLarge,
                format!("the transaction is about {total} bytes; DynamoDB's limit is {MAX_TRANSACTION_BYTES} (4 MB)"),
            )
            .into());
        }
        Ok(())
    }

    /// A copy of the validated actions, for one request: the unit keeps its
    /// own, so a retry or a replayed commit sends the same items.
    fn items(&self) -> Vec<TransactWriteItem> {
        self.actions
            .iter()
            .filter_map(|a| a.request.as_ref().ok().map(|(item, _)| (**item).clone()))
            .collect()
    }

    /// The SDK request a commit sends, after the same validation (`None` for
    /// an empty unit, which sends nothing).
    pub fn to_request(
        &mut self,
    ) -> Result<Option<aws_sdk_dynamodb::operation::transact_write_items::builders::TransactWriteItemsFluentBuilder>>{
        if self.actions.is_empty() {
            return Ok(None);
        }
        self.validate()?;
        let token = self.token();
        if token.is_empty() || token.len() > 36 {
            return Err(ValidationError::new(
                ValidationErrorKind::Other,
                format!(
                    "a ClientRequestToken has 1 to 36 characters; `{token}` has {}",
                    token.len()
                ),
            )
            .into());
        }
        Ok(Some(self.request_with(token)))
    }

    /// The request of the validated unit, with its token.
    fn request_with(
        &self,
        token: String,
    ) -> aws_sdk_dynamodb::operation::transact_write_items::builders::TransactWriteItemsFluentBuilder
    {
        self.client
            .sdk()
            .transact_write_items()
            .set_transact_items(Some(self.items()))
            .client_request_token(token)
            .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
    }

    /// Validates the unit and commits it: one `TransactWriteItems` per
    /// attempt, every attempt with the same `ClientRequestToken`, so a retry
    /// after a lost response is applied at most once. Transaction conflicts
    /// and throttling are retried with backoff; condition failures and
    /// validation errors are not. Committing the same unit again replays its
    /// token (DynamoDB applies it once within 10 minutes).
    pub async fn commit(&mut self) -> Result<Committed> {
        let Some(request) = self.to_request()? else {
            return Ok(Committed {
                token: None,
                attempts: 0,
            });
        };
        let token = self.token();
        let span = tracing::info_span!(
            "dynamodb",
            db.system = "dynamodb",
            db.operation = "TransactWriteItems",
            actions = self.actions.len(),
            db.consumed_capacity = tracing::field::Empty,
        );
        async move {
            let mut attempt = 0;
            // The first attempt sends the request built above; a retry copies
            // the unit's actions again (one copy per attempt, none kept idle).
            let mut first = Some(request);
            loop {
                attempt += 1;
                let last = attempt >= self.retry.max_attempts;
                let request = match first.take() {
                    Some(request) => request,
                    None => self.request_with(token.clone()),
                };
                match request.send().await {
                    Ok(output) => {
                        let units: f64 = output.consumed_capacity().iter().filter_map(|c| c.capacity_units()).sum();
                        tracing::Span::current().record("db.consumed_capacity", units);
                        return Ok(Committed { token: Some(token), attempts: attempt });
                    }
                    Err(e) => {
                        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as E;
                        match e.as_service_error() {
                            Some(E::TransactionCanceledException(c)) => {
                                let reasons = c.cancellation_reasons();
                                if last || !only_transient(reasons) {
                                    return Err(self.cancellation(&token, reasons));
                                }
                            }
                            // The same token is still being applied: wait and ask again.
                            Some(E::TransactionInProgressException(_)) if !last => {}
                            _ => {
                                let err = from_sdk(e, "TransactWriteItems", &self.tables_text());
                                if last || !err.is_throttled() {
                                    return Err(err);
                                }
                            }
                        }
                        let delay = self.retry.delay(attempt - 1, retry::unit_random());
                        tracing::debug!(attempt, ?delay, "retrying TransactWriteItems with the same token");
                        tokio::time::sleep(delay).await;
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    fn tables_text(&self) -> String {
        let mut tables: Vec<&str> = self.actions.iter().map(|a| a.table.as_str()).collect();
        tables.sort();
        tables.dedup();
        tables.join(", ")
    }

    fn cancellation(
        &self,
        token: &str,
        reasons: &[aws_sdk_dynamodb::types::CancellationReason],
    ) -> Error {
        // DynamoDB lists one reason per action, in request order.
        let actions = self
            .actions
            .iter()
            .enumerate()
            .map(|(position, action)| {
                let reason = reasons.get(position);
                let code = reason.and_then(|r| r.code()).unwrap_or("None");
                let item = reason.and_then(|r| r.item()).cloned();
                let why = match code {
                    "None" => CancellationCode::None,
                    "ConditionalCheckFailed" => {
                        match managed::conflict(action.schema, action.expected, item.as_ref()) {
                            Some((expected, stored)) => {
                                CancellationCode::VersionConflict { expected, stored }
                            }
                            None => CancellationCode::ConditionalCheckFailed,
                        }
                    }
                    "TransactionConflict" => CancellationCode::TransactionConflict,
                    "ItemCollectionSizeLimitExceeded" => {
                        CancellationCode::ItemCollectionSizeLimitExceeded
                    }
                    "ThrottlingError" | "ProvisionedThroughputExceeded" => {
                        CancellationCode::Throttled
                    }
                    "ValidationError" => CancellationCode::ValidationError,
                    other => CancellationCode::Other(other.to_owned()),
                };
                ActionOutcome {
                    position,
                    operation: action.operation,
                    entity: action.entity,
                    table: action.table.clone(),
                    key: (action.key_text)(&action.key),
                    reason: why,
                    message: reason.and_then(|r| r.message()).map(str::to_owned),
                    item,
                }
            })
            .collect();
        Error::TransactionCanceled(Box::new(TransactionCanceled {
            token: token.to_owned(),
            actions,
        }))
    }
}

/// Whether a cancellation is only conflicts or throttling, which a retry may clear.
fn only_transient(reasons: &[aws_sdk_dynamodb::types::CancellationReason]) -> bool {
    let transient = |code: Option<&str>| {
        matches!(
            code,
            None | Some(
                "None"
                    | "TransactionConflict"
                    | "ThrottlingError"
                    | "ProvisionedThroughputExceeded"
            )
        )
    };
    reasons.iter().all(|r| transient(r.code()))
        && reasons
            .iter()
            .any(|r| !matches!(r.code(), None | Some("None")))
}

fn key_size(key: &Item) -> usize {
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

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> Error {
    ValidationError::new(ValidationErrorKind::Other, e.to_string()).into()
}

fn into_validation(e: Error) -> ValidationError {
    match e {
        Error::Validation(v) => v,
        other => ValidationError::new(ValidationErrorKind::Other, other.to_string()),
    }
}

/// Why DynamoDB cancelled one action of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CancellationCode {
    /// This action was fine; another one failed.
    None,
    /// Its condition was false.
    ConditionalCheckFailed,
    /// Its `#[dynamo(version)]` check failed: the stored version differs.
    VersionConflict {
        /// The version in hand (`None`: the write expected no item).
        expected: Option<u64>,
        /// The stored version (`None`: no item stored).
        stored: Option<u64>,
    },
    /// Another transaction was using the item.
    TransactionConflict,
    /// An item collection of a local index would exceed 10 GB.
    ItemCollectionSizeLimitExceeded,
    /// Throughput was exceeded.
    Throttled,
    /// DynamoDB found the action invalid.
    ValidationError,
    /// A code this version of dynamo-repo does not know.
    Other(String),
}

/// One action of a cancelled transaction, and why.
#[derive(Debug, Clone)]
pub struct ActionOutcome {
    /// The action's position in the unit (0-based), in the order added.
    pub position: usize,
    /// `Put`, `Update`, `Delete` or `ConditionCheck`.
    pub operation: &'static str,
    /// The entity type.
    pub entity: &'static str,
    /// The table.
    pub table: String,
    /// The item's key, as text.
    pub key: String,
    /// Why it was cancelled (`None` for actions that were fine).
    pub reason: CancellationCode,
    /// DynamoDB's message, if any.
    pub message: Option<String>,
    /// The stored item when the action's condition failed (DynamoDB returns
    /// it because every action asks for `ALL_OLD`).
    pub item: Option<Item>,
}

impl ActionOutcome {
    /// Decodes the stored item as `T`; `None` when there is none.
    pub fn existing<T: Entity>(&self) -> Option<Result<T>> {
        self.item.clone().map(T::from_item)
    }

    /// Whether this action is one that failed.
    pub fn failed(&self) -> bool {
        self.reason != CancellationCode::None
    }
}

/// A transaction DynamoDB cancelled: nothing of it was applied.
#[derive(Debug, Clone)]
pub struct TransactionCanceled {
    /// The `ClientRequestToken` the commit used.
    pub token: String,
    /// Every action, in order, with its reason.
    pub actions: Vec<ActionOutcome>,
}

impl TransactionCanceled {
    /// The actions that failed.
    pub fn failed(&self) -> impl Iterator<Item = &ActionOutcome> {
        self.actions.iter().filter(|a| a.failed())
    }
}

impl fmt::Display for TransactionCanceled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("transaction cancelled, nothing applied:")?;
        for a in self.failed() {
            write!(
                f,
                " action {} ({} of {} {} in `{}`): {:?};",
                a.position, a.operation, a.entity, a.key, a.table, a.reason
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for TransactionCanceled {}

/// Typed reads of up to 100 keys across entities and tables, as one
/// consistent snapshot (`TransactGetItems`).
#[must_use = "a read does nothing until sent"]
pub struct TransactGet {
    client: Client,
    gets: Vec<(&'static str, String, Item)>,
    tables: HashMap<TypeId, String>,
}

/// A handle on one read of a [`TransactGet`], to take its typed result.
pub struct Slot<T> {
    index: usize,
    _entity: PhantomData<fn() -> T>,
}

impl TransactGet {
    /// Reads `T` from this repository's table (by default, `T`'s own).
    pub fn with_repository<T: Entity>(&mut self, repo: &Repository<T>) -> &mut Self {
        self.tables
            .insert(TypeId::of::<T>(), repo.table_name().to_owned());
        self
    }

    /// Adds a read; its result is taken with the returned slot.
    pub fn get<T: Entity>(&mut self, key: impl Into<Key<T>>) -> Slot<T> {
        let table = self
            .tables
            .get(&TypeId::of::<T>())
            .cloned()
            .unwrap_or_else(|| T::SCHEMA.table.to_owned());
        self.gets
            .push((T::SCHEMA.entity, table, key.into().into_item()));
        Slot {
            index: self.gets.len() - 1,
            _entity: PhantomData,
        }
    }

    /// Sends the reads (nothing for none) and returns their results.
    pub async fn send(self) -> Result<TransactGetResults> {
        if self.gets.is_empty() {
            return Ok(TransactGetResults { items: Vec::new() });
        }
        if self.gets.len() > MAX_ACTIONS {
            return Err(ValidationError::new(
                ValidationErrorKind::TooManyActions,
                format!(
                    "a transactional read holds at most {MAX_ACTIONS} keys; this one has {}",
                    self.gets.len()
                ),
            )
            .into());
        }
        let mut seen = HashMap::new();
        let mut requests = Vec::with_capacity(self.gets.len());
        for (position, (entity, table, key)) in self.gets.iter().enumerate() {
            if let Some(first) =
                seen.insert((table.as_str(), validate::key_identity(key)), position)
            {
                return Err(ValidationError::new(
                    ValidationErrorKind::DuplicateItem,
                    format!(
                        "reads {first} and {position} ask for the same {entity} item in `{table}`"
                    ),
                )
                .entity(entity)
                .into());
            }
            let get = aws_sdk_dynamodb::types::Get::builder()
                .table_name(table)
                .set_key(Some(key.clone()))
                .build()
                .map_err(build_error)?;
            requests.push(
                aws_sdk_dynamodb::types::TransactGetItem::builder()
                    .get(get)
                    .build(),
            );
        }
        let output = self
            .client
            .sdk()
            .transact_get_items()
            .set_transact_items(Some(requests))
            .send()
            .await
            .map_err(|e| from_sdk(e, "TransactGetItems", &self.gets[0].1))?;
        Ok(TransactGetResults {
            items: output
                .responses
                .unwrap_or_default()
                .into_iter()
                .map(|r| r.item.filter(|i| !i.is_empty()))
                .collect(),
        })
    }
}

/// The results of a [`TransactGet`], in the order of the reads.
#[derive(Debug)]
pub struct TransactGetResults {
    items: Vec<Option<Item>>,
}

impl TransactGetResults {
    /// The item read through `slot`, decoded; `None` when it does not exist.
    pub fn take<T: Entity>(&mut self, slot: Slot<T>) -> Result<Option<T>> {
        self.items
            .get_mut(slot.index)
            .and_then(Option::take)
            .map(T::from_item)
            .transpose()
    }
}
