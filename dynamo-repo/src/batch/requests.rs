//! The two requests the batch engine sends, one attempt each: a
//! `BatchWriteItem` or `BatchGetItem` built from the attempt's units (the
//! units kept, since a failed attempt hands them back for a retry), and what
//! its answer gives back: results, unprocessed units, consumed capacity.

use super::checkpoint::{returned_units, Control};
use super::engine::{drive, Attempt, BatchStats, Input};
use super::{
    BatchIncomplete, BatchOptions, MAX_KEYS_PER_REQUEST, MAX_REQUEST_BYTES, MAX_WRITES_PER_REQUEST,
};
use crate::capacity;
use crate::error::{from_sdk, Error};
use crate::value::Item;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{KeysAndAttributes, WriteRequest};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use std::collections::HashMap;
use std::sync::Arc;

/// One write request of a batch, with its table and its position in the
/// input (`None` once it can no longer be told apart, which keeps it out of
/// the checkpoint).
#[derive(Debug, Clone)]
pub(crate) struct WriteUnit {
    pub(crate) table: Arc<str>,
    pub(crate) request: WriteRequest,
    pub(crate) position: Option<u64>,
}

/// One key of a batch get, with its table.
#[derive(Debug, Clone)]
pub(crate) struct GetUnit {
    pub(crate) table: Arc<str>,
    pub(crate) key: Item,
}

/// Groups `values` by their table, one `String` per table (not per value):
/// the map a `BatchWriteItem` or `BatchGetItem` takes.
fn by_table<'u, V>(
    values: impl ExactSizeIterator<Item = (&'u Arc<str>, V)>,
) -> HashMap<String, Vec<V>> {
    let mut groups: Vec<(&Arc<str>, Vec<V>)> = Vec::with_capacity(1);
    let capacity = values.len();
    for (table, value) in values {
        match groups.iter_mut().find(|(t, _)| *t == table) {
            Some((_, group)) => group.push(value),
            None => {
                let mut group = Vec::with_capacity(capacity);
                group.push(value);
                groups.push((table, group));
            }
        }
    }
    let mut map = HashMap::with_capacity(groups.len());
    for (table, group) in groups {
        map.insert(table.to_string(), group);
    }
    map
}

/// Whether an SDK error is worth retrying: throttling, 5xx, timeouts and
/// network failures. Batch writes are unconditional puts and deletes, so
/// resending one that may have been applied is harmless.
fn classify<E>(
    err: SdkError<E, HttpResponse>,
    operation: &'static str,
    table: &str,
) -> (Error, bool)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let retryable = crate::retry::is_transient(&err);
    (from_sdk(err, operation, table), retryable)
}

/// Writes every write request of `input`; `Ok` with the totals when all were
/// applied, otherwise [`Error::BatchIncomplete`] with exactly the rest and
/// the checkpoint.
pub(crate) async fn write<'a>(
    client: &'a aws_sdk_dynamodb::Client,
    opts: &BatchOptions,
    control: Control<'a>,
    input: BoxStream<'a, Input<WriteUnit>>,
) -> Result<BatchStats, Error> {
    let asked = opts.capacity;
    let attempt = move |units: Vec<WriteUnit>| -> BoxFuture<'a, Attempt<WriteUnit, ()>> {
        Box::pin(async move {
            let table = units
                .first()
                .map(|u| u.table.clone())
                .unwrap_or_else(|| "".into());
            // A copy of each request: a failed attempt hands its units back.
            let items = by_table(units.iter().map(|u| (&u.table, u.request.clone())));
            match client
                .batch_write_item()
                .set_request_items(Some(items))
                .set_return_consumed_capacity(capacity::request(asked))
                .send()
                .await
            {
                Ok(output) => Attempt::Done {
                    capacity: capacity::record(output.consumed_capacity()),
                    results: Vec::<()>::new(),
                    unprocessed: returned_units(
                        units,
                        output
                            .unprocessed_items
                            .unwrap_or_default()
                            .into_iter()
                            .flat_map(|(table, requests)| {
                                let table: Arc<str> = table.into();
                                requests.into_iter().map(move |r| (table.clone(), r))
                            }),
                    ),
                },
                Err(err) => {
                    let (error, retryable) = classify(err, "BatchWriteItem", &table);
                    Attempt::Failed {
                        error,
                        retryable,
                        units,
                    }
                }
            }
        })
    };
    let outcome = drive(
        opts,
        control,
        input,
        MAX_WRITES_PER_REQUEST,
        MAX_REQUEST_BYTES,
        attempt,
    )
    .await;
    if outcome.complete() {
        return Ok(outcome.stats);
    }
    Err(Error::BatchIncomplete(Box::new(BatchIncomplete {
        operation: "BatchWriteItem",
        unprocessed_writes: outcome
            .unprocessed
            .into_iter()
            .map(|u| (u.table.to_string(), u.request))
            .collect(),
        unprocessed_keys: Vec::new(),
        retrieved: Vec::new(),
        processed: outcome.processed,
        never_sent: outcome.never_sent,
        cause: outcome.cause.map(Box::new),
        checkpoint: outcome.checkpoint,
        stopped: outcome.stopped,
        capacity: outcome.stats.capacity,
    })))
}

