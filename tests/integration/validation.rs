//! Every validation error: refused before sending, naming entity and attribute.

use crate::mapping::{everything, user};
use dynamo_repo::{Error, ValidationErrorKind};
use dynamo_repo_tests::models::*;
use dynamo_repo_tests::{client, unique_table};

/// A repository on a table that does not exist: any request that reached
/// DynamoDB would fail with ResourceNotFound, so a validation error proves
/// nothing was sent.
fn unsent<T: dynamo_repo::Entity>() -> dynamo_repo::Repository<T> {
    client()
        .repository::<T>()
        .with_table_name(unique_table("never-created"))
}

fn validation(result: Result<impl std::fmt::Debug, Error>) -> dynamo_repo::ValidationError {
    match result {
        Err(Error::Validation(v)) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn empty_partition_and_sort_keys_are_refused() {
    let repo = unsent::<Order>();
    let mut order = Order {
        customer: String::new(),
        id: "o".into(),
        total: 1.0,
        note: None,
    };
    let err = validation(repo.put(&order).await);
    assert_eq!(err.kind, ValidationErrorKind::EmptyKey);
    assert_eq!(err.entity, Some("Order"));
    assert_eq!(err.attribute.as_deref(), Some("customer"));
    order.customer = "c".into();
    order.id = String::new();
    let err = validation(repo.put(&order).await);
    assert_eq!(err.attribute.as_deref(), Some("id"));
    let err = validation(repo.get(Order::key("", "x")).await);
    assert_eq!(err.kind, ValidationErrorKind::EmptyKey);
    let err = validation(repo.delete(Order::key("c", "")).await);
    assert_eq!(err.kind, ValidationErrorKind::EmptyKey);
    let err = validation(
        repo.update(Order::key("", "x"))
            .set(Order::fields().total, 2.0)
            .await,
    );
    assert_eq!(err.kind, ValidationErrorKind::EmptyKey);
}

#[tokio::test]
async fn keys_over_the_byte_limits_are_refused() {
    let repo = unsent::<Order>();
    // 2048 bytes is allowed for a partition key: the request is sent (and fails on the missing table).
    let ok = repo
        .get(Order::key("é".repeat(1024), "x"))
        .await
        .unwrap_err();
    assert!(ok.is_resource_not_found(), "{ok:?}");
    let err = validation(repo.get(Order::key("é".repeat(1024) + "x", "x")).await);
    assert_eq!(err.kind, ValidationErrorKind::KeyTooLong);
    assert_eq!(err.attribute.as_deref(), Some("customer"));
    assert!(err.message.contains("2049 bytes"), "{}", err.message);
    let err = validation(repo.get(Order::key("c", "x".repeat(1025))).await);
    assert_eq!(err.kind, ValidationErrorKind::KeyTooLong);
    assert_eq!(err.attribute.as_deref(), Some("id"));
}

#[tokio::test]
async fn an_item_over_400_kb_is_refused() {
    let repo = unsent::<Order>();
    let order = Order {
        customer: "c".into(),
        id: "o".into(),
        total: 1.0,
        note: Some("x".repeat(400 * 1024)),
    };
    let err = validation(repo.put(&order).await);
    assert_eq!(err.kind, ValidationErrorKind::ItemTooLarge);
    assert_eq!(err.entity, Some("Order"));
}

#[tokio::test]
async fn an_item_just_under_400_kb_is_accepted_by_dynamodb() {
    let repo = dynamo_repo_tests::fresh_repository::<Order>().await;
    // Names: customer(8)+id(2)+total(5)+note(4) = 19; values: 1 + 1 + 2 (N "1") = 4.
    let note_len = 400 * 1024 - 19 - 4;
    let order = Order {
        customer: "c".into(),
        id: "o".into(),
        total: 1.0,
        note: Some("x".repeat(note_len)),
    };
    repo.put(&order)
        .await
        .expect("exactly 400 KB by DynamoDB's rule is accepted");
    let mut bigger = order.clone();
    bigger.note = Some("x".repeat(note_len + 1));
    let err = validation(repo.put(&bigger).await);
    assert_eq!(err.kind, ValidationErrorKind::ItemTooLarge);
}

#[tokio::test]
async fn nan_and_infinities_are_refused_naming_the_field() {
    let repo = unsent::<Everything>();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut e = everything("x");
        e.f64_ = bad;
        let err = validation(repo.put(&e).await);
        assert_eq!(err.kind, ValidationErrorKind::InvalidNumber);
        assert_eq!(err.entity, Some("Everything"));
        assert_eq!(err.attribute.as_deref(), Some("f64_"));
    }
    let mut e = everything("x");
    e.address.geo.as_mut().unwrap().lat = f64::NAN;
    let err = validation(repo.put(&e).await);
    // Below the top-level attribute, map keys may be data (a `HashMap`'s keys),
    // so a write's path shows them only when values are revealed.
    assert_eq!(err.attribute.as_deref(), Some("address.<key>.<key>"));
}

#[tokio::test]
async fn numbers_dynamodb_cannot_store_are_refused() {
    let repo = unsent::<Everything>();
    let mut e = everything("x");
    e.i128_ = i128::MAX; // 39 significant digits
    let err = validation(repo.put(&e).await);
    assert_eq!(err.kind, ValidationErrorKind::InvalidNumber);
    assert_eq!(err.attribute.as_deref(), Some("i128_"));
    assert!(
        err.message.contains("39 significant digits"),
        "{}",
        err.message
    );
    let mut e = everything("x");
    e.f64_ = 1e300;
    let err = validation(repo.put(&e).await);
    assert!(
        err.message.contains("outside DynamoDB's number range"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn update_values_are_validated_and_keys_cannot_be_updated() {
    let repo = unsent::<User>();
    let err = validation(
        repo.update(User::key("u"))
            .set(User::fields().score, f64::NAN)
            .await,
    );
    assert_eq!(err.kind, ValidationErrorKind::InvalidNumber);
    assert_eq!(err.attribute.as_deref(), Some("score"));
    let err = validation(
        repo.update(User::key("u"))
            .set(User::fields().id, "other")
            .await,
    );
    assert_eq!(err.kind, ValidationErrorKind::KeyUpdate);
    assert_eq!(err.attribute.as_deref(), Some("id"));
    let err = validation(repo.update(User::key("u")).await);
    assert_eq!(err.kind, ValidationErrorKind::EmptyUpdate);
}

#[tokio::test]
async fn unencodable_serde_values_are_refused_with_serde_message() {
    #[derive(dynamo_repo::Entity, Debug)]
    #[dynamo(table = "serde")]
    struct WithSerde {
        #[dynamo(partition_key)]
        id: String,
        #[dynamo(serde)]
        pairs: std::collections::HashMap<(u8, u8), u8>,
    }
    let repo = unsent::<WithSerde>();
    let item = WithSerde {
        id: "x".into(),
        pairs: [((1, 2), 3)].into_iter().collect(),
    };
    let err = validation(repo.put(&item).await);
    assert_eq!(err.kind, ValidationErrorKind::Unencodable);
    assert_eq!(err.attribute.as_deref(), Some("pairs"));
    let _ = user("unused");
}

#[tokio::test]
async fn nan_and_infinity_in_conditions_and_filters_are_refused_naming_the_field() {
    // Observed: `f.rating.gt(f64::INFINITY)` reached DynamoDB, whose error
    // named the placeholder `:c1`, not the field.
    let repo = unsent::<Order>();
    let f = Order::fields();
    let order = Order {
        customer: "c".into(),
        id: "o".into(),
        total: 1.0,
        note: None,
    };
    for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
        let err = validation(repo.put(&order).condition(f.total.gt(bad)).await);
        assert_eq!(err.kind, ValidationErrorKind::InvalidNumber, "{err}");
        assert_eq!(err.entity, Some("Order"));
        assert_eq!(err.attribute.as_deref(), Some("total"));

        let err = validation(
            repo.update(Order::key("c", "o"))
                .set(Order::fields().note, "n")
                .condition(f.total.between(0.0, bad))
                .await,
        );
        assert_eq!(err.attribute.as_deref(), Some("total"), "{err}");

        let err = validation(
            repo.delete(Order::key("c", "o"))
                .condition(f.total.is_in([1.0, bad]))
                .await,
        );
        assert_eq!(err.attribute.as_deref(), Some("total"), "{err}");

        let err = validation(repo.query("c").filter(f.total.ne(bad)).all().await);
        assert_eq!(err.kind, ValidationErrorKind::InvalidNumber, "{err}");
        assert_eq!(err.entity, Some("Order"));
        assert_eq!(err.attribute.as_deref(), Some("total"));

        let err = validation(
            repo.scan()
                .filter(f.total.eq(bad) | f.total.eq(1.0))
                .all()
                .await,
        );
        assert_eq!(err.attribute.as_deref(), Some("total"), "{err}");
    }
}

fn event() -> crate::query::Event {
    crate::query::Event {
        stream: "s".into(),
        seq: 1,
        name: "n".into(),
        status: "open".into(),
        date: "2026-11-29".into(),
        owner: "o".into(),
        size: 1,
        data: None,
        tags: vec![],
        labels: Default::default(),
    }
}

#[tokio::test]
async fn empty_strings_in_index_keys_are_refused_naming_field_and_index() {
    use crate::query::Event;
    let repo = unsent::<Event>();
    // GSI partition key, GSI sort key: DynamoDB refuses empty index key values.
    for (field, index) in [
        ("status", "by_status"),
        ("date", "by_status"),
        ("owner", "by-owner"),
    ] {
        let mut e = event();
        match field {
            "status" => e.status.clear(),
            "date" => e.date.clear(),
            _ => e.owner.clear(),
        }
        let err = validation(repo.put(&e).await);
        assert_eq!(err.kind, ValidationErrorKind::EmptyKey, "{err}");
        assert_eq!(err.entity, Some("Event"));
        assert_eq!(err.attribute.as_deref(), Some(field));
        assert!(err.message.contains(index), "{err}");
        let mut uow = client().unit_of_work();
        uow.with_repository(&repo).put(&e);
        let err = validation(uow.commit().await);
        assert_eq!(err.attribute.as_deref(), Some(field), "{err}");
    }
    let f = Event::fields();
    let err = validation(repo.update(Event::key("s", 1u64)).set(f.status, "").await);
    assert_eq!(err.kind, ValidationErrorKind::EmptyKey, "{err}");
    assert_eq!(err.attribute.as_deref(), Some("status"));
    let err = validation(
        repo.batch_put(
            [event()]
                .into_iter()
                .map(|mut e| {
                    e.owner.clear();
                    e
                })
                .collect::<Vec<_>>()
                .iter(),
        )
        .await,
    );
    assert_eq!(err.attribute.as_deref(), Some("owner"), "{err}");
}

#[tokio::test]
async fn an_update_setting_a_value_over_400_kb_is_refused() {
    let repo = unsent::<crate::query::Event>();
    let f = crate::query::Event::fields();
    let big = "x".repeat(401 * 1024);
    let err = validation(
        repo.update(crate::query::Event::key("s", 1u64))
            .set(f.name, big.clone())
            .await,
    );
    assert_eq!(err.kind, ValidationErrorKind::ItemTooLarge, "{err}");
    assert_eq!(err.entity, Some("Event"));
    // Two values that only together pass the limit.
    let half = "y".repeat(201 * 1024);
    let err = validation(
        repo.update(crate::query::Event::key("s", 1u64))
            .set(crate::query::Event::fields().name, half.clone())
            .set(crate::query::Event::fields().data, half)
            .await,
    );
    assert_eq!(err.kind, ValidationErrorKind::ItemTooLarge, "{err}");
    let mut uow = client().unit_of_work();
    uow.with_repository(&repo)
        .update(crate::query::Event::key("s", 1u64), |u| {
            u.set(crate::query::Event::fields().name, big)
        });
    let err = validation(uow.commit().await);
    assert_eq!(err.kind, ValidationErrorKind::ItemTooLarge, "{err}");
}
