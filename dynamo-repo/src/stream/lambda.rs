//! Changes from an AWS Lambda DynamoDB event (`aws_lambda_events`), and the
//! partial batch failure response (feature `lambda`).
//!
//! ```rust,no_run
//! use aws_lambda_events::event::dynamodb::Event;
//! use aws_lambda_events::event::streams::DynamoDbEventResponse;
//! use dynamo_repo::stream::{lambda, Change};
//! # #[derive(dynamo_repo::Entity, Debug)]
//! # #[dynamo(table = "orders")]
//! # struct Order { #[dynamo(partition_key)] id: String, total: f64 }
//!
//! async fn handler(event: Event) -> DynamoDbEventResponse {
//!     lambda::handle_changes::<Order, _, _, std::io::Error>(event, |change| async move {
//!         match change {
//!             Change::Insert { new: Some(order), .. } => println!("new order {}", order.id),
//!             Change::Remove { record, .. } if record.is_ttl_expiry() => println!("expired"),
//!             _ => {}
//!         }
//!         Ok(())
//!     })
//!     .await
//!     .response()
//! }
//! ```
//!
//! With `ReportBatchItemFailures` on the event source mapping, Lambda
//! retries the batch from the lowest failed sequence number, so every record
//! after the first failure is delivered again: make the handler idempotent.
//! A record that does not decode is a failure of that record (its error is in
//! [`BatchOutcome::failures`]); records of other items are still handled, and
//! the later records of a failed item are not (they are reported failed too),
//! so the changes of one item are applied in order or not at all.

use super::change::{Change, ViewType};
use super::decode::{EventName, StreamRecord};
use super::error::StreamError;
use crate::entity::Entity;
use crate::error::BoxError;
use crate::single_table::Collection;
use crate::value::Item;
use aws_lambda_events::event::dynamodb::{Event, EventRecord, StreamViewType};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use std::fmt;
use std::future::Future;
use std::time::SystemTime;

/// Turns a Lambda event record into a [`StreamRecord`] (images converted to
/// `aws-sdk-dynamodb` items).
pub fn stream_record(record: EventRecord) -> Result<StreamRecord, StreamError> {
    let change = record.change;
    let Some(sequence_number) = change.sequence_number.filter(|s| !s.is_empty()) else {
        return Err(StreamError::Malformed {
            sequence_number: None,
            problem: "the record has no SequenceNumber",
        });
    };
    let Some(event_name) = EventName::parse(&record.event_name) else {
        return Err(StreamError::Malformed {
            sequence_number: Some(sequence_number),
            problem: "the eventName is not INSERT, MODIFY or REMOVE",
        });
    };
    let keys: Item = change.keys.into();
    if keys.is_empty() {
        return Err(StreamError::Malformed {
            sequence_number: Some(sequence_number),
            problem: "the record has no Keys",
        });
    }
    let time = change.approximate_creation_date_time;
    // aws_lambda_events defaults a missing time to the epoch.
    let approximate_creation_time = (time.timestamp() != 0 || time.timestamp_subsec_nanos() != 0)
        .then(|| SystemTime::from(time));
    Ok(StreamRecord {
        event_name,
        keys,
        new_image: non_empty(change.new_image.into()),
        old_image: non_empty(change.old_image.into()),
        sequence_number,
        approximate_creation_time,
        user_identity: record.user_identity.map(|u| (u.type_, u.principal_id)),
        view_type: change.stream_view_type.and_then(|v| match v {
            StreamViewType::KeysOnly => Some(ViewType::KeysOnly),
            StreamViewType::NewImage => Some(ViewType::NewImage),
            StreamViewType::OldImage => Some(ViewType::OldImage),
            StreamViewType::NewAndOldImages => Some(ViewType::NewAndOldImages),
            _ => None,
        }),
        shard_id: None,
    })
}

/// The event's records decoded as the entity `T`, in order, each one a
/// `Result` (a record that does not decode is an `Err` naming it).
pub fn changes<T: Entity>(event: Event) -> Vec<Result<Change<T>, StreamError>> {
    event
        .records
        .into_iter()
        .map(|r| stream_record(r)?.decode::<T>())
        .collect()
}

