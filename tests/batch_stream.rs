//! Repeated keys in a streamed batch write (`batch_put_stream`), which
//! remembers keys in bounded memory: a repeat within the duplicate window, or
//! while the first write is not confirmed, is refused; a repeat past the
//! window after the first write was confirmed is written in stream order.

use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::{Entity, Error, Repository, RetryPolicy, ValidationErrorKind};
use dynamo_repo_tests::faults::FaultInjector;
use dynamo_repo_tests::fresh_repository;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "stream-records")]
struct Record {
    #[dynamo(partition_key)]
    id: String,
    n: u32,
    payload: String,
}

fn record(n: u32) -> Record {
    Record {
        id: format!("r-{n:05}"),
        n,
        payload: format!("payload of record {n}"),
    }
}

/// Record 7 again, with another payload.
fn second_seven() -> Record {
    Record {
        payload: "written second".into(),
        ..record(7)
    }
}

/// Records 0..600 with record 7 repeated at position 600 (then 600..700).
fn with_late_repeat() -> Vec<Record> {
    let mut items: Vec<Record> = (0..600).map(record).collect();
    items.push(second_seven());
    items.extend((600..700).map(record));
    items
}

/// Every stored id, counted.
async fn stored(repo: &Repository<Record>) -> HashMap<String, usize> {
    let items: Vec<_> = repo
        .client()
        .sdk()
        .scan()
        .table_name(repo.table_name())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scan");
    let mut ids = HashMap::new();
    for item in items {
        let Some(AttributeValue::S(id)) = item.get("id") else {
            panic!("item without id");
        };
        *ids.entry(id.clone()).or_insert(0) += 1;
    }
    ids
}

#[tokio::test]
async fn a_repeat_past_the_window_after_the_first_write_was_confirmed_is_written_in_stream_order() {
    let repo = fresh_repository::<Record>().await;
    // One request in flight: record 7 is confirmed long before position 600
    // is read, 593 positions later, past a window of 100.
    let stats = repo
        .batch_put_stream(futures::stream::iter(with_late_repeat()))
        .duplicate_window(100)
        .concurrency(1)
        .await
        .unwrap();
    assert_eq!(stats.processed, 701, "both writes of record 7 were sent");
    let ids = stored(&repo).await;
    assert_eq!(ids.len(), 700);
    assert!(ids.values().all(|&n| n == 1));
    assert_eq!(
        repo.get(Record::key("r-00007")).await.unwrap(),
        Some(second_seven()),
        "the later write replaced the earlier one"
    );
}

#[tokio::test]
async fn a_window_as_long_as_the_stream_refuses_every_repeat() {
    let repo = fresh_repository::<Record>().await;
    let err = repo
        .batch_put_stream(futures::stream::iter(with_late_repeat()))
        .duplicate_window(usize::MAX)
        .concurrency(1)
        .await
        .unwrap_err();
    let rest = err.as_batch_incomplete().expect("BatchIncomplete");
    let cause = rest
        .cause
        .as_deref()
        .and_then(Error::as_validation)
        .expect("a validation error");
    assert_eq!(cause.kind, ValidationErrorKind::DuplicateKey);
    assert!(
        cause.message.contains("input #600") && cause.message.contains("input #7"),
        "{}",
        cause.message
    );
    assert_eq!(
        repo.get(Record::key("r-00007")).await.unwrap(),
        Some(record(7)),
        "the repeat was not written"
    );
    let not_written = rest.unprocessed_items::<Record>().unwrap();
    assert!(not_written.contains(&second_seven()));
    assert_eq!(stored(&repo).await.len() + not_written.len(), 701);
}

#[tokio::test]
async fn a_repeat_of_a_write_not_confirmed_is_refused_however_far_back() {
    let repo = fresh_repository::<Record>().await;
    // Record 7 is never processed: its write is given up on, never confirmed.
    let faults = FaultInjector::new(5).never_process(
        |item| matches!(item.get("id"), Some(AttributeValue::S(id)) if id == "r-00007"),
    );
    let through = faults
        .client()
        .expect("a test DynamoDB")
        .repository::<Record>()
        .with_table_name(repo.table_name());
    let err = through
        .batch_put_stream(futures::stream::iter(with_late_repeat()))
        .duplicate_window(10)
        .concurrency(4)
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_base_delay(Duration::from_millis(1))
                .with_max_delay(Duration::from_millis(5)),
        )
        .await
        .unwrap_err();
    let rest = err.as_batch_incomplete().expect("BatchIncomplete");
    let cause = rest
        .cause
        .as_deref()
        .and_then(Error::as_validation)
        .expect("a validation error");
    assert_eq!(cause.kind, ValidationErrorKind::DuplicateKey);
    assert!(
        cause.message.contains("input #600") && cause.message.contains("input #7"),
        "{}",
        cause.message
    );
    let not_written = rest.unprocessed_items::<Record>().unwrap();
    assert!(not_written.contains(&record(7)), "the given-up first write");
    assert!(not_written.contains(&second_seven()), "the refused repeat");
    let ids = stored(&repo).await;
    assert!(!ids.contains_key("r-00007"));
    assert_eq!(ids.len() as u64, rest.processed);
    assert_eq!(
        ids.len() + not_written.len(),
        701,
        "each write applied or returned"
    );
}
