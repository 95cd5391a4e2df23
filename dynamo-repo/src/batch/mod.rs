//! Batch reads and writes: chunked `BatchGetItem` / `BatchWriteItem` with
//! bounded concurrency, retry with backoff and full jitter, and never a
//! silent loss.
//!
//! - Typed: [`Repository::batch_get`](crate::Repository::batch_get),
//!   [`Repository::batch_put`](crate::Repository::batch_put),
//!   [`Repository::batch_delete`](crate::Repository::batch_delete),
//!   [`Repository::batch_write`](crate::Repository::batch_write), the streamed
//!   [`Repository::batch_put_stream`](crate::Repository::batch_put_stream) /
//!   [`Repository::batch_write_stream`](crate::Repository::batch_write_stream),
//!   and [`Client::batch_get_multi`](crate::Client::batch_get_multi) for several
//!   entities in one batch.
//! - Raw (any table, entity or not): [`Client::batch_write_raw`](crate::Client::batch_write_raw)
//!   and [`Client::batch_get_raw`](crate::Client::batch_get_raw).
//!
//! `batch_get`, `batch_put`, `batch_delete` and `batch_write` (puts and deletes
//! mixed) cut their input into `BatchGetItem` requests of 100 keys and
//! `BatchWriteItem` requests of 25 writes (and at most 16 MB), and keep up to [`DEFAULT_CONCURRENCY`] (8) in
//! flight (`.concurrency(n)`). The number in flight adapts to throttling
//! ([`Concurrency::Adaptive`], the default): a throttled or partly processed
//! response halves it (at most once per 100 ms), each fully processed one
//! grows it by `1/window`, never above `n` nor below 1; the retry backoff
//! paces what is left, and once throttled the requests are also paced in
//! capacity units a second (see [Adaptive throughput](#adaptive-throughput)). `.concurrency(Concurrency::Fixed(n))` keeps exactly
//! `n` in flight. Inputs are slices, `Vec`s or any iterator;
//! `batch_put_stream` / `batch_write_stream` take a `Stream` and hold only the
//! chunks in flight (`batch_get_stream` takes keys from a `Stream`, gathered first since the items read are returned in memory anyway), so an import of a million items runs in bounded memory.
//! (Bounded means independent of the stream's length: the chunks in flight,
//! the checkpoint, and the repeated-key window of 100,000 positions, about
//! 3.5 MB; `benches/import.rs` measures the peak resident memory of 100,000
//! and 1,000,000-item imports, figures in `BENCHMARKS.md`.)
//!
//! ```rust,no_run
//! use dynamo_repo::{Client, Entity, Error};
//!
//! #[derive(Entity, Debug, Clone, PartialEq)]
//! #[dynamo(table = "users")]
//! struct User {
//!     #[dynamo(partition_key)]
//!     id: String,
//!     name: String,
//! }
//!
//! # async fn demo(all: Vec<User>) -> dynamo_repo::Result<()> {
//! let users = Client::local("http://localhost:8000").repository::<User>();
//! match users.batch_put(&all).on_progress(|p| eprintln!("{} written", p.processed)).await {
//!     Ok(stats) => println!("{} items in {} requests", stats.processed, stats.requests),
//!     Err(Error::BatchIncomplete(rest)) => {
//!         // Exactly the items that were not written; all the others were.
//!         let retry_later: Vec<User> = rest.unprocessed_items()?;
//!     }
//!     Err(e) => return Err(e),
//! }
//!
//! let found = users
//!     .batch_get(all.iter().map(|u| User::key(u.id.clone())))
//!     .in_input_order()
//!     .await?;
//! println!("{} found, missing: {:?}", found.items.len(), found.missing);
//! # Ok(()) }
//! ```
//!
//! - **Nothing is lost.** `UnprocessedItems` / `UnprocessedKeys` arrive inside a
//!   successful response, so the SDK never retries them; the batch engine does,
//!   for what was not processed only, and also retries throttling, 5xx and
//!   network errors, with the shared `RetryPolicy` (full jitter:
//!   `random(0, min(cap, base * 2^retry))`, 100 ms base, 20 s cap, 5 attempts;
//!   `.retry_policy(..)`, `.jitter_seed(..)` or `.random_source(..)`). Each
//!   request, and so each item, is sent at most `max_attempts` times by the
//!   engine (with the client's own SDK retries on, as by default, the SDK may
//!   also resend a throttled request within one engine attempt: still bounded,
//!   by the product of the two). What is
//!   left then ends in [`Error::BatchIncomplete`](crate::Error::BatchIncomplete), carrying exactly the unprocessed
//!   write requests or keys (typed with `unprocessed_items::<T>()`,
//!   `unprocessed_delete_keys::<T>()`, `unprocessed_get_keys::<T>()`), the items
//!   already read (`retrieved_items::<T>()`) and the last error as `cause`.
//!   After an error retrying cannot fix (a missing table, a request DynamoDB
//!   refuses), no new request is sent and the rest of the input is returned,
//!   unsent, in the same error (`never_sent` counts it).
//! - **Decoded as it arrives.** A typed `batch_get` decodes each response's
//!   items while the other requests are still in flight, as a hand-written
//!   loop would, not all at once after the last one. An item that does not
//!   decode fails the call with its [`DecodeError`](crate::DecodeError)
//!   (entity and attribute, never the value), even when the batch also ended
//!   incomplete; otherwise an incomplete typed batch keeps the items read in
//!   `retrieved` as the entity encodes them.
//! - **Checked before sending.** Empty or mistyped keys, oversize items and the
//!   same key twice in one call (which DynamoDB rejects) are `Validation` errors
//!   naming the input position and key, before any request; `.last_write_wins()`
//!   keeps the last write of a repeated key instead. Duplicate keys of a
//!   `batch_get` are asked for once. A streamed batch checks each item as it
//!   arrives (remembering the key hashes of a window of recent positions, and
//!   of the writes not yet confirmed, to catch repeats: see
//!   [`BatchWriteStream::duplicate_window`]); a refused
//!   item stops the batch like an unfixable error.
//! - **Unconditional.** `BatchWriteItem` takes no conditions. Batch deletes of a
//!   `#[dynamo(version)]` entity work like `delete(key)`, without a version
//!   check; batch puts of one are refused before sending
//!   (`ValidationErrorKind::VersionUnchecked`, naming the input) unless you
//!   write the versions in hand with `.skip_version_check()` (new items get
//!   version 1); use `put`, `save` or a unit of work to check versions. The
//!   same holds for the entity-type check of single-table entities (see
//!   [`crate::type_guard`]): a batch put or delete of an entity with an
//!   entity type is refused with `ValidationErrorKind::EntityTypeUnchecked`
//!   before anything is sent, unless you call `.skip_entity_type_check()` on it.
//!   Do that when no other entity type of the table can render the same keys,
//!   which holds when, for any two types sharing a partition, their keys'
//!   leading literal texts differ before either reaches a placeholder (`ORG`,
//!   `USER#{id}` and `PROJECT#{team}#{id}` do; `O{label}` beside `ORG` does
//!   not): the compile-time rule then makes their keys disjoint. We refuse by
//!   default rather than read before writing, since a read-then-write check
//!   would race with other writers and double the cost. For put-if-absent use
//!   `put(..).if_not_exists()`. A batch put sets `#[dynamo(updated_at)]` to
//!   now, and `#[dynamo(created_at)]` only when the item in hand has none (it
//!   replaces the stored item, so it cannot keep a stored creation time).
//! - **Capacity.** `.return_consumed_capacity()` (or a client that asks, see
//!   [`crate::capacity`]) sums the capacity of every request and retry into
//!   [`BatchStats::capacity`]; without it nothing is asked (no
//!   `ReturnConsumedCapacity`, no `ConsistentRead=false`).
//! - **Progress.** `.on_progress(|p: &BatchProgress| ..)` runs after every
//!   request and retry decision with requests sent, chunks done, items
//!   processed, retries, unprocessed counts and the event (`Retrying { retry,
//!   delay, pending }`, ...); the same figures go to `tracing` at debug level.
//! - **Cancelling and resuming.** Every write batch reports a
//!   [`BatchCheckpoint`] in each progress report; `.resume_from(&checkpoint)`
//!   writes only what it does not hold, and `.stop_when(signal)` stops a batch
//!   cleanly: see *Cancelling and resuming* below.
//! - **Several entities.** `client.batch_get_multi()`: `add(&repo, keys)` per
//!   entity returns a handle, `take(handle)` the typed items after `.await`.
//! - **Raw requests.** `client.batch_write_raw([(table, WriteRequest)])` and
//!   `client.batch_get_raw([(table, key_map)])` run the same engine for any
//!   table, entity or not: the replacement for a hand-written retry loop around
//!   `BatchWriteItem` / `BatchGetItem`. (Without a schema, raw puts are not
//!   checked for repeated keys.)
//!
//! In the repository, `examples/import.rs` streams a generated data set in with a progress bar and
//! `benches/batch.rs` compares the batch helpers with single-item loops and raw
//! batches (figures in `BENCHMARKS.md`). Test your own batches against throttling, 500s and partial processing with
//! `dynamo-repo-testkit`'s `FaultInjector`, and against a provisioned
//! throughput (token buckets charged by DynamoDB's capacity rules) with its
//! `CapacitySimulator`.
//!
//! # Adaptive throughput
//!
//! A provisioned table answers requests beyond its capacity with
//! `ProvisionedThroughputExceededException` or unprocessed items, and the
//! window of requests in flight cannot slow a batch below one request at a
//! time: at 1,000 WCU a `BatchWriteItem` of 25 items of 1 KB (25 WCU) may go
//! 40 times a second, which one connection easily exceeds. So an adaptive
//! batch ([`Concurrency::Adaptive`], the default) also paces its requests
//! once it has been throttled:
//!
//! - **No throttle, no pacing:** until the first throttling signal no
//!   request waits (the check is one atomic load).
//! - **Units:** each request counts the capacity units DynamoDB charges its
//!   writes (1 per started KB per item) or 1 per key for reads, from the
//!   sizes the batch computes anyway; no `ReturnConsumedCapacity` is sent
//!   for it.
//! - **Capacity, measured:** DynamoDB throttles when the table's bucket of
//!   capacity (burst allowance included) is empty, so between two throttles
//!   at least 250 ms apart the units delivered over the time are the
//!   table's capacity, whatever the batch had sent or the table had saved.
//! - **Cut:** the first throttle cuts the rate at once to half of what the
//!   batch delivered in the last period (250 ms, at least 8 responses); a
//!   later throttle, of a request booked after the last cut and 250 ms or
//!   more after it, sets the rate to 0.9× the capacity measured up to it.
//!   Requests that were waiting for a turn at the old rate take a new one.
//!   The rate never falls below one request a second.
//! - **Hold, then probe:** after a cut the rate holds for 2 s, then goes 5%
//!   past the capacity: the units saved while holding are spent, one
//!   throttle comes, and the next cut measures the capacity again. A probe
//!   that delivers more than the capacity allows proves the table grew: the
//!   rate then grows by a probe doubling every period; pacing stops once
//!   the rate is twice what the batch delivers.
//! - **Throttling pacing cannot cure** (a hot partition key, injected
//!   faults): a fourth cut in a row, each soon throttled again, undoes the
//!   cuts, and the share of throttling since the first is taken as normal
//!   (only a period throttled well past it cuts again; it fades 0.3% a
//!   period).
//!
//! [`Concurrency::Fixed`] neither adapts the window nor paces. The backfill
//! runner's writes are paced the same way. `benches/throttle.rs` measures
//! both modes against DynamoDB Local behind the testkit's
//! `CapacitySimulator` at 1,000 WCU (figures in `BENCHMARKS.md`).
//!
//! # Cancelling and resuming
//!
//! A batch is many requests, and no request can be taken back. Dropping a
//! batch's future (a `select!`, a `timeout`, an aborted task, a killed
//! process) stops it from sending more, but what DynamoDB already answered
//! stays written, requests in flight may still be applied, and the dropped
//! future reports nothing: an import dropped midway has written some chunks.
//!
//! Every write batch therefore numbers its input (0, 1, 2, ... in input
//! order) and reports a [`BatchCheckpoint`] in each [`BatchProgress`]: the
//! positions DynamoDB confirmed as written. Keep the latest one (it is
//! small, `Display`/`FromStr` and serde), and run the same input again with
//! `.resume_from(&checkpoint)`: positions it holds are skipped, the others
//! are written, so nothing is skipped; only the writes in flight at the drop
//! (at most `concurrency` requests) are sent a second time, which is
//! harmless for unconditional puts and deletes. `.stop_when(signal)` stops a
//! batch without dropping it: no new request or retry, the requests in
//! flight finish, and the error's [`BatchIncomplete::checkpoint`] is exact,
//! so the resumed batch writes every remaining item exactly once.
//!
//! ```no_run
//! # use dynamo_repo::{Entity, Error, batch::BatchCheckpoint};
//! # #[derive(Entity)] #[dynamo(table = "events")]
//! # struct Event { #[dynamo(partition_key)] id: String }
//! # async fn demo(events: dynamo_repo::Repository<Event>, all: Vec<Event>) -> dynamo_repo::Result<()> {
//! let deadline = tokio::time::sleep(std::time::Duration::from_secs(60));
//! match events.batch_put(&all).stop_when(deadline).await {
//!     Ok(_) => {}
//!     Err(Error::BatchIncomplete(rest)) if rest.stopped => {
//!         let saved = rest.checkpoint.to_string(); // store it, then later:
//!         let checkpoint: BatchCheckpoint = saved.parse()?;
//!         events.batch_put(&all).resume_from(&checkpoint).await?;
//!     }
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```

mod checkpoint;
mod engine;
mod flow;
mod key_set;
mod keys;
pub(crate) use keys::approx_size;
mod multi;
mod pacing;
mod progress;
mod raw;
mod recent_keys;
mod requests;
mod typed;
mod typed_get;
mod write_input;

pub use checkpoint::BatchCheckpoint;
pub use flow::Concurrency;
// The backfill runner bounds its writes with the same adaptive window.
pub(crate) use flow::{Gate, Signal};
pub use multi::{GetHandle, MultiGet, MultiGetOutput};
pub use progress::{BatchEvent, BatchProgress, BatchStats};
pub use raw::{RawBatchGet, RawBatchGetOutput, RawBatchWrite};
pub use typed::{BatchWrite, BatchWriteStream, WriteOp};
pub use typed_get::{BatchGet, BatchGetOutput};

use crate::entity::{Entity, Key};
use crate::error::Result;
use crate::redact::{ShowItem, ShowItems};
use crate::retry::RetryPolicy;
use crate::value::Item;
use aws_sdk_dynamodb::types::WriteRequest;
use std::fmt;
use std::sync::Arc;

/// Requests in flight at once unless set with `.concurrency(n)`.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// DynamoDB's most write requests in one `BatchWriteItem`.
pub const MAX_WRITES_PER_REQUEST: usize = 25;
/// DynamoDB's most keys in one `BatchGetItem`.
pub const MAX_KEYS_PER_REQUEST: usize = 100;
/// DynamoDB's largest `BatchWriteItem` request (and `BatchGetItem` response).
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// A called-back report of a batch's progress, after every request.
pub(crate) type ProgressFn = Arc<dyn Fn(&BatchProgress) + Send + Sync>;

use crate::retry::RandomFn;

/// The settings every batch builder shares.
#[derive(Clone)]
pub(crate) struct BatchOptions {
    pub(crate) concurrency: Concurrency,
    pub(crate) retry: RetryPolicy,
    pub(crate) random: RandomFn,
    pub(crate) progress: Option<ProgressFn>,
    pub(crate) consistent_read: bool,
    /// Whether each request asks for the capacity it consumes.
    pub(crate) capacity: bool,
}

impl BatchOptions {
    /// The defaults, asking for consumed capacity when `client` does.
    pub(crate) fn for_client(client: &crate::Client) -> Self {
        BatchOptions {
            concurrency: Concurrency::Adaptive(DEFAULT_CONCURRENCY),
            retry: RetryPolicy::default(),
            random: seeded_random(crate::retry::random_u64()),
            progress: None,
            consistent_read: false,
            capacity: client.consumed_capacity(),
        }
    }
}

impl fmt::Debug for BatchOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchOptions")
            .field("concurrency", &self.concurrency)
            .field("retry", &self.retry)
            .field("progress", &self.progress.is_some())
            .field("consistent_read", &self.consistent_read)
            .field("capacity", &self.capacity)
            .finish()
    }
}

pub(crate) use crate::retry::seeded_random;

/// Adds the shared batch options to a builder with a `opts: BatchOptions` field.
macro_rules! batch_options {
    () => {
        /// Sets how many requests are in flight at once (at least 1; default
        /// [`DEFAULT_CONCURRENCY`](crate::batch::DEFAULT_CONCURRENCY)): a
        /// number is the most in flight of an adaptive window that throttling
        /// halves and success grows back
        /// ([`Concurrency::Adaptive`](crate::batch::Concurrency::Adaptive), the default);
        /// [`Concurrency::Fixed(n)`](crate::batch::Concurrency::Fixed) keeps
        /// `n` in flight whatever DynamoDB answers.
        pub fn concurrency(mut self, requests: impl Into<crate::batch::Concurrency>) -> Self {
            self.opts.concurrency = requests.into();
            self
        }

        /// Sets the retry policy for unprocessed items, throttling and 5xx
        /// (default: 5 attempts, 100 ms base, 20 s cap, full jitter).
        pub fn retry_policy(mut self, policy: crate::retry::RetryPolicy) -> Self {
            self.opts.retry = policy;
            self
        }

        /// Seeds the jitter's random numbers, making the delays reproducible.
        pub fn jitter_seed(mut self, seed: u64) -> Self {
            self.opts.random = crate::batch::seeded_random(seed);
            self
        }

        /// Draws the jitter from `random`, which returns numbers in `[0, 1)`.
        pub fn random_source(mut self, random: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
            self.opts.random = std::sync::Arc::new(random);
            self
        }

        /// Asks every request for the capacity it consumes (also set for
        /// every call by [`Client::with_consumed_capacity`](crate::Client::with_consumed_capacity)):
        /// [`BatchStats::capacity`](crate::BatchStats::capacity) then holds
        /// the sum over every request and retry.
        pub fn return_consumed_capacity(mut self) -> Self {
            self.opts.capacity = true;
            self
        }

        /// Calls `callback` after every request with the running counts (for
        /// a progress bar); the same figures go to `tracing` at debug level.
        pub fn on_progress(
            mut self,
            callback: impl Fn(&crate::batch::BatchProgress) + Send + Sync + 'static,
        ) -> Self {
            self.opts.progress = Some(std::sync::Arc::new(callback));
            self
        }
    };
}
pub(crate) use batch_options;

/// Adds `resume_from` and `stop_when` to a write builder with a
/// `control: engine::Control<'r>` field.
macro_rules! write_control {
    () => {
        /// Writes only the input positions `checkpoint` does not hold: pass the
        /// latest [`BatchProgress::checkpoint`](crate::batch::BatchProgress::checkpoint)
        /// (or [`BatchIncomplete::checkpoint`](crate::batch::BatchIncomplete::checkpoint))
        /// of an earlier run of the **same input in the same order**, and the
        /// batch continues where it stopped without skipping an item. Progress
        /// reports of this run start from that checkpoint (their counts start
        /// from 0). See [`BatchCheckpoint`](crate::batch::BatchCheckpoint).
        pub fn resume_from(mut self, checkpoint: &crate::batch::BatchCheckpoint) -> Self {
            self.control.start = checkpoint.clone();
            self
        }

        /// Stops the batch gracefully when `signal` completes (a Ctrl-C, a
        /// deadline, a shutdown channel): no new request or retry is sent, the
        /// requests in flight finish, and the call ends in
        /// [`Error::BatchIncomplete`](crate::Error::BatchIncomplete) with
        /// `stopped` set and an exact `checkpoint` to resume from (the rest of a
        /// stream is not read). A batch that finished first returns `Ok`.
        ///
        /// Unlike dropping the future, which abandons the requests in flight
        /// (DynamoDB may still apply them, and a resume sends them again), a
        /// stopped batch knows the fate of every write.
        pub fn stop_when(
            mut self,
            signal: impl std::future::Future<Output = ()> + Send + 'r,
        ) -> Self {
            self.control.stop = Some(Box::pin(signal));
            self
        }
    };
}
pub(crate) use write_control;

