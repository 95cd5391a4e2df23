//! Sparse indexes and index keys that never go stale, against a real server:
//! an `Option` field as an index key (plain and template indexes), and every
//! write path (`update`, `put` / `save`, units of work, batch writes) keeping
//! the derived index key attributes in step with the fields they are built
//! from (ElectroDB #479 / #406).

use dynamo_repo::error::ValidationErrorKind;
use dynamo_repo::{Entity, Repository};
use dynamo_repo_testkit::{RequestRecorder, TestTables};
use dynamo_repo_tests::fresh_repository;

/// A support ticket; `by_assignee` holds only the assigned ones (a sparse
/// index on a plain optional field).
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "tickets",
    gsi(name = "by_assignee", partition_key = assignee, sort_key = opened)
)]
pub struct Ticket {
    #[dynamo(partition_key)]
    pub id: String,
    pub assignee: Option<String>,
    pub opened: u64,
}

/// An order. `pending` is a sparse template index: only orders with a
/// `pending_since` are in it. `by_status` is keyed by two fields that an
/// update may change. `created_at` makes every put of an order that may
/// exist an `UpdateItem` (see `managed`), the path where a stale sparse key
/// could survive.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "shop",
    entity = "order",
    pk = "CUSTOMER#{customer}",
    sk = "ORDER#{id}",
    gsi1(name = "pending", pk = "PENDING", sk = "SINCE#{pending_since}#{id}"),
    gsi2(name = "by_status", pk = "STATUS#{status}", sk = "DATE#{date}#{id}")
)]
pub struct Order {
    pub customer: String,
    pub id: String,
    pub status: String,
    pub date: String,
    pub pending_since: Option<String>,
    pub total: u64,
    #[dynamo(created_at)]
    pub created_at: i64,
}

fn order(id: &str, status: &str, date: &str, pending: Option<&str>) -> Order {
    Order {
        customer: "c1".into(),
        id: id.into(),
        status: status.into(),
        date: date.into(),
        pending_since: pending.map(str::to_owned),
        total: 10,
        created_at: 0,
    }
}

/// The ids of the orders in the `pending` index, in index order.
async fn pending(orders: &Repository<Order>) -> Vec<String> {
    orders
        .query_index(Order::indexes().pending, Order::pending_pk())
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect()
}

/// The ids of the orders under `STATUS#<status>` in `by_status`.
async fn with_status(orders: &Repository<Order>, status: &str) -> Vec<String> {
    let mut ids: Vec<String> = orders
        .query_index(Order::indexes().by_status, Order::by_status_pk(status))
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    ids.sort();
    ids
}

