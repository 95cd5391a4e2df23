//! [`Client`]: one SDK client, shared by every repository, with the retry
//! policy and the timeouts every request runs under.
//!
//! `Client` holds one `aws_sdk_dynamodb::Client` (one HTTP connection pool) shared
//! by every repository; cloning either is cheap. `Client::from_env()` configures
//! itself like every AWS SDK (region, credentials, profiles); `Client::local(url)`
//! uses dummy credentials for DynamoDB Local; `Client::from_sdk(client)` wraps a
//! client you built. Requests retry with the SDK's standard mode: 5 attempts,
//! exponential backoff with full jitter from 100 ms, capped at 20 s
//! ([`RetryPolicy`]).
//!
//! # Timeouts: nothing waits forever
//!
//! Every client the library builds (`from_env`, `local`, `Client::builder()`)
//! bounds every request:
//!
//! | Timeout | Default | What it bounds |
//! |---|---|---|
//! | `connect` | 3.1 s | opening a connection |
//! | `attempt` | 10 s | one attempt, from sending to the whole response |
//! | `operation` | 60 s | one request with all its retries: a `get`, one page of a query or scan, one `BatchWriteItem` of a batch helper, a whole `commit` |
//!
//! A timed-out attempt is retried under the retry policy like any other transient
//! error; when the retries or the operation timeout run out the caller gets
//! [`Error::Timeout`](crate::Error::Timeout) (`err.is_timeout()`). A batch helper retries a timed-out
//! request under its own policy and ends in [`Error::BatchIncomplete`](crate::Error::BatchIncomplete) with the
//! timeout as its cause (`is_timeout()` says so too). Choose both on the builder:
//!
//! ```rust,no_run
//! # async fn demo() {
//! use dynamo_repo::{Client, RetryPolicy, Timeouts};
//! use std::time::Duration;
//! let client = Client::builder()
//!     .retry_policy(RetryPolicy::default().with_max_attempts(3))
//!     .timeouts(Timeouts::default().attempt(Duration::from_secs(2)).operation(Duration::from_secs(15)))
//!     .from_env() // or .local("http://localhost:8000")
//!     .await;
//! # }
//! ```
//!
//! # Per-environment table names
//!
//! One deployment's code can run against `prod-*`, `staging-*` or
//! per-developer tables without touching a repository: give the client a
//! table-name resolver, applied to every entity's declared table
//! (`#[dynamo(table = "users")]`) wherever the library picks the table from
//! the entity type: `client.repository::<T>()` (and so its reads, writes,
//! queries, scans, collections, batches, cursors, `create_table`,
//! `ensure_table` and `plan_table`), units of work and `TransactGet` without
//! `with_repository`.
//!
//! ```rust,no_run
//! # use dynamo_repo::{Client, Entity};
//! # #[derive(Entity)] #[dynamo(table = "users")] struct User { #[dynamo(partition_key)] id: String }
//! # async fn demo() {
//! let staging = Client::builder().table_prefix("staging-").from_env().await;
//! assert_eq!(staging.repository::<User>().table_name(), "staging-users");
//! let dev = Client::builder()
//!     .table_names(|declared| format!("{declared}-dev-ada"))
//!     .local("http://localhost:8000");
//! assert_eq!(dev.table_name_of::<User>(), "users-dev-ada");
//! # }
//! ```
//!
//! A name given explicitly is used as it is: `repo.with_table_name(name)`,
//! and the table names of the raw batch helpers (`batch_write_raw`,
//! `batch_get_raw`; build them with [`Client::table_name_of`]). Cursors are
//! bound to the resolved table, so a cursor of one environment is refused by
//! another.
//!
//! # Consumed capacity
//!
//! No request asks DynamoDB for the capacity it consumed unless you ask:
//! `Client::builder().consumed_capacity(true)` (or
//! `client.with_consumed_capacity(true)`) asks on every request and returns
//! the capacity with the results; a call's own `.return_consumed_capacity()`
//! asks for that call. See [`crate::capacity`].
//!
//! `Client::from_sdk(sdk)` keeps the SDK client's own settings (the SDK sets only
//! a connect timeout by default): build it from `Client::local_config(url)` or
//! set a `TimeoutConfig` on it.

