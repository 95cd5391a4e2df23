//! Unique constraints (`#[dynamo(unique)]`, issue 14): marker items kept in
//! the same transaction as every write, checked against the owners they
//! name, under a 16-task race, through changes, deletes, units of work and
//! reads that must never see a marker.

use dynamo_repo::error::ValidationErrorKind;
use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::unit_of_work::CancellationCode;
use dynamo_repo::{Collection, Entity, Error, Item, Repository};
use dynamo_repo_tests::fresh_repository;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "uq_users")]
pub struct User {
    #[dynamo(partition_key)]
    pub id: String,
    #[dynamo(unique)]
    pub email: String,
    #[dynamo(unique, rename = "nick")]
    pub handle: Option<String>,
    pub name: String,
}

fn user(id: &str, email: &str) -> User {
    User {
        id: id.into(),
        email: email.into(),
        handle: None,
        name: format!("name of {id}"),
    }
}

/// A single-table entity with a version, beside another type and a collection.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "uq_app",
    entity = "member",
    pk = "ORG#{org}",
    sk = "MEMBER#{id}"
)]
pub struct Member {
    pub org: String,
    pub id: String,
    #[dynamo(unique)]
    pub email: String,
    #[dynamo(version)]
    pub version: u64,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "uq_app", entity = "org", pk = "ORG#{org}", sk = "ORG")]
pub struct Org {
    pub org: String,
    pub name: String,
}

#[derive(Collection, Debug)]
pub enum OrgItem {
    Org(Org),
    Member(Member),
}

/// The marker partition key the module documents, built independently.
fn marker_pk(entity: &str, attribute: &str, value: &str) -> String {
    let esc = |s: &str| s.replace('%', "%25").replace('#', "%23");
    format!("_unique#{}#{}#{}", esc(entity), esc(attribute), esc(value))
}

/// Every item of the table, read raw through the SDK (markers included).
async fn raw_items(client: &dynamo_repo::Client, table: &str) -> Vec<Item> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .sdk()
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        out.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key.filter(|k| !k.is_empty());
        if start.is_none() {
            return out;
        }
    }
}

