//! Shared helpers of the integration tests, on top of `dynamo-repo-testkit`
//! (the same harness users get): the test DynamoDB and uniquely named
//! tables, so tests run in parallel without interfering.

use dynamo_repo::{Client, Entity, Repository};

pub mod models;

/// Fault injection, from the testkit users get.
pub use dynamo_repo_testkit::faults;

/// The endpoint of the DynamoDB the tests run against: `DYNAMODB_ENDPOINT`,
/// or a DynamoDB Local the testkit starts for this test binary.
///
/// Panics (failing the test, never skipping it) when neither is available.
pub fn endpoint() -> String {
    dynamo_repo_testkit::endpoint()
        .unwrap_or_else(|e| panic!("no DynamoDB for the integration tests: {e}"))
}

/// A client for the test server.
pub fn client() -> Client {
    Client::local(endpoint())
}

/// A table name no other test (or test run) uses.
pub fn unique_table(prefix: &str) -> String {
    dynamo_repo_testkit::unique_table_name(prefix)
}

/// A repository of `T` on a new, uniquely named table, created and ACTIVE.
/// (The server is in memory: its tables go with it.)
pub async fn fresh_repository<T: Entity>() -> Repository<T> {
    let repo = client()
        .repository::<T>()
        .with_table_name(unique_table(T::SCHEMA.table));
    repo.create_table()
        .await
        .unwrap_or_else(|e| panic!("creating table {}: {e:?}", repo.table_name()));
    repo
}
