//! The run: segments scanned in parallel, each page's items fed through the
//! function with bounded concurrency, each write sent under its condition
//! and retried, and the segment's checkpoint moved once its page is done.

use super::action::{Action, ActionKind};
use super::checkpoint::{BackfillCheckpoint, SegmentCheckpoint};
use super::outcome::{BackfillError, BackfillProgress, BackfillStats, SegmentCounts, StopCause};
use super::rate::Bucket;
use super::Backfill;
use crate::batch::{Gate, Signal};
use crate::capacity::{self, Capacity};
use crate::entity::Entity;
use crate::error::{from_sdk, Error, ValidationError, ValidationErrorKind};
use crate::expr::{Condition, Path, PathElement, Placeholders};
use crate::query::MAX_SEGMENTS_IN_FLIGHT;
use crate::retry::{is_transient, RetryPolicy};
use crate::value::Item;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::stream::{self, StreamExt, TryStreamExt};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tracing::Instrument;

mod write;

use write::item_units;

/// A failure inside one segment, before it is dressed with the checkpoint.
type Stop = (u32, StopCause);

/// What the tasks of one run share.
struct Shared<T> {
    sdk: aws_sdk_dynamodb::Client,
    table: Arc<str>,
    filter: Option<Rendered>,
    write_condition: Option<Condition<T>>,
    /// Without a filter or a write condition: writes require every attribute
    /// read to be unchanged.
    unchanged: bool,
    page_size: Option<i32>,
    gate: Gate,
    concurrency: usize,
    reads: Option<Bucket>,
    writes: Option<Bucket>,
    capacity: bool,
    retry: RetryPolicy,
    state: Mutex<State>,
    on_progress: Option<super::ProgressFn>,
}

struct State {
    counts: Vec<SegmentCounts>,
    checkpoint: BackfillCheckpoint,
    capacity: Option<Capacity>,
}

#[derive(Clone)]
struct Rendered {
    expression: String,
    names: Option<crate::expr::NameMap>,
    values: Option<crate::expr::ValueMap>,
}

/// A page of one segment.
struct ScanPage {
    items: Vec<Item>,
    last_key: Option<Item>,
    evaluated: u64,
    /// The read units it consumed (1 when not reported).
    units: f64,
}

/// What one request's answer was.
enum Answer<O> {
    Done(O),
    ConditionFailed,
}

fn invalid<T: Entity>(message: impl Into<String>) -> Error {
    ValidationError::new(ValidationErrorKind::InvalidRequest, message)
        .entity(T::SCHEMA.entity)
        .into()
}

pub(super) async fn run<T, F, Fut>(
    config: Backfill<T>,
    f: F,
) -> Result<BackfillStats, BackfillError>
where
    T: Entity,
    F: Fn(Item) -> Fut + Sync,
    Fut: Future<Output = Result<Action<T>, StopCause>> + Send,
{
    let segments = config.segments;
    let checkpoint = config
        .checkpoint
        .clone()
        .unwrap_or_else(|| BackfillCheckpoint::new(segments));
    let stopped = |cause: Error, checkpoint: BackfillCheckpoint| {
        let progress = BackfillProgress {
            total: SegmentCounts::default(),
            segments: vec![SegmentCounts::default(); segments as usize],
            checkpoint: checkpoint.clone(),
            segment: None,
        };
        BackfillError {
            cause: StopCause::Dynamo(cause),
            segment: 0,
            checkpoint,
            progress,
        }
    };
    if let Err(e) = checkpoint.check::<T>(segments) {
        return Err(stopped(e, checkpoint));
    }
    let filter = match render_filter(&config.filter) {
        Ok(f) => f,
        Err(e) => return Err(stopped(e.entity(T::SCHEMA.entity).into(), checkpoint)),
    };
    let repo = &config.repo;
    let limited = config.rate.is_limited();
    let shared = Shared {
        sdk: repo.client().sdk().clone(),
        table: repo.table_arc(),
        filter,
        write_condition: config.write_condition.clone().or(config.filter.clone()),
        unchanged: config.write_condition.is_none() && config.filter.is_none(),
        page_size: config.page_size.map(|n| n.min(i32::MAX as u32) as i32),
        gate: Gate::new(config.concurrency),
        concurrency: config.concurrency.max(),
        reads: Bucket::new(config.rate.read_units, config.rate.burst),
        writes: Bucket::new(config.rate.write_units, config.rate.burst),
        capacity: limited || repo.client().consumed_capacity(),
        retry: config.retry,
        state: Mutex::new(State {
            counts: vec![SegmentCounts::default(); segments as usize],
            checkpoint,
            capacity: None,
        }),
        on_progress: config.on_progress.clone(),
    };
    shared.report(None);
    let f = &f;
    let shared = &shared;
    let result = stream::iter(0..segments)
        .map(|segment| run_segment(shared, segment, f))
        .buffer_unordered(MAX_SEGMENTS_IN_FLIGHT)
        .try_for_each(|()| async { Ok(()) })
        .await;
    let state = shared.lock();
    let mut total = SegmentCounts::default();
    for c in &state.counts {
        total += c;
    }
    match result {
        Ok(()) => Ok(BackfillStats {
            total,
            segments: state.counts.clone(),
            capacity: state.capacity.clone(),
            checkpoint: state.checkpoint.clone(),
        }),
        Err((segment, cause)) => {
            let progress = BackfillProgress {
                total,
                segments: state.counts.clone(),
                checkpoint: state.checkpoint.clone(),
                segment: Some(segment),
            };
            Err(BackfillError {
                cause,
                segment,
                checkpoint: state.checkpoint.clone(),
                progress,
            })
        }
    }
}

