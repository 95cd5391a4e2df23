//! A capacity simulator: an SDK interceptor that gives DynamoDB Local (or the
//! embedded backend) a provisioned throughput, so a bulk job can be tested
//! against real throttling before it meets a real table.
//!
//! DynamoDB Local ignores provisioned throughput. [`CapacitySimulator`] keeps
//! a token bucket of read and of write capacity units per table (and, if
//! asked, per partition key value), refilled every instant at the
//! provisioned rate and keeping up to [`burst_seconds`](CapacitySimulator::burst_seconds)
//! of unused capacity (DynamoDB keeps 300 s, the default). Each request is
//! charged by DynamoDB's rules (see [`charge`]), computed by the simulator
//! itself from the request and response sizes (it does not need
//! `ReturnConsumedCapacity`):
//!
//! - **Writes** (`PutItem`, `UpdateItem`, `DeleteItem`, `TransactWriteItems`)
//!   go through when their whole charge is available, and are otherwise
//!   answered with `400 ProvisionedThroughputExceededException`, the error
//!   DynamoDB sends (nothing is written: the request is turned into a
//!   harmless `ListTables`).
//! - **`BatchWriteItem`** is processed as far as the bucket allows, in request
//!   order: the writes that fit are sent, the others are taken out of the
//!   request (really not written) and returned as `UnprocessedItems` in the
//!   200 response; only when none fits does the call fail with
//!   `ProvisionedThroughputExceededException`, as DynamoDB does.
//! - **Reads** (`GetItem`, `Query`, `Scan`, `TransactGetItems`) are let
//!   through while the bucket holds at least a minimal read, then charged on
//!   the size they returned, which may leave the bucket in debt (DynamoDB
//!   also learns a read's size only when it has read it). **`BatchGetItem`**
//!   admits keys while a minimal read of each fits, returning the others as
//!   `UnprocessedKeys`.
//!
//! Approximations, since the simulator sees only requests and responses:
//! an `UpdateItem` or a delete is charged on the size of its key and values
//! (DynamoDB charges the larger of the item before and after); a query or
//! scan whose filter dropped items is charged for the dropped ones at the
//! average size of those returned (`ScannedCount` says how many); index
//! reads are charged to the table. A bucket starts with one second of
//! capacity ([`initial_seconds`](CapacitySimulator::initial_seconds)).
//!
//! ```no_run
//! use dynamo_repo_testkit::capacity::{CapacitySimulator, Throughput};
//! # async fn demo(table: &str, items: Vec<(String, dynamo_repo::sdk::types::WriteRequest)>) {
//! let sim = CapacitySimulator::new().table(table, Throughput::new(100.0, 50.0)).burst_seconds(1.0);
//! let client = sim.client().unwrap(); // SDK retries off: the job under test must retry
//! client.batch_write_raw(items).await.unwrap();
//! let s = sim.stats();
//! println!("{} WCU, {} of {} requests throttled", s.write_units, s.throttled, s.requests);
//! # }
//! ```
//!
//! Use one client with the SDK's retries off (as [`CapacitySimulator::client`]
//! builds it): a `BatchWriteItem` is split once per call, so only a retry by
//! the code under test meets a refilled bucket for what was left. A
//! simulator can sit beside a [`FaultInjector`](crate::FaultInjector) on one
//! client (`Client::local_config(..).interceptor(sim).interceptor(faults)`).

mod bucket;
pub mod charge;

use self::bucket::TokenBucket;
use self::charge::{item_size, read_units, transactional_write_units, write_units, ReadKind};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use dynamo_repo::sdk::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeSerializationInterceptorContextMut,
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextMut,
};
use dynamo_repo::sdk::config::{ConfigBag, Intercept, RuntimeComponents};
use dynamo_repo::sdk::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use dynamo_repo::sdk::operation::batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput};
use dynamo_repo::sdk::operation::delete_item::DeleteItemInput;
use dynamo_repo::sdk::operation::get_item::{GetItemInput, GetItemOutput};
use dynamo_repo::sdk::operation::put_item::PutItemInput;
use dynamo_repo::sdk::operation::query::{QueryInput, QueryOutput};
use dynamo_repo::sdk::operation::scan::{ScanInput, ScanOutput};
use dynamo_repo::sdk::operation::transact_get_items::{
    TransactGetItemsInput, TransactGetItemsOutput,
};
use dynamo_repo::sdk::operation::transact_write_items::TransactWriteItemsInput;
use dynamo_repo::sdk::operation::update_item::UpdateItemInput;
use dynamo_repo::sdk::types::{AttributeValue, KeysAndAttributes, WriteRequest};
use dynamo_repo::{Client, Item, RetryPolicy};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Provisioned read and write capacity units per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throughput {
    /// Read capacity units per second (`f64::INFINITY`: unlimited).
    pub read_units: f64,
    /// Write capacity units per second (`f64::INFINITY`: unlimited).
    pub write_units: f64,
}

