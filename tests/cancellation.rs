//! Cancellation: a batch whose future is dropped or stopped midway resumes
//! from its checkpoint without skipping an item (and, when stopped, without
//! writing one twice); a dropped commit may have been applied, and
//! committing the same unit again applies it once.

use dynamo_repo::batch::{BatchCheckpoint, BatchProgress};
use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::{Client, Entity, Repository, RetryPolicy, ValidationErrorKind};
use dynamo_repo_tests::faults::FaultInjector;
use dynamo_repo_tests::{client, endpoint, fresh_repository};
use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "cancel-records")]
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

fn patient() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(30)
        .with_base_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(20))
}

/// The same table seen through another client.
fn on(client: Client, repo: &Repository<Record>) -> Repository<Record> {
    client
        .repository::<Record>()
        .with_table_name(repo.table_name())
}

/// Every item of the table by a plain scan, counted by id.
async fn scan_ids(repo: &Repository<Record>) -> HashMap<String, usize> {
    let items: Vec<_> = client()
        .sdk()
        .scan()
        .table_name(repo.table_name())
        .consistent_read(true)
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

/// The ids of the input positions a checkpoint holds.
fn ids_in(checkpoint: &BatchCheckpoint, all: &[Record]) -> BTreeSet<String> {
    all.iter()
        .enumerate()
        .filter(|(i, _)| checkpoint.is_completed(*i as u64))
        .map(|(_, r)| r.id.clone())
        .collect()
}

/// A progress hook keeping the latest checkpoint, and firing `signal` once
/// `after` writes were processed.
fn watch(
    after: u64,
) -> (
    Arc<Mutex<BatchCheckpoint>>,
    tokio::sync::oneshot::Receiver<()>,
    impl Fn(&BatchProgress) + Send + Sync + 'static,
) {
    let latest = Arc::new(Mutex::new(BatchCheckpoint::new()));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let keep = latest.clone();
    let hook = move |p: &BatchProgress| {
        *keep.lock().unwrap() = p.checkpoint.clone();
        if p.processed >= after {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
        }
    };
    (latest, rx, hook)
}

/// A client whose batch writes are recorded by id (a never-process predicate
/// that never refuses), so a test sees exactly which items a run sent.
fn spying() -> (Client, Arc<Mutex<Vec<String>>>) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = sent.clone();
    let spy = FaultInjector::new(1).never_process(move |item| {
        if let Some(AttributeValue::S(id)) = item.get("id") {
            log.lock().unwrap().push(id.clone());
        }
        false
    });
    (spy.client().expect("a test DynamoDB"), sent)
}

// Observed: a `batch_put` future dropped after 400 ms had stored 275 of
// 2,000 items with nothing reported. Now the progress hook reports which
// positions are written, and resuming from it never skips an item and never
// resends one the checkpoint holds.
#[tokio::test]
async fn a_dropped_batch_put_resumes_from_its_checkpoint_without_skipping_an_item() {
    let repo = fresh_repository::<Record>().await;
    let all = records(3_000);
    let faults = FaultInjector::new(11).partial(0.3).throttling(0.1);
    let flaky = on(faults.client().unwrap(), &repo);
    let (latest, fired, hook) = watch(800);
    let concurrency = 8;
    tokio::select! {
        result = flaky
            .batch_put(&all)
            .retry_policy(patient())
            .concurrency(concurrency)
            .on_progress(hook)
            .send() => panic!("the batch finished before it was dropped: {result:?}"),
        _ = fired => {} // the batch future is dropped here, requests in flight
    }
    // Let the requests that reached the server before the drop land.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let checkpoint = latest.lock().unwrap().clone();
    let stored = scan_ids(&repo).await;
    assert!(
        faults.counts().partial_responses > 0,
        "{:?}",
        faults.counts()
    );
    assert!(
        checkpoint.completed() >= 800 && checkpoint.completed() < 3_000,
        "{checkpoint}"
    );
    for id in ids_in(&checkpoint, &all) {
        assert!(
            stored.contains_key(&id),
            "{id} is in the checkpoint, not in the table"
        );
    }
    // What the checkpoint does not hold but the table does was in flight.
    let in_doubt = stored.len() as u64 - checkpoint.completed();
    eprintln!(
        "dropped: {} stored, checkpoint {checkpoint} holds {}, {in_doubt} in doubt",
        stored.len(),
        checkpoint.completed()
    );
    assert!(
        in_doubt <= concurrency as u64 * 25,
        "{in_doubt} written beyond the checkpoint"
    );

    let (spy, sent) = spying();
    let stats = on(spy, &repo)
        .batch_put(&all)
        .resume_from(&checkpoint)
        .await
        .unwrap();
    let sent = sent.lock().unwrap().clone();
    assert_eq!(stats.processed, 3_000 - checkpoint.completed());
    assert_eq!(
        sent.len() as u64,
        3_000 - checkpoint.completed(),
        "each remaining item sent once"
    );
    let done = ids_in(&checkpoint, &all);
    assert!(
        sent.iter().all(|id| !done.contains(id)),
        "no item of the checkpoint is written again"
    );
    let stored = scan_ids(&repo).await;
    assert_eq!(stored.len(), 3_000, "no item skipped");
    assert!(stored.values().all(|&n| n == 1));
}

