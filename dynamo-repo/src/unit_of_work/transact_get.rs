//! [`TransactGet`]: typed reads as one consistent snapshot.

use super::MAX_ACTIONS;
use crate::client::Client;
use crate::entity::{Entity, Key};
use crate::error::{from_sdk, Result, ValidationError, ValidationErrorKind};
use crate::repository::Repository;
use crate::value::Item;
use std::any::TypeId;
use std::collections::HashMap;
use std::marker::PhantomData;

/// Typed reads of up to 100 keys across entities and tables, as one
/// consistent snapshot (`TransactGetItems`).
#[must_use = "a read does nothing until sent"]
pub struct TransactGet {
    client: Client,
    gets: Vec<(&'static str, String, Item)>,
    tables: HashMap<TypeId, String>,
}

impl Client {
    /// A new, empty transactional read on this client.
    pub fn transact_get(&self) -> TransactGet {
        TransactGet {
            client: self.clone(),
            gets: Vec::new(),
            tables: HashMap::new(),
        }
    }
}

/// A handle on one read of a [`TransactGet`], to take its typed result.
pub struct Slot<T> {
    index: usize,
    _entity: PhantomData<fn() -> T>,
}

impl TransactGet {
    /// Reads `T` from this repository's table (by default, `T`'s own).
    pub fn with_repository<T: Entity>(&mut self, repo: &Repository<T>) -> &mut Self {
        self.tables
            .insert(TypeId::of::<T>(), repo.table_name().to_owned());
        self
    }

    /// Adds a read; its result is taken with the returned slot.
    pub fn get<T: Entity>(&mut self, key: impl Into<Key<T>>) -> Slot<T> {
        let table = self
            .tables
            .get(&TypeId::of::<T>())
            .cloned()
            .unwrap_or_else(|| self.client.table_name_of::<T>());
        self.gets
            .push((T::SCHEMA.entity, table, key.into().into_item()));
        Slot {
            index: self.gets.len() - 1,
            _entity: PhantomData,
        }
    }

    /// Sends the reads (nothing for none) and returns their results.
    pub async fn send(self) -> Result<TransactGetResults> {
        if self.gets.is_empty() {
            return Ok(TransactGetResults { items: Vec::new() });
        }
        if self.gets.len() > MAX_ACTIONS {
            return Err(ValidationError::new(
                ValidationErrorKind::TooManyActions,
                format!(
                    "a transactional read holds at most {MAX_ACTIONS} keys; this one has {}",
                    self.gets.len()
                ),
            )
            .into());
        }
        let mut seen = HashMap::new();
        let mut requests = Vec::with_capacity(self.gets.len());
        for (position, (entity, table, key)) in self.gets.iter().enumerate() {
            if let Some(first) = seen.insert(
                (table.as_str(), crate::validate::key_identity(key)),
                position,
            ) {
                return Err(ValidationError::new(
                    ValidationErrorKind::DuplicateItem,
                    format!(
                        "reads {first} and {position} ask for the same {entity} item in `{table}`"
                    ),
                )
                .entity(entity)
                .into());
            }
            let get = aws_sdk_dynamodb::types::Get::builder()
                .table_name(table)
                .set_key(Some(key.clone()))
                .build()
                .map_err(super::actions::build_error)?;
            requests.push(
                aws_sdk_dynamodb::types::TransactGetItem::builder()
                    .get(get)
                    .build(),
            );
        }
        let output = self
            .client
            .sdk()
            .transact_get_items()
            .set_transact_items(Some(requests))
            .send()
            .await
            .map_err(|e| from_sdk(e, "TransactGetItems", &self.gets[0].1))?;
        Ok(TransactGetResults {
            items: output
                .responses
                .unwrap_or_default()
                .into_iter()
                .map(|r| r.item.filter(|i| !i.is_empty()))
                .collect(),
        })
    }
}

/// The results of a [`TransactGet`], in the order of the reads.
pub struct TransactGetResults {
    items: Vec<Option<Item>>,
}

/// Attribute names with types and sizes, unless values are revealed.
impl std::fmt::Debug for TransactGetResults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactGetResults")
            .field("items", &crate::redact::ShowItems(&self.items))
            .finish()
    }
}

impl TransactGetResults {
    /// The item read through `slot`, decoded; `None` when it does not exist.
    pub fn take<T: Entity>(&mut self, slot: Slot<T>) -> Result<Option<T>> {
        self.items
            .get_mut(slot.index)
            .and_then(Option::take)
            .map(T::from_item)
            .transpose()
    }
}
