//! The typed batch reads of [`Repository<T>`]: `batch_get` and
//! `batch_get_stream`, with the items matched back to their keys.

use super::engine::{self, BatchStats, GetUnit, Input};
use super::keys::{canonical, canonical_into};
use super::typed::{at_input, key_names, span};
use super::{batch_options, BatchOptions};
use crate::entity::{Entity, Key};
use crate::error::Result;
use crate::repository::{BoxFuture, Repository};
use crate::validate;
use crate::value::Item;
use futures::stream::{self, Stream, StreamExt};
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::future::IntoFuture;
use std::sync::Arc;
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
            // Each distinct key once, in input order, found again by its
            // canonical text.
            let mut order: Vec<Key<T>> = Vec::with_capacity(self.keys.len());
            let mut index: HashMap<String, usize> = HashMap::with_capacity(self.keys.len());
            for (i, key) in self.keys.into_iter().enumerate() {
                validate::check_key(&T::SCHEMA, key.as_item())
                    .map_err(|e| at_input::<T>(e, i, key.as_item()))?;
                if let Entry::Vacant(slot) = index.entry(canonical(key_names::<T>(), key.as_item()))
                {
                    slot.insert(order.len());
                    order.push(key);
                }
            }
            // The keys are lent to the engine, which copies them into each
            // request (the SDK takes its input by value).
            let units: Vec<_> = order
                .iter()
                .map(|key| {
                    Input::Unit(
                        GetUnit {
                            table: table.clone(),
                            key: Cow::Borrowed(key.as_item()),
                        },
                        0,
                    )
                })
                .collect();
            let result = engine::get(
                self.repo.client().sdk(),
                &self.opts,
                stream::iter(units).boxed(),
            )
            .await?;
            let mut items = Vec::with_capacity(result.items.len());
            let mut missing = Vec::new();
            // One buffer for the canonical key of every item read.
            let mut id = String::with_capacity(64);
            if self.in_input_order {
                let mut slots: Vec<Option<Item>> = Vec::new();
                slots.resize_with(order.len(), || None);
                for (_, item) in result.items {
                    canonical_into(&mut id, key_names::<T>(), &item);
                    if let Some(&i) = index.get(id.as_str()) {
                        slots[i] = Some(item);
                    }
                }
                for (slot, key) in slots.into_iter().zip(order) {
                    match slot {
                        Some(item) => items.push(T::from_item(item)?),
                        None => missing.push(key),
                    }
                }
            } else {
                // In the order they arrived, each key once (an item of a key
                // not asked for, which DynamoDB does not send, is kept too).
                let mut found = vec![false; order.len()];
                let mut strangers: HashSet<String> = HashSet::new();
                for (_, item) in result.items {
                    canonical_into(&mut id, key_names::<T>(), &item);
                    let first = match index.get(id.as_str()) {
                        Some(&i) => !std::mem::replace(&mut found[i], true),
                        None => strangers.insert(id.clone()),
                    };
                    if first {
                        items.push(T::from_item(item)?);
                    }
                }
                missing.extend(
                    order
                        .into_iter()
                        .zip(found)
                        .filter(|(_, found)| !found)
                        .map(|(key, _)| key),
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

impl<'r, T: Entity> IntoFuture for BatchGet<'r, T> {
    type Output = Result<BatchGetOutput<T>>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
