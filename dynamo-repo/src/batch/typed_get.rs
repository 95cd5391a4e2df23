//! The typed batch reads of [`Repository<T>`]: `batch_get` and
//! `batch_get_stream`, with the items matched back to their keys.

use super::engine::Receive;
use super::engine::{self, BatchStats, GetUnit, Input};
use super::key_set::KeySet;
use super::requests::RebuildKey;
use super::write_input::{at_input, span};
use super::{batch_options, BatchOptions};
use crate::entity::{Entity, Key};
use crate::error::Result;
use crate::repository::{BoxFuture, Repository};
use crate::validate;
use crate::value::Item;
use futures::stream::{self, Stream, StreamExt};
use std::future::IntoFuture;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use tracing::Instrument;

impl<T: Entity> Repository<T> {
    /// Reads the items with `keys`, 100 keys per `BatchGetItem`, several
    /// requests in flight; duplicate keys are asked for once. The output has
    /// the items found and the keys not found.
    ///
    /// ```no_run
    /// # use dynamo_repo::{Client, Entity};
    /// # #[derive(Entity)] #[dynamo(table = "users")]
    /// # struct User { #[dynamo(partition_key)] id: String }
    /// # async fn demo(users: dynamo_repo::Repository<User>) -> dynamo_repo::Result<()> {
    /// let keys = (0..500).map(|i| User::key(format!("u-{i}")));
    /// let found = users.batch_get(keys).in_input_order().await?;
    /// println!("{} found, {} missing", found.items.len(), found.missing.len());
    /// # Ok(()) }
    /// ```
    pub fn batch_get(&self, keys: impl IntoIterator<Item = Key<T>>) -> BatchGet<'_, T> {
        BatchGet {
            repo: self,
            keys: keys.into_iter().collect(),
            in_input_order: false,
            opts: BatchOptions::for_client(self.client()),
        }
    }

    /// Like [`Repository::batch_get`], for keys that arrive on a `Stream`:
    /// the keys are gathered first (the items read are returned in memory
    /// anyway), then the builder is handed back for its options.
    ///
    /// `repo.batch_get_stream(keys).await.in_input_order().await?`
    pub async fn batch_get_stream<S>(&self, keys: S) -> BatchGet<'_, T>
    where
        S: Stream<Item = Key<T>>,
    {
        self.batch_get(keys.collect::<Vec<_>>().await)
    }
}

/// The items a batch get found and the keys it did not.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchGetOutput<T: Entity> {
    /// The items found, each once: in the order of the input keys with
    /// [`BatchGet::in_input_order`], otherwise in the order they arrived.
    pub items: Vec<T>,
    /// The keys with no item, in input order.
    pub missing: Vec<Key<T>>,
    /// Requests sent and retries.
    pub stats: BatchStats,
}

/// A batch get being built; `.await` it (or call [`BatchGet::send`]).
#[must_use = "a request does nothing until it is awaited"]
pub struct BatchGet<'r, T> {
    repo: &'r Repository<T>,
    keys: Vec<Key<T>>,
    in_input_order: bool,
    opts: BatchOptions,
}

impl<'r, T: Entity> BatchGet<'r, T> {
    batch_options!();

    /// Returns the items in the order of their keys in the input (the first
    /// time each key appears).
    pub fn in_input_order(mut self) -> Self {
        self.in_input_order = true;
        self
    }

    /// Reads with strong consistency (twice the read cost).
    pub fn consistent_read(mut self, consistent: bool) -> Self {
        self.opts.consistent_read = consistent;
        self
    }

