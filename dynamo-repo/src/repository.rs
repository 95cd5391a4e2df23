//! [`Repository<T>`]: typed get / put / update / delete and table management.
//!
//! A repository is the typed access to the `T` items of one table:
//! `client.repository::<T>()`, cheap to clone, bound to the table the entity
//! declares (or another one: [`Repository::with_table_name`]).
//!
//! # Reads and writes
//!
//! ```rust,no_run
//! use dynamo_repo::{Client, Entity};
//!
//! #[derive(Entity, Debug, Clone, PartialEq)]
//! #[dynamo(table = "orders")]
//! struct Order {
//!     #[dynamo(partition_key)]
//!     customer: String,
//!     #[dynamo(sort_key)]
//!     id: String,
//!     total: f64,
//!     note: Option<String>,
//! }
//!
//! # async fn demo(client: Client) -> dynamo_repo::Result<()> {
//! let orders = client.repository::<Order>();
//! let order = Order { customer: "c-1".into(), id: "o-9".into(), total: 12.5, note: None };
//! orders.put(&order).await?;
//! let same: Option<Order> = orders.get(Order::key("c-1", "o-9")).await?;
//!
//! // Conditional writes fail with a typed error carrying the stored item.
//! let err = orders.put(&order).if_not_exists().await.unwrap_err();
//! assert!(err.is_condition_failed());
//!
//! // Updates by typed paths; the value type is checked by the compiler.
//! let f = Order::fields();
//! let updated: Order = orders
//!     .update(Order::key("c-1", "o-9"))
//!     .set(&f.total, 20.0)
//!     .condition(f.total.lt(100.0))
//!     .return_new()
//!     .await?;
//!
//! let old: Option<Order> = orders.delete(Order::key("c-1", "o-9")).return_old().await?;
//! # Ok(()) }
//! ```
//!
//! Every write is validated before it is sent (keys, sizes, numbers, update
//! paths; see [`crate::error`]); a failed check sends nothing. Conditions and
//! update expressions are described in [`crate::expr`]; versioned entities and
//! timestamps in [`crate::managed`]; queries and scans in [`crate::query`];
//! batch helpers in [`crate::batch`].
//!
//! # Unknown attributes: rolling deploys that lose nothing
//!
//! A table outlives every version of the code that writes it. While a new
//! version of a service (which added a field) rolls out, the old one still
//! reads and writes the same items. By default an entity keeps only the
//! attributes it declares: a read drops the others, and a `put` (or `save`, a
//! unit-of-work put, a batch put) writes the whole item as the struct holds
//! it, so the old version deletes what the new one wrote. A
//! `#[dynamo(extra)]` field keeps them:
//!
//! ```rust,no_run
//! use dynamo_repo::{Client, Entity, Item};
//!
//! #[derive(Entity, Debug, Clone)]
//! #[dynamo(table = "profiles")]
//! struct Profile {
//!     #[dynamo(partition_key)]
//!     id: String,
//!     name: String,
//!     /// What this version does not declare (say, the `email` a newer one added).
//!     #[dynamo(extra)]
//!     extra: Item,
//! }
//!
//! # async fn demo(client: Client) -> dynamo_repo::Result<()> {
//! let profiles = client.repository::<Profile>();
//! if let Some(mut p) = profiles.get(Profile::key("p-1")).await? {
//!     p.name = "Ada".into();
//!     profiles.save(&mut p).await?; // `email` is written back as it was read
//! }
//! // A new item starts with none.
//! profiles.put(&Profile { id: "p-2".into(), name: "Grace".into(), extra: Item::new() }).await?;
//! # Ok(()) }
//! ```
//!
//! Every read fills it (`get`, queries and scans, `update(..).return_new()`,
//! batch gets, `TransactGet`, the stored item of a `ConditionFailed`) with
//! the attributes no other field took, and every put writes them back
//! unchanged. What the entity writes itself is never held in it and wins
//! over the same name in it: its declared attributes (also when the field is
//! `None` and so not written), the attributes its key templates write and its
//! type attribute. An attribute a newer version derives from fields the old
//! one changes (a key template of an index the old version does not declare)
//! is written back as it was read; the newer version rewrites it on its next
//! write. `update` touches only the attributes it names, so it keeps unknown
//! attributes with or without `extra`; so does a put of an entity with
//! `#[dynamo(created_at)]` that may replace an item (it is sent as an
//! `UpdateItem`: see [`crate::managed`]), which therefore does not remove an
//! attribute you take out of `extra` either.
//!
//! Declare `extra` on every entity whose table is shared by versions
//! deployed side by side; the default stays "declared attributes only" so
//! that a struct built from scratch and put replaces the whole item.
//!
//! # Tables that follow the code
//!
//! `repo.ensure_table()` makes the table fit the entity and returns what it did
//! (a [`TablePlan`]): it creates the table when it does not exist (on-demand
//! billing, every declared index, TTL, the declared stream), and otherwise adds the global secondary
//! indexes the entity declares and the table lacks (one `UpdateTable` at a time,
//! each awaited until `ACTIVE`, with progress in `tracing`), enables TTL on
//! the `#[dynamo(ttl)]` attribute and the `#[dynamo(stream = "new_and_old_images")]`
//! stream on a table that has none. What DynamoDB cannot change in place is
//! refused before anything changes, with [`Error::TableMismatch`](crate::Error::TableMismatch)
//! naming every difference: another key schema, a missing local index (those exist only from
//! table creation), an index with other keys or another projection, TTL on
//! another attribute, a stream of another view type (DynamoDB changes it only by
//! disabling the stream, losing its records). Indexes the table has and the entity does not declare are
//! reported in `plan.extra_indexes` and never dropped; a stream is never
//! disabled. `repo.plan_table()` is the dry run: the same plan, nothing changed.
//!
//! ```rust,no_run
//! # use dynamo_repo::{Client, Entity};
//! # #[derive(Entity)] #[dynamo(table = "bookmarks", gsi(name = "by_title", partition_key = title))]
//! # struct Bookmark { #[dynamo(partition_key)] id: String, title: String }
//! # async fn demo(client: Client) -> dynamo_repo::Result<()> {
//! let bookmarks = client.repository::<Bookmark>();
//! let plan = bookmarks.plan_table().await?; // what would change, changing nothing
//! println!("would add indexes {:?}", plan.add_indexes);
//! let done = bookmarks.ensure_table().await?; // adds `by_title` if missing, waits until ACTIVE
//! assert!(bookmarks.plan_table().await?.is_empty());
//! # Ok(()) }
//! ```

