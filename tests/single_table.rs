//! Single-table design against DynamoDB Local: three entity types in one
//! table with overloaded global indexes, key templates, escaping, entity
//! types, collections and prefix queries.

use dynamo_repo::error::ValidationErrorKind;
use dynamo_repo::value::DecodeErrorKind;
use dynamo_repo::{Attribute, Collection, Entity, Error, Key, Repository};
use dynamo_repo_tests::fresh_repository;
use futures::TryStreamExt;

/// One row per org: `PK = ORG#<org_id>`, `SK = ORG`; every org under
/// `GSI1PK = ORGS`, sorted by name.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "app",
    entity = "org",
    pk = "ORG#{org_id}",
    sk = "ORG",
    gsi1(name = "gsi1", pk = "ORGS", sk = "ORG#{name}")
)]
pub struct Org {
    pub org_id: String,
    pub name: String,
    pub plan: String,
}

/// Users in their org's partition; `gsi1` holds each user with the projects
/// they own, `gsi2` finds a user by email.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "app",
    entity = "user",
    pk = "ORG#{org_id}",
    sk = "USER#{user_id}",
    gsi1(name = "gsi1", pk = "USER#{user_id}", sk = "USER"),
    gsi2(name = "gsi2", pk = "EMAIL#{email}", sk = "USER")
)]
pub struct User {
    pub org_id: String,
    pub user_id: String,
    pub email: String,
    pub name: String,
}

/// Projects in their org's partition, grouped by team.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "app",
    entity = "project",
    pk = "ORG#{org_id}",
    sk = "PROJECT#{team}#{project_id}",
    gsi1(name = "gsi1", pk = "USER#{owner_id}", sk = "PROJECT#{project_id}")
)]
pub struct Project {
    pub org_id: String,
    pub team: String,
    pub project_id: String,
    pub owner_id: String,
    pub budget: u64,
}

/// Everything in an org's partition.
#[derive(Collection, Debug, Clone, PartialEq)]
pub enum OrgItem {
    Org(Org),
    User(User),
    Project(Project),
}

/// A user and the projects they own (the `gsi1` partition `USER#<id>`).
#[derive(Collection, Debug, Clone, PartialEq)]
pub enum UserWork {
    User(User),
    Project(Project),
}

/// A collection that does not know projects.
#[derive(Collection, Debug, Clone, PartialEq)]
pub enum PeopleOnly {
    Org(Org),
    User(User),
}

#[derive(Attribute, Debug, Clone, Copy, PartialEq)]
#[dynamo(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Open,
    Paid,
}

/// Fields kept only inside the key (`key_only`), including an enum and a
/// number, read back by parsing the key.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "app",
    entity = "invoice",
    pk = "ORG#{org_id}",
    sk = "INVOICE#{status}#{year}#{number}"
)]
pub struct Invoice {
    #[dynamo(key_only)]
    pub org_id: String,
    #[dynamo(key_only)]
    pub status: InvoiceStatus,
    #[dynamo(key_only)]
    pub year: u16,
    #[dynamo(key_only)]
    pub number: String,
    pub total: u64,
}

/// An ordinary key field plus an entity type: still typed in its items.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "audit", entity = "audit", type_attribute = "kind")]
pub struct Audit {
    #[dynamo(partition_key)]
    pub id: String,
    pub what: String,
}

struct Repos {
    orgs: Repository<Org>,
    users: Repository<User>,
    projects: Repository<Project>,
}

/// One fresh table (created from `User`, which declares both indexes) and a
/// repository of each type on it.
async fn repos() -> Repos {
    let users = fresh_repository::<User>().await;
    let table = users.table_name().to_owned();
    let client = users.client().clone();
    Repos {
        orgs: client.repository::<Org>().with_table_name(&table),
        projects: client.repository::<Project>().with_table_name(&table),
        users,
    }
}

fn org(id: &str, name: &str) -> Org {
    Org {
        org_id: id.into(),
        name: name.into(),
        plan: "pro".into(),
    }
}

fn user(org: &str, id: &str) -> User {
    User {
        org_id: org.into(),
        user_id: id.into(),
        email: format!("{id}@{org}.example"),
        name: format!("User {id}"),
    }
}

fn project(org: &str, team: &str, id: &str, owner: &str) -> Project {
    Project {
        org_id: org.into(),
        team: team.into(),
        project_id: id.into(),
        owner_id: owner.into(),
        budget: 100,
    }
}

/// acme: the org, users u1 and u2, projects p1 (core, u1), p2 (web, u1), p3 (core, u2);
/// globex: its org and user u9.
async fn seeded() -> Repos {
    let r = repos().await;
    r.orgs.put(&org("acme", "Acme")).await.unwrap();
    r.orgs.put(&org("globex", "Globex")).await.unwrap();
    for u in [user("acme", "u1"), user("acme", "u2"), user("globex", "u9")] {
        r.users.put(&u).await.unwrap();
    }
    for p in [
        project("acme", "core", "p1", "u1"),
        project("acme", "web", "p2", "u1"),
        project("acme", "core", "p3", "u2"),
    ] {
        r.projects.put(&p).await.unwrap();
    }
    r
}

