//! Multi-attribute index keys through the derive, against a real server: a
//! GSI whose partition and sort keys are several of the item's own
//! attributes, created by `create_table` / `ensure_table`, queried with
//! typed key conditions (every partition attribute by equality, sort
//! attributes left to right), sparse when an `Option` key field is `None`,
//! paged with cursors, and refused before sending when a query cannot be
//! right. Runs on the embedded backend and on DynamoDB Local (both support
//! these keys; `multi_key_probe.rs` checks the raw requests).

use dynamo_repo::error::ValidationErrorKind;
use dynamo_repo::sdk::types::KeyType;
use dynamo_repo::{Entity, Index, Repository};
use dynamo_repo_testkit::RequestRecorder;
use dynamo_repo_tests::{client, fresh_repository};

/// An order, in three multi-attribute indexes: both sides several
/// attributes; a sparse one (an optional courier) with a single sort
/// attribute; and one with a single partition attribute and a sort key of
/// two.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "orders",
    gsi(name = "by_region_status", partition_key = [region, status], sort_key = [created, id]),
    gsi(name = "by_courier", partition_key = [region, courier], sort_key = created),
    gsi(name = "by_day", partition_key = region, sort_key = [day, created], projection = "all")
)]
pub struct Order {
    #[dynamo(partition_key)]
    pub id: String,
    pub region: String,
    pub status: String,
    pub created: u64,
    pub day: String,
    pub courier: Option<String>,
    pub total: u64,
}

fn order(id: &str, status: &str, created: u64, courier: Option<&str>) -> Order {
    Order {
        id: id.into(),
        region: "eu".into(),
        status: status.into(),
        created,
        day: format!("2026-01-0{}", created / 10),
        courier: courier.map(str::to_owned),
        total: created * 2,
    }
}

/// Ten open orders (created 10, 10, 20, 20, ... 50, 50; ids `o-<created>-a` /
/// `o-<created>-b`), two shipped ones, one open in another region.
async fn seeded() -> Repository<Order> {
    let orders = fresh_repository::<Order>().await;
    let mut all = Vec::new();
    for created in [10, 20, 30, 40, 50] {
        for suffix in ["a", "b"] {
            let courier = (suffix == "a").then_some("dhl");
            all.push(order(
                &format!("o-{created}-{suffix}"),
                "open",
                created,
                courier,
            ));
        }
    }
    all.push(order("s-1", "shipped", 15, Some("dhl")));
    all.push(order("s-2", "shipped", 25, None));
    let mut elsewhere = order("x-1", "open", 10, Some("dhl"));
    elsewhere.region = "us".into();
    all.push(elsewhere);
    orders.batch_put(&all).await.unwrap();
    orders
}

fn ids(rows: &[Order]) -> Vec<&str> {
    rows.iter().map(|o| o.id.as_str()).collect()
}

#[tokio::test]
async fn create_table_declares_every_key_attribute_in_order() {
    let orders = fresh_repository::<Order>().await;
    let described = client()
        .sdk()
        .describe_table()
        .table_name(orders.table_name())
        .send()
        .await
        .unwrap();
    let table = described.table().unwrap();
    let keys_of = |name: &str| -> Vec<(String, KeyType)> {
        let index = table
            .global_secondary_indexes()
            .iter()
            .find(|g| g.index_name() == Some(name))
            .unwrap_or_else(|| panic!("index {name} exists"));
        index
            .key_schema()
            .iter()
            .map(|k| (k.attribute_name().to_owned(), k.key_type().clone()))
            .collect()
    };
    let owned = |keys: &[(&str, KeyType)]| -> Vec<(String, KeyType)> {
        keys.iter()
            .map(|(n, t)| (n.to_string(), t.clone()))
            .collect()
    };
    assert_eq!(
        keys_of("by_region_status"),
        owned(&[
            ("region", KeyType::Hash),
            ("status", KeyType::Hash),
            ("created", KeyType::Range),
            ("id", KeyType::Range),
        ])
    );
    assert_eq!(
        keys_of("by_courier"),
        owned(&[
            ("region", KeyType::Hash),
            ("courier", KeyType::Hash),
            ("created", KeyType::Range),
        ])
    );
    assert_eq!(
        keys_of("by_day"),
        owned(&[
            ("region", KeyType::Hash),
            ("day", KeyType::Range),
            ("created", KeyType::Range),
        ])
    );
    let mut types: Vec<(String, String)> = table
        .attribute_definitions()
        .iter()
        .map(|d| {
            (
                d.attribute_name().to_owned(),
                d.attribute_type().as_str().to_owned(),
            )
        })
        .collect();
    types.sort();
    let expected: Vec<(String, String)> = [
        ("courier", "S"),
        ("created", "N"),
        ("day", "S"),
        ("id", "S"),
        ("region", "S"),
        ("status", "S"),
    ]
    .iter()
    .map(|(a, t)| (a.to_string(), t.to_string()))
    .collect();
    assert_eq!(types, expected, "each attribute defined once, typed");
    let plan = orders.plan_table().await.unwrap();
    assert!(plan.is_empty(), "the created table fits: {plan:?}");
    let schema = Order::indexes().by_region_status.schema();
    let names: Vec<&str> = schema.key_attributes().map(|k| k.name).collect();
    assert_eq!(names, ["region", "status", "created", "id"]);
    assert!(schema.is_multi_attribute());
}

