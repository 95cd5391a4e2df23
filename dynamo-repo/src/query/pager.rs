//! Following pages: the row stream, `all()`, `fill_page`, `page` and `count`.

use super::budget::{BudgetReached, Meter};
use super::decode::Decoder;
use super::spec::Spec;
use crate::capacity::{self, Capacity};
use crate::error::{Error, Result, ValidationError, ValidationErrorKind};
use crate::value::Item;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

/// One page of results, with a cursor to the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows of this page (possibly none, even when more may follow).
    pub items: Vec<T>,
    /// Where the next page starts: `None` when DynamoDB said there is no more.
    /// A cursor means more rows *may* exist (DynamoDB also returns one when
    /// the results end exactly at the page's limit). It never holds the key
    /// of a row the filter removed unless it is encrypted; see the
    /// [guide](crate::query#page-cursors).
    pub cursor: Option<String>,
    /// The capacity the page's requests consumed, when it was asked for
    /// (`.return_consumed_capacity()` or the client's setting; see
    /// [`crate::capacity`]); `None` otherwise.
    pub capacity: Option<Capacity>,
    /// `Some` when the read's [budget](crate::query::budget) stopped it
    /// before it had its rows and before the results ended; the cursor then
    /// continues after the last item DynamoDB evaluated. Always `None`
    /// without `.budget(..)`.
    pub budget_reached: Option<BudgetReached>,
}

impl<T> Page<T> {
    /// Whether more rows may follow (a cursor is present).
    pub fn has_more(&self) -> bool {
        self.cursor.is_some()
    }
}

/// Follows `LastEvaluatedKey` through the pages of `spec` from `start`,
/// stopping after `limit` rows: what [`rows`] and [`collect_rows`] share.
struct Pager<'s> {
    spec: Cow<'s, Spec>,
    next: Option<Item>,
    first: bool,
    remaining: Option<usize>,
    filtered: bool,
    capacity: Option<Capacity>,
    /// A running total others can read while the pages are followed.
    sink: Option<Arc<Mutex<Capacity>>>,
}

impl<'s> Pager<'s> {
    fn new(spec: Cow<'s, Spec>, start: Option<Item>, limit: Option<usize>, filtered: bool) -> Self {
        Pager {
            spec,
            next: start,
            first: true,
            remaining: limit,
            filtered,
            capacity: None,
            sink: None,
        }
    }

    /// The items of the next page (possibly none, when a filter removed
    /// them all), or `None` after the last page or the limit.
    async fn next_page(&mut self) -> Result<Option<Vec<Item>>> {
        if (!self.first && self.next.is_none()) || self.remaining == Some(0) {
            return Ok(None);
        }
        self.first = false;
        // Without a filter, asking for no more than we still need saves reads.
        let limit = match (self.remaining, self.filtered, self.spec.page_size) {
            (Some(r), false, None) => Some(r.min(i32::MAX as usize) as i32),
            _ => None,
        };
        let page = self.spec.fetch(self.next.take(), limit, false).await?;
        if let (Some(sink), Some(c)) = (&self.sink, &page.capacity) {
            *sink.lock().unwrap_or_else(|e| e.into_inner()) += c;
        }
        capacity::add(&mut self.capacity, page.capacity);
        self.next = page.last_key;
        let mut items = page.items;
        if let Some(r) = self.remaining.as_mut() {
            items.truncate(*r);
            *r -= items.len();
        }
        Ok(Some(items))
    }
}

/// Pages through `spec` from `start`, yielding rows lazily, at most `limit`;
/// each response's capacity is added to `sink`, when given.
pub(super) fn rows<D: Decoder>(
    spec: Spec,
    start: Option<Item>,
    limit: Option<usize>,
    filtered: bool,
    sink: Option<Arc<Mutex<Capacity>>>,
) -> BoxStream<'static, Result<D::Output>> {
    let mut pager = Pager::new(Cow::Owned(spec), start, limit, filtered);
    pager.sink = sink;
    let pages = stream::try_unfold(pager, |mut pager| async move {
        let page = pager.next_page().await?;
        Ok::<_, Error>(page.map(|items| (stream::iter(items.into_iter().map(D::decode)), pager)))
    });
    pages.try_flatten().boxed()
}