mod reconcile;
mod table;
mod update;
mod write;

pub use reconcile::{TableDifference, TableMismatch, TablePlan};
pub use update::{UpdateItem, UpdateReturningNew};
pub(crate) use write::{existence, key_of, old_on_failure, render_conditions};
pub use write::{Delete, DeleteReturningOld, Put, PutRequest};

use crate::capacity::{self, Capacity, WithCapacity};
use crate::client::Client;
use crate::entity::{Entity, Key};
use crate::error::{from_sdk, Result};
use crate::validate;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use tracing::Instrument;

/// A boxed future, as returned by the request builders' `IntoFuture`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Typed access to the `T` items of one table. Cheap to clone.
///
/// ```no_run
/// # use dynamo_repo::{Client, Entity};
/// #[derive(Entity, Debug)]
/// #[dynamo(table = "users")]
/// struct User { #[dynamo(partition_key)] id: String, name: String }
///
/// # async fn demo() -> dynamo_repo::Result<()> {
/// let client = Client::local("http://localhost:8000");
/// let users = client.repository::<User>();
/// users.ensure_table().await?;
/// users.put(&User { id: "u-1".into(), name: "Ada".into() }).await?;
/// let ada: Option<User> = users.get(User::key("u-1")).await?;
/// # Ok(()) }
/// ```
pub struct Repository<T> {
    client: Client,
    table: Arc<str>,
    _entity: PhantomData<fn() -> T>,
}

impl<T> Clone for Repository<T> {
    fn clone(&self) -> Self {
        Repository {
            client: self.client.clone(),
            table: self.table.clone(),
            _entity: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Repository<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("entity", &std::any::type_name::<T>())
            .field("table", &self.table)
            .finish()
    }
}

impl<T: Entity> Repository<T> {
    pub(crate) fn new(client: Client, table: String) -> Self {
        Repository {
            client,
            table: table.into(),
            _entity: PhantomData,
        }
    }

    /// The same repository on another table (for example one prefixed per
    /// environment, `"staging-users"`).
    #[must_use]
    pub fn with_table_name(&self, table: impl Into<String>) -> Self {
        Repository::new(self.client.clone(), table.into())
    }

    /// The table this repository reads and writes.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// The table name, shared.
    pub(crate) fn table_arc(&self) -> Arc<str> {
        self.table.clone()
    }

    /// The client this repository uses.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads one item by key; `None` when there is none. Eventually
    /// consistent unless [`Get::consistent_read`] is set.
    pub fn get(&self, key: Key<T>) -> Get<'_, T> {
        Get {
            repo: self,
            key,
            consistent: false,
            capacity: self.client.consumed_capacity(),
        }
    }

    /// Writes `item`, replacing any item with the same key. Add
    /// [`Put::if_not_exists`] to refuse replacing.
    pub fn put<'r>(&'r self, item: &'r T) -> Put<'r, T> {
        Put::new(self, item)
    }

    /// Writes `item` like [`Repository::put`], then refreshes it with what
    /// was stored: its new `#[dynamo(version)]` and timestamps.
    pub async fn save(&self, item: &mut T) -> crate::Result<()> {
        let (stored, _) = Put::new(self, item).reading_back().run().await?;
        if let Some(stored) = stored {
            *item = T::from_item(stored)?;
        }
        Ok(())
    }

