//! The DynamoDB an example talks to.
//!
//! `DYNAMODB_ENDPOINT` when it is set: DynamoDB Local
//! (`scripts/with-dynamodb-local`, `docker compose up -d`) or any other
//! server. Otherwise an embedded DynamoDB-compatible server,
//! [dynoxide](https://docs.rs/dynoxide-rs) (in Rust, on SQLite, in memory),
//! started inside this process by [`Client::embedded`] (dynamo-repo's
//! `embedded` feature): nothing to install, and its tables go when the
//! example ends.

use dynamo_repo::embedded::EmbeddedStore;
use dynamo_repo::Client;
use std::error::Error;

/// A client of the example's DynamoDB, after saying which backend it is.
pub async fn client() -> Result<Client, Box<dyn Error>> {
    if let Ok(endpoint) = std::env::var("DYNAMODB_ENDPOINT") {
        if !endpoint.is_empty() {
            println!("backend: the DynamoDB at DYNAMODB_ENDPOINT={endpoint}");
            return Ok(Client::local(endpoint));
        }
    }
    let client = Client::embedded(EmbeddedStore::Memory).await?;
    println!(
        "backend: embedded dynoxide (in memory, in this process); \
         set DYNAMODB_ENDPOINT to use DynamoDB Local or another server"
    );
    Ok(client)
}
