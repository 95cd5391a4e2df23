//! The Streams API reader (feature `streams`): shards discovered and read
//! parent before child, from the trim horizon, the latest record or a saved
//! [`Checkpoint`], polled with backoff when idle, as a `futures::Stream`.

use super::change::Change;
use super::checkpoint::{Checkpoint, ShardPosition};
use super::decode::StreamRecord;
use super::error::StreamError;
use super::records::from_sdk_record;
use crate::entity::Entity;
use crate::single_table::Collection;
use aws_sdk_dynamodbstreams::types::{self as st, ShardIteratorType};
use futures::Stream;
use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

/// A DynamoDB Streams client for a DynamoDB Local (or any compatible server
/// serving both APIs) at `endpoint`, with the dummy credentials, region,
/// retries and timeouts of [`Client::local`](crate::Client::local).
pub fn local_streams_client(endpoint: impl Into<String>) -> aws_sdk_dynamodbstreams::Client {
    let defaults = crate::Client::local_config("http://localhost").build();
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodbstreams::config::Credentials::new(
            "local",
            "local",
            None,
            None,
            "dynamo-repo-local",
        ));
    let mut config = config;
    config.set_retry_config(defaults.retry_config().cloned());
    config.set_timeout_config(defaults.timeout_config().cloned());
    aws_sdk_dynamodbstreams::Client::from_conf(config.build())
}

/// A DynamoDB Streams client for AWS, configured from the environment
/// (region, credentials, profiles) like every AWS SDK and
/// [`Client::from_env`](crate::Client::from_env).
pub async fn streams_client_from_env() -> aws_sdk_dynamodbstreams::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_dynamodbstreams::Client::new(&config)
}

/// Where a reader starts in the shards its checkpoint does not name.
#[derive(Debug, Clone)]
enum Start {
    TrimHorizon,
    Latest,
    Checkpoint(Checkpoint),
}

/// Reads a table's stream through the DynamoDB Streams API.
///
/// ```rust,no_run
/// use dynamo_repo::stream::{streams_client_from_env, Change, StreamReader};
/// use futures::StreamExt;
/// # #[derive(dynamo_repo::Entity, Debug)]
/// # #[dynamo(table = "orders")]
/// # struct Order { #[dynamo(partition_key)] id: String, total: f64 }
/// # async fn demo(client: dynamo_repo::Client, saved: Option<dynamo_repo::stream::Checkpoint>)
/// # -> Result<(), Box<dyn std::error::Error>> {
/// let streams = streams_client_from_env().await; // or local_streams_client(endpoint)
/// let reader = StreamReader::for_table(&client, streams, "orders").await?;
/// let reader = match saved {
///     Some(checkpoint) => reader.from_checkpoint(checkpoint)?,
///     None => reader.from_trim_horizon(),
/// };
/// let mut changes = reader.changes::<Order>();
/// while let Some(change) = changes.next().await {
///     match change? {
///         Change::Insert { new: Some(order), .. } => println!("new {}", order.id),
///         other => println!("{} {}", other.event_name(), other.sequence_number()),
///     }
///     let checkpoint = changes.checkpoint(); // persist it to resume here
/// #   let _ = checkpoint;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a reader does nothing until its changes are polled"]
pub struct StreamReader {
    client: aws_sdk_dynamodbstreams::Client,
    stream_arn: String,
    start: Start,
    idle_min: Duration,
    idle_max: Duration,
    limit: Option<i32>,
}

impl StreamReader {
    /// A reader of the stream `stream_arn`, from the trim horizon.
    pub fn new(client: aws_sdk_dynamodbstreams::Client, stream_arn: impl Into<String>) -> Self {
        StreamReader {
            client,
            stream_arn: stream_arn.into(),
            start: Start::TrimHorizon,
            idle_min: Duration::from_millis(50),
            idle_max: Duration::from_secs(2),
            limit: None,
        }
    }

    /// A reader of the current stream of entity `T`'s table, named as the
    /// client names it (after its table prefix or name function; see
    /// [`Client::table_name_of`](crate::Client::table_name_of)).
    pub async fn for_entity<T: crate::Entity>(
        client: &crate::Client,
        streams: aws_sdk_dynamodbstreams::Client,
    ) -> Result<Self, StreamError> {
        Self::for_table(client, streams, &client.table_name_of::<T>()).await
    }

