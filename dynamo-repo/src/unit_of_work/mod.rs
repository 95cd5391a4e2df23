//! [`UnitOfWork`]: writes across entities and tables committed as one
//! `TransactWriteItems`, validated before sending, idempotent across retries;
//! and [`TransactGet`]: typed reads of up to 100 keys in one `TransactGetItems`.
//!
//! `client.unit_of_work()` collects puts, updates, deletes and condition checks
//! across entities and tables; `commit()` sends them as **one**
//! `TransactWriteItems` per attempt (an empty unit sends nothing). Before
//! sending it checks what DynamoDB would refuse: more than 100 actions, more than
//! 4 MB, two actions on one item, an item over 400 KB, an empty key; the error
//! names the action by position, entity and key. `uow.validate()` runs the same
//! checks without sending anything, and `uow.to_request()` shows the SDK request
//! a commit would send. Every commit carries a
//! `ClientRequestToken` (generated, or yours with `client_request_token`), reused
//! unchanged by every retry, so a commit retried after a timeout or a lost
//! response is applied at most once. The commit retries by itself, with the SDK's
//! retries off for that call (so the SDK's per-client retry quota cannot stop
//! it): timeouts, dropped connections, 5xx and lost responses, throttling and
//! transaction conflicts, under the unit's `RetryPolicy` (`RetryPolicy::for_commits()`:
//! 10 attempts, full jitter from 50 ms, 5 s cap; `uow.retry_policy(..)` to
//! change it) and within the client's operation timeout. Condition failures and
//! validation errors are not retried. When the retries run out after an attempt
//! that may have reached DynamoDB, the error is [`Error::CommitOutcomeUnknown`](crate::Error::CommitOutcomeUnknown):
//! the commit **may have been applied**, and committing the same unit again
//! within 10 minutes is safe (the same token; DynamoDB applies it once and
//! answers a replay with success). Measured: 100 commits through a
//! `FaultInjector` losing half of all responses after applying them all return
//! `Ok`, each applied exactly once (the repository's `tests/integration/resilience.rs`).
//!
//! ```rust,no_run
//! # use dynamo_repo::{Client, Entity, Error};
//! # use dynamo_repo::unit_of_work::CancellationCode;
//! #[derive(Entity, Debug)]
//! #[dynamo(table = "accounts")]
//! struct Account {
//!     #[dynamo(partition_key)] id: String,
//!     balance: i64,
//!     #[dynamo(version)] version: u64,                                   // optimistic locking
//!     #[dynamo(created_at)] created_at: i64, // epoch seconds, set once (or chrono / time date-times)
//!     #[dynamo(updated_at)] updated_at: i64, // on every write
//! }
//!
//! # async fn demo(client: Client) -> dynamo_repo::Result<()> {
//! let f = Account::fields();
//! let mut uow = client.unit_of_work();
//! uow.update_if(Account::key("alice"), f.balance.ge(30), |u| u.decrement(&f.balance, 30))
//!     .update(Account::key("bob"), |u| u.increment(&f.balance, 30));
//! match uow.commit().await {
//!     Ok(committed) => println!("applied with token {:?}", committed.token),
//!     Err(Error::TransactionCanceled(c)) => {
//!         for action in c.failed() {
//!             // position, operation, entity, table, key, reason, and the stored item
//!             let stored: Option<Account> = action.existing().transpose()?;
//!             println!("action {} {:?}: {stored:?}", action.position, action.reason);
//!         }
//!     }
//!     Err(e) => return Err(e),
//! }
//!
//! // A consistent read of several items, typed.
//! let mut tx = client.transact_get();
//! let (a, b) = (tx.get(Account::key("alice")), tx.get(Account::key("bob")));
//! let mut read = tx.send().await?;
//! let (alice, bob): (Option<Account>, Option<Account>) = (read.take(a)?, read.take(b)?);
//! # Ok(()) }
//! ```
//!
//! # Cancellations
//!
//! A cancellation becomes [`Error::TransactionCanceled`](crate::Error::TransactionCanceled), listing every action in
//! request order (DynamoDB's `CancellationReasons` order) with its reason
//! (`ConditionalCheckFailed`, `VersionConflict`, `TransactionConflict`,
//! `ItemCollectionSizeLimitExceeded`, `Throttled`, `ValidationError`) and, for a
//! failed condition, the stored item (every action with a condition asks
//! for `ReturnValuesOnConditionCheckFailure=ALL_OLD`; an action without one
//! cannot fail a condition, so it does not ask).
//!
//! `uow.return_consumed_capacity()` (or a client that asks, see
//! [`crate::capacity`]) returns the capacity the transaction consumed in
//! [`Committed::capacity`]; otherwise nothing is asked.
//!
//! Versions and timestamps apply to every action as they do to repository
//! writes: see [`crate::managed`].
//!
//! # A dropped commit
//!
//! Dropping the future of `commit()` (a `select!`, a
//! `timeout`, an aborted task) after the request went out does not undo it: the
//! unit may have been applied, and then in full. Call `commit()` on the same
//! unit again within 10 minutes: it sends the same `ClientRequestToken`, so
//! DynamoDB applies it at most once in all and answers with success if the
//! dropped one was applied (set your own `client_request_token`, or read
//! `uow.token()` first, when the retry may come from another process).

