//! Consumed capacity in the results that did not carry it yet (issue 16):
//! `count_with_capacity()`, the running total of `stream_with_capacity()`,
//! and the capacity a failed batch consumed before it gave up
//! (`BatchIncomplete::capacity`). Each total is checked against the sum of
//! what the responses reported, as the `RequestRecorder` saw them.

use dynamo_repo::{Client, Error, Repository, RetryPolicy};
use dynamo_repo_testkit::{FaultInjector, RecordedRequest, RequestRecorder};
use dynamo_repo_tests::models::Order;
use dynamo_repo_tests::unique_table;
use futures::TryStreamExt;
use std::time::Duration;

async fn orders(client: &Client, n: usize) -> Repository<Order> {
    let repo = client
        .repository::<Order>()
        .with_table_name(unique_table("capres"));
    repo.create_table().await.unwrap();
    let items: Vec<Order> = (0..n).map(order).collect();
    repo.batch_put(&items).await.unwrap();
    repo
}

fn order(i: usize) -> Order {
    Order {
        customer: "q".into(),
        id: format!("o-{i:04}"),
        total: i as f64,
        note: Some("x".repeat(2_000)),
    }
}

/// The capacity the responses of `operation` reported, summed; every one
/// of them asked for it and reported it.
fn reported(requests: &[RecordedRequest], operation: &str) -> (f64, usize) {
    let of: Vec<_> = requests
        .iter()
        .filter(|r| r.operation == operation)
        .collect();
    for r in &of {
        assert_eq!(
            r.return_consumed_capacity.as_deref(),
            Some("TOTAL"),
            "{r:?}"
        );
    }
    let sum: f64 = of.iter().filter_map(|r| r.consumed_capacity).sum();
    assert!(sum > 0.0, "{operation} consumed capacity: {of:?}");
    (sum, of.len())
}

#[tokio::test]
async fn count_with_capacity_returns_the_sum_of_every_page() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap();
    let repo = orders(&client, 150).await;
    let f = Order::fields();
    recorder.take();

    let counted = repo
        .query("q")
        .filter(f.total.ge(100.0))
        .page_size(40)
        .count_with_capacity()
        .await
        .unwrap();
    assert_eq!(counted.value, 50);
    let (sum, requests) = reported(&recorder.take(), "Query");
    assert!(requests >= 4, "pages of 40: {requests}");
    assert_eq!(counted.capacity.total(), sum);
    assert_eq!(counted.capacity.table(repo.table_name()), sum);

    let counted = repo
        .scan()
        .page_size(60)
        .count_with_capacity()
        .await
        .unwrap();
    assert_eq!(counted.value, 150);
    let (sum, requests) = reported(&recorder.take(), "Scan");
    assert!(requests >= 3);
    assert_eq!(counted.capacity.total(), sum);

    // The plain count still asks for nothing.
    assert_eq!(repo.query("q").count().await.unwrap(), 150);
    for r in recorder.take() {
        assert_eq!(r.return_consumed_capacity, None, "{r:?}");
    }
}

#[tokio::test]
async fn a_stream_with_capacity_keeps_the_running_total_of_its_pages() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap();
    let repo = orders(&client, 100).await;
    recorder.take();

    let mut rows = repo.query("q").page_size(30).stream_with_capacity();
    assert_eq!(rows.capacity().total(), 0.0, "nothing read yet");
    let mut seen = 0;
    while let Some(row) = rows.try_next().await.unwrap() {
        assert_eq!(row.id, format!("o-{seen:04}"));
        seen += 1;
        // After each row, the total is that of the requests sent so far.
        let so_far: f64 = recorder
            .requests()
            .iter()
            .filter_map(|r| r.consumed_capacity)
            .sum();
        assert_eq!(rows.capacity().total(), so_far, "after row {seen}");
        if seen == 1 {
            assert_eq!(recorder.requests().len(), 1, "one page read");
        }
    }
    assert_eq!(seen, 100);
    let (sum, requests) = reported(&recorder.take(), "Query");
    assert!(requests >= 4, "pages of 30: {requests}");
    assert_eq!(rows.capacity().total(), sum);

    // A parallel scan: every segment's pages in one total.
    let mut rows = repo.scan().segments(4).page_size(20).stream_with_capacity();
    let mut n = 0;
    while rows.try_next().await.unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 100);
    let (sum, requests) = reported(&recorder.take(), "Scan");
    assert!(requests >= 5);
    assert_eq!(rows.capacity().total(), sum);
}

#[tokio::test]
async fn a_batch_that_gives_up_carries_the_capacity_it_consumed() {
    let recorder = RequestRecorder::new();
    // Items whose id ends in 7 are never processed.
    let faults = FaultInjector::new(7).never_process(|item| {
        item.get("id")
            .and_then(|v| v.as_s().ok())
            .is_some_and(|id| id.ends_with('7'))
    });
    let config = Client::local_config(dynamo_repo_tests::endpoint())
        .interceptor(faults.clone())
        .interceptor(recorder.clone())
        .build();
    let client = Client::from_sdk(dynamo_repo::sdk::Client::from_conf(config));
    let repo = client
        .repository::<Order>()
        .with_table_name(unique_table("capres"));
    repo.create_table().await.unwrap();
    recorder.take();

    let items: Vec<Order> = (0..60).map(order).collect();
    let retry = RetryPolicy::default()
        .with_max_attempts(3)
        .with_base_delay(Duration::from_millis(1));
    let err = repo
        .batch_put(&items)
        .retry_policy(retry)
        .return_consumed_capacity()
        .await
        .unwrap_err();
    let Error::BatchIncomplete(rest) = err else {
        panic!("expected BatchIncomplete, got {err}");
    };
    assert_eq!(rest.unprocessed_count(), 6, "o-0007, o-0017, ... o-0057");
    assert_eq!(rest.processed, 54);
    let requests = recorder.take();
    let (sum, count) = reported(&requests, "BatchWriteItem");
    assert!(count > 3, "the chunks and their retries: {count}");
    let capacity = rest.capacity.as_ref().expect("capacity was asked for");
    assert_eq!(capacity.total(), sum);
    assert!(sum >= 54.0, "at least one unit per item written: {sum}");

    // Not asked: none.
    let err = repo
        .batch_put(&items[..10])
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(2)
                .with_base_delay(Duration::from_millis(1)),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.as_batch_incomplete().map(|b| b.capacity.is_none()),
        Some(true)
    );
}
