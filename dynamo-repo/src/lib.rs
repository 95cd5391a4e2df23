//! Typed repositories for Amazon DynamoDB, built on [`aws-sdk-dynamodb`](https://docs.rs/aws-sdk-dynamodb) (re-exported as `dynamo_repo::sdk`).
//!
//! Declare an entity with [`#[derive(Entity)]`](derive@Entity) and get its table
//! schema, typed keys, typed attribute paths and a direct mapping to the SDK's
//! `AttributeValue`s. Then `get` / `put` / `update` / `delete` with conditions,
//! query and scan with typed key conditions and filters, commit units of work,
//! and run batches that never lose an item. Every input is checked before
//! anything is sent, and errors name the entity and attribute at fault (never a
//! stored value).
//!
//! # Quickstart
//!
//! ```toml
//! [dependencies]
//! dynamo-repo = "0.1"
//! tokio = { version = "1", features = ["full"] }
//! ```
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
//! # async fn demo() -> dynamo_repo::Result<()> {
//! let client = Client::local("http://localhost:8000"); // or Client::from_env().await for AWS
//! let orders = client.repository::<Order>();
//! orders.ensure_table().await?; // create if absent (on-demand billing), wait until ACTIVE
//!
//! let order = Order { customer: "c-1".into(), id: "o-9".into(), total: 12.5, note: None };
//! orders.put(&order).await?;
//! let same: Option<Order> = orders.get(Order::key("c-1", "o-9")).await?;
//!
//! // Refuse to overwrite: a typed error carrying the stored item.
//! let err = orders.put(&order).if_not_exists().await.unwrap_err();
//! assert!(err.is_condition_failed());
//!
//! // Update by typed field paths; the value type is checked by the compiler.
//! let f = Order::fields();
//! let updated: Order = orders
//!     .update(Order::key("c-1", "o-9"))
//!     .set(f.total, 20.0)
//!     .set(f.note, "gift")
//!     .return_new()
//!     .await?;
//!
//! let old: Option<Order> = orders.delete(Order::key("c-1", "o-9")).return_old().await?;
//! # Ok(()) }
//! ```
//!
//! [`Client`] holds one `aws_sdk_dynamodb::Client` (one HTTP connection pool)
//! shared by every repository; cloning either is cheap.
//! [`Client::from_env`] configures itself like every AWS SDK (region,
//! credentials, profiles); [`Client::local`] uses dummy credentials for
//! DynamoDB Local; [`Client::from_sdk`] wraps a client you built. Every request
//! is bounded by timeouts and retried under a [`RetryPolicy`] (see [`client`]).
//!
//! # The guide
//!
//! Each module opens with its chapter:
//!
//! | Chapter | What it covers |
//! |---|---|
//! | [`derive@Entity`] | the full `#[dynamo(...)]` reference: keys, renames, `skip`, `default`, `with`, `serde`, `ttl`, `version`, `created_at`, `updated_at`, `gsi` / `lsi` with every key and projection, key templates |
//! | [`entity`] | what the derive implements: [`Entity`](trait@Entity), [`TableSchema`], [`Key`], indexes |
//! | [`repository`] | [`Repository<T>`]: `get` / `put` / `save` / `update` / `delete`, tables that follow the code (`ensure_table`, `plan_table`) |
//! | [`expr`] and [`query`] | typed paths, conditions and updates; queries and scans, indexes, pages and cursors, projections, streams |
//! | [`unit_of_work`] | transactions across entities and tables, idempotent retries, typed cancellation reasons, `TransactGet` |
//! | [`managed`] | optimistic locking (`#[dynamo(version)]`) and timestamps |
//! | [`backfill`] | migrating existing items: a parallel scan through your function, idempotent conditional writes, a capacity budget, progress, checkpoints to resume |
//! | [`batch`] | `BatchGetItem` / `BatchWriteItem` helpers: chunking, concurrency, retries, progress, checkpoints and resume |
//! | [`single_table`] | single-table design: key templates, entity types, collections |
//! | [`sortable`] | sort-safe key placeholders: `{seq:sortable}`, `{seq:08}`, `{at:sortable}` keep value order in key order |
//! | [`unique`] | `#[dynamo(unique)]`: values no two items share, kept by marker items in the same transaction |
//! | [`client`] | the client, timeouts and retries |
//! | [`error`] | the one [`Error`] type, validation before sending, values kept out of errors and logs |
//! | [`dynamo-repo-testkit`](https://docs.rs/dynamo-repo-testkit) | DynamoDB Local from `cargo test`, isolated tables, fault injection, a request recorder |
//!
//! # Type mapping
//!
//! | Rust | DynamoDB | Notes |
//! |---|---|---|
//! | `String`, `char` | S | empty strings are fine outside keys and index keys |
//! | `i8` … `i128`, `u8` … `u128`, `isize`, `usize` | N | exact decimal text: `u64::MAX`, `i64::MIN` survive; over 38 significant digits (e.g. `i128::MAX`) is refused on write |
//! | `f32`, `f64` | N | shortest exact text; NaN, infinities and values outside 1E-130..9.99E+125 are refused on write, naming the field; on read, a number the type cannot hold and the text `NaN` / `inf` are a `DecodeError`, never `inf` or `0.0` |
//! | `bool` | BOOL | |
//! | `bytes::Bytes`, `aws_sdk_dynamodb::primitives::Blob`, `#[dynamo(binary)] Vec<u8>` | B | a plain `Vec<u8>` is a list of numbers, like any `Vec<T>` |
//! | `Option<T>` | T's type | `None` is not written; absent or NULL reads as `None` |
//! | `Vec<T>`, `VecDeque<T>` | L | `None` elements are stored as NULL so positions hold |
//! | `HashSet` / `BTreeSet` of strings, integers, bytes | SS / NS / BS | an empty set is not written (DynamoDB forbids it) and absent reads as empty |
//! | `HashMap` / `BTreeMap<String, T>` | M | |
//! | `#[derive(Attribute)]` struct | M | nested up to DynamoDB's 32 levels, recursive types included |
//! | `#[derive(Attribute)]` enum of unit variants | S | the variant name, after `rename` / `rename_all` |
//! | `#[derive(Attribute)]` enum with data | M | a tag attribute (default `type`) and the variant's fields, beside it or under `content` |
//! | `chrono::DateTime<Utc>`, `DateTime<FixedOffset>`, `NaiveDate` (feature `chrono`) | S | RFC 3339 / ISO 8601 |
//! | `time::OffsetDateTime` (feature `time`) | S | RFC 3339 |
//! | `uuid::Uuid` (feature `uuid`) | S | hyphenated |
//! | `#[dynamo(ttl)]` `SystemTime`, `i64`, `u64`, `DateTime<Utc>`, `OffsetDateTime`, or an `Option` of one | N | epoch seconds |
//! | `AttributeValue` | as is | |
//!
//! A type of your own implements [`ToAttribute`] and [`FromAttribute`] (or
//! derives them with [`derive@Attribute`]); a field can also go through serde
//! (`#[dynamo(serde)]`) or a module of two functions (`#[dynamo(with = ...)]`).
//!
//! # Feature flags
//!
//! - `chrono`: `chrono`'s date-times as attributes, timestamps and TTLs.
//! - `time`: `time::OffsetDateTime` likewise.
//! - `uuid`: `uuid::Uuid` as an attribute and a key part.
//!
//! # Tracing
//!
//! Every operation runs in a `tracing` span named `dynamodb` with
//! `db.operation`, `db.table`, the entity and, when capacity was asked for
//! (see [`capacity`]), the consumed capacity (`db.consumed_capacity`, empty
//! otherwise); attribute values are never logged.
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod backfill;
pub mod batch;
pub mod capacity;
pub mod client;
#[cfg(feature = "embedded")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded")))]
pub mod embedded;
pub mod entity;
pub mod error;
pub mod expr;
pub mod managed;
// The query guide lives beside the module so that `query/` stays as it is.
pub mod query;
mod redact;
pub mod repository;
pub mod retry;
pub mod schema_version;
pub mod shape;
pub mod single_table;
pub mod sortable;
pub mod stream;
pub mod type_guard;
pub mod unique;
pub mod unit_of_work;
pub mod validate;
pub mod value;