/// What is left of a batch that could not be completed: exactly the write
/// requests or keys that were not processed, with the cause.
///
/// Everything in the input that is not listed here was written (or read:
/// those items are in [`BatchIncomplete::retrieved`]). Retry the rest,
/// persist it, or resume the same input from [`BatchIncomplete::checkpoint`].
/// The one exception is a batch stopped with `stop_when` ([`BatchIncomplete::stopped`]):
/// it does not read the rest of its input, so only the checkpoint says what
/// is left.
///
/// `Debug` shows the items and keys as attribute names with types and
/// sizes, unless values are revealed
/// ([`reveal_values_in_errors`](crate::reveal_values_in_errors)).
pub struct BatchIncomplete {
    /// `BatchWriteItem` or `BatchGetItem`.
    pub operation: &'static str,
    /// Write requests not applied, with their table.
    pub unprocessed_writes: Vec<(String, WriteRequest)>,
    /// Keys not read, with their table.
    pub unprocessed_keys: Vec<(String, Item)>,
    /// Items read before the batch stopped (for batch gets), with their table:
    /// as DynamoDB sent them for a raw get, as the entity encodes them for a
    /// typed one (which decoded them as they arrived).
    pub retrieved: Vec<(String, Item)>,
    /// How many write requests or keys were processed.
    pub processed: u64,
    /// Of the unprocessed ones, how many were never sent (the batch stopped
    /// early after an error retrying cannot fix).
    pub never_sent: u64,
    /// The last error, when the last attempt failed with one; `None` when
    /// DynamoDB kept returning the items unprocessed until attempts ran out,
    /// or when the batch was stopped.
    pub cause: Option<Box<crate::Error>>,
    /// The input positions of a batch write known to be written (with those
    /// of the checkpoint it resumed from): pass it to `resume_from` with the
    /// same input to write exactly the rest. Empty for batch gets.
    pub checkpoint: BatchCheckpoint,
    /// The batch was stopped by its `stop_when` signal.
    pub stopped: bool,
    /// The capacity the batch's requests consumed before it gave up
    /// (retries included), when it was asked for (`.return_consumed_capacity()`
    /// or the client's setting; see [`crate::capacity`]); `None` otherwise.
    pub capacity: Option<crate::capacity::Capacity>,
}

