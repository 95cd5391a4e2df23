//! The two requests the batch engine sends, one attempt each: a
//! `BatchWriteItem` or `BatchGetItem` built from the attempt's units (the
//! units kept, since a failed attempt hands them back for a retry), and what
//! its answer gives back: results, unprocessed units, consumed capacity.
//!
//! The SDK takes a request's input by value, so a unit must be able to make
//! its request again after an attempt. A typed write does that by encoding
//! its entity again ([`WriteUnit::rebuildable`]): its first attempt moves
//! the encoded request in without a copy, and only a retry, a response with
//! unprocessed writes or a report encodes again. Raw and streamed writes,
//! which have nothing to encode from, and batch-get keys (lent by the
//! caller) are copied into each attempt.

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
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// One write request of a batch, with its table and its position in the
/// input (`None` once it can no longer be told apart, which keeps it out of
/// the checkpoint).
#[derive(Debug)]
pub(crate) struct WriteUnit<'a> {
    pub(crate) table: Arc<str>,
    request: Request<'a>,
    pub(crate) position: Option<u64>,
}

/// Makes the write request of an input index again, from the caller's
/// input (the typed writes encode the entity once more).
pub(crate) type Rebuild<'a> = &'a (dyn Fn(usize) -> WriteRequest + Send + Sync);

/// Where the request of a [`WriteUnit`] is.
enum Request<'a> {
    /// Kept: each attempt sends a copy (raw requests, streamed writes).
    Kept(WriteRequest),
    /// Moved into the first attempt without a copy (`None` once sent), and
    /// made again by `rebuild(index)` for a retry or a report.
    Rebuildable {
        request: Option<WriteRequest>,
        rebuild: Rebuild<'a>,
        index: usize,
    },
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Kept(_) => f.write_str("Kept"),
            Request::Rebuildable { request, index, .. } => {
                write!(f, "Rebuildable(#{index}, sent: {})", request.is_none())
            }
        }
    }
}

impl<'a> WriteUnit<'a> {
    /// A unit whose request is copied for each attempt.
    pub(crate) fn kept(table: Arc<str>, request: WriteRequest, position: Option<u64>) -> Self {
        WriteUnit {
            table,
            request: Request::Kept(request),
            position,
        }
    }

    /// A unit whose request is moved into its first attempt without a copy:
    /// `rebuild(index)` must make the same request again.
    pub(crate) fn rebuildable(
        table: Arc<str>,
        request: WriteRequest,
        position: Option<u64>,
        rebuild: Rebuild<'a>,
        index: usize,
    ) -> Self {
        WriteUnit {
            table,
            request: Request::Rebuildable {
                request: Some(request),
                rebuild,
                index,
            },
            position,
        }
    }

    /// The request to send in an attempt: moved out when it can be made
    /// again (made again when it was sent before), otherwise a copy.
    pub(crate) fn for_sending(&mut self) -> WriteRequest {
        match &mut self.request {
            Request::Kept(request) => request.clone(),
            Request::Rebuildable {
                request,
                rebuild,
                index,
            } => request.take().unwrap_or_else(|| rebuild(*index)),
        }
    }

    /// The request, made again if it was sent.
    pub(crate) fn request(&mut self) -> &WriteRequest {
        match &mut self.request {
            Request::Kept(request) => request,
            Request::Rebuildable {
                request,
                rebuild,
                index,
            } => request.get_or_insert_with(|| rebuild(*index)),
        }
    }

    /// The request, made again if it was sent.
    pub(crate) fn into_request(self) -> WriteRequest {
        match self.request {
            Request::Kept(request) => request,
            Request::Rebuildable {
                request,
                rebuild,
                index,
            } => request.unwrap_or_else(|| rebuild(index)),
        }
    }
}

/// Makes the key of a batch get's key number again (the typed gets keep
/// their keys in a [`super::key_set::KeySet`]).
pub(crate) type RebuildKey<'a> = &'a (dyn Fn(usize) -> Item + Send + Sync);

/// One key of a batch get, with its table.
#[derive(Debug)]
pub(crate) struct GetUnit<'k> {
    pub(crate) table: Arc<str>,
    key: GetKey<'k>,
}

/// Where the key of a [`GetUnit`] is.
enum GetKey<'k> {
    /// Copied into each attempt: lent by the caller's input (raw gets), or
    /// owned when DynamoDB returned it unprocessed.
    Kept(Cow<'k, Item>),
    /// Moved into the first attempt without a copy (`None` once sent), and
    /// made again by `rebuild(index)` for a retry or a report.
    Rebuildable {
        key: Option<Item>,
        rebuild: RebuildKey<'k>,
        index: usize,
    },
}

impl std::fmt::Debug for GetKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GetKey::Kept(_) => f.write_str("Kept"),
            GetKey::Rebuildable { key, index, .. } => {
                write!(f, "Rebuildable(#{index}, sent: {})", key.is_none())
            }
        }
    }
}

impl<'k> GetUnit<'k> {
    /// A key lent by the caller, copied into each attempt.
    pub(crate) fn lent(table: Arc<str>, key: &'k Item) -> Self {
        GetUnit {
            table,
            key: GetKey::Kept(Cow::Borrowed(key)),
        }
    }