impl Throughput {
    /// `read_units` RCU and `write_units` WCU per second.
    pub fn new(read_units: f64, write_units: f64) -> Self {
        Throughput {
            read_units,
            write_units,
        }
    }

    /// `write_units` WCU per second, reads unlimited.
    pub fn writes(write_units: f64) -> Self {
        Throughput::new(f64::INFINITY, write_units)
    }

    /// `read_units` RCU per second, writes unlimited.
    pub fn reads(read_units: f64) -> Self {
        Throughput::new(read_units, f64::INFINITY)
    }
}

/// What the simulator charged and refused, so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CapacityStats {
    /// Calls seen (of any operation).
    pub requests: u64,
    /// Calls answered with `ProvisionedThroughputExceededException`.
    pub throttled: u64,
    /// `BatchWriteItem` / `BatchGetItem` calls that returned part of their
    /// writes or keys unprocessed.
    pub partial: u64,
    /// Write requests and keys returned unprocessed, in all.
    pub unprocessed: u64,
    /// Write requests of `BatchWriteItem` calls that were sent on (written).
    pub batch_writes_applied: u64,
    /// Write capacity units charged.
    pub write_units: f64,
    /// Read capacity units charged.
    pub read_units: f64,
}

/// Read and write units charged to one table.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Consumed {
    /// Read capacity units.
    pub read_units: f64,
    /// Write capacity units.
    pub write_units: f64,
}

/// An SDK interceptor that throttles by provisioned capacity. Cheap to
/// clone; clones share buckets and counters.
#[derive(Clone)]
pub struct CapacitySimulator {
    inner: Arc<Inner>,
}

struct Inner {
    tables: HashMap<String, Throughput>,
    every_table: Option<Throughput>,
    partition: Option<(String, Throughput)>,
    burst_seconds: f64,
    initial_seconds: f64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    buckets: HashMap<BucketKey, TokenBucket>,
    consumed: HashMap<String, Consumed>,
    stats: CapacityStats,
}

/// A bucket: a table's reads or writes, or those of one partition key value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BucketKey {
    table: String,
    partition: Option<String>,
    write: bool,
}

impl fmt::Debug for CapacitySimulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CapacitySimulator")
            .field("tables", &self.inner.tables)
            .field("every_table", &self.inner.every_table)
            .field("burst_seconds", &self.inner.burst_seconds)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Default for CapacitySimulator {
    fn default() -> Self {
        Self::new()
    }
}

