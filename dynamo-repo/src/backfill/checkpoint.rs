//! Where a backfill got to: per scan segment, the key after which every item
//! was dealt with, small and serde-serializable so the caller can store it
//! after every page and resume from it after a crash or a Lambda timeout.
//!
//! A segment's position moves only when every item of a page is done
//! (written, skipped by the function, or refused by its condition), and then
//! to the page's `LastEvaluatedKey`. A resumed run therefore scans each
//! segment again from the start of the first page that was not finished:
//! nothing is skipped, and the items of that page that were already written
//! no longer match the run's filter, so the function does not see them again
//! (see the [chapter](crate::backfill#stopping-and-resuming)).

use crate::entity::{Entity, KeyType};
use crate::error::{Error, ValidationError, ValidationErrorKind};
use crate::value::Item;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Where every segment of a backfill got to: pass it to
/// [`Backfill::resume_from`](crate::backfill::Backfill::resume_from) to go on.
///
/// Serializes with serde (for example to JSON) as
/// `{"total_segments": 4, "segments": [{"state": "not_started"}, {"state": "after", "key": {"id": {"S": "k-17"}}}, {"state": "done"}, ...]}`.
/// It holds the key values of the last item of each finished page, so its
/// `Debug` shows only their attribute names unless
/// [`reveal_values_in_errors`](crate::reveal_values_in_errors) is on.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillCheckpoint {
    total_segments: u32,
    segments: Vec<SegmentCheckpoint>,
}

/// Where one scan segment of a backfill got to.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SegmentCheckpoint {
    /// Nothing of this segment is done yet.
    NotStarted,
    /// Every item up to and including this key (in the segment's scan order)
    /// is done; the segment goes on after it.
    After {
        /// The key attributes of the last item read, as the scan's
        /// `ExclusiveStartKey` takes them.
        key: BTreeMap<String, KeyPart>,
    },
    /// Every item of the segment is done.
    Done,
}

/// One key attribute's value, as a checkpoint stores it (binary as base64).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum KeyPart {
    /// A string key.
    S(String),
    /// A number key, as DynamoDB's decimal text.
    N(String),
    /// A binary key, base64 (standard alphabet, padded).
    B(String),
}

impl BackfillCheckpoint {
    /// A checkpoint of a run in `total_segments` segments (at least 1) that
    /// did nothing yet.
    pub fn new(total_segments: u32) -> Self {
        let total_segments = total_segments.max(1);
        BackfillCheckpoint {
            total_segments,
            segments: vec![SegmentCheckpoint::NotStarted; total_segments as usize],
        }
    }

    /// The number of scan segments (`TotalSegments`) of the run.
    pub fn total_segments(&self) -> u32 {
        self.total_segments
    }

    /// Every segment's position, segment 0 first.
    pub fn segments(&self) -> &[SegmentCheckpoint] {
        &self.segments
    }