fn render_filter<T: Entity>(
    filter: &Option<Condition<T>>,
) -> Result<Option<Rendered>, ValidationError> {
    let Some(filter) = filter else {
        return Ok(None);
    };
    let mut placeholders = Placeholders::new();
    Ok(filter.render(&mut placeholders, "f")?.map(|expression| {
        let (names, values) = placeholders.into_maps();
        Rendered {
            expression,
            names,
            values,
        }
    }))
}

async fn run_segment<T, F, Fut>(shared: &Shared<T>, segment: u32, f: &F) -> Result<(), Stop>
where
    T: Entity,
    F: Fn(Item) -> Fut + Sync,
    Fut: Future<Output = Result<Action<T>, StopCause>> + Send,
{
    let position = shared.lock().checkpoint.segment(segment).clone();
    let start = match position {
        SegmentCheckpoint::Done => return Ok(()),
        other => other
            .start_key()
            .map_err(|e| (segment, StopCause::Dynamo(e)))?,
    };
    let mut page = shared.scan(segment, start, 1.0).await?;
    loop {
        let ScanPage {
            items,
            last_key,
            evaluated,
            units,
        } = page;
        let scanned = items.len() as u64;
        // The next page is read while this one's items are written.
        let next = async {
            match &last_key {
                Some(key) => Some(shared.scan(segment, Some(key.clone()), units).await),
                None => None,
            }
        };
        let (next, done) = tokio::join!(next, shared.process_page(segment, items, f));
        done?;
        shared.finish_page(segment, last_key.as_ref(), scanned, evaluated);
        match next {
            None => return Ok(()),
            Some(next) => page = next?,
        }
    }
}

