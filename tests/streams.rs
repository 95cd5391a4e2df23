//! Change streams: Lambda event fixtures decoded into entities, partial
//! batch failures, and the Streams API reader against the test backend.

use aws_lambda_events::event::dynamodb::Event;
use dynamo_repo::sdk::types::{AttributeValue, StreamSpecification, StreamViewType};
use dynamo_repo::stream::{lambda, local_streams_client, Change, StreamError, StreamReader};
use dynamo_repo::{Collection, Entity, Repository};
use dynamo_repo_testkit::TestTables;
use futures::StreamExt;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "stream_orders")]
struct Order {
    #[dynamo(partition_key)]
    id: String,
    total: i64,
    note: Option<String>,
}

fn fixture(name: &str) -> Event {
    let path = format!("{}/fixtures/streams/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn order(id: &str, total: i64, note: Option<&str>) -> Order {
    Order {
        id: id.into(),
        total,
        note: note.map(str::to_owned),
    }
}

#[test]
fn lambda_records_decode_with_images_ttl_and_a_named_decode_error() {
    dynamo_repo::reveal_values_in_errors(false);
    let changes = lambda::changes::<Order>(fixture("orders_new_and_old.json"));
    assert_eq!(changes.len(), 7);
    match &changes[0] {
        Ok(Change::Insert { new, record }) => {
            assert_eq!(new.as_ref(), Some(&order("o-1", 10, Some("gift"))));
            assert_eq!(record.sequence_number(), "4421584500000000017450439091");
            assert_eq!(
                record.keys().get("id"),
                Some(&AttributeValue::S("o-1".into()))
            );
            let t = record.approximate_creation_time().unwrap();
            assert_eq!(
                t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
                1_700_000_000
            );
            assert!(!record.is_ttl_expiry());
        }
        other => panic!("expected an insert, got {other:?}"),
    }
    match &changes[1] {
        Ok(Change::Modify { old, new, .. }) => {
            assert_eq!(old.as_ref(), Some(&order("o-1", 10, Some("gift"))));
            assert_eq!(new.as_ref(), Some(&order("o-1", 25, None)));
        }
        other => panic!("expected a modify, got {other:?}"),
    }
    // The malformed image: a typed error naming the record, image and attribute.
    let err = changes[2].as_ref().unwrap_err();
    assert!(err.is_decode());
    assert_eq!(err.sequence_number(), Some("4421584500000000017450439093"));
    let text = err.to_string();
    assert!(text.contains("4421584500000000017450439093"), "{text}");
    assert!(
        text.contains("NewImage") && text.contains("total"),
        "{text}"
    );
    assert!(
        !text.contains("SSN") && !format!("{err:?}").contains("123-45"),
        "{text}"
    );
    assert_eq!(err.as_decode().unwrap().path(), "total");
    // Its next record has an old image that does not decode either.
    assert!(matches!(
        &changes[3],
        Err(StreamError::Decode {
            image: dynamo_repo::stream::ImageSide::Old,
            ..
        })
    ));
    match &changes[5] {
        Ok(c @ Change::Remove { old, .. }) => {
            assert!(c.is_ttl_expiry(), "removed by TTL");
            assert_eq!(old.as_ref(), Some(&order("o-1", 25, None)));
        }
        other => panic!("expected a TTL removal, got {other:?}"),
    }
    match &changes[6] {
        Ok(c @ Change::Remove { .. }) => assert!(!c.is_ttl_expiry(), "an application delete"),
        other => panic!("expected a removal, got {other:?}"),
    }
}

#[test]
fn a_keys_only_record_gives_the_key_and_no_images() {
    let changes = lambda::changes::<Order>(fixture("orders_keys_only.json"));
    let first = changes[0].as_ref().unwrap();
    assert!(matches!(first, Change::Insert { new: None, .. }));
    assert_eq!(
        first.record().view_type(),
        Some(dynamo_repo::stream::ViewType::KeysOnly)
    );
    let key = dynamo_repo::Key::<Order>::from_item(first.keys().clone());
    assert_eq!(key, Order::key("o-9"));
    assert!(matches!(
        changes[1].as_ref().unwrap(),
        Change::Remove { old: None, .. }
    ));
}

#[tokio::test]
async fn a_batch_reports_failed_records_and_handles_the_rest() {
    let mut projection: HashMap<String, i64> = HashMap::new();
    let outcome = lambda::handle_changes::<Order, _, _, std::io::Error>(
        fixture("orders_new_and_old.json"),
        |change| {
            match &change {
                Change::Insert { new: Some(o), .. } | Change::Modify { new: Some(o), .. } => {
                    projection.insert(o.id.clone(), o.total);
                }
                Change::Remove { old: Some(o), .. } => {
                    projection.remove(&o.id);
                }
                _ => {}
            }
            async { Ok(()) }
        },
    )
    .await;
    // o-1 inserted, modified, expired; o-3 inserted and deleted; o-2's
    // first record does not decode, so its second waits for the retry.
    assert_eq!(outcome.handled, 5);
    let ids: Vec<_> = outcome
        .response()
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier.unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "4421584500000000017450439093",
            "4421584500000000017450439094"
        ]
    );
    assert!(outcome.failures[1]
        .error
        .downcast_ref::<lambda::SkippedAfterFailure>()
        .is_some());
    assert!(projection.is_empty(), "{projection:?}");
    let json = serde_json::to_value(outcome.response()).unwrap();
    assert_eq!(
        json["batchItemFailures"][0]["itemIdentifier"],
        "4421584500000000017450439093"
    );
}

