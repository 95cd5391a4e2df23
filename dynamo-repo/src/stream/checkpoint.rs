//! Where a [`StreamReader`](super::StreamReader) is in each shard: a value to
//! persist and resume from.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How far a stream has been read: per shard, the sequence number of the
/// last record handed out, or that the shard was read to its end.
///
/// Take it from [`Changes::checkpoint`](super::Changes::checkpoint) after
/// handling a change, persist it (it is `Serialize` / `Deserialize`: JSON,
/// a DynamoDB item, ...), and give it to
/// [`StreamReader::from_checkpoint`](super::StreamReader::from_checkpoint)
/// to go on after the last change handled: nothing skipped, nothing repeated.
/// Shards it does not name are read from their start (the trim horizon):
/// children of a shard that split after it was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    stream_arn: String,
    shards: BTreeMap<String, ShardPosition>,
}

/// Where a reader is in one shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ShardPosition {
    /// Resume after this sequence number.
    After(String),
    /// The shard is closed and every record of it was handed out.
    Done,
}

impl Checkpoint {
    /// An empty checkpoint of a stream: every shard from its start.
    pub fn new(stream_arn: impl Into<String>) -> Self {
        Checkpoint {
            stream_arn: stream_arn.into(),
            shards: BTreeMap::new(),
        }
    }

    /// The stream it belongs to.
    pub fn stream_arn(&self) -> &str {
        &self.stream_arn
    }

    /// Where the reader is in `shard_id`, when it has read any of it.
    pub fn position(&self, shard_id: &str) -> Option<&ShardPosition> {
        self.shards.get(shard_id)
    }

    /// Every shard with a position.
    pub fn shards(&self) -> impl Iterator<Item = (&str, &ShardPosition)> {
        self.shards.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub(crate) fn set(&mut self, shard_id: &str, position: ShardPosition) {
        match self.shards.get_mut(shard_id) {
            Some(p) => *p = position,
            None => {
                self.shards.insert(shard_id.to_owned(), position);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_survives_a_round_trip_through_serde() {
        let mut c = Checkpoint::new("arn:aws:dynamodb:local:000:table/t/stream/x");
        c.set("shard-1", ShardPosition::Done);
        c.set("shard-2", ShardPosition::After("42".into()));
        c.set("shard-2", ShardPosition::After("43".into()));
        let value = serde_dynamo::to_item::<_, crate::value::Item>(&c).unwrap();
        let back: Checkpoint = serde_dynamo::from_item(value).unwrap();
        assert_eq!(back, c);
        assert_eq!(
            back.position("shard-2"),
            Some(&ShardPosition::After("43".into()))
        );
        assert_eq!(back.shards().count(), 2);
    }
}