/// What a batch get read: items with their table, and the totals.
pub(crate) struct GetResult {
    pub(crate) items: Vec<(Arc<str>, Item)>,
    pub(crate) stats: BatchStats,
}

/// Reads every key of `input` (which holds no duplicates); `Ok` with the
/// items found when every key was processed, otherwise
/// [`Error::BatchIncomplete`] with the keys left and the items read.
pub(crate) async fn get(
    client: &aws_sdk_dynamodb::Client,
    opts: &BatchOptions,
    input: BoxStream<'_, Input<GetUnit>>,
) -> Result<GetResult, Error> {
    // DynamoDB's defaults are not sent: eventually consistent reads, no
    // consumed capacity, unless asked for.
    let consistent = opts.consistent_read.then_some(true);
    let asked = opts.capacity;
    let attempt = move |units: Vec<GetUnit>| -> BoxFuture<'_, Attempt<GetUnit, (Arc<str>, Item)>> {
        Box::pin(async move {
            let table = units
                .first()
                .map(|u| u.table.clone())
                .unwrap_or_else(|| "".into());
            let keys = by_table(units.iter().map(|u| (&u.table, u.key.clone())));
            let mut request = client
                .batch_get_item()
                .set_return_consumed_capacity(capacity::request(asked));
            for (table, keys) in keys {
                let keys = KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .set_consistent_read(consistent)
                    .build()
                    .expect("keys are set");
                request = request.request_items(table, keys);
            }
            match request.send().await {
                Ok(output) => Attempt::Done {
                    capacity: capacity::record(output.consumed_capacity()),
                    results: output
                        .responses
                        .unwrap_or_default()
                        .into_iter()
                        .flat_map(|(table, items)| {
                            let table: Arc<str> = table.into();
                            items.into_iter().map(move |item| (table.clone(), item))
                        })
                        .collect(),
                    unprocessed: output
                        .unprocessed_keys
                        .unwrap_or_default()
                        .into_iter()
                        .flat_map(|(table, keys)| {
                            let table: Arc<str> = table.into();
                            keys.keys.into_iter().map(move |key| GetUnit {
                                table: table.clone(),
                                key,
                            })
                        })
                        .collect(),
                },
                Err(err) => {
                    let (error, retryable) = classify(err, "BatchGetItem", &table);
                    Attempt::Failed {
                        error,
                        retryable,
                        units,
                    }
                }
            }
        })
    };
    // A response may reach 16 MB; DynamoDB then returns the rest as
    // unprocessed keys, which the engine retries.
    let outcome = drive(
        opts,
        Control::default(),
        input,
        MAX_KEYS_PER_REQUEST,
        usize::MAX,
        attempt,
    )
    .await;
    if outcome.complete() {
        return Ok(GetResult {
            items: outcome.results,
            stats: outcome.stats,
        });
    }
    Err(Error::BatchIncomplete(Box::new(BatchIncomplete {
        operation: "BatchGetItem",
        unprocessed_writes: Vec::new(),
        unprocessed_keys: outcome
            .unprocessed
            .into_iter()
            .map(|u| (u.table.to_string(), u.key))
            .collect(),
        retrieved: outcome
            .results
            .into_iter()
            .map(|(t, i)| (t.to_string(), i))
            .collect(),
        processed: outcome.processed,
        never_sent: outcome.never_sent,
        cause: outcome.cause.map(Box::new),
        checkpoint: outcome.checkpoint,
        stopped: outcome.stopped,
        capacity: outcome.stats.capacity,
    })))
}