#[tokio::test]
async fn queries_match_every_partition_attribute_and_sort_attributes_left_to_right() {
    let orders = seeded().await;
    let index = Order::indexes().by_region_status;
    let open = orders
        .query_index_keys(index, ("eu", "open"))
        .all()
        .await
        .unwrap();
    assert_eq!(
        ids(&open),
        [
            "o-10-a", "o-10-b", "o-20-a", "o-20-b", "o-30-a", "o-30-b", "o-40-a", "o-40-b",
            "o-50-a", "o-50-b"
        ],
        "every partition attribute matched; sorted by created, then id"
    );
    let shipped = orders
        .query_index_keys(index, ("eu", "shipped"))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&shipped), ["s-1", "s-2"]);
    let us = orders
        .query_index_keys(index, ("us", "open"))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&us), ["x-1"]);

    // A condition on the first sort attribute alone.
    let after = orders
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.gt(30))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&after), ["o-40-a", "o-40-b", "o-50-a", "o-50-b"]);
    let range = orders
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.between(20, 30))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&range), ["o-20-a", "o-20-b", "o-30-a", "o-30-b"]);
    // Equality on the first, and a condition on the second.
    let eq_gt = orders
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.eq(20).gt("o-20-a"))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&eq_gt), ["o-20-b"]);
    let eq_between = orders
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.eq(40).between("o-40-a", "o-40-b"))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&eq_between), ["o-40-a", "o-40-b"]);
    let eq_prefix = orders
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.eq(50).begins_with("o-50-b"))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&eq_prefix), ["o-50-b"]);
    // Equality on every sort attribute, and on the first only.
    let exact = orders
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.eq(30).eq("o-30-a"))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&exact), ["o-30-a"]);
    let first_only = orders
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.eq(10))
        .descending()
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&first_only), ["o-10-b", "o-10-a"]);
    // A filter on a non-key attribute, and a count.
    let f = Order::fields();
    let big = orders
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.ge(30))
        .filter(f.total.gt(60))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&big), ["o-40-a", "o-40-b", "o-50-a", "o-50-b"]);
    let counted = orders
        .query_index_keys(index, ("eu", "open"))
        .sort_keys(|k| k.lt(30))
        .count()
        .await
        .unwrap();
    assert_eq!(counted, 4);

    // One partition attribute and a sort key of two: `query_index` and
    // `.sort_keys`, begins_with on the first sort attribute (the last given).
    let by_day = Order::indexes().by_day;
    let day2 = orders
        .query_index(by_day, "eu")
        .sort_keys(|k| k.begins_with("2026-01-02"))
        .all()
        .await
        .unwrap();
    // o-20-a and o-20-b tie on (day, created): DynamoDB orders ties as it likes.
    let mut day2 = ids(&day2);
    day2[..2].sort_unstable();
    assert_eq!(day2, ["o-20-a", "o-20-b", "s-2"]);
    let day2_late = orders
        .query_index(by_day, "eu")
        .sort_keys(|k| k.eq("2026-01-02").ge(25))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&day2_late), ["s-2"]);
}