    /// Validates every key, then reads.
    pub async fn send(self) -> Result<BatchGetOutput<T>> {
        let span = span::<T>("BatchGetItem", self.repo.table_name());
        async move {
            let table: Arc<str> = self.repo.table_name().into();
            // Each distinct key once, in input order: its attribute values
            // kept in a key set (which finds the items read again and makes
            // a key again for a resend or a missing key), the key itself
            // moved into its first request.
            let mut set = KeySet::exact(&T::SCHEMA, self.keys.len());
            let mut firsts: Vec<Item> = Vec::with_capacity(self.keys.len());
            for (i, key) in self.keys.into_iter().enumerate() {
                // The key attributes looked up once, for the check and the set.
                let values = validate::key_values(&T::SCHEMA, key.as_item());
                validate::check_key_values(&T::SCHEMA, values)
                    .map_err(|e| at_input::<T>(e, i, key.as_item()))?;
                if set.insert_values(values, key.as_item()).is_ok() {
                    firsts.push(key.into_item());
                }
            }
            let set = &set;
            let again = move |number: usize| set.key(number).unwrap_or_default();
            let again: RebuildKey<'_> = &again;
            let units = firsts.into_iter().enumerate().map(|(number, key)| {
                Input::Unit(GetUnit::rebuildable(table.clone(), key, again, number), 0)
            });
            let decode = Decode::<T> {
                table: table.clone(),
                set,
                failed: Mutex::new(None),
                entity: PhantomData,
            };
            let result = engine::get(
                self.repo.client().sdk(),
                &self.opts,
                stream::iter(units).boxed(),
                &decode,
            )
            .await;
            // An item that could not be decoded is the caller's error, even
            // when the batch also ended incomplete.
            if let Some(error) = decode
                .failed
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
            {
                return Err(error);
            }
            let result = result?;
            let missing_key = |number: usize| Key::from_item(again(number));
            let mut items = Vec::with_capacity(result.items.len());
            let mut missing = Vec::new();
            if self.in_input_order {
                let mut slots: Vec<Option<T>> = Vec::new();
                slots.resize_with(set.len(), || None);
                // An item of a key not asked for (DynamoDB sends none) has no
                // place in that order.
                for found in result.items {
                    if let Found::Asked(number, entity) = found {
                        if let Some(slot) = slots.get_mut(number) {
                            *slot = Some(entity);
                        }
                    }
                }
                for (number, slot) in slots.into_iter().enumerate() {
                    match slot {
                        Some(entity) => items.push(entity),
                        None => missing.push(missing_key(number)),
                    }
                }
            } else {
                // In the order they arrived, each key once (an item of a key
                // not asked for, which DynamoDB does not send, is kept too).
                let mut found = vec![false; set.len()];
                let mut strangers = Vec::new();
                for read in result.items {
                    match read {
                        Found::Asked(number, entity) => {
                            if let Some(seen) = found.get_mut(number) {
                                if !std::mem::replace(seen, true) {
                                    items.push(entity);
                                }
                            }
                        }
                        Found::Other(item) => strangers.push(item),
                        Found::Failed => {}
                    }
                }
                push_strangers(&mut items, strangers)?;
                missing.extend(
                    found
                        .into_iter()
                        .enumerate()
                        .filter(|(_, found)| !found)
                        .map(|(number, _)| missing_key(number)),
                );
            }
            Ok(BatchGetOutput {
                items,
                missing,
                stats: result.stats,
            })
        }
        .instrument(span)
        .await
    }
}

/// The typed read's [`Receive`]: each item is matched to its key's number
/// and decoded as its response arrives.
struct Decode<'s, T> {
    table: Arc<str>,
    set: &'s KeySet,
    /// The first item that could not be decoded, and why.
    failed: Mutex<Option<crate::Error>>,
    entity: PhantomData<fn() -> T>,
}

/// One item read, as [`Decode`] made it.
enum Found<T> {
    /// The item of key number `.0`, decoded.
    Asked(usize, T),
    /// An item of a key not asked for (DynamoDB sends none), kept as read.
    Other(Item),
    /// An item that could not be decoded (the error is in `Decode::failed`).
    Failed,
}

impl<T: Entity> Receive for Decode<'_, T> {
    type Out = Found<T>;

    fn receive(&self, _table: &Arc<str>, item: Item) -> Found<T> {
        let Some(number) = self.set.find(&item) else {
            return Found::Other(item);
        };
        match T::from_item(item) {
            Ok(entity) => Found::Asked(number, entity),
            Err(error) => {
                let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
                failed.get_or_insert(error);
                Found::Failed
            }
        }
    }

    /// A batch that ends incomplete keeps the items read as the entity
    /// encodes them.
    fn give_back(&self, found: Found<T>) -> Option<(String, Item)> {
        let item = match found {
            Found::Asked(_, entity) => entity.to_item(),
            Found::Other(item) => item,
            Found::Failed => return None,
        };
        Some((self.table.to_string(), item))
    }
}

/// Decodes the items of keys not asked for and adds them, each key once.
fn push_strangers<T: Entity>(items: &mut Vec<T>, strangers: Vec<Item>) -> Result<()> {
    if strangers.is_empty() {
        return Ok(());
    }
    let mut seen = KeySet::new(&T::SCHEMA, strangers.len());
    for item in strangers {
        if seen.insert(&item).is_ok() {
            items.push(T::from_item(item)?);
        }
    }
    Ok(())
}

impl<'r, T: Entity> IntoFuture for BatchGet<'r, T> {
    type Output = Result<BatchGetOutput<T>>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
