//! `Scan`: every item of a table or index, optionally in parallel segments.

use super::cursor::CursorKey;
use super::decode::{
    AsCollection, AsEntity, AsProjection, Decoder, PerRow, Projection, Raw, ReadsIndex,
};
use super::metered::CapacityStream;
use super::pager::{collect_rows, count_all, fill, one_page, rows, Page};
use super::spec::{Common, Spec};
use crate::capacity::{Capacity, WithCapacity};
use crate::entity::{AllAttributes, Entity, Index};
use crate::error::{Result, ValidationError, ValidationErrorKind};
use crate::expr::{Condition, Placeholders, UntypedPath};
use crate::repository::{BoxFuture, Repository};
use crate::single_table::Collection;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

/// DynamoDB's most segments of a parallel scan (`TotalSegments`).
pub const MAX_SEGMENTS: u32 = 1_000_000;

/// The most segments of a parallel scan read at the same time: a scan in
/// more segments reads them in turn, this many at once.
pub const MAX_SEGMENTS_IN_FLIGHT: usize = 16;

impl<T: Entity> Repository<T> {
    /// A scan of the whole table.
    pub fn scan(&self) -> Scan<'_, T> {
        Scan {
            repo: self,
            common: Common::new(AsEntity(PhantomData)),
            segments: 1,
            _projection: PhantomData,
        }
    }

    /// A scan of a secondary index.
    ///
    /// Rows decode as `T` only from an index that projects all attributes:
    /// read a keys-only or include index with `.project::<P>()`,
    /// `.project_raw(..)` or `.count()` (anything else does not compile).
    pub fn scan_index<P, S, I>(&self, index: Index<T, P, S, I>) -> Scan<'_, T, AsEntity<T>, I> {
        let mut common = Common::new(AsEntity(PhantomData));
        common.index = Some(index.schema());
        Scan {
            repo: self,
            common,
            segments: 1,
            _projection: PhantomData,
        }
    }
}

/// A `Scan` being built: `repo.scan()`.
#[must_use = "a scan does nothing until it is run"]
pub struct Scan<'r, T, D = AsEntity<T>, I = AllAttributes> {
    pub(super) repo: &'r Repository<T>,
    pub(super) common: Common<T, D>,
    pub(super) segments: u32,
    _projection: PhantomData<fn() -> I>,
}

impl<'r, T: Entity, D: Decoder, I> Scan<'r, T, D, I> {
    shared_builder_methods!();

    /// Scans in `n` parallel segments merged into one stream (each item
    /// exactly once), at most [`MAX_SEGMENTS_IN_FLIGHT`] read at a time.
    /// Cursors and pages are per segment, so `page`, `fill_page` and
    /// `start_from` refuse more than one segment. More than
    /// [`MAX_SEGMENTS`] (DynamoDB's limit) is a
    /// [`ValidationErrorKind::OutOfRange`] error when the scan runs; 0 means 1.
    pub fn segments(mut self, n: u32) -> Self {
        self.segments = n.max(1);
        self
    }