#[tokio::test]
async fn a_stopped_batch_put_resumes_and_writes_every_item_exactly_once() {
    let repo = fresh_repository::<Record>().await;
    let all = records(3_000);
    let faults = FaultInjector::new(12).partial(0.3).throttling(0.1);
    let (latest, fired, hook) = watch(1_000);
    let err = on(faults.client().unwrap(), &repo)
        .batch_put(&all)
        .retry_policy(patient())
        .on_progress(hook)
        .stop_when(async {
            let _ = fired.await;
        })
        .await
        .unwrap_err();
    let rest = err.as_batch_incomplete().expect("BatchIncomplete");
    assert!(rest.stopped && rest.cause.is_none(), "{err}");
    assert!(
        err.to_string().contains("stopped; resume from checkpoint"),
        "{err}"
    );
    let checkpoint = rest.checkpoint.clone();
    assert_eq!(
        checkpoint,
        *latest.lock().unwrap(),
        "the last report is the final checkpoint"
    );
    assert_eq!(rest.processed, checkpoint.completed());
    assert!(checkpoint.completed() >= 1_000 && checkpoint.completed() < 3_000);
    // Stopped, not dropped: the table holds exactly the checkpoint.
    let stored = scan_ids(&repo).await;
    assert_eq!(
        stored.keys().cloned().collect::<BTreeSet<_>>(),
        ids_in(&checkpoint, &all)
    );

    let more = FaultInjector::new(13).partial(0.3).throttling(0.1);
    let stats = on(more.client().unwrap(), &repo)
        .batch_put(&all)
        .retry_policy(patient())
        .resume_from(&checkpoint)
        .await
        .unwrap();
    assert_eq!(stats.processed, 3_000 - checkpoint.completed());
    eprintln!(
        "stopped at checkpoint {checkpoint}; writes delivered: {} + {}",
        faults.counts().writes_delivered,
        more.counts().writes_delivered
    );
    // Each item reached DynamoDB exactly once over both runs, faults and all.
    assert_eq!(
        faults.counts().writes_delivered + more.counts().writes_delivered,
        3_000,
        "{:?} {:?}",
        faults.counts(),
        more.counts()
    );
    assert!(more.counts().withheld > 0 && more.counts().throttled > 0);
    let stored = scan_ids(&repo).await;
    assert_eq!(stored.len(), 3_000);
    assert!(stored.values().all(|&n| n == 1));
}

#[tokio::test]
async fn a_stopped_stream_import_reads_no_further_and_resumes_exactly() {
    let repo = fresh_repository::<Record>().await;
    let read = Arc::new(Mutex::new(0u32));
    let counted = read.clone();
    let input = move || {
        let counted = counted.clone();
        futures::stream::iter((0..2_000).map(move |n| {
            *counted.lock().unwrap() += 1;
            record(n)
        }))
    };
    let (_, fired, hook) = watch(500);
    let err = repo
        .batch_put_stream(input())
        .concurrency(2)
        .on_progress(hook)
        .stop_when(async {
            let _ = fired.await;
        })
        .await
        .unwrap_err();
    let rest = err.as_batch_incomplete().expect("BatchIncomplete");
    assert!(rest.stopped);
    assert!(
        *read.lock().unwrap() < 2_000,
        "the rest of the stream is not read"
    );
    let first = rest.checkpoint.clone();

    let (spy, sent) = spying();
    on(spy, &repo)
        .batch_put_stream(input())
        .resume_from(&first)
        .await
        .unwrap();
    assert_eq!(sent.lock().unwrap().len() as u64, 2_000 - first.completed());
    let stored = scan_ids(&repo).await;
    assert_eq!(stored.len(), 2_000);
    assert!(stored.values().all(|&n| n == 1));
}

#[tokio::test]
async fn a_batch_stopped_after_it_finished_returns_ok() {
    let repo = fresh_repository::<Record>().await;
    let stats = repo
        .batch_put(records(60))
        .stop_when(std::future::pending())
        .await
        .unwrap();
    assert_eq!(stats.processed, 60);
}

