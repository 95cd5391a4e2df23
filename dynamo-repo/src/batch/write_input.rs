//! The input of the typed batch writes: each write encoded for the engine
//! and checked before sending (key, size, version rule), refusals naming the
//! input position, and the checkpoint checked against the input.

use super::BatchCheckpoint;
use crate::entity::{Entity, Key};
use crate::error::{ValidationError, ValidationErrorKind};
use crate::validate;
use crate::value::Item;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};

/// One write of a mixed [`Repository::batch_write`]: a put or a delete.
#[derive(Debug, Clone)]
pub enum WriteOp<T: Entity> {
    /// Write the item, replacing any item with the same key (unconditionally).
    Put(T),
    /// Delete the item with this key (succeeds when there is none).
    Delete(Key<T>),
}

/// A write encoded for the engine.
pub(super) struct Encoded {
    pub(super) request: WriteRequest,
    pub(super) is_put: bool,
}

impl Encoded {
    /// The item a put writes, or the key a delete deletes: the key
    /// attributes are found in it (without a copy of them per write).
    pub(super) fn key_source(&self) -> &Item {
        match (self.request.put_request(), self.request.delete_request()) {
            (Some(put), _) => put.item(),
            (None, Some(delete)) => delete.key(),
            (None, None) => &EMPTY,
        }
    }

    /// The key attributes, for an error.
    pub(super) fn key<T: Entity>(&self) -> Item {
        key_attributes::<T>(self.key_source())
    }
}

/// What a write request that is neither a put nor a delete (never built
/// here) would have as its key.
static EMPTY: std::sync::LazyLock<Item> = std::sync::LazyLock::new(Item::new);

pub(super) fn key_attributes<T: Entity>(item: &Item) -> Item {
    T::SCHEMA
        .key_attributes()
        .filter_map(|k| item.get(k.name).map(|v| (k.name.to_owned(), v.clone())))
        .collect()
}

pub(super) fn key_names<T: Entity>() -> impl Iterator<Item = &'static str> {
    T::SCHEMA.key_attributes().map(|k| k.name)
}

pub(super) fn encode_put<T: Entity>(item: &T) -> Encoded {
    let mut item = crate::managed::stamp_for_batch(&T::SCHEMA, item.to_item());
    // A versioned item written by a batch (only with `skip_version_check`)
    // keeps the version in hand; a new one (no version yet) gets version 1,
    // as a first `put` would give it.
    if let (Some(attribute), Some(crate::managed::ExpectedVersion::Absent)) = (
        T::SCHEMA.version,
        crate::managed::expectation(&T::SCHEMA, &item),
    ) {
        item.insert(attribute.name.to_owned(), AttributeValue::N("1".into()));
    }
    Encoded {
        request: WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .expect("the item is set"),
            )
            .build(),
        is_put: true,
    }
}

pub(super) fn encode_delete<T: Entity>(key: Key<T>) -> Encoded {
    Encoded {
        request: WriteRequest::builder()
            .delete_request(
                DeleteRequest::builder()
                    .set_key(Some(key.into_item()))
                    .build()
                    .expect("the key is set"),
            )
            .build(),
        is_put: false,
    }
}

pub(super) fn encode_op<T: Entity>(op: WriteOp<T>) -> Encoded {
    match op {
        WriteOp::Put(item) => encode_put(&item),
        WriteOp::Delete(key) => encode_delete(key),
    }
}

pub(super) fn encode_op_ref<T: Entity>(op: &WriteOp<T>) -> Encoded {
    match op {
        WriteOp::Put(item) => encode_put(item),
        WriteOp::Delete(key) => encode_delete(key.clone()),
    }
}

/// Names the input position and key in a validation error.
pub(super) fn at_input<T: Entity>(
    mut e: ValidationError,
    index: usize,
    key: &Item,
) -> ValidationError {
    e.message = format!(
        "input #{index}, key {}: {}",
        Key::<T>::from_item(key.clone()),
        e.message
    );
    e
}

/// Checks one write and returns its size in bytes. A put of a versioned
/// entity is refused unless the caller skipped the version check
/// (`BatchWriteItem` takes no conditions); a delete is accepted, as
/// `Repository::delete(key)` is, without a version check.
pub(super) fn check_write<T: Entity>(
    index: usize,
    w: &Encoded,
    skip_version_check: bool,
) -> Result<usize, ValidationError> {
    let key = validate::key_values(&T::SCHEMA, w.key_source());
    check_write_keyed::<T>(index, w, key, skip_version_check)
}

/// [`check_write`] with the write's key attribute values already looked up.
pub(super) fn check_write_keyed<T: Entity>(
    index: usize,
    w: &Encoded,
    key: validate::KeyValues<'_>,
    skip_version_check: bool,
) -> Result<usize, ValidationError> {
    if T::SCHEMA.version.is_some() && w.is_put && !skip_version_check {
        return Err(at_input::<T>(
            ValidationError::new(
                ValidationErrorKind::VersionUnchecked,
                "a batch put cannot check a #[dynamo(version)] (BatchWriteItem takes no conditions): \
                 use put, save or a unit of work to check versions, or call \
                 `.skip_version_check()` to write the versions in hand (new items get version 1)",
            )
            .entity(T::SCHEMA.entity),
            index,
            &w.key::<T>(),
        ));
    }
    let source = w.key_source();
    if w.is_put {
        validate::check_item_keyed(&T::SCHEMA, source, key)
    } else {
        validate::check_key_values(&T::SCHEMA, key).map(|()| {
            source
                .iter()
                .map(|(k, v)| k.len() + super::keys::approx_size(v))
                .sum()
        })
    }
    .map_err(|e| at_input::<T>(e, index, &w.key::<T>()))
}

pub(super) fn duplicate<T: Entity>(key: &Item, first: usize, second: usize) -> ValidationError {
    ValidationError::new(
        ValidationErrorKind::DuplicateKey,
        format!(
            "key {} is written twice (inputs #{first} and #{second}); DynamoDB rejects a batch \
             with the same key twice (use `.last_write_wins()` to keep the last)",
            Key::<T>::from_item(key.clone())
        ),
    )
    .entity(T::SCHEMA.entity)
}

/// Refuses a checkpoint that holds positions past the end of the input: it
/// was taken from another input.
pub(super) fn check_checkpoint<T: Entity>(
    checkpoint: &BatchCheckpoint,
    len: usize,
) -> Result<(), ValidationError> {
    if checkpoint.end() > len as u64 {
        return Err(ValidationError::new(
            ValidationErrorKind::InvalidRequest,
            format!(
                "the checkpoint to resume from covers {} input positions, but the input has {len}: \
                 it comes from another input",
                checkpoint.end()
            ),
        )
        .entity(T::SCHEMA.entity));
    }
    Ok(())
}

pub(super) fn span<T: Entity>(operation: &'static str, table: &str) -> tracing::Span {
    tracing::info_span!(
        "dynamodb",
        db.system = "dynamodb",
        db.operation = operation,
        db.table = %table,
        entity = T::SCHEMA.entity,
    )
}