/// The raw stored item of an order, to look at its derived key attributes.
async fn stored(orders: &Repository<Order>, id: &str) -> dynamo_repo::value::Item {
    orders
        .client()
        .sdk()
        .get_item()
        .table_name(orders.table_name())
        .set_key(Some(Order::key("c1", id).into_item()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the order is stored")
}

#[tokio::test]
async fn a_plain_optional_field_makes_a_sparse_index() {
    let tickets = fresh_repository::<Ticket>().await;
    for (id, assignee, opened) in [
        ("t1", Some("ada"), 3),
        ("t2", None, 1),
        ("t3", Some("ada"), 2),
    ] {
        tickets
            .put(&Ticket {
                id: id.into(),
                assignee: assignee.map(str::to_owned),
                opened,
            })
            .await
            .unwrap();
    }
    let assigned = |tickets: &Repository<Ticket>| {
        let tickets = tickets.clone();
        async move {
            tickets
                .query_index(Ticket::indexes().by_assignee, "ada")
                .all()
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(assigned(&tickets).await, ["t3", "t1"], "sorted by `opened`");
    let f = Ticket::fields();
    tickets
        .update(Ticket::key("t1"))
        .set(&f.assignee, None::<String>)
        .await
        .unwrap();
    assert_eq!(
        assigned(&tickets).await,
        ["t3"],
        "clearing leaves the index"
    );
    tickets
        .update(Ticket::key("t2"))
        .set(&f.assignee, "ada")
        .await
        .unwrap();
    assert_eq!(assigned(&tickets).await, ["t2", "t3"], "setting joins it");
}

#[tokio::test]
async fn only_pending_orders_are_in_the_pending_index() {
    let orders = fresh_repository::<Order>().await;
    orders
        .put(&order("o1", "new", "2026-01-01", Some("2026-01-03")))
        .await
        .unwrap();
    orders
        .put(&order("o2", "paid", "2026-01-01", None))
        .await
        .unwrap();
    orders
        .put(&order("o3", "new", "2026-01-02", Some("2026-01-02")))
        .await
        .unwrap();
    assert_eq!(pending(&orders).await, ["o3", "o1"], "oldest pending first");
    let o2 = stored(&orders, "o2").await;
    assert!(
        !o2.contains_key("GSI1PK") && !o2.contains_key("GSI1SK"),
        "no half key of the sparse index is written: {:?}",
        o2.keys()
    );

    // Clearing the field removes the item from the index, in the same request.
    let f = Order::fields();
    let recorder = RequestRecorder::new();
    let recorded = recorder
        .client()
        .unwrap()
        .repository::<Order>()
        .with_table_name(orders.table_name());
    recorded
        .update(Order::key("c1", "o1"))
        .set(&f.pending_since, None::<String>)
        .await
        .unwrap();
    assert_eq!(recorder.requests().len(), 1, "one UpdateItem");
    assert_eq!(pending(&orders).await, ["o3"]);
    let o1 = stored(&orders, "o1").await;
    assert!(!o1.contains_key("GSI1PK") && !o1.contains_key("GSI1SK"));

    // Setting it puts the item in the index; the key's `{id}` comes from the table key.
    orders
        .update(Order::key("c1", "o2"))
        .set(&f.pending_since, "2026-01-01")
        .await
        .unwrap();
    assert_eq!(pending(&orders).await, ["o2", "o3"]);

    // A put of the item without it (sent as an UpdateItem for `created_at`) removes it too.
    orders
        .put(&order("o3", "paid", "2026-01-02", None))
        .await
        .unwrap();
    assert_eq!(pending(&orders).await, ["o2"]);
    assert!(!stored(&orders, "o3").await.contains_key("GSI1SK"));
}

#[tokio::test]
async fn an_update_recomputes_the_index_key_it_changes() {
    let orders = fresh_repository::<Order>().await;
    orders
        .put(&order("o1", "new", "2026-01-01", None))
        .await
        .unwrap();
    let f = Order::fields();
    orders
        .update(Order::key("c1", "o1"))
        .set(&f.status, "shipped")
        .set(&f.date, "2026-02-01")
        .await
        .unwrap();
    assert_eq!(with_status(&orders, "shipped").await, ["o1"]);
    assert!(
        with_status(&orders, "new").await.is_empty(),
        "not under its old key"
    );
    let sk = stored(&orders, "o1").await.remove("GSI2SK").unwrap();
    assert_eq!(sk.as_s().unwrap(), "DATE#2026-02-01#o1");
}

#[tokio::test]
async fn an_update_that_cannot_recompute_an_index_key_is_refused_before_sending() {
    let orders = fresh_repository::<Order>().await;
    orders
        .put(&order("o1", "new", "2026-01-01", None))
        .await
        .unwrap();
    let recorder = RequestRecorder::new();
    let recorded = recorder
        .client()
        .unwrap()
        .repository::<Order>()
        .with_table_name(orders.table_name());
    let f = Order::fields();

    let err = recorded
        .update(Order::key("c1", "o1"))
        .set(&f.status, "shipped")
        .await
        .unwrap_err();
    let v = err.as_validation().expect("a validation error");
    assert_eq!(v.kind, ValidationErrorKind::IndexKeyIncomplete);
    assert_eq!(v.entity, Some("Order"));
    assert_eq!(
        v.attribute.as_deref(),
        Some("date"),
        "names the field needed"
    );
    assert!(
        v.message.contains("`by_status`") && v.message.contains("`date`"),
        "{}",
        v.message
    );
    assert!(
        !v.message.contains("shipped"),
        "no value in the message: {}",
        v.message
    );

    // A change whose result is not known before sending cannot be recomputed either.
    let mut uow = recorded.client().unit_of_work();
    uow.with_repository(&recorded)
        .update(Order::key("c1", "o1"), |u| {
            u.set_if_not_exists(&f.status, "shipped")
                .set(&f.date, "2026-02-01")
        });
    let err = uow.commit().await.unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::IndexKeyIncomplete)
    );

    // The table's own key stays refused as before.
    let err = recorded
        .update(Order::key("c1", "o1"))
        .set(&f.customer, "c2")
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::KeyUpdate)
    );

    assert!(recorder.requests().is_empty(), "{:?}", recorder.requests());
    assert_eq!(with_status(&orders, "new").await, ["o1"], "unchanged");
}

#[tokio::test]
async fn every_write_path_moves_the_item_to_its_new_index_key() {
    let tables = TestTables::new().unwrap();
    let orders = tables.create::<Order>().await.unwrap();
    let f = Order::fields();
    for id in ["put", "uow-update", "uow-put", "batch"] {
        orders
            .put(&order(id, "new", "2026-01-01", Some("2026-01-01")))
            .await
            .unwrap();
    }
    assert_eq!(with_status(&orders, "new").await.len(), 4);

    // put (save is a put that also refreshes the struct)
    let mut moved = order("put", "done", "2026-03-01", None);
    orders.save(&mut moved).await.unwrap();
    // units of work: an update and a put
    let mut uow = orders.client().unit_of_work();
    uow.with_repository(&orders)
        .update(Order::key("c1", "uow-update"), |u| {
            u.set(&f.status, "done")
                .set(&f.date, "2026-03-02")
                .set(&f.pending_since, None::<String>)
        })
        .put(&order("uow-put", "done", "2026-03-03", None));
    uow.commit().await.unwrap();
    // batch writes
    orders
        .batch_put([order("batch", "done", "2026-03-04", None)])
        .skip_entity_type_check()
        .await
        .unwrap();

    assert_eq!(
        with_status(&orders, "done").await,
        ["batch", "put", "uow-put", "uow-update"]
    );
    assert!(
        with_status(&orders, "new").await.is_empty(),
        "none under its old key"
    );
    assert!(
        pending(&orders).await.is_empty(),
        "none left in the sparse index"
    );
    for id in ["put", "uow-update", "uow-put", "batch"] {
        let item = stored(&orders, id).await;
        assert!(item
            .get("GSI2SK")
            .unwrap()
            .as_s()
            .unwrap()
            .starts_with("DATE#2026-03-0"));
        assert!(!item.contains_key("GSI1PK"), "{id}: {:?}", item.keys());
    }
}