    /// A reader of the current stream of `table` (its `LatestStreamArn`),
    /// from the trim horizon; [`StreamError::NoStream`] when it has none.
    /// `table` is the table's real name, used as given: with a table prefix
    /// or name function, use [`for_entity`](Self::for_entity).
    pub async fn for_table(
        client: &crate::Client,
        streams: aws_sdk_dynamodbstreams::Client,
        table: &str,
    ) -> Result<Self, StreamError> {
        let out = client
            .sdk()
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| crate::error::from_sdk(e, "DescribeTable", table))?;
        let table_description = out.table();
        let enabled = table_description
            .and_then(|t| t.stream_specification())
            .is_some_and(|s| s.stream_enabled());
        match table_description.and_then(|t| t.latest_stream_arn()) {
            Some(arn) if enabled => Ok(Self::new(streams, arn)),
            _ => Err(StreamError::NoStream {
                table: table.to_owned(),
            }),
        }
    }

    /// The stream read.
    pub fn stream_arn(&self) -> &str {
        &self.stream_arn
    }

    /// Starts at the oldest record kept (24 hours): the default.
    pub fn from_trim_horizon(mut self) -> Self {
        self.start = Start::TrimHorizon;
        self
    }

    /// Starts after the newest record: only changes made from now on (in the
    /// shards open now; shards that open later are read from their start).
    pub fn from_latest(mut self) -> Self {
        self.start = Start::Latest;
        self
    }

    /// Resumes after the last change a [`Checkpoint`] saw;
    /// [`StreamError::CheckpointMismatch`] for another stream's checkpoint.
    pub fn from_checkpoint(mut self, checkpoint: Checkpoint) -> Result<Self, StreamError> {
        if checkpoint.stream_arn() != self.stream_arn {
            return Err(StreamError::CheckpointMismatch {
                stream_arn: self.stream_arn,
            });
        }
        self.start = Start::Checkpoint(checkpoint);
        Ok(self)
    }

    /// How long to wait when a poll of every open shard found nothing: from
    /// `min`, doubling per empty poll up to `max`, back to `min` after a
    /// record (default 50 ms to 2 s).
    pub fn idle_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.idle_min = min;
        self.idle_max = max.max(min);
        self
    }

    /// The most records one `GetRecords` returns (1 to 1000; DynamoDB's
    /// default is 1000).
    pub fn records_per_call(mut self, limit: i32) -> Self {
        self.limit = Some(limit.clamp(1, 1000));
        self
    }

    /// The records undecoded, with their images as `aws-sdk-dynamodb` items.
    pub fn records(self) -> Changes<StreamRecord> {
        self.stream_with(Ok)
    }

    /// The changes decoded as the entity `T`. A record that does not decode
    /// is an `Err` item naming it; the stream goes on after it.
    pub fn changes<T: Entity>(self) -> Changes<Change<T>> {
        self.stream_with(StreamRecord::decode::<T>)
    }

    /// The changes decoded as the collection `C`, routed by entity type.
    pub fn collection_changes<C: Collection>(self) -> Changes<Change<C>> {
        self.stream_with(StreamRecord::decode_collection::<C>)
    }

    fn stream_with<T: Send + 'static>(
        self,
        decode: fn(StreamRecord) -> Result<T, StreamError>,
    ) -> Changes<T> {
        let checkpoint = match &self.start {
            Start::Checkpoint(c) => c.clone(),
            _ => Checkpoint::new(self.stream_arn.clone()),
        };
        let shared = Arc::new(Mutex::new(checkpoint));
        let engine = Engine {
            idle: self.idle_min,
            reader: self,
            checkpoint: shared.clone(),
            shards: BTreeMap::new(),
            order: Vec::new(),
            next: 0,
            buffer: VecDeque::new(),
            closed: None,
            discover: true,
            first_discovery: true,
            stream_disabled: false,
        };
        let inner = futures::stream::unfold(engine, move |mut engine| async move {
            let item = engine.next_record().await?;
            Some((item.and_then(decode), engine))
        });
        Changes {
            inner: Box::pin(inner),
            checkpoint: shared,
        }
    }
}

