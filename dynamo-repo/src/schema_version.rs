//! Versioned items, upgraded on read: `#[dynamo(schema_version = N)]`.
//!
//! A table outlives every version of the code that writes it. When the
//! stored shape of an entity changes in a way old items cannot be decoded
//! into (a `name` split into `first_name` and `last_name`), give the entity a
//! schema version and one upgrade function per step:
//!
//! ```rust
//! use dynamo_repo::{DecodeError, Entity, Item};
//! use dynamo_repo::sdk::types::AttributeValue;
//!
//! #[derive(Entity)]
//! #[dynamo(
//!     table = "people",
//!     schema_version = 2,
//!     upgrade(from = 1, with = split_name),
//! )]
//! struct Person {
//!     #[dynamo(partition_key)]
//!     id: String,
//!     first_name: String,
//!     last_name: String,
//! }
//!
//! /// Version 1 stored `name = "Ada Lovelace"`.
//! fn split_name(mut item: Item) -> Result<Item, DecodeError> {
//!     let name = match item.remove("name") {
//!         Some(AttributeValue::S(name)) => name,
//!         Some(other) => return Err(DecodeError::wrong_type("S", &other).in_attribute("name")),
//!         None => return Err(DecodeError::new(dynamo_repo::value::DecodeErrorKind::Missing).in_attribute("name")),
//!     };
//!     let (first, last) = name.split_once(' ').unwrap_or((&name, ""));
//!     item.insert("first_name".into(), AttributeValue::S(first.into()));
//!     item.insert("last_name".into(), AttributeValue::S(last.into()));
//!     Ok(item)
//! }
//! ```
//!
//! - **The version attribute.** Every write of the entity (`put`, `save`,
//!   `put`/`save` in a unit of work, `batch_put`, and every other path that
//!   writes `to_item`) stores the current version in the attribute
//!   `_schema_version` (a number; rename it with
//!   `schema_version_attribute = "sv"`). An item **without** the attribute is
//!   version 1: the items written before the entity had a schema version.
//! - **Upgrades run on every read, before decoding.** `get`, queries, scans,
//!   `batch_get`, `TransactGet`, collections, change streams and the items
//!   carried by a failed condition are all decoded by the entity's
//!   `from_item`, which reads the version and runs the chain
//!   `from = v, from = v + 1, …` up to the current version on the raw
//!   [`Item`], once each, then decodes the result. An upgrade is a
//!   `fn(Item) -> Result<Item, DecodeError>`; an error it returns is the
//!   read's decode error (name the attribute with `in_attribute`, and never
//!   put a stored value in its message). Projections
//!   (`#[derive(Projection)]`) read attributes as stored and run no upgrade.
//! - **A missing step does not compile.** `schema_version = 3` needs
//!   `upgrade(from = 1, ..)` and `upgrade(from = 2, ..)`; a function of
//!   another signature is a type error at its name.
//! - **Newer items are refused, never misread.** An item of a version above
//!   the current one (written by a newer deployment) is a
//!   [`DecodeError`] of kind
//!   [`SchemaVersion`](crate::value::DecodeErrorKind::SchemaVersion) naming
//!   the entity, the item's key, the attribute and both versions (no stored
//!   value). To look at such an item anyway, read it raw (`query_raw`,
//!   `scan().project_raw(..)` or the SDK).
//! - **Updates leave the version as stored.** An `update` writes only the
//!   attributes it names, so the rest of the item keeps the shape of the
//!   version it was written with; stamping the current version on it would
//!   claim an upgrade that never ran. A version-1 item stays version 1 (and is
//!   upgraded on every read) until a `put` or `save` rewrites it whole. Name
//!   attributes in an update by their current names only when the old
//!   versions store them the same way. (An update that creates an item, an
//!   upsert of a missing key, creates one without the attribute: version 1.)
//! - **Removing an upgrade.** Once no stored item is older than version `v`
//!   (a backfill rewrote them all), declare `oldest_schema_version = v` and
//!   delete the upgrades from older versions; an item older than that is
//!   refused with the same typed error rather than decoded wrongly. The
//!   schema snapshot of `dynamo-repo-testkit` asks you to confirm that step.