    /// Whether every segment is done: resuming from it does nothing.
    pub fn is_done(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, SegmentCheckpoint::Done))
    }

    /// The number of segments done.
    pub fn segments_done(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, SegmentCheckpoint::Done))
            .count()
    }

    pub(crate) fn segment(&self, segment: u32) -> &SegmentCheckpoint {
        &self.segments[segment as usize]
    }

    pub(crate) fn set(&mut self, segment: u32, state: SegmentCheckpoint) {
        self.segments[segment as usize] = state;
    }

    /// Refuses a checkpoint that cannot be one of this run's: another number
    /// of segments, or a key with other attributes than `T`'s table key.
    pub(crate) fn check<T: Entity>(&self, segments: u32) -> Result<(), Error> {
        let bad = |message: String| -> Error {
            ValidationError::new(ValidationErrorKind::InvalidRequest, message)
                .entity(T::SCHEMA.entity)
                .into()
        };
        if self.total_segments != segments || self.segments.len() != segments as usize {
            return Err(bad(format!(
                "the backfill checkpoint is of a run in {} segments, this run has {segments}; \
                 resume with .segments({})",
                self.total_segments, self.total_segments
            )));
        }
        for s in &self.segments {
            if let SegmentCheckpoint::After { key } = s {
                for k in T::SCHEMA.key_attributes() {
                    let fits = matches!(
                        (key.get(k.name), k.key_type),
                        (Some(KeyPart::S(_)), KeyType::String)
                            | (Some(KeyPart::N(_)), KeyType::Number)
                            | (Some(KeyPart::B(_)), KeyType::Binary)
                    );
                    if !fits {
                        return Err(bad(format!(
                            "the backfill checkpoint's key lacks the key attribute `{}` of type {} \
                             (a checkpoint of another table?)",
                            k.name,
                            k.key_type.code()
                        )));
                    }
                }
                if key.len() != T::SCHEMA.key_attributes().count() {
                    return Err(bad(
                        "the backfill checkpoint's key has attributes that are not the table's key"
                            .into(),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl SegmentCheckpoint {
    /// The segment's position after a page that ended at `last_key`
    /// (`None`: the segment's last page).
    pub(crate) fn after_page(last_key: Option<&Item>) -> Self {
        match last_key {
            None => SegmentCheckpoint::Done,
            Some(key) => SegmentCheckpoint::After {
                key: key
                    .iter()
                    .filter_map(|(name, value)| Some((name.clone(), KeyPart::from_sdk(value)?)))
                    .collect(),
            },
        }
    }

    /// The `ExclusiveStartKey` to resume from (`None` for a segment not started).
    pub(crate) fn start_key(&self) -> Result<Option<Item>, Error> {
        match self {
            SegmentCheckpoint::After { key } => key
                .iter()
                .map(|(name, part)| Ok((name.clone(), part.to_sdk(name)?)))
                .collect::<Result<Item, Error>>()
                .map(Some),
            _ => Ok(None),
        }
    }
}

impl KeyPart {
    fn from_sdk(value: &AttributeValue) -> Option<Self> {
        match value {
            AttributeValue::S(s) => Some(KeyPart::S(s.clone())),
            AttributeValue::N(n) => Some(KeyPart::N(n.clone())),
            AttributeValue::B(b) => Some(KeyPart::B(STANDARD.encode(b.as_ref()))),
            _ => None,
        }
    }

    fn to_sdk(&self, name: &str) -> Result<AttributeValue, Error> {
        Ok(match self {
            KeyPart::S(s) => AttributeValue::S(s.clone()),
            KeyPart::N(n) => AttributeValue::N(n.clone()),
            KeyPart::B(b) => AttributeValue::B(Blob::new(STANDARD.decode(b).map_err(|_| {
                ValidationError::new(
                    ValidationErrorKind::InvalidRequest,
                    "a binary key of the backfill checkpoint is not base64",
                )
                .attribute(name)
            })?)),
        })
    }
}

impl fmt::Debug for BackfillCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackfillCheckpoint")
            .field("total_segments", &self.total_segments)
            .field("segments", &self.segments)
            .finish()
    }
}

impl fmt::Debug for SegmentCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentCheckpoint::NotStarted => f.write_str("NotStarted"),
            SegmentCheckpoint::Done => f.write_str("Done"),
            SegmentCheckpoint::After { key } => f.debug_map().entries(key.iter()).finish(),
        }
    }
}

impl fmt::Debug for KeyPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (tag, text) = match self {
            KeyPart::S(s) => ("S", s),
            KeyPart::N(n) => ("N", n),
            KeyPart::B(b) => ("B", b),
        };
        if crate::redact::values_revealed() {
            write!(f, "{tag}({text:?})")
        } else {
            write!(f, "{tag}(..)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> Item {
        [("id".to_owned(), AttributeValue::S(id.into()))].into()
    }

    #[test]
    fn a_page_moves_the_segment_and_the_last_page_ends_it() {
        let mut c = BackfillCheckpoint::new(3);
        assert!(!c.is_done());
        c.set(1, SegmentCheckpoint::after_page(Some(&key("k-7"))));
        assert_eq!(c.segment(1).start_key().unwrap(), Some(key("k-7")));
        assert_eq!(c.segment(0).start_key().unwrap(), None);
        for s in 0..3 {
            c.set(s, SegmentCheckpoint::after_page(None));
        }
        assert!(c.is_done());
        assert_eq!(c.segments_done(), 3);
    }

    #[test]
    fn binary_keys_round_trip_and_debug_hides_key_values() {
        let item: Item = [(
            "id".to_owned(),
            AttributeValue::B(Blob::new(vec![0u8, 255, 7])),
        )]
        .into();
        let s = SegmentCheckpoint::after_page(Some(&item));
        assert_eq!(s.start_key().unwrap(), Some(item));
        let mut c = BackfillCheckpoint::new(1);
        c.set(0, SegmentCheckpoint::after_page(Some(&key("secret-key"))));
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret-key"), "{shown}");
        assert!(shown.contains("id"), "{shown}");
    }
}