/// Enables a NEW_AND_OLD_IMAGES stream with the raw SDK; the stream's ARN.
async fn enable_stream(tables: &TestTables, table: &str) {
    tables
        .client()
        .sdk()
        .update_table()
        .table_name(table)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

async fn reader(tables: &TestTables, table: &str) -> StreamReader {
    let streams = local_streams_client(dynamo_repo_testkit::endpoint().unwrap());
    StreamReader::for_table(tables.client(), streams, table)
        .await
        .unwrap()
        .idle_backoff(Duration::from_millis(20), Duration::from_millis(200))
}

/// 500 writes across 20 keys: puts (insert, then modify) and deletes.
async fn write_500(orders: &Repository<Order>) -> Vec<Observed> {
    let mut expected = Vec::new();
    let mut stored: HashMap<String, i64> = HashMap::new();
    for i in 0..500i64 {
        let id = format!("k{:02}", i % 20);
        if i % 7 == 6 && stored.contains_key(&id) {
            orders.delete(Order::key(id.as_str())).await.unwrap();
            let old = stored.remove(&id);
            expected.push((id, "REMOVE", old, None));
        } else {
            orders.put(&order(&id, i, None)).await.unwrap();
            let old = stored.insert(id.clone(), i);
            let name = if old.is_some() { "MODIFY" } else { "INSERT" };
            expected.push((id, name, old, Some(i)));
        }
    }
    expected
}

fn observed(change: &Change<Order>) -> Observed {
    let id = match change.keys().get("id") {
        Some(AttributeValue::S(s)) => s.clone(),
        other => panic!("key {other:?}"),
    };
    (
        id,
        change.event_name(),
        change.old_image().map(|o| o.total),
        change.new_image().map(|o| o.total),
    )
}

/// One change as (key, event name, old total, new total).
type Observed = (String, &'static str, Option<i64>, Option<i64>);

/// Per key, in order.
fn by_key(changes: &[Observed]) -> HashMap<String, Vec<Observed>> {
    let mut map: HashMap<String, Vec<_>> = HashMap::new();
    for (id, name, old, new) in changes {
        map.entry(id.clone())
            .or_default()
            .push((id.clone(), *name, *old, *new));
    }
    map
}

async fn take(
    changes: &mut dynamo_repo::stream::Changes<Change<Order>>,
    n: usize,
) -> Vec<Change<Order>> {
    let mut out = Vec::new();
    while out.len() < n {
        let next = tokio::time::timeout(Duration::from_secs(30), changes.next())
            .await
            .expect("a change within 30 s")
            .expect("the stream goes on");
        out.push(next.unwrap());
    }
    out
}

#[tokio::test]
async fn the_reader_yields_every_change_once_in_order_and_resumes_from_a_checkpoint() {
    let tables = TestTables::new().unwrap();
    let orders = tables.create::<Order>().await.unwrap();
    enable_stream(&tables, orders.table_name()).await;
    let expected = write_500(&orders).await;

    // Read 200, stop, resume from the checkpoint for the other 300.
    let mut first = reader(&tables, orders.table_name())
        .await
        .changes::<Order>();
    let head = take(&mut first, 200).await;
    let checkpoint = first.checkpoint();
    drop(first);
    let json = serde_json::to_string(&checkpoint).unwrap();
    let restored = serde_json::from_str(&json).unwrap();
    let mut second = reader(&tables, orders.table_name())
        .await
        .from_checkpoint(restored)
        .unwrap()
        .changes::<Order>();
    let tail = take(&mut second, 300).await;
    // Nothing more: a short wait yields no 501st change.
    let extra = tokio::time::timeout(Duration::from_millis(1500), second.next()).await;
    assert!(extra.is_err(), "no change beyond the 500 written");

    let all: Vec<_> = head.iter().chain(&tail).map(observed).collect();
    let mut seqs: Vec<_> = head
        .iter()
        .chain(&tail)
        .map(|c| c.sequence_number().to_owned())
        .collect();
    seqs.sort();
    seqs.dedup();
    assert_eq!(seqs.len(), 500, "every change exactly once");
    assert_eq!(
        by_key(&all),
        by_key(&expected),
        "in order per key, images decoded"
    );
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "stream_app", entity = "org", pk = "ORG#{org_id}", sk = "ORG")]
struct Org {
    org_id: String,
    name: String,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "stream_app",
    entity = "user",
    pk = "ORG#{org_id}",
    sk = "USER#{user_id}"
)]
struct User {
    org_id: String,
    user_id: String,
    email: String,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "stream_app",
    entity = "project",
    pk = "ORG#{org_id}",
    sk = "PROJECT#{project_id}"
)]
struct Project {
    org_id: String,
    project_id: String,
    title: String,
}

