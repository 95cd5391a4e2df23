//! Following pages: the row stream, `all()`, `fill_page`, `page` and `count`.

use super::decode::Decoder;
use super::spec::Spec;
use crate::capacity::{self, Capacity};
use crate::error::{Error, Result, ValidationError, ValidationErrorKind};
use crate::value::Item;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use std::borrow::Cow;

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

/// Pages through `spec` from `start`, yielding rows lazily, at most `limit`.
pub(super) fn rows<D: Decoder>(
    spec: Spec,
    start: Option<Item>,
    limit: Option<usize>,
    filtered: bool,
) -> BoxStream<'static, Result<D::Output>> {
    let pager = Pager::new(Cow::Owned(spec), start, limit, filtered);
    let pages = stream::try_unfold(pager, |mut pager| async move {
        let page = pager.next_page().await?;
        Ok::<_, Error>(page.map(|items| (stream::iter(items.into_iter().map(D::decode)), pager)))
    });
    pages.try_flatten().boxed()
}

/// Every row of `spec` from `start`, at most `limit`: what [`rows`] yields,
/// collected page by page into one vector without a stream per row, with
/// the capacity of every page when it was asked for.
pub(super) async fn collect_rows<D: Decoder>(
    spec: &Spec,
    start: Option<Item>,
    limit: Option<usize>,
    filtered: bool,
) -> Result<(Vec<D::Output>, Option<Capacity>)> {
    let mut pager = Pager::new(Cow::Borrowed(spec), start, limit, filtered);
    let mut out = Vec::new();
    while let Some(items) = pager.next_page().await? {
        out.reserve(items.len());
        for item in items {
            out.push(D::decode(item)?);
        }
    }
    Ok((out, pager.capacity))
}

/// Collects up to `n` rows across as many pages as needed; the cursor points
/// just after the last row returned. `n` = 0 is refused: no row could say
/// where the next page starts.
pub(super) async fn fill<D: Decoder>(
    spec: &Spec,
    start: Option<Item>,
    n: usize,
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
        first = false;
        let page = spec.fetch(next.take(), None, false).await?;
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
    })
}

/// One request's rows. A filtered page's readable cursor resumes right
/// after the last row *returned* (never at a row the filter removed), so a
/// filtered request that returned nothing is followed by the next one;
/// only an encrypted cursor may hold the last key DynamoDB read.
pub(super) async fn one_page<D: Decoder>(
    spec: &Spec,
    start: Option<Item>,
    limit: Option<usize>,
) -> Result<Page<D::Output>> {
    let limit = limit.map(|n| n.min(i32::MAX as usize) as i32);
    let mut page = spec.fetch(start, limit, false).await?;
    let mut consumed = page.capacity.take();
    let cursor = if spec.filtered() && !spec.opaque_cursors() {
        while page.items.is_empty() && page.last_key.is_some() {
            page = spec.fetch(page.last_key.take(), limit, false).await?;
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
    let items = page
        .items
        .into_iter()
        .map(D::decode)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        cursor,
        capacity: consumed,
    })
}

pub(super) async fn count_all(spec: &Spec, start: Option<Item>) -> Result<u64> {
    let mut total = 0;
    let mut next = start;
    let mut first = true;
    while first || next.is_some() {
        first = false;
        let page = spec.fetch(next.take(), None, true).await?;
        total += page.count;
        next = page.last_key;
    }
    Ok(total)
}
