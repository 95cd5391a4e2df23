//! Fault injection: an SDK interceptor that makes DynamoDB Local behave like
//! a busy DynamoDB, for your own code's tests as for dynamo-repo's.
//!
//! DynamoDB Local never throttles and never returns unprocessed items, so
//! [`FaultInjector`] fakes both, faithfully:
//!
//! - **Partial processing** (`BatchWriteItem` / `BatchGetItem`): before the
//!   request is serialized, some write requests or keys are taken out of it,
//!   so DynamoDB Local really does not write (or read) them; when the call
//!   completes, they are added to the response's `UnprocessedItems` /
//!   `UnprocessedKeys`, exactly as DynamoDB reports them.
//! - **Never processed**: write requests or keys matching a predicate are
//!   always taken out and returned unprocessed. When nothing would be left to
//!   send, the call fails with `ProvisionedThroughputExceededException`, as
//!   DynamoDB does when it can process nothing.
//! - **Throttling and 500s** (per attempt, any operation): the request is
//!   rewritten into a harmless `ListTables` before signing (so nothing is
//!   written), and the response is replaced by a real-looking error response
//!   (`400 ProvisionedThroughputExceededException` or `500
//!   InternalServerError`), which the SDK parses and classifies as usual.
//!
//! - **Transaction conflicts** (`TransactWriteItems`): the attempt is
//!   rewritten into a harmless `ListTables`, and answered with a
//!   `TransactionCanceledException` whose reasons say `TransactionConflict`
//!   (one reason per action, in order), so nothing is applied.
//! - **Lost responses** (writes: `PutItem`, `UpdateItem`, `DeleteItem`,
//!   `BatchWriteItem`, `TransactWriteItems`): the attempt reaches DynamoDB and
//!   is applied, then its response is replaced by a 500, as when a connection
//!   drops after the server acted.
//!
//! Decisions come from a seeded xorshift generator, so a seeded run injects
//! the same faults every time. Counters report how many requests were sent
//! per operation and what was injected; the `ClientRequestToken` of every
//! `TransactWriteItems` attempt is recorded.
//!
//! ```no_run
//! # use dynamo_repo_testkit::FaultInjector;
//! let faults = FaultInjector::new(7).partial(0.3).throttling(0.1);
//! let client = faults.client().unwrap(); // SDK retries off: your code must retry
//! ```

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use dynamo_repo::sdk::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeSerializationInterceptorContextMut,
    BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextMut,
};
use dynamo_repo::sdk::config::{ConfigBag, Intercept, RuntimeComponents};
use dynamo_repo::sdk::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use dynamo_repo::sdk::operation::batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput};
use dynamo_repo::sdk::operation::transact_write_items::TransactWriteItemsInput;
use dynamo_repo::sdk::types::{KeysAndAttributes, WriteRequest};
use dynamo_repo::{Client, Item, RetryPolicy};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

mod intercept;

/// Which write requests or keys are never processed: gets the put's item, the
/// delete's key, or the get's key.
pub type NeverProcess = Arc<dyn Fn(&Item) -> bool + Send + Sync>;

/// An SDK interceptor injecting throttling, 500s and partial processing.
/// Cheap to clone; clones share counters.
#[derive(Clone)]
pub struct FaultInjector {
    inner: Arc<Inner>,
}

struct Inner {
    throttle_rate: f64,
    server_error_rate: f64,
    partial_rate: f64,
    partial_share: f64,
    conflict_rate: f64,
    lost_rate: f64,
    first_conflicts: AtomicU64,
    first_lost: AtomicU64,
    never: Option<NeverProcess>,
    only_batch: bool,
    rng: Mutex<u64>,
    counts: Counts,
    tokens: Mutex<Vec<String>>,
}

