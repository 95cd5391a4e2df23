//! The typed batch writes of [`Repository<T>`]: `batch_put`,
//! `batch_delete`, `batch_write` and their streamed forms (the reads,
//! `batch_get`, are in `typed_get.rs`).

use super::checkpoint::Control;
use super::engine::{self, BatchStats, Input, WriteUnit};
use super::key_set::KeySet;
use super::keys::canonical;
use super::recent_keys::{tracking, Confirmed, RecentKeys, DEFAULT_WINDOW};
use super::{batch_options, write_control, BatchOptions};
use crate::entity::{Entity, Key};
use crate::error::{Result, ValidationError, ValidationErrorKind};
use crate::repository::{BoxFuture, Repository};
use crate::validate;
use aws_sdk_dynamodb::types::WriteRequest;
use futures::stream::{self, Stream, StreamExt};
use std::borrow::Borrow;
use std::future::IntoFuture;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tracing::Instrument;

pub use super::write_input::WriteOp;
use super::write_input::*;

impl<T: Entity> Repository<T> {
    /// Writes `items` (a slice, a `Vec` or any iterator of `T` or `&T`),
    /// 25 per `BatchWriteItem`, several requests in flight, replacing items
    /// with the same keys. Batch writes are unconditional, so for an entity
    /// with an entity type (single-table design) the batch is refused unless
    /// [`BatchWrite::skip_entity_type_check`] says the type of the items
    /// replaced may go unchecked (see [`crate::type_guard`]).
    ///
    /// ```no_run
    /// # use dynamo_repo::{Client, Entity};
    /// # #[derive(Entity)] #[dynamo(table = "users")]
    /// # struct User { #[dynamo(partition_key)] id: String }
    /// # async fn demo(users: dynamo_repo::Repository<User>, all: Vec<User>) -> dynamo_repo::Result<()> {
    /// match users.batch_put(&all).concurrency(4).await {
    ///     Ok(stats) => println!("{} written in {} requests", stats.processed, stats.requests),
    ///     Err(dynamo_repo::Error::BatchIncomplete(rest)) => {
    ///         let not_written: Vec<User> = rest.unprocessed_items()?; // retry or persist these
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancellation
    ///
    /// Dropping the future (a `select!`, a `timeout`, a cancelled task)
    /// stops sending, but every request already answered stays written and
    /// requests in flight may still be applied by DynamoDB: a batch dropped
    /// midway has written some chunks and reports nothing. To continue such a
    /// batch, keep the latest [`BatchProgress::checkpoint`](crate::batch::BatchProgress::checkpoint)
    /// from [`on_progress`](BatchWrite::on_progress) and pass it to
    /// [`resume_from`](BatchWrite::resume_from) with the same input: nothing
    /// is skipped, and only the writes that were in flight at the drop are
    /// sent again (harmless: puts and deletes are unconditional). To stop
    /// without any resend, use [`stop_when`](BatchWrite::stop_when) instead of
    /// dropping. See [`BatchCheckpoint`].
    ///
    /// ```no_run
    /// # use dynamo_repo::{Entity, batch::BatchCheckpoint};
    /// # use std::sync::{Arc, Mutex};
    /// # #[derive(Entity)] #[dynamo(table = "users")]
    /// # struct User { #[dynamo(partition_key)] id: String }
    /// # async fn demo(users: dynamo_repo::Repository<User>, all: Vec<User>, saved: BatchCheckpoint) -> dynamo_repo::Result<()> {
    /// let latest = Arc::new(Mutex::new(saved.clone())); // e.g. read from a file
    /// let keep = latest.clone();
    /// users
    ///     .batch_put(&all)
    ///     .resume_from(&saved)
    ///     .on_progress(move |p| *keep.lock().unwrap() = p.checkpoint.clone()) // persist it
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// The items are kept (borrowed, or owned when given by value) until the
    /// batch ends: a request that must be sent again encodes its items once
    /// more instead of keeping a copy of every request.
    pub fn batch_put<'r, I>(&'r self, items: I) -> BatchWrite<'r, T>
    where
        I: IntoIterator,
        I::Item: Borrow<T> + Send + Sync + 'r,
    {
        BatchWrite::new(self, items.into_iter().collect(), |i: &I::Item| {
            encode_put(i.borrow())
        })
    }

    /// Deletes the items with `keys`, 25 per `BatchWriteItem`. Cancelled or
    /// resumed like [`batch_put`](Repository::batch_put).
    pub fn batch_delete(&self, keys: impl IntoIterator<Item = Key<T>>) -> BatchWrite<'_, T> {
        BatchWrite::new(self, keys.into_iter().collect(), |key: &Key<T>| {
            encode_delete(key.clone())
        })
    }

    /// Puts and deletes in one batch.
    ///
    /// # Cancellation
    ///
    /// As for [`batch_put`](Repository::batch_put): a dropped
    /// future has written some chunks (and may still have requests applied
    /// that were in flight); resume the same ops in the same order from the
    /// latest progress checkpoint with
    /// [`resume_from`](BatchWrite::resume_from), or stop it exactly with
    /// [`stop_when`](BatchWrite::stop_when).
    pub fn batch_write(&self, ops: impl IntoIterator<Item = WriteOp<T>>) -> BatchWrite<'_, T> {
        BatchWrite::new(self, ops.into_iter().collect(), encode_op_ref::<T>)
    }

    /// Writes the items of a stream, holding only the chunks in flight and a
    /// bounded window of key hashes (to refuse a key written twice; see
    /// [`BatchWriteStream::duplicate_window`]): its memory does not grow with
    /// the stream.
    ///
    /// Cancelled or resumed like [`batch_put`](Repository::batch_put):
    /// positions count the stream's items from 0, and a resumed stream must
    /// yield the same items in the same order (the skipped ones are read and
    /// checked, not sent).
    pub fn batch_put_stream<'r, S>(&'r self, items: S) -> BatchWriteStream<'r, T>
    where
        S: Stream<Item = T> + Send + 'r,
    {
        self.batch_write_stream(items.map(WriteOp::Put))
    }

    /// Puts and deletes from a stream, holding only the chunks in flight.
    pub fn batch_write_stream<'r, S>(&'r self, ops: S) -> BatchWriteStream<'r, T>
    where
        S: Stream<Item = WriteOp<T>> + Send + 'r,
    {
        BatchWriteStream {
            repo: self,
            ops: Box::pin(ops),
            skip_entity_type_check: false,
            skip_version_check: false,
            duplicate_window: DEFAULT_WINDOW,
            opts: BatchOptions::for_client(self.client()),
            control: Control::default(),
        }
    }
}