#[tokio::test]
async fn an_item_missing_any_key_attribute_is_left_out_of_the_index() {
    let orders = seeded().await;
    let by_courier = Order::indexes().by_courier;
    let dhl = |orders: &Repository<Order>| {
        let orders = orders.clone();
        async move {
            orders
                .query_index_keys(by_courier, ("eu", "dhl"))
                .all()
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        dhl(&orders).await,
        ["o-10-a", "s-1", "o-20-a", "o-30-a", "o-40-a", "o-50-a"],
        "only items with a courier, sorted by created"
    );
    // Multi-attribute partition, single sort attribute: `.sort_key`.
    let late = orders
        .query_index_keys(by_courier, ("eu", "dhl"))
        .sort_key(|k| k.ge(40))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&late), ["o-40-a", "o-50-a"]);
    let f = Order::fields();
    orders
        .update(Order::key("o-10-b"))
        .set(&f.courier, "dhl")
        .await
        .unwrap();
    orders
        .update(Order::key("o-10-a"))
        .set(&f.courier, None::<String>)
        .await
        .unwrap();
    assert_eq!(
        dhl(&orders).await,
        ["o-10-b", "s-1", "o-20-a", "o-30-a", "o-40-a", "o-50-a"],
        "setting the courier joins the index, clearing it leaves"
    );
    // The item stays in the index keyed without the optional attribute.
    let open = orders
        .query_index_keys(Order::indexes().by_region_status, ("eu", "open"))
        .sort_keys(|k| k.eq(10))
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&open), ["o-10-a", "o-10-b"]);
}

#[tokio::test]
async fn pages_follow_the_index_with_cursors_bound_to_the_whole_partition() {
    let orders = seeded().await;
    let index = Order::indexes().by_region_status;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut q = orders
            .query_index_keys(index, ("eu", "open"))
            .sort_keys(|k| k.ge(20))
            .page_size(3);
        if let Some(c) = cursor.take() {
            q = q.start_from(c);
        }
        let page = q.page().await.unwrap();
        pages += 1;
        seen.extend(page.items.into_iter().map(|o| o.id));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(pages < 10, "pages end");
    }
    assert_eq!(
        seen,
        ["o-20-a", "o-20-b", "o-30-a", "o-30-b", "o-40-a", "o-40-b", "o-50-a", "o-50-b"],
        "each row once, in order, across {pages} pages"
    );
    assert!(pages >= 3, "{pages} pages of at most 3");

    // A cursor of ("eu", "open") refused for ("eu", "shipped") and for
    // ("us", "open"): either partition attribute differing, before sending.
    let page = orders
        .query_index_keys(index, ("eu", "open"))
        .page_size(2)
        .page()
        .await
        .unwrap();
    let cursor = page.cursor.expect("more rows follow");
    let recorder = RequestRecorder::new();
    let recorded = recorder
        .client()
        .unwrap()
        .repository::<Order>()
        .with_table_name(orders.table_name());
    for other in [("eu", "shipped"), ("us", "open")] {
        let err = recorded
            .query_index_keys(index, other)
            .start_from(cursor.clone())
            .page()
            .await
            .unwrap_err();
        let v = err.as_validation().expect("a validation error");
        assert_eq!(v.kind, ValidationErrorKind::InvalidCursor, "{other:?}");
    }
    assert!(
        recorder.requests().is_empty(),
        "{:?}",
        recorder.operations()
    );
    // The same cursor resumes its own query.
    let rest = orders
        .query_index_keys(index, ("eu", "open"))
        .start_from(cursor)
        .all()
        .await
        .unwrap();
    assert_eq!(rest.len(), 8);
    assert_eq!(rest[0].id, "o-20-a");

    // A scan of the index pages through every item in it, each once.
    let mut scanned = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut scan = orders.scan_index(index).page_size(4);
        if let Some(c) = cursor.take() {
            scan = scan.start_from(c);
        }
        let page = scan.page().await.unwrap();
        scanned.extend(page.items.into_iter().map(|o| o.id));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(scanned.len() <= 13, "the scan ends");
    }
    let read = scanned.len();
    scanned.sort();
    scanned.dedup();
    assert_eq!((read, scanned.len()), (13, 13), "{scanned:?}");
}