async fn raw_item<T: Entity>(repo: &Repository<T>, key: Key<T>) -> dynamo_repo::Item {
    repo.client()
        .sdk()
        .get_item()
        .table_name(repo.table_name())
        .set_key(Some(key.into_item()))
        .send()
        .await
        .unwrap()
        .item
        .expect("item exists")
}

fn s(item: &dynamo_repo::Item, name: &str) -> String {
    item.get(name)
        .unwrap_or_else(|| panic!("attribute {name} missing from {item:?}"))
        .as_s()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn each_entity_type_is_written_and_read_back_whole() {
    let r = seeded().await;
    assert_eq!(
        r.orgs.get(Org::key("acme")).await.unwrap(),
        Some(org("acme", "Acme"))
    );
    assert_eq!(
        r.users.get(User::key("acme", "u2")).await.unwrap(),
        Some(user("acme", "u2"))
    );
    assert_eq!(
        r.projects
            .get(Project::key("acme", "web", "p2"))
            .await
            .unwrap(),
        Some(project("acme", "web", "p2", "u1"))
    );
    assert_eq!(
        r.users.get(User::key("acme", "nobody")).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn items_hold_template_keys_the_entity_type_and_every_field() {
    let r = seeded().await;
    let item = raw_item(&r.projects, Project::key("acme", "core", "p3")).await;
    assert_eq!(s(&item, "PK"), "ORG#acme");
    assert_eq!(s(&item, "SK"), "PROJECT#core#p3");
    assert_eq!(s(&item, "GSI1PK"), "USER#u2");
    assert_eq!(s(&item, "GSI1SK"), "PROJECT#p3");
    assert_eq!(s(&item, "_type"), "project");
    assert_eq!(s(&item, "org_id"), "acme");
    assert_eq!(s(&item, "team"), "core");
    assert_eq!(s(&item, "project_id"), "p3");
    assert!(!item.contains_key("GSI2PK"), "projects are not in gsi2");

    let item = raw_item(&r.users, User::key("acme", "u1")).await;
    assert_eq!(s(&item, "GSI2PK"), "EMAIL#u1@acme.example");
    assert_eq!(s(&item, "GSI2SK"), "USER");
    assert_eq!(User::pk("acme"), "ORG#acme");
    assert_eq!(User::sk("u1"), "USER#u1");
    assert_eq!(Project::sk_prefix(), "PROJECT#");
    assert_eq!(Project::sk_prefix_team("core"), "PROJECT#core#");
    assert_eq!(User::gsi2_pk("a@b"), "EMAIL#a@b");
}

#[tokio::test]
async fn a_collection_query_returns_every_type_of_the_partition_in_key_order() {
    let r = seeded().await;
    let items = r
        .orgs
        .query(Org::pk("acme"))
        .collection::<OrgItem>()
        .all()
        .await
        .unwrap();
    assert_eq!(
        items,
        vec![
            OrgItem::Org(org("acme", "Acme")),
            OrgItem::Project(project("acme", "core", "p1", "u1")),
            OrgItem::Project(project("acme", "core", "p3", "u2")),
            OrgItem::Project(project("acme", "web", "p2", "u1")),
            OrgItem::User(user("acme", "u1")),
            OrgItem::User(user("acme", "u2")),
        ]
    );
    // A scan reads every partition as the collection.
    let scanned = r.orgs.scan().collection::<OrgItem>().all().await.unwrap();
    assert_eq!(scanned.len(), 8, "{scanned:?}");
    assert_eq!(
        OrgItem::ENTITY_TYPES,
        &["org", "user", "project"],
        "types in variant order"
    );
}

#[tokio::test]
async fn collection_pages_cursors_and_streams_work_like_entity_queries() {
    let r = seeded().await;
    let all = r
        .orgs
        .query(Org::pk("acme"))
        .collection::<OrgItem>()
        .all()
        .await
        .unwrap();
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut q = r
            .orgs
            .query(Org::pk("acme"))
            .collection::<OrgItem>()
            .page_size(2);
        if let Some(c) = cursor.take() {
            q = q.start_from(c);
        }
        let page = q.page().await.unwrap();
        pages += 1;
        paged.extend(page.items);
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(paged, all);
    assert!(pages >= 3, "six items at two per page took {pages} pages");

    let streamed: Vec<OrgItem> = r
        .orgs
        .query(Org::pk("acme"))
        .collection::<OrgItem>()
        .page_size(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed, all);

    let newest_first = r
        .orgs
        .query(Org::pk("acme"))
        .collection::<OrgItem>()
        .descending()
        .limit(2)
        .all()
        .await
        .unwrap();
    assert_eq!(
        newest_first,
        vec![
            OrgItem::User(user("acme", "u2")),
            OrgItem::User(user("acme", "u1"))
        ]
    );
}

#[tokio::test]
async fn prefix_queries_read_one_type_or_one_group_of_a_partition() {
    let r = seeded().await;
    let users = r
        .users
        .query(User::pk("acme"))
        .sort_key(|k| k.begins_with(User::sk_prefix()))
        .all()
        .await
        .unwrap();
    assert_eq!(users, vec![user("acme", "u1"), user("acme", "u2")]);

    let core = r
        .projects
        .query(Project::pk("acme"))
        .sort_key(|k| k.begins_with(Project::sk_prefix_team("core")))
        .all()
        .await
        .unwrap();
    let ids: Vec<&str> = core.iter().map(|p| p.project_id.as_str()).collect();
    assert_eq!(ids, ["p1", "p3"]);

    // Other orgs' users are in other partitions.
    let globex = r
        .users
        .query(User::pk("globex"))
        .sort_key(|k| k.begins_with(User::sk_prefix()))
        .all()
        .await
        .unwrap();
    assert_eq!(globex, vec![user("globex", "u9")]);
}

#[tokio::test]
async fn overloaded_indexes_serve_lookups_and_collections() {
    let r = seeded().await;
    // gsi2: a user by email.
    let found = r
        .users
        .query_index(User::indexes().gsi2, User::gsi2_pk("u2@acme.example"))
        .all()
        .await
        .unwrap();
    assert_eq!(found, vec![user("acme", "u2")]);

    // gsi1: a user with the projects they own, as one collection.
    let work = r
        .users
        .query_index(User::indexes().gsi1, User::gsi1_pk("u1"))
        .collection::<UserWork>()
        .all()
        .await
        .unwrap();
    assert_eq!(
        work,
        vec![
            UserWork::Project(project("acme", "core", "p1", "u1")),
            UserWork::Project(project("acme", "web", "p2", "u1")),
            UserWork::User(user("acme", "u1")),
        ]
    );

    // ...paged through the index with cursors.
    let first = r
        .users
        .query_index(User::indexes().gsi1, User::gsi1_pk("u1"))
        .collection::<UserWork>()
        .limit(2)
        .page()
        .await
        .unwrap();
    assert_eq!(first.items, work[..2]);
    let rest = r
        .users
        .query_index(User::indexes().gsi1, User::gsi1_pk("u1"))
        .collection::<UserWork>()
        .start_from(first.cursor.expect("more follows"))
        .all()
        .await
        .unwrap();
    assert_eq!(rest, work[2..]);

    // gsi1 also lists every org, sorted by name (the partition `ORGS`).
    let orgs = r
        .orgs
        .query_index(Org::indexes().gsi1, Org::gsi1_pk())
        .sort_key(|k| k.begins_with(Org::gsi1_sk_prefix()))
        .all()
        .await
        .unwrap();
    assert_eq!(orgs, vec![org("acme", "Acme"), org("globex", "Globex")]);
}

/// Regression guard for key injection: without escaping, team `a#b` with
/// project `c` and team `a` with project `b#c` would share the key
/// `PROJECT#a#b#c`, and the second write would silently replace the first.
#[tokio::test]
async fn values_containing_the_separator_never_produce_another_items_key() {
    let r = repos().await;
    let crafted = project("acme", "core#p9", "z", "u1");
    let honest = project("acme", "core", "p9#z", "u1");
    let plain = project("acme", "core", "p1", "u1");
    for p in [&crafted, &honest, &plain] {
        r.projects.put(p).await.unwrap();
    }
    let item = raw_item(&r.projects, crafted.primary_key()).await;
    assert_eq!(s(&item, "SK"), "PROJECT#core%23p9#z");
    let item = raw_item(&r.projects, honest.primary_key()).await;
    assert_eq!(s(&item, "SK"), "PROJECT#core#p9%23z");
    assert_eq!(
        r.projects
            .get(Project::key("acme", "core#p9", "z"))
            .await
            .unwrap(),
        Some(crafted.clone())
    );
    assert_eq!(
        r.projects
            .get(Project::key("acme", "core", "p9#z"))
            .await
            .unwrap(),
        Some(honest.clone())
    );

    // The team `core` holds only its own projects: the crafted team's
    // project does not leak into its prefix.
    let core = r
        .projects
        .query(Project::pk("acme"))
        .sort_key(|k| k.begins_with(Project::sk_prefix_team("core")))
        .all()
        .await
        .unwrap();
    assert_eq!(core, vec![plain, honest]);
    let crafted_team = r
        .projects
        .query(Project::pk("acme"))
        .sort_key(|k| k.begins_with(Project::sk_prefix_team("core#p9")))
        .all()
        .await
        .unwrap();
    assert_eq!(crafted_team, vec![crafted]);

    // A `%` is escaped too, so an already-escaped value stays distinct.
    let percent = project("acme", "core%23p9", "z", "u1");
    r.projects.put(&percent).await.unwrap();
    let item = raw_item(&r.projects, percent.primary_key()).await;
    assert_eq!(s(&item, "SK"), "PROJECT#core%2523p9#z");
    assert_eq!(
        r.projects
            .get(Project::key("acme", "core#p9", "z"))
            .await
            .unwrap()
            .unwrap()
            .team,
        "core#p9"
    );
}

#[path = "single_table/checks.rs"]
mod checks;
