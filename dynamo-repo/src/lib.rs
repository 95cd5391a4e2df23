#![doc = include_str!("../../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod batch;
pub mod client;
#[cfg(feature = "embedded")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded")))]
pub mod embedded;
pub mod entity;
pub mod error;
pub mod expr;
pub mod managed;
pub mod query;
mod redact;
pub mod repository;
pub mod retry;
pub mod single_table;
pub mod type_guard;
pub mod unit_of_work;
pub mod validate;
pub mod value;

#[doc(hidden)]
pub mod __private;

pub use batch::{BatchIncomplete, BatchProgress, BatchStats, WriteOp};
pub use client::{Client, ClientBuilder, Timeouts};
pub use entity::{
    Entity, Index, IndexKind, IndexProjection, IndexSchema, Key, KeyAttribute, KeyType, KeyValue,
    ManagedAttribute, NoSortKey, TableSchema, Timestamp, VersionNumber,
};
pub use error::{ConditionFailed, Error, Result, ValidationError, ValidationErrorKind};
pub use expr::{Condition, Path, Update};
pub use managed::{ExpectedVersion, VersionConflict};
pub use query::{CursorKey, Page, Projection, Query, Scan};
pub use redact::{reveal_values_in_errors, values_revealed};
pub use repository::Repository;
pub use retry::RetryPolicy;
pub use single_table::{Collection, FromKeyPart, KeyPart, SingleTableSchema, TypedEntity};
pub use type_guard::WrongEntityType;
pub use unit_of_work::{CommitOutcomeUnknown, Committed, TransactGet, UnitOfWork};
pub use value::{DecodeError, FromAttribute, Item, ToAttribute};

/// Derives [`Entity`](trait@Entity) for a struct stored as a table item.
pub use dynamo_repo_derive::Entity;

/// Derives [`ToAttribute`] and [`FromAttribute`] for a struct stored as a map
/// (M) or an enum of unit variants stored as a string (S).
pub use dynamo_repo_derive::Attribute;

/// Derives [`Projection`] for a struct holding some fields of an entity.
pub use dynamo_repo_derive::Projection;

/// Derives [`Collection`](trait@Collection) for an enum of single-table
/// entities, one newtype variant per entity type:
/// `enum OrgItem { Org(Org), User(User) }`.
pub use dynamo_repo_derive::Collection;

/// The AWS SDK this crate is built on, for the types that appear in its API.
pub use aws_sdk_dynamodb as sdk;
