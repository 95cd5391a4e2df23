//! The capacity simulator through a real server: charges match DynamoDB's
//! published rules for known item sizes, a batch write beyond the bucket is
//! partly processed (the rest really not written), and an empty bucket
//! answers the real `ProvisionedThroughputExceededException`.

use dynamo_repo::sdk::types::{AttributeValue, PutRequest, WriteRequest};
use dynamo_repo::{Entity, Item};
use dynamo_repo_testkit::capacity::charge::item_size;
use dynamo_repo_testkit::{CapacitySimulator, TestTables, Throughput};

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "kit-capacity")]
struct Doc {
    #[dynamo(partition_key)]
    id: String,
    body: String,
}

/// An item of exactly `bytes` bytes by DynamoDB's size rule.
fn item(id: &str, bytes: usize) -> Item {
    let mut item = Item::new();
    item.insert("id".into(), AttributeValue::S(id.into()));
    let body = bytes - item_size(&item) - "body".len();
    item.insert("body".into(), AttributeValue::S("x".repeat(body)));
    item
}

fn put(item: Item) -> WriteRequest {
    WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
        .build()
}

#[tokio::test]
async fn charges_follow_the_published_rules_for_known_sizes() {
    let tables = TestTables::new().unwrap();
    let name = tables
        .create::<Doc>()
        .await
        .unwrap()
        .table_name()
        .to_owned();
    let sim = CapacitySimulator::new(); // unlimited: charges only
    let client = sim.client().unwrap();
    let sdk = client.sdk();
    // 1,024 bytes: 1 WCU; 1,025: 2; 5,000: 5.
    for (id, bytes) in [("a", 1024), ("b", 1025), ("c", 5000)] {
        sdk.put_item()
            .table_name(&name)
            .set_item(Some(item(id, bytes)))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(sim.consumed(&name).write_units, 1.0 + 2.0 + 5.0);
    // Reads of the 5,000-byte item: 2 RCU strongly consistent, 1 eventually.
    for consistent in [true, false] {
        sdk.get_item()
            .table_name(&name)
            .key("id", AttributeValue::S("c".into()))
            .consistent_read(consistent)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(sim.consumed(&name).read_units, 3.0);
    // A scan reads 1,024 + 1,025 + 5,000 = 7,049 bytes in all: 2 strong RCU
    // (one charge on the total), not 1 + 1 + 2.
    let page = sdk
        .scan()
        .table_name(&name)
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(page.count, 3);
    assert_eq!(sim.consumed(&name).read_units, 5.0);
    // A transaction of the 1,025-byte put costs twice: 4 WCU.
    let tx = dynamo_repo::sdk::types::TransactWriteItem::builder()
        .put(
            dynamo_repo::sdk::types::Put::builder()
                .table_name(&name)
                .set_item(Some(item("d", 1025)))
                .build()
                .unwrap(),
        )
        .build();
    sdk.transact_write_items()
        .transact_items(tx)
        .send()
        .await
        .unwrap();
    assert_eq!(sim.consumed(&name).write_units, 12.0);
    assert_eq!(sim.stats().throttled, 0);
}

#[tokio::test]
async fn a_batch_beyond_the_bucket_is_partly_written_then_throttled() {
    let tables = TestTables::new().unwrap();
    let docs = tables.create::<Doc>().await.unwrap();
    let name = docs.table_name().to_owned();
    // Half a WCU per second, starting with 10 s saved: 5 units, each write
    // of 900 bytes costing 1, and the next unit 2 s away (slow servers too).
    let sim = CapacitySimulator::new()
        .table(&name, Throughput::writes(0.5))
        .burst_seconds(10.0)
        .initial_seconds(10.0);
    let client = sim.client().unwrap();
    let requests: Vec<WriteRequest> = (0..25).map(|i| put(item(&format!("k{i}"), 900))).collect();
    let out = client
        .sdk()
        .batch_write_item()
        .request_items(&name, requests)
        .send()
        .await
        .unwrap();
    let back = out.unprocessed_items.unwrap_or_default();
    let left = back.get(&name).map_or(0, Vec::len);
    // 5 written, the rest back.
    assert_eq!(left, 20, "unprocessed");
    // Right away, nothing fits: the real error, nothing written.
    let err = client
        .sdk()
        .batch_write_item()
        .request_items(&name, back[&name].clone())
        .send()
        .await
        .unwrap_err();
    let service = err.into_service_error();
    assert!(
        service.is_provisioned_throughput_exceeded_exception(),
        "{service:?}"
    );
    assert_eq!(
        docs.scan().count().await.unwrap() as usize,
        25 - left,
        "unprocessed really not written"
    );
    let s = sim.stats();
    assert_eq!((s.requests, s.throttled, s.partial), (2, 1, 1));
    assert_eq!(s.unprocessed as usize, left);
    assert_eq!(sim.consumed(&name).write_units, 5.0);
}

#[tokio::test]
async fn the_batch_engine_writes_everything_through_a_tight_bucket() {
    let tables = TestTables::new().unwrap();
    let docs = tables.create::<Doc>().await.unwrap();
    let name = docs.table_name().to_owned();
    let sim = CapacitySimulator::new()
        .table(&name, Throughput::writes(50.0))
        .burst_seconds(1.0);
    let through = sim
        .client()
        .unwrap()
        .repository::<Doc>()
        .with_table_name(&name);
    let rows: Vec<Doc> = (0..200)
        .map(|i| Doc {
            id: format!("d{i}"),
            body: "y".repeat(500),
        })
        .collect();
    let retry = dynamo_repo::RetryPolicy::default()
        .with_max_attempts(30)
        .with_base_delay(std::time::Duration::from_millis(20))
        .with_max_delay(std::time::Duration::from_millis(500));
    through.batch_put(&rows).retry_policy(retry).await.unwrap();
    assert_eq!(docs.scan().count().await.unwrap(), 200);
    let s = sim.stats();
    assert!(s.partial + s.throttled > 0, "the bucket throttled: {s:?}");
    assert_eq!(s.batch_writes_applied, 200, "each item written once");
    assert_eq!(sim.consumed(&name).write_units, 200.0);
}