use crate::entity::Entity;
use crate::repository::Repository;
use crate::retry::RetryPolicy;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How a client turns an entity's declared table name into the table it uses.
#[derive(Clone, Default)]
pub(crate) enum TableNames {
    /// The declared name.
    #[default]
    Declared,
    /// The declared name after a prefix.
    Prefix(Arc<str>),
    /// A function of the declared name.
    Custom(Arc<dyn Fn(&str) -> String + Send + Sync>),
}

impl TableNames {
    fn resolve(&self, declared: &str) -> String {
        match self {
            TableNames::Declared => declared.to_owned(),
            TableNames::Prefix(prefix) => format!("{prefix}{declared}"),
            TableNames::Custom(f) => f(declared),
        }
    }
}

impl fmt::Debug for TableNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableNames::Declared => f.write_str("Declared"),
            TableNames::Prefix(p) => f.debug_tuple("Prefix").field(p).finish(),
            TableNames::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// How long a request may take: connecting, one attempt, and the whole
/// operation with its retries.
///
/// An "operation" is one DynamoDB request as the SDK sends it, retries
/// included: a `get`, one page of a query or scan, one `BatchWriteItem` of
/// a batch helper. A unit of work's `commit` retries itself (with the same
/// `ClientRequestToken`) and stops at the operation timeout as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a connection (TCP and TLS). Default 3.1 s.
    pub connect: Duration,
    /// One attempt: from sending the request to the whole response. Default 10 s.
    pub attempt: Duration,
    /// One operation, all attempts and the backoff between them. Default 60 s.
    pub operation: Duration,
}

impl Default for Timeouts {
    /// 3.1 s to connect, 10 s per attempt, 60 s per operation.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_millis(3_100),
            attempt: Duration::from_secs(10),
            operation: Duration::from_secs(60),
        }
    }
}

impl Timeouts {
    /// Sets the connect timeout.
    #[must_use]
    pub fn connect(mut self, timeout: Duration) -> Self {
        self.connect = timeout;
        self
    }

    /// Sets the per-attempt timeout.
    #[must_use]
    pub fn attempt(mut self, timeout: Duration) -> Self {
        self.attempt = timeout;
        self
    }

    /// Sets the overall operation timeout.
    #[must_use]
    pub fn operation(mut self, timeout: Duration) -> Self {
        self.operation = timeout;
        self
    }

    /// The SDK's equivalent.
    pub fn to_sdk(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// The entry point: one `aws_sdk_dynamodb::Client` (and so one pool of HTTP
/// connections) shared by every repository made from it. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct Client {
    sdk: aws_sdk_dynamodb::Client,
    timeouts: Timeouts,
    cursor_key: Option<crate::query::CursorKey>,
    table_names: TableNames,
    consumed_capacity: bool,
}

/// Builds a [`Client`] with a retry policy and timeouts of your choice;
/// from [`Client::builder`].
#[derive(Debug, Clone, Default)]
#[must_use = "a builder does nothing until a client is built"]
pub struct ClientBuilder {
    retry: RetryPolicy,
    timeouts: Timeouts,
    cursor_key: Option<crate::query::CursorKey>,
    table_names: TableNames,
    consumed_capacity: bool,
}

impl ClientBuilder {
    /// Uses the table `{prefix}{declared}` for each entity: see
    /// [per-environment table names](crate::client#per-environment-table-names).
    pub fn table_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.table_names = TableNames::Prefix(prefix.into().into());
        self
    }

    /// Uses the table `resolve(declared)` for each entity: see
    /// [per-environment table names](crate::client#per-environment-table-names).
    pub fn table_names(mut self, resolve: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        self.table_names = TableNames::Custom(Arc::new(resolve));
        self
    }

