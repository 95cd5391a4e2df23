//! A cancelled transaction, action by action.

use super::UnitOfWork;
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::managed::{self};
use crate::redact::ShowItem;
use crate::value::Item;
use std::fmt;

impl UnitOfWork {
    pub(super) fn cancellation(
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
                // A stored item of another entity type explains the failure first.
                let wrong_type = (code == "ConditionalCheckFailed")
                    .then(|| crate::type_guard::mismatch(action.schema, item.as_ref()))
                    .flatten();
                let claim = match action.marker {
                    Some(crate::unique::MarkerRole::Claim(field)) => Some(field),
                    _ => None,
                };
                let why = match code {
                    "None" => CancellationCode::None,
                    "ConditionalCheckFailed" if claim.is_some() => CancellationCode::UniqueTaken {
                        field: claim.map_or("", |f| f.field),
                    },
                    "ConditionalCheckFailed" if wrong_type.is_some() => {
                        CancellationCode::WrongEntityType {
                            expected: action.schema.single_table.map_or("", |s| s.entity_type),
                            found: wrong_type.flatten(),
                        }
                    }
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
                    key: action.key.clone(),
                    reason: why,
                    message: reason.and_then(|r| r.message()).map(str::to_owned),
                    item,
                }
            })
            .collect();
        let canceled = Box::new(TransactionCanceled {
            token: token.to_owned(),
            actions,
        });
        // A value of a unique field taken by another item explains the
        // cancellation by name (see `crate::unique`).
        let taken =
            canceled
                .actions
                .iter()
                .zip(&self.actions)
                .find_map(|(outcome, action)| match (&outcome.reason, action.marker) {
                    (
                        CancellationCode::UniqueTaken { .. },
                        Some(crate::unique::MarkerRole::Claim(field)),
                    ) => Some((outcome.entity, field, outcome.table.clone())),
                    _ => None,
                });
        match taken {
            Some((entity, field, table)) => {
                Error::UniqueTaken(Box::new(crate::unique::UniqueTaken {
                    entity,
                    field: field.field,
                    attribute: field.attribute,
                    table,
                    canceled,
                }))
            }
            None => Error::TransactionCanceled(canceled),
        }
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
    /// The item at its key holds another entity type (single-table design):
    /// the action would have landed on it. See [`crate::type_guard`].
    WrongEntityType {
        /// The entity type of the action.
        expected: &'static str,
        /// The stored item's entity type (`None`: its type attribute is not a string).
        found: Option<String>,
    },
    /// The marker of a `#[dynamo(unique)]` value this action claims belongs
    /// to another item: the value is taken (see [`crate::unique`]).
    UniqueTaken {
        /// The Rust field whose value is taken.
        field: &'static str,
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

impl fmt::Display for CancellationCode {
    /// The reason as the end of a sentence: `its condition was false`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CancellationCode::None => f.write_str("was fine"),
            CancellationCode::ConditionalCheckFailed => f.write_str("failed its condition"),
            CancellationCode::VersionConflict { expected, stored } => {
                f.write_str("found another version (expected ")?;
                match expected {
                    Some(v) => write!(f, "version {v}")?,
                    None => f.write_str("no stored item")?,
                }
                f.write_str(", found ")?;
                match stored {
                    Some(v) => write!(f, "version {v})"),
                    None => f.write_str("no stored item)"),
                }
            }
            CancellationCode::TransactionConflict => {
                f.write_str("met another transaction on the same item")
            }
            CancellationCode::ItemCollectionSizeLimitExceeded => {
                f.write_str("would grow an item collection past 10 GB")
            }
            CancellationCode::WrongEntityType { expected, found } => match found {
                Some(found) => write!(f, "would land on a `{found}` item, not a `{expected}`"),
                None => write!(
                    f,
                    "would land on an item of no readable entity type, not a `{expected}`"
                ),
            },
            CancellationCode::UniqueTaken { field } => {
                write!(f, "found the value of unique field `{field}` taken")
            }
            CancellationCode::Throttled => f.write_str("was throttled"),
            CancellationCode::ValidationError => f.write_str("was found invalid by DynamoDB"),
            CancellationCode::Other(code) => write!(f, "was cancelled ({code})"),
        }
    }
}

/// One action of a cancelled transaction, and why.
///
/// `Display` and `Debug` show the key and the stored item as attribute names
/// with types and sizes, unless values are revealed
/// ([`reveal_values_in_errors`](crate::reveal_values_in_errors)).
#[derive(Clone)]
pub struct ActionOutcome {
    /// The action's position in the unit (0-based), in the order added.
    pub position: usize,
    /// `Put`, `Update`, `Delete` or `ConditionCheck`; for the marker items
    /// of unique fields, `ClaimUnique` or `ReleaseUnique`.
    pub operation: &'static str,
    /// The entity type.
    pub entity: &'static str,
    /// The table.
    pub table: String,
    /// The item's key attributes (`Key::<T>::from_item(key)` types it).
    pub key: Item,
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

/// `action 1 (Update of Account {id: S(5 bytes)} in table `accounts`) failed its condition`.
impl fmt::Display for ActionOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "action {} ({} of {} {} in table `{}`) {}",
            self.position,
            self.operation,
            self.entity,
            ShowItem(&self.key),
            self.table,
            self.reason
        )
    }
}

impl fmt::Debug for ActionOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionOutcome")
            .field("position", &self.position)
            .field("operation", &self.operation)
            .field("entity", &self.entity)
            .field("table", &self.table)
            .field("key", &ShowItem(&self.key))
            .field("reason", &self.reason)
            .field("message", &self.message)
            .field("item", &self.item.as_ref().map(ShowItem))
            .finish()
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
        f.write_str("transaction cancelled, nothing applied")?;
        let failed: Vec<&ActionOutcome> = self.failed().collect();
        for (i, a) in failed.iter().enumerate() {
            f.write_str(match i {
                0 => ": ",
                i if i + 1 == failed.len() => " and ",
                _ => ", ",
            })?;
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransactionCanceled {}