/// A batch of puts and deletes being built; `.await` it (or call
/// [`BatchWrite::send`]). Returns the totals, or
/// [`Error::BatchIncomplete`](crate::Error::BatchIncomplete) with exactly what was not written.
///
/// Dropping the future leaves the chunks already answered written (and those
/// in flight possibly applied), with nothing reported but the progress
/// checkpoints: see [`Repository::batch_put`](Repository::batch_put).
#[must_use = "a request does nothing until it is awaited"]
pub struct BatchWrite<'r, T> {
    repo: &'r Repository<T>,
    writes: Vec<Encoded>,
    /// Encodes input `index` again, for a request sent again (its first
    /// attempt took the encoded write without a copy).
    again: Box<dyn Fn(usize) -> WriteRequest + Send + Sync + 'r>,
    last_write_wins: bool,
    skip_entity_type_check: bool,
    skip_version_check: bool,
    opts: BatchOptions,
    control: Control<'r>,
}

impl<'r, T: Entity> BatchWrite<'r, T> {
    /// A batch of `inputs`, each encoded now by `encode` and kept to be
    /// encoded again by index.
    fn new<S: Send + Sync + 'r>(
        repo: &'r Repository<T>,
        inputs: Vec<S>,
        encode: impl Fn(&S) -> Encoded + Send + Sync + 'r,
    ) -> Self {
        let writes = inputs.iter().map(&encode).collect();
        let again = Box::new(move |index: usize| match inputs.get(index) {
            Some(input) => encode(input).request,
            // Not asked for: the engine asks only for the indices it was
            // given (an empty request would be refused by DynamoDB).
            None => WriteRequest::builder().build(),
        });
        BatchWrite {
            repo,
            writes,
            again,
            last_write_wins: false,
            skip_entity_type_check: false,
            skip_version_check: false,
            opts: BatchOptions::for_client(repo.client()),
            control: Control::default(),
        }
    }

    batch_options!();
    write_control!();

    /// Keeps only the last write of a key given more than once, instead of
    /// refusing the batch with [`ValidationErrorKind::DuplicateKey`].
    pub fn last_write_wins(mut self) -> Self {
        self.last_write_wins = true;
        self
    }

    /// Writes items of an entity with an entity type although
    /// `BatchWriteItem` cannot check the type of the items it replaces or
    /// deletes. Without it such a batch is refused with
    /// [`ValidationErrorKind::EntityTypeUnchecked`]. Call it only when no
    /// other entity type of the table can have the same keys, for example
    /// when each type's templates start with its own literal prefix
    /// (`ORG#`, `USER#`); see [`crate::type_guard`].
    pub fn skip_entity_type_check(mut self) -> Self {
        self.skip_entity_type_check = true;
        self
    }

    /// Writes items of a `#[dynamo(version)]` entity without checking the
    /// stored versions, which `BatchWriteItem` cannot do: each item is
    /// written with the version in hand (a new item, with no version yet,
    /// with version 1), replacing whatever is stored. Without it a batch put
    /// of a versioned entity is refused with
    /// [`ValidationErrorKind::VersionUnchecked`]. Batch deletes need no
    /// opt-out: like `delete(key)`, they do not check versions.
    pub fn skip_version_check(mut self) -> Self {
        self.skip_version_check = true;
        self
    }

    /// Validates every write (keys, sizes, duplicates) before sending any,
    /// then sends them (all but those of the checkpoint given to
    /// [`resume_from`](Self::resume_from)).
    pub async fn send(self) -> Result<BatchStats> {
        let BatchWrite {
            repo,
            writes,
            again,
            last_write_wins,
            skip_entity_type_check,
            skip_version_check,
            opts,
            mut control,
        } = self;
        let span = span::<T>("BatchWriteItem", repo.table_name());
        async move {
            crate::type_guard::check_batch::<T>(skip_entity_type_check)?;
            crate::unique::check_batch::<T>()?;
            let table: Arc<str> = repo.table_name().into();
            let again: &(dyn Fn(usize) -> WriteRequest + Send + Sync) = &*again;
            check_checkpoint::<T>(&control.start, writes.len())?;
            let mut units: Vec<Option<(WriteUnit, usize)>> = Vec::with_capacity(writes.len());
            // The keys written, each once, and the latest input of each.
            let mut seen = KeySet::new(&T::SCHEMA, writes.len());
            let mut latest: Vec<usize> = Vec::with_capacity(writes.len());
            for (index, write) in writes.into_iter().enumerate() {
                // The key attributes looked up once, for the check and the set.
                let key = validate::key_values(&T::SCHEMA, write.key_source());
                let size = check_write_keyed::<T>(index, &write, key, skip_version_check)?;
                match seen.insert_values(key, write.key_source()) {
                    Err(key) => {
                        let Some(first) = latest.get_mut(key) else {
                            return Err(duplicate::<T>(&write.key::<T>(), index, index).into());
                        };
                        if !last_write_wins {
                            return Err(duplicate::<T>(&write.key::<T>(), *first, index).into());
                        }
                        // The earlier write is superseded: as good as written.
                        if let Some(unit) = units.get_mut(*first) {
                            *unit = None;
                        }
                        control.start.mark(*first as u64);
                        *first = index;
                    }
                    Ok(_) => latest.push(index),
                }
                units.push(Some((
                    WriteUnit::rebuildable(
                        table.clone(),
                        write.request,
                        Some(index as u64),
                        again,
                        index,
                    ),
                    size,
                )));
            }
            let done = control.start.clone();
            let input = stream::iter(
                units
                    .into_iter()
                    .flatten()
                    .filter(move |(u, _)| !u.position.is_some_and(|p| done.is_completed(p)))
                    .map(|(u, s)| Input::Unit(u, s)),
            );
            engine::write(repo.client().sdk(), &opts, control, input.boxed()).await
        }
        .instrument(span)
        .await
    }
}

