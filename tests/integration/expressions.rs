//! Conditional writes and every update action against DynamoDB Local.

use crate::mapping::user;
use dynamo_repo::expr::Update;
use dynamo_repo::{Entity, ValidationErrorKind};
use dynamo_repo_tests::fresh_repository;
use dynamo_repo_tests::models::*;
use std::collections::BTreeSet;

#[tokio::test]
async fn conditional_put_update_and_delete_report_the_stored_item() {
    let repo = fresh_repository::<User>().await;
    let f = User::fields();
    let mut u = user("u-1");
    repo.put(&u).await.unwrap();

    // Put only when the stored age is what we read.
    u.age = 40;
    repo.put(&u).condition(f.age.eq(36)).await.unwrap();
    let err = repo.put(&u).condition(f.age.eq(36)).await.unwrap_err();
    let failed = err.as_condition_failed().expect("condition failed");
    assert_eq!(failed.existing::<User>().unwrap().unwrap().age, 40);

    // Update with a condition on a nested attribute.
    repo.update(User::key("u-1"))
        .set(&f.address.city, "Paris")
        .condition(f.active.eq(true))
        .await
        .unwrap();
    let err = repo
        .update(User::key("u-1"))
        .set(&f.address.city, "Rome")
        .condition(f.address.city.eq("Berlin"))
        .await
        .unwrap_err();
    assert_eq!(err.as_condition_failed().unwrap().operation, "UpdateItem");
    assert_eq!(
        repo.get(User::key("u-1"))
            .await
            .unwrap()
            .unwrap()
            .address
            .city,
        "Paris"
    );

    // Delete only inactive users.
    let err = repo
        .delete(User::key("u-1"))
        .condition(f.active.eq(false))
        .await
        .unwrap_err();
    let stored = err
        .as_condition_failed()
        .unwrap()
        .existing::<User>()
        .unwrap()
        .unwrap();
    assert!(stored.active);
    repo.delete(User::key("u-1"))
        .condition(f.active.eq(true))
        .await
        .unwrap();
    assert_eq!(repo.get(User::key("u-1")).await.unwrap(), None);
}

#[tokio::test]
async fn every_update_action_applies() {
    let repo = fresh_repository::<User>().await;
    let f = User::fields();
    let mut u = user("u-2");
    u.tags = vec!["b".into()];
    repo.put(&u).await.unwrap();
    repo.update(User::key("u-2"))
        .apply(|up| {
            up.increment(&f.age, 2)
                .decrement(f.counters.key("logins"), 1)
                .increment(f.counters.key("fresh"), 5)
                .append(&f.tags, ["c".to_string()])
                .add(
                    &f.roles,
                    BTreeSet::from(["reader".to_string(), "writer".to_string()]),
                )
                .set_if_not_exists(&f.nickname, "nick")
                .set(&f.address.zip, "75001")
        })
        .return_new()
        .await
        .unwrap();
    let updated = repo
        .update(User::key("u-2"))
        .apply(|up| up.prepend(&f.tags, ["a".to_string()]))
        .return_new()
        .await
        .unwrap();
    assert_eq!(updated.age, 38);
    assert_eq!(updated.counters["logins"], 2);
    assert_eq!(updated.counters["fresh"], 5);
    assert_eq!(updated.tags, ["a", "b", "c"]);
    assert_eq!(
        updated.roles,
        BTreeSet::from(["owner".into(), "reader".into(), "writer".into()])
    );
    assert_eq!(updated.nickname.as_deref(), Some("nick"));
    assert_eq!(updated.address.zip, "75001");

    // if_not_exists keeps an existing value; set_from copies; delete removes set elements; list index.
    let again = repo
        .update(User::key("u-2"))
        .apply(|up| {
            up.set_if_not_exists(&f.nickname, "other")
                .set_from(&f.email, f.tags.at(0))
                .delete(&f.roles, BTreeSet::from(["writer".to_string()]))
                .set(f.tags.at(1), "B")
                .add(&f.score, 0.5)
        })
        .return_new()
        .await
        .unwrap();
    assert_eq!(again.nickname.as_deref(), Some("nick"));
    assert_eq!(again.email, "a");
    assert_eq!(
        again.roles,
        BTreeSet::from(["owner".into(), "reader".into()])
    );
    assert_eq!(again.tags, ["a", "B", "c"]);
    assert_eq!(again.score, 100.0);

    // UPDATED_NEW returns only what changed.
    let changed = repo
        .update(User::key("u-2"))
        .set(&f.age, 1)
        .return_updated()
        .await
        .unwrap();
    assert_eq!(changed.keys().collect::<Vec<_>>(), ["age"]);
}

