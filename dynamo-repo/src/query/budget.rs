//! Read budgets: how much one call may read before it stops and hands back
//! what it read with a cursor to continue.
//!
//! A query or scan follows DynamoDB's pages until it has what it was asked
//! for; with a rare filter that can be every page of a partition (or a
//! table). `.budget(ReadBudget)` bounds it by any of three measures:
//!
//! | Bound | Counts | Stops |
//! |---|---|---|
//! | [`ReadBudget::max_pages`] | requests sent | exactly at the bound |
//! | [`ReadBudget::max_items_evaluated`] | items DynamoDB evaluated (`ScannedCount`, before the filter) | exactly at the bound: each request's `Limit` is cut to what is left |
//! | [`ReadBudget::max_read_capacity`] | read capacity units consumed (the requests then ask for `ReturnConsumedCapacity`) | after the request that reaches it: at most one page over |
//!
//! Reaching a bound is not an error: the call returns the rows it read, a
//! cursor to continue from and [`BudgetReached`] saying which bound stopped
//! it. Hand the cursor back with `.start_from(cursor)` (under a new budget)
//! to go on.
//!
//! **Default: unbounded.** Without `.budget(..)` nothing changes:
//! `fill_page(n)`, `all()`, `first()` and `count()` read as many pages as
//! they need. A budget is set on the builder and changes what the readers
//! return, so a budget can never be silently ignored:
//!
//! | Reader after `.budget(b)` | Returns |
//! |---|---|
//! | `page()`, `fill_page(n)` | [`Page`](crate::Page), with [`Page::budget_reached`](crate::Page::budget_reached) |
//! | `all()` | [`Bounded<Vec<Row>>`](Bounded) |
//! | `first()` | [`Bounded<Option<Row>>`](Bounded) (`None` with `budget_reached` set: not found *yet*) |
//! | `count()` | [`Bounded<u64>`](Bounded): the items counted so far |
//!
//! A parallel scan (`.segments(n)` above 1) has a cursor per segment, so a
//! budgeted reader refuses it.
//!
//! # The cursor of a budget stop
//!
//! The cursor resumes after the last item DynamoDB *evaluated*, so the next
//! call makes progress even when a filter matched nothing. With a filter (or
//! for `count()`) that item may be one the caller never received. With a
//! [`CursorKey`](crate::CursorKey), signing or encrypting, such a cursor is
//! always encrypted, so it shows no key the caller did not receive; without
//! one (the default, fine inside your process only) its key is readable.
//!
//! ```rust,no_run
//! # use dynamo_repo::{Entity, ReadBudget};
//! # #[derive(Entity, Debug)] #[dynamo(table = "events")]
//! # struct Event { #[dynamo(partition_key)] stream: String, #[dynamo(sort_key)] seq: u64, status: String }
//! # async fn demo(repo: dynamo_repo::Repository<Event>) -> dynamo_repo::Result<()> {
//! let f = Event::fields();
//! let page = repo
//!     .query("s")
//!     .filter(f.status.eq("failed"))
//!     .budget(ReadBudget::new().max_pages(5))
//!     .fill_page(10)
//!     .await?;
//! if let Some(reached) = page.budget_reached {
//!     println!("stopped by {:?} after {} pages", reached.which, reached.pages);
//!     // ... later: .start_from(page.cursor.unwrap()) under a new budget.
//! }
//!
//! let found = repo
//!     .query("s")
//!     .filter(f.status.eq("failed"))
//!     .budget(ReadBudget::new().max_read_capacity(50.0))
//!     .all()
//!     .await?;
//! println!("{} rows, complete: {}", found.value.len(), found.is_complete());
//! # Ok(()) }
//! ```

use crate::capacity::Capacity;
use crate::error::{Result, ValidationError, ValidationErrorKind};

