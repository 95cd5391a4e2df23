//! The one error type of dynamo-repo, and the checks made before sending.
//!
//! # Validation before sending
//!
//! Every write is checked before it is sent, and a failed check sends nothing:
//! empty key values, keys over 2048 (partition) / 1024 (sort) bytes, items over
//! 400 KB by DynamoDB's own size rule, numbers DynamoDB cannot store, nesting
//! deeper than 32 levels, updates of key attributes. Reading never panics: a
//! missing attribute, a wrong type, an unparseable or out-of-range number, or a
//! NULL where a value is required is a [`DecodeError`] naming the entity and the
//! attribute path (`address.zip`, `tags[3]`).
//!
//! Bad input is [`Error::Validation`] with a [`ValidationError`] whose
//! [`ValidationErrorKind`] says what was refused, naming the entity and
//! attribute (or the input position of a batch, the action of a unit of work).
//!
//! # Hostile or extreme input
//!
//! No input makes the library panic, overflow, abort or spin. An item nested
//! deeper than DynamoDB's 32 levels is refused with `DecodeErrorKind::TooDeep`
//! before any decoder runs (the check itself recurses at most 33 levels), so a
//! recursive `#[derive(Attribute)]` type cannot overflow the stack; its derived
//! decoder and encoder also count their own nesting, so a deep value built by
//! hand is refused on decode, and a deep Rust value is refused by the write
//! validation, naming the attribute. An update is checked against DynamoDB's
//! operator (300) and size (4 KB) limits before its paths are compared, and
//! the overlap check sorts the paths (O(n log n)), so a 16,384-action update
//! is refused in microseconds; a condition stops rendering at the first
//! operator past the limit. Number text with an exponent at the edge of `i64`
//! is refused, not overflowed. On read, a number a float cannot hold (over its
//! largest value, or non-zero but rounding to 0) and the text `NaN` / `inf`
//! are decode errors, never `inf` or `0.0`. The runtime, derive and testkit
//! crates are `#![forbid(unsafe_code)]`. A fuzz test (`tests/fuzz.rs`, 100,000
//! arbitrary items per run against six decoders, more with `--ignored`)
//! checks that decoding never panics or aborts.
//!
//! # The variants
//!
//! [`Error`] is one `#[non_exhaustive]` enum:
//!
//! | Variant | When | Predicate |
//! |---|---|---|
//! | [`ConditionFailed`](Error::ConditionFailed) | a write's condition failed; carries the stored item when DynamoDB returns it | `is_condition_failed()` |
//! | [`TransactionCanceled`](Error::TransactionCanceled) | a unit of work was canceled; every action with its reason | `is_transaction_canceled()` |
//! | [`VersionConflict`](Error::VersionConflict) | a `#[dynamo(version)]` check failed: expected and stored versions | `is_version_conflict()` |
//! | [`WrongEntityType`](Error::WrongEntityType) | a write would land on an item of another entity type | `is_wrong_entity_type()` |
//! | [`UniqueTaken`](Error::UniqueTaken) | a `#[dynamo(unique)]` value is held by another item; names the field, never the value | `is_unique_taken()` |
//! | [`Validation`](Error::Validation) | bad input, refused before anything was sent | `is_validation()` |
//! | [`Decode`](Error::Decode) | a stored item does not decode as the entity | `is_decode()` |
//! | [`Throttled`](Error::Throttled) | throttled, and the retries ran out | `is_throttled()` |
//! | [`Timeout`](Error::Timeout) | the client's timeouts ran out | `is_timeout()` |
//! | [`CommitOutcomeUnknown`](Error::CommitOutcomeUnknown) | a commit that got no answer: it may have been applied; commit the same unit again | `is_commit_outcome_unknown()` |
//! | [`TableMismatch`](Error::TableMismatch) | a live table `ensure_table` cannot make fit the entity | `as_table_mismatch()` |
//! | [`BatchIncomplete`](Error::BatchIncomplete) | a batch left some writes or keys unprocessed; carries exactly those | `is_batch_incomplete()` |
//! | [`Service`](Error::Service) | anything else from the SDK, kept as the error's source | `is_resource_not_found()` for a missing table |
//!
//! The variants that carry a value have an accessor too: `as_condition_failed()`,
//! `as_transaction_canceled()`, `as_version_conflict()`, `as_wrong_entity_type()`,
//! `as_validation()`, `as_decode()`, `as_table_mismatch()`, `as_batch_incomplete()`.
//!
//! # No stored values in errors or logs
//!
//! The `Display` and `Debug` of every
//! error, and of every type holding items (`BatchIncomplete`, `TransactionCanceled`
//! and its `ActionOutcome`s, `RawBatchGetOutput`, `Key<T>`, ...), show attribute
//! names with DynamoDB types and sizes, never values: a condition failure reads
//! ``condition failed: PutItem of User {id: S(12 bytes)} in table `users` (the item
//! exists)``, a decode error ``cannot decode Patient attribute `notes.<key>`: a stored
//! value (36 bytes) is not a UUID``. Top-level attribute names are the schema and are
//! shown; map keys inside a value are data and show as `<key>`. The fields and
//! accessors still hold everything (`ConditionFailed::item` and `existing()`,
//! `DecodeError::kind()` and `path()`, `BatchIncomplete::unprocessed_items()`).
//! One process-wide switch shows the values, for development or tests:
//!
//! ```rust
//! dynamo_repo::reveal_values_in_errors(true); // {id: "u-1"}, notes.diagnosis, `abc` is not a UUID
//! # dynamo_repo::reveal_values_in_errors(false);
//! ```
//!
//! It is read when an error is formatted (a `ValidationError`'s message is composed
//! when the error is made). `Debug` of `Error` is concise: for `Service` and
//! `Throttled` the operation, table, DynamoDB's code and message; the SDK's error,
//! with its raw HTTP response, is reached through `source()`. DynamoDB's message
//! can quote the request's values in one case, a `ValidationException` (a server
//! may echo a number it could not read): then the message and the SDK error in
//! `source()` are shown by their code alone unless values are revealed; the
//! `message` field keeps the text.
//! A custom conversion's `DecodeError::custom(message)` is shown as written: quote
//! a refused value with `DecodeError::invalid(found, "a UUID")` instead.
//!
//! Every operation runs in a `tracing` span named `dynamodb` with `db.operation`,
//! `db.table`, the entity and the consumed capacity; attribute values are never
//! logged, and the library's log lines format errors with the same redaction.
//!
//! # For contributors
//!
//! For whoever adds an error or a message: keep values (items, keys, stored
//! text, the app's input values) in typed fields, never pre-formatted into a
//! `String` that `Display` prints; format them at `Display` time through the
//! crate's `redact` wrappers (`ShowItem` for an item or key, `ShowValue` for
//! one attribute value, `ShowText` for a stored string quoted in a sentence),
//! which read the switch. Write a `Debug` by hand for any type that holds an
//! `Item` or `AttributeValue` (a derived one prints the values). Names of
//! tables, entities, attributes, operations and DynamoDB codes are not values.
//! SDK errors go in a `#[source]` field, not in `Display` or `Debug`.

