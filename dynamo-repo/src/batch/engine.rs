//! The chunk-and-retry engine under every batch call: cuts the input into
//! requests, keeps a bounded number in flight, resends what was not
//! processed with backoff, and accounts for every write request or key.

use super::checkpoint::{returned_units, BatchCheckpoint, Control, Positioned};
use super::flow::{Gate, Signal};
pub use super::progress::{BatchEvent, BatchProgress, BatchStats};
use super::{
    BatchIncomplete, BatchOptions, MAX_KEYS_PER_REQUEST, MAX_REQUEST_BYTES, MAX_WRITES_PER_REQUEST,
};
use crate::capacity::{self, Capacity};
use crate::error::{from_sdk, Error};
use crate::value::Item;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{KeysAndAttributes, WriteRequest};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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

/// One element of the engine's input: a unit and its size in bytes, or an
/// input refused while streaming (which stops the batch).
pub(crate) enum Input<U> {
    Unit(U, usize),
    Reject(Option<U>, Error),
}

/// What the engine did with its input.
pub(crate) struct Outcome<U, O> {
    pub(crate) results: Vec<O>,
    pub(crate) unprocessed: Vec<U>,
    pub(crate) processed: u64,
    pub(crate) never_sent: u64,
    pub(crate) cause: Option<Error>,
    pub(crate) stats: BatchStats,
    pub(crate) checkpoint: BatchCheckpoint,
    /// Stopped by the stop signal.
    pub(crate) stopped: bool,
    /// The stop left part of the input unread.
    pub(crate) cut_short: bool,
}

impl<U, O> Outcome<U, O> {
    fn complete(&self) -> bool {
        self.unprocessed.is_empty() && self.cause.is_none() && !self.cut_short
    }
}

/// The result of one request. A failed attempt hands its units back.
enum Attempt<U, O> {
    Done {
        results: Vec<O>,
        unprocessed: Vec<U>,
        /// What the request consumed, when it asked.
        capacity: Option<Capacity>,
    },
    Failed {
        error: Error,
        retryable: bool,
        units: Vec<U>,
    },
}

/// State shared by the chunks of one batch.
struct Shared {
    opts: BatchOptions,
    /// No new chunk is sent (an unfixable error, or a stop).
    stop: AtomicBool,
    /// Stopped by the signal: no retries either, and no more input is read.
    halt: tokio::sync::watch::Sender<bool>,
    /// The input was left unread because of a stop.
    cut_short: AtomicBool,
    reject: Mutex<Option<Error>>,
    progress: Mutex<BatchProgress>,
    /// The capacity of every response, when asked for.
    capacity: Mutex<Option<Capacity>>,
    /// The window of requests in flight.
    gate: Gate,
}

impl Shared {
    fn halted(&self) -> bool {
        *self.halt.borrow()
    }
}

impl Shared {
    fn report(&self, update: impl FnOnce(&mut BatchProgress), event: BatchEvent) {
        let snapshot = {
            let mut p = self.progress.lock().unwrap_or_else(|e| e.into_inner());
            update(&mut p);
            p.event = event;
            p.clone()
        };
        tracing::debug!(
            requests = snapshot.requests,
            chunks_done = snapshot.chunks_done,
            processed = snapshot.processed,
            retries = snapshot.retries,
            unprocessed_returned = snapshot.unprocessed_returned,
            failed = snapshot.failed,
            event = ?snapshot.event,
            "batch progress"
        );
        if let Some(callback) = &self.opts.progress {
            callback(&snapshot);
        }
    }
}

struct ChunkOutcome<U, O> {
    results: Vec<O>,
    unprocessed: Vec<U>,
    processed: u64,
    never_sent: u64,
    fatal: Option<Error>,
    last_error: Option<Error>,
}