    /// How failed requests are retried (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How long requests may take (default: [`Timeouts::default`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Signs (or encrypts) page cursors with `key`; see
    /// [`Client::with_cursor_key`].
    pub fn cursor_key(mut self, key: crate::query::CursorKey) -> Self {
        self.cursor_key = Some(key);
        self
    }

    /// Whether every request asks DynamoDB for the capacity it consumed and
    /// returns it with the results (default `false`: nothing is asked); see
    /// [`crate::capacity`].
    pub fn consumed_capacity(mut self, asked: bool) -> Self {
        self.consumed_capacity = asked;
        self
    }

    /// A client for real AWS, configured from the environment the way every
    /// AWS SDK is (region, credentials, profiles).
    pub async fn from_env(self) -> Client {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(self.retry.to_sdk())
            .timeout_config(self.timeouts.to_sdk())
            .load()
            .await;
        Client {
            sdk: aws_sdk_dynamodb::Client::new(&config),
            timeouts: self.timeouts,
            cursor_key: self.cursor_key,
            table_names: self.table_names,
            consumed_capacity: self.consumed_capacity,
        }
    }

    /// The SDK configuration of a DynamoDB Local (or any compatible server)
    /// at `endpoint`, with dummy credentials, this retry policy and these
    /// timeouts, to extend (for example with an interceptor) before building
    /// a client with [`ClientBuilder::from_sdk_config`].
    pub fn local_config(&self, endpoint: impl Into<String>) -> aws_sdk_dynamodb::config::Builder {
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "local",
                "local",
                None,
                None,
                "dynamo-repo-local",
            ))
            .retry_config(self.retry.to_sdk())
            .timeout_config(self.timeouts.to_sdk())
    }

    /// A client for a DynamoDB Local (or any compatible server) at `endpoint`.
    pub fn local(self, endpoint: impl Into<String>) -> Client {
        let config = self.local_config(endpoint).build();
        self.from_sdk_config(config)
    }

    /// A client from an SDK configuration you built (its retry and timeout
    /// settings are kept; this builder's timeouts bound a commit's own retries).
    pub fn from_sdk_config(self, config: aws_sdk_dynamodb::Config) -> Client {
        Client {
            sdk: aws_sdk_dynamodb::Client::from_conf(config),
            timeouts: self.timeouts,
            cursor_key: self.cursor_key,
            table_names: self.table_names,
            consumed_capacity: self.consumed_capacity,
        }
    }
}

impl Client {
    /// A builder to choose the retry policy and timeouts.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for real AWS, configured from the environment the way every
    /// AWS SDK is (region, credentials, profiles), retrying with the default
    /// [`RetryPolicy`] (5 attempts, exponential backoff with jitter, 20 s
    /// cap) under the default [`Timeouts`].
    pub async fn from_env() -> Self {
        Self::builder().from_env().await
    }

    /// Like [`Client::from_env`], with another retry policy.
    pub async fn from_env_with(retry: RetryPolicy) -> Self {
        Self::builder().retry_policy(retry).from_env().await
    }

    /// A client for a DynamoDB Local (or any compatible server) at `endpoint`,
    /// such as `http://localhost:8000`, with dummy credentials, the default
    /// retry policy and the default [`Timeouts`].
    pub fn local(endpoint: impl Into<String>) -> Self {
        Self::builder().local(endpoint)
    }

    /// The SDK configuration [`Client::local`] uses, to extend (for example with
    /// an interceptor) before building a client with [`Client::from_sdk`].
    pub fn local_config(endpoint: impl Into<String>) -> aws_sdk_dynamodb::config::Builder {
        Self::builder().local_config(endpoint)
    }