#[derive(Collection, Debug, Clone, PartialEq)]
enum OrgItem {
    Org(Org),
    User(User),
    Project(Project),
}

#[tokio::test]
async fn a_collection_stream_routes_each_change_to_its_variant() {
    let tables = TestTables::new().unwrap();
    let orgs = tables.create::<Org>().await.unwrap();
    let table = orgs.table_name().to_owned();
    let users = tables.client().repository::<User>().with_table_name(&table);
    let projects = tables
        .client()
        .repository::<Project>()
        .with_table_name(&table);
    enable_stream(&tables, &table).await;

    let org = Org {
        org_id: "acme".into(),
        name: "Acme".into(),
    };
    let user = User {
        org_id: "acme".into(),
        user_id: "ada".into(),
        email: "ada@acme.example".into(),
    };
    let project = Project {
        org_id: "acme".into(),
        project_id: "p1".into(),
        title: "Engine".into(),
    };
    orgs.put(&org).await.unwrap();
    users.put(&user).await.unwrap();
    projects.put(&project).await.unwrap();
    users.delete(User::key("acme", "ada")).await.unwrap();
    // An item of a type the collection does not list, written raw.
    tables
        .client()
        .sdk()
        .put_item()
        .table_name(&table)
        .item("PK", AttributeValue::S("ORG#acme".into()))
        .item("SK", AttributeValue::S("INVOICE#1".into()))
        .item("_type", AttributeValue::S("invoice".into()))
        .send()
        .await
        .unwrap();

    let mut changes = reader(&tables, &table)
        .await
        .collection_changes::<OrgItem>();
    let mut got = Vec::new();
    for _ in 0..5 {
        let next = tokio::time::timeout(Duration::from_secs(30), changes.next())
            .await
            .expect("a change within 30 s")
            .expect("the stream goes on");
        got.push(next);
    }
    assert_eq!(
        got[0].as_ref().unwrap(),
        &Change::Insert {
            new: Some(OrgItem::Org(org)),
            record: got[0].as_ref().unwrap().record().clone()
        }
    );
    assert_eq!(
        got[1].as_ref().unwrap().new_image(),
        Some(&OrgItem::User(user.clone()))
    );
    assert_eq!(
        got[2].as_ref().unwrap().new_image(),
        Some(&OrgItem::Project(project))
    );
    let removal = got[3].as_ref().unwrap();
    assert_eq!(removal.event_name(), "REMOVE");
    assert_eq!(removal.old_image(), Some(&OrgItem::User(user)));
    let unknown = got[4].as_ref().unwrap_err();
    assert!(
        matches!(
            unknown.as_decode().map(|d| d.kind()),
            Some(dynamo_repo::value::DecodeErrorKind::UnknownEntityType { .. })
        ),
        "{unknown}"
    );
}
