//! Versioned items upgraded on read: a table holding items of versions 1, 2
//! and 3 of `Person` reads back as the current struct through every read
//! path, each upgrade running once per item read; a version-4 item is
//! refused with a typed error; every write stores version 3.

use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::value::DecodeErrorKind;
use dynamo_repo::{Collection, DecodeError, Entity, Item, Repository};
use dynamo_repo_testkit::TestTables;
use std::collections::HashMap;
use std::sync::Mutex;

/// Version 3. Version 1 stored `name` ("first last") and `mail`; version 2
/// split the name; version 3 renamed `mail` to `email`.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "people",
    schema_version = 3,
    upgrade(from = 1, with = split_name),
    upgrade(from = 2, with = "rename_mail")
)]
struct Person {
    #[dynamo(partition_key)]
    org: String,
    #[dynamo(sort_key)]
    id: String,
    first_name: String,
    last_name: String,
    email: String,
    visits: u32,
}

/// How often each step ran, per item id: (step, id) -> calls.
static CALLS: Mutex<Option<HashMap<(u32, String), u32>>> = Mutex::new(None);

fn count(step: u32, item: &Item) {
    let id = match item.get("id") {
        Some(AttributeValue::S(id)) => id.clone(),
        _ => "<no id>".into(),
    };
    let mut calls = CALLS.lock().unwrap();
    *calls
        .get_or_insert_with(HashMap::new)
        .entry((step, id))
        .or_default() += 1;
}

fn calls(step: u32, id: &str) -> u32 {
    let calls = CALLS.lock().unwrap();
    calls
        .as_ref()
        .and_then(|c| c.get(&(step, id.to_owned())).copied())
        .unwrap_or(0)
}

fn split_name(mut item: Item) -> Result<Item, DecodeError> {
    count(1, &item);
    let name = match item.remove("name") {
        Some(AttributeValue::S(name)) => name,
        Some(other) => return Err(DecodeError::wrong_type("S", &other).in_attribute("name")),
        None => return Err(DecodeError::new(DecodeErrorKind::Missing).in_attribute("name")),
    };
    let (first, last) = name.split_once(' ').unwrap_or((&name, ""));
    item.insert("first_name".into(), AttributeValue::S(first.into()));
    item.insert("last_name".into(), AttributeValue::S(last.into()));
    Ok(item)
}

