//! Consumed capacity: asked for only when you want it, and then returned to
//! you, summed over every request of a call.
//!
//! DynamoDB reports the read and write capacity units a request consumed only
//! when the request asks for them (`ReturnConsumedCapacity`). Asking is not
//! free everywhere (DynamoDB Local spends real time on it), so the library
//! does **not** ask by default: a request carries exactly the options whose
//! answer the caller (or the library itself) uses. Ask in one of two ways:
//!
//! - **Per client:** [`ClientBuilder::consumed_capacity(true)`](crate::ClientBuilder::consumed_capacity)
//!   or [`Client::with_consumed_capacity(true)`](crate::Client::with_consumed_capacity):
//!   every request of every repository made from that client asks.
//! - **Per call:** `.return_consumed_capacity()` on a query, scan, batch,
//!   unit of work, `get`, `put`, `update` or `delete`.
//!
//! What was consumed then comes back with the result, as a [`Capacity`]
//! (the total, per table, and per index when DynamoDB gives it), and goes
//! to the `db.consumed_capacity` field of the request's `tracing` span:
//!
//! | Call | Where the capacity is |
//! |---|---|
//! | `query(..).page()` / `fill_page(n)`, `scan()` likewise | [`Page::capacity`](crate::Page::capacity), summed over the requests of the page |
//! | `query(..).all_with_capacity()`, `scan().all_with_capacity()` | [`WithCapacity::capacity`], summed over every page |
//! | `batch_put`, `batch_get`, ... | [`BatchStats::capacity`](crate::BatchStats::capacity), summed over every request and retry |
//! | `unit_of_work.commit()` | [`Committed::capacity`](crate::Committed::capacity) |
//! | `get`, `put`, `update`, `delete` | `.return_consumed_capacity()` turns the call's result into a [`WithCapacity`] |
//!
//! Without either setting nothing is asked, the `Option`s above are `None`
//! and the span field stays empty. A per-call `.return_consumed_capacity()`
//! asks even on a client that does not.
//!
//! ```rust,no_run
//! # use dynamo_repo::{Client, Entity};
//! # #[derive(Entity, Debug)] #[dynamo(table = "users")]
//! # struct User { #[dynamo(partition_key)] org: String, #[dynamo(sort_key)] id: String }
//! # async fn demo(client: Client, user: User) -> dynamo_repo::Result<()> {
//! let users = client.repository::<User>();
//! let put = users.put(&user).return_consumed_capacity().await?;
//! println!("the put cost {} WCU", put.capacity.total());
//!
//! let rows = users.query("acme").all_with_capacity().await?;
//! println!("{} rows for {} RCU", rows.value.len(), rows.capacity.total());
//!
//! let stats = users.batch_put(&[user]).return_consumed_capacity().await?;
//! let units = stats.capacity.map_or(0.0, |c| c.total());
//! # Ok(()) }
//! ```

use aws_sdk_dynamodb::types::ConsumedCapacity;
use std::collections::BTreeMap;

/// The capacity units some requests consumed: the total, per table, and per
/// index when DynamoDB reports it. Adds up across pages, chunks and retries
/// (`+=`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Capacity {
    total: f64,
    tables: BTreeMap<String, f64>,
    indexes: BTreeMap<(String, String), f64>,
}

impl Capacity {
    /// No capacity.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the SDK's `ConsumedCapacity` entries (one per table) say.
    pub fn from_sdk<'a>(entries: impl IntoIterator<Item = &'a ConsumedCapacity>) -> Self {
        let mut capacity = Capacity::default();
        for entry in entries {
            capacity.add_sdk(entry);
        }
        capacity
    }

    /// Adds one SDK `ConsumedCapacity` entry.
    pub fn add_sdk(&mut self, entry: &ConsumedCapacity) {
        let units = entry.capacity_units().unwrap_or(0.0);
        self.total += units;
        if let Some(table) = entry.table_name() {
            *self.tables.entry(table.to_owned()).or_default() += units;
            let indexes = entry
                .global_secondary_indexes()
                .into_iter()
                .chain(entry.local_secondary_indexes())
                .flat_map(|m| m.iter());
            for (index, c) in indexes {
                *self
                    .indexes
                    .entry((table.to_owned(), index.clone()))
                    .or_default() += c.capacity_units().unwrap_or(0.0);
            }
        }
    }

    /// Capacity units consumed in all.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// Units consumed in `table` (0 when it was not reported).
    pub fn table(&self, table: &str) -> f64 {
        self.tables.get(table).copied().unwrap_or(0.0)
    }

    /// Every table reported, with its units, by name.
    pub fn tables(&self) -> impl Iterator<Item = (&str, f64)> + '_ {
        self.tables.iter().map(|(t, u)| (t.as_str(), *u))
    }

    /// Units consumed in `index` of `table`, when DynamoDB reported indexes
    /// (it does only for `ReturnConsumedCapacity=INDEXES`, which you can set
    /// on a request from `to_request()`).
    pub fn index(&self, table: &str, index: &str) -> Option<f64> {
        self.indexes
            .get(&(table.to_owned(), index.to_owned()))
            .copied()
    }
}

