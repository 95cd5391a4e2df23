//! A stream record in one shape, whatever it was read from (a Lambda event,
//! the Streams API), and its decoding into a typed [`Change`].

use super::change::{Change, ImageSide, RecordInfo, ViewType};
use super::error::StreamError;
use crate::entity::Entity;
use crate::error::Error;
use crate::redact::ShowItem;
use crate::single_table::Collection;
use crate::value::{DecodeError, Item};
use std::fmt;
use std::time::SystemTime;

/// The kind of change a record describes (`eventName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventName {
    /// `INSERT`
    Insert,
    /// `MODIFY`
    Modify,
    /// `REMOVE`
    Remove,
}

impl EventName {
    /// Parses `INSERT`, `MODIFY` or `REMOVE`.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "INSERT" => EventName::Insert,
            "MODIFY" => EventName::Modify,
            "REMOVE" => EventName::Remove,
            _ => return None,
        })
    }
}

/// The principal of a record's `userIdentity` when DynamoDB's Time to Live
/// deleted the item.
pub const TTL_PRINCIPAL: &str = "dynamodb.amazonaws.com";

/// One stream record with its images as `aws-sdk-dynamodb` items: what a
/// Lambda event record or a Streams API record becomes before it is decoded
/// (see the `lambda` module and `StreamReader`, behind the features of those names).
/// Build one yourself to decode records from elsewhere (a Kinesis stream of
/// the table, a test).
///
/// `Debug` shows attribute names and shapes, never values (unless revealed).
#[derive(Clone, PartialEq)]
pub struct StreamRecord {
    /// What happened.
    pub event_name: EventName,
    /// The key attributes of the item.
    pub keys: Item,
    /// The item after the change, when the view type carries it.
    pub new_image: Option<Item>,
    /// The item before the change, when the view type carries it.
    pub old_image: Option<Item>,
    /// The record's sequence number.
    pub sequence_number: String,
    /// When DynamoDB recorded the change.
    pub approximate_creation_time: Option<SystemTime>,
    /// `userIdentity`: its `type` and `principalId`, when present.
    pub user_identity: Option<(String, String)>,
    /// The stream's view type, when the record says.
    pub view_type: Option<ViewType>,
    /// The shard it was read from, when known.
    pub shard_id: Option<String>,
}

impl fmt::Debug for StreamRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamRecord")
            .field("event_name", &self.event_name)
            .field("sequence_number", &self.sequence_number)
            .field("keys", &ShowItem(&self.keys))
            .field("new_image", &self.new_image.as_ref().map(ShowItem))
            .field("old_image", &self.old_image.as_ref().map(ShowItem))
            .field("user_identity", &self.user_identity)
            .field("view_type", &self.view_type)
            .finish_non_exhaustive()
    }
}

impl StreamRecord {
    /// Whether DynamoDB's Time to Live deleted the item: a `REMOVE` whose
    /// `userIdentity` is of type `Service` with principal `dynamodb.amazonaws.com`.
    pub fn is_ttl_expiry(&self) -> bool {
        self.event_name == EventName::Remove
            && matches!(&self.user_identity, Some((kind, principal))
                if kind == "Service" && principal == TTL_PRINCIPAL)
    }

    /// Decodes the images as the entity `T`.
    pub fn decode<T: Entity>(self) -> Result<Change<T>, StreamError> {
        self.decode_with(T::from_item)
    }

    /// Decodes the images as the collection `C`, each routed to the variant
    /// of its entity type; an item of a type `C` does not list is a
    /// [`StreamError::Decode`] with
    /// [`DecodeErrorKind::UnknownEntityType`](crate::value::DecodeErrorKind::UnknownEntityType).
    pub fn decode_collection<C: Collection>(self) -> Result<Change<C>, StreamError> {
        self.decode_with(C::from_item)
    }

    /// Decodes the images with `decode` (an entity's or projection's `from_item`).
    pub fn decode_with<T>(
        self,
        decode: impl Fn(Item) -> crate::Result<T>,
    ) -> Result<Change<T>, StreamError> {
        let ttl_expiry = self.is_ttl_expiry();
        let StreamRecord {
            event_name,
            keys,
            new_image,
            old_image,
            sequence_number,
            approximate_creation_time,
            view_type,
            shard_id,
            ..
        } = self;
        let image = |side: ImageSide, item: Option<Item>| -> Result<Option<T>, StreamError> {
            match item {
                None => Ok(None),
                Some(item) => decode(item).map(Some).map_err(|e| StreamError::Decode {
                    sequence_number: sequence_number.clone(),
                    image: side,
                    source: Box::new(into_decode_error(e)),
                }),
            }
        };
        let (old, new) = match event_name {
            // DynamoDB sends no old image for an insert and no new one for a
            // removal; one that is there anyway is not decoded.
            EventName::Insert => (None, image(ImageSide::New, new_image)?),
            EventName::Modify => (
                image(ImageSide::Old, old_image)?,
                image(ImageSide::New, new_image)?,
            ),
            EventName::Remove => (image(ImageSide::Old, old_image)?, None),
        };
        let record = RecordInfo {
            keys,
            sequence_number,
            approximate_creation_time,
            ttl_expiry,
            view_type,
            shard_id,
        };
        Ok(match event_name {
            EventName::Insert => Change::Insert { new, record },
            EventName::Modify => Change::Modify { old, new, record },
            EventName::Remove => Change::Remove { old, record },
        })
    }
}

/// An image's decoder returns the crate's `Error`; anything but a decode
/// error (a custom `from_item`'s) is kept as its text, which the library's
/// errors never fill with stored values.
fn into_decode_error(e: Error) -> DecodeError {
    match e {
        Error::Decode(d) => d,
        other => DecodeError::custom(other),
    }
}
