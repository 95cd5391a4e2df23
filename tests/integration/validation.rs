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