#[tokio::test]
async fn a_checkpoint_of_another_input_is_refused_before_sending() {
    let repo = fresh_repository::<Record>().await;
    let checkpoint: BatchCheckpoint = "40;90..100".parse().unwrap();
    let err = repo
        .batch_put(records(50))
        .resume_from(&checkpoint)
        .await
        .unwrap_err();
    let v = err.as_validation().expect("a validation error");
    assert_eq!(v.kind, ValidationErrorKind::InvalidRequest);
    assert!(v.message.contains("another input"), "{}", v.message);
    assert!(scan_ids(&repo).await.is_empty(), "nothing was sent");

    // A checkpoint of this input skips exactly what it holds.
    let stats = repo
        .batch_put(records(50))
        .resume_from(&"40".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(stats.processed, 10);
    assert_eq!(scan_ids(&repo).await.len(), 10);
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "cancel-counters")]
struct Counter {
    #[dynamo(partition_key)]
    id: String,
    n: i64,
}

/// A TCP proxy to the test DynamoDB that forwards requests at once and,
/// while `slow` is set, holds every response for `delay`: a request has been
/// applied well before its caller hears back.
fn slow_proxy(delay: Duration, slow: Arc<AtomicBool>) -> String {
    let upstream = endpoint();
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c_in, &mut s_out);
            });
            let (mut s_in, mut c_out) = (server, client);
            let slow = slow.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = s_in.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if slow.load(Ordering::SeqCst) {
                        std::thread::sleep(delay);
                    }
                    if c_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

// Observed: a dropped `commit` had been applied in full. That stays true (the
// request was sent); what the docs promise is that committing the same unit
// again replays its token and applies nothing twice.
#[tokio::test]
async fn a_dropped_commit_may_have_been_applied_and_committing_again_applies_it_once() {
    let direct = fresh_repository::<Counter>().await;
    direct
        .put(&Counter {
            id: "c".into(),
            n: 0,
        })
        .await
        .unwrap();
    let slow = Arc::new(AtomicBool::new(true));
    let proxied = Client::local(slow_proxy(Duration::from_millis(1_500), slow.clone()));
    let f = Counter::fields();
    let mut uow = proxied.unit_of_work();
    uow.with_repository(&direct)
        .update(Counter::key("c"), |u| u.increment(&f.n, 1));
    let dropped = tokio::time::timeout(Duration::from_millis(500), uow.commit()).await;
    assert!(
        dropped.is_err(),
        "the commit future was dropped before its answer"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stored = direct.get(Counter::key("c")).await.unwrap().unwrap();
    assert_eq!(stored.n, 1, "the dropped commit was applied in full");

    slow.store(false, Ordering::SeqCst);
    uow.commit().await.unwrap();
    let stored = direct.get(Counter::key("c")).await.unwrap().unwrap();
    assert_eq!(
        stored.n, 1,
        "committing the same unit again applied nothing twice"
    );
}

#[tokio::test]
async fn a_finished_batch_reports_every_position_even_superseded_ones() {
    let repo = fresh_repository::<Record>().await;
    let mut input = records(100);
    input.push(record(3)); // position 100 replaces position 3
    let (latest, _fired, hook) = watch(u64::MAX);
    let stats = repo
        .batch_put(&input)
        .last_write_wins()
        .on_progress(hook)
        .await
        .unwrap();
    assert_eq!(stats.processed, 100);
    assert_eq!(*latest.lock().unwrap(), BatchCheckpoint::from_prefix(101));
}

#[tokio::test]
async fn a_raw_batch_resumes_from_a_checkpoint_too() {
    use dynamo_repo::sdk::types::{PutRequest, WriteRequest};
    let repo = fresh_repository::<Record>().await;
    let requests: Vec<_> = (0..60)
        .map(|n| {
            let item = [("id".to_string(), AttributeValue::S(format!("raw-{n}")))].into();
            let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
            (
                repo.table_name().to_owned(),
                WriteRequest::builder().put_request(put).build(),
            )
        })
        .collect();
    let checkpoint: BatchCheckpoint = "20;30..40".parse().unwrap();
    let stats = repo
        .client()
        .batch_write_raw(requests)
        .resume_from(&checkpoint)
        .await
        .unwrap();
    assert_eq!(stats.processed, 30);
    let stored = scan_ids(&repo).await;
    let expected: BTreeSet<String> = (20..30).chain(40..60).map(|n| format!("raw-{n}")).collect();
    assert_eq!(stored.keys().cloned().collect::<BTreeSet<_>>(), expected);
}