fn rename_mail(mut item: Item) -> Result<Item, DecodeError> {
    count(2, &item);
    match item.remove("mail") {
        Some(mail) => {
            item.insert("email".into(), mail);
            Ok(item)
        }
        None => Err(DecodeError::new(DecodeErrorKind::Missing).in_attribute("mail")),
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: u32) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// An item as version `version` of the code stored it (version 1: no
/// version attribute).
fn stored(org: &str, id: &str, version: u32) -> Item {
    let mut item: Item = [("org", s(org)), ("id", s(id)), ("visits", n(1))]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let mail = format!("{id}@example.com");
    match version {
        1 => {
            item.insert("name".into(), s(&format!("Ada {id}")));
            item.insert("mail".into(), s(&mail));
        }
        2 => {
            item.insert("first_name".into(), s("Ada"));
            item.insert("last_name".into(), s(id));
            item.insert("mail".into(), s(&mail));
            item.insert("_schema_version".into(), n(2));
        }
        _ => {
            item.insert("first_name".into(), s("Ada"));
            item.insert("last_name".into(), s(id));
            item.insert("email".into(), s(&mail));
            item.insert("_schema_version".into(), n(version));
        }
    }
    item
}

fn current(org: &str, id: &str) -> Person {
    Person {
        org: org.into(),
        id: id.into(),
        first_name: "Ada".into(),
        last_name: id.into(),
        email: format!("{id}@example.com"),
        visits: 1,
    }
}

async fn put_raw(repo: &Repository<Person>, item: Item) {
    repo.client()
        .sdk()
        .put_item()
        .table_name(repo.table_name())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

async fn get_raw(repo: &Repository<Person>, org: &str, id: &str) -> Item {
    repo.client()
        .sdk()
        .get_item()
        .table_name(repo.table_name())
        .key("org", s(org))
        .key("id", s(id))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap()
}

/// A table with one item of each version 1, 2 and 3 under `org`, ids
/// `{org}-v1`, `{org}-v2`, `{org}-v3`.
async fn three_versions(tables: &TestTables, org: &str) -> (Repository<Person>, [String; 3]) {
    let repo = tables.create::<Person>().await.unwrap();
    let ids = [1, 2, 3].map(|v| format!("{org}-v{v}"));
    for (v, id) in (1..=3).zip(&ids) {
        put_raw(&repo, stored(org, id, v)).await;
    }
    (repo, ids)
}

#[test]
fn the_schema_names_the_version_and_its_attribute() {
    let version = Person::SCHEMA.schema_version.unwrap();
    assert_eq!(
        (version.attribute, version.current, version.oldest),
        ("_schema_version", 3, 1)
    );
    assert_eq!(
        version.of(&Item::new()).unwrap(),
        1,
        "no attribute: version 1"
    );
}

#[tokio::test]
async fn items_of_every_version_read_back_as_the_current_struct_upgraded_once_each() {
    let tables = TestTables::new().unwrap();
    let (repo, [v1, v2, v3]) = three_versions(&tables, "query").await;

    let mut read = repo.query("query").all().await.unwrap();
    read.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        read,
        vec![
            current("query", &v1),
            current("query", &v2),
            current("query", &v3)
        ]
    );
    // One read of each item: the version-1 item went through both steps
    // once, the version-2 item through the second once, version 3 through none.
    assert_eq!((calls(1, &v1), calls(2, &v1)), (1, 1));
    assert_eq!((calls(1, &v2), calls(2, &v2)), (0, 1));
    assert_eq!((calls(1, &v3), calls(2, &v3)), (0, 0));
    // Reading is not writing: the stored items keep their versions.
    assert!(!get_raw(&repo, "query", &v1)
        .await
        .contains_key("_schema_version"));
}

#[tokio::test]
async fn every_read_path_upgrades() {
    let tables = TestTables::new().unwrap();
    let org = "paths";
    let (repo, [v1, v2, v3]) = three_versions(&tables, org).await;
    let expected = |id: &str| current(org, id);

    // get
    for id in [&v1, &v2, &v3] {
        let got = repo.get(Person::key(org, id.as_str())).await.unwrap();
        assert_eq!(got, Some(expected(id)));
    }
    // scan
    let mut scanned = repo.scan().all().await.unwrap();
    scanned.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(scanned, vec![expected(&v1), expected(&v2), expected(&v3)]);
    // batch_get
    let keys = [&v1, &v2, &v3].map(|id| Person::key(org, id.as_str()));
    let mut batch = repo.batch_get(keys).await.unwrap().items;
    batch.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(batch, vec![expected(&v1), expected(&v2), expected(&v3)]);
    // TransactGet
    let mut tx = tables.client().transact_get();
    tx.with_repository(&repo);
    let slot = tx.get(Person::key(org, v1.as_str()));
    let mut results = tx.send().await.unwrap();
    assert_eq!(results.take(slot).unwrap(), Some(expected(&v1)));
    // The stored item of a failed condition.
    let err = repo.put(&expected(&v2)).if_not_exists().await.unwrap_err();
    let Some(failed) = err.as_condition_failed() else {
        panic!("expected a failed condition: {err}")
    };
    assert_eq!(failed.existing::<Person>().unwrap().unwrap(), expected(&v2));
    // The old item a delete returns.
    let old: Option<Person> = repo
        .delete(Person::key(org, v1.as_str()))
        .return_old()
        .await
        .unwrap();
    assert_eq!(old, Some(expected(&v1)));

    // get, scan, batch_get, TransactGet and the delete read v1 five times;
    // get, scan, batch_get and the failed condition read v2 four times.
    assert_eq!((calls(1, &v1), calls(2, &v1)), (5, 5));
    assert_eq!((calls(1, &v2), calls(2, &v2)), (0, 4));
    assert_eq!((calls(1, &v3), calls(2, &v3)), (0, 0));
}

#[tokio::test]
async fn a_newer_item_is_refused_naming_the_entity_and_both_versions() {
    let tables = TestTables::new().unwrap();
    let repo = tables.create::<Person>().await.unwrap();
    put_raw(&repo, stored("newer", "secret-id", 4)).await;

    let err = repo
        .get(Person::key("newer", "secret-id"))
        .await
        .unwrap_err();
    let decode = err.as_decode().expect("a decode error");
    assert_eq!(
        decode.kind(),
        &DecodeErrorKind::SchemaVersion {
            found: 4,
            oldest: 1,
            current: 3
        }
    );
    assert_eq!(decode.entity(), Some("Person"));
    assert_eq!(decode.path(), "_schema_version");
    let text = err.to_string();
    assert!(
        text.contains("Person")
            && text.contains("attribute `_schema_version`")
            && text.contains("schema version 4, newer than version 3"),
        "{text}"
    );
    // No stored value in the message: not the key, not the mail.
    assert!(
        !text.contains("secret-id") && !text.contains("example.com"),
        "{text}"
    );
    assert!(!format!("{err:?}").contains("secret-id"));
    // The same through a query; the item is left as it is.
    assert!(repo.query("newer").all().await.unwrap_err().is_decode());
    assert_eq!(
        get_raw(&repo, "newer", "secret-id").await["_schema_version"],
        n(4)
    );
}

#[tokio::test]
async fn an_upgrade_error_is_the_reads_decode_error() {
    let tables = TestTables::new().unwrap();
    let repo = tables.create::<Person>().await.unwrap();
    let mut broken = stored("broken", "b-1", 1);
    broken.remove("name");
    put_raw(&repo, broken).await;
    let err = repo.get(Person::key("broken", "b-1")).await.unwrap_err();
    let decode = err.as_decode().expect("a decode error");
    assert_eq!(decode.kind(), &DecodeErrorKind::Missing);
    assert_eq!(
        (decode.entity(), decode.path().as_str()),
        (Some("Person"), "name")
    );
}

#[tokio::test]
async fn every_write_path_stores_the_current_version() {
    let tables = TestTables::new().unwrap();
    let org = "writes";
    let (repo, [v1, v2, _]) = three_versions(&tables, org).await;

    // save of an upgraded item rewrites it at version 3, in the new shape.
    let mut p = repo
        .get(Person::key(org, v1.as_str()))
        .await
        .unwrap()
        .unwrap();
    p.visits += 1;
    repo.save(&mut p).await.unwrap();
    let raw = get_raw(&repo, org, &v1).await;
    assert_eq!(raw["_schema_version"], n(3));
    assert!(
        !raw.contains_key("name") && !raw.contains_key("mail"),
        "{:?}",
        raw.keys()
    );
    assert_eq!(raw["email"], s(&format!("{v1}@example.com")));
    // Read again: no upgrade runs any more.
    let before = (calls(1, &v1), calls(2, &v1));
    repo.get(Person::key(org, v1.as_str())).await.unwrap();
    assert_eq!((calls(1, &v1), calls(2, &v1)), before);

    // put, a unit of work and batch_put.
    repo.put(&current(org, "put")).await.unwrap();
    let mut uow = tables.client().unit_of_work();
    uow.with_repository(&repo)
        .put(&current(org, "uow"))
        .put(&current(org, &v2));
    uow.commit().await.unwrap();
    let batch: Vec<Person> = (0..30)
        .map(|i| current(org, &format!("batch-{i}")))
        .collect();
    repo.batch_put(&batch).await.unwrap();
    let mut ids = vec!["put".to_owned(), "uow".to_owned(), v2.clone()];
    ids.extend((0..30).map(|i| format!("batch-{i}")));
    for id in &ids {
        let raw = get_raw(&repo, org, id).await;
        assert_eq!(raw["_schema_version"], n(3), "{id}");
        assert!(!raw.contains_key("mail"), "{id}");
    }

    // An update leaves the version as stored (documented): the rest of the
    // item keeps the shape of its version.
    put_raw(&repo, stored(org, "upd", 1)).await;
    let f = Person::fields();
    repo.update(Person::key(org, "upd"))
        .increment(f.visits, 1)
        .await
        .unwrap();
    let raw = get_raw(&repo, org, "upd").await;
    assert!(!raw.contains_key("_schema_version"));
    assert_eq!(raw["visits"], n(2));
    let read = repo.get(Person::key(org, "upd")).await.unwrap().unwrap();
    assert_eq!(read.visits, 2);
    assert_eq!(read.first_name, "Ada");
}

/// A single-table entity with a schema version, read through a collection.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "orgs",
    entity = "member",
    pk = "ORG#{org}",
    sk = "MEMBER#{user}",
    schema_version = 2,
    schema_version_attribute = "sv",
    upgrade(from = 1, with = default_role)
)]
struct Member {
    org: String,
    user: String,
    role: String,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "orgs", entity = "org", pk = "ORG#{org}", sk = "ORG")]
