//! A batch get over several entities (and tables) at once.

use super::engine::BatchStats;
use super::keys::canonical;
use super::typed_get::BatchGetOutput;
use super::{batch_options, BatchOptions};
use crate::client::Client;
use crate::entity::{Entity, Key};
use crate::error::{Error, Result};
use crate::repository::{BoxFuture, Repository};
use crate::validate;
use crate::value::Item;
use std::collections::HashMap;
use std::future::IntoFuture;
use std::marker::PhantomData;

impl Client {
    /// A batch get of several entities in one set of `BatchGetItem` requests.
    ///
    /// ```no_run
    /// # use dynamo_repo::{Client, Entity};
    /// # #[derive(Entity)] #[dynamo(table = "users")]
    /// # struct User { #[dynamo(partition_key)] id: String }
    /// # #[derive(Entity)] #[dynamo(table = "orders")]
    /// # struct Order { #[dynamo(partition_key)] customer: String, #[dynamo(sort_key)] id: String }
    /// # async fn demo(client: Client) -> dynamo_repo::Result<()> {
    /// let mut batch = client.batch_get_multi();
    /// let users = batch.add(&client.repository::<User>(), [User::key("u-1")]);
    /// let orders = batch.add(&client.repository::<Order>(), [Order::key("u-1", "o-1")]);
    /// let mut out = batch.send().await?;
    /// let users = out.take(users)?;   // BatchGetOutput<User>
    /// let orders = out.take(orders)?; // BatchGetOutput<Order>
    /// # Ok(()) }
    /// ```
    pub fn batch_get_multi(&self) -> MultiGet<'_> {
        MultiGet {
            client: self,
            entries: Vec::new(),
            error: None,
            opts: BatchOptions::for_client(self),
        }
    }
}

/// Identifies one entity's part of a [`MultiGet`], to [`MultiGetOutput::take`] it.
#[derive(Debug)]
pub struct GetHandle<T> {
    index: usize,
    _entity: PhantomData<fn() -> T>,
}

struct Part {
    table: String,
    names: Vec<&'static str>,
    keys: Vec<Item>,
}

/// A multi-entity batch get being built: [`MultiGet::add`] each entity's
/// keys, then `.await` it (or call [`MultiGet::send`]). Items come back in
/// the order of their keys.
#[must_use = "a request does nothing until it is awaited"]
pub struct MultiGet<'c> {
    client: &'c Client,
    entries: Vec<Part>,
    error: Option<Error>,
    opts: BatchOptions,
}

impl<'c> MultiGet<'c> {
    batch_options!();

    /// Reads with strong consistency (twice the read cost).
    pub fn consistent_read(mut self, consistent: bool) -> Self {
        self.opts.consistent_read = consistent;
        self
    }

    /// Adds keys of `T` items in `repo`'s table; the handle takes them out of
    /// the output. Keys are validated here; an invalid one fails `send`.
    pub fn add<T: Entity>(
        &mut self,
        repo: &Repository<T>,
        keys: impl IntoIterator<Item = Key<T>>,
    ) -> GetHandle<T> {
        let keys: Vec<Item> = keys.into_iter().map(Key::into_item).collect();
        if self.error.is_none() {
            for (index, key) in keys.iter().enumerate() {
                if let Err(mut e) = validate::check_key(&T::SCHEMA, key) {
                    e.message = format!(
                        "input #{index}, key {}: {}",
                        Key::<T>::from_item(key.clone()),
                        e.message
                    );
                    self.error = Some(e.into());
                    break;
                }
            }
        }
        self.entries.push(Part {
            table: repo.table_name().to_owned(),
            names: T::SCHEMA.key_attributes().map(|k| k.name).collect(),
            keys,
        });
        GetHandle {
            index: self.entries.len() - 1,
            _entity: PhantomData,
        }
    }

    /// Reads every key of every entity.
    pub async fn send(self) -> Result<MultiGetOutput> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut raw = self.client.batch_get_raw(
            self.entries
                .iter()
                .flat_map(|p| p.keys.iter().map(|k| (p.table.clone(), k.clone()))),
        );
        raw.opts = self.opts;
        let output = raw.send().await?;
        let mut by_table: HashMap<&str, Vec<&Item>> = HashMap::new();
        for (table, item) in &output.items {
            by_table.entry(table).or_default().push(item);
        }
        let parts = self
            .entries
            .iter()
            .map(|part| {
                let mut found: HashMap<String, &Item> = HashMap::new();
                for item in by_table.get(part.table.as_str()).into_iter().flatten() {
                    found.insert(canonical(part.names.iter().copied(), item), item);
                }
                let mut seen = std::collections::HashSet::new();
                let mut items = Vec::new();
                let mut missing = Vec::new();
                for key in &part.keys {
                    let id = canonical(part.names.iter().copied(), key);
                    if !seen.insert(id.clone()) {
                        continue;
                    }
                    match found.get(&id) {
                        Some(item) => items.push((*item).clone()),
                        None => missing.push(key.clone()),
                    }
                }
                Some((items, missing))
            })
            .collect();
        Ok(MultiGetOutput {
            parts,
            stats: output.stats,
        })
    }
}

impl<'c> IntoFuture for MultiGet<'c> {
    type Output = Result<MultiGetOutput>;
    type IntoFuture = BoxFuture<'c, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The result of a [`MultiGet`]: take each entity's part with its handle.
pub struct MultiGetOutput {
    parts: Vec<Option<(Vec<Item>, Vec<Item>)>>,
    /// Requests sent and retries, for all entities.
    pub stats: BatchStats,
}

/// Attribute names with types and sizes, unless values are revealed.
impl std::fmt::Debug for MultiGetOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::redact::ShowItems;
        let parts: Vec<_> = self
            .parts
            .iter()
            .map(|p| {
                p.as_ref()
                    .map(|(items, missing)| (ShowItems(items), ShowItems(missing)))
            })
            .collect();
        f.debug_struct("MultiGetOutput")
            .field("parts", &parts)
            .field("stats", &self.stats)
            .finish()
    }
}

impl MultiGetOutput {
    /// The items and missing keys of one entity, in the order of its keys.
    ///
    /// # Panics
    /// When the handle was already taken or comes from another batch.
    pub fn take<T: Entity>(&mut self, handle: GetHandle<T>) -> Result<BatchGetOutput<T>> {
        let (items, missing) = self
            .parts
            .get_mut(handle.index)
            .and_then(Option::take)
            .expect("each handle of this batch is taken once");
        Ok(BatchGetOutput {
            items: items.into_iter().map(T::from_item).collect::<Result<_>>()?,
            missing: missing.into_iter().map(Key::from_item).collect(),
            stats: self.stats.clone(),
        })
    }
}
