//! Commit: one `TransactWriteItems` per attempt, retried by the library with
//! the same `ClientRequestToken` until it is answered.
//!
//! The SDK's own retries are off for this call: they stop when the client's
//! retry quota runs dry, and a commit whose response was lost must be asked
//! again (with its token, so it is applied once) rather than reported as
//! failed. Transient failures (timeouts, dropped connections, 5xx, lost
//! responses, throttling, transaction conflicts) are retried under the
//! unit's [`RetryPolicy`](crate::RetryPolicy), within the client's operation
//! timeout. When they run out after an attempt that may have been applied,
//! the caller gets [`Error::CommitOutcomeUnknown`], which says so plainly.

use super::{Committed, UnitOfWork};
use crate::error::{from_sdk, Error, Result};
use crate::retry;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use std::fmt;
use std::time::Instant;
use tracing::Instrument;

/// A commit that failed without an answer saying whether DynamoDB applied
/// it: a timeout, a dropped connection or a 5xx came last, after the retries
/// ran out (or the operation timeout passed).
///
/// Committing the same [`UnitOfWork`] again is safe within 10 minutes of the
/// first attempt: it sends the same `ClientRequestToken`, and DynamoDB
/// applies one token's transaction at most once (a replay of an applied
/// token succeeds without applying it again).
#[derive(Debug)]
pub struct CommitOutcomeUnknown {
    /// The `ClientRequestToken` every attempt sent.
    pub token: String,
    /// How many `TransactWriteItems` requests were sent.
    pub attempts: u32,
    /// The last failure.
    pub cause: Error,
}

impl fmt::Display for CommitOutcomeUnknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the commit may have been applied: {} attempt(s) with ClientRequestToken `{}` got no answer, the last one: {}. Committing the same unit again within 10 minutes is safe (DynamoDB applies a token once)",
            self.attempts, self.token, self.cause
        )
    }
}

impl std::error::Error for CommitOutcomeUnknown {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

impl UnitOfWork {
    /// Validates the unit and commits it: one `TransactWriteItems` per
    /// attempt, every attempt with the same `ClientRequestToken`, so a retry
    /// after a lost response is applied at most once.
    ///
    /// Timeouts, dropped connections, 5xx and lost responses, throttling and
    /// transaction conflicts are retried with backoff under the unit's
    /// [`retry_policy`](UnitOfWork::retry_policy) (default
    /// [`RetryPolicy::for_commits`](crate::RetryPolicy::for_commits)), within
    /// the client's operation timeout; condition failures and validation
    /// errors are not. When the retries run out after an attempt that may
    /// have been applied, the error is [`Error::CommitOutcomeUnknown`]:
    /// committing the same unit again is then safe, since it replays the
    /// token (DynamoDB applies it once within 10 minutes).
    ///
    /// # Cancellation
    ///
    /// Dropping the future once the request is sent does not undo it: a
    /// dropped `commit` may have been applied, and then in full (a transaction
    /// is all or nothing). To find out, or to finish the job, call `commit()`
    /// on the same unit again within 10 minutes: it carries the same token,
    /// so DynamoDB applies it at most once in all and answers the replay of an
    /// applied commit with success. Set your own
    /// [`client_request_token`](Self::client_request_token) (or read
    /// [`token`](Self::token) before committing) when the retry may come from
    /// another process.
    pub async fn commit(&mut self) -> Result<Committed> {
        let Some(request) = self.to_request()? else {
            return Ok(Committed {
                token: None,
                attempts: 0,
                capacity: None,
            });
        };
        let token = self.token();
        let budget = self.client.timeouts().operation;
        let span = tracing::info_span!(
            "dynamodb",
            db.system = "dynamodb",
            db.operation = "TransactWriteItems",
            actions = self.actions.len(),
            db.consumed_capacity = tracing::field::Empty,
        );
        async move {
            let started = Instant::now();
            let mut attempt = 0;
            // Whether an attempt may have been applied without our knowing.
            let mut maybe_applied = false;
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
                let sent = request
                    .customize()
                    .config_override(
                        aws_sdk_dynamodb::config::Builder::default()
                            .retry_config(RetryConfig::disabled()),
                    )
                    .send();
                let remaining = budget.saturating_sub(started.elapsed());
                let failure = match tokio::time::timeout(remaining, sent).await {
                    Err(_) => {
                        // The whole operation ran out of time mid-attempt.
                        let cause = Error::Timeout {
                            operation: "TransactWriteItems",
                            table: self.tables_text(),
                            source: format!(
                                "the commit took longer than the operation timeout ({budget:?})"
                            )
                            .into(),
                        };
                        return Err(self.unknown(&token, attempt, cause));
                    }
                    Ok(Ok(output)) => {
                        return Ok(Committed {
                            token: Some(token),
                            attempts: attempt,
                            capacity: crate::capacity::record(output.consumed_capacity()),
                        });
                    }
                    Ok(Err(e)) => e,
                };
                use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as E;
                let err = match failure.as_service_error() {
                    Some(E::TransactionCanceledException(c)) => {
                        let reasons = c.cancellation_reasons();
                        if last || !only_transient(reasons) {
                            return Err(self.cancellation(&token, reasons));
                        }
                        None
                    }
                    // The same token is still being applied: wait and ask again.
                    Some(E::TransactionInProgressException(_)) => {
                        maybe_applied = true;
                        None
                    }
                    _ => {
                        let transient = retry::is_transient(&failure);
                        let err = from_sdk(failure, "TransactWriteItems", &self.tables_text());
                        if !transient {
                            return Err(err);
                        }
                        // Throttling is a refusal; anything else transient
                        // (timeout, transport, 5xx) may follow an applied write.
                        maybe_applied |= !err.is_throttled();
                        Some(err)
                    }
                };
                let delay = self.retry.delay(attempt - 1, retry::unit_random());
                let out_of_time = started.elapsed().saturating_add(delay) >= budget;
                if last || out_of_time {
                    let cause = err.unwrap_or_else(|| Error::Timeout {
                        operation: "TransactWriteItems",
                        table: self.tables_text(),
                        source: "the transaction was still in progress when the retries ran out"
                            .into(),
                    });
                    return Err(if maybe_applied {
                        self.unknown(&token, attempt, cause)
                    } else {
                        cause
                    });
                }
                tracing::debug!(
                    attempt,
                    ?delay,
                    "retrying TransactWriteItems with the same token"
                );
                tokio::time::sleep(delay).await;
            }
        }
        .instrument(span)
        .await
    }

    fn unknown(&self, token: &str, attempts: u32, cause: Error) -> Error {
        tracing::warn!(
            attempts,
            token,
            "TransactWriteItems got no answer; the commit may have been applied"
        );
        Error::CommitOutcomeUnknown(Box::new(CommitOutcomeUnknown {
            token: token.to_owned(),
            attempts,
            cause,
        }))
    }

    pub(super) fn tables_text(&self) -> String {
        let mut tables: Vec<&str> = self.actions.iter().map(|a| a.table.as_str()).collect();
        tables.sort();
        tables.dedup();
        tables.join(", ")
    }
}

/// Whether a cancellation is only conflicts or throttling, which a retry may clear.
pub(super) fn only_transient(reasons: &[aws_sdk_dynamodb::types::CancellationReason]) -> bool {
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