use crate::entity::{Entity, KeyAttribute};
use crate::value::{DecodeError, DecodeErrorKind, Item};
use aws_sdk_dynamodb::types::AttributeValue;

/// The attribute holding the schema version unless
/// `schema_version_attribute = "..."` renames it.
pub const DEFAULT_ATTRIBUTE: &str = "_schema_version";

/// The schema version of an entity (`#[dynamo(schema_version = N)]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaVersion {
    /// The attribute the version is stored in.
    pub attribute: &'static str,
    /// The version this code writes, and upgrades older items to.
    pub current: u32,
    /// The oldest version this code can upgrade (`oldest_schema_version`, 1
    /// unless set).
    pub oldest: u32,
}

/// One upgrade step: an item of version `from` in, the item of version
/// `from + 1` out.
pub type Upgrade = fn(Item) -> Result<Item, DecodeError>;

impl SchemaVersion {
    /// The version of a stored item: its version attribute, or 1 when it has
    /// none. A value that is not a positive whole number is an error naming
    /// the attribute.
    pub fn of(&self, item: &Item) -> Result<u32, DecodeError> {
        match item.get(self.attribute) {
            None => Ok(1),
            Some(AttributeValue::N(text)) => match text.parse::<u32>() {
                Ok(v) if v >= 1 => Ok(v),
                _ => Err(DecodeError::new(DecodeErrorKind::Invalid {
                    expected: "a schema version (a whole number from 1)".into(),
                    found: Some(text.clone()),
                    detail: None,
                })
                .in_attribute(self.attribute)),
            },
            Some(other) => Err(DecodeError::wrong_type("N", other).in_attribute(self.attribute)),
        }
    }

    /// Stores the current version in `item`.
    pub fn stamp(&self, item: &mut Item) {
        item.insert(
            self.attribute.to_owned(),
            AttributeValue::N(self.current.to_string()),
        );
    }
}

/// Runs the upgrades an item of `T` needs before it is decoded: `steps[i]`
/// upgrades version `oldest + i` to `oldest + i + 1`. Errors name the entity
/// and the item's key.
pub(crate) fn upgrade<T: Entity>(item: Item, steps: &[Upgrade]) -> Result<Item, DecodeError> {
    let Some(schema) = T::SCHEMA.schema_version else {
        return Ok(item);
    };
    let in_entity = |e: DecodeError, key: Item| e.in_entity(T::SCHEMA.entity).with_key(key);
    let version = match schema.of(&item) {
        Ok(v) => v,
        Err(e) => return Err(in_entity(e, key_of(&item, T::SCHEMA.key_attributes()))),
    };
    if version == schema.current {
        return Ok(item);
    }
    if version > schema.current || version < schema.oldest {
        let e = DecodeError::new(DecodeErrorKind::SchemaVersion {
            found: version,
            oldest: schema.oldest,
            current: schema.current,
        })
        .in_attribute(schema.attribute);
        return Err(in_entity(e, key_of(&item, T::SCHEMA.key_attributes())));
    }
    // The key, for an error of a step (the steps take the item by value).
    let key = key_of(&item, T::SCHEMA.key_attributes());
    let mut item = item;
    for from in version..schema.current {
        let step = (from - schema.oldest) as usize;
        let Some(upgrade) = steps.get(step) else {
            // The derive checks the chain; a hand-written impl may not.
            return Err(in_entity(
                DecodeError::custom(format!(
                    "no upgrade from schema version {from} to {}",
                    from + 1
                )),
                key,
            ));
        };
        item = upgrade(item).map_err(|e| in_entity(e, key.clone()))?;
    }
    schema.stamp(&mut item);
    Ok(item)
}

fn key_of<'a>(item: &Item, keys: impl Iterator<Item = &'a KeyAttribute>) -> Item {
    keys.filter_map(|k| item.get(k.name).map(|v| (k.name.to_owned(), v.clone())))
        .collect()
}