#[tokio::test]
async fn the_typed_api_refuses_what_cannot_be_right_before_sending() {
    let orders = seeded().await;
    let recorder = RequestRecorder::new();
    let recorded = recorder
        .client()
        .unwrap()
        .repository::<Order>()
        .with_table_name(orders.table_name());
    let index = Order::indexes().by_region_status;
    let f = Order::fields();

    // An empty partition value, in any position.
    for pk in [("", "open"), ("eu", "")] {
        let err = recorded
            .query_index_keys(index, pk)
            .all()
            .await
            .unwrap_err();
        let v = err.as_validation().expect("a validation error");
        assert_eq!(v.kind, ValidationErrorKind::EmptyKey, "{pk:?}");
        assert_eq!(v.entity, Some("Order"));
    }
    // A too-long partition value names its attribute.
    let long = "x".repeat(2049);
    let err = recorded
        .query_index_keys(index, ("eu", long.as_str()))
        .all()
        .await
        .unwrap_err();
    let v = err.as_validation().expect("a validation error");
    assert_eq!(v.kind, ValidationErrorKind::KeyTooLong);
    assert_eq!(v.attribute.as_deref(), Some("status"));
    assert!(!v.message.contains("xxxx"), "no value in the message");
    // A filter on any key attribute of the index, even one the query's
    // condition leaves out.
    for filter in [f.status.eq("open"), f.id.eq("o-10-a")] {
        let err = recorded
            .query_index_keys(index, ("eu", "open"))
            .sort_keys(|k| k.eq(10))
            .filter(filter)
            .all()
            .await
            .unwrap_err();
        assert_eq!(
            err.as_validation().map(|v| v.kind),
            Some(ValidationErrorKind::KeyInFilter)
        );
    }
    // Consistent reads on a global index.
    let err = recorded
        .query_index_keys(index, ("eu", "open"))
        .consistent_read(true)
        .all()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::InvalidIndex)
    );
    // Handles made at run time whose types do not fit the schema.
    let single: Index<Order, String, u64> = Index::new(index.schema());
    let err = recorded.query_index(single, "eu").all().await.unwrap_err();
    let v = err.as_validation().expect("a validation error");
    assert_eq!(v.kind, ValidationErrorKind::InvalidIndex);
    assert!(v.message.contains("query_index_keys"), "{}", v.message);
    let three: Index<Order, (String, String, String), dynamo_repo::NoSortKey> =
        Index::new(index.schema());
    let err = recorded
        .query_index_keys(three, ("eu", "open", "x"))
        .all()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::InvalidIndex)
    );
    let courier = Order::indexes().by_courier.schema();
    let wider: Index<Order, (String, String), (u64, String)> = Index::new(courier);
    let err = recorded
        .query_index_keys(wider, ("eu", "dhl"))
        .sort_keys(|k| k.eq(10).gt("o"))
        .all()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::InvalidIndex)
    );
    assert!(
        recorder.requests().is_empty(),
        "{:?}",
        recorder.operations()
    );
}

#[tokio::test]
async fn the_request_names_every_key_attribute_in_order() {
    let repo = client()
        .repository::<Order>()
        .with_table_name("never-created");
    let request = repo
        .query_index_keys(Order::indexes().by_region_status, ("eu", "open"))
        .sort_keys(|k| k.eq(20).begins_with("o-2"))
        .to_request()
        .unwrap();
    let input = request.as_input();
    assert_eq!(input.get_index_name().as_deref(), Some("by_region_status"));
    assert_eq!(
        input.get_key_condition_expression().as_deref(),
        Some("#k0 = :k0 AND #k1 = :k1 AND #k2 = :k2 AND begins_with(#k3, :k3)")
    );
    let names = input.get_expression_attribute_names().as_ref().unwrap();
    let values = input.get_expression_attribute_values().as_ref().unwrap();
    use dynamo_repo::sdk::types::AttributeValue as AV;
    for (i, (name, value)) in [
        ("region", AV::S("eu".into())),
        ("status", AV::S("open".into())),
        ("created", AV::N("20".into())),
        ("id", AV::S("o-2".into())),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(names[&format!("#k{i}")], name);
        assert_eq!(values[&format!(":k{i}")], value);
    }
}

#[path = "multi_key/tables.rs"]
mod tables;