/// The changes of a [`StreamReader`], as a `futures::Stream`, and the
/// checkpoint after the last one handed out.
///
/// The stream of an enabled table never ends: it waits for new changes
/// (`take`, `take_until` or a timeout end it). It ends when the stream was
/// disabled and every shard is read. An `Err` for a record (one that does not
/// decode) is followed by the next record; an `Err` from the Streams API ends
/// nothing either: the next poll retries.
#[must_use = "streams do nothing unless polled"]
pub struct Changes<T> {
    inner: Pin<Box<dyn Stream<Item = Result<T, StreamError>> + Send>>,
    checkpoint: Arc<Mutex<Checkpoint>>,
}

impl<T> Changes<T> {
    /// Where the stream is: every record handed out so far is behind it.
    /// Persist it after handling a change to resume right after that change.
    pub fn checkpoint(&self) -> Checkpoint {
        match self.checkpoint.lock() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl<T> Stream for Changes<T> {
    type Item = Result<T, StreamError>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> std::fmt::Debug for Changes<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Changes")
            .field("checkpoint", &self.checkpoint())
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Shard {
    parent: Option<String>,
    iterator: Option<String>,
    /// Where to get the first iterator from when there is none yet.
    latest: bool,
    done: bool,
}

struct Engine {
    reader: StreamReader,
    checkpoint: Arc<Mutex<Checkpoint>>,
    shards: BTreeMap<String, Shard>,
    /// Shard ids in discovery order (round robin over the ready ones).
    order: Vec<String>,
    next: usize,
    buffer: VecDeque<(String, StreamRecord)>,
    /// A shard read to its end, marked done once its records are handed out.
    closed: Option<String>,
    discover: bool,
    first_discovery: bool,
    stream_disabled: bool,
    idle: Duration,
}

impl Engine {
    fn set_position(&self, shard: &str, position: ShardPosition) {
        let mut c = match self.checkpoint.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        c.set(shard, position);
    }

    fn saved(&self, shard: &str) -> Option<ShardPosition> {
        let c = match self.checkpoint.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        c.position(shard).cloned()
    }

    async fn next_record(&mut self) -> Option<Result<StreamRecord, StreamError>> {
        loop {
            if let Some((shard, record)) = self.buffer.pop_front() {
                self.set_position(&shard, ShardPosition::After(record.sequence_number.clone()));
                return Some(Ok(record));
            }
            if let Some(shard) = self.closed.take() {
                self.set_position(&shard, ShardPosition::Done);
            }
            if self.discover {
                if let Err(e) = self.discover_shards().await {
                    return Some(Err(e));
                }
            }
            let ready = self.ready_shards();
            if ready.is_empty() {
                if self.stream_disabled && self.shards.values().all(|s| s.done) {
                    return None;
                }
                self.discover = true;
                self.sleep_idle().await;
                continue;
            }
            // One GetRecords per ready shard, round robin, until one has records.
            let mut found = false;
            for _ in 0..ready.len() {
                let shard = ready[self.next % ready.len()].clone();
                self.next = self.next.wrapping_add(1);
                match self.fetch(&shard).await {
                    Ok(n) if n > 0 || self.closed.is_some() => {
                        found = n > 0;
                        break;
                    }
                    Ok(_) => {}
                    Err(e) => return Some(Err(e)),
                }
            }
            if found {
                self.idle = self.reader.idle_min;
            } else if self.closed.is_none() {
                self.sleep_idle().await;
            }
        }
    }

    async fn sleep_idle(&mut self) {
        tokio::time::sleep(self.idle).await;
        self.idle = (self.idle * 2).min(self.reader.idle_max);
    }

    /// Open shards whose parent is read to its end (or gone).
    fn ready_shards(&self) -> Vec<String> {
        self.order
            .iter()
            .filter(|id| {
                let shard = &self.shards[*id];
                !shard.done
                    && shard
                        .parent
                        .as_ref()
                        .and_then(|p| self.shards.get(p))
                        .is_none_or(|p| p.done)
            })
            .cloned()
            .collect()
    }

    async fn discover_shards(&mut self) -> Result<(), StreamError> {
        let arn = self.reader.stream_arn.clone();
        let mut start: Option<String> = None;
        let first = self.first_discovery;
        loop {
            let out = self
                .reader
                .client
                .describe_stream()
                .stream_arn(&arn)
                .set_exclusive_start_shard_id(start.take())
                .send()
                .await
                .map_err(|e| crate::error::from_sdk(e, "DescribeStream", &arn))?;
            let Some(description) = out.stream_description else {
                break;
            };
            self.stream_disabled = matches!(
                description.stream_status,
                Some(st::StreamStatus::Disabled | st::StreamStatus::Disabling)
            );
            for shard in description.shards.unwrap_or_default() {
                let Some(id) = shard.shard_id else { continue };
                if self.shards.contains_key(&id) {
                    continue;
                }
                let closed = shard
                    .sequence_number_range
                    .as_ref()
                    .is_some_and(|r| r.ending_sequence_number.is_some());
                let saved = self.saved(&id);
                let latest = matches!(self.reader.start, Start::Latest) && first;
                let done = matches!(saved, Some(ShardPosition::Done))
                    || (latest && closed && saved.is_none());
                if done && saved.is_none() {
                    self.set_position(&id, ShardPosition::Done);
                }
                self.shards.insert(
                    id.clone(),
                    Shard {
                        parent: shard.parent_shard_id,
                        iterator: None,
                        latest: latest && saved.is_none(),
                        done,
                    },
                );
                self.order.push(id);
            }
            match description.last_evaluated_shard_id {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        self.first_discovery = false;
        self.discover = false;
        Ok(())
    }

    /// Reads one page of `shard`'s records into the buffer; the number read.
    async fn fetch(&mut self, shard_id: &str) -> Result<usize, StreamError> {
        let arn = self.reader.stream_arn.clone();
        let iterator = match self.shards[shard_id].iterator.clone() {
            Some(it) => it,
            None => {
                let request = self
                    .reader
                    .client
                    .get_shard_iterator()
                    .stream_arn(&arn)
                    .shard_id(shard_id);
                let request = match self.saved(shard_id) {
                    Some(ShardPosition::After(seq)) => request
                        .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                        .sequence_number(seq),
                    _ if self.shards[shard_id].latest => {
                        request.shard_iterator_type(ShardIteratorType::Latest)
                    }
                    _ => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
                };
                let out = request
                    .send()
                    .await
                    .map_err(|e| crate::error::from_sdk(e, "GetShardIterator", &arn))?;
                match out.shard_iterator {
                    Some(it) => it,
                    None => {
                        self.finish(shard_id);
                        return Ok(0);
                    }
                }
            }
        };
        let result = self
            .reader
            .client
            .get_records()
            .shard_iterator(iterator)
            .set_limit(self.reader.limit)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                use aws_sdk_dynamodbstreams::error::ProvideErrorMetadata;
                if e.code() == Some("ExpiredIteratorException") {
                    // A new iterator from the checkpoint's position, next time.
                    if let Some(s) = self.shards.get_mut(shard_id) {
                        s.iterator = None;
                        s.latest = false;
                    }
                    return Ok(0);
                }
                return Err(crate::error::from_sdk(e, "GetRecords", &arn).into());
            }
        };
        let records = out.records.unwrap_or_default();
        let n = records.len();
        for record in records {
            let record = from_sdk_record(record, shard_id)?;
            self.buffer.push_back((shard_id.to_owned(), record));
        }
        match out.next_shard_iterator {
            Some(next) => {
                if let Some(s) = self.shards.get_mut(shard_id) {
                    s.iterator = Some(next);
                }
            }
            None => self.finish(shard_id),
        }
        Ok(n)
    }

    /// The shard is closed and read: done once its buffered records are out;
    /// its children show up in the next discovery.
    fn finish(&mut self, shard_id: &str) {
        if let Some(s) = self.shards.get_mut(shard_id) {
            s.done = true;
            s.iterator = None;
        }
        self.closed = Some(shard_id.to_owned());
        self.discover = true;
    }
}
