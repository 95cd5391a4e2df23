//! The engine for raw requests: SDK `WriteRequest`s and key maps for any
//! table, for code that calls `BatchWriteItem` / `BatchGetItem` by hand.

use super::checkpoint::Control;
use super::engine::{self, AsRead, BatchStats, GetUnit, Input, WriteUnit};
use super::keys::{approx_size, canonical, display_raw, sorted_names};
use super::{batch_options, write_control, BatchOptions};
use crate::client::Client;
use crate::error::{Result, ValidationError, ValidationErrorKind};
use crate::repository::BoxFuture;
use crate::value::Item;
use aws_sdk_dynamodb::types::WriteRequest;
use futures::stream::{self, StreamExt};
use std::collections::{HashMap, HashSet};
use std::future::IntoFuture;
use std::sync::Arc;
use tracing::Instrument;

impl Client {
    /// Sends raw write requests (`(table, WriteRequest)`) through the batch
    /// engine: chunks of 25, bounded concurrency, retries of unprocessed
    /// items with backoff, and [`Error::BatchIncomplete`](crate::Error::BatchIncomplete)
    /// with exactly what was not written.
    ///
    /// Without a schema, puts are not checked for duplicate keys or sizes
    /// beyond an estimate (DynamoDB refuses such a chunk, which ends the batch
    /// with the rest returned unsent); deletes of the same key twice are
    /// refused before sending.
    ///
    /// ```no_run
    /// # async fn demo(client: dynamo_repo::Client, requests: Vec<dynamo_repo::sdk::types::WriteRequest>) -> dynamo_repo::Result<()> {
    /// let stats = client
    ///     .batch_write_raw(requests.into_iter().map(|r| ("events", r)))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn batch_write_raw<S: Into<String>>(
        &self,
        requests: impl IntoIterator<Item = (S, WriteRequest)>,
    ) -> RawBatchWrite<'_> {
        RawBatchWrite {
            client: self,
            requests: requests.into_iter().map(|(t, r)| (t.into(), r)).collect(),
            opts: BatchOptions::for_client(self),
            control: Control::default(),
        }
    }

    /// Reads raw keys (`(table, key map)`) through the batch engine: chunks of
    /// 100, duplicates asked for once, retries of unprocessed keys.
    pub fn batch_get_raw<S: Into<String>>(
        &self,
        keys: impl IntoIterator<Item = (S, Item)>,
    ) -> RawBatchGet<'_> {
        RawBatchGet {
            client: self,
            keys: keys.into_iter().map(|(t, k)| (t.into(), k)).collect(),
            opts: BatchOptions::for_client(self),
        }
    }
}

fn raw_span(operation: &'static str) -> tracing::Span {
    tracing::info_span!("dynamodb", db.system = "dynamodb", db.operation = operation)
}

/// A raw batch write being built; `.await` it (or call [`RawBatchWrite::send`]).
#[must_use = "a request does nothing until it is awaited"]
pub struct RawBatchWrite<'r> {
    client: &'r Client,
    requests: Vec<(String, WriteRequest)>,
    opts: BatchOptions,
    control: Control<'r>,
}

impl<'r> RawBatchWrite<'r> {
    batch_options!();
    write_control!();

    /// Checks the requests (each a put or a delete, no delete twice), then
    /// sends them (all but those of the checkpoint given to
    /// [`resume_from`](Self::resume_from)).
    pub async fn send(self) -> Result<BatchStats> {
        async move {
            if self.control.start.end() > self.requests.len() as u64 {
                return Err(ValidationError::new(
                    ValidationErrorKind::InvalidRequest,
                    format!(
                        "the checkpoint to resume from covers {} input positions, but the input has {}: \
                         it comes from another input",
                        self.control.start.end(),
                        self.requests.len()
                    ),
                )
                .into());
            }
            let mut tables: HashMap<String, Arc<str>> = HashMap::new();
            let mut deletes: HashSet<(String, String)> = HashSet::new();
            let mut units = Vec::with_capacity(self.requests.len());
            for (index, (table, request)) in self.requests.into_iter().enumerate() {
                let size = match (request.put_request(), request.delete_request()) {
                    (Some(put), None) => put
                        .item()
                        .iter()
                        .map(|(k, v)| k.len() + approx_size(v))
                        .sum(),
                    (None, Some(delete)) => {
                        let key = delete.key();
                        let id = canonical(sorted_names(key).iter().map(String::as_str), key);
                        if !deletes.insert((table.clone(), id)) {
                            return Err(ValidationError::new(
                                ValidationErrorKind::DuplicateKey,
                                format!(
                                    "input #{index}: key {} of table `{table}` is deleted twice",
                                    display_raw(key)
                                ),
                            )
                            .into());
                        }
                        key.iter().map(|(k, v)| k.len() + approx_size(v)).sum()
                    }
                    _ => {
                        return Err(ValidationError::new(
                            ValidationErrorKind::InvalidRequest,
                            format!("input #{index}: a write request needs exactly one of a put or a delete"),
                        )
                        .into())
                    }
                };
                let table = tables
                    .entry(table)
                    .or_insert_with_key(|t| Arc::from(t.as_str()))
                    .clone();
                if !self.control.start.is_completed(index as u64) {
                    let position = Some(index as u64);
                    units.push(Input::Unit(WriteUnit::kept(table, request, position), size));
                }
            }
            engine::write(
                self.client.sdk(),
                &self.opts,
                self.control,
                stream::iter(units).boxed(),
            )
            .await
        }
        .instrument(raw_span("BatchWriteItem"))
        .await
    }
}

