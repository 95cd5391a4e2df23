//! What a backfill reports while it runs ([`BackfillProgress`]), when it
//! ends ([`BackfillStats`]), and when it stops on an error
//! ([`BackfillError`], carrying the checkpoint to resume from).

use super::checkpoint::BackfillCheckpoint;
use crate::capacity::Capacity;
use crate::error::{BoxError, Error};
use std::fmt;

/// Counts of one scan segment (or, summed, of the whole run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmentCounts {
    /// Items the scan returned (after the run's filter) and handed to the function.
    pub scanned: u64,
    /// Items DynamoDB read to find them (`ScannedCount`, before the filter).
    pub evaluated: u64,
    /// Items written (updated, replaced or deleted).
    pub changed: u64,
    /// Items the function left alone ([`Action::skip`](crate::backfill::Action::skip)).
    pub skipped: u64,
    /// Writes refused by their condition (someone else changed or deleted
    /// the item since it was read, or it no longer needs migrating): counted,
    /// not fatal, the item left as it is.
    pub failed: u64,
    /// Pages finished (each one moved the segment's checkpoint).
    pub pages: u64,
    /// Requests retried (scan pages and writes) after a throttle or a
    /// transient error.
    pub retries: u64,
}

impl std::ops::AddAssign<&SegmentCounts> for SegmentCounts {
    fn add_assign(&mut self, o: &SegmentCounts) {
        self.scanned += o.scanned;
        self.evaluated += o.evaluated;
        self.changed += o.changed;
        self.skipped += o.skipped;
        self.failed += o.failed;
        self.pages += o.pages;
        self.retries += o.retries;
    }
}

/// A backfill so far, passed to the `on_progress` callback after every
/// finished page (and once at the start).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BackfillProgress {
    /// The counts of this run (not of the runs before a resume), summed
    /// over the segments.
    pub total: SegmentCounts,
    /// The counts per segment, segment 0 first.
    pub segments: Vec<SegmentCounts>,
    /// Where every segment got to: persist it to resume after a crash.
    pub checkpoint: BackfillCheckpoint,
    /// The segment whose page just finished (`None` for the first report).
    pub segment: Option<u32>,
}

/// Totals of a finished backfill.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BackfillStats {
    /// The counts of this run, summed over the segments.
    pub total: SegmentCounts,
    /// The counts per segment.
    pub segments: Vec<SegmentCounts>,
    /// The capacity every request consumed (retries included), when it was
    /// asked for: with a [`RateLimit`](crate::backfill::RateLimit) or the
    /// client's setting (see [`crate::capacity`]); `None` otherwise.
    pub capacity: Option<Capacity>,
    /// The final checkpoint: every segment done.
    pub checkpoint: BackfillCheckpoint,
}

/// Why a backfill stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum StopCause {
    /// A request failed with an error that retrying does not fix, or its
    /// retries ran out (a throttle, a timeout), or an item did not decode.
    Dynamo(Error),
    /// The function returned an error for an item.
    Function(BoxError),
}

/// A backfill that stopped on an error: the cause, and the checkpoint from
/// which a new run (after fixing the cause) resumes without skipping an item.
///
/// A write refused by its condition is not an error (it is counted in
/// [`SegmentCounts::failed`]); everything else stops the run.
#[derive(Debug)]
pub struct BackfillError {
    /// What went wrong.
    pub cause: StopCause,
    /// The scan segment it happened in.
    pub segment: u32,
    /// Where every segment got to: resume from here.
    pub checkpoint: BackfillCheckpoint,
    /// The counts so far.
    pub progress: BackfillProgress,
}

impl BackfillError {
    /// The library error that stopped the run, if the cause is one.
    pub fn as_dynamo(&self) -> Option<&Error> {
        match &self.cause {
            StopCause::Dynamo(e) => Some(e),
            StopCause::Function(_) => None,
        }
    }
}

impl fmt::Display for BackfillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let done = self.checkpoint.segments_done();
        let total = self.checkpoint.total_segments();
        match &self.cause {
            StopCause::Dynamo(e) => write!(f, "backfill stopped in segment {}: {e}", self.segment)?,
            StopCause::Function(e) => write!(
                f,
                "backfill stopped in segment {}: the function failed: {e}",
                self.segment
            )?,
        }
        write!(
            f,
            " ({done} of {total} segments done; resume from the error's checkpoint)"
        )
    }
}

impl std::error::Error for BackfillError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            StopCause::Dynamo(e) => Some(e),
            StopCause::Function(e) => Some(e.as_ref()),
        }
    }
}
