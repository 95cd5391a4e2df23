//! Where a batch write got to: the input positions DynamoDB confirmed, kept
//! small enough to store after every request, so that an import that was
//! cancelled, killed or stopped resumes without skipping an item.
//!
//! A batch numbers its input from 0 in the order it is given (an iterator's
//! or a stream's order). A position enters the [`BatchCheckpoint`] only when
//! a `BatchWriteItem` response says that write was processed (not returned
//! in `UnprocessedItems`), so every position it holds is durably written.
//! Positions are kept as a completed prefix (every position below it is
//! written) and the sorted ranges written beyond it; with requests finishing
//! out of order the ranges stay few (about one per request in flight).
//!
//! Resuming with the same input in the same order
//! ([`BatchWrite::resume_from`](crate::batch::BatchWrite::resume_from)) sends
//! only the positions the checkpoint does not hold. What a checkpoint cannot
//! know is the fate of the requests that were in flight when the future was
//! dropped: DynamoDB may have applied them. Those writes are sent again on
//! resume: at most `concurrency` requests of 25 writes, and harmless, since
//! batch writes are unconditional puts and deletes of the same items. A batch
//! stopped with [`BatchWrite::stop_when`](crate::batch::BatchWrite::stop_when)
//! lets those requests finish first, so its checkpoint is exact and the
//! resumed batch sends each remaining write once.
//!
//! The text form (`Display` / `FromStr`, and serde as that string) is
//! `"{prefix}"` or `"{prefix};{start}..{end},{start}..{end}"` with half-open
//! ranges, for example `"1200;1225..1250,1300..1325"`.
//!
//! ```
//! use dynamo_repo::batch::BatchCheckpoint;
//! let checkpoint: BatchCheckpoint = "1200;1225..1250".parse()?;
//! assert_eq!(checkpoint.completed_prefix(), 1200);
//! assert_eq!(checkpoint.completed(), 1225);
//! assert!(checkpoint.is_completed(1230) && !checkpoint.is_completed(1200));
//! assert_eq!(checkpoint.to_string(), "1200;1225..1250");
//! # Ok::<(), dynamo_repo::Error>(())
//! ```

use super::engine::{GetUnit, WriteUnit};
use crate::error::{Error, ValidationError, ValidationErrorKind};
use aws_sdk_dynamodb::types::WriteRequest;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

/// The input positions of a batch write that DynamoDB confirmed as written:
/// a completed prefix and the written ranges beyond it.
///
/// Reported after every request in
/// [`BatchProgress::checkpoint`](crate::batch::BatchProgress::checkpoint) and
/// carried by [`BatchIncomplete::checkpoint`](crate::batch::BatchIncomplete::checkpoint);
/// pass it to `resume_from` with the same input to write only the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct BatchCheckpoint {
    /// Every position below this one is written.
    prefix: u64,
    /// Written ranges above `prefix + 1`, sorted, disjoint and not touching.
    ranges: Vec<Range<u64>>,
}

impl BatchCheckpoint {
    /// A checkpoint of a batch that wrote nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A checkpoint saying the first `count` positions are written (for
    /// example a count kept by an older import).
    pub fn from_prefix(count: u64) -> Self {
        BatchCheckpoint {
            prefix: count,
            ranges: Vec::new(),
        }
    }

    /// The number of leading positions that are all written: resuming an
    /// ordered input from here (skipping this many items) never skips an
    /// unwritten item, though it may rewrite some of the later ranges.
    pub fn completed_prefix(&self) -> u64 {
        self.prefix
    }

    /// How many positions are written in all.
    pub fn completed(&self) -> u64 {
        self.prefix + self.ranges.iter().map(|r| r.end - r.start).sum::<u64>()
    }

    /// Whether the write at `position` (counted from 0 in input order) is written.
    pub fn is_completed(&self, position: u64) -> bool {
        if position < self.prefix {
            return true;
        }
        let i = self.ranges.partition_point(|r| r.end <= position);
        self.ranges.get(i).is_some_and(|r| r.start <= position)
    }

    /// The written positions beyond [`completed_prefix`](Self::completed_prefix), as
    /// sorted half-open ranges.
    pub fn completed_ranges(&self) -> &[Range<u64>] {
        &self.ranges
    }

    /// The highest written position plus one (0 when nothing is written).
    pub fn end(&self) -> u64 {
        self.ranges.last().map_or(self.prefix, |r| r.end)
    }