/// Sends one chunk, resending what was not processed until it is all done,
/// attempts run out, an error that retrying cannot fix, or a stop.
async fn run_chunk<U, O, F, Fut>(shared: &Shared, chunk: Vec<U>, attempt: &F) -> ChunkOutcome<U, O>
where
    U: Positioned,
    F: Fn(Vec<U>) -> Fut,
    Fut: Future<Output = Attempt<U, O>>,
{
    let mut outcome = ChunkOutcome {
        results: Vec::new(),
        unprocessed: Vec::new(),
        processed: 0,
        never_sent: 0,
        fatal: None,
        last_error: None,
    };
    if shared.stop.load(Ordering::SeqCst) {
        let left = chunk.len();
        shared.report(
            |p| {
                p.chunks_done += 1;
                p.failed += left as u64;
            },
            BatchEvent::ChunkDone { left },
        );
        outcome.never_sent = left as u64;
        outcome.unprocessed = chunk;
        return outcome;
    }
    let policy = shared.opts.retry;
    let mut pending = chunk;
    let mut sent = 0u32;
    let mut halt = shared.halt.subscribe();
    loop {
        sent += 1;
        let count = pending.len();
        let positions: Vec<u64> = pending.iter().filter_map(Positioned::position).collect();
        let permit = tokio::select! {
            permit = shared.gate.acquire() => permit,
            _ = halt.wait_for(|stopped| *stopped) => break,
        };
        let answer = attempt(pending).await;
        drop(permit);
        shared.gate.record(match &answer {
            Attempt::Done { unprocessed, .. } if unprocessed.is_empty() => Signal::Ok,
            Attempt::Done { .. } => Signal::Throttled,
            Attempt::Failed { error, .. } if error.is_throttled() => Signal::Throttled,
            Attempt::Failed { .. } => Signal::Neutral,
        });
        match answer {
            Attempt::Done {
                results,
                unprocessed,
                capacity,
            } => {
                if capacity.is_some() {
                    let mut sum = shared.capacity.lock().unwrap_or_else(|e| e.into_inner());
                    capacity::add(&mut sum, capacity);
                }
                let processed = count.saturating_sub(unprocessed.len());
                outcome.processed += processed as u64;
                outcome.results.extend(results);
                outcome.last_error = None;
                let left = unprocessed.len();
                // A position is written when it was sent and did not come back;
                // a write that came back unrecognised keeps the whole request
                // out of the checkpoint (resending is safe, skipping is not).
                let written: Vec<u64> = if unprocessed.iter().all(|u| u.position().is_some()) {
                    let back: std::collections::HashSet<u64> = unprocessed
                        .iter()
                        .filter_map(Positioned::position)
                        .collect();
                    positions
                        .into_iter()
                        .filter(|p| !back.contains(p))
                        .collect()
                } else {
                    Vec::new()
                };
                shared.report(
                    |p| {
                        p.requests += 1;
                        p.processed += processed as u64;
                        p.unprocessed_returned += left as u64;
                        for position in written {
                            p.checkpoint.mark(position);
                        }
                    },
                    BatchEvent::Response {
                        processed,
                        unprocessed: left,
                    },
                );
                pending = unprocessed;
                if pending.is_empty() {
                    break;
                }
            }
            Attempt::Failed {
                error,
                retryable,
                units,
            } => {
                pending = units;
                shared.report(
                    |p| p.requests += 1,
                    BatchEvent::Response {
                        processed: 0,
                        unprocessed: count,
                    },
                );
                if !retryable {
                    tracing::warn!(error = %error, pending = count, "batch request failed; not retrying");
                    shared.stop.store(true, Ordering::SeqCst);
                    outcome.fatal = Some(error);
                    break;
                }
                outcome.last_error = Some(error);
            }
        }
        if shared.halted() {
            break;
        }
        if sent >= policy.max_attempts {
            tracing::warn!(
                pending = pending.len(),
                attempts = sent,
                "batch retry attempts ran out; returning the rest as unprocessed"
            );
            break;
        }
        let retry = sent - 1;
        let delay = policy.delay(retry, (shared.opts.random)());
        shared.report(
            |p| p.retries += 1,
            BatchEvent::Retrying {
                retry,
                delay,
                pending: pending.len(),
            },
        );
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = halt.wait_for(|stopped| *stopped) => break,
        }
    }
    let left = pending.len();
    shared.report(
        |p| {
            p.chunks_done += 1;
            p.failed += left as u64;
        },
        BatchEvent::ChunkDone { left },
    );
    outcome.unprocessed = pending;
    outcome
}

