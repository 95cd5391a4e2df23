//! Query and scan builders: typed key conditions, filters, projections,
//! indexes, pages with opaque cursors, and streams.
//!
//! `repo.query(partition_key)` and `repo.scan()` (and `repo.query_index(index,
//! partition_key)` / `repo.scan_index(index)`) build a request; sort-key
//! conditions and filters are typed (see [`crate::expr`]), and every builder
//! shows the SDK request it would send with `.to_request()`.
//!
//! ```rust,no_run
//! # use dynamo_repo::{Client, Condition, Entity, Projection};
//! #[derive(Entity, Debug)]
//! #[dynamo(
//!     table = "events",
//!     gsi(name = "by_status", partition_key = status, sort_key = date),
//!     lsi(name = "by_size", sort_key = size, include(name)),
//! )]
//! struct Event {
//!     #[dynamo(partition_key)] stream: String,
//!     #[dynamo(sort_key)] seq: u64,
//!     name: String,
//!     status: String,
//!     date: String,
//!     size: u64,
//!     tags: Vec<String>,
//! }
//!
//! /// Some fields of `Event`, checked against it at compile time.
//! #[derive(Projection, Debug)]
//! #[dynamo(entity = Event)]
//! struct EventName { seq: u64, name: String }
//!
//! # async fn demo(repo: dynamo_repo::Repository<Event>) -> dynamo_repo::Result<()> {
//! let f = Event::fields();
//!
//! // Queries: typed sort-key conditions, filters built from parts known at run time.
//! let wanted: Option<Condition<Event>> = Some(f.tags.contains("late"));
//! let rows: Vec<Event> = repo
//!     .query("s")
//!     .sort_key(|k| k.between(10, 20))
//!     .filter(Condition::all([wanted, Some(f.size.gt(3))]))
//!     .descending()
//!     .all()
//!     .await?;
//!
//! // Indexes are typed handles: an undeclared index does not compile.
//! let done = repo.query_index(Event::indexes().by_status, "done").sort_key(|k| k.begins_with("2026-")).first().await?;
//!
//! // Pages with opaque cursors for a web API; fill_page collects N matching rows across pages.
//! let page = repo.query("s").filter(f.status.eq("done")).fill_page(25).await?;
//! if let Some(cursor) = page.cursor {
//!     let next = repo.query("s").filter(f.status.eq("done")).start_from(cursor).fill_page(25).await?;
//! }
//!
//! // Projections decode only what was asked; a lazy stream holds one page at a time.
//! let names: Vec<EventName> = repo.query_index(Event::indexes().by_size, "s").project::<EventName>().all().await?;
//! use futures::TryStreamExt;
//! let mut stream = repo.scan().segments(4).stream(); // parallel scan, each item once
//! while let Some(event) = stream.try_next().await? { /* ... */ }
//! # Ok(()) }
//! ```
//!
//! # Results
//!
//! `.all()` (every row, following pages; it asks for the next page before
//! decoding the current one, so decoding overlaps DynamoDB's read), `.first()`, `.page()` (one
//! request; `Page { items, cursor }`, where a cursor means more rows *may*
//! follow, as DynamoDB also returns one when results end exactly at the limit),
//! `.fill_page(n)` (up to `n` matching rows across pages, the cursor just after
//! the last one), `.stream()` and `.count()`. Empty filtered pages are followed,
//! never mistaken for the end. With `.return_consumed_capacity()` (or a
//! client that asks, see [`crate::capacity`]) a page carries the capacity
//! its requests consumed in [`Page::capacity`]; `.all_with_capacity()`
//! returns the rows with the capacity of every page, summed. A request
//! carries only what differs from DynamoDB's defaults: no
//! `ConsistentRead=false`, no `Select` but for `count()`, no
//! `ReturnConsumedCapacity` unless asked.
//!
//! # Cursors
//!
//! Cursors are opaque URL-safe text holding only the key of the last row the
//! caller received (never a row a filter removed, never a table, index or
//! entity name). A cursor whose partition is not the query's is refused before
//! sending. What else is guaranteed depends on the cursor key (see
//! [Page cursors](#page-cursors) below):
//!
//! - **No key (the default):** a checksum catches corruption, truncation and a
//!   cursor of another table, index or entity, but it is **not** a signature:
//!   anyone can mint a cursor that is accepted (choosing where a scan starts, or
//!   skipping rows of a partition) and read the keys inside. Fine inside your
//!   process; configure a key before a cursor reaches a web client.
//! - **[`CursorKey::signing`]** (32+ random bytes): cursors are authenticated
//!   with HMAC-SHA256 and bound to their query (table, index, entity, key
//!   condition and partition value, filter and its values, projection, order).
//!   A forged, altered, truncated or replayed-elsewhere cursor is a
//!   [`ValidationErrorKind::InvalidCursor`](crate::ValidationErrorKind::InvalidCursor)
//!   error before anything is sent. The key of the last returned row stays readable.
//! - **[`CursorKey::encrypting`]**: the same, and encrypted (XChaCha20-Poly1305),
//!   so nothing inside can be read; a filtered `.page()` is then one request and
//!   may come back empty.
//!
//! `fill_page(0)`, `page_size(0)`, `limit(0)` and `.segments(n)` above
//! DynamoDB's 1,000,000 are `ValidationErrorKind::OutOfRange` errors; a parallel
//! scan reads at most 16 segments at a time. `.per_row_errors()` yields each row
//! as a `Result`, so one undecodable item does not fail the whole call.
//!
//! # Indexes and projections
//!
//! Index rows decode as the entity only from an index that projects all
//! attributes; read a keys-only or include index into a `#[derive(Projection)]`
//! type or raw maps (`.project_raw(...)`), so missing fields are never invented.
//! The index handles of `T::indexes()` carry their projection
//! ([`AllAttributes`](crate::AllAttributes), [`KeysOnly`](crate::KeysOnly),
//! [`Include`](crate::Include)), so reading a keys-only or include index as
//! whole items is a compile error naming the index:
//!
//! ```text
//! error[E0277]: index `Event_by_owner` projects keys only: read it with a #[derive(Projection)] struct (`.project::<P>()`), raw maps (`.project_raw(..)`) or `.count()`
//! ```
//!
//! (the readers that decode rows, `all`, `page`, `fill_page`, `first` and
//! `stream`, carry the bound, so it is reported once, at the call; `count`
//! and `to_request` do not). A projection is checked against what an
//! include index holds when the request is built: a field it does not hold
//! is a [`ValidationErrorKind::InvalidIndex`](crate::ValidationErrorKind::InvalidIndex)
//! error before anything is sent, as is reading whole items through a handle
//! made at run time from a schema (`Index::new`), whose projection the
//! compiler does not know.
//! A typed projection (`.project::<P>()`) of an entity with an entity type reads
//! the type attribute too: an item of another type in the partition is a
//! `WrongEntityType` decode error, as it is for whole entities.
//! A nested `Option<Struct>` field is addressed as a whole (`f.geo`), not field by field.
//! Single-table collections (several entity types in one query) are in
//! [`crate::single_table`].
//! A global index keyed on several attributes
//! (`gsi(partition_key = [region, status], sort_key = [created, id])`) is
//! queried with `query_index_keys` and `.sort_keys(...)`: see [`multi_key`].
//!
//! # Page cursors
//!
//! [`Page::cursor`] is opaque, URL-safe text that says where the next page
//! starts; [`CursorKey`], the application's key, makes cursors unforgeable
//! (and, optionally, unreadable). Hand one back with `.start_from(cursor)`.
//!
//! ## What a cursor holds
//!
//! A cursor holds the key attributes of the last row of its page (for an
//! index: the index keys and the table keys), as DynamoDB's
//! `ExclusiveStartKey` needs them, and nothing else: no table, index or
//! entity name. It never holds the key of a row the caller did not receive:
//! for a filtered page the cursor resumes right after the last row
//! *returned*, not after the last row DynamoDB read (which may be one the
//! filter removed). So with a filter and a readable cursor, `.page()` reads
//! on through requests the filter emptied until it has a row or the results
//! end, and the next page re-reads the rows after the last one returned.
//! The one exception is an encrypting key (below): the cursor is unreadable,
//! so a filtered `.page()` stays one request, may come back empty, and its
//! cursor may hold the last key DynamoDB read.
//!
//! ## Without a key (the default)
//!
//! Cursors carry a checksum over their bytes and their scope (table, index,
//! entity, query or scan). That catches corruption, truncation, casual edits
//! and a cursor handed to another table, index or entity; it is **not** a
//! signature: anyone who reads this source can mint a cursor that is
//! accepted, so a client can choose where a scan starts, or skip rows of a
//! query's partition, and can read the keys inside (base64). The library
//! still refuses a cursor whose partition key is not the query's, before
//! sending. Configure a key for any cursor that leaves your process.
//!
//! ## With a key
//!
//! [`Client::with_cursor_key`](crate::Client::with_cursor_key) (or a
//! builder's `.cursor_key(..)`) authenticates every cursor with
//! HMAC-SHA256 under a key derived from the application's secret, bound to
//! the query it came from: table, index, entity, query or scan, the key
//! condition and its values (so the partition value), the filter and its
//! values, the attributes read and the order. A forged, altered, truncated
//! or replayed-elsewhere cursor (another partition, filter or index, or
//! another secret) is a [`ValidationErrorKind::InvalidCursor`](crate::ValidationErrorKind::InvalidCursor)
//! error before anything is sent (the page size and limit are not part of
//! the binding: a client may ask for more or fewer rows per page).
//! [`CursorKey::encrypting`] also encrypts the cursor (XChaCha20-Poly1305
//! with a random nonce), so the keys inside cannot be read either. A cursor
//! made without a key is refused by a query that has one, and the reverse.
//!
//! ```
//! use dynamo_repo::{Client, CursorKey};
//! # fn secret_from_your_vault() -> Vec<u8> { vec![7; 32] }
//! let key = CursorKey::encrypting(secret_from_your_vault())?; // 32 bytes or more
//! let client = Client::local("http://localhost:8000").with_cursor_key(key);
//! # Ok::<(), dynamo_repo::Error>(())
//! ```
//!
//! Configure the key before making repositories: each repository keeps the
//! client it was made from. Rotating the secret:
//! `CursorKey::encrypting(new)?.also_accepting(old)` signs with the new secret
//! and still accepts cursors of the old one. Cursors do not expire on their
//! own; a cursor replayed to the *same* query resumes it, by design.
//!
//! # Layout of this module
//!
//! The module is split by concern: `decode` (how items become rows),
//! `spec` (rendering a builder into requests), `pager` (following pages),
//! `query` and `scan` (the builders), `cursor` (page cursors) and `binding`
//! (what a signed cursor is bound to).