impl BatchIncomplete {
    /// How many write requests or keys were not processed.
    pub fn unprocessed_count(&self) -> usize {
        self.unprocessed_writes.len() + self.unprocessed_keys.len()
    }

    /// The unprocessed puts, decoded as `T` (for a batch of one entity).
    pub fn unprocessed_items<T: Entity>(&self) -> Result<Vec<T>> {
        self.unprocessed_writes
            .iter()
            .filter_map(|(_, w)| w.put_request())
            .map(|p| T::from_item(p.item().clone()))
            .collect()
    }

    /// The keys of the unprocessed deletes, typed (for a batch of one entity).
    pub fn unprocessed_delete_keys<T: Entity>(&self) -> Vec<Key<T>> {
        self.unprocessed_writes
            .iter()
            .filter_map(|(_, w)| w.delete_request())
            .map(|d| Key::from_item(d.key().clone()))
            .collect()
    }

    /// The keys a batch get did not read, typed (for a batch of one entity).
    pub fn unprocessed_get_keys<T: Entity>(&self) -> Vec<Key<T>> {
        self.unprocessed_keys
            .iter()
            .map(|(_, k)| Key::from_item(k.clone()))
            .collect()
    }

    /// The items a batch get read before it stopped, decoded as `T`.
    pub fn retrieved_items<T: Entity>(&self) -> Result<Vec<T>> {
        self.retrieved
            .iter()
            .map(|(_, i)| T::from_item(i.clone()))
            .collect()
    }
}