use crate::value::DecodeError;
use std::fmt;

mod condition;
mod sdk;
mod validation;

pub use condition::ConditionFailed;
pub(crate) use sdk::from_sdk;
use sdk::ServiceMessage;
pub use validation::{ValidationError, ValidationErrorKind};

/// A boxed error from the SDK or a custom conversion, kept as a source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result type of dynamo-repo operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in dynamo-repo.
///
/// `Display` and `Debug` show no stored value (see [the module docs](self));
/// the SDK's error of [`Error::Service`] and [`Error::Throttled`] is reached
/// through [`std::error::Error::source`], not printed.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A write's condition was not met (for example a put-if-absent on an item
    /// that exists). Carries the current item when DynamoDB returned it.
    #[error(transparent)]
    ConditionFailed(Box<ConditionFailed>),

    /// A unit of work's transaction was cancelled: says, per action, why.
    #[error(transparent)]
    TransactionCanceled(Box<crate::unit_of_work::TransactionCanceled>),

    /// An optimistic-locking check failed: the stored version is not the
    /// one in hand (`#[dynamo(version)]`).
    #[error(transparent)]
    VersionConflict(Box<crate::managed::VersionConflict>),

    /// A write of a typed entity (single-table design) refused because the
    /// item at its key holds another entity type: names both types. Nothing
    /// was written. See [`crate::type_guard`].
    #[error(transparent)]
    WrongEntityType(Box<crate::type_guard::WrongEntityType>),

    /// A write refused because another item of the entity holds the value of
    /// a `#[dynamo(unique)]` field: names the entity and field, never the
    /// value. Nothing was written. See [`crate::unique`].
    #[error(transparent)]
    UniqueTaken(Box<crate::unique::UniqueTaken>),

    /// The request was refused before it was sent: bad input, such as an empty
    /// key or an item over 400 KB. No request reached DynamoDB.
    #[error(transparent)]
    Validation(#[from] ValidationError),

    /// An item read from DynamoDB does not fit the entity.
    #[error(transparent)]
    Decode(#[from] DecodeError),

    /// DynamoDB kept throttling the request until the retry attempts ran out.
    #[error("{operation} on table `{table}` was throttled until the retries ran out")]
    Throttled {
        /// The DynamoDB operation (`PutItem`, ...).
        operation: &'static str,
        /// The table.
        table: String,
        /// The last error DynamoDB returned.
        #[source]
        source: BoxError,
    },

    /// A request did not complete within the client's [`Timeouts`](crate::Timeouts):
    /// an attempt timed out and the retries ran out, or the whole operation
    /// took longer than its timeout. A write that timed out may have been applied.
    #[error("{operation} on table `{table}` timed out (the client's timeouts ran out)")]
    Timeout {
        /// The DynamoDB operation.
        operation: &'static str,
        /// The table.
        table: String,
        /// The SDK's error.
        #[source]
        source: BoxError,
    },

    /// A unit of work's commit failed in a way that does not say whether
    /// DynamoDB applied it (timeouts, lost responses, 5xx until the retries
    /// ran out). Committing the same unit again within 10 minutes is safe:
    /// it sends the same `ClientRequestToken`, and DynamoDB applies a token once.
    #[error(transparent)]
    CommitOutcomeUnknown(Box<crate::unit_of_work::CommitOutcomeUnknown>),

    /// The live table differs from the entity in ways that cannot be changed
    /// in place (`ensure_table`, `plan_table`): names every difference.
    #[error(transparent)]
    TableMismatch(Box<crate::repository::TableMismatch>),

    /// A batch read or write that could not be completed: carries exactly the
    /// write requests or keys that were not processed (everything else was
    /// written or read), the items already read, and the cause.
    #[error(transparent)]
    BatchIncomplete(Box<crate::batch::BatchIncomplete>),

    /// Any other failure reported by the SDK or DynamoDB (network, auth,
    /// missing table, service validation), with the SDK error as source.
    ///
    /// DynamoDB's message is shown, except a `ValidationException`'s (it can
    /// quote the values of the request, such as a number it could not read)
    /// unless values are revealed; the `message` field always holds it.
    #[error("{operation} on table `{table}` failed{}{}",
        code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(),
        ServiceMessage(code.as_deref(), message.as_deref()))]
    Service {
        /// The DynamoDB operation.
        operation: &'static str,
        /// The table.
        table: String,
        /// DynamoDB's error code, such as `ResourceNotFoundException`, when there is one.
        code: Option<String>,
        /// DynamoDB's message, when there is one.
        message: Option<String>,
        /// The SDK's error.
        #[source]
        source: BoxError,
    },
}

