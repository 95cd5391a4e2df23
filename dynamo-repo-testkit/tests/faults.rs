//! The fault injector injects each kind of fault at its configured rate
//! (within statistical tolerance, for a seeded run), with honest counters.

use dynamo_repo::sdk::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use dynamo_repo::{Entity, RetryPolicy};
use dynamo_repo_testkit::{FaultInjector, TestTables};

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "kit-faults")]
struct Item {
    #[dynamo(partition_key)]
    id: String,
    n: u32,
}

const CALLS: u32 = 300;
const RATE: f64 = 0.3;
/// Three standard deviations of a binomial share at n = 300, p = 0.3 (about 0.08).
fn tolerance() -> f64 {
    3.0 * (RATE * (1.0 - RATE) / CALLS as f64).sqrt()
}

fn assert_rate(label: &str, injected: u64, attempts: u64) {
    let share = injected as f64 / attempts as f64;
    assert!(
        (share - RATE).abs() <= tolerance(),
        "{label}: {injected} of {attempts} = {share:.3}, configured {RATE} ± {:.3}",
        tolerance()
    );
}

async fn table(faults: &FaultInjector) -> (TestTables, String, dynamo_repo::Client) {
    let tables = TestTables::new().unwrap();
    let repo = tables.create::<Item>().await.unwrap();
    let name = repo.table_name().to_owned();
    (
        tables,
        name,
        faults.client_with_sdk_retry(RetryPolicy::none()).unwrap(),
    )
}

fn key(i: u32) -> std::collections::HashMap<String, AttributeValue> {
    [("id".to_string(), AttributeValue::S(format!("k{i}")))]
        .into_iter()
        .collect()
}

#[tokio::test]
async fn throttling_and_server_errors_hit_their_share_of_batch_calls() {
    let faults = FaultInjector::new(11)
        .throttling(RATE / 2.0)
        .server_errors(RATE / 2.0);
    let (_tables, table, client) = table(&faults).await;
    let mut errors = 0;
    for i in 0..CALLS {
        let get = KeysAndAttributes::builder().keys(key(i)).build().unwrap();
        if client
            .sdk()
            .batch_get_item()
            .request_items(&table, get)
            .send()
            .await
            .is_err()
        {
            errors += 1;
        }
    }
    let c = faults.counts();
    assert_eq!(c.batch_get_requests, CALLS as u64);
    assert_eq!(
        c.throttled + c.server_errors,
        errors,
        "every injected fault surfaced as an error"
    );
    assert_rate(
        "throttling + 500s",
        c.throttled + c.server_errors,
        c.batch_get_requests,
    );
    assert!(c.throttled > 0 && c.server_errors > 0);
}

#[tokio::test]
async fn partial_batches_withhold_items_that_really_are_not_written() {
    let faults = FaultInjector::new(12).partial(RATE);
    let (_tables, table, client) = table(&faults).await;
    let mut unprocessed = 0;
    for i in 0..CALLS {
        let writes: Vec<WriteRequest> = (0..4)
            .map(|j| {
                let mut item = key(i * 4 + j);
                item.insert("n".into(), AttributeValue::N("1".into()));
                WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                    .build()
            })
            .collect();
        let out = client
            .sdk()
            .batch_write_item()
            .request_items(&table, writes)
            .send()
            .await
            .unwrap();
        unprocessed += out
            .unprocessed_items()
            .and_then(|u| u.get(&table))
            .map_or(0, Vec::len) as u64;
    }
    let c = faults.counts();
    assert_rate(
        "partial batches",
        c.partial_responses,
        c.batch_write_requests,
    );
    assert_eq!(c.withheld, unprocessed);
    let stored = dynamo_repo_testkit::client()
        .sdk()
        .scan()
        .table_name(&table)
        .select(dynamo_repo::sdk::types::Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stored.count() as u64,
        CALLS as u64 * 4 - unprocessed,
        "withheld items were not written"
    );
}

#[tokio::test]
async fn transaction_conflicts_hit_their_share_and_apply_nothing() {
    let faults = FaultInjector::new(13).transaction_conflicts(RATE);
    let (tables, _table, client) = table(&faults).await;
    let repo = tables.create::<Item>().await.unwrap();
    let mut cancelled = 0;
    for i in 0..CALLS {
        let mut uow = client.unit_of_work();
        uow.with_repository(&repo)
            .retry_policy(RetryPolicy::none())
            .put(&Item {
                id: format!("t{i}"),
                n: i,
            });
        if let Err(e) = uow.commit().await {
            assert!(e.is_transaction_canceled(), "{e:?}");
            cancelled += 1;
        }
    }
    let c = faults.counts();
    assert_eq!(c.conflicts, cancelled);
    assert_rate(
        "transaction conflicts",
        c.conflicts,
        c.transact_write_requests,
    );
    assert_eq!(
        repo.scan().count().await.unwrap(),
        (CALLS as u64) - cancelled,
        "conflicted transactions applied nothing"
    );
}

#[tokio::test]
async fn lost_responses_hit_their_share_after_the_write_is_applied() {
    let faults = FaultInjector::new(14).lost_responses(RATE);
    let (tables, _table, client) = table(&faults).await;
    let repo = tables.create::<Item>().await.unwrap();
    let through_faults = client
        .repository::<Item>()
        .with_table_name(repo.table_name());
    let mut failed = 0;
    for i in 0..CALLS {
        if through_faults
            .put(&Item {
                id: format!("p{i}"),
                n: i,
            })
            .await
            .is_err()
        {
            failed += 1;
        }
    }
    let c = faults.counts();
    assert_eq!(c.lost_responses, failed);
    assert_rate("lost responses", c.lost_responses, c.other_requests);
    assert_eq!(
        repo.scan().count().await.unwrap(),
        CALLS as u64,
        "every write was applied, lost response or not"
    );
}

#[tokio::test]
async fn never_processed_items_are_always_withheld() {
    let faults = FaultInjector::new(15)
        .never_process(|item| item.get("id") == Some(&AttributeValue::S("k7".into())));
    let (_tables, table, client) = table(&faults).await;
    for _ in 0..3 {
        let keys = KeysAndAttributes::builder()
            .keys(key(7))
            .keys(key(8))
            .build()
            .unwrap();
        let out = client
            .sdk()
            .batch_get_item()
            .request_items(&table, keys)
            .send()
            .await
            .unwrap();
        let unprocessed = &out.unprocessed_keys().unwrap()[&table];
        assert_eq!(unprocessed.keys(), [key(7)]);
    }
}