#[tokio::test]
async fn reserved_word_attributes_update_and_filter() {
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "reserved")]
    struct Reserved {
        #[dynamo(partition_key)]
        name: String,
        status: String,
        size: u32,
        date: String,
        data: String,
        count: u32,
    }
    let repo = fresh_repository::<Reserved>().await;
    let r = Reserved {
        name: "n".into(),
        status: "new".into(),
        size: 1,
        date: "2026-01-01".into(),
        data: "d".into(),
        count: 0,
    };
    repo.put(&r).await.unwrap();
    let f = Reserved::fields();
    let out = repo
        .update(Reserved::key("n"))
        .apply(|u| {
            u.set(&f.status, "old")
                .increment(&f.count, 1)
                .set(&f.data, ":v0 #n0) OR (1=1")
        })
        .condition(f.size.eq(1) & f.date.begins_with("2026"))
        .return_new()
        .await
        .unwrap();
    assert_eq!(out.status, "old");
    assert_eq!(out.count, 1);
    assert_eq!(
        out.data, ":v0 #n0) OR (1=1",
        "values never change the shape of an expression"
    );
    let found = repo
        .scan()
        .filter(f.data.eq(":v0 #n0) OR (1=1"))
        .all()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let none = repo
        .scan()
        .filter(f.status.eq("x) OR (attribute_exists(name)"))
        .all()
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn overlapping_update_paths_are_refused_before_sending() {
    let f = User::fields();
    let err = Update::<User>::new()
        .append(&f.tags, ["c".to_string()])
        .prepend(&f.tags, ["a".to_string()])
        .render(&mut Default::default())
        .unwrap_err();
    assert_eq!(err.kind, ValidationErrorKind::OverlappingPaths);
    let err = Update::<User>::new()
        .set(&f.address, Address::default())
        .set(&f.address.city, "x")
        .render(&mut Default::default())
        .unwrap_err();
    assert!(
        err.message.contains("`address` and `address.city`"),
        "{}",
        err.message
    );
    // Sibling map entries do not overlap.
    Update::<User>::new()
        .increment(f.counters.key("a"), 1)
        .increment(f.counters.key("b"), 1)
        .render(&mut Default::default())
        .unwrap();
}

#[test]
fn key_attributes_cannot_be_updated() {
    let f = User::fields();
    let err = Update::<User>::new()
        .set(f.id, "x")
        .render(&mut Default::default())
        .unwrap_err();
    assert_eq!(err.kind, ValidationErrorKind::KeyUpdate);
    assert_eq!(err.attribute.as_deref(), Some("id"));
}

#[tokio::test]
async fn update_item_offers_the_common_verbs_directly() {
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "verbs")]
    struct Counter {
        #[dynamo(partition_key)]
        id: String,
        hits: u64,
        misses: i64,
        tags: Vec<String>,
        labels: std::collections::BTreeSet<String>,
        note: Option<String>,
        first_seen: Option<String>,
    }
    let repo = fresh_repository::<Counter>().await;
    let f = Counter::fields();
    let out = repo
        .update(Counter::key("c"))
        .increment(&f.hits, 5u64)
        .decrement(&f.misses, 2)
        .append(&f.tags, ["b".to_string()])
        .prepend(&f.tags, ["a".to_string()])
        .add(
            &f.labels,
            ["x".to_string()]
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>(),
        )
        .set_if_not_exists(&f.first_seen, "monday".to_string())
        .set(&f.note, "n")
        .return_new()
        .await;
    // append and prepend on one list overlap: refused before sending.
    let err = out.unwrap_err();
    assert!(err.is_validation(), "{err:?}");
    let out = repo
        .update(Counter::key("c"))
        .increment(&f.hits, 5u64)
        .decrement(&f.misses, 2)
        .append(&f.tags, ["b".to_string()])
        .add(
            &f.labels,
            ["x".to_string(), "y".to_string()]
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>(),
        )
        .set_if_not_exists(&f.first_seen, "monday".to_string())
        .set(&f.note, "n")
        .return_new()
        .await
        .unwrap();
    assert_eq!((out.hits, out.misses), (5, -2));
    assert_eq!(out.tags, ["b"]);
    assert_eq!(out.first_seen.as_deref(), Some("monday"));
    let out = repo
        .update(Counter::key("c"))
        .increment(&f.hits, 1u64)
        .prepend(&f.tags, ["a".to_string()])
        .delete_elements(
            &f.labels,
            ["x".to_string()]
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>(),
        )
        .set_if_not_exists(&f.first_seen, "tuesday".to_string())
        .remove(&f.note)
        .return_new()
        .await
        .unwrap();
    assert_eq!(out.hits, 6);
    assert_eq!(out.tags, ["a", "b"]);
    assert_eq!(out.labels.into_iter().collect::<Vec<_>>(), ["y"]);
    assert_eq!(
        out.first_seen.as_deref(),
        Some("monday"),
        "set only when absent"
    );
    assert_eq!(out.note, None);
}