/// The README's code blocks, run as doc tests (the crate's own guide is above).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[doc(hidden)]
pub mod __private;

pub use batch::{BatchIncomplete, BatchProgress, BatchStats, WriteOp};
pub use capacity::{Capacity, WithCapacity};
pub use client::{Client, ClientBuilder, Timeouts};
pub use entity::{
    AllAttributes, Entity, Include, Index, IndexKeyValue, IndexKind, IndexProjection, IndexSchema,
    Key, KeyAttribute, KeyType, KeyValue, KeysOnly, ManagedAttribute, NoSortKey, StreamView,
    TableSchema, Timestamp, VersionNumber,
};
pub use error::{ConditionFailed, Error, Result, ValidationError, ValidationErrorKind};
pub use expr::{Condition, Path, Update};
pub use managed::{ExpectedVersion, VersionConflict};
pub use query::{
    Bounded, BudgetKind, BudgetReached, CapacityStream, CursorKey, Page, Projection, Query,
    ReadBudget, Scan, WithBudget,
};
pub use redact::{reveal_values_in_errors, values_revealed};
pub use repository::Repository;
pub use retry::RetryPolicy;
pub use schema_version::SchemaVersion;
pub use single_table::{Collection, FromKeyPart, KeyPart, SingleTableSchema, TypedEntity};
pub use sortable::{SortableKeyPart, WidthKeyPart};
pub use type_guard::WrongEntityType;
pub use unique::UniqueTaken;
pub use unit_of_work::{CommitOutcomeUnknown, Committed, TransactGet, UnitOfWork};
pub use value::{DecodeError, FromAttribute, Item, ToAttribute};

/// Derives [`Entity`](trait@Entity) for a struct stored as a table item.
pub use dynamo_repo_derive::Entity;

/// Derives [`ToAttribute`] and [`FromAttribute`] for a struct stored as a map
/// (M), an enum of unit variants stored as a string (S), or an enum with data
/// stored as a map with a tag attribute (M).
pub use dynamo_repo_derive::Attribute;

/// Derives [`Projection`] for a struct holding some fields of an entity.
pub use dynamo_repo_derive::Projection;

/// Derives [`Collection`](trait@Collection) for an enum of single-table
/// entities, one newtype variant per entity type:
/// `enum OrgItem { Org(Org), User(User) }`.
pub use dynamo_repo_derive::Collection;

/// The AWS SDK this crate is built on, for the types that appear in its API.
pub use aws_sdk_dynamodb as sdk;