    /// Records `position` as written.
    pub(crate) fn mark(&mut self, position: u64) {
        if position < self.prefix {
            return;
        }
        if position == self.prefix {
            self.prefix += 1;
            if self.ranges.first().is_some_and(|r| r.start == self.prefix) {
                self.prefix = self.ranges.remove(0).end;
            }
            return;
        }
        // The first range ending at or after `position`.
        let i = self.ranges.partition_point(|r| r.end < position);
        match self.ranges.get(i).cloned() {
            Some(r) if r.start <= position && position < r.end => {}
            Some(r) if r.end == position => {
                self.ranges[i].end += 1;
                if self
                    .ranges
                    .get(i + 1)
                    .is_some_and(|n| n.start == position + 1)
                {
                    self.ranges[i].end = self.ranges.remove(i + 1).end;
                }
            }
            Some(r) if r.start == position + 1 => self.ranges[i].start = position,
            _ => self.ranges.insert(i, position..position + 1),
        }
    }

    fn parse_error(text: &str, why: &str) -> Error {
        ValidationError::new(
            ValidationErrorKind::InvalidRequest,
            format!("`{text}` is not a batch checkpoint: {why}"),
        )
        .into()
    }
}

impl fmt::Display for BatchCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.prefix)?;
        for (i, r) in self.ranges.iter().enumerate() {
            let sep = if i == 0 { ';' } else { ',' };
            write!(f, "{sep}{}..{}", r.start, r.end)?;
        }
        Ok(())
    }
}

impl FromStr for BatchCheckpoint {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let bad = |why: &str| Self::parse_error(text, why);
        let (prefix, rest) = match text.split_once(';') {
            Some((p, r)) => (p, Some(r)),
            None => (text, None),
        };
        let prefix: u64 = prefix
            .trim()
            .parse()
            .map_err(|_| bad("the prefix is not a number"))?;
        let mut ranges: Vec<Range<u64>> = Vec::new();
        for part in rest.into_iter().flat_map(|r| r.split(',')) {
            let (start, end) = part
                .trim()
                .split_once("..")
                .ok_or_else(|| bad("a range is not `start..end`"))?;
            let start: u64 = start
                .parse()
                .map_err(|_| bad("a range start is not a number"))?;
            let end: u64 = end
                .parse()
                .map_err(|_| bad("a range end is not a number"))?;
            let after = ranges.last().map_or(prefix, |r| r.end);
            if start <= after || end <= start {
                return Err(bad(
                    "ranges must be non-empty, sorted, apart, and beyond the prefix",
                ));
            }
            ranges.push(start..end);
        }
        Ok(BatchCheckpoint { prefix, ranges })
    }
}

impl From<BatchCheckpoint> for String {
    fn from(c: BatchCheckpoint) -> String {
        c.to_string()
    }
}

impl TryFrom<String> for BatchCheckpoint {
    type Error = Error;

    fn try_from(text: String) -> Result<Self, Error> {
        text.parse()
    }
}

/// A unit whose input position a checkpoint records.
pub(crate) trait Positioned {
    fn position(&self) -> Option<u64>;
}

impl Positioned for WriteUnit<'_> {
    fn position(&self) -> Option<u64> {
        self.position
    }
}

impl Positioned for GetUnit<'_> {
    fn position(&self) -> Option<u64> {
        None
    }
}

/// How a batch write starts and may be stopped: the checkpoint it resumes
/// from (positions already written, skipped by the caller) and a signal that
/// stops it gracefully.
#[derive(Default)]
pub(crate) struct Control<'a> {
    pub(crate) start: BatchCheckpoint,
    pub(crate) stop: Option<BoxFuture<'a, ()>>,
}