/// Every row of `spec` from `start`, at most `limit`: what [`rows`] yields,
/// collected page by page into one vector without a stream per row (each
/// page decoded while the next is read), with the capacity of every page
/// when it was asked for.
pub(super) async fn collect_rows<D: Decoder>(
    spec: &Spec,
    start: Option<Item>,
    limit: Option<usize>,
    filtered: bool,
) -> Result<(Vec<D::Output>, Option<Capacity>)> {
    let mut pager = Pager::new(Cow::Borrowed(spec), start, limit, filtered);
    let mut out = Vec::new();
    let mut page = pager.next_page().await?;
    while let Some(items) = page {
        out.reserve(items.len());
        // The next page is asked for before this one is decoded, so that
        // decoding runs while DynamoDB reads it (a hand-written paginator
        // waits for each page, then decodes). A decode error still wins
        // over the next page's answer; the page read ahead is dropped.
        let decode = async {
            for item in items {
                out.push(D::decode(item)?);
            }
            Ok::<(), Error>(())
        };
        let (next, decoded) = futures::join!(pager.next_page(), decode);
        decoded?;
        page = next?;
    }
    Ok((out, pager.capacity))
}

/// Collects up to `n` rows across as many pages as needed (or as `meter`
/// allows); the cursor points just after the last row returned, or, at a
/// budget stop, after the last item evaluated. `n` = 0 is refused: no row
/// could say where the next page starts.
pub(super) async fn fill<D: Decoder>(
    spec: &Spec,
    start: Option<Item>,
    n: usize,
    mut meter: Option<&mut Meter>,
) -> Result<Page<D::Output>> {
    if n == 0 {
        return Err(ValidationError::new(
            ValidationErrorKind::OutOfRange,
            "fill_page(0) would return no rows and no place to resume; ask for at least 1",
        )
        .entity(spec.entity)
        .into());
    }
    let mut items = Vec::with_capacity(n.min(1024));
    let mut next = start;
    let mut first = true;
    let mut consumed = None;
    while first || next.is_some() {
        if let (false, Some(key)) = (first, &next) {
            if let Some(reached) = meter.as_deref().and_then(Meter::exhausted) {
                // Every item of the pages read was taken (fewer than n), so
                // the next one starts after the last item evaluated.
                return Ok(Page {
                    items,
                    cursor: Some(spec.budget_cursor(key, spec.filtered())?),
                    capacity: consumed,
                    budget_reached: Some(reached),
                });
            }
        }
        first = false;
        let limit = meter.as_deref().and_then(|m| m.limit(spec.page_size));
        let page = spec.fetch(next.take(), limit, false).await?;
        if let Some(m) = meter.as_deref_mut() {
            m.record(page.scanned, page.capacity.as_ref());
        }
        capacity::add(&mut consumed, page.capacity);
        let total = page.items.len();
        for (i, item) in page.items.into_iter().enumerate() {
            if items.len() == n {
                break;
            }
            let key = (items.len() + 1 == n && (i + 1 < total || page.last_key.is_some()))
                .then(|| spec.key_of(&item));
            items.push(D::decode(item)?);
            if let Some(key) = key {
                return Ok(Page {
                    items,
                    cursor: Some(spec.cursor_for(&key)?),
                    capacity: consumed,
                    budget_reached: None,
                });
            }
        }
        next = page.last_key;
        if items.len() == n {
            break;
        }
    }
    // With n >= 1 the loop only ends here at the last page (or at row n,
    // returned above), so `next` is None: no key of an unreturned row leaks.
    let cursor = next.as_ref().map(|k| spec.cursor_for(k)).transpose()?;
    Ok(Page {
        items,
        cursor,
        capacity: consumed,
        budget_reached: None,
    })
}

