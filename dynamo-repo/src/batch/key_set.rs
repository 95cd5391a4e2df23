//! A set of keys held by value in two shared buffers, to find duplicates
//! and to match read items back to their keys without a string or a map
//! per key: each key is hashed from its attribute values and compared
//! value by value, with the rules of [`super::keys::canonical`] (the same
//! attribute names, types and values; numbers by value, `1` = `1.0`).
//! A key can be made again from the set, exactly as it was given.

use super::keys::{normal, Normal};
use crate::entity::TableSchema;
// The key attributes of one item or key, looked up once.
use crate::validate::KeyValues as Values;
use crate::value::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::Blob;
use hashbrown::HashTable;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// How one key attribute is held.
#[derive(Clone, Copy)]
enum Held {
    /// Not in the key.
    Missing,
    /// A string, at `text[start..end]`.
    S(usize, usize),
    /// A number's text, at `text[start..end]`.
    N(usize, usize),
    /// Bytes, at `bytes[start..end]`.
    B(usize, usize),
    /// Any other value (never a valid key): its `Debug` text at
    /// `text[start..end]`, compared as text (as `canonical` does).
    Other(usize, usize),
}

/// The keys of one table's key attributes, each once.
pub(crate) struct KeySet<S = foldhash::fast::RandomState> {
    /// The partition key's attribute and the sort key's, if any.
    names: [&'static str; 2],
    /// 1, or 2 with a sort key.
    width: usize,
    /// `width` entries per key, in the order of `names`.
    held: Vec<Held>,
    text: String,
    bytes: Vec<u8>,
    /// (hash, key number) of each key.
    table: HashTable<(u64, usize)>,
    state: S,
    /// Whether [`KeySet::key`] must give each key back exactly as added.
    exact: bool,
    /// With `exact`, the keys that cannot be made again from the buffers
    /// alone (attributes beyond the key's, or values of other types), kept
    /// whole.
    whole: HashMap<usize, Item>,
}

impl KeySet {
    /// An empty set of keys of `schema`'s table, room for `capacity`,
    /// that compares only the key attributes of what it is given (whole
    /// items, say) and makes only them again.
    pub(crate) fn new(schema: &TableSchema, capacity: usize) -> Self {
        KeySet::with_hasher(names_of(schema), capacity, Default::default(), false)
    }

    /// Like [`KeySet::new`], for keys that [`KeySet::key`] must give back
    /// exactly as they were added, attributes beyond the key's included.
    pub(crate) fn exact(schema: &TableSchema, capacity: usize) -> Self {
        KeySet::with_hasher(names_of(schema), capacity, Default::default(), true)
    }
}

/// The partition key's attribute name and the sort key's, if any.
fn names_of(schema: &TableSchema) -> (&'static str, Option<&'static str>) {
    (
        schema.partition_key.name,
        schema.sort_key.as_ref().map(|k| k.name),
    )
}

impl<S: BuildHasher> KeySet<S> {
    /// A set of the keys with attributes `(partition, sort)`, hashed with
    /// `state` (the tests force collisions).
    pub(crate) fn with_hasher(
        (partition, sort): (&'static str, Option<&'static str>),
        capacity: usize,
        state: S,
        exact: bool,
    ) -> Self {
        let (sort, width) = match sort {
            Some(sort) => (sort, 2),
            None => ("", 1),
        };
        KeySet {
            names: [partition, sort],
            width,
            held: Vec::with_capacity(capacity * width),
            text: String::with_capacity(capacity * 24),
            bytes: Vec::new(),
            table: HashTable::with_capacity(capacity),
            state,
            exact,
            whole: HashMap::new(),
        }
    }

    /// How many keys the set holds.
    pub(crate) fn len(&self) -> usize {
        self.held.len() / self.width
    }

    /// Adds the key attributes of `key`: `Ok` with its number in the set
    /// (0, 1, 2, ... in the order added) when it is new, `Err` with the
    /// number of the same key added before otherwise.
    pub(crate) fn insert(&mut self, key: &Item) -> Result<usize, usize> {
        self.insert_values(self.values(key), key)
    }