/// The sent units that came back unprocessed, found by their request, so
/// that they keep their input positions. DynamoDB returns the requests as
/// sent and mostly in order, so the search starts after the last match. A
/// request not found among those sent loses its position. When nothing came
/// back (the common answer) the sent units are dropped without a look.
pub(crate) fn returned_units<'a>(
    sent: Vec<WriteUnit<'a>>,
    back: impl IntoIterator<Item = (Arc<str>, WriteRequest)>,
) -> Vec<WriteUnit<'a>> {
    let mut back = back.into_iter().peekable();
    if back.peek().is_none() {
        return Vec::new();
    }
    // The sent requests, made again where they were moved into the request.
    let mut sent: Vec<Option<WriteUnit>> = sent
        .into_iter()
        .map(|mut unit| {
            unit.request();
            Some(unit)
        })
        .collect();
    let mut cursor = 0;
    back.map(|(table, request)| {
        let n = sent.len();
        let found = (0..n).map(|k| (cursor + k) % n.max(1)).find(|&i| {
            sent[i]
                .as_mut()
                .is_some_and(|u| u.table == table && *u.request() == request)
        });
        match found.and_then(|i| {
            cursor = i + 1;
            sent[i].take()
        }) {
            Some(unit) => unit,
            None => WriteUnit::kept(table, request, None),
        }
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_in_any_order_merge_into_the_prefix() {
        let mut c = BatchCheckpoint::new();
        for p in [5, 7, 6, 9, 1, 3, 2] {
            c.mark(p);
        }
        assert_eq!(c.to_string(), "0;1..4,5..8,9..10");
        c.mark(0);
        assert_eq!(c.to_string(), "4;5..8,9..10");
        c.mark(4);
        c.mark(8);
        assert_eq!(c.to_string(), "10");
        c.mark(3);
        assert_eq!(c.completed(), 10);
    }

    #[test]
    fn matches_a_set_of_positions_for_every_order() {
        let mut seed = 7u64;
        for _ in 0..200 {
            let mut c = BatchCheckpoint::new();
            let mut set = std::collections::BTreeSet::new();
            for _ in 0..60 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let p = seed % 80;
                c.mark(p);
                set.insert(p);
                assert_eq!(c.completed(), set.len() as u64);
            }
            for p in 0..90 {
                assert_eq!(c.is_completed(p), set.contains(&p), "{p} in {c}");
            }
            let prefix = (0..).take_while(|p| set.contains(p)).count() as u64;
            assert_eq!(c.completed_prefix(), prefix);
            assert_eq!(c.to_string().parse::<BatchCheckpoint>().unwrap(), c);
        }
    }

    #[test]
    fn text_that_is_not_a_checkpoint_is_refused() {
        for bad in [
            "",
            "x",
            "5;3..4",
            "5;7..7",
            "5;7..9,8..10",
            "5;7..9,9..10",
            "5;7-9",
        ] {
            assert!(bad.parse::<BatchCheckpoint>().is_err(), "{bad}");
        }
        assert_eq!(
            "12".parse::<BatchCheckpoint>().unwrap(),
            BatchCheckpoint::from_prefix(12)
        );
    }

    fn put(id: &str) -> WriteRequest {
        use aws_sdk_dynamodb::types::{AttributeValue, PutRequest};
        let item = [("id".to_string(), AttributeValue::S(id.into()))].into();
        WriteRequest::builder()
            .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
            .build()
    }

    #[test]
    fn returned_writes_keep_their_positions_and_strangers_lose_them() {
        let table: Arc<str> = "t".into();
        let sent: Vec<WriteUnit> = ["a", "b", "c", "d"]
            .iter()
            .enumerate()
            .map(|(i, id)| WriteUnit::kept(table.clone(), put(id), Some(10 + i as u64)))
            .collect();
        let back = ["d", "b", "x"].map(|id| (table.clone(), put(id)));
        let units = returned_units(sent, back);
        let positions: Vec<Option<u64>> = units.iter().map(|u| u.position).collect();
        assert_eq!(positions, [Some(13), Some(11), None]);
        // Another table's identical request is not the one sent.
        let sent = vec![WriteUnit::kept(table.clone(), put("a"), Some(0))];
        let units = returned_units(sent, [("other".into(), put("a"))]);
        assert_eq!(units[0].position, None);
    }

    #[test]
    fn moved_requests_are_made_again_for_a_retry_and_to_match_what_came_back() {
        use crate::batch::requests::Rebuild;
        let table: Arc<str> = "t".into();
        let ids = ["a", "b", "c"];
        let again = |i: usize| put(ids[i]);
        let again: Rebuild = &again;
        let units = || -> Vec<WriteUnit> {
            ids.iter()
                .enumerate()
                .map(|(i, id)| {
                    WriteUnit::rebuildable(table.clone(), put(id), Some(i as u64), again, i)
                })
                .collect()
        };
        // An attempt moves each request out; a retry makes it again.
        let mut sent = units();
        let moved: Vec<WriteRequest> = sent.iter_mut().map(WriteUnit::for_sending).collect();
        assert_eq!(moved, ids.map(put));
        assert_eq!(sent[1].for_sending(), put("b"));
        // Nothing back: nothing to match.
        assert!(returned_units(sent, []).is_empty());
        let mut sent = units();
        for unit in &mut sent {
            unit.for_sending();
        }
        let back = returned_units(sent, [(table.clone(), put("c")), (table.clone(), put("x"))]);
        let positions: Vec<Option<u64>> = back.iter().map(|u| u.position).collect();
        assert_eq!(positions, [Some(2), None]);
        let requests: Vec<WriteRequest> = back.into_iter().map(WriteUnit::into_request).collect();
        assert_eq!(requests, [put("c"), put("x")]);
    }
}