/// Concise: the variant with its fields, stored values redacted and the
/// SDK's error (with the raw HTTP response) left to `source()`.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ConditionFailed(e) => f.debug_tuple("ConditionFailed").field(e).finish(),
            Error::TransactionCanceled(e) => f.debug_tuple("TransactionCanceled").field(e).finish(),
            Error::VersionConflict(e) => f.debug_tuple("VersionConflict").field(e).finish(),
            Error::Validation(e) => f.debug_tuple("Validation").field(e).finish(),
            Error::Decode(e) => f.debug_tuple("Decode").field(e).finish(),
            Error::BatchIncomplete(e) => f.debug_tuple("BatchIncomplete").field(e).finish(),
            Error::WrongEntityType(e) => f.debug_tuple("WrongEntityType").field(e).finish(),
            Error::UniqueTaken(e) => f.debug_tuple("UniqueTaken").field(e).finish(),
            Error::TableMismatch(e) => f.debug_tuple("TableMismatch").field(e).finish(),
            Error::CommitOutcomeUnknown(e) => {
                f.debug_tuple("CommitOutcomeUnknown").field(e).finish()
            }
            Error::Timeout {
                operation, table, ..
            } => f
                .debug_struct("Timeout")
                .field("operation", operation)
                .field("table", table)
                .finish_non_exhaustive(),
            Error::Throttled {
                operation, table, ..
            } => f
                .debug_struct("Throttled")
                .field("operation", operation)
                .field("table", table)
                .finish_non_exhaustive(),
            Error::Service {
                operation,
                table,
                code,
                message,
                ..
            } => f
                .debug_struct("Service")
                .field("operation", operation)
                .field("table", table)
                .field("code", code)
                .field(
                    "message",
                    &format_args!(
                        "{:?}",
                        ServiceMessage(code.as_deref(), message.as_deref()).to_string()
                    ),
                )
                .finish_non_exhaustive(),
        }
    }
}

