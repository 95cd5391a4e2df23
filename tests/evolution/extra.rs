//! Two versions of a service share a table: version B added fields, version
//! A (deployed beside it) does not know them. With `#[dynamo(extra)]`, A's
//! read-modify-write keeps what B wrote, through every write path.

use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::{Entity, Item, Repository};
use dynamo_repo_testkit::TestTables;

/// Version B: knows `email` and `tags`.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "profiles")]
struct ProfileB {
    #[dynamo(partition_key)]
    id: String,
    name: String,
    visits: u64,
    email: Option<String>,
    tags: Vec<String>,
    #[dynamo(version)]
    version: u64,
}

/// Version A, which keeps what it does not know.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "profiles")]
struct ProfileA {
    #[dynamo(partition_key)]
    id: String,
    name: String,
    visits: u64,
    #[dynamo(version)]
    version: u64,
    #[dynamo(extra)]
    extra: Item,
}

/// Version A without `extra`: the default, which drops what it does not know.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "profiles")]
struct ProfileOld {
    #[dynamo(partition_key)]
    id: String,
    name: String,
    visits: u64,
    #[dynamo(version)]
    version: u64,
}

fn profile(id: &str) -> ProfileB {
    ProfileB {
        id: id.into(),
        name: format!("name of {id}"),
        visits: 1,
        email: Some(format!("{id}@example.com")),
        tags: vec!["new".into(), format!("tag-{id}")],
        version: 0,
    }
}

/// A table written by version B, and the repositories of both versions on it.
async fn written_by_b(
    tables: &TestTables,
    ids: &[&str],
) -> (Repository<ProfileB>, Repository<ProfileA>, Vec<ProfileB>) {
    let b = tables.create::<ProfileB>().await.unwrap();
    let a = tables
        .client()
        .repository::<ProfileA>()
        .with_table_name(b.table_name());
    let mut written = Vec::new();
    for id in ids {
        let mut p = profile(id);
        b.save(&mut p).await.unwrap();
        written.push(p);
    }
    (b, a, written)
}

