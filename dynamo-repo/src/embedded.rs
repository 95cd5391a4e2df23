//! An embedded DynamoDB for local development, behind the `embedded` feature
//! (off by default): [`Client::embedded`] starts a DynamoDB-compatible server,
//! [dynoxide](https://docs.rs/dynoxide-rs) (in Rust, on SQLite), inside your
//! process, in memory or in a file, and returns a client of it. A service or
//! CLI then runs on a laptop with no AWS account, no Java and no Docker:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use dynamo_repo::embedded::EmbeddedStore;
//! let client = if std::env::var_os("LOCAL").is_some() {
//!     dynamo_repo::Client::embedded(EmbeddedStore::File("dev.db".into())).await?
//! } else {
//!     dynamo_repo::Client::from_env().await
//! };
//! # let _ = client; Ok(()) }
//! ```
//!
//! The server is a task of the Tokio runtime that called
//! [`Client::embedded`]: it serves while that runtime runs, and its in-memory
//! tables go with it. It is an emulator, checked against DynamoDB Local by
//! this crate's test suite (the README lists the differences found), not
//! DynamoDB: for tests, `dynamo-repo-testkit` gives the same server with one
//! instance per test binary that outlives each test's runtime.

use crate::client::Client;
use std::path::PathBuf;

/// Where the embedded server keeps its tables.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmbeddedStore {
    /// In memory: gone when the server stops.
    Memory,
    /// In a SQLite file, created if missing, kept across runs.
    File(PathBuf),
}

/// Why the embedded server could not start.
#[derive(Debug, thiserror::Error)]
#[error("the embedded DynamoDB could not start: {what}: {reason}")]
pub struct EmbeddedError {
    what: &'static str,
    reason: String,
}

impl EmbeddedError {
    fn new(what: &'static str, reason: impl std::fmt::Display) -> Self {
        EmbeddedError {
            what,
            reason: reason.to_string(),
        }
    }
}

impl Client {
    /// A client of an embedded DynamoDB-compatible server started in this
    /// process on a free loopback port, keeping its tables in `store` (see
    /// the [`embedded`](crate::embedded) module). Must be called inside a
    /// Tokio runtime, which then runs the server.
    #[cfg_attr(docsrs, doc(cfg(feature = "embedded")))]
    pub async fn embedded(store: EmbeddedStore) -> Result<Client, EmbeddedError> {
        let database = match &store {
            EmbeddedStore::Memory => dynoxide::Database::memory()
                .map_err(|e| EmbeddedError::new("opening an in-memory database", e))?,
            EmbeddedStore::File(path) => {
                let path = path.to_str().ok_or_else(|| {
                    EmbeddedError::new("opening the file", "its path is not UTF-8")
                })?;
                dynoxide::Database::new(path)
                    .map_err(|e| EmbeddedError::new("opening the file", e))?
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| EmbeddedError::new("binding a loopback port", e))?;
        let address = listener
            .local_addr()
            .map_err(|e| EmbeddedError::new("reading the bound address", e))?;
        tokio::spawn(async move {
            let served =
                dynoxide::server::serve_with_shutdown(listener, database, std::future::pending())
                    .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the embedded DynamoDB stopped");
            }
        });
        Ok(Client::local(format!("http://{address}")))
    }
}