impl<'r> IntoFuture for RawBatchWrite<'r> {
    type Output = Result<BatchStats>;
    type IntoFuture = BoxFuture<'r, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// What a raw batch get read. `Debug` shows attribute names with types and
/// sizes, unless values are revealed.
#[non_exhaustive]
pub struct RawBatchGetOutput {
    /// The items found, with their table, in the order they arrived.
    pub items: Vec<(String, Item)>,
    /// The keys with no item, with their table, in input order.
    pub missing: Vec<(String, Item)>,
    /// Requests sent and retries.
    pub stats: BatchStats,
}

impl std::fmt::Debug for RawBatchGetOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::redact::ShowItems;
        f.debug_struct("RawBatchGetOutput")
            .field("items", &ShowItems(&self.items))
            .field("missing", &ShowItems(&self.missing))
            .field("stats", &self.stats)
            .finish()
    }
}

/// A raw batch get being built; `.await` it (or call [`RawBatchGet::send`]).
#[must_use = "a request does nothing until it is awaited"]
pub struct RawBatchGet<'c> {
    client: &'c Client,
    keys: Vec<(String, Item)>,
    pub(super) opts: BatchOptions,
}

impl<'c> RawBatchGet<'c> {
    batch_options!();

    /// Reads with strong consistency (twice the read cost).
    pub fn consistent_read(mut self, consistent: bool) -> Self {
        self.opts.consistent_read = consistent;
        self
    }

    /// Reads every key.
    pub async fn send(self) -> Result<RawBatchGetOutput> {
        async move {
            // (table, canonical key) of each distinct key, with the key's attribute names.
            let mut wanted: Vec<(String, String, Item)> = Vec::new();
            let mut seen = HashSet::new();
            let mut names_of: HashMap<String, Vec<String>> = HashMap::new();
            for (index, (table, key)) in self.keys.into_iter().enumerate() {
                if key.is_empty() {
                    return Err(ValidationError::new(
                        ValidationErrorKind::EmptyKey,
                        format!("input #{index}: an empty key for table `{table}`"),
                    )
                    .into());
                }
                let names = sorted_names(&key);
                let id = canonical(names.iter().map(String::as_str), &key);
                names_of.entry(table.clone()).or_insert(names);
                if seen.insert((table.clone(), id.clone())) {
                    wanted.push((table, id, key));
                }
            }
            let units: Vec<_> = wanted
                .iter()
                .map(|(table, _, key)| {
                    Input::Unit(GetUnit::lent(Arc::from(table.as_str()), key), 0)
                })
                .collect();
            let result = engine::get(
                self.client.sdk(),
                &self.opts,
                stream::iter(units).boxed(),
                &AsRead,
            )
            .await?;
            let mut found = HashSet::new();
            let items: Vec<(String, Item)> = result
                .items
                .into_iter()
                .map(|(table, item)| {
                    if let Some(names) = names_of.get(&*table) {
                        found.insert((
                            table.to_string(),
                            canonical(names.iter().map(String::as_str), &item),
                        ));
                    }
                    (table.to_string(), item)
                })
                .collect();
            let missing = wanted
                .into_iter()
                .filter(|(table, id, _)| !found.contains(&(table.clone(), id.clone())))
                .map(|(table, _, key)| (table, key))
                .collect();
            Ok(RawBatchGetOutput {
                items,
                missing,
                stats: result.stats,
            })
        }
        .instrument(raw_span("BatchGetItem"))
        .await
    }
}

impl<'c> IntoFuture for RawBatchGet<'c> {
    type Output = Result<RawBatchGetOutput>;
    type IntoFuture = BoxFuture<'c, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