macro_rules! shared_builder_methods {
    () => {
        /// Keeps only rows matching `condition` (applied by DynamoDB after
        /// reading: a page can come back short or empty). Repeated calls add
        /// conditions that must all hold.
        pub fn filter(mut self, condition: Condition<T>) -> Self {
            self.common.add_filter(condition);
            self
        }

        /// Returns at most `n` rows in all (`all`, `stream`), or per `page`.
        pub fn limit(mut self, n: usize) -> Self {
            self.common.limit = Some(n);
            self
        }

        /// Reads at most `n` items per request (DynamoDB's `Limit`, counted
        /// before the filter).
        pub fn page_size(mut self, n: u32) -> Self {
            self.common.page_size = Some(n);
            self
        }

        /// Strongly consistent reads (not available on global indexes).
        pub fn consistent_read(mut self, consistent: bool) -> Self {
            self.common.consistent = consistent;
            self
        }

        /// Asks every request for the capacity it consumes (also set for
        /// every call by [`Client::with_consumed_capacity`](crate::Client::with_consumed_capacity)):
        /// [`Page::capacity`] then holds it, and the `tracing` span of each
        /// request records it. `all_with_capacity()` asks by itself.
        pub fn return_consumed_capacity(mut self) -> Self {
            self.common.capacity = true;
            self
        }

        /// Bounds the read by `budget` (requests, items evaluated, read
        /// capacity units): the readers of what this returns stop at a bound
        /// and say so beside the rows and a cursor. See [`budget`](crate::query::budget).
        pub fn budget(self, budget: crate::query::ReadBudget) -> crate::query::WithBudget<Self> {
            crate::query::WithBudget {
                inner: self,
                budget,
            }
        }

        /// Starts after the position a previous [`Page::cursor`] points at.
        pub fn start_from(mut self, cursor: impl Into<String>) -> Self {
            self.common.cursor = Some(cursor.into());
            self
        }

        /// Signs (or encrypts) this builder's cursors with `key`, and accepts
        /// only cursors made with it, instead of the client's
        /// [`Client::with_cursor_key`](crate::Client::with_cursor_key).
        pub fn cursor_key(mut self, key: CursorKey) -> Self {
            self.common.cursor_key = Some(key);
            self
        }

        /// The first matching row, if any (pages on through empty filtered pages).
        pub fn first(self) -> crate::repository::BoxFuture<'r, Result<Option<D::Output>>>
        where
            D: ReadsIndex<I>,
            I: 'r,
        {
            let mut rows = self.stream();
            Box::pin(async move { rows.try_next().await })
        }
    };
}

mod binding;
mod bounded;
pub mod budget;
mod cursor;
mod decode;
mod metered;
pub mod multi_key;
mod pager;
// The house layout names the `Query` builder's file query.rs.
#[allow(clippy::module_inception)]
mod query;
mod scan;
mod spec;

pub use bounded::WithBudget;
pub use budget::{Bounded, BudgetKind, BudgetReached, ReadBudget};
pub use cursor::CursorKey;
pub use decode::{
    AsCollection, AsEntity, AsProjection, Decoder, PerRow, Projection, Raw, ReadsIndex,
};
pub use metered::CapacityStream;
pub use pager::Page;
pub use query::Query;
pub use scan::{Scan, MAX_SEGMENTS, MAX_SEGMENTS_IN_FLIGHT};
