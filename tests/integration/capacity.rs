//! Consumed capacity (issues 16 and 18): asked for only when the caller
//! wants it, and then returned, equal to what the responses reported.
//! The `RequestRecorder` sees what each request sent and what each
//! response reported, independently of the library's own accounting.

use dynamo_repo::{Capacity, Client, Entity, Repository};
use dynamo_repo_testkit::{RecordedRequest, RequestRecorder};
use dynamo_repo_tests::models::Order;
use dynamo_repo_tests::unique_table;

async fn orders(client: &Client) -> Repository<Order> {
    let repo = client
        .repository::<Order>()
        .with_table_name(unique_table("capacity"));
    repo.create_table().await.unwrap();
    repo
}

fn order(customer: &str, i: usize) -> Order {
    Order {
        customer: customer.into(),
        id: format!("o-{i:04}"),
        total: i as f64,
        note: Some("x".repeat(300)),
    }
}

/// What the recorded responses of `operation` reported, summed, and how
/// many requests of it there were.
fn reported(requests: &[RecordedRequest], operation: &str) -> (f64, usize) {
    let of: Vec<_> = requests
        .iter()
        .filter(|r| r.operation == operation)
        .collect();
    for r in &of {
        assert_eq!(
            r.return_consumed_capacity.as_deref(),
            Some("TOTAL"),
            "{operation} asks for capacity: {r:?}"
        );
        // An empty segment of a parallel scan may report 0 units.
        assert!(
            r.consumed_capacity.is_some_and(|c| c >= 0.0),
            "{operation}'s response reports capacity: {r:?}"
        );
    }
    let sum: f64 = of.iter().filter_map(|r| r.consumed_capacity).sum();
    assert!(sum > 0.0, "{operation} consumed capacity: {of:?}");
    (sum, of.len())
}

fn total(capacity: &Option<Capacity>) -> f64 {
    capacity.as_ref().expect("capacity was asked for").total()
}

#[tokio::test]
async fn a_default_call_asks_for_no_capacity_and_no_unused_option() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap();
    let repo = orders(&client).await;
    let f = Order::fields();
    recorder.take();

    repo.put(&order("c", 1)).await.unwrap();
    repo.put(&order("c", 2)).if_not_exists().await.unwrap();
    assert!(repo.get(Order::key("c", "o-0001")).await.unwrap().is_some());
    repo.update(Order::key("c", "o-0001"))
        .set(&f.total, 5.0)
        .await
        .unwrap();
    let new = repo
        .update(Order::key("c", "o-0001"))
        .set(&f.total, 6.0)
        .return_new()
        .await
        .unwrap();
    assert_eq!(new.total, 6.0);
    repo.delete(Order::key("c", "o-0002")).await.unwrap();
    let page = repo.query("c").page().await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.capacity, None, "nothing asked, nothing returned");
    assert_eq!(repo.scan().all().await.unwrap().len(), 1);
    let items: Vec<Order> = (10..40).map(|i| order("b", i)).collect();
    let stats = repo.batch_put(&items).await.unwrap();
    assert_eq!(stats.capacity, None);
    let got = repo
        .batch_get(items.iter().map(Entity::primary_key))
        .await
        .unwrap();
    assert_eq!(got.items.len(), 30);
    assert_eq!(got.stats.capacity, None);
    let mut uow = client.unit_of_work();
    uow.with_repository(&repo).put(&order("u", 1));
    let committed = uow.commit().await.unwrap();
    assert_eq!(committed.capacity, None);

    let requests = recorder.take();
    let operations: Vec<&str> = requests.iter().map(|r| r.operation.as_str()).collect();
    assert_eq!(
        operations,
        [
            "PutItem",
            "PutItem",
            "GetItem",
            "UpdateItem",
            "UpdateItem",
            "DeleteItem",
            "Query",
            "Scan",
            "BatchWriteItem",
            "BatchWriteItem",
            "BatchGetItem",
            "TransactWriteItems"
        ]
    );
    for r in &requests {
        assert_eq!(
            r.return_consumed_capacity, None,
            "asked for capacity: {r:?}"
        );
        assert_eq!(r.consumed_capacity, None, "capacity reported: {r:?}");
        assert_ne!(r.consistent_read, Some(false), "sent the default: {r:?}");
    }
    // ALL_OLD on a failed condition only where there is a condition to fail.
    assert_eq!(requests[0].condition, None);
    assert_eq!(requests[0].return_values_on_condition_check_failure, None);
    assert!(requests[1].condition.is_some());
    assert_eq!(
        requests[1]
            .return_values_on_condition_check_failure
            .as_deref(),
        Some("ALL_OLD")
    );
    // ReturnValues only when the item comes back.
    assert_eq!(requests[3].return_values, None);
    assert_eq!(requests[4].return_values.as_deref(), Some("ALL_NEW"));
    assert_eq!(requests[5].return_values, None);
}