/// The event's records decoded as the collection `C` (routed by entity type).
pub fn collection_changes<C: Collection>(event: Event) -> Vec<Result<Change<C>, StreamError>> {
    event
        .records
        .into_iter()
        .map(|r| stream_record(r)?.decode_collection::<C>())
        .collect()
}

/// One record the handler did not complete.
pub struct RecordFailure {
    /// The record's sequence number (`None` for a record without one: then
    /// Lambda retries the whole batch).
    pub sequence_number: Option<String>,
    /// Why: a [`StreamError`] for a record that did not decode, the
    /// handler's error, or [`SkippedAfterFailure`] for a later record of an
    /// item whose earlier record failed.
    pub error: BoxError,
}

impl fmt::Debug for RecordFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordFailure")
            .field("sequence_number", &self.sequence_number)
            .field("error", &format_args!("{}", self.error))
            .finish()
    }
}

/// A record not handled because an earlier record of the same item failed
/// (Lambda delivers it again with the failed one).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("not handled: an earlier record of the same item failed")]
pub struct SkippedAfterFailure;

/// What a batch's handling came to: how many records were handled and
/// which failed.
#[derive(Debug, Default)]
#[must_use = "return `.response()` from the Lambda handler so failed records are retried"]
pub struct BatchOutcome {
    /// Records the handler completed.
    pub handled: usize,
    /// Records that did not decode, that the handler failed, or that were
    /// skipped after a failure of the same item, in the event's order.
    pub failures: Vec<RecordFailure>,
}

impl BatchOutcome {
    /// The partial batch failure response: `batchItemFailures` with the
    /// sequence number of every failed record (empty when all succeeded).
    pub fn response(&self) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        response.batch_item_failures = self
            .failures
            .iter()
            .map(|f| {
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = f.sequence_number.clone();
                failure
            })
            .collect();
        response
    }
}

/// Handles every record of `event` decoded as the entity `T`, in order, with
/// `handler`, and says which failed (see the [module docs](self)).
pub async fn handle_changes<T, F, Fut, E>(event: Event, handler: F) -> BatchOutcome
where
    T: Entity,
    F: FnMut(Change<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
{
    handle_with(event, StreamRecord::decode::<T>, handler).await
}

/// Handles every record of `event` decoded as the collection `C`.
pub async fn handle_collection_changes<C, F, Fut, E>(event: Event, handler: F) -> BatchOutcome
where
    C: Collection,
    F: FnMut(Change<C>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
{
    handle_with(event, StreamRecord::decode_collection::<C>, handler).await
}

/// Handles every record of `event` decoded by `decode`.
pub async fn handle_with<T, D, F, Fut, E>(event: Event, decode: D, mut handler: F) -> BatchOutcome
where
    D: Fn(StreamRecord) -> Result<Change<T>, StreamError>,
    F: FnMut(Change<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
{
    let mut outcome = BatchOutcome::default();
    // Keys of items with a failed record: their later records wait for the retry.
    let mut failed_keys: Vec<Item> = Vec::new();
    for record in event.records {
        let record = match stream_record(record) {
            Ok(record) => record,
            Err(e) => {
                outcome.failures.push(RecordFailure {
                    sequence_number: e.sequence_number().map(str::to_owned),
                    error: Box::new(e),
                });
                continue;
            }
        };
        let sequence_number = record.sequence_number.clone();
        if failed_keys.contains(&record.keys) {
            outcome.failures.push(RecordFailure {
                sequence_number: Some(sequence_number),
                error: Box::new(SkippedAfterFailure),
            });
            continue;
        }
        let keys = record.keys.clone();
        let result = match decode(record) {
            Ok(change) => handler(change).await.map_err(Into::into),
            Err(e) => Err(Box::new(e) as BoxError),
        };
        match result {
            Ok(()) => outcome.handled += 1,
            Err(error) => {
                failed_keys.push(keys);
                outcome.failures.push(RecordFailure {
                    sequence_number: Some(sequence_number),
                    error,
                });
            }
        }
    }
    outcome
}

/// An empty image is no image: Lambda events carry `{}` for a missing one,
/// and no item has no attributes (it has its key).
fn non_empty(item: Item) -> Option<Item> {
    (!item.is_empty()).then_some(item)
}
