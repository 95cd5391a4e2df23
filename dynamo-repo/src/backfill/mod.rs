//! Backfills: migrate the items a table already holds, in parallel, within
//! a capacity budget, and resumable after a crash or a Lambda timeout.
//!
//! A schema change that the code can absorb on read (an `Option` field, a
//! `#[dynamo(default)]`, a `#[dynamo(extra)]` field) needs no backfill. One
//! that must rewrite the stored items (a new attribute derived from old
//! ones, a split field, a new index key, a schema version to bump) does:
//! `repo.backfill()` scans the table in parallel segments and feeds each item
//! to your function, which says what to do with it ([`Action`]): an update,
//! a replacement, a delete, or nothing.
//!
//! ```rust,no_run
//! use dynamo_repo::backfill::{Action, BackfillCheckpoint, RateLimit};
//! use dynamo_repo::expr::{Path, Update};
//! use dynamo_repo::{Entity, Item};
//!
//! #[derive(Entity, Debug)]
//! #[dynamo(table = "people")]
//! struct Person {
//!     #[dynamo(partition_key)]
//!     id: String,
//!     first_name: String,
//!     last_name: String,
//! }
//!
//! # async fn demo(people: dynamo_repo::Repository<Person>, saved: Option<BackfillCheckpoint>) -> Result<(), Box<dyn std::error::Error>> {
//! // Version 1 stored `name: "Ada Lovelace"`; version 2 stores first and last names.
//! let version = Path::<Person, u32>::attribute("schema_version");
//! let f = Person::fields();
//! let mut run = people
//!     .backfill()
//!     .segments(8) // a parallel scan in 8 segments
//!     .concurrency(16) // at most 16 items in the function or being written
//!     // Only the items still to migrate reach the function, and (the default
//!     // write condition) a write applies only while the item still needs it.
//!     .only(version.not_exists().or(version.lt(2)))
//!     .rate_limit(RateLimit::new().read_units(500.0).write_units(200.0))
//!     .on_progress(|p| {
//!         println!("{} changed, {} skipped, {} conflicts", p.total.changed, p.total.skipped, p.total.failed);
//!         // store p.checkpoint (serde) somewhere that outlives the process
//!     });
//! if let Some(checkpoint) = saved {
//!     run = run.resume_from(checkpoint);
//! }
//! let stats = run
//!     .run_raw(|item: Item| {
//!         // Raw: an item of the old shape need not decode as `Person`.
//!         let action = match item.get("name").and_then(|v| v.as_s().ok()) {
//!             None => Action::skip(),
//!             Some(name) => {
//!                 let (first, last) = name.split_once(' ').unwrap_or((name, ""));
//!                 Action::update(
//!                     Update::new()
//!                         .set(&f.first_name, first)
//!                         .set(&f.last_name, last)
//!                         .remove(Path::<Person, String>::attribute("name"))
//!                         .set(&version, 2),
//!                 )
//!             }
//!         };
//!         // An async function: it could look things up before deciding.
//!         async move { Ok::<_, std::convert::Infallible>(action) }
//!     })
//!     .await?;
//! println!("{} items migrated", stats.total.changed);
//! # Ok(()) }
//! ```
//!
//! `run_raw` hands the function each item as a raw [`Item`], which is what a
//! schema migration needs (an item of the old shape may not decode as the
//! current struct); [`run`](Backfill::run) decodes each item as `T` first
//! (an item that does not decode stops the run with the decode error).
//! The function is `async` and returns `Result<Action<T>, E>`; an `Err` stops
//! the run ([`StopCause::Function`]).
//!
//! # Conditions: a re-run is idempotent
//!
//! Every write carries a condition, and the item must still exist (a write
//! never recreates an item deleted meanwhile):
//!
//! | The run has | Each write's condition |
//! |---|---|
//! | [`write_condition(c)`](Backfill::write_condition) | `c` |
//! | only [`only(filter)`](Backfill::only) | the filter: the item still needs migrating |
//! | neither | every attribute read still holds the value read (at most about 250 attributes: DynamoDB's 300 operators) |
//!
//! and [`Action::condition`] replaces it for one write. A write whose
//! condition fails (someone else changed the item, or an earlier run already
//! migrated it) is counted in [`SegmentCounts::failed`] and the run goes on;
//! the item is left as it is. Any other error (after the retries) stops the
//! run with a [`BackfillError`], which carries the checkpoint.
//!
//! The writes are exactly what the action says: an update also writes the
//! index keys its key templates build from the fields it sets (as
//! `repo.update` does), but no `#[dynamo(version)]` is bumped, no
//! `#[dynamo(updated_at)]` set and no entity type checked: a migration is not
//! an application write. Include those in the action if you want them.
//!
//! # Stopping and resuming
//!
//! The run keeps, per segment, the key after which every item is done: it
//! moves when every item of a scan page is written, skipped or refused, and
//! the `on_progress` callback gets it ([`BackfillProgress::checkpoint`])
//! after every page. Persist it (it is `serde`-serializable) and pass it to
//! [`resume_from`](Backfill::resume_from) with the same number of segments:
//! the new run starts each segment at the first page that was not finished.
//! Nothing is skipped, and thanks to the filter the items of that page that
//! were already written are not fed to the function again. What a
//! checkpoint cannot know is the fate of the items that were in the function
//! or being written when the process died: those not written yet are fed to
//! the function again (at most [`concurrency`](Backfill::concurrency)
//! items), and the write condition keeps one from being applied twice.
//!
//! A [`BackfillError`] carries the same checkpoint, so a run stopped by an
//! error (a table deleted, a retry budget exhausted, a function's error)
//! resumes without losing anything once the cause is fixed. Keep the pages
//! small enough ([`page_size`](Backfill::page_size)) that a Lambda
//! invocation finishes a few before its timeout.
//!
//! # Concurrency, retries and the rate limit
//!
//! Segments are scanned in parallel (at most
//! [`MAX_SEGMENTS_IN_FLIGHT`](crate::query::MAX_SEGMENTS_IN_FLIGHT) at a
//! time), each reading its next page while the items of the current one are
//! written. At most `concurrency` items (default 16) are in the function or
//! being written at once, across every segment; like a batch, the window is
//! halved on a throttle and grown back on success
//! ([`Concurrency::Adaptive`], the default for a plain number;
//! `Concurrency::Fixed(n)` to opt out). Each request is retried by the
//! client's retry policy, and a throttle, timeout or 5xx that outlives it
//! is retried again under the run's [`retry_policy`](Backfill::retry_policy)
//! (default [`RetryPolicy::default`]) before the run stops.
//!
//! A [`RateLimit`] in read and write capacity units per second paces the run
//! with token buckets: the runner then asks every request for the capacity it
//! consumed (`ReturnConsumedCapacity=TOTAL`, only then) and charges that to
//! the bucket, so the units consumed over a run of `t` seconds stay within
//! `rate · t + burst` (plus the last scan page of each segment, whose cost
//! is known only once read). The capacity is summed in
//! [`BackfillStats::capacity`].
//!
//! # Progress
//!
//! [`BackfillProgress`] counts, in all and per segment, the items scanned
//! (returned by the filtered scan), evaluated (read by DynamoDB before the
//! filter), changed, skipped and failed (condition), the pages finished and
//! the retries. `examples/backfill.rs` draws it as a progress bar.

