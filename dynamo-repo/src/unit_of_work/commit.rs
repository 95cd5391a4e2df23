//! Commit: one TransactWriteItems per attempt, retried with the same token.

use super::{Committed, UnitOfWork};
use crate::error::{from_sdk, Result};
use crate::retry;
use tracing::Instrument;

impl UnitOfWork {
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