impl CapacitySimulator {
    /// A simulator that limits nothing yet (it still charges and counts).
    pub fn new() -> Self {
        CapacitySimulator {
            inner: Arc::new(Inner {
                tables: HashMap::new(),
                every_table: None,
                partition: None,
                burst_seconds: 300.0,
                initial_seconds: 1.0,
                state: Mutex::new(State::default()),
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        f(Arc::get_mut(&mut self.inner).expect("configure the simulator before cloning it"));
        self
    }

    /// Provisions `table` (its name as requests give it) with `throughput`.
    pub fn table(self, table: impl Into<String>, throughput: Throughput) -> Self {
        let table = table.into();
        self.edit(|i| {
            i.tables.insert(table, throughput);
        })
    }

    /// Provisions every table not named with [`table`](Self::table).
    pub fn every_table(self, throughput: Throughput) -> Self {
        self.edit(|i| i.every_table = Some(throughput))
    }

    /// Also limits each value of the attribute `partition_key` (the
    /// partition key's name) to `throughput`, in every table, on top of the
    /// table's limit (DynamoDB's per-partition ceiling is 3,000 RCU and
    /// 1,000 WCU): a hot key throttles while the table has capacity left.
    pub fn per_partition(self, partition_key: impl Into<String>, throughput: Throughput) -> Self {
        let name = partition_key.into();
        self.edit(|i| i.partition = Some((name, throughput)))
    }

    /// How many seconds of unused capacity a bucket keeps (default 300, as
    /// DynamoDB); it keeps at least one second's worth.
    pub fn burst_seconds(self, seconds: f64) -> Self {
        self.edit(|i| i.burst_seconds = seconds)
    }

    /// How many seconds of capacity a bucket holds when first used
    /// (default 1; at most the burst allowance).
    pub fn initial_seconds(self, seconds: f64) -> Self {
        self.edit(|i| i.initial_seconds = seconds)
    }

    /// A client of the test DynamoDB through this simulator, with the SDK's
    /// own retries off.
    pub fn client(&self) -> Result<Client, crate::ServerError> {
        self.client_with_sdk_retry(RetryPolicy::none())
    }

    /// A client of the test DynamoDB through this simulator with the given
    /// SDK retry policy.
    pub fn client_with_sdk_retry(&self, retry: RetryPolicy) -> Result<Client, crate::ServerError> {
        crate::client_through(self.clone(), Some(retry))
    }

    /// The totals so far.
    pub fn stats(&self) -> CapacityStats {
        self.state().stats
    }

    /// The units charged to `table` so far.
    pub fn consumed(&self, table: &str) -> Consumed {
        self.state()
            .consumed
            .get(table)
            .copied()
            .unwrap_or_default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The rate of one bucket, `None` when unlimited.
    fn rate(&self, key: &BucketKey) -> Option<f64> {
        let throughput = match &key.partition {
            Some(_) => self.inner.partition.as_ref().map(|(_, t)| *t),
            None => self
                .inner
                .tables
                .get(&key.table)
                .copied()
                .or(self.inner.every_table),
        }?;
        let rate = if key.write {
            throughput.write_units
        } else {
            throughput.read_units
        };
        rate.is_finite().then_some(rate)
    }

    /// The buckets a write or read of `item` (or its key) in `table` draws on.
    fn keys_for(&self, table: &str, item: Option<&Item>, write: bool) -> Vec<BucketKey> {
        let mut keys = vec![BucketKey {
            table: table.to_owned(),
            partition: None,
            write,
        }];
        if let (Some((name, _)), Some(item)) = (&self.inner.partition, item) {
            if let Some(value) = item.get(name) {
                keys.push(BucketKey {
                    table: table.to_owned(),
                    partition: Some(partition_id(value)),
                    write,
                });
            }
        }
        keys
    }

    /// Takes `units` from every bucket of `keys` if all of them have it.
    fn try_take(&self, state: &mut State, keys: &[BucketKey], units: f64, now: Instant) -> bool {
        for key in keys {
            if let Some(bucket) = self.bucket(state, key, now) {
                if bucket.available(now) + 1e-9 < units {
                    return false;
                }
            }
        }
        for key in keys {
            if let Some(bucket) = self.bucket(state, key, now) {
                bucket.try_take(units, now);
            }
        }
        true
    }

    fn bucket<'s>(
        &self,
        state: &'s mut State,
        key: &BucketKey,
        now: Instant,
    ) -> Option<&'s mut TokenBucket> {
        let rate = self.rate(key)?;
        Some(state.buckets.entry(key.clone()).or_insert_with(|| {
            TokenBucket::new(
                rate,
                self.inner.burst_seconds,
                self.inner.initial_seconds,
                now,
            )
        }))
    }

    /// Takes every charge of a call, all or nothing.
    fn try_take_all(&self, charges: &[Charge]) -> bool {
        let now = Instant::now();
        let mut state = self.state();
        // Sum per bucket, so two writes to one table check their total.
        let mut totals: HashMap<&BucketKey, f64> = HashMap::new();
        for c in charges {
            for key in &c.buckets {
                *totals.entry(key).or_default() += c.units;
            }
        }
        for (key, units) in &totals {
            if let Some(bucket) = self.bucket(&mut state, key, now) {
                if bucket.available(now) + 1e-9 < *units {
                    return false;
                }
            }
        }
        for (key, units) in totals {
            if let Some(bucket) = self.bucket(&mut state, key, now) {
                bucket.try_take(units, now);
            }
        }
        for c in charges {
            record(&mut state, &c.table, c.units, c.write);
        }
        true
    }

    /// Whether every bucket of `keys` holds at least `units`.
    fn has(&self, keys: &[BucketKey], units: f64) -> bool {
        let now = Instant::now();
        let mut state = self.state();
        keys.iter().all(|key| {
            self.bucket(&mut state, key, now)
                .is_none_or(|b| b.available(now) + 1e-9 >= units)
        })
    }

    /// Charges a read after the fact, to its table's bucket.
    fn charge_read(&self, table: &str, units: f64) {
        let now = Instant::now();
        let mut state = self.state();
        let key = BucketKey {
            table: table.to_owned(),
            partition: None,
            write: false,
        };
        if let Some(bucket) = self.bucket(&mut state, &key, now) {
            bucket.charge(units, now);
        }
        record(&mut state, table, units, false);
    }
}

fn record(state: &mut State, table: &str, units: f64, write: bool) {
    let consumed = state.consumed.entry(table.to_owned()).or_default();
    if write {
        consumed.write_units += units;
        state.stats.write_units += units;
    } else {
        consumed.read_units += units;
        state.stats.read_units += units;
    }
}

/// A partition key value as a bucket name.
fn partition_id(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => format!("S:{s}"),
        AttributeValue::N(n) => format!("N:{n}"),
        AttributeValue::B(b) => format!("B:{:?}", b.as_ref()),
        other => format!("{other:?}"),
    }
}

/// Units to take from some buckets, charged to a table.
#[derive(Debug, Clone)]
struct Charge {
    table: String,
    buckets: Vec<BucketKey>,
    units: f64,
    write: bool,
}

/// What the simulator decided for the current call.
#[derive(Debug, Clone, Default)]
enum Call {
    /// Not limited by the simulator (other operations).
    #[default]
    Free,
    /// Writes to take in full per attempt, or throttle.
    Writes(Vec<Charge>),
    /// A `BatchWriteItem` none of whose writes fitted when it was split:
    /// taken in full per attempt (each write then counts as applied), or
    /// throttled.
    WholeBatchWrite(Vec<Charge>),
    /// A `BatchWriteItem` split into what is sent and what comes back.
    BatchWrite {
        withheld: HashMap<String, Vec<WriteRequest>>,
        count: u64,
    },
    /// Reads admitted while the tables have a minimal read, charged after.
    Reads { tables: Vec<String>, kind: ReadKind },
    /// A `BatchGetItem` split into admitted and withheld keys, with the
    /// minimal units already taken per table.
    BatchGet {
        withheld: HashMap<String, KeysAndAttributes>,
        count: u64,
        kinds: HashMap<String, ReadKind>,
        reserved: HashMap<String, (u64, f64)>,
        /// Nothing fitted: each attempt tries to admit every key.
        whole: Vec<(String, u64, ReadKind)>,
    },
}

impl Storable for Call {
    type Storer = StoreReplace<Self>;
}

/// The current attempt is answered with throttling.
#[derive(Debug, Clone, Copy)]
struct Throttled;

impl Storable for Throttled {
    type Storer = StoreReplace<Self>;
}

const THROTTLE_BODY: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."}"#;

impl CapacitySimulator {
    fn write_charge(&self, table: &str, item: &Item, units: f64) -> Charge {
        Charge {
            table: table.to_owned(),
            buckets: self.keys_for(table, Some(item), true),
            units,
            write: true,
        }
    }

