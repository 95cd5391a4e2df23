//! Batch helpers against DynamoDB Local, with throttling, 500s and partial
//! processing injected by `dynamo_repo_tests::faults::FaultInjector`.

use dynamo_repo::batch::BatchEvent;
use dynamo_repo::sdk::types::{AttributeValue, PutRequest, WriteRequest};
use dynamo_repo::{Client, Entity, Error, Repository, RetryPolicy, ValidationErrorKind, WriteOp};
use dynamo_repo_tests::faults::FaultInjector;
use dynamo_repo_tests::models::Order;
use dynamo_repo_tests::{client, fresh_repository};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "batch-records")]
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

fn records(count: u32) -> Vec<Record> {
    (0..count).map(record).collect()
}

/// Many attempts and short delays: with faults on every third call, a
/// default of 5 attempts would (correctly) give up on a few items.
fn patient() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(30)
        .with_base_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(20))
}

fn quick(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(attempts)
        .with_base_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(5))
}

/// The same table seen through a client with fault injection.
fn through(faults: &FaultInjector, repo: &Repository<Record>) -> Repository<Record> {
    faults
        .client()
        .expect("a test DynamoDB")
        .repository::<Record>()
        .with_table_name(repo.table_name())
}

/// Every item of the table by a plain scan, counted by id.
async fn scan_ids(client: &Client, table: &str) -> HashMap<String, usize> {
    let items: Vec<_> = client
        .sdk()
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scan");
    let mut ids = HashMap::new();
    for item in items {
        let Some(AttributeValue::S(id)) = item.get("id") else {
            panic!("item without id: {item:?}");
        };
        *ids.entry(id.clone()).or_insert(0) += 1;
    }
    ids
}

fn ids_of(records: &[Record]) -> BTreeSet<String> {
    records.iter().map(|r| r.id.clone()).collect()
}

#[tokio::test]
async fn ten_thousand_items_survive_partial_processing_and_throttling() {
    let repo = fresh_repository::<Record>().await;
    let faults = FaultInjector::new(1).partial(0.3).throttling(0.1);
    let all = records(10_000);
    let stats = through(&faults, &repo)
        .batch_put(&all)
        .retry_policy(patient())
        .await
        .unwrap();
    assert_eq!(stats.processed, 10_000);

    let counts = faults.counts();
    assert!(counts.partial_responses > 50, "{counts:?}");
    assert!(counts.throttled > 20, "{counts:?}");
    assert!(counts.withheld > 0, "{counts:?}");
    assert_eq!(stats.requests, counts.batch_write_requests, "{counts:?}");

    let ids = scan_ids(repo.client(), repo.table_name()).await;
    assert_eq!(ids.len(), 10_000);
    assert!(ids.values().all(|&n| n == 1));
    assert_eq!(ids.keys().cloned().collect::<BTreeSet<_>>(), ids_of(&all));
}

