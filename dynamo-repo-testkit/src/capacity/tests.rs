//! The simulator's accounting against DynamoDB's published rules.

use super::intercept::page_units;
use super::split::Call;
use super::*;

fn item(id: &str, bytes: usize) -> Item {
    let mut item = Item::new();
    item.insert("id".into(), AttributeValue::S(id.into()));
    let body = bytes - item_size(&item) - "body".len();
    item.insert("body".into(), AttributeValue::S("x".repeat(body)));
    assert_eq!(item_size(&item), bytes);
    item
}

#[test]
fn a_page_is_charged_on_its_total_size_with_dropped_items_at_the_average() {
    let items: Vec<Item> = (0..10).map(|i| item(&format!("k{i}"), 1000)).collect();
    // 10,000 bytes: 3 strong units, not 10.
    assert_eq!(page_units(&items, 10, 10, ReadKind::Strong), 3.0);
    assert_eq!(page_units(&items, 10, 10, ReadKind::Eventual), 1.5);
    // 30 scanned, 10 returned: 30,000 bytes read.
    assert_eq!(page_units(&items, 10, 30, ReadKind::Strong), 8.0);
    assert_eq!(page_units(&[], 0, 0, ReadKind::Eventual), 0.5);
}

#[test]
fn a_batch_write_is_split_where_the_bucket_runs_out() {
    let sim = CapacitySimulator::new()
        .table("t", Throughput::writes(10.0))
        .burst_seconds(1.0);
    // 4 writes of 3 WCU each: 3 fit in the initial 10 units.
    let requests: Vec<WriteRequest> = (0..4)
        .map(|i| {
            WriteRequest::builder()
                .put_request(
                    dynamo_repo::sdk::types::PutRequest::builder()
                        .set_item(Some(item(&format!("k{i}"), 2100)))
                        .build()
                        .unwrap(),
                )
                .build()
        })
        .collect();
    let mut input = BatchWriteItemInput::builder()
        .request_items("t", requests)
        .build()
        .unwrap();
    let Call::BatchWrite { withheld, count } = sim.split_batch_write(&mut input) else {
        panic!("a partial batch")
    };
    assert_eq!(count, 1);
    assert_eq!(withheld["t"].len(), 1);
    assert_eq!(input.request_items.as_ref().unwrap()["t"].len(), 3);
    assert_eq!(sim.consumed("t").write_units, 9.0);
    assert_eq!(sim.stats().batch_writes_applied, 3);
    // The bucket holds 1 unit now: nothing fits, the call is throttled whole.
    let mut again = BatchWriteItemInput::builder()
        .request_items("t", withheld["t"].clone())
        .build()
        .unwrap();
    assert!(
        matches!(sim.split_batch_write(&mut again), Call::WholeBatchWrite(c) if c.len() == 1 && c[0].units == 3.0)
    );
    assert_eq!(
        again.request_items.as_ref().unwrap()["t"].len(),
        1,
        "the request keeps its writes"
    );
}

#[test]
fn a_hot_partition_throttles_while_the_table_has_capacity() {
    let sim = CapacitySimulator::new()
        .table("t", Throughput::writes(1000.0))
        .per_partition("id", Throughput::writes(2.0))
        .burst_seconds(1.0);
    let hot = item("hot", 100);
    let charge = || vec![sim.write_charge("t", &hot, 1.0)];
    assert!(sim.try_take_all(&charge()));
    assert!(sim.try_take_all(&charge()));
    assert!(!sim.try_take_all(&charge()), "the key's 2 WCU are spent");
    let cold = item("cold", 100);
    assert!(sim.try_take_all(&[sim.write_charge("t", &cold, 1.0)]));
    assert_eq!(sim.consumed("t").write_units, 3.0);
}
