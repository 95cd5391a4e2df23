//! Batch reads: typed gets through partial processing, in input order,
//! from a stream, across entities, raw, and what happens to an item that
//! cannot be decoded.

use super::*;

#[tokio::test]
async fn batch_get_of_5000_keys_through_partial_processing_returns_every_item_once() {
    let repo = fresh_repository::<Record>().await;
    let all = records(5_000);
    repo.batch_put(&all).await.unwrap();

    let faults = FaultInjector::new(2).partial(0.3);
    let keys: Vec<_> = all
        .iter()
        .rev()
        .map(|r| Record::key(r.id.clone()))
        .collect();
    let out = through(&faults, &repo)
        .batch_get(keys)
        .in_input_order()
        .retry_policy(patient())
        .await
        .unwrap();
    assert!(
        faults.counts().partial_responses > 5,
        "{:?}",
        faults.counts()
    );
    assert!(out.missing.is_empty());
    let expected: Vec<Record> = all.iter().rev().cloned().collect();
    assert_eq!(out.items, expected, "every item once, in input order");
}

#[tokio::test]
async fn a_multi_entity_get_and_the_raw_engine() {
    let records_repo = fresh_repository::<Record>().await;
    let orders = fresh_repository::<Order>().await;
    let client = records_repo.client().clone();
    records_repo.batch_put(records(150)).await.unwrap();
    let order = Order {
        customer: "c-1".into(),
        id: "o-1".into(),
        total: 3.5,
        note: None,
    };
    orders.batch_put([&order]).await.unwrap();

    let mut batch = client.batch_get_multi();
    let r = batch.add(
        &records_repo,
        [
            Record::key("r-00149"),
            Record::key("nope"),
            Record::key("r-00000"),
        ],
    );
    let o = batch.add(&orders, [Order::key("c-1", "o-1")]);
    let mut out = batch.await.unwrap();
    let got = out.take(r).unwrap();
    assert_eq!(got.items, vec![record(149), record(0)]);
    assert_eq!(got.missing, vec![Record::key("nope")]);
    assert_eq!(out.take(o).unwrap().items, vec![order]);

    // Raw write requests and key maps, for any table.
    let requests = (1000..1100).map(|n| {
        let item = record(n).to_item();
        let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
        (
            records_repo.table_name().to_owned(),
            WriteRequest::builder().put_request(put).build(),
        )
    });
    let stats = client.batch_write_raw(requests).await.unwrap();
    assert_eq!((stats.processed, stats.requests), (100, 4));
    let keys = (1000..1101).map(|n| {
        (
            records_repo.table_name(),
            Record::key(record(n).id).into_item(),
        )
    });
    let out = client.batch_get_raw(keys).await.unwrap();
    assert_eq!(out.items.len(), 100);
    assert_eq!(out.missing.len(), 1);
}

#[tokio::test]
async fn keys_from_a_stream_are_read_like_any_other_input() {
    let repo = fresh_repository::<Record>().await;
    let all = records(250);
    repo.batch_put(&all).await.unwrap();
    let keys = futures::stream::iter((0..260).map(|n| Record::key(record(n).id)));
    let out = repo
        .batch_get_stream(keys)
        .await
        .in_input_order()
        .await
        .unwrap();
    assert_eq!(out.items, all, "every stored item, in the stream's order");
    assert_eq!(
        out.missing.len(),
        10,
        "the ten keys never written are reported"
    );
}

/// A typed batch get decodes each item as its response arrives. An item that
/// does not decode fails the whole call with its decode error (naming the
/// entity and the attribute, never the value), in either order, and also
/// when the batch ends incomplete: the caller is told rather than handed a
/// `retrieved` list that silently lacks the item.
#[tokio::test]
async fn an_item_that_does_not_decode_fails_the_batch_get_with_its_decode_error() {
    let repo = fresh_repository::<Record>().await;
    let all = records(300);
    repo.batch_put(&all).await.unwrap();
    let mut broken = record(7).to_item();
    broken.insert("n".into(), AttributeValue::S("secret-not-a-number".into()));
    repo.client()
        .sdk()
        .put_item()
        .table_name(repo.table_name())
        .set_item(Some(broken))
        .send()
        .await
        .unwrap();
    let keys = || all.iter().map(|r| Record::key(r.id.clone()));
    let check = |err: &Error| {
        let decode = err.as_decode().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(
            (decode.entity(), decode.path()),
            (Some("Record"), "n".into())
        );
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains("secret"), "{shown}");
        }
    };
    check(&repo.batch_get(keys()).await.unwrap_err());
    check(&repo.batch_get(keys()).in_input_order().await.unwrap_err());

    // With a key never processed the batch is incomplete, and still the
    // decode error is what the caller gets.
    let faults = FaultInjector::new(5).never_process(
        |key| matches!(key.get("id"), Some(AttributeValue::S(id)) if id == "r-00003"),
    );
    check(
        &through(&faults, &repo)
            .batch_get(keys())
            .retry_policy(quick(3))
            .await
            .unwrap_err(),
    );
    // Without the broken item, the same faults give the batch's remains:
    // every other item, exactly as stored.
    repo.put(&record(7)).await.unwrap();
    let err = through(&faults, &repo)
        .batch_get(keys())
        .retry_policy(quick(3))
        .await
        .unwrap_err();
    let rest = err
        .as_batch_incomplete()
        .unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(
        rest.unprocessed_get_keys::<Record>(),
        vec![Record::key("r-00003")]
    );
    let mut read: Vec<Record> = rest.retrieved_items().unwrap();
    read.sort_by(|a, b| a.id.cmp(&b.id));
    let expected: Vec<Record> = all.iter().filter(|r| r.n != 3).cloned().collect();
    assert_eq!(read, expected);
}