/// One request's rows. A filtered page's readable cursor resumes right
/// after the last row *returned* (never at a row the filter removed), so a
/// filtered request that returned nothing is followed by the next one (as
/// far as `meter` allows); only an encrypted cursor may hold the last key
/// DynamoDB read.
pub(super) async fn one_page<D: Decoder>(
    spec: &Spec,
    start: Option<Item>,
    limit: Option<usize>,
    mut meter: Option<&mut Meter>,
) -> Result<Page<D::Output>> {
    let wanted = limit.map(|n| n.min(i32::MAX as usize) as i32);
    let limit = match meter.as_deref() {
        Some(m) => m.limit(wanted.or(spec.page_size)),
        None => wanted,
    };
    // The budget cut this page's `Limit` below what it would have asked.
    let cut = limit.is_some_and(|l| wanted.or(spec.page_size).is_none_or(|w| l < w));
    let mut page = spec.fetch(start, limit, false).await?;
    if let Some(m) = meter.as_deref_mut() {
        m.record(page.scanned, page.capacity.as_ref());
    }
    let mut consumed = page.capacity.take();
    let mut budget_reached = None;
    let cursor = if spec.filtered() && !spec.opaque_cursors() {
        while page.items.is_empty() && page.last_key.is_some() {
            if let Some(reached) = meter.as_deref().and_then(Meter::exhausted) {
                let key = page.last_key.take().unwrap_or_default();
                return Ok(Page {
                    items: Vec::new(),
                    cursor: Some(spec.budget_cursor(&key, true)?),
                    capacity: consumed,
                    budget_reached: Some(reached),
                });
            }
            let limit = meter
                .as_deref()
                .map_or(limit, |m| m.limit(wanted.or(spec.page_size)));
            page = spec.fetch(page.last_key.take(), limit, false).await?;
            if let Some(m) = meter.as_deref_mut() {
                m.record(page.scanned, page.capacity.as_ref());
            }
            capacity::add(&mut consumed, page.capacity.take());
        }
        match (page.items.last(), &page.last_key) {
            (Some(last), Some(_)) => Some(spec.cursor_for(&spec.key_of(last))?),
            _ => None,
        }
    } else {
        page.last_key
            .as_ref()
            .map(|k| spec.cursor_for(k))
            .transpose()?
    };
    if cut && cursor.is_some() {
        budget_reached = meter.as_deref().and_then(Meter::exhausted);
    }
    let items = page
        .items
        .into_iter()
        .map(D::decode)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        cursor,
        capacity: consumed,
        budget_reached,
    })
}

/// What a count read: the items counted, and where a budget stopped it.
pub(super) struct Counted {
    pub(super) count: u64,
    pub(super) capacity: Option<Capacity>,
    pub(super) cursor: Option<String>,
    pub(super) budget_reached: Option<BudgetReached>,
}

/// Counts the matching items from `start` over every page (or as many as
/// `meter` allows: the cursor then continues the count).
pub(super) async fn count_all(
    spec: &Spec,
    start: Option<Item>,
    mut meter: Option<&mut Meter>,
) -> Result<Counted> {
    let mut out = Counted {
        count: 0,
        capacity: None,
        cursor: None,
        budget_reached: None,
    };
    let mut next = start;
    let mut first = true;
    while first || next.is_some() {
        if let (false, Some(key)) = (first, &next) {
            if let Some(reached) = meter.as_deref().and_then(Meter::exhausted) {
                // A count returns no rows: the key is one the caller never saw.
                out.cursor = Some(spec.budget_cursor(key, true)?);
                out.budget_reached = Some(reached);
                return Ok(out);
            }
        }
        first = false;
        let limit = meter.as_deref().and_then(|m| m.limit(spec.page_size));
        let page = spec.fetch(next.take(), limit, true).await?;
        if let Some(m) = meter.as_deref_mut() {
            m.record(page.scanned, page.capacity.as_ref());
        }
        capacity::add(&mut out.capacity, page.capacity);
        out.count += page.count;
        next = page.last_key;
    }
    Ok(out)
}
