//! What a batch reports while it runs ([`BatchProgress`], after every
//! request and retry decision, to the `on_progress` callback and `tracing`)
//! and when it ends ([`BatchStats`]).

use super::checkpoint::BatchCheckpoint;
use std::time::Duration;

/// Counts of a batch so far, passed to the `on_progress` callback after
/// every request and every retry decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchProgress {
    /// Requests sent (attempts, retries included).
    pub requests: u64,
    /// Chunks finished (written or read completely, or given up).
    pub chunks_done: u64,
    /// Write requests applied, or keys read (found or not).
    pub processed: u64,
    /// Retries scheduled (each one a delay, then a request).
    pub retries: u64,
    /// Write requests or keys DynamoDB returned as unprocessed so far (each
    /// time counted).
    pub unprocessed_returned: u64,
    /// Write requests or keys given up on (they will be in the error).
    pub failed: u64,
    /// The input positions of a batch write confirmed as written so far (with
    /// those a resumed batch started from); empty for batch gets. Keep the
    /// latest one to resume a batch whose future was dropped; each report's
    /// checkpoint holds every position of the one before.
    pub checkpoint: BatchCheckpoint,
    /// What just happened.
    pub event: BatchEvent,
}

/// The step a [`BatchProgress`] report follows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchEvent {
    /// No step yet.
    #[default]
    Started,
    /// A request came back: `processed` done, `unprocessed` left (for an
    /// error response, all of it).
    Response {
        /// Write requests or keys processed by this request.
        processed: usize,
        /// Write requests or keys left.
        unprocessed: usize,
    },
    /// A retry of `pending` write requests or keys after `delay`.
    Retrying {
        /// The retry's number, 0 for the first retry.
        retry: u32,
        /// The delay before it, `random(0, min(cap, base * 2^retry))`.
        delay: Duration,
        /// How many are resent.
        pending: usize,
    },
    /// A chunk ended with `left` write requests or keys not processed.
    ChunkDone {
        /// Not processed (0 when the chunk is complete).
        left: usize,
    },
}

/// Totals of a finished batch.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct BatchStats {
    /// Write requests applied, or keys read (found or not).
    pub processed: u64,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Retries.
    pub retries: u64,
    /// Write requests or keys DynamoDB returned as unprocessed (each time counted).
    pub unprocessed_returned: u64,
    /// The capacity every request consumed, summed (retries included), when
    /// it was asked for (`.return_consumed_capacity()` or the client's
    /// setting; see [`crate::capacity`]); `None` otherwise.
    pub capacity: Option<crate::capacity::Capacity>,
}

impl From<&BatchProgress> for BatchStats {
    fn from(p: &BatchProgress) -> Self {
        BatchStats {
            processed: p.processed,
            requests: p.requests,
            retries: p.retries,
            unprocessed_returned: p.unprocessed_returned,
            capacity: None,
        }
    }
}