impl<'r, T: Entity> IntoFuture for BatchWrite<'r, T> {
    type Output = Result<BatchStats>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A streamed batch of writes being built; `.await` it (or call
/// [`BatchWriteStream::send`]).
///
/// Each write is checked as it arrives. A refused write (bad key, oversize
/// item, a key repeated too soon: see [`duplicate_window`](Self::duplicate_window))
/// stops the batch: chunks in flight finish, the
/// rest of the stream is read but not sent, and the error
/// ([`Error::BatchIncomplete`](crate::Error::BatchIncomplete), with the validation error as cause) carries
/// every write not applied.
#[must_use = "a request does nothing until it is awaited"]
pub struct BatchWriteStream<'r, T: Entity> {
    repo: &'r Repository<T>,
    ops: Pin<Box<dyn Stream<Item = WriteOp<T>> + Send + 'r>>,
    skip_entity_type_check: bool,
    skip_version_check: bool,
    duplicate_window: usize,
    opts: BatchOptions,
    control: Control<'r>,
}

impl<'r, T: Entity> BatchWriteStream<'r, T> {
    batch_options!();
    write_control!();

    /// Like [`BatchWrite::skip_entity_type_check`]: writes items of an
    /// entity with an entity type without the check `BatchWriteItem` cannot
    /// make. Without it the batch is refused before the stream is read.
    pub fn skip_entity_type_check(mut self) -> Self {
        self.skip_entity_type_check = true;
        self
    }

