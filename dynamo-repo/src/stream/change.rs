//! The typed change: what happened to one item, with the record's metadata.

use crate::redact::ShowItem;
use crate::value::Item;
use std::fmt;
use std::time::SystemTime;

/// What a stream record holds of the item, as set on the table's stream
/// (`StreamViewType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ViewType {
    /// Only the key attributes: every image is `None`.
    KeysOnly,
    /// The item after the change (no old image).
    NewImage,
    /// The item before the change (no new image).
    OldImage,
    /// Both images.
    NewAndOldImages,
}

impl ViewType {
    /// DynamoDB's name for it (`KEYS_ONLY`, `NEW_IMAGE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ViewType::KeysOnly => "KEYS_ONLY",
            ViewType::NewImage => "NEW_IMAGE",
            ViewType::OldImage => "OLD_IMAGE",
            ViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    /// Parses DynamoDB's name; `None` for a name this version does not know.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "KEYS_ONLY" => ViewType::KeysOnly,
            "NEW_IMAGE" => ViewType::NewImage,
            "OLD_IMAGE" => ViewType::OldImage,
            "NEW_AND_OLD_IMAGES" => ViewType::NewAndOldImages,
            _ => return None,
        })
    }
}

/// Which part of a record a value comes from (named in decode errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageSide {
    /// `Keys`.
    Keys,
    /// `NewImage`.
    New,
    /// `OldImage`.
    Old,
}

impl fmt::Display for ImageSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageSide::Keys => "Keys",
            ImageSide::New => "NewImage",
            ImageSide::Old => "OldImage",
        })
    }
}

/// Everything a stream record says beside the images: the item's key, the
/// sequence number, the time and who made the change.
#[derive(Clone, PartialEq)]
pub struct RecordInfo {
    pub(crate) keys: Item,
    pub(crate) sequence_number: String,
    pub(crate) approximate_creation_time: Option<SystemTime>,
    pub(crate) ttl_expiry: bool,
    pub(crate) view_type: Option<ViewType>,
    pub(crate) shard_id: Option<String>,
}

impl RecordInfo {
    /// The key attributes of the changed item (present in every view type).
    pub fn keys(&self) -> &Item {
        &self.keys
    }

    /// The record's sequence number: increasing within a shard, and so for
    /// the changes of one key. Lambda's `batchItemFailures` and the reader's
    /// [`Checkpoint`](crate::stream) are built from it.
    pub fn sequence_number(&self) -> &str {
        &self.sequence_number
    }

    /// When DynamoDB recorded the change (to the second, or finer on newer
    /// streams), when the record says.
    pub fn approximate_creation_time(&self) -> Option<SystemTime> {
        self.approximate_creation_time
    }

    /// Whether this removal was DynamoDB's Time to Live deleting an expired
    /// item (`userIdentity` of type `Service`, principal
    /// `dynamodb.amazonaws.com`), not a delete by an application.
    pub fn is_ttl_expiry(&self) -> bool {
        self.ttl_expiry
    }

    /// The stream's view type, when the record says (Lambda events and the
    /// Streams API do).
    pub fn view_type(&self) -> Option<ViewType> {
        self.view_type
    }

    /// The shard the record was read from (the [`StreamReader`](crate::stream)
    /// sets it; Lambda events do not name it).
    pub fn shard_id(&self) -> Option<&str> {
        self.shard_id.as_deref()
    }
}

/// Keys show as attribute names and shapes unless values are revealed.
impl fmt::Debug for RecordInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordInfo")
            .field("keys", &ShowItem(&self.keys))
            .field("sequence_number", &self.sequence_number)
            .field("approximate_creation_time", &self.approximate_creation_time)
            .field("ttl_expiry", &self.ttl_expiry)
            .field("view_type", &self.view_type)
            .field("shard_id", &self.shard_id)
            .finish()
    }
}

/// One change of one item, decoded as `T` (an entity, or a
/// [`Collection`](crate::Collection) routed by entity type).
///
/// An image is `Some` when the stream's view type carries it: `new` with
/// `NEW_IMAGE` or `NEW_AND_OLD_IMAGES`, `old` with `OLD_IMAGE` or
/// `NEW_AND_OLD_IMAGES`; with `KEYS_ONLY` both are `None` and the key is in
/// [`Change::keys`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Change<T> {
    /// A new item was written.
    Insert {
        /// The item as written.
        new: Option<T>,
        /// The record's key, sequence number, time and origin.
        record: RecordInfo,
    },
    /// An existing item was changed.
    Modify {
        /// The item before the change.
        old: Option<T>,
        /// The item after the change.
        new: Option<T>,
        /// The record's key, sequence number, time and origin.
        record: RecordInfo,
    },
    /// An item was deleted, by a request or by TTL ([`Change::is_ttl_expiry`]).
    Remove {
        /// The item as it was.
        old: Option<T>,
        /// The record's key, sequence number, time and origin.
        record: RecordInfo,
    },
}

impl<T> Change<T> {
    /// The record's metadata.
    pub fn record(&self) -> &RecordInfo {
        match self {
            Change::Insert { record, .. }
            | Change::Modify { record, .. }
            | Change::Remove { record, .. } => record,
        }
    }

    /// The key attributes of the changed item.
    pub fn keys(&self) -> &Item {
        &self.record().keys
    }

    /// The record's sequence number.
    pub fn sequence_number(&self) -> &str {
        &self.record().sequence_number
    }

    /// Whether this is a removal by DynamoDB's Time to Live.
    pub fn is_ttl_expiry(&self) -> bool {
        self.record().ttl_expiry
    }

    /// When DynamoDB recorded the change.
    pub fn approximate_creation_time(&self) -> Option<SystemTime> {
        self.record().approximate_creation_time
    }

    /// The item after the change (`None` for a removal or without a new image).
    pub fn new_image(&self) -> Option<&T> {
        match self {
            Change::Insert { new, .. } | Change::Modify { new, .. } => new.as_ref(),
            Change::Remove { .. } => None,
        }
    }

    /// The item before the change (`None` for an insert or without an old image).
    pub fn old_image(&self) -> Option<&T> {
        match self {
            Change::Modify { old, .. } | Change::Remove { old, .. } => old.as_ref(),
            Change::Insert { .. } => None,
        }
    }

    /// `"INSERT"`, `"MODIFY"` or `"REMOVE"`.
    pub fn event_name(&self) -> &'static str {
        match self {
            Change::Insert { .. } => "INSERT",
            Change::Modify { .. } => "MODIFY",
            Change::Remove { .. } => "REMOVE",
        }
    }

    /// The same change with the images mapped by `f`.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Change<U> {
        match self {
            Change::Insert { new, record } => Change::Insert {
                new: new.map(&mut f),
                record,
            },
            Change::Modify { old, new, record } => Change::Modify {
                old: old.map(&mut f),
                new: new.map(&mut f),
                record,
            },
            Change::Remove { old, record } => Change::Remove {
                old: old.map(&mut f),
                record,
            },
        }
    }
}
