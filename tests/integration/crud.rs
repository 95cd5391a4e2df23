//! Repository CRUD and table management against DynamoDB Local.

use crate::mapping::user;
use dynamo_repo::{Entity, Error};
use dynamo_repo_tests::models::*;
use dynamo_repo_tests::{client, fresh_repository, unique_table};

#[tokio::test]
async fn get_of_a_missing_item_is_none() {
    let repo = fresh_repository::<User>().await;
    assert_eq!(repo.get(User::key("nobody")).await.unwrap(), None);
}

#[tokio::test]
async fn put_replaces_and_put_if_not_exists_refuses_with_the_existing_item() {
    let repo = fresh_repository::<User>().await;
    let first = user("u-1");
    repo.put(&first).if_not_exists().await.unwrap();

    let mut second = first.clone();
    second.age = 99;
    let err = repo.put(&second).if_not_exists().await.unwrap_err();
    assert!(err.is_condition_failed(), "{err:?}");
    let failed = err.as_condition_failed().unwrap();
    assert_eq!(failed.operation, "PutItem");
    assert_eq!(failed.entity, "User");
    assert_eq!(&failed.key, User::key("u-1").as_item());
    // The key's value stays out of the message (values are not revealed).
    assert!(err.to_string().contains("User {id: S(3 bytes)}"), "{err}");
    let existing: User = failed
        .existing::<User>()
        .expect("DynamoDB returned the item")
        .unwrap();
    assert_eq!(existing, first, "the error carries the stored item");

    // A plain put replaces.
    repo.put(&second).await.unwrap();
    assert_eq!(repo.get(User::key("u-1")).await.unwrap().unwrap().age, 99);
}

#[tokio::test]
async fn delete_returns_the_old_item_and_is_idempotent() {
    let repo = fresh_repository::<Order>().await;
    let order = Order {
        customer: "c-1".into(),
        id: "o-9".into(),
        total: 12.5,
        note: Some("gift".into()),
    };
    repo.put(&order).await.unwrap();
    let old = repo
        .delete(Order::key("c-1", "o-9"))
        .return_old()
        .await
        .unwrap();
    assert_eq!(old, Some(order));
    assert_eq!(repo.get(Order::key("c-1", "o-9")).await.unwrap(), None);
    assert_eq!(
        repo.delete(Order::key("c-1", "o-9"))
            .return_old()
            .await
            .unwrap(),
        None
    );
    repo.delete(Order::key("c-1", "o-9")).await.unwrap();
    let err = repo
        .delete(Order::key("c-1", "o-9"))
        .if_exists()
        .await
        .unwrap_err();
    assert!(err.is_condition_failed(), "{err:?}");
    assert!(err.as_condition_failed().unwrap().item.is_none());
}

#[tokio::test]
async fn update_sets_and_removes_fields() {
    let repo = fresh_repository::<User>().await;
    let mut u = user("u-2");
    u.nickname = Some("ada".into());
    repo.put(&u).await.unwrap();
    let f = User::fields();
    let updated = repo
        .update(User::key("u-2"))
        .set(f.age, 37)
        .set(f.email, "new@example.com")
        .remove(f.nickname)
        .return_new()
        .await
        .unwrap();
    assert_eq!(updated.age, 37);
    assert_eq!(updated.email, "new@example.com");
    assert_eq!(updated.nickname, None);
    assert_eq!(repo.get(User::key("u-2")).await.unwrap().unwrap(), updated);

    // Setting an Option to None removes the attribute.
    repo.update(User::key("u-2"))
        .set(User::fields().nickname, None)
        .await
        .unwrap();
    // `if_exists` refuses to create an item.
    let err = repo
        .update(User::key("ghost"))
        .set(User::fields().age, 1)
        .if_exists()
        .await
        .unwrap_err();
    assert!(err.is_condition_failed(), "{err:?}");
    assert_eq!(repo.get(User::key("ghost")).await.unwrap(), None);
}

#[tokio::test]
async fn create_table_fails_when_it_exists_and_ensure_table_is_idempotent() {
    let repo = client()
        .repository::<User>()
        .with_table_name(unique_table("ensure"));
    repo.ensure_table().await.unwrap();
    repo.ensure_table().await.unwrap();
    let err = repo.create_table().await.unwrap_err();
    assert!(
        matches!(&err, Error::Service { code: Some(c), .. } if c == "ResourceInUseException"),
        "{err:?}"
    );
    repo.put(&user("u")).await.unwrap();
    // Concurrent ensures on a new table all succeed.
    let fresh = client()
        .repository::<User>()
        .with_table_name(unique_table("ensure-race"));
    let (a, b, c) = tokio::join!(
        fresh.ensure_table(),
        fresh.ensure_table(),
        fresh.ensure_table()
    );
    a.unwrap();
    b.unwrap();
    c.unwrap();
}

#[tokio::test]
async fn ensure_table_refuses_a_table_with_another_key_schema() {
    let name = unique_table("mismatch");
    client()
        .repository::<Order>()
        .with_table_name(&name)
        .create_table()
        .await
        .unwrap();
    let err = client()
        .repository::<User>()
        .with_table_name(&name)
        .ensure_table()
        .await
        .unwrap_err();
    assert!(err.as_table_mismatch().is_some(), "{err:?}");
    assert!(err.to_string().contains("key schema"), "{err}");
}

#[tokio::test]
async fn delete_table_removes_it() {
    let repo = fresh_repository::<User>().await;
    repo.delete_table().await.unwrap();
    let err = repo.get(User::key("u")).await.unwrap_err();
    assert!(err.is_resource_not_found(), "{err:?}");
}

#[tokio::test]
async fn create_table_enables_ttl_on_the_ttl_attribute() {
    let repo = fresh_repository::<Everything>().await;
    let ttl = repo
        .client()
        .sdk()
        .describe_time_to_live()
        .table_name(repo.table_name())
        .send()
        .await
        .unwrap();
    let description = ttl.time_to_live_description().unwrap();
    assert_eq!(description.attribute_name(), Some("expires_at"));
    assert_eq!(Everything::SCHEMA.ttl_attribute, Some("expires_at"));
}

#[tokio::test]
async fn binary_partition_keys_work() {
    let repo = fresh_repository::<Blob>().await;
    let blob = Blob {
        digest: bytes::Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]),
        size: 4,
    };
    repo.put(&blob).await.unwrap();
    let read = repo
        .get(Blob::key(bytes::Bytes::from_static(&[
            0xde, 0xad, 0xbe, 0xef,
        ])))
        .await
        .unwrap();
    assert_eq!(read, Some(blob));
}

#[tokio::test]
async fn a_missing_table_is_a_typed_service_error() {
    let repo = client()
        .repository::<User>()
        .with_table_name(unique_table("missing"));
    let err = repo.put(&user("u")).await.unwrap_err();
    assert!(err.is_resource_not_found(), "{err:?}");
    assert!(err.to_string().contains("PutItem"), "{err}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the SDK error is kept as source"
    );
}

#[tokio::test]
async fn an_unreachable_server_fails_and_does_not_hang() {
    // Port 9 (discard) on loopback is not a DynamoDB: the call must fail, not skip.
    let repo = dynamo_repo::Client::from_sdk(dynamo_repo::sdk::Client::from_conf(
        dynamo_repo::Client::local_config("http://127.0.0.1:9")
            .retry_config(dynamo_repo::RetryPolicy::none().to_sdk())
            .build(),
    ))
    .repository::<User>();
    let err = repo.get(User::key("u")).await.unwrap_err();
    assert!(matches!(err, Error::Service { .. }), "{err:?}");
}