    /// Yields every row as a `Result`: an item that does not decode (a
    /// field of the wrong type, a value the type refuses) becomes an `Err`
    /// naming the entity, attribute and item key, beside the good rows,
    /// instead of failing the whole `all()`, page or stream. Errors of the
    /// request itself still fail the call.
    ///
    /// ```no_run
    /// # use dynamo_repo::Entity;
    /// # #[derive(Entity)] #[dynamo(table = "users")]
    /// # struct User { #[dynamo(partition_key)] org: String, #[dynamo(sort_key)] id: String }
    /// # async fn demo(users: dynamo_repo::Repository<User>) -> dynamo_repo::Result<()> {
    /// let rows = users.query("acme").per_row_errors().all().await?;
    /// let (good, bad): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn per_row_errors(self) -> Scan<'r, T, PerRow<D>, I> {
        Scan {
            repo: self.repo,
            common: self.common.map_decoder(PerRow),
            segments: self.segments,
            _projection: PhantomData,
        }
    }

    /// Reads only the fields of projection `P`, decoded as `P`.
    pub fn project<P: Projection<Entity = T>>(self) -> Scan<'r, T, AsProjection<P>, I> {
        Scan {
            repo: self.repo,
            common: self.common.with_decoder(AsProjection(PhantomData)),
            segments: self.segments,
            _projection: PhantomData,
        }
    }

    /// Reads the items as collection `C`, each routed by its entity type.
    pub fn collection<C: Collection>(self) -> Scan<'r, T, AsCollection<C>, I> {
        Scan {
            repo: self.repo,
            common: self.common.with_decoder(AsCollection(PhantomData)),
            segments: self.segments,
            _projection: PhantomData,
        }
    }

    /// Reads only the given attributes (plus the keys), as raw maps.
    pub fn project_raw<Paths: IntoIterator<Item = UntypedPath>>(
        self,
        paths: Paths,
    ) -> Scan<'r, T, Raw, I> {
        let attributes = paths.into_iter().map(|p| p.to_string()).collect();
        Scan {
            repo: self.repo,
            common: self.common.with_decoder(Raw(attributes)),
            segments: self.segments,
            _projection: PhantomData,
        }
    }

    pub(super) fn build(&self) -> Result<Spec> {
        self.check_segments()?;
        self.common.spec(self.repo, Placeholders::new(), None)
    }

    fn check_segments(&self) -> Result<()> {
        if self.segments > MAX_SEGMENTS {
            return Err(ValidationError::new(
                ValidationErrorKind::OutOfRange,
                format!(
                    "segments({}): DynamoDB scans in at most {MAX_SEGMENTS} segments",
                    self.segments
                ),
            )
            .entity(T::SCHEMA.entity)
            .into());
        }
        Ok(())
    }

    pub(super) fn single_segment(&self) -> Result<()> {
        self.check_segments()?;
        if self.segments > 1 {
            return Err(ValidationError::new(
                ValidationErrorKind::Other,
                "pages and cursors of a parallel scan are per segment; use stream() or all()",
            )
            .entity(T::SCHEMA.entity)
            .into());
        }
        Ok(())
    }

    /// The SDK request this would send first (segment 0), without sending it.
    pub fn to_request(
        &self,
    ) -> Result<aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder> {
        let mut spec = self.build()?;
        if self.segments > 1 {
            spec.segment = Some((0, self.segments as i32));
        }
        let start = self.common.start_key(&spec)?;
        let rendered = std::mem::take(&mut spec.rendered);
        Ok(spec.scan_request(rendered, start, self.common.limit.map(|n| n as i32), false))
    }

    /// Every matching row, following every page (with [`Scan::segments`],
    /// the segments are read in parallel; memory grows with the result).
    pub fn all(self) -> BoxFuture<'r, Result<Vec<D::Output>>>
    where
        D: ReadsIndex<I>,
        I: 'r,
    {
        Box::pin(async move {
            if self.segments > 1 {
                return self.stream().try_collect().await;
            }
            Ok(self.common.all_rows(&self.build()?).await?.0)
        })
    }

    /// Like [`all`](Self::all), asking every request for the capacity it
    /// consumes: the rows and the capacity of every page (of every segment),
    /// summed.
    pub async fn all_with_capacity(mut self) -> Result<WithCapacity<Vec<D::Output>>>
    where
        D: ReadsIndex<I>,
    {
        self.common.capacity = true;
        let spec = self.build()?;
        if self.segments == 1 {
            let (value, capacity) = self.common.all_rows(&spec).await?;
            return Ok(WithCapacity {
                value,
                capacity: capacity.unwrap_or_default(),
            });
        }
        if self.common.cursor.is_some() {
            self.single_segment()?;
        }
        // Each segment read whole (up to the limit), a bounded number at a time.
        let total = self.segments as i32;
        let (filtered, limit) = (self.common.filter.is_some(), self.common.limit);
        let segments = stream::iter(0..total)
            .map(|segment| {
                let mut spec = spec.clone();
                spec.segment = Some((segment, total));
                async move { collect_rows::<D>(&spec, None, limit, filtered).await }
            })
            .buffer_unordered(MAX_SEGMENTS_IN_FLIGHT);
        let mut segments = std::pin::pin!(segments);
        let mut out = WithCapacity {
            value: Vec::new(),
            capacity: Capacity::default(),
        };
        while let Some((rows, capacity)) = segments.try_next().await? {
            out.value.extend(rows);
            out.capacity += capacity.unwrap_or_default();
        }
        if let Some(n) = limit {
            out.value.truncate(n);
        }
        Ok(out)
    }

    /// One page, with a cursor when more may follow (a filtered page as
    /// [`Query::page`](crate::Query::page) tells).
    pub fn page(self) -> BoxFuture<'r, Result<Page<D::Output>>>
    where
        D: ReadsIndex<I>,
        I: 'r,
    {
        Box::pin(async move {
            self.single_segment()?;
            let spec = self.build()?;
            let start = self.common.start_key(&spec)?;
            one_page::<D>(&spec, start, self.common.limit, None).await
        })
    }

    /// Up to `n` matching rows across as many pages as needed.
    pub fn fill_page(self, n: usize) -> BoxFuture<'r, Result<Page<D::Output>>>
    where
        D: ReadsIndex<I>,
        I: 'r,
    {
        Box::pin(async move {
            self.single_segment()?;
            let spec = self.build()?;
            let start = self.common.start_key(&spec)?;
            fill::<D>(&spec, start, n, None).await
        })
    }

    /// A lazy stream of rows; with [`Scan::segments`], the segments are read
    /// in parallel and merged.
    pub fn stream(self) -> BoxStream<'static, Result<D::Output>>
    where
        D: ReadsIndex<I>,
    {
        self.stream_to(None)
    }

    /// Like [`stream`](Self::stream), asking every request for the capacity
    /// it consumes: [`CapacityStream::capacity`] is the running total of the
    /// pages read so far (of every segment).
    pub fn stream_with_capacity(mut self) -> CapacityStream<D::Output>
    where
        D: ReadsIndex<I>,
    {
        self.common.capacity = true;
        let total = Arc::default();
        CapacityStream::new(self.stream_to(Some(Arc::clone(&total))), total)
    }

    fn stream_to(
        self,
        sink: Option<Arc<Mutex<Capacity>>>,
    ) -> BoxStream<'static, Result<D::Output>> {
        let filtered = self.common.filter.is_some();
        let prepared = self.build().and_then(|spec| {
            if self.segments > 1 && self.common.cursor.is_some() {
                self.single_segment()?;
            }
            let start = self.common.start_key(&spec)?;
            Ok((spec, start))
        });
        let (spec, start) = match prepared {
            Ok(p) => p,
            Err(e) => return stream::once(async move { Err(e) }).boxed(),
        };
        if self.segments == 1 {
            return rows::<D>(spec, start, self.common.limit, filtered, sink);
        }
        // At most MAX_SEGMENTS (checked in build), so this fits in an i32.
        let total = self.segments as i32;
        // Segment streams start lazily, a bounded number at a time.
        let streams = stream::iter(0..total).map(move |segment| {
            let mut spec = spec.clone();
            spec.segment = Some((segment, total));
            rows::<D>(spec, None, None, filtered, sink.clone())
        });
        let merged = streams.flatten_unordered(MAX_SEGMENTS_IN_FLIGHT);
        match self.common.limit {
            Some(n) => merged.take(n).boxed(),
            None => merged.boxed(),
        }
    }

    /// The number of matching items (`Select=COUNT`), over every page.
    pub async fn count(mut self) -> Result<u64> {
        self.common.counting = true;
        self.single_segment()?;
        let spec = self.build()?;
        let start = self.common.start_key(&spec)?;
        Ok(count_all(&spec, start, None).await?.count)
    }

    /// Like [`count`](Self::count), asking every request for the capacity
    /// it consumes: the count and the capacity of every page, summed.
    pub async fn count_with_capacity(mut self) -> Result<WithCapacity<u64>> {
        self.common.counting = true;
        self.common.capacity = true;
        self.single_segment()?;
        let spec = self.build()?;
        let start = self.common.start_key(&spec)?;
        let counted = count_all(&spec, start, None).await?;
        Ok(WithCapacity {
            value: counted.count,
            capacity: counted.capacity.unwrap_or_default(),
        })
    }
}