struct Org {
    org: String,
    title: String,
}

#[derive(Collection, Debug, Clone, PartialEq)]
enum OrgItem {
    Org(Org),
    Member(Member),
}

fn default_role(mut item: Item) -> Result<Item, DecodeError> {
    item.entry("role".into()).or_insert_with(|| s("member"));
    Ok(item)
}

#[tokio::test]
async fn collections_upgrade_and_a_renamed_attribute_is_used() {
    let tables = TestTables::new().unwrap();
    let orgs = tables.create::<Org>().await.unwrap();
    let members = tables
        .client()
        .repository::<Member>()
        .with_table_name(orgs.table_name());
    orgs.put(&Org {
        org: "o".into(),
        title: "O".into(),
    })
    .await
    .unwrap();
    // A version-1 member, as stored before the entity had a version.
    let old: Item = [
        ("PK", s("ORG#o")),
        ("SK", s("MEMBER#ann")),
        ("_type", s("member")),
        ("org", s("o")),
        ("user", s("ann")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    orgs.client()
        .sdk()
        .put_item()
        .table_name(orgs.table_name())
        .set_item(Some(old))
        .send()
        .await
        .unwrap();
    members
        .put(&Member {
            org: "o".into(),
            user: "bob".into(),
            role: "admin".into(),
        })
        .await
        .unwrap();

    let items: Vec<OrgItem> = orgs
        .query(Org::pk("o"))
        .collection::<OrgItem>()
        .all()
        .await
        .unwrap();
    let roles: Vec<(String, String)> = items
        .iter()
        .filter_map(|i| match i {
            OrgItem::Member(m) => Some((m.user.clone(), m.role.clone())),
            OrgItem::Org(_) => None,
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("ann".into(), "member".into()),
            ("bob".into(), "admin".into())
        ]
    );
    let raw = members
        .client()
        .sdk()
        .get_item()
        .table_name(orgs.table_name())
        .key("PK", s("ORG#o"))
        .key("SK", s("MEMBER#bob"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(raw["sv"], n(2));
    assert!(!raw.contains_key("_schema_version"));
}