impl std::ops::AddAssign<&Capacity> for Capacity {
    fn add_assign(&mut self, other: &Capacity) {
        self.total += other.total;
        for (table, units) in &other.tables {
            *self.tables.entry(table.clone()).or_default() += units;
        }
        for (key, units) in &other.indexes {
            *self.indexes.entry(key.clone()).or_default() += units;
        }
    }
}

impl std::ops::AddAssign<Capacity> for Capacity {
    fn add_assign(&mut self, other: Capacity) {
        *self += &other;
    }
}

/// A call's result with the capacity its requests consumed: what a call
/// returns after `.return_consumed_capacity()` (on a single-item request)
/// or `.all_with_capacity()` (on a query or scan).
#[derive(Debug, Clone, PartialEq)]
pub struct WithCapacity<T> {
    /// What the call returns without capacity.
    pub value: T,
    /// What its requests consumed.
    pub capacity: Capacity,
}

/// Adds an optional capacity to an optional sum (`None` + `None` stays `None`).
pub(crate) fn add(sum: &mut Option<Capacity>, more: Option<Capacity>) {
    if let Some(more) = more {
        *sum.get_or_insert_with(Capacity::default) += more;
    }
}

/// The `ReturnConsumedCapacity` to send: `TOTAL` when asked, else nothing.
pub(crate) fn request(asked: bool) -> Option<aws_sdk_dynamodb::types::ReturnConsumedCapacity> {
    asked.then_some(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
}

/// What a response reports, recorded on the current span: `None` when the
/// request did not ask.
pub(crate) fn record(entries: &[ConsumedCapacity]) -> Option<Capacity> {
    if entries.is_empty() {
        return None;
    }
    let capacity = Capacity::from_sdk(entries);
    tracing::Span::current().record("db.consumed_capacity", capacity.total);
    Some(capacity)
}

/// [`record`] for a response with one optional entry.
pub(crate) fn record_one(entry: Option<&ConsumedCapacity>) -> Option<Capacity> {
    record(entry.map(std::slice::from_ref).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(table: &str, units: f64) -> ConsumedCapacity {
        ConsumedCapacity::builder()
            .table_name(table)
            .capacity_units(units)
            .build()
    }

    #[test]
    fn sums_per_table_and_in_total() {
        let mut c = Capacity::from_sdk(&[entry("a", 1.5), entry("b", 2.0)]);
        c += Capacity::from_sdk(&[entry("a", 0.5)]);
        assert_eq!(c.total(), 4.0);
        assert_eq!(c.table("a"), 2.0);
        assert_eq!(c.table("b"), 2.0);
        assert_eq!(c.table("c"), 0.0);
        assert_eq!(c.tables().collect::<Vec<_>>(), [("a", 2.0), ("b", 2.0)]);
        let mut none = None;
        add(&mut none, None);
        assert_eq!(none, None);
        add(&mut none, Some(c.clone()));
        add(&mut none, Some(c));
        assert_eq!(none.map(|c| c.total()), Some(8.0));
    }

    #[test]
    fn reads_indexes_when_given() {
        let gsi = aws_sdk_dynamodb::types::Capacity::builder()
            .capacity_units(3.0)
            .build();
        let e = ConsumedCapacity::builder()
            .table_name("t")
            .capacity_units(4.0)
            .global_secondary_indexes("by_x", gsi)
            .build();
        let c = Capacity::from_sdk([&e]);
        assert_eq!(c.index("t", "by_x"), Some(3.0));
        assert_eq!(c.index("t", "by_y"), None);
    }
}
