//! Moving money between accounts with a unit of work: both sides or neither.
//!
//! ```sh
//! cargo run -p dynamo-repo-examples --example transfer
//! ```
//!
//! runs on an embedded DynamoDB when `DYNAMODB_ENDPOINT` is unset (see
//! `backend.rs`); prefix `scripts/with-dynamodb-local` to use DynamoDB Local.

mod backend;

use dynamo_repo::unit_of_work::CancellationCode;
use dynamo_repo::{Client, Entity, Error};

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "transfer-accounts")]
struct Account {
    #[dynamo(partition_key)]
    id: String,
    owner: String,
    balance: i64,
    #[dynamo(version)]
    version: u64,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "transfer-ledger")]
struct Transfer {
    #[dynamo(partition_key)]
    id: String,
    from: String,
    to: String,
    amount: i64,
}

/// Debits `from` if it has the funds, credits `to`, and records the transfer, atomically.
async fn transfer(
    client: &Client,
    id: &str,
    from: &str,
    to: &str,
    amount: i64,
) -> dynamo_repo::Result<()> {
    let f = Account::fields();
    let mut uow = client.unit_of_work();
    uow.update_if(Account::key(from), f.balance.ge(amount), |u| {
        u.decrement(&f.balance, amount)
    })
    .update_if(Account::key(to), f.id.exists(), |u| {
        u.increment(&f.balance, amount)
    })
    .put_if_absent(&Transfer {
        id: id.into(),
        from: from.into(),
        to: to.into(),
        amount,
    });
    uow.commit().await.map(|_| ())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = backend::client().await?;
    let accounts = client.repository::<Account>();
    let ledger = client.repository::<Transfer>();
    accounts.ensure_table().await?;
    ledger.ensure_table().await?;

    for (id, owner, balance) in [("alice", "Alice", 100), ("bob", "Bob", 20)] {
        let mut account = Account {
            id: id.into(),
            owner: owner.into(),
            balance,
            version: 0,
        };
        // Fresh accounts have version 0: the first save requires that none exists.
        println!("open account {id} for {owner} with {balance} (save, version 0: must not exist)");
        match accounts.save(&mut account).await {
            Ok(()) => println!("opened {account:?}"),
            Err(e) if e.is_version_conflict() => println!("{id} already exists: {e}"),
            Err(e) => return Err(e.into()),
        }
    }

    let run = std::process::id();
    println!("transfer 30 from alice to bob: one unit of work (debit if balance >= 30, credit, ledger entry)");
    transfer(&client, &format!("t1-{run}"), "alice", "bob", 30).await?;
    println!("  committed: moved 30 from alice to bob");

    println!("transfer 1000 from bob to alice: bob has less, so the condition fails and nothing is applied");
    match transfer(&client, &format!("t2-{run}"), "bob", "alice", 1_000).await {
        Err(Error::TransactionCanceled(cancelled)) => {
            for action in cancelled.failed() {
                let stored: Option<Account> = action.existing().transpose()?;
                println!("  refused: {action}; stored: {stored:?}");
                assert_eq!(action.reason, CancellationCode::ConditionalCheckFailed);
            }
        }
        other => println!("unexpected: {other:?}"),
    }

    println!("balances now:");
    for id in ["alice", "bob"] {
        println!("  {:?}", accounts.get(Account::key(id)).await?);
    }
    Ok(())
}