#[tokio::test]
async fn never_processed_items_are_exactly_the_error_and_everything_else_is_written() {
    let repo = fresh_repository::<Record>().await;
    let doomed: BTreeSet<String> = ["r-00017", "r-00400", "r-00401", "r-00999"]
        .map(String::from)
        .into();
    let never = doomed.clone();
    let faults = FaultInjector::new(3).partial(0.3).never_process(
        move |item| matches!(item.get("id"), Some(AttributeValue::S(id)) if never.contains(id)),
    );
    let all = records(1_000);
    let err = through(&faults, &repo)
        .batch_put(&all)
        .retry_policy(quick(12))
        .await
        .unwrap_err();
    let rest = err.as_batch_incomplete().expect("BatchIncomplete");
    let not_written: Vec<Record> = rest.unprocessed_items().unwrap();
    assert_eq!(ids_of(&not_written), doomed);
    assert_eq!(not_written.len(), doomed.len(), "each once");
    assert_eq!(rest.processed, 1_000 - doomed.len() as u64);
    assert_eq!(rest.never_sent, 0);
    // DynamoDB answers a request it can process nothing of with throttling.
    assert!(
        rest.cause.as_deref().is_some_and(Error::is_throttled),
        "{err}"
    );

    let ids = scan_ids(repo.client(), repo.table_name()).await;
    let expected: BTreeSet<String> = ids_of(&all).difference(&doomed).cloned().collect();
    assert_eq!(ids.keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(ids.values().all(|&n| n == 1));

    // The same for reads: the keys not read are listed, the items read are kept.
    let keys = all.iter().map(|r| Record::key(r.id.clone()));
    let err = through(&faults, &repo)
        .batch_get(keys)
        .retry_policy(quick(12))
        .await
        .unwrap_err();
    let rest = err.as_batch_incomplete().unwrap();
    let unread: BTreeSet<String> = rest
        .unprocessed_get_keys::<Record>()
        .iter()
        .map(|k| match k.as_item().get("id") {
            Some(AttributeValue::S(s)) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(unread, doomed);
    let read: Vec<Record> = rest.retrieved_items().unwrap();
    assert_eq!(read.len(), 1_000 - doomed.len());
}

#[tokio::test]
async fn backoff_delays_grow_stay_under_the_cap_and_attempts_are_bounded() {
    let repo = fresh_repository::<Record>().await;
    let faults = FaultInjector::new(4).never_process(
        |item| matches!(item.get("id"), Some(AttributeValue::S(id)) if id == "r-00000"),
    );
    let policy = RetryPolicy::default()
        .with_max_attempts(6)
        .with_base_delay(Duration::from_millis(2))
        .with_max_delay(Duration::from_millis(10));
    let delays = Arc::new(Mutex::new(Vec::new()));
    let seen = delays.clone();
    let err = through(&faults, &repo)
        .batch_put(records(1))
        .retry_policy(policy)
        .random_source(|| 0.999)
        .on_progress(move |p| {
            if let BatchEvent::Retrying { retry, delay, .. } = p.event {
                seen.lock().unwrap().push((retry, delay));
            }
        })
        .await
        .unwrap_err();
    assert_eq!(err.as_batch_incomplete().unwrap().unprocessed_count(), 1);
    assert_eq!(
        faults.counts().batch_write_requests,
        6,
        "max_attempts requests"
    );
    let delays = delays.lock().unwrap().clone();
    let expected: Vec<(u32, Duration)> = [2, 4, 8, 10, 10]
        .iter()
        .enumerate()
        .map(|(i, ms)| (i as u32, Duration::from_millis(*ms).mul_f64(0.999)))
        .collect();
    assert_eq!(
        delays, expected,
        "full-jitter ceilings 2·2^n ms capped at 10 ms"
    );

    // With a seeded generator: every delay within its ceiling, reproducibly.
    let run = |seed| {
        let faults = faults.clone();
        let repo = repo.clone();
        async move {
            let delays = Arc::new(Mutex::new(Vec::new()));
            let seen = delays.clone();
            let _ = through(&faults, &repo)
                .batch_put(records(1))
                .retry_policy(policy)
                .jitter_seed(seed)
                .on_progress(move |p| {
                    if let BatchEvent::Retrying { delay, .. } = p.event {
                        seen.lock().unwrap().push(delay);
                    }
                })
                .await;
            let d = delays.lock().unwrap().clone();
            d
        }
    };
    let first = run(99).await;
    assert_eq!(first, run(99).await);
    assert_eq!(first.len(), 5);
    for (retry, delay) in first.iter().enumerate() {
        assert!(*delay <= policy.delay_ceiling(retry as u32), "{first:?}");
        assert!(*delay <= policy.max_delay);
    }
}

#[tokio::test]
async fn throttling_and_500s_of_whole_requests_are_retried_by_the_engine() {
    let repo = fresh_repository::<Record>().await;
    let faults = FaultInjector::new(5).throttling(0.2).server_errors(0.2);
    let all = records(1_000);
    through(&faults, &repo)
        .batch_put(&all)
        .retry_policy(patient())
        .await
        .unwrap();
    let counts = faults.counts();
    assert!(
        counts.throttled > 0 && counts.server_errors > 0,
        "{counts:?}"
    );
    let out = through(&faults, &repo)
        .batch_get(all.iter().map(|r| Record::key(r.id.clone())))
        .retry_policy(patient())
        .await
        .unwrap();
    assert_eq!(out.items.len(), 1_000);
    assert_eq!(
        scan_ids(repo.client(), repo.table_name()).await.len(),
        1_000
    );
}

#[tokio::test]
async fn requests_are_the_minimum_when_nothing_is_unprocessed() {
    let repo = fresh_repository::<Record>().await;
    let faults = FaultInjector::new(6);
    let all = records(1_001);
    let stats = through(&faults, &repo).batch_put(&all).await.unwrap();
    assert_eq!(stats.requests, 41); // ⌈1001 / 25⌉
    assert_eq!(faults.counts().batch_write_requests, 41);
    let mut keys: Vec<_> = all.iter().map(|r| Record::key(r.id.clone())).collect();
    keys.push(Record::key("r-00003")); // a duplicate is asked for once
    keys.push(Record::key("absent"));
    let out = through(&faults, &repo).batch_get(keys).await.unwrap();
    assert_eq!(faults.counts().batch_get_requests, 11); // ⌈1002 / 100⌉
    assert_eq!(out.items.len(), 1_001);
    assert_eq!(out.missing, vec![Record::key("absent")]);
}

#[tokio::test]
async fn duplicate_oversize_and_empty_keys_are_refused_before_sending() {
    let repo = fresh_repository::<Record>().await;
    let faults = FaultInjector::new(7);
    let repo = through(&faults, &repo);

    let mut twice = records(30);
    twice.push(record(12));
    let err = repo.batch_put(&twice).await.unwrap_err();
    let v = err.as_validation().expect("validation");
    assert_eq!(v.kind, ValidationErrorKind::DuplicateKey);
    assert!(v.message.contains("{id: S(7 bytes)}"), "{}", v.message);
    assert!(v.message.contains("#12 and #30"), "{}", v.message);

    let mut big = records(3);
    big[1].payload = "x".repeat(400 * 1024);
    let err = repo.batch_put(&big).await.unwrap_err();
    let v = err.as_validation().expect("validation");
    assert_eq!(v.kind, ValidationErrorKind::ItemTooLarge);
    assert!(
        v.message.contains("input #1, key {id: S(7 bytes)}"),
        "{}",
        v.message
    );

    let mut empty = records(3);
    empty[2].id = String::new();
    let err = repo.batch_put(&empty).await.unwrap_err();
    let v = err.as_validation().expect("validation");
    assert_eq!(v.kind, ValidationErrorKind::EmptyKey);
    assert!(v.message.contains("input #2"), "{}", v.message);
    let err = repo
        .batch_delete([Record::key("a"), Record::key("")])
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().unwrap().kind,
        ValidationErrorKind::EmptyKey
    );
    let err = repo
        .batch_get([Record::key(""), Record::key("a")])
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().unwrap().kind,
        ValidationErrorKind::EmptyKey
    );

    assert_eq!(faults.counts().batch_write_requests, 0, "nothing was sent");
    assert_eq!(faults.counts().batch_get_requests, 0, "nothing was sent");

    // Unless the caller asks for the last write to win.
    let mut newer = record(12);
    newer.payload = "newer".into();
    twice.push(newer.clone());
    repo.batch_put(&twice).last_write_wins().await.unwrap();
    assert_eq!(repo.get(Record::key("r-00012")).await.unwrap(), Some(newer));
}

#[tokio::test]
async fn puts_deletes_and_mixed_writes() {
    let repo = fresh_repository::<Record>().await;
    repo.batch_put(records(100)).concurrency(2).await.unwrap();
    repo.batch_delete((0..50).map(|n| Record::key(record(n).id)))
        .await
        .unwrap();
    let mut changed = record(60);
    changed.payload = "changed".into();
    repo.batch_write([
        WriteOp::Put(changed.clone()),
        WriteOp::Delete(Record::key(record(61).id)),
        WriteOp::Put(record(500)),
    ])
    .await
    .unwrap();
    let ids = scan_ids(repo.client(), repo.table_name()).await;
    assert_eq!(ids.len(), 50);
    assert!(ids.contains_key("r-00500") && !ids.contains_key("r-00061"));
    assert_eq!(
        repo.get(Record::key("r-00060")).await.unwrap(),
        Some(changed)
    );
}

#[tokio::test]
async fn a_streamed_import_writes_everything_and_reports_progress() {
    let repo = fresh_repository::<Record>().await;
    let faults = FaultInjector::new(8).partial(0.3);
    let last = Arc::new(Mutex::new(None));
    let seen = last.clone();
    let stats = through(&faults, &repo)
        .batch_put_stream(futures::stream::iter((0..3_000).map(record)))
        .retry_policy(patient())
        .concurrency(4)
        .on_progress(move |p| *seen.lock().unwrap() = Some(p.clone()))
        .await
        .unwrap();
    assert_eq!(stats.processed, 3_000);
    let last = last.lock().unwrap().clone().unwrap();
    assert_eq!(last.processed, 3_000);
    assert_eq!(last.chunks_done, 120);
    assert_eq!(last.failed, 0);
    assert!(
        last.retries > 0 && last.unprocessed_returned > 0,
        "{last:?}"
    );
    assert_eq!(
        scan_ids(repo.client(), repo.table_name()).await.len(),
        3_000
    );
}

#[tokio::test]
async fn a_refused_item_in_a_stream_stops_the_import_and_returns_the_rest() {
    let repo = fresh_repository::<Record>().await;
    let mut items = records(500);
    items[300] = record(7); // a key already written earlier in the stream
    let err = repo
        .batch_put_stream(futures::stream::iter(items.clone()))
        .concurrency(1)
        .await
        .unwrap_err();
    let rest = err.as_batch_incomplete().expect("BatchIncomplete");
    let cause = rest
        .cause
        .as_deref()
        .and_then(Error::as_validation)
        .unwrap();
    assert_eq!(cause.kind, ValidationErrorKind::DuplicateKey);
    assert!(cause.message.contains("input #300"), "{}", cause.message);
    let not_written = rest.unprocessed_items::<Record>().unwrap();
    let written = scan_ids(repo.client(), repo.table_name()).await;
    assert_eq!(written.len() as u64, rest.processed);
    assert_eq!(
        written.len() + not_written.len(),
        500,
        "each item is written or returned"
    );
    for r in &not_written[1..] {
        assert!(
            !written.contains_key(&r.id),
            "{} both written and returned",
            r.id
        );
    }
}

#[tokio::test]
async fn an_error_retrying_cannot_fix_stops_the_batch_and_returns_everything_unsent() {
    let repo = client()
        .repository::<Record>()
        .with_table_name("batch-no-such-table");
    let err = repo
        .batch_put(records(200))
        .concurrency(1)
        .await
        .unwrap_err();
    let rest = err.as_batch_incomplete().expect("BatchIncomplete");
    assert_eq!(rest.unprocessed_count(), 200);
    assert_eq!(rest.never_sent, 175, "only the first chunk was sent");
    assert!(
        rest.cause
            .as_deref()
            .is_some_and(Error::is_resource_not_found),
        "{err}"
    );
}

#[tokio::test]
async fn versioned_entities_are_refused_and_timestamps_are_stamped() {
    #[derive(dynamo_repo::Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "versioned")]
    struct Versioned {
        #[dynamo(partition_key)]
        id: String,
        #[dynamo(version)]
        version: u64,
    }
    #[derive(dynamo_repo::Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "stamped")]
    struct Stamped {
        #[dynamo(partition_key)]
        id: String,
        #[dynamo(created_at)]
        created: Option<i64>,
        #[dynamo(updated_at)]
        updated: i64,
    }
    let versioned = dynamo_repo_tests::fresh_repository::<Versioned>().await;
    let err = versioned
        .batch_put(&[Versioned {
            id: "a".into(),
            version: 0,
        }])
        .await
        .unwrap_err();
    let v = err.as_validation().expect("refused before sending");
    assert!(
        v.message.contains("cannot check a #[dynamo(version)]"),
        "{}",
        v.message
    );
    assert_eq!(versioned.scan().count().await.unwrap(), 0);

    let stamped = dynamo_repo_tests::fresh_repository::<Stamped>().await;
    stamped
        .batch_put(&[
            Stamped {
                id: "new".into(),
                created: None,
                updated: 0,
            },
            Stamped {
                id: "old".into(),
                created: Some(42),
                updated: 0,
            },
        ])
        .await
        .unwrap();
    let new = stamped.get(Stamped::key("new")).await.unwrap().unwrap();
    let old = stamped.get(Stamped::key("old")).await.unwrap().unwrap();
    assert!(
        new.updated > 1_700_000_000 && old.updated > 1_700_000_000,
        "updated_at is set"
    );
    assert_eq!(old.created, Some(42), "a creation time in hand is kept");
    assert!(
        new.created.is_some_and(|c| c > 1_700_000_000),
        "a missing creation time is set"
    );
}

#[tokio::test]
async fn versioned_entities_batch_delete_freely_and_batch_put_with_an_explicit_opt_out() {
    // Observed: any #[dynamo(version)] field disabled every typed batch
    // write, batch_delete included, with advice that did not fit a delete.
    #[derive(dynamo_repo::Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "versioned")]
    struct Doc {
        #[dynamo(partition_key)]
        id: String,
        #[dynamo(version)]
        version: u64,
        body: String,
    }
    let docs = dynamo_repo_tests::fresh_repository::<Doc>().await;
    let all: Vec<Doc> = (0..2_000u32)
        .map(|i| Doc {
            id: format!("d{i:04}"),
            // New items carry no version yet; a few carry one in hand.
            version: if i.is_multiple_of(100) { 7 } else { 0 },
            body: "b".into(),
        })
        .collect();
    let err = docs.batch_put(&all).await.unwrap_err();
    let v = err.as_validation().expect("refused before sending");
    assert_eq!(v.kind, ValidationErrorKind::VersionUnchecked);
    assert!(v.message.contains("skip_version_check"), "{}", v.message);
    assert_eq!(docs.scan().count().await.unwrap(), 0);

    let started = std::time::Instant::now();
    let stats = docs.batch_put(&all).skip_version_check().await.unwrap();
    println!("2,000 versioned puts in one batch: {:?}", started.elapsed());
    assert_eq!(stats.processed, 2_000);
    let stored = docs.scan().all().await.unwrap();
    assert_eq!(stored.len(), 2_000);
    for d in &stored {
        let n: usize = d.id[1..].parse().unwrap();
        let expected = if n.is_multiple_of(100) { 7 } else { 1 };
        assert_eq!(d.version, expected, "{}", d.id);
    }
    // The versions written are the ones a later save must name.
    let mut one = docs.get(Doc::key("d0001")).await.unwrap().unwrap();
    one.body = "edited".into();
    docs.save(&mut one).await.unwrap();
    assert_eq!(one.version, 2);

    // Deletes need no opt-out, like delete(key).
    let keys: Vec<_> = (0..2_000).map(|i| Doc::key(format!("d{i:04}"))).collect();
    docs.batch_delete(keys).await.unwrap();
    assert_eq!(docs.scan().count().await.unwrap(), 0);
}

/// A typed batch moves each encoded write into its first request and
/// encodes it again only when the request must be sent again (a 500, a
/// throttled request, unprocessed writes): what is written is exactly the
/// input, puts and deletes alike.
#[tokio::test]
async fn requests_sent_again_write_exactly_the_input() {
    let repo = fresh_repository::<Record>().await;
    let faults = FaultInjector::new(21)
        .server_errors(0.3)
        .throttling(0.2)
        .partial(0.3);
    let all = records(600);
    through(&faults, &repo)
        .batch_put(&all)
        .retry_policy(patient())
        .await
        .unwrap();
    let counts = faults.counts();
    assert!(
        counts.server_errors > 0 && counts.throttled > 0,
        "{counts:?}"
    );
    let keys = || all.iter().map(|r| Record::key(r.id.clone()));
    let out = repo.batch_get(keys()).in_input_order().await.unwrap();
    assert_eq!(out.items, all);

    // Every other record deleted, the rest changed, through the same faults.
    let ops = all.iter().map(|r| {
        if r.n % 2 == 0 {
            WriteOp::Delete(Record::key(r.id.clone()))
        } else {
            WriteOp::Put(Record {
                payload: format!("changed {}", r.n),
                ..r.clone()
            })
        }
    });
    through(&faults, &repo)
        .batch_write(ops)
        .retry_policy(patient())
        .await
        .unwrap();
    let out = repo.batch_get(keys()).in_input_order().await.unwrap();
    let changed: Vec<Record> = all
        .iter()
        .filter(|r| r.n % 2 == 1)
        .map(|r| Record {
            payload: format!("changed {}", r.n),
            ..r.clone()
        })
        .collect();
    assert_eq!(out.items, changed);
    let deleted: Vec<_> = all
        .iter()
        .filter(|r| r.n % 2 == 0)
        .map(|r| Record::key(r.id.clone()))
        .collect();
    assert_eq!(out.missing, deleted);
}

#[path = "batch/reads.rs"]
mod reads;