    fn split_batch_write(&self, input: &mut BatchWriteItemInput) -> Call {
        let tables = input.request_items.take().unwrap_or_default();
        let now = Instant::now();
        let mut state = self.state();
        let mut kept: HashMap<String, Vec<WriteRequest>> = HashMap::new();
        let mut withheld: HashMap<String, Vec<WriteRequest>> = HashMap::new();
        let mut count = 0;
        let mut charged: Vec<(String, f64)> = Vec::new();
        // Request order within a table; tables in the map's order.
        for (table, requests) in tables {
            for request in requests {
                let item = match (request.put_request(), request.delete_request()) {
                    (Some(p), _) => p.item(),
                    (_, Some(d)) => d.key(),
                    _ => {
                        kept.entry(table.clone()).or_default().push(request);
                        continue;
                    }
                };
                let units = write_units(item_size(item));
                let keys = self.keys_for(&table, Some(item), true);
                if self.try_take(&mut state, &keys, units, now) {
                    charged.push((table.clone(), units));
                    kept.entry(table.clone()).or_default().push(request);
                } else {
                    count += 1;
                    withheld.entry(table.clone()).or_default().push(request);
                }
            }
        }
        if kept.is_empty() {
            // Nothing fits: the call fails whole; each attempt retries all.
            drop(state);
            let mut charges = Vec::new();
            for (table, requests) in &withheld {
                for r in requests {
                    let item = r
                        .put_request()
                        .map(|p| p.item())
                        .or(r.delete_request().map(|d| d.key()));
                    if let Some(item) = item {
                        charges.push(self.write_charge(table, item, write_units(item_size(item))));
                    }
                }
            }
            input.request_items = Some(withheld);
            return Call::WholeBatchWrite(charges);
        }
        for (table, units) in charged {
            record(&mut state, &table, units, true);
        }
        state.stats.batch_writes_applied += kept.values().map(|v| v.len() as u64).sum::<u64>();
        input.request_items = Some(kept);
        Call::BatchWrite { withheld, count }
    }