impl Error {
    /// Whether a write's condition was not met.
    pub fn is_condition_failed(&self) -> bool {
        matches!(self, Error::ConditionFailed(_))
    }

    /// Whether a transaction was cancelled.
    pub fn is_transaction_canceled(&self) -> bool {
        matches!(self, Error::TransactionCanceled(_))
    }

    /// The cancelled transaction, if this is one.
    pub fn as_transaction_canceled(&self) -> Option<&crate::unit_of_work::TransactionCanceled> {
        match self {
            Error::TransactionCanceled(t) => Some(t),
            _ => None,
        }
    }

    /// Whether an optimistic-locking version check failed.
    pub fn is_version_conflict(&self) -> bool {
        matches!(self, Error::VersionConflict(_))
    }

    /// The version conflict, if this is one.
    pub fn as_version_conflict(&self) -> Option<&crate::managed::VersionConflict> {
        match self {
            Error::VersionConflict(v) => Some(v),
            _ => None,
        }
    }

    /// Whether a write was refused because the item at its key holds another
    /// entity type.
    pub fn is_wrong_entity_type(&self) -> bool {
        matches!(self, Error::WrongEntityType(_))
    }

    /// The entity-type mismatch, if this is one.
    pub fn as_wrong_entity_type(&self) -> Option<&crate::type_guard::WrongEntityType> {
        match self {
            Error::WrongEntityType(w) => Some(w),
            _ => None,
        }
    }

    /// Whether a `#[dynamo(unique)]` value is taken by another item.
    pub fn is_unique_taken(&self) -> bool {
        matches!(self, Error::UniqueTaken(_))
    }

    /// The taken unique value's entity and field, if this is one.
    pub fn as_unique_taken(&self) -> Option<&crate::unique::UniqueTaken> {
        match self {
            Error::UniqueTaken(u) => Some(u),
            _ => None,
        }
    }

    /// Whether the request was refused before sending.
    pub fn is_validation(&self) -> bool {
        matches!(self, Error::Validation(_))
    }

    /// Whether an item could not be decoded.
    pub fn is_decode(&self) -> bool {
        matches!(self, Error::Decode(_))
    }

    /// Whether DynamoDB throttled the request until retries ran out.
    pub fn is_throttled(&self) -> bool {
        matches!(self, Error::Throttled { .. })
    }

    /// Whether the request timed out: [`Error::Timeout`], or a commit of
    /// unknown outcome or an incomplete batch whose last failure was a timeout.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::CommitOutcomeUnknown(c) => c.cause.is_timeout(),
            Error::BatchIncomplete(b) => b.cause.as_deref().is_some_and(Error::is_timeout),
            _ => false,
        }
    }

    /// Whether a commit failed without saying whether it was applied
    /// (re-committing the same unit is safe).
    pub fn is_commit_outcome_unknown(&self) -> bool {
        matches!(self, Error::CommitOutcomeUnknown(_))
    }

    /// The differences between a live table and its entity, if this is an
    /// [`Error::TableMismatch`].
    pub fn as_table_mismatch(&self) -> Option<&crate::repository::TableMismatch> {
        match self {
            Error::TableMismatch(t) => Some(t),
            _ => None,
        }
    }

    /// Whether the table (or index) does not exist.
    pub fn is_resource_not_found(&self) -> bool {
        matches!(self, Error::Service { code: Some(c), .. } if c == "ResourceNotFoundException")
    }

    /// Whether a batch ended with write requests or keys not processed.
    pub fn is_batch_incomplete(&self) -> bool {
        matches!(self, Error::BatchIncomplete(_))
    }

    /// What a batch left unprocessed, if this is a [`Error::BatchIncomplete`].
    pub fn as_batch_incomplete(&self) -> Option<&crate::batch::BatchIncomplete> {
        match self {
            Error::BatchIncomplete(b) => Some(b),
            _ => None,
        }
    }

    /// The condition failure, if this is one.
    pub fn as_condition_failed(&self) -> Option<&ConditionFailed> {
        match self {
            Error::ConditionFailed(c) => Some(c),
            _ => None,
        }
    }

    /// The validation error, if this is one.
    pub fn as_validation(&self) -> Option<&ValidationError> {
        match self {
            Error::Validation(v) => Some(v),
            _ => None,
        }
    }

    /// The decode error, if this is one.
    pub fn as_decode(&self) -> Option<&DecodeError> {
        match self {
            Error::Decode(d) => Some(d),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