#[tokio::test]
async fn capacity_asked_per_call_is_sent_and_returned_as_reported() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap();
    let repo = orders(&client).await;
    let f = Order::fields();
    recorder.take();

    // Single-item requests.
    let put = repo
        .put(&order("c", 1))
        .return_consumed_capacity()
        .await
        .unwrap();
    let got = repo
        .get(Order::key("c", "o-0001"))
        .return_consumed_capacity()
        .await
        .unwrap();
    assert_eq!(got.value.map(|o| o.total), Some(1.0));
    let updated = repo
        .update(Order::key("c", "o-0001"))
        .set(&f.total, 2.0)
        .return_new()
        .return_consumed_capacity()
        .await
        .unwrap();
    assert_eq!(updated.value.total, 2.0);
    let deleted = repo
        .delete(Order::key("c", "o-0001"))
        .return_old()
        .return_consumed_capacity()
        .await
        .unwrap();
    assert_eq!(deleted.value.map(|o| o.total), Some(2.0));
    let requests = recorder.take();
    assert_eq!(requests.len(), 4);
    for (request, capacity) in requests.iter().zip([
        &put.capacity,
        &got.capacity,
        &updated.capacity,
        &deleted.capacity,
    ]) {
        assert_eq!(request.return_consumed_capacity.as_deref(), Some("TOTAL"));
        assert_eq!(request.consumed_capacity, Some(capacity.total()));
        assert!(capacity.total() > 0.0);
        assert_eq!(capacity.table(repo.table_name()), capacity.total());
    }

    // A chunked batch put: the stats hold the sum of every request.
    let items: Vec<Order> = (0..120).map(|i| order("q", i)).collect();
    let stats = repo
        .batch_put(&items)
        .concurrency(2)
        .return_consumed_capacity()
        .await
        .unwrap();
    let requests = recorder.take();
    let (sum, count) = reported(&requests, "BatchWriteItem");
    assert_eq!(count, 5, "120 items in 5 requests of 25");
    assert_eq!(stats.requests, 5);
    assert_eq!(total(&stats.capacity), sum);
    assert!(sum >= 120.0, "at least one unit per item written: {sum}");

    // A chunked batch get likewise.
    let got = repo
        .batch_get(items.iter().map(Entity::primary_key))
        .return_consumed_capacity()
        .await
        .unwrap();
    assert_eq!(got.items.len(), 120);
    let (sum, count) = reported(&recorder.take(), "BatchGetItem");
    assert_eq!(count, 2, "120 keys in 2 requests of at most 100");
    assert_eq!(total(&got.stats.capacity), sum);

    // A query over several pages: the total is the sum of every page's.
    let all = repo
        .query("q")
        .page_size(25)
        .all_with_capacity()
        .await
        .unwrap();
    assert_eq!(all.value.len(), 120);
    let (sum, count) = reported(&recorder.take(), "Query");
    assert!(count >= 5, "pages of 25: {count} requests");
    assert_eq!(all.capacity.total(), sum);
    assert_eq!(all.capacity.table(repo.table_name()), sum);

    // A page collected over several requests: the sum of those requests.
    let page = repo
        .query("q")
        .page_size(10)
        .return_consumed_capacity()
        .fill_page(35)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 35);
    let (sum, count) = reported(&recorder.take(), "Query");
    assert_eq!(count, 4);
    assert_eq!(total(&page.capacity), sum);

    // A scan over several pages, and a parallel one.
    let scanned = repo.scan().page_size(40).all_with_capacity().await.unwrap();
    assert_eq!(scanned.value.len(), 120);
    let (sum, count) = reported(&recorder.take(), "Scan");
    assert!(count >= 3);
    assert_eq!(scanned.capacity.total(), sum);
    let parallel = repo.scan().segments(3).all_with_capacity().await.unwrap();
    assert_eq!(parallel.value.len(), 120);
    let (sum, count) = reported(&recorder.take(), "Scan");
    assert!(count >= 3);
    assert_eq!(parallel.capacity.total(), sum);

    // A unit of work.
    let mut uow = client.unit_of_work();
    uow.with_repository(&repo)
        .put(&order("u", 1))
        .put(&order("u", 2))
        .return_consumed_capacity();
    let committed = uow.commit().await.unwrap();
    let (sum, count) = reported(&recorder.take(), "TransactWriteItems");
    assert_eq!(count, 1);
    assert_eq!(total(&committed.capacity), sum);
}

#[tokio::test]
async fn a_client_asking_for_capacity_gets_it_on_every_result() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap().with_consumed_capacity(true);
    assert!(client.consumed_capacity());
    let repo = orders(&client).await;
    recorder.take();

    let items: Vec<Order> = (0..60).map(|i| order("q", i)).collect();
    let stats = repo.batch_put(&items).await.unwrap();
    let (sum, count) = reported(&recorder.take(), "BatchWriteItem");
    assert_eq!(count, 3);
    assert_eq!(total(&stats.capacity), sum);

    let page = repo.query("q").page_size(25).page().await.unwrap();
    let (sum, count) = reported(&recorder.take(), "Query");
    assert_eq!(count, 1);
    assert_eq!(total(&page.capacity), sum);

    repo.put(&order("c", 1)).await.unwrap();
    repo.get(Order::key("c", "o-0001")).await.unwrap();
    repo.delete(Order::key("c", "o-0001")).await.unwrap();
    let mut uow = client.unit_of_work();
    uow.with_repository(&repo).put(&order("u", 1));
    let committed = uow.commit().await.unwrap();
    let requests = recorder.take();
    assert_eq!(requests.len(), 4);
    for r in &requests {
        assert_eq!(
            r.return_consumed_capacity.as_deref(),
            Some("TOTAL"),
            "{r:?}"
        );
    }
    assert_eq!(
        total(&committed.capacity),
        reported(&requests, "TransactWriteItems").0
    );
}
