//! [`ValidationError`]: input refused before anything was sent.

use std::fmt;

/// Input refused before any request was sent, naming what is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// What rule was broken.
    pub kind: ValidationErrorKind,
    /// The entity type concerned, when there is one.
    pub entity: Option<&'static str>,
    /// The attribute (path) at fault, when there is one.
    pub attribute: Option<String>,
    /// The position of the unit-of-work action at fault, when there is one.
    pub action: Option<usize>,
    /// A sentence saying what is wrong.
    pub message: String,
}

/// The rule a [`ValidationError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidationErrorKind {
    /// A key attribute is missing or empty.
    EmptyKey,
    /// A key attribute has a type other than the schema's.
    KeyType,
    /// A key value is over 2048 (partition) or 1024 (sort) bytes.
    KeyTooLong,
    /// The item is over 400 KB by DynamoDB's size rule.
    ItemTooLarge,
    /// A number DynamoDB cannot store (NaN, infinity, over 38 digits, out of range).
    InvalidNumber,
    /// A value that could not be encoded at all.
    Unencodable,
    /// A key built with a value that does not fit its sort-safe placeholder
    /// (more digits than `{seq:08}` holds, a date-time outside years 0000 to
    /// 9999); the message names the field (see [`crate::sortable`]).
    KeyPartTooWide,
    /// Values nested deeper than DynamoDB's 32 levels.
    TooDeep,
    /// An empty set given as a raw attribute value.
    EmptySet,
    /// An update that would change a key attribute.
    KeyUpdate,
    /// An update that changes a field an index key template is built from
    /// but cannot recompute that key: the template's other fields are not
    /// set in the same update, or the field is changed other than by a plain
    /// `set` / `remove` (see [`crate::single_table`], *Index keys*).
    IndexKeyIncomplete,
    /// An update with no actions.
    EmptyUpdate,
    /// An expression over DynamoDB's size or operator limits.
    ExpressionTooLarge,
    /// A page cursor that is corrupted, truncated, forged, or from another
    /// query (or another cursor key), or whose partition is not the query's.
    InvalidCursor,
    /// A [`CursorKey`](crate::query::CursorKey) secret shorter than 32 bytes.
    InvalidCursorKey,
    /// A number outside what DynamoDB or the builder accepts: more than
    /// 1,000,000 scan segments, a page size of 0, `fill_page(0)`.
    OutOfRange,
    /// An index the entity does not declare, or a query it cannot serve.
    InvalidIndex,
    /// More than 100 actions in one transaction.
    TooManyActions,
    /// Two actions of one transaction on the same item.
    DuplicateItem,
    /// Two actions of one update on the same or nested paths.
    OverlappingPaths,
    /// A query filter on a key attribute of the table or index queried
    /// (DynamoDB wants those in the key condition).
    KeyInFilter,
    /// The same key twice in one batch (DynamoDB rejects the whole request).
    DuplicateKey,
    /// A raw batch request that is neither a put nor a delete.
    InvalidRequest,
    /// A batch write of an entity with an entity type, which `BatchWriteItem`
    /// cannot check, without `.skip_entity_type_check()` (see
    /// [`crate::type_guard`]).
    EntityTypeUnchecked,
    /// A batch put of a `#[dynamo(version)]` entity, which `BatchWriteItem`
    /// cannot check, without `.skip_version_check()`.
    VersionUnchecked,
    /// A `#[dynamo(version)]` already at the largest value it can hold, so
    /// the write cannot increment it.
    VersionOverflow,
    /// A write that cannot keep the marker items of a `#[dynamo(unique)]`
    /// field: an update setting it, a batch write of the entity, a
    /// unit-of-work delete by key (see [`crate::unique`]).
    UniqueUnmaintained,
    /// A partition key value in the range reserved for the marker items of
    /// unique constraints (starting with `_unique#`).
    ReservedKey,
    /// Anything else.
    Other,
}

impl ValidationError {
    /// A validation error of the given kind.
    pub fn new(kind: ValidationErrorKind, message: impl Into<String>) -> Self {
        ValidationError {
            kind,
            entity: None,
            attribute: None,
            action: None,
            message: message.into(),
        }
    }

    /// Names the entity concerned.
    pub fn entity(mut self, entity: &'static str) -> Self {
        self.entity = Some(entity);
        self
    }

    /// Names the attribute at fault.
    pub fn attribute(mut self, attribute: impl Into<String>) -> Self {
        self.attribute = Some(attribute.into());
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid request")?;
        if let Some(entity) = self.entity {
            write!(f, " for {entity}")?;
        }
        if let Some(attribute) = &self.attribute {
            write!(f, ", attribute `{attribute}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ValidationError {}