    /// Like [`BatchWrite::skip_version_check`]: puts of a versioned entity
    /// are written with the versions in hand (new items with version 1).
    pub fn skip_version_check(mut self) -> Self {
        self.skip_version_check = true;
        self
    }

    /// How many of the latest positions a repeated key is refused within
    /// (default 100,000, about 3.5 MB of key hashes).
    ///
    /// A write whose key was written at one of the last `positions` positions
    /// is refused ([`ValidationErrorKind::DuplicateKey`], naming both
    /// positions), and so is one whose earlier write is not yet confirmed
    /// written however far back it is (in flight, being retried, or given
    /// up on), since the two could land in either order. A key repeated
    /// further back, after its earlier write was confirmed, is written again:
    /// the repeat is read only after the earlier write was applied, so it
    /// replaces it in stream order, as two `put`s would. The memory is about
    /// 32 bytes per position of the window (plus the writes in flight),
    /// whatever the length of the stream; `usize::MAX` remembers every key
    /// of the stream (memory then grows with it), `0` only the unconfirmed ones.
    pub fn duplicate_window(mut self, positions: usize) -> Self {
        self.duplicate_window = positions;
        self
    }

    /// Sends the writes as the stream yields them (all but those of the
    /// checkpoint given to [`resume_from`](Self::resume_from), which are
    /// read, checked and skipped).
    pub async fn send(mut self) -> Result<BatchStats> {
        let span = span::<T>("BatchWriteItem", self.repo.table_name());
        async move {
            crate::type_guard::check_batch::<T>(self.skip_entity_type_check)?;
            crate::unique::check_batch::<T>()?;
            let table: Arc<str> = self.repo.table_name().into();
            // The positions confirmed written, kept from every progress
            // report, tell which keys may be forgotten.
            let confirmed: Confirmed = Arc::new(Mutex::new(self.control.start.clone()));
            self.opts.progress = Some(tracking(confirmed.clone(), self.opts.progress.take()));
            let mut recent = RecentKeys::new(self.duplicate_window, confirmed);
            let mut refused = false;
            let skip_version_check = self.skip_version_check;
            let done = self.control.start.clone();
            let input = self.ops.enumerate().filter_map(move |(index, op)| {
                let write = encode_op(op);
                let check = check_write::<T>(index, &write, skip_version_check).and_then(|size| {
                    // After a refusal nothing more is sent: no need to remember.
                    if refused {
                        return Ok(size);
                    }
                    let key = canonical(key_names::<T>(), write.key_source());
                    match recent.check(index as u64, &key) {
                        Ok(()) => Ok(size),
                        Err(first) => Err(ValidationError::new(
                            ValidationErrorKind::DuplicateKey,
                            format!(
                                "input #{index}, key {}: the key was already written in this batch \
                                 (input #{first}), too recently or not yet confirmed \
                                 (see `duplicate_window`)",
                                Key::<T>::from_item(write.key::<T>())
                            ),
                        )
                        .entity(T::SCHEMA.entity)),
                    }
                });
                refused |= check.is_err();
                let unit = WriteUnit::kept(table.clone(), write.request, Some(index as u64));
                std::future::ready(match check {
                    Ok(_) if done.is_completed(index as u64) => None,
                    Ok(size) => Some(Input::Unit(unit, size)),
                    Err(e) => Some(Input::Reject(Some(unit), Box::new(e.into()))),
                })
            });
            engine::write(
                self.repo.client().sdk(),
                &self.opts,
                self.control,
                input.boxed(),
            )
            .await
        }
        .instrument(span)
        .await
    }
}

impl<'r, T: Entity> IntoFuture for BatchWriteStream<'r, T> {
    type Output = Result<BatchStats>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