/// How much one call may read: any of a number of requests, of items
/// evaluated and of read capacity units. Unset bounds are unbounded; see
/// the [module guide](crate::query::budget).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReadBudget {
    pages: Option<u32>,
    items: Option<u64>,
    capacity: Option<f64>,
}

impl ReadBudget {
    /// No bound yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `n` requests (pages); at least 1.
    pub fn max_pages(mut self, n: u32) -> Self {
        self.pages = Some(n);
        self
    }

    /// At most `n` items evaluated by DynamoDB (its `ScannedCount`, counted
    /// before the filter); at least 1. Each request's `Limit` is cut to what
    /// is left, so the bound is never passed.
    pub fn max_items_evaluated(mut self, n: u64) -> Self {
        self.items = Some(n);
        self
    }

    /// At most about `units` read capacity units: the call stops after the
    /// request that reaches them (so it may pass them by one page's worth).
    /// Makes every request of the call ask for `ReturnConsumedCapacity`.
    pub fn max_read_capacity(mut self, units: f64) -> Self {
        self.capacity = Some(units);
        self
    }

    /// The bound on requests, if any.
    pub fn pages(&self) -> Option<u32> {
        self.pages
    }

    /// The bound on items evaluated, if any.
    pub fn items_evaluated(&self) -> Option<u64> {
        self.items
    }

    /// The bound on read capacity units, if any.
    pub fn read_capacity(&self) -> Option<f64> {
        self.capacity
    }

    /// Refuses bounds that allow no request at all, before sending.
    pub(crate) fn check(&self, entity: &'static str) -> Result<()> {
        let bad = if self.pages == Some(0) {
            Some("max_pages(0) allows no request; give at least 1")
        } else if self.items == Some(0) {
            Some("max_items_evaluated(0) allows no request; give at least 1")
        } else if self.capacity.is_some_and(|c| c.is_nan() || c <= 0.0) {
            Some("max_read_capacity needs a positive number of units")
        } else {
            None
        };
        match bad {
            Some(message) => Err(
                ValidationError::new(ValidationErrorKind::OutOfRange, message)
                    .entity(entity)
                    .into(),
            ),
            None => Ok(()),
        }
    }
}

/// Which bound of a [`ReadBudget`] stopped a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BudgetKind {
    /// [`ReadBudget::max_pages`].
    Pages,
    /// [`ReadBudget::max_items_evaluated`].
    ItemsEvaluated,
    /// [`ReadBudget::max_read_capacity`].
    ReadCapacity,
}

/// A read stopped by its budget before the results ended: which bound, and
/// what the call had used when it stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetReached {
    /// The bound reached.
    pub which: BudgetKind,
    /// Requests sent.
    pub pages: u32,
    /// Items DynamoDB evaluated (`ScannedCount`, summed).
    pub items_evaluated: u64,
    /// Read capacity units consumed, when the requests asked for them
    /// (always with a capacity bound).
    pub read_capacity: Option<f64>,
}

/// What a budgeted `all()`, `first()` or `count()` returns: the value read,
/// and, when the budget stopped it, which bound and where to continue.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounded<T> {
    /// The rows (or the row, or the count) read before the call ended.
    pub value: T,
    /// Where to continue (`.start_from(cursor)`): set when more may follow.
    pub cursor: Option<String>,
    /// `Some` when the budget stopped the call before the results ended.
    pub budget_reached: Option<BudgetReached>,
    /// The capacity the requests consumed, when asked for (a capacity
    /// bound, `.return_consumed_capacity()` or the client's setting).
    pub capacity: Option<Capacity>,
}

impl<T> Bounded<T> {
    /// Whether the call read everything it was asked for (no budget stop).
    pub fn is_complete(&self) -> bool {
        self.budget_reached.is_none()
    }
}

/// What a call has used of its budget so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meter {
    budget: ReadBudget,
    pages: u32,
    items: u64,
    capacity: f64,
    /// Whether any response reported capacity.
    reported: bool,
}

