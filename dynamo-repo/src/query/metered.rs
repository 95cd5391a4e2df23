//! A row stream that keeps the running total of the capacity its pages
//! consumed: what `stream_with_capacity()` returns.

use crate::capacity::Capacity;
use crate::error::Result;
use futures::stream::{BoxStream, Stream, StreamExt};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// The rows of a query or scan, as a stream (like `stream()`), with the
/// capacity the requests sent so far consumed: read it at any time with
/// [`capacity`](Self::capacity), during the stream or after it ended.
///
/// ```rust,no_run
/// # use dynamo_repo::Entity;
/// # #[derive(Entity, Debug)] #[dynamo(table = "users")]
/// # struct User { #[dynamo(partition_key)] org: String, #[dynamo(sort_key)] id: String }
/// # async fn demo(users: dynamo_repo::Repository<User>) -> dynamo_repo::Result<()> {
/// use futures::TryStreamExt;
/// let mut rows = users.query("acme").stream_with_capacity();
/// while let Some(user) = rows.try_next().await? {
///     if rows.capacity().total() > 100.0 {
///         break; // read enough for now
///     }
/// }
/// println!("{} RCU", rows.capacity().total());
/// # Ok(()) }
/// ```
pub struct CapacityStream<T> {
    rows: BoxStream<'static, Result<T>>,
    total: Arc<Mutex<Capacity>>,
}

impl<T> CapacityStream<T> {
    pub(crate) fn new(rows: BoxStream<'static, Result<T>>, total: Arc<Mutex<Capacity>>) -> Self {
        CapacityStream { rows, total }
    }

    /// The capacity the requests sent so far consumed, summed (every
    /// segment's, for a parallel scan).
    pub fn capacity(&self) -> Capacity {
        self.total.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl<T> Stream for CapacityStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().rows.poll_next_unpin(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

impl<T> std::fmt::Debug for CapacityStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapacityStream")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}
