//! A cancelled transaction, action by action.

use super::UnitOfWork;
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::managed::{self};
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
                let why = match code {
                    "None" => CancellationCode::None,
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