fn s(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Markers and owners agree: every unique value of every user has exactly
/// its marker, owned by that user, and every marker belongs to a user that
/// holds its value. Returns the number of markers.
async fn check_users_consistent(users: &Repository<User>) -> usize {
    let items = raw_items(users.client(), users.table_name()).await;
    let mut markers: BTreeMap<String, Item> = BTreeMap::new();
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for item in &items {
        let pk = s(item, "id").unwrap();
        if pk.starts_with("_unique#") {
            assert!(markers.insert(pk, item.clone()).is_none());
            continue;
        }
        let email = s(item, "email").unwrap();
        let previous = expected.insert(marker_pk("User", "email", &email), pk.clone());
        assert!(previous.is_none(), "two users hold one email");
        if let Some(nick) = s(item, "nick") {
            let previous = expected.insert(marker_pk("User", "nick", &nick), pk.clone());
            assert!(previous.is_none(), "two users hold one handle");
        }
    }
    let found: BTreeSet<&String> = markers.keys().collect();
    let wanted: BTreeSet<&String> = expected.keys().collect();
    assert_eq!(found, wanted, "markers differ from the values users hold");
    for (pk, owner) in &expected {
        let marker = &markers[pk];
        let Some(AttributeValue::M(key)) = marker.get("_unique_owner") else {
            panic!("marker without an owner");
        };
        assert_eq!(s(key, "id").as_deref(), Some(owner.as_str()));
        assert!(s(marker, "_unique_of").unwrap().starts_with("User."));
    }
    markers.len()
}

#[tokio::test]
async fn sixteen_tasks_racing_for_fifty_emails_leave_one_owner_each() {
    let users = fresh_repository::<User>().await;
    let mut tasks = Vec::new();
    for t in 0..16 {
        let users = users.clone();
        tasks.push(tokio::spawn(async move {
            let mut won = Vec::new();
            for i in 0..50 {
                // Start at a different email per task, so the races spread.
                let e = (i + t * 3) % 50;
                let candidate = user(&format!("t{t}-e{e}"), &format!("user{e}@example.com"));
                match users.put(&candidate).await {
                    Ok(()) => won.push(e),
                    Err(Error::UniqueTaken(taken)) => {
                        assert_eq!((taken.entity, taken.field), ("User", "email"));
                    }
                    Err(other) => panic!("task {t}, email {e}: {other:?}"),
                }
            }
            won
        }));
    }
    let mut owners = vec![0; 50];
    for task in tasks {
        for e in task.await.unwrap() {
            owners[e] += 1;
        }
    }
    assert_eq!(owners, vec![1; 50], "exactly one owner per email");
    let all = users.scan().all().await.unwrap();
    assert_eq!(all.len(), 50, "the scan holds the owners and no marker");
    let emails: BTreeSet<String> = all.iter().map(|u| u.email.clone()).collect();
    assert_eq!(emails.len(), 50);
    assert_eq!(check_users_consistent(&users).await, 50);

    // Then the owners race to move: 16 tasks each try to change the email of
    // every owner to one of 25 new emails; afterwards every value still has
    // exactly one owner and its marker, and the released ones are free.
    let mut tasks = Vec::new();
    for t in 0..16 {
        let users = users.clone();
        let all = all.clone();
        tasks.push(tokio::spawn(async move {
            for (i, owner) in all.iter().enumerate() {
                if i % 16 != t {
                    continue;
                }
                let mut moved = owner.clone();
                moved.email = format!("moved{}@example.com", (i + t) % 25);
                match users.put(&moved).await {
                    Ok(()) | Err(Error::UniqueTaken(_)) => {}
                    Err(other) => panic!("task {t}: {other:?}"),
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(check_users_consistent(&users).await, 50);
    let after = users.scan().all().await.unwrap();
    let moved = after
        .iter()
        .filter(|u| u.email.starts_with("moved"))
        .count();
    assert_eq!(moved, 25, "each of the 25 new emails found one owner");
}

#[tokio::test]
async fn changing_a_value_releases_the_old_one_and_deleting_releases_all() {
    let users = fresh_repository::<User>().await;
    let mut ada = user("ada", "a@example.com");
    users.save(&mut ada).await.unwrap();
    ada.email = "b@example.com".into();
    ada.handle = Some("countess".into());
    users.save(&mut ada).await.unwrap();
    assert_eq!(check_users_consistent(&users).await, 2);

    // The old email is free, the new one and the handle are taken.
    users.put(&user("grace", "a@example.com")).await.unwrap();
    let err = users.put(&user("alan", "b@example.com")).await.unwrap_err();
    assert_eq!(err.as_unique_taken().map(|t| t.field), Some("email"));
    let mut alan = user("alan", "c@example.com");
    alan.handle = Some("countess".into());
    let err = users.put(&alan).await.unwrap_err();
    let taken = err.as_unique_taken().expect("typed");
    assert_eq!((taken.field, taken.attribute), ("handle", "nick"));
    assert_eq!(
        users.get(User::key("alan")).await.unwrap(),
        None,
        "nothing written"
    );

    // Clearing an optional value releases it.
    ada.handle = None;
    users.put(&ada).await.unwrap();
    users.put(&alan).await.unwrap();
    assert_eq!(check_users_consistent(&users).await, 4);

    // Deleting releases every value of the item; `return_old` gives it back.
    let old = users.delete(User::key("alan")).return_old().await.unwrap();
    assert_eq!(old.map(|u| u.email), Some("c@example.com".to_owned()));
    users.delete_item(&ada).await.unwrap();
    assert_eq!(check_users_consistent(&users).await, 1);
    let mut again = user("zoe", "c@example.com");
    again.handle = Some("countess".into());
    users.put(&again).await.unwrap();
    users.put(&user("yan", "b@example.com")).await.unwrap();
    // Deleting what is not there is fine and releases nothing.
    users.delete(User::key("nobody")).await.unwrap();
    assert_eq!(check_users_consistent(&users).await, 4);
}

#[tokio::test]
async fn a_taken_value_is_a_typed_error_that_shows_no_value() {
    let users = fresh_repository::<User>().await;
    users
        .put(&user("u1", "secret.person@example.com"))
        .await
        .unwrap();
    let err = users
        .put(&user("u2", "secret.person@example.com"))
        .await
        .unwrap_err();
    assert!(err.is_unique_taken(), "{err:?}");
    let taken = err.as_unique_taken().unwrap();
    assert_eq!((taken.entity, taken.field), ("User", "email"));
    assert_eq!(taken.table, users.table_name());
    let claim = taken
        .canceled
        .actions
        .iter()
        .find(|a| a.reason == CancellationCode::UniqueTaken { field: "email" })
        .expect("the claim's reason");
    assert_eq!(claim.operation, "ClaimUnique");
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("email"), "{text}");
    }
    // The same item again is no conflict with itself.
    users
        .put(&user("u1", "secret.person@example.com"))
        .await
        .unwrap();
    assert_eq!(check_users_consistent(&users).await, 1);
}

#[tokio::test]
async fn own_conditions_and_versions_fail_as_they_would_alone() {
    let members = fresh_repository::<Member>().await;
    let mut m = Member {
        org: "acme".into(),
        id: "m1".into(),
        email: "m@acme.example".into(),
        version: 0,
    };
    members.save(&mut m).await.unwrap();
    assert_eq!(m.version, 1);
    let mut stale = m.clone();
    m.email = "m2@acme.example".into();
    members.save(&mut m).await.unwrap();
    assert_eq!(m.version, 2);
    stale.email = "m3@acme.example".into();
    let err = members.put(&stale).await.unwrap_err();
    assert!(err.is_version_conflict(), "{err:?}");
    let err = members.put(&m).if_not_exists().await.unwrap_err();
    assert!(err.is_condition_failed(), "{err:?}");
    // Nothing of the failed writes landed: m3 is free, m2 is m's.
    let other = Member {
        org: "acme".into(),
        id: "m9".into(),
        email: "m3@acme.example".into(),
        version: 0,
    };
    members.put(&other).await.unwrap();
    let mut taken = other.clone();
    taken.id = "m10".into();
    taken.email = "m2@acme.example".into();
    assert!(members.put(&taken).await.unwrap_err().is_unique_taken());
}

#[tokio::test]
async fn markers_never_surface_in_scans_queries_or_collections() {
    let members = fresh_repository::<Member>().await;
    let client = members.client().clone();
    let orgs = client
        .repository::<Org>()
        .with_table_name(members.table_name());
    for i in 0..7 {
        let m = Member {
            org: "acme".into(),
            id: format!("m{i}"),
            email: format!("m{i}@acme.example"),
            version: 0,
        };
        members.put(&m).await.unwrap();
    }
    let raw = raw_items(&client, members.table_name()).await;
    assert_eq!(raw.len(), 7 + 7, "the table holds the markers");

    assert_eq!(members.scan().all().await.unwrap().len(), 7);
    let page = members.scan().page_size(2).fill_page(7).await.unwrap();
    assert_eq!(page.items.len(), 7);
    let mut streamed = 0;
    let mut stream = members.scan().page_size(3).stream();
    while let Some(row) = futures::StreamExt::next(&mut stream).await {
        row.unwrap();
        streamed += 1;
    }
    assert_eq!(streamed, 7);
    assert_eq!(members.scan().segments(3).all().await.unwrap().len(), 7);
    let per_row = members.scan().per_row_errors().all().await.unwrap();
    assert_eq!(per_row.len(), 7);
    assert!(per_row.iter().all(|r| r.is_ok()));

    // With an org in the table, collections read both types and no marker.
    orgs.put(&Org {
        org: "acme".into(),
        name: "Acme".into(),
    })
    .await
    .unwrap();
    let rows = orgs.scan().collection::<OrgItem>().all().await.unwrap();
    assert_eq!(rows.len(), 8);
    assert!(rows
        .iter()
        .all(|r| matches!(r, OrgItem::Org(_) | OrgItem::Member(_))));
    let rows = orgs
        .query(Org::pk("acme"))
        .collection::<OrgItem>()
        .all()
        .await
        .unwrap();
    assert_eq!(rows.len(), 8);
}

#[tokio::test]
async fn updates_and_batches_that_cannot_keep_markers_are_refused_before_sending() {
    let users = fresh_repository::<User>().await;
    users.put(&user("u1", "a@example.com")).await.unwrap();
    let f = User::fields();
    let err = users
        .update(User::key("u1"))
        .set(&f.email, "b@example.com".to_owned())
        .await
        .unwrap_err();
    let v = err.as_validation().expect("validation");
    assert_eq!(v.kind, ValidationErrorKind::UniqueUnmaintained);
    assert_eq!(v.attribute.as_deref(), Some("email"));
    let err = users
        .update(User::key("u1"))
        .remove(&f.handle)
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::UniqueUnmaintained)
    );
    // Other fields update as usual.
    users
        .update(User::key("u1"))
        .set(&f.name, "Ada".to_owned())
        .await
        .unwrap();

    let err = users
        .batch_put([user("u2", "c@example.com")])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::UniqueUnmaintained)
    );
    let err = users
        .batch_delete([User::key("u1")])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::UniqueUnmaintained)
    );

    // Entity keys in the markers' range are refused, reads and writes alike.
    let err = users
        .put(&user("_unique#User#email#x", "x@example.com"))
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::ReservedKey)
    );
    let err = users.get(User::key("_unique#x")).await.unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::ReservedKey)
    );
    assert_eq!(check_users_consistent(&users).await, 1);
}