impl<T: Entity> Shared<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self, segment: u32, add: impl FnOnce(&mut SegmentCounts)) {
        add(&mut self.lock().counts[segment as usize]);
    }

    fn add_capacity(&self, consumed: Option<Capacity>) {
        if consumed.is_some() {
            capacity::add(&mut self.lock().capacity, consumed);
        }
    }

    fn finish_page(&self, segment: u32, last_key: Option<&Item>, scanned: u64, evaluated: u64) {
        {
            let mut s = self.lock();
            s.checkpoint
                .set(segment, SegmentCheckpoint::after_page(last_key));
            let c = &mut s.counts[segment as usize];
            c.scanned += scanned;
            c.evaluated += evaluated;
            c.pages += 1;
        }
        self.report(Some(segment));
    }

    fn report(&self, segment: Option<u32>) {
        let Some(on_progress) = &self.on_progress else {
            return;
        };
        let progress = {
            let s = self.lock();
            let mut total = SegmentCounts::default();
            for c in &s.counts {
                total += c;
            }
            BackfillProgress {
                total,
                segments: s.counts.clone(),
                checkpoint: s.checkpoint.clone(),
                segment,
            }
        };
        on_progress(&progress);
    }

    /// Takes in what a request's answer said about capacity: the window
    /// always, the pacer for writes (`paced`, estimated at `units`).
    fn record(&self, paced: bool, signal: Signal, units: f64, booked: Instant) {
        if paced {
            let delivered = if signal == Signal::Ok { units } else { 0.0 };
            self.gate.record_paced(signal, units, delivered, booked);
        } else {
            self.gate.record(signal);
        }
    }

    /// Sends `attempt` until it succeeds, its condition fails, it fails with
    /// an error retrying does not fix, or the retry policy runs out. Writes
    /// (`paced`) also wait for the adaptive pacer's turn.
    async fn retrying<O, Fut>(
        &self,
        segment: u32,
        bucket: Option<&Bucket>,
        (estimate, paced): (f64, bool),
        attempt: impl Fn() -> Fut,
    ) -> Result<Answer<O>, Stop>
    where
        Fut: Future<Output = Result<(Answer<O>, Option<Capacity>), (Error, bool)>>,
    {
        let mut sent = 0;
        loop {
            sent += 1;
            if let Some(b) = bucket {
                b.take(estimate).await;
            }
            let booked = if paced {
                self.gate.pace(estimate).await
            } else {
                Instant::now()
            };
            let answer = attempt().await;
            match answer {
                Ok((answer, consumed)) => {
                    if let Some(b) = bucket {
                        b.settle(
                            estimate,
                            consumed.as_ref().map_or(estimate, Capacity::total),
                        );
                    }
                    self.add_capacity(consumed);
                    self.record(paced, Signal::Ok, estimate, booked);
                    return Ok(answer);
                }
                Err((error, retryable)) => {
                    if let Some(b) = bucket {
                        // A refused request consumed nothing.
                        b.settle(estimate, 0.0);
                    }
                    let signal = if error.is_throttled() {
                        Signal::Throttled
                    } else {
                        Signal::Neutral
                    };
                    self.record(paced, signal, estimate, booked);
                    if !retryable || sent >= self.retry.max_attempts {
                        return Err((segment, StopCause::Dynamo(error)));
                    }
                    self.count(segment, |c| c.retries += 1);
                    let delay = self.retry.delay(sent - 1, crate::retry::unit_random());
                    tracing::debug!(?delay, "backfill request failed; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// One page of `segment` from `start`, expected to cost `estimate`
    /// read units (what the segment's page before cost).
    async fn scan(
        &self,
        segment: u32,
        start: Option<Item>,
        estimate: f64,
    ) -> Result<ScanPage, Stop> {
        let total = self.lock().checkpoint.total_segments();
        let answer = self
            .retrying(segment, self.reads.as_ref(), (estimate, false), || {
                let mut request = self
                    .sdk
                    .scan()
                    .table_name(&*self.table)
                    .set_exclusive_start_key(start.clone())
                    .set_limit(self.page_size)
                    .set_return_consumed_capacity(capacity::request(self.capacity));
                if total > 1 {
                    request = request.segment(segment as i32).total_segments(total as i32);
                }
                if let Some(filter) = &self.filter {
                    request = request
                        .filter_expression(&filter.expression)
                        .set_expression_attribute_names(filter.names.clone())
                        .set_expression_attribute_values(filter.values.clone());
                }
                let span = self.span("Scan");
                async move {
                    let out = request.send().await.map_err(|e| self.classify(e, "Scan"))?;
                    let consumed = capacity::record_one(out.consumed_capacity());
                    let page = ScanPage {
                        units: consumed.as_ref().map_or(1.0, Capacity::total).max(0.5),
                        evaluated: out.scanned_count.max(0) as u64,
                        // Marker items of unique constraints are never the
                        // entity's items (see `crate::unique`).
                        items: out
                            .items
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|item| !item.contains_key(crate::unique::MARKER_OF))
                            .collect(),
                        last_key: out.last_evaluated_key.filter(|k| !k.is_empty()),
                    };
                    Ok((Answer::Done(page), consumed))
                }
                .instrument(span)
            })
            .await?;
        match answer {
            Answer::Done(page) => Ok(page),
            // A scan has no condition; kept as an error rather than a panic.
            Answer::ConditionFailed => Err((
                segment,
                StopCause::Dynamo(
                    ValidationError::new(
                        ValidationErrorKind::Other,
                        "a scan reported a failed condition",
                    )
                    .into(),
                ),
            )),
        }
    }

    fn span(&self, operation: &'static str) -> tracing::Span {
        tracing::info_span!(
            "dynamodb",
            db.system = "dynamodb",
            db.operation = operation,
            db.table = %self.table,
            entity = T::SCHEMA.entity,
            backfill = true,
            db.consumed_capacity = tracing::field::Empty,
        )
    }

    fn classify<E, R>(&self, err: SdkError<E, R>, operation: &'static str) -> (Error, bool)
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + crate::retry::HttpStatus + Send + Sync + 'static,
    {
        let retryable = is_transient(&err);
        (from_sdk(err, operation, &self.table), retryable)
    }

    async fn process_page<F, Fut>(&self, segment: u32, items: Vec<Item>, f: &F) -> Result<(), Stop>
    where
        F: Fn(Item) -> Fut + Sync,
        Fut: Future<Output = Result<Action<T>, StopCause>> + Send,
    {
        stream::iter(items)
            .map(|item| self.process_item(segment, item, f))
            .buffer_unordered(self.concurrency)
            .try_for_each(|()| async { Ok(()) })
            .await
    }

    async fn process_item<F, Fut>(&self, segment: u32, item: Item, f: &F) -> Result<(), Stop>
    where
        F: Fn(Item) -> Fut + Sync,
        Fut: Future<Output = Result<Action<T>, StopCause>> + Send,
    {
        // The window bounds the function's calls and the writes together.
        let _permit = self.gate.acquire().await;
        let key = crate::repository::key_of::<T>(&item);
        let read_size = item_units(&item);
        let snapshot = self.unchanged.then(|| item.clone());
        let action = f(item).await.map_err(|cause| (segment, cause))?;
        if action.is_skip() {
            self.count(segment, |c| c.skipped += 1);
            return Ok(());
        }
        let request = self
            .write_request(&key, snapshot.as_ref(), action, read_size)
            .map_err(|e| (segment, StopCause::Dynamo(e)))?;
        let estimate = request.estimate;
        let answer = self
            .retrying(segment, self.writes.as_ref(), (estimate, true), || {
                self.send(&request)
            })
            .await?;
        match answer {
            Answer::Done(()) => self.count(segment, |c| c.changed += 1),
            Answer::ConditionFailed => self.count(segment, |c| c.failed += 1),
        }
        Ok(())
    }
}
