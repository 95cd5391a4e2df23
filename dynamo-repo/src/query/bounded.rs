//! The readers of a query or scan under a [`ReadBudget`]: what
//! `.budget(b)` returns. How budgets count and stop is in the
//! [`budget`](super::budget) chapter.

use super::budget::{Bounded, Meter, ReadBudget};
use super::decode::{Decoder, ReadsIndex};
use super::pager::{count_all, fill, Page};
use super::query::Query;
use super::scan::Scan;
use super::spec::Spec;
use crate::entity::Entity;
use crate::error::Result;
use crate::repository::BoxFuture;
use crate::value::Item;

/// A query or scan bounded by a [`ReadBudget`]: `query.budget(b)`. Its
/// readers stop when a bound is reached and say so, beside the rows read
/// and a cursor to continue: `page()` and `fill_page(n)` in
/// [`Page::budget_reached`], `all()`, `first()` and `count()` in a
/// [`Bounded`] result.
#[must_use = "a query does nothing until it is run"]
pub struct WithBudget<B> {
    pub(super) inner: B,
    pub(super) budget: ReadBudget,
}

impl<B> WithBudget<B> {
    /// The budget the readers keep to.
    pub fn read_budget(&self) -> ReadBudget {
        self.budget
    }
}

/// The spec, start key and meter of a budgeted read; a capacity bound makes
/// every request ask for the capacity it consumes.
fn prepared(
    budget: ReadBudget,
    entity: &'static str,
    build: impl FnOnce() -> Result<(Spec, Option<Item>)>,
) -> Result<(Spec, Option<Item>, Meter)> {
    budget.check(entity)?;
    let (mut spec, start) = build()?;
    if budget.read_capacity().is_some() {
        spec.capacity = true;
    }
    Ok((spec, start, Meter::new(budget)))
}

fn bounded<T>(page: Page<T>) -> Bounded<Vec<T>> {
    Bounded {
        value: page.items,
        cursor: page.cursor,
        budget_reached: page.budget_reached,
        capacity: page.capacity,
    }
}

fn first<T>(page: Page<T>) -> Bounded<Option<T>> {
    let b = bounded(page);
    Bounded {
        value: b.value.into_iter().next(),
        cursor: b.cursor,
        budget_reached: b.budget_reached,
        capacity: b.capacity,
    }
}

/// The readers, the same for queries and scans: `$prepare` turns the
/// wrapped builder into a spec and start key.
macro_rules! budgeted_readers {
    ($prepare:ident) => {
        /// One page, as `page()` reads it; with a filter and a readable
        /// cursor, the requests the filter empties are followed only while
        /// the budget lasts.
        pub fn page(self) -> BoxFuture<'r, Result<Page<D::Output>>>
        where
            D: ReadsIndex<I>,
        {
            Box::pin(async move {
                let (spec, start, mut meter) = self.$prepare()?;
                let limit = self.inner.common.limit;
                super::pager::one_page::<D>(&spec, start, limit, Some(&mut meter)).await
            })
        }

        /// Up to `n` matching rows, reading pages while the budget lasts.
        pub fn fill_page(self, n: usize) -> BoxFuture<'r, Result<Page<D::Output>>>
        where
            D: ReadsIndex<I>,
        {
            Box::pin(async move {
                let (spec, start, mut meter) = self.$prepare()?;
                fill::<D>(&spec, start, n, Some(&mut meter)).await
            })
        }

        /// Every matching row (at most `limit`) the budget allows.
        pub fn all(self) -> BoxFuture<'r, Result<Bounded<Vec<D::Output>>>>
        where
            D: ReadsIndex<I>,
        {
            Box::pin(async move {
                let (spec, start, mut meter) = self.$prepare()?;
                let n = self.inner.common.limit.unwrap_or(usize::MAX);
                Ok(bounded(fill::<D>(&spec, start, n, Some(&mut meter)).await?))
            })
        }

        /// The first matching row, if the budget reaches one: `None` with
        /// `budget_reached` set means none was found *yet*.
        pub fn first(self) -> BoxFuture<'r, Result<Bounded<Option<D::Output>>>>
        where
            D: ReadsIndex<I>,
        {
            Box::pin(async move {
                let (spec, start, mut meter) = self.$prepare()?;
                Ok(first(fill::<D>(&spec, start, 1, Some(&mut meter)).await?))
            })
        }

        /// The number of matching items the budget reaches; with
        /// `budget_reached` set, the cursor continues the count.
        pub fn count(mut self) -> BoxFuture<'r, Result<Bounded<u64>>> {
            Box::pin(async move {
                self.inner.common.counting = true;
                let (spec, start, mut meter) = self.$prepare()?;
                let counted = count_all(&spec, start, Some(&mut meter)).await?;
                Ok(Bounded {
                    value: counted.count,
                    cursor: counted.cursor,
                    budget_reached: counted.budget_reached,
                    capacity: counted.capacity,
                })
            })
        }
    };
}

impl<'r, T: Entity, S: 'r, D: Decoder, I: 'r> WithBudget<Query<'r, T, S, D, I>> {
    fn prepare_query(&self) -> Result<(Spec, Option<Item>, Meter)> {
        prepared(self.budget, T::SCHEMA.entity, || {
            let spec = self.inner.build()?;
            let start = self.inner.common.start_key(&spec)?;
            Ok((spec, start))
        })
    }

    budgeted_readers!(prepare_query);
}

impl<'r, T: Entity, D: Decoder, I: 'r> WithBudget<Scan<'r, T, D, I>> {
    /// Pages and cursors are per segment: a parallel scan is refused.
    fn prepare_scan(&self) -> Result<(Spec, Option<Item>, Meter)> {
        prepared(self.budget, T::SCHEMA.entity, || {
            self.inner.single_segment()?;
            let spec = self.inner.build()?;
            let start = self.inner.common.start_key(&spec)?;
            Ok((spec, start))
        })
    }

    budgeted_readers!(prepare_scan);
}