#[tokio::test]
async fn units_of_work_keep_markers_in_the_same_transaction() {
    let users = fresh_repository::<User>().await;
    let client = users.client().clone();
    let mut uow = client.unit_of_work();
    uow.with_repository(&users)
        .put(&user("u1", "a@example.com"))
        .put(&user("u2", "b@example.com"));
    assert_eq!(uow.len(), 4, "two puts and two claims");
    uow.commit().await.unwrap();
    assert_eq!(check_users_consistent(&users).await, 2);

    // A taken value cancels the whole unit, by name.
    let mut uow = client.unit_of_work();
    uow.with_repository(&users)
        .put(&user("u3", "c@example.com"))
        .put(&user("u4", "a@example.com"));
    let err = uow.commit().await.unwrap_err();
    assert_eq!(err.as_unique_taken().map(|t| t.field), Some("email"));
    assert_eq!(users.get(User::key("u3")).await.unwrap(), None);

    // A plain put may not change a value (the unit cannot know what to
    // release): the stored item must hold none or the same.
    let mut uow = client.unit_of_work();
    uow.with_repository(&users)
        .put(&user("u1", "z@example.com"));
    let err = uow.commit().await.unwrap_err();
    let canceled = err.as_transaction_canceled().expect("cancelled");
    assert_eq!(
        canceled.actions[0].reason,
        CancellationCode::ConditionalCheckFailed
    );

    // put_replacing changes it, releasing the old value.
    let stored = users.get(User::key("u1")).await.unwrap().unwrap();
    let mut uow = client.unit_of_work();
    uow.with_repository(&users)
        .put_replacing(&stored, &user("u1", "z@example.com"));
    uow.commit().await.unwrap();
    assert_eq!(check_users_consistent(&users).await, 2);

    // delete_item releases; a delete by key is refused before sending.
    let mut uow = client.unit_of_work();
    uow.with_repository(&users).delete(User::key("u2"));
    let err = uow.commit().await.unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::UniqueUnmaintained)
    );
    let u2 = users.get(User::key("u2")).await.unwrap().unwrap();
    let mut uow = client.unit_of_work();
    uow.with_repository(&users).delete_item(&u2);
    uow.commit().await.unwrap();
    assert_eq!(check_users_consistent(&users).await, 1);
    users.put(&user("u5", "b@example.com")).await.unwrap();
    users.put(&user("u6", "a@example.com")).await.unwrap();

    // Two claims of one value in one unit touch one item twice: refused.
    let mut uow = client.unit_of_work();
    uow.with_repository(&users)
        .put(&user("u7", "same@example.com"))
        .put(&user("u8", "same@example.com"));
    let err = uow.commit().await.unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::DuplicateItem)
    );
    assert_eq!(check_users_consistent(&users).await, 3);
}
