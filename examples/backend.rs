//! The DynamoDB an example talks to.
//!
//! `DYNAMODB_ENDPOINT` when it is set: DynamoDB Local
//! (`scripts/with-dynamodb-local`, `docker compose up -d`) or any other
//! server. Otherwise an embedded DynamoDB-compatible server,
//! [dynoxide](https://docs.rs/dynoxide-rs) (in Rust, on SQLite, in memory),
//! started inside this process on a free loopback port: nothing to install,
//! and its tables go when the example ends.

use std::error::Error;

/// The endpoint to give [`dynamo_repo::Client::local`], after saying which
/// backend it is.
pub async fn endpoint() -> Result<String, Box<dyn Error>> {
    if let Ok(endpoint) = std::env::var("DYNAMODB_ENDPOINT") {
        if !endpoint.is_empty() {
            println!("backend: the DynamoDB at DYNAMODB_ENDPOINT={endpoint}");
            return Ok(endpoint);
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let database = dynoxide::Database::memory()?;
    // Serves on this runtime until `main` returns.
    tokio::spawn(dynoxide::server::serve_with_shutdown(
        listener,
        database,
        std::future::pending::<()>(),
    ));
    println!(
        "backend: embedded dynoxide (in memory, in this process) at {endpoint}; \
         set DYNAMODB_ENDPOINT to use DynamoDB Local or another server"
    );
    Ok(endpoint)
}