    /// [`KeySet::insert`] with the key attribute values of `key` already
    /// looked up ([`crate::validate::key_values`] of the set's schema).
    pub(crate) fn insert_values(&mut self, values: Values<'_>, key: &Item) -> Result<usize, usize> {
        let hash = self.hash(&values);
        if let Some(&(_, first)) = self
            .table
            .find(hash, |&(h, i)| h == hash && self.holds(i, &values))
        {
            return Err(first);
        }
        let number = self.len();
        let mut whole = self.exact && key.len() != self.width;
        for value in values.into_iter().take(self.width) {
            let held = match value {
                None => Held::Missing,
                Some(AttributeValue::S(s)) => {
                    let start = self.text.len();
                    self.text.push_str(s);
                    Held::S(start, self.text.len())
                }
                Some(AttributeValue::N(n)) => {
                    let start = self.text.len();
                    self.text.push_str(n);
                    Held::N(start, self.text.len())
                }
                Some(AttributeValue::B(b)) => {
                    let start = self.bytes.len();
                    self.bytes.extend_from_slice(b.as_ref());
                    Held::B(start, self.bytes.len())
                }
                Some(other) => {
                    whole |= self.exact;
                    let start = self.text.len();
                    self.text.push_str(&format!("{other:?}"));
                    Held::Other(start, self.text.len())
                }
            };
            self.held.push(held);
        }
        if whole {
            self.whole.insert(number, key.clone());
        }
        self.table.insert_unique(hash, (hash, number), |&(h, _)| h);
        Ok(number)
    }

    /// The number of the key whose attributes `item` has, if the set holds it.
    pub(crate) fn find(&self, item: &Item) -> Option<usize> {
        let values = self.values(item);
        let hash = self.hash(&values);
        self.table
            .find(hash, |&(h, i)| h == hash && self.holds(i, &values))
            .map(|&(_, i)| i)
    }

    /// Key number `number` made again (`None` past the end): its key
    /// attributes, or with [`KeySet::exact`] the key as it was added.
    pub(crate) fn key(&self, number: usize) -> Option<Item> {
        if let Some(item) = self.whole.get(&number) {
            return Some(item.clone());
        }
        let held = self.held_of(number)?;
        let mut key = Item::with_capacity(self.width);
        for (name, held) in self.names.iter().zip(held) {
            let value = match *held {
                Held::Missing | Held::Other(..) => continue,
                Held::S(start, end) => AttributeValue::S(self.text.get(start..end)?.to_owned()),
                Held::N(start, end) => AttributeValue::N(self.text.get(start..end)?.to_owned()),
                Held::B(start, end) => AttributeValue::B(Blob::new(self.bytes.get(start..end)?)),
            };
            key.insert((*name).to_owned(), value);
        }
        Some(key)
    }

    /// The key attributes of `item`, each looked up once.
    fn values<'i>(&self, item: &'i Item) -> Values<'i> {
        let sort = if self.width == 2 {
            item.get(self.names[1])
        } else {
            None
        };
        [item.get(self.names[0]), sort]
    }

    fn held_of(&self, number: usize) -> Option<&[Held]> {
        self.held
            .get(number * self.width..(number + 1) * self.width)
    }

    /// Whether key number `number` has the key attribute values `values`.
    fn holds(&self, number: usize, values: &Values<'_>) -> bool {
        let Some(held) = self.held_of(number) else {
            return false;
        };
        held.iter()
            .zip(values)
            .all(|(held, value)| match (*held, value) {
                (Held::Missing, None) => true,
                (Held::S(start, end), Some(AttributeValue::S(s))) => {
                    self.text.get(start..end) == Some(s.as_str())
                }
                // The same text is the same number; other texts compare by value.
                (Held::N(start, end), Some(AttributeValue::N(n))) => self
                    .text
                    .get(start..end)
                    .is_some_and(|mine| mine == n || normal(mine) == normal(n)),
                (Held::B(start, end), Some(AttributeValue::B(b))) => {
                    self.bytes.get(start..end) == Some(b.as_ref())
                }
                (Held::Other(start, end), Some(other)) => {
                    !matches!(
                        other,
                        AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
                    ) && self.text.get(start..end) == Some(format!("{other:?}").as_str())
                }
                _ => false,
            })
    }

    /// The hash of key attribute values (numbers by value).
    fn hash(&self, values: &Values<'_>) -> u64 {
        let mut h = self.state.build_hasher();
        for value in values.iter().take(self.width) {
            // The value's bytes, then its type (and a number's sign and
            // exponent) in one word.
            match value {
                None => h.write_u64(0),
                Some(AttributeValue::S(s)) => {
                    h.write(s.as_bytes());
                    h.write_u64(1);
                }
                Some(AttributeValue::N(n)) => {
                    let Normal {
                        negative,
                        digits,
                        exponent,
                    } = normal(n);
                    h.write(digits.as_bytes());
                    h.write_u64(2 | u64::from(negative) << 8 | (exponent as u64) << 16);
                }
                Some(AttributeValue::B(b)) => {
                    h.write(b.as_ref());
                    h.write_u64(3);
                }
                // Never a valid key: all such values share one hash, and
                // compare by their text.
                Some(_) => h.write_u64(4),
            }
        }
        h.finish()
    }
}

#[cfg(test)]
mod tests;