    /// Deletes the item with `key` (succeeds when there is none). For a
    /// versioned entity, [`Repository::delete_item`] checks the version.
    pub fn delete(&self, key: Key<T>) -> Delete<'_, T> {
        Delete::new(self, key, None)
    }

    /// Deletes the stored copy of `item`: for a `#[dynamo(version)]` entity,
    /// only if the stored version is still `item`'s (else
    /// [`Error::VersionConflict`](crate::Error::VersionConflict)).
    pub fn delete_item(&self, item: &T) -> Delete<'_, T> {
        let expected = crate::managed::expectation(&T::SCHEMA, &item.to_item());
        Delete::new(self, item.primary_key(), expected)
    }

    /// Updates attributes of the item with `key`, creating it when absent
    /// (DynamoDB's semantics) unless [`UpdateItem::if_exists`] is set. A
    /// versioned entity's version is bumped without a check; use
    /// [`Repository::update_item`] to check it.
    pub fn update(&self, key: Key<T>) -> UpdateItem<'_, T> {
        UpdateItem::new(self, key, None)
    }

    /// Updates the stored copy of `item`: for a `#[dynamo(version)]` entity,
    /// only if the stored version is still `item`'s, bumping it by one.
    pub fn update_item(&self, item: &T) -> UpdateItem<'_, T> {
        let expected = crate::managed::expectation(&T::SCHEMA, &item.to_item());
        UpdateItem::new(self, item.primary_key(), expected)
    }

    fn span(&self, operation: &'static str) -> tracing::Span {
        tracing::info_span!(
            "dynamodb",
            db.system = "dynamodb",
            db.operation = operation,
            db.table = %self.table,
            entity = T::SCHEMA.entity,
            db.consumed_capacity = tracing::field::Empty,
        )
    }
}

/// A single-item request (`get`, `put`, `update`, `delete`, and those that
/// return an item) that asks for the capacity it consumes: `.await` (or
/// [`send`](ReturningCapacity::send)) gives the request's usual result in a
/// [`WithCapacity`], beside the capacity. From `.return_consumed_capacity()`.
#[must_use = "a request does nothing until it is awaited"]
pub struct ReturningCapacity<B>(B);

/// `ReturningCapacity<B>`'s `send` and `IntoFuture`, for each builder `B`
/// with a `run_capacity(self) -> Result<(Output, Option<Capacity>)>`.
macro_rules! returning_capacity {
    ($($builder:ident => $output:ty),* $(,)?) => {$(
        impl<'r, T: Entity> ReturningCapacity<$builder<'r, T>> {
            /// Sends the request; its result and the capacity it consumed.
            pub async fn send(self) -> Result<WithCapacity<$output>> {
                let (value, capacity) = self.0.run_capacity().await?;
                Ok(WithCapacity { value, capacity: capacity.unwrap_or_default() })
            }
        }

        impl<'r, T: Entity> IntoFuture for ReturningCapacity<$builder<'r, T>> {
            type Output = Result<WithCapacity<$output>>;
            type IntoFuture = BoxFuture<'r, Self::Output>;
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    )*};
}

returning_capacity! {
    Get => Option<T>,
    Put => (),
    Delete => (),
    DeleteReturningOld => Option<T>,
    UpdateItem => (),
    UpdateReturningNew => T,
}

/// A `GetItem` request being built; `.await` it (or call [`Get::send`]).
#[must_use = "a request does nothing until it is awaited"]
pub struct Get<'r, T> {
    repo: &'r Repository<T>,
    key: Key<T>,
    consistent: bool,
    capacity: bool,
}

impl<'r, T: Entity> Get<'r, T> {
    /// Reads with strong consistency (twice the read cost).
    pub fn consistent_read(mut self, consistent: bool) -> Self {
        self.consistent = consistent;
        self
    }

    /// Asks for the capacity the read consumes and returns it:
    /// `.await` gives a [`WithCapacity<Option<T>>`](crate::WithCapacity).
    pub fn return_consumed_capacity(mut self) -> ReturningCapacity<Self> {
        self.capacity = true;
        ReturningCapacity(self)
    }

    /// The SDK request this would send, without sending it.
    pub fn to_request(
        &self,
    ) -> aws_sdk_dynamodb::operation::get_item::builders::GetItemFluentBuilder {
        // Only what differs from DynamoDB's defaults: `ConsistentRead` when
        // asked for, `ReturnConsumedCapacity` when capacity is wanted.
        self.repo
            .client
            .sdk()
            .get_item()
            .table_name(&*self.repo.table)
            .set_key(Some(self.key.as_item().clone()))
            .set_consistent_read(self.consistent.then_some(true))
            .set_return_consumed_capacity(capacity::request(self.capacity))
    }

    /// Sends the request.
    pub async fn send(self) -> Result<Option<T>> {
        self.run_capacity().await.map(|(item, _)| item)
    }

    async fn run_capacity(self) -> Result<(Option<T>, Option<Capacity>)> {
        let span = self.repo.span("GetItem");
        async move {
            validate::check_key(&T::SCHEMA, self.key.as_item())?;
            let output = self
                .to_request()
                .send()
                .await
                .map_err(|e| from_sdk(e, "GetItem", &self.repo.table))?;
            let capacity = capacity::record_one(output.consumed_capacity());
            Ok((output.item.map(T::from_item).transpose()?, capacity))
        }
        .instrument(span)
        .await
    }
}

impl<'r, T: Entity> IntoFuture for Get<'r, T> {
    type Output = Result<Option<T>>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