/// What the injector saw and did, so far.
#[derive(Debug, Default)]
pub struct Counts {
    /// HTTP requests (attempts) of `BatchWriteItem`.
    pub batch_write_requests: AtomicU64,
    /// HTTP requests (attempts) of `BatchGetItem`.
    pub batch_get_requests: AtomicU64,
    /// HTTP requests (attempts) of `TransactWriteItems`.
    pub transact_write_requests: AtomicU64,
    /// HTTP requests of other operations.
    pub other_requests: AtomicU64,
    /// Attempts answered with `ProvisionedThroughputExceededException`.
    pub throttled: AtomicU64,
    /// Attempts answered with a 500.
    pub server_errors: AtomicU64,
    /// Calls whose response had items or keys added as unprocessed.
    pub partial_responses: AtomicU64,
    /// Write requests or keys returned as unprocessed, in all.
    pub withheld: AtomicU64,
    /// `TransactWriteItems` attempts answered with a `TransactionConflict`.
    pub conflicts: AtomicU64,
    /// Attempts applied whose response was replaced by a 500.
    pub lost_responses: AtomicU64,
    /// Write requests of `BatchWriteItem` attempts that were sent on to
    /// DynamoDB (not withheld, not turned into a throttle or a 500): each one
    /// written, so a batch that wrote every item once delivers exactly as
    /// many as it has items.
    pub writes_delivered: AtomicU64,
}

/// A snapshot of [`Counts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CountsSnapshot {
    /// See [`Counts::batch_write_requests`].
    pub batch_write_requests: u64,
    /// See [`Counts::batch_get_requests`].
    pub batch_get_requests: u64,
    /// See [`Counts::transact_write_requests`].
    pub transact_write_requests: u64,
    /// See [`Counts::other_requests`].
    pub other_requests: u64,
    /// See [`Counts::throttled`].
    pub throttled: u64,
    /// See [`Counts::server_errors`].
    pub server_errors: u64,
    /// See [`Counts::partial_responses`].
    pub partial_responses: u64,
    /// See [`Counts::withheld`].
    pub withheld: u64,
    /// See [`Counts::conflicts`].
    pub conflicts: u64,
    /// See [`Counts::lost_responses`].
    pub lost_responses: u64,
    /// See [`Counts::writes_delivered`].
    pub writes_delivered: u64,
}

impl fmt::Debug for FaultInjector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultInjector")
            .field("throttle_rate", &self.inner.throttle_rate)
            .field("server_error_rate", &self.inner.server_error_rate)
            .field("partial_rate", &self.inner.partial_rate)
            .field("counts", &self.inner.counts)
            .finish()
    }
}