    /// A key moved into its first attempt without a copy: `rebuild(index)`
    /// must make the same key again.
    pub(crate) fn rebuildable(
        table: Arc<str>,
        key: Item,
        rebuild: RebuildKey<'k>,
        index: usize,
    ) -> Self {
        GetUnit {
            table,
            key: GetKey::Rebuildable {
                key: Some(key),
                rebuild,
                index,
            },
        }
    }

    /// The key to send in an attempt: moved out when it can be made again
    /// (made again when it was sent before), otherwise a copy.
    fn for_sending(&mut self) -> Item {
        match &mut self.key {
            GetKey::Kept(key) => Item::clone(key),
            GetKey::Rebuildable {
                key,
                rebuild,
                index,
            } => key.take().unwrap_or_else(|| rebuild(*index)),
        }
    }

    /// The key, made again if it was sent.
    fn into_key(self) -> Item {
        match self.key {
            GetKey::Kept(key) => key.into_owned(),
            GetKey::Rebuildable {
                key,
                rebuild,
                index,
            } => key.unwrap_or_else(|| rebuild(index)),
        }
    }
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
    input: BoxStream<'a, Input<WriteUnit<'a>>>,
) -> Result<BatchStats, Error> {
    let asked = opts.capacity;
    let attempt =
        move |mut units: Vec<WriteUnit<'a>>| -> BoxFuture<'a, Attempt<WriteUnit<'a>, ()>> {
            Box::pin(async move {
                let table = units
                    .first()
                    .map(|u| u.table.clone())
                    .unwrap_or_else(|| "".into());
                // Each request moved into the SDK's input where the unit can make
                // it again (a failed attempt hands its units back for a retry),
                // otherwise a copy.
                let items = by_table(units.iter_mut().map(|u| {
                    let request = u.for_sending();
                    let u: &WriteUnit = u;
                    (&u.table, request)
                }));
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
            .map(|u| (u.table.to_string(), u.into_request()))
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

/// What a batch get does with each item read, as its response arrives
/// (while the other requests are still in flight): the typed reads decode
/// it there rather than after the last response.
pub(crate) trait Receive: Sync {
    /// What an item becomes.
    type Out: Send;
    /// Takes in one item of `table`.
    fn receive(&self, table: &Arc<str>, item: Item) -> Self::Out;
    /// The item again, with its table, for [`BatchIncomplete::retrieved`]
    /// (`None` for one that cannot be made again: an item a typed read
    /// could not decode, whose decode error the caller gets instead).
    fn give_back(&self, out: Self::Out) -> Option<(String, Item)>;
}

/// The raw reads keep each item as it came, with its table.
pub(crate) struct AsRead;

impl Receive for AsRead {
    type Out = (Arc<str>, Item);
    fn receive(&self, table: &Arc<str>, item: Item) -> Self::Out {
        (table.clone(), item)
    }
    fn give_back(&self, (table, item): Self::Out) -> Option<(String, Item)> {
        Some((table.to_string(), item))
    }
}

/// What a batch get read: the items, as `receive` made them, and the totals.
pub(crate) struct GetResult<O> {
    pub(crate) items: Vec<O>,
    pub(crate) stats: BatchStats,
}

/// Reads every key of `input` (which holds no duplicates), handing each
/// item to `receive` as its response arrives; `Ok` with what it made when
/// every key was processed, otherwise [`Error::BatchIncomplete`] with the
/// keys left and the items read.
pub(crate) async fn get<'a, R: Receive>(
    client: &'a aws_sdk_dynamodb::Client,
    opts: &BatchOptions,
    input: BoxStream<'a, Input<GetUnit<'a>>>,
    receive: &'a R,
) -> Result<GetResult<R::Out>, Error> {
    // DynamoDB's defaults are not sent: eventually consistent reads, no
    // consumed capacity, unless asked for.
    let consistent = opts.consistent_read.then_some(true);
    let asked = opts.capacity;
    let attempt =
        move |mut units: Vec<GetUnit<'a>>| -> BoxFuture<'a, Attempt<GetUnit<'a>, R::Out>> {
            Box::pin(async move {
                let table = units
                    .first()
                    .map(|u| u.table.clone())
                    .unwrap_or_else(|| "".into());
                // Each key moved into the SDK's input where the unit can make it
                // again (a failed attempt hands its units back), otherwise a copy.
                let keys = by_table(units.iter_mut().map(|u| {
                    let key = u.for_sending();
                    let u: &GetUnit = u;
                    (&u.table, key)
                }));
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
                                items
                                    .into_iter()
                                    .map(move |item| receive.receive(&table, item))
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
                                    key: GetKey::Kept(Cow::Owned(key)),
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
            .map(|u| (u.table.to_string(), u.into_key()))
            .collect(),
        retrieved: outcome
            .results
            .into_iter()
            .filter_map(|out| receive.give_back(out))
            .collect(),
        processed: outcome.processed,
        never_sent: outcome.never_sent,
        cause: outcome.cause.map(Box::new),
        checkpoint: outcome.checkpoint,
        stopped: outcome.stopped,
        capacity: outcome.stats.capacity,
    })))
}