    fn split_batch_get(&self, input: &mut BatchGetItemInput) -> Call {
        let tables = input.request_items.take().unwrap_or_default();
        let now = Instant::now();
        let mut state = self.state();
        let mut kept: HashMap<String, KeysAndAttributes> = HashMap::new();
        let mut withheld: HashMap<String, KeysAndAttributes> = HashMap::new();
        let mut kinds = HashMap::new();
        let mut reserved: HashMap<String, (u64, f64)> = HashMap::new();
        let mut count = 0;
        let mut whole = Vec::new();
        for (table, mut ka) in tables {
            let kind = ReadKind::consistent(ka.consistent_read);
            kinds.insert(table.clone(), kind);
            whole.push((table.clone(), ka.keys.len() as u64, kind));
            let keys = std::mem::take(&mut ka.keys);
            let mut template = ka.clone();
            template.keys = Vec::new();
            for key in keys {
                let buckets = self.keys_for(&table, Some(&key), false);
                let target = if self.try_take(&mut state, &buckets, kind.minimum(), now) {
                    let r = reserved.entry(table.clone()).or_default();
                    r.0 += 1;
                    r.1 += kind.minimum();
                    &mut kept
                } else {
                    count += 1;
                    &mut withheld
                };
                target
                    .entry(table.clone())
                    .or_insert_with(|| template.clone())
                    .keys
                    .push(key);
            }
        }
        if kept.is_empty() {
            input.request_items = Some(withheld);
            return Call::BatchGet {
                withheld: HashMap::new(),
                count: 0,
                kinds,
                reserved: HashMap::new(),
                whole,
            };
        }
        input.request_items = Some(kept);
        Call::BatchGet {
            withheld,
            count,
            kinds,
            reserved,
            whole: Vec::new(),
        }
    }
}

/// Key and values of an update: what the simulator can size of it.
fn update_size(input: &UpdateItemInput) -> usize {
    let key = input.key.as_ref().map_or(0, item_size);
    let values = input
        .expression_attribute_values
        .as_ref()
        .map_or(0, |v| v.values().map(charge::value_size).sum());
    key + values
}

impl Intercept for CapacitySimulator {
    fn name(&self) -> &'static str {
        "CapacitySimulator"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.state().stats.requests += 1;
        let input = context.input_mut();
        let call = if let Some(write) = input.downcast_mut::<BatchWriteItemInput>() {
            self.split_batch_write(write)
        } else if let Some(get) = input.downcast_mut::<BatchGetItemInput>() {
            self.split_batch_get(get)
        } else if let Some(put) = input.downcast_ref::<PutItemInput>() {
            let table = put.table_name().unwrap_or_default();
            let item = put.item.clone().unwrap_or_default();
            Call::Writes(vec![self.write_charge(
                table,
                &item,
                write_units(item_size(&item)),
            )])
        } else if let Some(update) = input.downcast_ref::<UpdateItemInput>() {
            let table = update.table_name().unwrap_or_default();
            let key = update.key.clone().unwrap_or_default();
            Call::Writes(vec![self.write_charge(
                table,
                &key,
                write_units(update_size(update)),
            )])
        } else if let Some(delete) = input.downcast_ref::<DeleteItemInput>() {
            let table = delete.table_name().unwrap_or_default();
            let key = delete.key.clone().unwrap_or_default();
            Call::Writes(vec![self.write_charge(
                table,
                &key,
                write_units(item_size(&key)),
            )])
        } else if let Some(tx) = input.downcast_ref::<TransactWriteItemsInput>() {
            let mut charges = Vec::new();
            for action in tx.transact_items() {
                let (table, item, bytes) = if let Some(p) = action.put() {
                    (p.table_name(), p.item(), item_size(p.item()))
                } else if let Some(u) = action.update() {
                    let values = u
                        .expression_attribute_values
                        .as_ref()
                        .map_or(0, |v| v.values().map(charge::value_size).sum());
                    (u.table_name(), u.key(), item_size(u.key()) + values)
                } else if let Some(d) = action.delete() {
                    (d.table_name(), d.key(), item_size(d.key()))
                } else if let Some(c) = action.condition_check() {
                    (c.table_name(), c.key(), item_size(c.key()))
                } else {
                    continue;
                };
                charges.push(self.write_charge(table, item, transactional_write_units(bytes)));
            }
            Call::Writes(charges)
        } else if let Some(get) = input.downcast_ref::<GetItemInput>() {
            Call::Reads {
                tables: vec![get.table_name().unwrap_or_default().to_owned()],
                kind: ReadKind::consistent(get.consistent_read),
            }
        } else if let Some(query) = input.downcast_ref::<QueryInput>() {
            Call::Reads {
                tables: vec![query.table_name().unwrap_or_default().to_owned()],
                kind: ReadKind::consistent(query.consistent_read),
            }
        } else if let Some(scan) = input.downcast_ref::<ScanInput>() {
            Call::Reads {
                tables: vec![scan.table_name().unwrap_or_default().to_owned()],
                kind: ReadKind::consistent(scan.consistent_read),
            }
        } else if let Some(tx) = input.downcast_ref::<TransactGetItemsInput>() {
            Call::Reads {
                tables: tx
                    .transact_items()
                    .iter()
                    .filter_map(|t| t.get().map(|g| g.table_name().to_owned()))
                    .collect(),
                kind: ReadKind::Transactional,
            }
        } else {
            Call::Free
        };
        cfg.interceptor_state().store_put(call);
        Ok(())
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let admitted = match cfg.load::<Call>() {
            None | Some(Call::Free | Call::BatchWrite { .. }) => true,
            Some(Call::Writes(charges)) => self.try_take_all(charges),
            Some(Call::WholeBatchWrite(charges)) => {
                let admitted = self.try_take_all(charges);
                if admitted {
                    // The bucket refilled between the split and this attempt:
                    // every write of the call goes through.
                    self.state().stats.batch_writes_applied += charges.len() as u64;
                }
                admitted
            }
            Some(Call::Reads { tables, kind }) => tables.iter().all(|t| {
                let keys = self.keys_for(t, None, false);
                self.has(&keys, kind.minimum())
            }),
            Some(Call::BatchGet { whole, .. }) if whole.is_empty() => true,
            Some(Call::BatchGet { whole, .. }) => {
                let charges: Vec<Charge> = whole
                    .iter()
                    .map(|(t, n, kind)| Charge {
                        table: t.clone(),
                        buckets: self.keys_for(t, None, false),
                        units: *n as f64 * kind.minimum(),
                        write: false,
                    })
                    .collect();
                let admitted = self.try_take_all(&charges);
                if admitted {
                    // Reserved now; the completion charges the rest.
                    let reserved: HashMap<String, (u64, f64)> = whole
                        .iter()
                        .map(|(t, n, kind)| (t.clone(), (*n, *n as f64 * kind.minimum())))
                        .collect();
                    let mut call = cfg.load::<Call>().cloned().unwrap_or_default();
                    if let Call::BatchGet {
                        reserved: r,
                        whole: w,
                        ..
                    } = &mut call
                    {
                        // Recorded by try_take_all: do not count it twice.
                        let mut state = self.state();
                        for (t, (_, units)) in &reserved {
                            record(&mut state, t, -units, false);
                        }
                        *r = reserved;
                        w.clear();
                    }
                    cfg.interceptor_state().store_put(call);
                }
                admitted
            }
        };
        if !admitted {
            self.state().stats.throttled += 1;
            let request = context.request_mut();
            request
                .headers_mut()
                .insert("x-amz-target", "DynamoDB_20120810.ListTables");
            request.headers_mut().insert("content-length", "2");
            *request.body_mut() = SdkBody::from("{}");
            cfg.interceptor_state().store_put(Throttled);
        } else {
            cfg.interceptor_state().unset::<Throttled>();
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg.load::<Throttled>().is_none() {
            return Ok(());
        }
        let mut response = Response::new(StatusCode::try_from(400)?, SdkBody::from(THROTTLE_BODY));
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        *context.response_mut() = response;
        Ok(())
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(call) = cfg.load::<Call>().cloned() else {
            return Ok(());
        };
        let Some(Ok(output)) = context.output_or_error_mut() else {
            return Ok(());
        };
        match call {
            Call::Free | Call::Writes(_) | Call::WholeBatchWrite(_) => {}
            Call::BatchWrite { withheld, count } => {
                if count == 0 {
                    return Ok(());
                }
                if let Some(out) = output.downcast_mut::<BatchWriteItemOutput>() {
                    let unprocessed = out.unprocessed_items.get_or_insert_with(HashMap::new);
                    for (t, rs) in withheld {
                        unprocessed.entry(t).or_default().extend(rs);
                    }
                    let mut state = self.state();
                    state.stats.partial += 1;
                    state.stats.unprocessed += count;
                }
            }
            Call::BatchGet {
                withheld,
                count,
                kinds,
                reserved,
                ..
            } => {
                if let Some(out) = output.downcast_mut::<BatchGetItemOutput>() {
                    for (table, (admitted, units)) in &reserved {
                        let kind = kinds.get(table).copied().unwrap_or(ReadKind::Eventual);
                        let items = out
                            .responses
                            .as_ref()
                            .and_then(|r| r.get(table))
                            .map_or(&[][..], Vec::as_slice);
                        let found: f64 = items.iter().map(|i| read_units(item_size(i), kind)).sum();
                        let missing = admitted.saturating_sub(items.len() as u64) as f64;
                        let actual = found + missing * kind.minimum();
                        // The reserved minimum was taken already.
                        self.charge_read(table, actual - units);
                        record(&mut self.state(), table, *units, false);
                    }
                    if count > 0 {
                        let unprocessed = out.unprocessed_keys.get_or_insert_with(HashMap::new);
                        for (t, ka) in withheld {
                            match unprocessed.get_mut(&t) {
                                Some(existing) => existing.keys.extend(ka.keys),
                                None => {
                                    unprocessed.insert(t, ka);
                                }
                            }
                        }
                        let mut state = self.state();
                        state.stats.partial += 1;
                        state.stats.unprocessed += count;
                    }
                }
            }
            Call::Reads { tables, kind } => {
                if let Some(out) = output.downcast_ref::<GetItemOutput>() {
                    let bytes = out.item.as_ref().map_or(0, item_size);
                    self.charge_read(&tables[0], read_units(bytes, kind));
                } else if let Some(out) = output.downcast_ref::<QueryOutput>() {
                    let units = page_units(out.items(), out.count, out.scanned_count, kind);
                    self.charge_read(&tables[0], units);
                } else if let Some(out) = output.downcast_ref::<ScanOutput>() {
                    let units = page_units(out.items(), out.count, out.scanned_count, kind);
                    self.charge_read(&tables[0], units);
                } else if let Some(out) = output.downcast_ref::<TransactGetItemsOutput>() {
                    for (table, response) in tables.iter().zip(out.responses()) {
                        let bytes = response.item.as_ref().map_or(0, item_size);
                        self.charge_read(table, read_units(bytes, kind));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The charge of a query or scan page: its total size read, counting the
/// items a filter dropped at the average size of those returned.
fn page_units(items: &[Item], count: i32, scanned: i32, kind: ReadKind) -> f64 {
    let returned: usize = items.iter().map(item_size).sum();
    let dropped = scanned.saturating_sub(count).max(0) as usize;
    let average = if items.is_empty() {
        0
    } else {
        returned / items.len()
    };
    read_units(returned + dropped * average, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, bytes: usize) -> Item {
        let mut item = Item::new();
        item.insert("id".into(), AttributeValue::S(id.into()));
        let body = bytes - item_size(&item) - "body".len();
        item.insert("body".into(), AttributeValue::S("x".repeat(body)));
        assert_eq!(item_size(&item), bytes);
        item
    }

    #[test]
    fn a_page_is_charged_on_its_total_size_with_dropped_items_at_the_average() {
        let items: Vec<Item> = (0..10).map(|i| item(&format!("k{i}"), 1000)).collect();
        // 10,000 bytes: 3 strong units, not 10.
        assert_eq!(page_units(&items, 10, 10, ReadKind::Strong), 3.0);
        assert_eq!(page_units(&items, 10, 10, ReadKind::Eventual), 1.5);
        // 30 scanned, 10 returned: 30,000 bytes read.
        assert_eq!(page_units(&items, 10, 30, ReadKind::Strong), 8.0);
        assert_eq!(page_units(&[], 0, 0, ReadKind::Eventual), 0.5);
    }

    #[test]
    fn a_batch_write_is_split_where_the_bucket_runs_out() {
        let sim = CapacitySimulator::new()
            .table("t", Throughput::writes(10.0))
            .burst_seconds(1.0);
        // 4 writes of 3 WCU each: 3 fit in the initial 10 units.
        let requests: Vec<WriteRequest> = (0..4)
            .map(|i| {
                WriteRequest::builder()
                    .put_request(
                        dynamo_repo::sdk::types::PutRequest::builder()
                            .set_item(Some(item(&format!("k{i}"), 2100)))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        let mut input = BatchWriteItemInput::builder()
            .request_items("t", requests)
            .build()
            .unwrap();
        let Call::BatchWrite { withheld, count } = sim.split_batch_write(&mut input) else {
            panic!("a partial batch")
        };
        assert_eq!(count, 1);
        assert_eq!(withheld["t"].len(), 1);
        assert_eq!(input.request_items.as_ref().unwrap()["t"].len(), 3);
        assert_eq!(sim.consumed("t").write_units, 9.0);
        assert_eq!(sim.stats().batch_writes_applied, 3);
        // The bucket holds 1 unit now: nothing fits, the call is throttled whole.
        let mut again = BatchWriteItemInput::builder()
            .request_items("t", withheld["t"].clone())
            .build()
            .unwrap();
        assert!(
            matches!(sim.split_batch_write(&mut again), Call::WholeBatchWrite(c) if c.len() == 1 && c[0].units == 3.0)
        );
        assert_eq!(
            again.request_items.as_ref().unwrap()["t"].len(),
            1,
            "the request keeps its writes"
        );
    }

    #[test]
    fn a_hot_partition_throttles_while_the_table_has_capacity() {
        let sim = CapacitySimulator::new()
            .table("t", Throughput::writes(1000.0))
            .per_partition("id", Throughput::writes(2.0))
            .burst_seconds(1.0);
        let hot = item("hot", 100);
        let charge = || vec![sim.write_charge("t", &hot, 1.0)];
        assert!(sim.try_take_all(&charge()));
        assert!(sim.try_take_all(&charge()));
        assert!(!sim.try_take_all(&charge()), "the key's 2 WCU are spent");
        let cold = item("cold", 100);
        assert!(sim.try_take_all(&[sim.write_charge("t", &cold, 1.0)]));
        assert_eq!(sim.consumed("t").write_units, 3.0);
    }
}
