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

mod accounts;
mod bucket;
pub mod charge;
mod intercept;
mod split;

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
}

#[cfg(test)]
mod tests;