fn sorted_names(extra: &Item) -> Vec<&str> {
    let mut names: Vec<&str> = extra.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

#[tokio::test]
async fn get_and_save_of_an_old_version_keep_what_a_newer_one_wrote() {
    let tables = TestTables::new().unwrap();
    let (b, a, written) = written_by_b(&tables, &["p-1"]).await;

    let mut old = a.get(ProfileA::key("p-1")).await.unwrap().unwrap();
    // Only the undeclared attributes: declared ones (key and version
    // included) are fields.
    assert_eq!(sorted_names(&old.extra), ["email", "tags"]);
    assert_eq!(
        old.extra["email"],
        AttributeValue::S("p-1@example.com".into())
    );
    old.visits += 10;
    a.save(&mut old).await.unwrap();
    assert_eq!(old.version, 2, "save refreshed the version");
    assert_eq!(
        sorted_names(&old.extra),
        ["email", "tags"],
        "save refreshed the extra attributes from the stored item"
    );

    let new = b.get(ProfileB::key("p-1")).await.unwrap().unwrap();
    assert_eq!(
        new,
        ProfileB {
            visits: 11,
            version: 2,
            ..written[0].clone()
        },
        "B's fields are intact and A's change is there"
    );

    // An update returning the new item fills it too, and a scan.
    let f = ProfileA::fields();
    let updated: ProfileA = a
        .update(ProfileA::key("p-1"))
        .set(f.name, "renamed")
        .return_new()
        .await
        .unwrap();
    assert_eq!(updated.extra, old.extra);
    let scanned = a.scan().all().await.unwrap();
    assert_eq!(scanned.len(), 1);
    assert_eq!(scanned[0].extra, old.extra);
    a.put(&scanned[0]).await.unwrap();
    let new = b.get(ProfileB::key("p-1")).await.unwrap().unwrap();
    assert_eq!(
        (new.name.as_str(), new.email),
        ("renamed", written[0].email.clone())
    );
    assert_eq!(new.tags, written[0].tags);
}

#[tokio::test]
async fn without_extra_an_old_version_drops_what_it_does_not_know() {
    // The documented default: a put writes the whole item as the struct
    // holds it, so attributes it does not declare are gone.
    let tables = TestTables::new().unwrap();
    let (b, _, _) = written_by_b(&tables, &["p-1"]).await;
    let old_repo = tables
        .client()
        .repository::<ProfileOld>()
        .with_table_name(b.table_name());
    let mut old = old_repo.get(ProfileOld::key("p-1")).await.unwrap().unwrap();
    old.visits += 1;
    old_repo.save(&mut old).await.unwrap();
    // B's required `tags` is gone: B cannot even read its item back.
    let err = b.get(ProfileB::key("p-1")).await.unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    assert!(err.to_string().contains("attribute `tags`"), "{err}");
}

#[tokio::test]
async fn a_unit_of_work_of_an_old_version_keeps_what_a_newer_one_wrote() {
    let tables = TestTables::new().unwrap();
    let (b, a, written) = written_by_b(&tables, &["p-1", "p-2"]).await;

    // Read through a TransactGet and a get, write both in one transaction.
    let mut tx = tables.client().transact_get();
    tx.with_repository(&a);
    let slot = tx.get(ProfileA::key("p-1"));
    let mut results = tx.send().await.unwrap();
    let mut first: ProfileA = results.take(slot).unwrap().unwrap();
    assert_eq!(sorted_names(&first.extra), ["email", "tags"]);
    let mut second = a.get(ProfileA::key("p-2")).await.unwrap().unwrap();
    first.name = "one".into();
    second.visits = 7;
    let mut uow = tables.client().unit_of_work();
    uow.with_repository(&a).put(&first).put(&second);
    uow.commit().await.unwrap();

    let one = b.get(ProfileB::key("p-1")).await.unwrap().unwrap();
    let two = b.get(ProfileB::key("p-2")).await.unwrap().unwrap();
    assert_eq!(
        one,
        ProfileB {
            name: "one".into(),
            version: 2,
            ..written[0].clone()
        }
    );
    assert_eq!(
        two,
        ProfileB {
            visits: 7,
            version: 2,
            ..written[1].clone()
        }
    );
}

#[tokio::test]
async fn a_batch_put_of_an_old_version_keeps_what_a_newer_one_wrote() {
    let tables = TestTables::new().unwrap();
    let ids: Vec<String> = (0..30).map(|i| format!("p-{i}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let (b, a, written) = written_by_b(&tables, &id_refs).await;

    let mut old = a.scan().all().await.unwrap();
    assert_eq!(old.len(), 30);
    for p in &mut old {
        assert_eq!(sorted_names(&p.extra), ["email", "tags"]);
        p.visits += 100;
    }
    a.batch_put(&old).skip_version_check().await.unwrap();

    let keys = ids.iter().map(|id| ProfileB::key(id.as_str()));
    let mut read = b.batch_get(keys).await.unwrap().items;
    read.sort_by(|x, y| x.id.cmp(&y.id));
    let mut expected: Vec<ProfileB> = written
        .into_iter()
        .map(|p| ProfileB { visits: 101, ..p })
        .collect();
    expected.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(read, expected);
}

/// Version B of a single-table entity, with a field A does not know.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "notes",
    entity = "note",
    pk = "USER#{user}",
    sk = "NOTE#{id}",
    gsi1(name = "gsi1", pk = "TAG#{tag}", sk = "NOTE#{id}")
)]
struct NoteB {
    user: String,
    id: String,
    tag: String,
    title: Option<String>,
    color: String,
}

/// Version A: the same keys, no `color`.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "notes",
    entity = "note",
    pk = "USER#{user}",
    sk = "NOTE#{id}",
    gsi1(name = "gsi1", pk = "TAG#{tag}", sk = "NOTE#{id}")
)]
struct NoteA {
    user: String,
    id: String,
    tag: String,
    title: Option<String>,
    #[dynamo(extra)]
    extra: Item,
}

#[tokio::test]
async fn extra_never_holds_derived_keys_or_the_type_and_declared_fields_win() {
    let tables = TestTables::new().unwrap();
    let b = tables.create::<NoteB>().await.unwrap();
    let a = tables
        .client()
        .repository::<NoteA>()
        .with_table_name(b.table_name());
    let note = NoteB {
        user: "u-1".into(),
        id: "n-1".into(),
        tag: "red".into(),
        title: Some("hello".into()),
        color: "#f00".into(),
    };
    b.put(&note).await.unwrap();

    // A query fills it with `color` only: not PK, SK, GSI1PK, GSI1SK or _type.
    let mut read = a.query(NoteA::pk("u-1")).all().await.unwrap();
    assert_eq!(read.len(), 1);
    let mut old = read.remove(0);
    assert_eq!(sorted_names(&old.extra), ["color"]);

    // What the entity writes itself wins over the same name in `extra`: a
    // declared field (even when it is absent), the key attributes and the
    // entity type.
    old.title = None;
    for name in ["title", "PK", "SK", "GSI1PK", "_type", "tag"] {
        old.extra
            .insert(name.into(), AttributeValue::S("forged".into()));
    }
    a.put(&old).await.unwrap();
    let key = NoteB::key("u-1", "n-1");
    let raw = tables
        .client()
        .sdk()
        .get_item()
        .table_name(b.table_name())
        .set_key(Some(key.as_item().clone()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert!(!raw.contains_key("title"), "the absent declared field wins");
    assert_eq!(raw["PK"], AttributeValue::S("USER#u-1".into()));
    assert_eq!(raw["GSI1PK"], AttributeValue::S("TAG#red".into()));
    assert_eq!(raw["_type"], AttributeValue::S("note".into()));
    assert_eq!(raw["tag"], AttributeValue::S("red".into()));
    let new = b.get(key).await.unwrap().unwrap();
    assert_eq!(
        new,
        NoteB {
            title: None,
            ..note
        }
    );
}