impl Meter {
    pub(crate) fn new(budget: ReadBudget) -> Self {
        Meter {
            budget,
            ..Meter::default()
        }
    }

    /// The bound already reached, if any: no further request may be sent.
    pub(crate) fn exhausted(&self) -> Option<BudgetReached> {
        let b = &self.budget;
        let which = if b.pages.is_some_and(|n| self.pages >= n) {
            BudgetKind::Pages
        } else if b.items.is_some_and(|n| self.items >= n) {
            BudgetKind::ItemsEvaluated
        } else if b.capacity.is_some_and(|c| self.capacity >= c) {
            BudgetKind::ReadCapacity
        } else {
            return None;
        };
        Some(BudgetReached {
            which,
            pages: self.pages,
            items_evaluated: self.items,
            read_capacity: self.reported.then_some(self.capacity),
        })
    }

    /// The `Limit` of the next request: the page size, cut to the items
    /// the budget has left.
    pub(crate) fn limit(&self, page_size: Option<i32>) -> Option<i32> {
        let left = self.budget.items.map(|n| {
            let left = n.saturating_sub(self.items).max(1);
            left.min(i32::MAX as u64) as i32
        });
        match (left, page_size) {
            (Some(l), Some(p)) => Some(l.min(p)),
            (l, p) => l.or(p),
        }
    }

    /// Counts one response.
    pub(crate) fn record(&mut self, scanned: u64, capacity: Option<&Capacity>) {
        self.pages = self.pages.saturating_add(1);
        self.items = self.items.saturating_add(scanned);
        if let Some(c) = capacity {
            self.capacity += c.total();
            self.reported = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bound_is_reached_at_its_measure() {
        let mut m = Meter::new(ReadBudget::new().max_pages(2));
        assert_eq!(m.exhausted(), None);
        m.record(10, None);
        assert_eq!(m.exhausted(), None);
        m.record(10, None);
        let r = m.exhausted().unwrap();
        assert_eq!(
            (r.which, r.pages, r.items_evaluated),
            (BudgetKind::Pages, 2, 20)
        );
        assert_eq!(r.read_capacity, None);

        let mut m = Meter::new(ReadBudget::new().max_items_evaluated(25));
        assert_eq!(m.limit(Some(10)), Some(10));
        m.record(10, None);
        m.record(10, None);
        assert_eq!(m.limit(Some(10)), Some(5), "cut to what is left");
        assert_eq!(m.limit(None), Some(5));
        m.record(5, None);
        assert_eq!(m.exhausted().unwrap().which, BudgetKind::ItemsEvaluated);

        let mut m = Meter::new(ReadBudget::new().max_read_capacity(3.0));
        assert_eq!(m.limit(None), None, "no item bound, no Limit");
        let c = Capacity::default();
        m.record(1, Some(&c));
        assert_eq!(m.exhausted(), None);
        let mut m = Meter::new(ReadBudget::new().max_read_capacity(0.5));
        let mut one = Capacity::default();
        one += Capacity::from_sdk(&[aws_sdk_dynamodb::types::ConsumedCapacity::builder()
            .capacity_units(1.0)
            .build()]);
        m.record(1, Some(&one));
        let r = m.exhausted().unwrap();
        assert_eq!(
            (r.which, r.read_capacity),
            (BudgetKind::ReadCapacity, Some(1.0))
        );
    }

    #[test]
    fn bounds_that_allow_no_request_are_refused() {
        for b in [
            ReadBudget::new().max_pages(0),
            ReadBudget::new().max_items_evaluated(0),
            ReadBudget::new().max_read_capacity(0.0),
            ReadBudget::new().max_read_capacity(f64::NAN),
        ] {
            let err = b.check("E").unwrap_err();
            assert_eq!(
                err.as_validation().map(|v| v.kind),
                Some(ValidationErrorKind::OutOfRange)
            );
        }
        assert!(ReadBudget::new().check("E").is_ok());
    }
}