    /// Wraps an SDK client you configured yourself. Its retry and timeout
    /// settings are kept as they are: set timeouts on it (the SDK has none
    /// by default but a connect timeout), or build it from
    /// [`Client::local_config`] or [`ClientBuilder::local_config`].
    pub fn from_sdk(sdk: aws_sdk_dynamodb::Client) -> Self {
        let timeouts = Timeouts::from_sdk(sdk.config().timeout_config());
        Client {
            sdk,
            timeouts,
            cursor_key: None,
            table_names: TableNames::Declared,
            consumed_capacity: false,
        }
    }

    /// This client's settings (timeouts, cursor key, table names) on
    /// another SDK client, for example one with an interceptor added.
    pub fn with_sdk(&self, sdk: aws_sdk_dynamodb::Client) -> Self {
        Client {
            sdk,
            ..self.clone()
        }
    }

    /// This client, using the table `{prefix}{declared}` for each entity:
    /// see [per-environment table names](crate::client#per-environment-table-names).
    pub fn with_table_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.table_names = TableNames::Prefix(prefix.into().into());
        self
    }

    /// This client, using the table `resolve(declared)` for each entity.
    pub fn with_table_names(
        mut self,
        resolve: impl Fn(&str) -> String + Send + Sync + 'static,
    ) -> Self {
        self.table_names = TableNames::Custom(Arc::new(resolve));
        self
    }

    /// The table this client uses for entity `T`: its declared table, as
    /// the client's table-name resolver maps it.
    pub fn table_name_of<T: Entity>(&self) -> String {
        self.table_names.resolve(T::SCHEMA.table)
    }

    /// The table this client uses for a declared table name.
    pub fn resolve_table_name(&self, declared: &str) -> String {
        self.table_names.resolve(declared)
    }

    /// This client, signing (or encrypting) the page cursors of every query
    /// and scan with `key`, and accepting only cursors made with it: see
    /// [`CursorKey`](crate::query::CursorKey). Without a key, cursors carry
    /// a checksum anyone can recompute.
    pub fn with_cursor_key(mut self, key: crate::query::CursorKey) -> Self {
        self.cursor_key = Some(key);
        self
    }

    /// This client, asking DynamoDB on every request (of every repository
    /// made from it afterwards) for the capacity it consumed, and returning
    /// it with the results; `false` (the default) asks nothing. See
    /// [`crate::capacity`]. A call's own `.return_consumed_capacity()` asks
    /// either way.
    pub fn with_consumed_capacity(mut self, asked: bool) -> Self {
        self.consumed_capacity = asked;
        self
    }

    /// Whether this client's requests ask for the capacity they consume.
    pub fn consumed_capacity(&self) -> bool {
        self.consumed_capacity
    }

    /// The key page cursors are signed with, if one was configured.
    pub fn cursor_key(&self) -> Option<&crate::query::CursorKey> {
        self.cursor_key.as_ref()
    }

    /// The underlying SDK client, for anything dynamo-repo does not cover.
    pub fn sdk(&self) -> &aws_sdk_dynamodb::Client {
        &self.sdk
    }

    /// The timeouts this client's requests run under.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// A repository of `T` items in `T`'s table (as this client's
    /// table-name resolver maps it: [`Client::table_name_of`]).
    pub fn repository<T: Entity>(&self) -> Repository<T> {
        Repository::new(self.clone(), self.table_name_of::<T>())
    }
}

impl Timeouts {
    /// The timeouts an SDK configuration sets; what it leaves unset counts
    /// as unbounded (`Duration::MAX`), except the connect timeout.
    fn from_sdk(config: Option<&TimeoutConfig>) -> Self {
        let unbounded = Duration::MAX;
        let defaults = Timeouts::default();
        match config {
            None => Timeouts {
                connect: defaults.connect,
                attempt: unbounded,
                operation: unbounded,
            },
            Some(c) => Timeouts {
                connect: c.connect_timeout().unwrap_or(defaults.connect),
                attempt: c.operation_attempt_timeout().unwrap_or(unbounded),
                operation: c.operation_timeout().unwrap_or(unbounded),
            },
        }
    }
}