impl fmt::Display for BatchIncomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.operation == "BatchGetItem" {
            "keys"
        } else {
            "write requests"
        };
        write!(
            f,
            "{} left {} {what} unprocessed ({} processed",
            self.operation,
            self.unprocessed_count(),
            self.processed
        )?;
        if self.never_sent > 0 {
            write!(f, ", {} never sent", self.never_sent)?;
        }
        f.write_str(")")?;
        match &self.cause {
            Some(cause) => write!(f, ": {cause}"),
            None if self.stopped => {
                write!(f, ": stopped; resume from checkpoint {}", self.checkpoint)
            }
            None => f.write_str(": still unprocessed when the retry attempts ran out"),
        }
    }
}

impl fmt::Debug for BatchIncomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// A write request as `Put {..}` or `Delete {..}`, redacted.
        struct ShowWrite<'a>(&'a str, &'a WriteRequest);
        impl fmt::Debug for ShowWrite<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut t = f.debug_tuple("");
                t.field(&self.0);
                if let Some(put) = self.1.put_request() {
                    t.field(&format_args!("Put {}", ShowItem(put.item())));
                }
                if let Some(delete) = self.1.delete_request() {
                    t.field(&format_args!("Delete {}", ShowItem(delete.key())));
                }
                t.finish()
            }
        }
        let writes: Vec<ShowWrite<'_>> = self
            .unprocessed_writes
            .iter()
            .map(|(table, w)| ShowWrite(table, w))
            .collect();
        f.debug_struct("BatchIncomplete")
            .field("operation", &self.operation)
            .field("unprocessed_writes", &writes)
            .field("unprocessed_keys", &ShowItems(&self.unprocessed_keys))
            .field("retrieved", &ShowItems(&self.retrieved))
            .field("processed", &self.processed)
            .field("never_sent", &self.never_sent)
            .field("checkpoint", &format_args!("{}", self.checkpoint))
            .field("stopped", &self.stopped)
            .field("capacity", &self.capacity.as_ref().map(|c| c.total()))
            .field("cause", &self.cause)
            .finish()
    }
}

impl std::error::Error for BatchIncomplete {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_random_is_reproducible_and_in_range() {
        let a = seeded_random(42);
        let b = seeded_random(42);
        for _ in 0..1000 {
            let x = a();
            assert_eq!(x, b());
            assert!((0.0..1.0).contains(&x));
        }
    }
}
