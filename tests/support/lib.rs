//! Shared helpers of the integration tests: the DynamoDB Local endpoint and
//! uniquely named tables, so tests run in parallel without interfering.

use dynamo_repo::{Client, Entity, Repository};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The endpoint of the DynamoDB the tests run against.
///
/// Panics (failing the test, never skipping it) when `DYNAMODB_ENDPOINT` is
/// not set: run the tests through `scripts/with-dynamodb-local`.
pub fn endpoint() -> String {
    match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(e) if !e.is_empty() => e,
        _ => panic!(
            "DYNAMODB_ENDPOINT is not set. The integration tests need a DynamoDB Local: \
             run them with `scripts/with-dynamodb-local cargo test --workspace`, \
             which starts one, or set DYNAMODB_ENDPOINT to a running server."
        ),
    }
}

/// A client for the test server.
pub fn client() -> Client {
    Client::local(endpoint())
}

/// A table name no other test (or test run) uses.
pub fn unique_table(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    )
}

/// A repository of `T` on a new, uniquely named table, created and ACTIVE.
pub async fn fresh_repository<T: Entity>() -> Repository<T> {
    let repo = client()
        .repository::<T>()
        .with_table_name(unique_table(T::SCHEMA.table));
    repo.create_table()
        .await
        .unwrap_or_else(|e| panic!("creating table {}: {e:?}", repo.table_name()));
    repo
}

pub mod faults;
pub mod models;