mod action;
mod checkpoint;
mod outcome;
mod rate;
mod runner;

pub use action::Action;
pub use checkpoint::{BackfillCheckpoint, KeyPart, SegmentCheckpoint};
pub use outcome::{BackfillError, BackfillProgress, BackfillStats, SegmentCounts, StopCause};
pub use rate::RateLimit;

pub use crate::batch::Concurrency;

use crate::entity::Entity;
use crate::error::BoxError;
use crate::expr::Condition;
use crate::repository::Repository;
use crate::retry::RetryPolicy;
use crate::value::Item;
use std::future::Future;
use std::sync::Arc;

type ProgressFn = Arc<dyn Fn(&BackfillProgress) + Send + Sync>;

impl<T: Entity> Repository<T> {
    /// A backfill of this repository's table: see [`crate::backfill`].
    pub fn backfill(&self) -> Backfill<T> {
        Backfill {
            repo: self.clone(),
            segments: 4,
            concurrency: Concurrency::Adaptive(16),
            filter: None,
            write_condition: None,
            rate: RateLimit::new(),
            retry: RetryPolicy::default(),
            checkpoint: None,
            page_size: None,
            on_progress: None,
        }
    }
}

/// A backfill being configured: `repo.backfill()`; run it with
/// [`run_raw`](Self::run_raw) or [`run`](Self::run).
#[must_use = "a backfill does nothing until it is run"]
pub struct Backfill<T> {
    repo: Repository<T>,
    segments: u32,
    concurrency: Concurrency,
    filter: Option<Condition<T>>,
    write_condition: Option<Condition<T>>,
    rate: RateLimit,
    retry: RetryPolicy,
    checkpoint: Option<BackfillCheckpoint>,
    page_size: Option<u32>,
    on_progress: Option<ProgressFn>,
}

