//! Query and scan builders: typed key conditions, filters, projections,
//! indexes, pages with opaque cursors, and streams.
//!
//! The module is split by concern: `decode` (how items become rows),
//! `spec` (rendering a builder into requests), `pager` (following pages),
//! `query` and `scan` (the builders) and `cursor` (page cursors).

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
        pub async fn first(self) -> Result<Option<D::Output>> {
            let mut rows = self.stream();
            rows.try_next().await
        }
    };
}

mod cursor;
mod decode;
mod pager;
// The house layout names the `Query` builder's file query.rs.
#[allow(clippy::module_inception)]
mod query;
mod scan;
mod spec;

pub use cursor::CursorKey;
pub use decode::{AsCollection, AsEntity, AsProjection, Decoder, Projection, Raw};
pub use pager::Page;
pub use query::Query;
pub use scan::{Scan, MAX_SEGMENTS, MAX_SEGMENTS_IN_FLIGHT};
