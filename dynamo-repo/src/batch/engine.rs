//! The chunk-and-retry engine under every batch call: cuts the input into
//! requests, keeps a bounded number in flight, resends what was not
//! processed with backoff, and accounts for every write request or key.
//! What one request sends and what its answer gives back (the
//! `BatchWriteItem` / `BatchGetItem` of an attempt) is in `requests.rs`.

use super::checkpoint::{BatchCheckpoint, Control, Positioned};
use super::flow::{Gate, Signal};
use super::pacing::units;
pub use super::progress::{BatchEvent, BatchProgress, BatchStats};
pub(crate) use super::requests::{get, write, AsRead, GetUnit, Receive, WriteUnit};
use super::BatchOptions;
use crate::capacity::{self, Capacity};
use crate::error::Error;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// One element of the engine's input: a unit and its size in bytes, or an
/// input refused while streaming (which stops the batch).
pub(crate) enum Input<U> {
    Unit(U, usize),
    /// (The error boxed: every unit of the input moves at the size of the
    /// largest variant.)
    Reject(Option<U>, Box<Error>),
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
    pub(crate) fn complete(&self) -> bool {
        self.unprocessed.is_empty() && self.cause.is_none() && !self.cut_short
    }
}

/// The result of one request. A failed attempt hands its units back.
pub(crate) enum Attempt<U, O> {
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
        let observed = self.opts.progress.is_some() || tracing::enabled!(tracing::Level::DEBUG);
        let snapshot = {
            let mut p = self.progress.lock().unwrap_or_else(|e| e.into_inner());
            update(&mut p);
            p.event = event;
            // The copy (its checkpoint included) only for someone who reads it.
            if !observed {
                return;
            }
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
async fn run_chunk<U, O, F, Fut>(
    shared: &Shared,
    (chunk, units): (Vec<U>, f64),
    attempt: &F,
) -> ChunkOutcome<U, O>
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
    let total = chunk.len().max(1) as f64;
    let mut pending = chunk;
    let mut sent = 0u32;
    let mut halt = shared.halt.subscribe();
    loop {
        sent += 1;
        let count = pending.len();
        let positions: Vec<u64> = pending.iter().filter_map(Positioned::position).collect();
        // The estimated capacity units of what is sent (`pacing.rs`).
        let cost = units * count as f64 / total;
        let (permit, booked) = tokio::select! {
            turn = async {
                let permit = shared.gate.acquire().await;
                let booked = shared.gate.pace(cost).await;
                (permit, booked)
            } => turn,
            _ = halt.wait_for(|stopped| *stopped) => break,
        };
        let answer = attempt(pending).await;
        drop(permit);
        let (signal, delivered) = match &answer {
            Attempt::Done { unprocessed, .. } if unprocessed.is_empty() => (Signal::Ok, cost),
            Attempt::Done { unprocessed, .. } => (
                Signal::Throttled,
                cost * count.saturating_sub(unprocessed.len()) as f64 / count.max(1) as f64,
            ),
            Attempt::Failed { error, .. } if error.is_throttled() => (Signal::Throttled, 0.0),
            Attempt::Failed { .. } => (Signal::Neutral, 0.0),
        };
        shared.gate.record_paced(signal, cost, delivered, booked);
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
                let written: Vec<u64> = if unprocessed.is_empty() {
                    positions
                } else if unprocessed.iter().all(|u| u.position().is_some()) {
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
pub(crate) async fn drive<'a, U, O, F>(
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
    let chunks: BoxStream<'_, (Vec<U>, f64)> = stream::unfold(
        (input, None::<(U, usize)>, false),
        move |(mut input, mut carry, mut ended)| async move {
            if ended && carry.is_none() {
                return None;
            }
            if shared.halted() {
                // Stopped: read no more input; a unit already taken is
                // returned unsent with the rest.
                shared.cut_short.store(true, Ordering::SeqCst);
                return carry.map(|(unit, size)| ((vec![unit], units(size)), (input, None, true)));
            }
            let mut chunk = Vec::new();
            let mut bytes = 0;
            // Capacity units, for the pacer.
            let mut cost = 0.0;
            if let Some((unit, size)) = carry.take() {
                chunk.push(unit);
                bytes += size;
                cost += units(size);
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
                        cost += units(size);
                        chunk.push(unit);
                    }
                    Some(Input::Reject(unit, error)) => {
                        shared.stop.store(true, Ordering::SeqCst);
                        let mut slot = shared.reject.lock().unwrap_or_else(|e| e.into_inner());
                        slot.get_or_insert(*error);
                        chunk.extend(unit);
                    }
                }
            }
            if chunk.is_empty() {
                None
            } else {
                Some(((chunk, cost), (input, carry, ended)))
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