/// Cuts `input` into chunks of at most `max_count` units and `max_bytes`,
/// sends them `concurrency` at a time, and gathers the outcome.
async fn drive<'a, U, O, F>(
    opts: &BatchOptions,
    control: Control<'a>,
    input: BoxStream<'a, Input<U>>,
    max_count: usize,
    max_bytes: usize,
    attempt: F,
) -> Outcome<U, O>
where
    U: Positioned + Send + Sync + 'a,
    O: Send + 'a,
    F: Fn(Vec<U>) -> BoxFuture<'a, Attempt<U, O>> + Send + Sync + 'a,
{
    let shared = Shared {
        opts: opts.clone(),
        stop: AtomicBool::new(false),
        halt: tokio::sync::watch::Sender::new(false),
        cut_short: AtomicBool::new(false),
        reject: Mutex::new(None),
        progress: Mutex::new(BatchProgress {
            checkpoint: control.start,
            ..BatchProgress::default()
        }),
        capacity: Mutex::new(None),
        gate: Gate::new(opts.concurrency),
    };
    let shared = &shared;
    let attempt = &attempt;

    // Pulls units from the input until a chunk is full; a unit that would
    // pass the byte limit starts the next chunk.
    let chunks: BoxStream<'_, Vec<U>> = stream::unfold(
        (input, None::<(U, usize)>, false),
        move |(mut input, mut carry, mut ended)| async move {
            if ended && carry.is_none() {
                return None;
            }
            if shared.halted() {
                // Stopped: read no more input; a unit already taken is
                // returned unsent with the rest.
                shared.cut_short.store(true, Ordering::SeqCst);
                return carry.map(|(unit, _)| (vec![unit], (input, None, true)));
            }
            let mut chunk = Vec::new();
            let mut bytes = 0;
            if let Some((unit, size)) = carry.take() {
                chunk.push(unit);
                bytes += size;
            }
            while chunk.len() < max_count {
                match input.next().await {
                    None => {
                        ended = true;
                        break;
                    }
                    Some(Input::Unit(unit, size)) => {
                        if !chunk.is_empty() && bytes + size > max_bytes {
                            carry = Some((unit, size));
                            break;
                        }
                        bytes += size;
                        chunk.push(unit);
                    }
                    Some(Input::Reject(unit, error)) => {
                        shared.stop.store(true, Ordering::SeqCst);
                        let mut slot = shared.reject.lock().unwrap_or_else(|e| e.into_inner());
                        slot.get_or_insert(error);
                        chunk.extend(unit);
                    }
                }
            }
            if chunk.is_empty() {
                None
            } else {
                Some((chunk, (input, carry, ended)))
            }
        },
    )
    .boxed();

    let outcomes = chunks
        .map(|chunk| -> BoxFuture<'_, ChunkOutcome<U, O>> {
            Box::pin(run_chunk(shared, chunk, attempt))
        })
        .buffer_unordered(opts.concurrency.max());
    let mut outcomes = std::pin::pin!(outcomes);

    let mut outcome = Outcome {
        results: Vec::new(),
        unprocessed: Vec::new(),
        processed: 0,
        never_sent: 0,
        cause: None,
        stats: BatchStats::default(),
        checkpoint: BatchCheckpoint::default(),
        stopped: false,
        cut_short: false,
    };
    let mut fatal = None;
    let mut last_error = None;
    let mut signal = control.stop;
    loop {
        let chunk = tokio::select! {
            chunk = outcomes.next() => chunk,
            () = async { signal.as_mut().expect("guarded by the condition").await }, if signal.is_some() && !shared.halted() => {
                tracing::info!("batch stopped: no new requests; waiting for those in flight");
                shared.stop.store(true, Ordering::SeqCst);
                shared.halt.send_replace(true);
                continue;
            }
        };
        let Some(chunk) = chunk else { break };
        outcome.results.extend(chunk.results);
        outcome.processed += chunk.processed;
        outcome.never_sent += chunk.never_sent;
        if !chunk.unprocessed.is_empty() {
            if chunk.last_error.is_some() {
                last_error = chunk.last_error;
            }
            outcome.unprocessed.extend(chunk.unprocessed);
        }
        if fatal.is_none() {
            fatal = chunk.fatal;
        }
    }
    let rejected = shared
        .reject
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    // After a stop, writes left pending were stopped, not failed: a
    // retryable error they last met is not the cause.
    let last_error = last_error.filter(|_| !shared.halted());
    outcome.cause = rejected.or(fatal).or(last_error);
    let progress = shared.progress.lock().unwrap_or_else(|e| e.into_inner());
    outcome.stats = BatchStats::from(&*progress);
    outcome.stats.capacity = shared
        .capacity
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    outcome.checkpoint = progress.checkpoint.clone();
    outcome.stopped = shared.halted();
    outcome.cut_short = shared.cut_short.load(Ordering::SeqCst);
    outcome
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
            let mut items: HashMap<String, Vec<WriteRequest>> = HashMap::new();
            for unit in &units {
                items
                    .entry(unit.table.to_string())
                    .or_default()
                    .push(unit.request.clone());
            }
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
            let mut keys: HashMap<String, Vec<Item>> = HashMap::new();
            for unit in &units {
                keys.entry(unit.table.to_string())
                    .or_default()
                    .push(unit.key.clone());
            }
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