impl<T: Entity> Backfill<T> {
    /// Scans in `n` parallel segments (default 4; 0 means 1; at most
    /// [`MAX_SEGMENTS`](crate::query::MAX_SEGMENTS)). A resumed run must use
    /// the checkpoint's number.
    pub fn segments(mut self, n: u32) -> Self {
        self.segments = n.clamp(1, crate::query::MAX_SEGMENTS);
        self
    }

    /// At most this many items in the function or being written at once,
    /// over every segment (default 16, adaptive: see the
    /// [chapter](crate::backfill#concurrency-retries-and-the-rate-limit)).
    pub fn concurrency(mut self, concurrency: impl Into<Concurrency>) -> Self {
        self.concurrency = concurrency.into();
        self
    }

    /// Feeds the function only the items matching `filter` (a scan filter,
    /// evaluated by DynamoDB): say here which items still need migrating,
    /// for example `version.not_exists().or(version.lt(2))`, so that a
    /// resumed or repeated run does not see the migrated ones again. Without
    /// a [`write_condition`](Self::write_condition), it is also every
    /// write's condition. Several calls are combined with AND.
    pub fn only(mut self, filter: Condition<T>) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(f) => f.and(filter),
            None => filter,
        });
        self
    }

    /// Writes each action only while `condition` holds (beside "the item
    /// still exists"), instead of the default (the [`only`](Self::only)
    /// filter, or "unchanged since read").
    pub fn write_condition(mut self, condition: Condition<T>) -> Self {
        self.write_condition = Some(condition);
        self
    }

    /// Paces the run to a budget of read and write capacity units per second.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate = limit;
        self
    }

    /// Retries a request that failed with a throttle, a timeout or a 5xx
    /// (after the client's own retries) under `policy` before the run stops
    /// (default [`RetryPolicy::default`]: 5 attempts from 100 ms).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Resumes from a checkpoint of an earlier run (of the same table, with
    /// the same segments and filter): finished segments and pages are not
    /// read again. A checkpoint of another number of segments, or with a key
    /// that is not this table's, stops the run before anything is sent.
    pub fn resume_from(mut self, checkpoint: BackfillCheckpoint) -> Self {
        self.segments = checkpoint.total_segments();
        self.checkpoint = Some(checkpoint);
        self
    }

    /// Items per scan page (`Limit`; DynamoDB's default is up to 1 MB): the
    /// checkpoint moves once per page, so smaller pages lose less work on a
    /// crash.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = Some(n.max(1));
        self
    }

    /// Calls `report` at the start and after every finished page, with the
    /// counts and the checkpoint to persist.
    pub fn on_progress(
        mut self,
        report: impl Fn(&BackfillProgress) + Send + Sync + 'static,
    ) -> Self {
        self.on_progress = Some(Arc::new(report));
        self
    }

    /// Runs the backfill, feeding every item (matching the filter) to `f` as
    /// a raw [`Item`].
    pub async fn run_raw<F, Fut, E>(self, f: F) -> Result<BackfillStats, BackfillError>
    where
        F: Fn(Item) -> Fut + Sync,
        Fut: Future<Output = Result<Action<T>, E>> + Send,
        E: Into<BoxError>,
    {
        let f = &f;
        runner::run(self, move |item| {
            let fut = f(item);
            async move { fut.await.map_err(|e| StopCause::Function(e.into())) }
        })
        .await
    }

    /// Runs the backfill, feeding every item (matching the filter) to `f`
    /// decoded as `T`; an item that does not decode stops the run with its
    /// [`Error::Decode`](crate::Error::Decode) (use
    /// [`run_raw`](Self::run_raw) for items of an older shape).
    pub async fn run<F, Fut, E>(self, f: F) -> Result<BackfillStats, BackfillError>
    where
        F: Fn(T) -> Fut + Sync,
        Fut: Future<Output = Result<Action<T>, E>> + Send,
        E: Into<BoxError>,
        T: Send,
    {
        let f = &f;
        runner::run(self, move |item| {
            let decoded = T::from_item(item);
            async move {
                match decoded {
                    Ok(entity) => f(entity).await.map_err(|e| StopCause::Function(e.into())),
                    Err(e) => Err(StopCause::Dynamo(e)),
                }
            }
        })
        .await
    }
}
