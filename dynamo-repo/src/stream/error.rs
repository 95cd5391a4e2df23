//! What can go wrong reading a change stream: a record that does not decode,
//! a record that is not a valid stream record, or the Streams API failing.

use super::change::ImageSide;
use crate::value::DecodeError;

/// An error of one stream record, or of the stream reader.
///
/// Its `Display` and `Debug` name the record's sequence number, the image and
/// the attribute, never a stored value (unless the application called
/// [`reveal_values_in_errors(true)`](crate::reveal_values_in_errors)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// An image (or the keys) of a record does not decode as the entity or
    /// collection: names the record, the image and, through the
    /// [`DecodeError`], the attribute path. An item of a type no variant of a
    /// collection lists is one too
    /// ([`DecodeErrorKind::UnknownEntityType`](crate::value::DecodeErrorKind::UnknownEntityType)).
    #[error("stream record {sequence_number}: {image}: {source}")]
    Decode {
        /// The record's sequence number.
        sequence_number: String,
        /// The image that did not decode.
        image: ImageSide,
        /// What was wrong, and where.
        #[source]
        source: Box<DecodeError>,
    },

    /// A record that is not a valid DynamoDB stream record (no sequence
    /// number, an unknown event name, no keys).
    #[error("stream record {}: {problem}", sequence_number.as_deref().unwrap_or("(no sequence number)"))]
    Malformed {
        /// The record's sequence number, when it has one.
        sequence_number: Option<String>,
        /// What is wrong with it.
        problem: &'static str,
    },

    /// A call of the DynamoDB or DynamoDB Streams API failed (the SDK's error
    /// is its source).
    #[error(transparent)]
    Service(Box<crate::Error>),

    /// The table has no stream, or its stream is not enabled.
    #[error("table `{table}` has no enabled stream")]
    NoStream {
        /// The table.
        table: String,
    },

    /// A checkpoint saved from another stream was given to a reader.
    #[error("the checkpoint belongs to another stream than `{stream_arn}`")]
    CheckpointMismatch {
        /// The stream being read.
        stream_arn: String,
    },
}

impl StreamError {
    /// The sequence number of the record at fault, for a record's error.
    pub fn sequence_number(&self) -> Option<&str> {
        match self {
            StreamError::Decode {
                sequence_number, ..
            } => Some(sequence_number),
            StreamError::Malformed {
                sequence_number, ..
            } => sequence_number.as_deref(),
            _ => None,
        }
    }

    /// Whether this is a decode error of a record.
    pub fn is_decode(&self) -> bool {
        matches!(self, StreamError::Decode { .. })
    }

    /// The decode error, if this is one.
    pub fn as_decode(&self) -> Option<&DecodeError> {
        match self {
            StreamError::Decode { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

impl From<crate::Error> for StreamError {
    fn from(e: crate::Error) -> Self {
        StreamError::Service(Box::new(e))
    }
}
