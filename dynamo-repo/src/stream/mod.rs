//! Change streams: DynamoDB Streams records and Lambda events decoded into
//! your entities.
//!
//! A table's stream records every write: a [`Change<T>`] is one record
//! decoded into your entity (or a [`Collection`](crate::Collection), routed by
//! entity type): `Insert { new }`, `Modify { old, new }` or `Remove { old }`,
//! each image `Some` when the stream's view type carries it (`KEYS_ONLY`: both
//! `None`, the key in [`Change::keys`]), with the sequence number, the
//! approximate creation time and [`Change::is_ttl_expiry`] (a removal by
//! DynamoDB's Time to Live: `userIdentity` type `Service`, principal
//! `dynamodb.amazonaws.com`).
//!
//! Two sources, each behind an opt-in feature so the default build stays lean:
//!
//! - **AWS Lambda** (feature `lambda`): `lambda::handle_changes` decodes an
//!   `aws_lambda_events` DynamoDB event and runs your handler per change;
//!   `lambda::BatchOutcome::response()` is the `batchItemFailures` response
//!   naming the sequence numbers of the failed records (a record that does
//!   not decode is one), so Lambda retries only from there.
//! - **The Streams API** (feature `streams`): `StreamReader` discovers the
//!   shards, reads parents before children, starts from the trim horizon,
//!   the latest record or a saved `Checkpoint`, polls with backoff when
//!   idle, and yields `Result<Change<T>, StreamError>` as a `futures::Stream`;
//!   `Changes::checkpoint()` is the value to persist and resume from.
//!
//! A record that does not decode is a [`StreamError::Decode`] naming its
//! sequence number, the image and the attribute, never a stored value; an
//! item of a type a collection does not list is one too, never a panic.
//! Records from elsewhere (a Kinesis stream of the table, a test) decode
//! through [`StreamRecord`].
//!
//! The stream itself is enabled on the table (`StreamSpecification` with a
//! view type, at `CreateTable` or `UpdateTable`).
mod change;
#[cfg(feature = "streams")]
mod checkpoint;
mod decode;
mod error;
#[cfg(feature = "lambda")]
#[cfg_attr(docsrs, doc(cfg(feature = "lambda")))]
pub mod lambda;
#[cfg(feature = "streams")]
mod reader;
#[cfg(feature = "streams")]
mod records;

pub use change::{Change, ImageSide, RecordInfo, ViewType};
#[cfg(feature = "streams")]
#[cfg_attr(docsrs, doc(cfg(feature = "streams")))]
pub use checkpoint::{Checkpoint, ShardPosition};
pub use decode::{EventName, StreamRecord, TTL_PRINCIPAL};
pub use error::StreamError;
#[cfg(feature = "streams")]
#[cfg_attr(docsrs, doc(cfg(feature = "streams")))]
pub use reader::{local_streams_client, streams_client_from_env, Changes, StreamReader};