mod actions;
mod cancel;
mod commit;
mod transact_get;
mod validate;

pub(crate) use actions::key_size;
pub use cancel::{ActionOutcome, CancellationCode, TransactionCanceled};
pub use commit::CommitOutcomeUnknown;
pub use transact_get::{Slot, TransactGet, TransactGetResults};

use crate::client::Client;
use crate::entity::{Entity, Key};
use crate::error::ValidationError;
use crate::managed::ExpectedVersion;
use crate::repository::Repository;
use crate::retry::{self, RetryPolicy};
use crate::value::Item;
use aws_sdk_dynamodb::types::TransactWriteItem;
use std::any::TypeId;
use std::collections::HashMap;

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
    /// For the marker actions of a unique field: what it does (see [`crate::unique`]).
    marker: Option<crate::unique::MarkerRole>,
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
    capacity: bool,
}

/// What a successful commit did.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    /// The `ClientRequestToken` sent (the same on every attempt); `None` when
    /// the unit was empty and nothing was sent.
    pub token: Option<String>,
    /// How many `TransactWriteItems` requests were sent (0 for an empty unit).
    pub attempts: u32,
    /// The capacity the transaction consumed (transactional writes cost
    /// twice a plain one), when it was asked for
    /// ([`UnitOfWork::return_consumed_capacity`] or the client's setting;
    /// see [`crate::capacity`]); `None` otherwise.
    pub capacity: Option<crate::capacity::Capacity>,
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
            retry: RetryPolicy::for_commits(),
            capacity: self.consumed_capacity(),
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

    /// How the commit retries timeouts, lost responses, 5xx, throttling and
    /// transaction conflicts (default: [`RetryPolicy::for_commits`], 10
    /// attempts, full jitter from 50 ms, 5 s cap), always with the same token.
    pub fn retry_policy(&mut self, policy: RetryPolicy) -> &mut Self {
        self.retry = policy;
        self
    }

    /// Asks the commit for the capacity it consumes, returned in
    /// [`Committed::capacity`] (the client's
    /// [`with_consumed_capacity`](crate::Client::with_consumed_capacity) asks
    /// for every unit).
    pub fn return_consumed_capacity(&mut self) -> &mut Self {
        self.capacity = true;
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

    pub(crate) fn table_of<T: Entity>(&self) -> String {
        self.tables
            .get(&TypeId::of::<T>())
            .cloned()
            .unwrap_or_else(|| self.client.table_name_of::<T>())
    }

    pub(crate) fn push<T: Entity>(
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
            marker: None,
        });
        self
    }

    /// Adds a marker action of a unique field of `T` (see [`crate::unique`]).
    pub(crate) fn push_marker<T: Entity>(
        &mut self,
        table: String,
        role: crate::unique::MarkerRole,
        key: Item,
        request: std::result::Result<(TransactWriteItem, usize), ValidationError>,
    ) {
        let operation = match role {
            crate::unique::MarkerRole::Claim(_) => "ClaimUnique",
            crate::unique::MarkerRole::Release(_) => "ReleaseUnique",
        };
        self.push::<T>(table, operation, key, None, request);
        if let Some(last) = self.actions.last_mut() {
            last.marker = Some(role);
        }
    }
}