impl FaultInjector {
    /// An injector that injects nothing yet (it still counts requests),
    /// drawing from a generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        FaultInjector {
            inner: Arc::new(Inner {
                throttle_rate: 0.0,
                server_error_rate: 0.0,
                partial_rate: 0.0,
                partial_share: 0.5,
                conflict_rate: 0.0,
                lost_rate: 0.0,
                first_conflicts: AtomicU64::new(0),
                first_lost: AtomicU64::new(0),
                never: None,
                only_batch: true,
                rng: Mutex::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
                counts: Counts::default(),
                tokens: Mutex::new(Vec::new()),
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        f(Arc::get_mut(&mut self.inner).expect("configure the injector before cloning it"));
        self
    }

    /// Answers this share of batch attempts with `ProvisionedThroughputExceededException`.
    pub fn throttling(self, rate: f64) -> Self {
        self.edit(|i| i.throttle_rate = rate)
    }

    /// Answers this share of batch attempts with a 500 `InternalServerError`.
    pub fn server_errors(self, rate: f64) -> Self {
        self.edit(|i| i.server_error_rate = rate)
    }

    /// Processes only part of this share of batch calls: each write request or
    /// key of such a call is withheld with probability `share` (default 0.5),
    /// at least one and never all.
    pub fn partial(self, rate: f64) -> Self {
        self.edit(|i| i.partial_rate = rate)
    }

    /// Sets the share of a partly processed call that is withheld.
    pub fn partial_share(self, share: f64) -> Self {
        self.edit(|i| i.partial_share = share)
    }

    /// Never processes the write requests or keys for which `never` is true.
    pub fn never_process(self, never: impl Fn(&Item) -> bool + Send + Sync + 'static) -> Self {
        self.edit(|i| i.never = Some(Arc::new(never)))
    }

    /// Answers this share of `TransactWriteItems` attempts with a
    /// `TransactionConflict` cancellation (nothing applied).
    pub fn transaction_conflicts(self, rate: f64) -> Self {
        self.edit(|i| i.conflict_rate = rate)
    }

    /// The next `n` `TransactWriteItems` attempts conflict, then the rate applies.
    pub fn first_transactions_conflict(self, n: u64) -> Self {
        self.edit(|i| i.first_conflicts = AtomicU64::new(n))
    }

    /// Applies this share of write attempts, then loses their response (a 500).
    pub fn lost_responses(self, rate: f64) -> Self {
        self.edit(|i| i.lost_rate = rate)
    }

    /// The next `n` write attempts are applied and their response lost, then the rate applies.
    pub fn first_responses_lost(self, n: u64) -> Self {
        self.edit(|i| i.first_lost = AtomicU64::new(n))
    }

    /// The `ClientRequestToken` of every `TransactWriteItems` attempt, in order.
    pub fn transaction_tokens(&self) -> Vec<String> {
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Also throttles and fails operations other than batch ones.
    pub fn all_operations(self) -> Self {
        self.edit(|i| i.only_batch = false)
    }

    /// A client of the test DynamoDB with this injector and the SDK's own
    /// retries off, so that only the batch engine retries.
    pub fn client(&self) -> Result<Client, crate::ServerError> {
        self.client_with_sdk_retry(RetryPolicy::none())
    }

    /// A client of the test DynamoDB with this injector and the given SDK retry policy.
    pub fn client_with_sdk_retry(&self, retry: RetryPolicy) -> Result<Client, crate::ServerError> {
        crate::client_through(self.clone(), Some(retry))
    }

    /// The counts so far.
    pub fn counts(&self) -> CountsSnapshot {
        let c = &self.inner.counts;
        let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
        CountsSnapshot {
            batch_write_requests: get(&c.batch_write_requests),
            batch_get_requests: get(&c.batch_get_requests),
            transact_write_requests: get(&c.transact_write_requests),
            other_requests: get(&c.other_requests),
            throttled: get(&c.throttled),
            server_errors: get(&c.server_errors),
            partial_responses: get(&c.partial_responses),
            withheld: get(&c.withheld),
            conflicts: get(&c.conflicts),
            lost_responses: get(&c.lost_responses),
            writes_delivered: get(&c.writes_delivered),
        }
    }

    /// A uniform number in `[0, 1)`.
    fn random(&self) -> f64 {
        let mut state = self.inner.rng.lock().unwrap();
        let mut x = *state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn never(&self, item: &Item) -> bool {
        self.inner.never.as_ref().is_some_and(|never| never(item))
    }

    /// Splits `n` entries into (kept, withheld) positions for this call.
    fn choose_withheld(&self, n: usize, never: &[bool]) -> Vec<bool> {
        let partial = self.inner.partial_rate > 0.0 && self.random() < self.inner.partial_rate;
        let mut withheld: Vec<bool> = never.to_vec();
        if partial && n > 1 {
            let open: Vec<usize> = (0..n).filter(|&i| !withheld[i]).collect();
            let mut chosen: Vec<usize> = open
                .iter()
                .copied()
                .filter(|_| self.random() < self.inner.partial_share)
                .collect();
            if chosen.is_empty() && open.len() > 1 {
                chosen.push(open[(self.random() * open.len() as f64) as usize % open.len()]);
            }
            if chosen.len() == open.len() && !chosen.is_empty() {
                chosen.pop(); // partial processing keeps at least one
            }
            for i in chosen {
                withheld[i] = true;
            }
        }
        withheld
    }
}

fn error_body(code: &str) -> String {
    format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"injected by FaultInjector"}}"#
    )
}

fn token_in(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let key = "\"ClientRequestToken\":\"";
    let start = text.find(key)? + key.len();
    let end = text[start..].find('"')? + start;
    Some(text[start..end].to_owned())
}
