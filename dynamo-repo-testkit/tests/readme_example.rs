//! The "Testing your code" example of the README, run as it is written there.

// tests/import.rs of your crate; Cargo.toml:
// [dev-dependencies] dynamo-repo-testkit = "0.1", tokio = { version = "1", features = ["full"] }
use dynamo_repo::{Entity, Repository, RetryPolicy};
use dynamo_repo_testkit::{FaultInjector, RequestRecorder, TestTables};
use std::time::Duration;

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "customers")]
struct Customer {
    #[dynamo(partition_key)]
    id: String,
    name: String,
}

/// The code under test: your import.
async fn import(repo: &Repository<Customer>, rows: &[Customer]) -> dynamo_repo::Result<()> {
    let retry = RetryPolicy::default()
        .with_max_attempts(20)
        .with_base_delay(Duration::from_millis(5));
    repo.batch_put(rows).retry_policy(retry).await.map(|_| ())
}

#[tokio::test]
async fn the_import_survives_30_percent_partial_batches() {
    let tables = TestTables::new().unwrap();
    let customers = tables.create::<Customer>().await.unwrap();
    let faults = FaultInjector::new(42).partial(0.3).throttling(0.1);
    let flaky = faults
        .client()
        .unwrap()
        .repository::<Customer>()
        .with_table_name(customers.table_name());

    let rows: Vec<Customer> = (0..2_000)
        .map(|i| Customer {
            id: format!("c{i}"),
            name: format!("n{i}"),
        })
        .collect();
    import(&flaky, &rows).await.unwrap();

    assert!(
        faults.counts().partial_responses > 0,
        "faults were injected"
    );
    assert_eq!(
        customers.scan().count().await.unwrap(),
        2_000,
        "every row is there exactly once"
    );
}

#[tokio::test]
async fn a_transfer_sends_one_transaction() {
    let recorder = RequestRecorder::new();
    // Tables are created and deleted through the recorder's client too.
    let tables = TestTables::with_client(recorder.client().unwrap());
    let customers = tables.create::<Customer>().await.unwrap();
    recorder.take();
    let mut uow = tables.client().unit_of_work();
    uow.with_repository(&customers)
        .put(&Customer {
            id: "a".into(),
            name: "A".into(),
        })
        .delete(Customer::key("b"));
    uow.commit().await.unwrap();
    assert_eq!(recorder.operations(), ["TransactWriteItems"]);
}

#[test]
fn this_file_is_the_readme_example() {
    let readme = include_str!("../../README.md");
    let this = include_str!("readme_example.rs");
    let body = &this[this.find("// tests/import.rs").unwrap()
        ..this.find("\n#[test]\nfn this_file_is").unwrap()];
    assert!(
        readme.contains(body.trim_end()),
        "README's \"Testing your code\" example and this file differ"
    );
}
