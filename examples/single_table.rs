//! Single-table design: a small multi-tenant model (orgs, their users and
//! their projects) in one DynamoDB table with two overloaded global indexes.
//!
//! Access patterns, each served by one typed request:
//!
//! 1. An org by id: `orgs.get(Org::key(org_id))`
//! 2. Every org, by name: `gsi1` partition `ORGS`
//! 3. A user of an org: `users.get(User::key(org_id, user_id))`
//! 4. A user by email, across orgs: `gsi2` partition `EMAIL#<email>`
//! 5. The users of an org: partition `ORG#<org_id>`, sort key `begins_with USER#`
//! 6. The projects of one team: partition `ORG#<org_id>`, sort key `begins_with PROJECT#<team>#`
//! 7. An org with its users and projects: partition `ORG#<org_id>` as a collection
//! 8. A user with the projects they own: `gsi1` partition `USER#<user_id>` as a collection
//! 9. The projects waiting for a user's review: `gsi2` partition `REVIEW#<user_id>`, a
//!    sparse use of the index: only projects with a `reviewer` are in it, and an
//!    update that clears the reviewer takes the project out in the same request
//! 10. Emails are unique across orgs (`#[dynamo(unique)]`): a second user with
//!     grace's email is `Error::UniqueTaken`, and nothing is written
//!
//! The table it writes:
//!
//! | PK       | SK              | _type   | GSI1PK     | GSI1SK        | GSI2PK                   | GSI2SK     |
//! |----------|-----------------|---------|------------|---------------|--------------------------|------------|
//! | ORG#acme | ORG             | org     | ORGS       | ORG#Acme Corp |                          |            |
//! | ORG#acme | PROJECT#core#p1 | project | USER#ada   | PROJECT#p1    |                          |            |
//! | ORG#acme | PROJECT#core#p3 | project | USER#grace | PROJECT#p3    |                          |            |
//! | ORG#acme | PROJECT#web#p2  | project | USER#ada   | PROJECT#p2    | REVIEW#grace             | PROJECT#p2 |
//! | ORG#acme | USER#ada        | user    | USER#ada   | USER          | EMAIL#ada@acme.example   | USER       |
//! | ORG#acme | USER#grace      | user    | USER#grace | USER          | EMAIL#grace@acme.example | USER       |
//! | _unique#user#email#ada@acme.example | _unique | | | | | |
//! | _unique#user#email#grace@acme.example | _unique | | | | | |
//!
//! (plus each item's own fields: `org_id`, `name`, `email`, ...; the two
//! marker items of the unique emails hold `_unique_of` = `user.email` and
//! `_unique_owner`, the owner's `PK` / `SK`, and are in no index).
//!
//! Run it against a DynamoDB Local that the script starts for you:
//!
//! ```sh
//! cargo run -p dynamo-repo-examples --example single_table
//! ```
//!
//! runs on an embedded DynamoDB when `DYNAMODB_ENDPOINT` is unset (see
//! `backend.rs`); prefix `scripts/with-dynamodb-local` to use DynamoDB Local,
//! or set `DYNAMODB_ENDPOINT=http://localhost:8000` for one you run yourself.

mod backend;

use dynamo_repo::{Collection, Entity};

/// An org: `ORG#<id>` / `ORG`, and listed by name in `gsi1` under `ORGS`.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "single-table-example",
    entity = "org",
    pk = "ORG#{org_id}",
    sk = "ORG",
    gsi1(name = "gsi1", pk = "ORGS", sk = "ORG#{name}")
)]
struct Org {
    org_id: String,
    name: String,
    plan: String,
}

/// A user of an org: `ORG#<org>` / `USER#<id>`; in `gsi1` with the projects
/// they own, and in `gsi2` by email, which no two users share.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "single-table-example",
    entity = "user",
    pk = "ORG#{org_id}",
    sk = "USER#{user_id}",
    gsi1(name = "gsi1", pk = "USER#{user_id}", sk = "USER"),
    gsi2(name = "gsi2", pk = "EMAIL#{email}", sk = "USER")
)]
struct User {
    org_id: String,
    user_id: String,
    #[dynamo(unique)]
    email: String,
    name: String,
}

/// A project of an org's team: `ORG#<org>` / `PROJECT#<team>#<id>`; in
/// `gsi1` under its owner; in `gsi2` under its reviewer while it has one
/// (a sparse index: `reviewer` is an `Option`).
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "single-table-example",
    entity = "project",
    pk = "ORG#{org_id}",
    sk = "PROJECT#{team}#{project_id}",
    gsi1(name = "gsi1", pk = "USER#{owner_id}", sk = "PROJECT#{project_id}"),
    gsi2(name = "gsi2", pk = "REVIEW#{reviewer}", sk = "PROJECT#{project_id}")
)]
struct Project {
    org_id: String,
    team: String,
    project_id: String,
    owner_id: String,
    reviewer: Option<String>,
    title: String,
}

/// Everything in an org's partition.
#[derive(Collection, Debug)]
enum OrgItem {
    Org(Org),
    User(User),
    Project(Project),
}

/// A user's `gsi1` partition: the user and the projects they own.
#[derive(Collection, Debug)]
enum UserWork {
    User(User),
    Project(Project),
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = backend::client().await?;
    let orgs = client.repository::<Org>();
    let users = client.repository::<User>();
    let projects = client.repository::<Project>();
    // `User` declares both indexes, so its schema creates the whole table.
    users.ensure_table().await?;

    orgs.put(&Org {
        org_id: "acme".into(),
        name: "Acme Corp".into(),
        plan: "pro".into(),
    })
    .await?;
    for (id, name) in [("ada", "Ada Lovelace"), ("grace", "Grace Hopper")] {
        users
            .put(&User {
                org_id: "acme".into(),
                user_id: id.into(),
                email: format!("{id}@acme.example"),
                name: name.into(),
            })
            .await?;
    }
    for (team, id, owner, reviewer, title) in [
        ("core", "p1", "ada", None, "Analytical engine"),
        ("web", "p2", "ada", Some("grace"), "Website"),
        ("core", "p3", "grace", None, "Compiler"),
    ] {
        projects
            .put(&Project {
                org_id: "acme".into(),
                team: team.into(),
                project_id: id.into(),
                owner_id: owner.into(),
                reviewer: reviewer.map(str::to_owned),
                title: title.into(),
            })
            .await?;
    }

    // 1. An org by id.
    let acme = orgs.get(Org::key("acme")).await?;
    println!("1. get an org by id (ORG#acme / ORG): {acme:?}");

    // 2. Every org, by name.
    let all_orgs = orgs
        .query_index(Org::indexes().gsi1, Org::gsi1_pk())
        .all()
        .await?;
    println!(
        "2. every org by name (query gsi1, pk ORGS): {} org(s): {:?}",
        all_orgs.len(),
        all_orgs.iter().map(|o| &o.name).collect::<Vec<_>>()
    );

    // 3. A user of an org.
    let ada = users.get(User::key("acme", "ada")).await?;
    println!("3. get a user of an org (ORG#acme / USER#ada): {ada:?}");

    // 4. A user by email.
    let by_email = users
        .query_index(User::indexes().gsi2, User::gsi2_pk("grace@acme.example"))
        .first()
        .await?;
    println!("4. a user by email (query gsi2, first row): {by_email:?}");

    // 5. The users of an org.
    let acme_users = users
        .query(User::pk("acme"))
        .sort_key(|k| k.begins_with(User::sk_prefix()))
        .all()
        .await?;
    println!(
        "5. the users of an org (query ORG#acme, sort key begins_with USER#): {} user(s)",
        acme_users.len()
    );

    // 6. The projects of one team.
    let core = projects
        .query(Project::pk("acme"))
        .sort_key(|k| k.begins_with(Project::sk_prefix_team("core")))
        .all()
        .await?;
    println!(
        "6. the projects of one team (query ORG#acme, sort key begins_with PROJECT#core#): {:?}",
        core.iter().map(|p| &p.title).collect::<Vec<_>>()
    );

    // 7. An org with its users and projects, in one query.
    let everything = orgs
        .query(Org::pk("acme"))
        .collection::<OrgItem>()
        .all()
        .await?;
    println!("7. an org with its users and projects, in one query (collection OrgItem):");
    for item in &everything {
        match item {
            OrgItem::Org(o) => println!("7. org {}", o.name),
            OrgItem::User(u) => println!("7.   user {}", u.name),
            OrgItem::Project(p) => println!("7.   project {} ({})", p.title, p.team),
        }
    }

    // 8. A user with the projects they own, from the overloaded gsi1.
    let work = users
        .query_index(User::indexes().gsi1, User::gsi1_pk("ada"))
        .collection::<UserWork>()
        .all()
        .await?;
    // The user's sort key `USER` sorts after `PROJECT#...`: the user comes last.
    println!(
        "8. a user with the projects they own (query the overloaded gsi1, collection UserWork):"
    );
    for item in &work {
        match item {
            UserWork::User(u) => println!("8. {} owns the projects above", u.name),
            UserWork::Project(p) => println!("8.   {}", p.title),
        }
    }

    // 9. The projects waiting for grace's review, from the sparse use of gsi2.
    let to_review = |projects: dynamo_repo::Repository<Project>| async move {
        projects
            .query_index(Project::indexes().gsi2, Project::gsi2_pk("grace"))
            .all()
            .await
    };
    let waiting = to_review(projects.clone()).await?;
    println!(
        "9. waiting for grace's review (query gsi2, pk REVIEW#grace): {:?}",
        waiting.iter().map(|p| &p.title).collect::<Vec<_>>()
    );
    // Clearing the reviewer removes GSI2PK / GSI2SK in the same UpdateItem.
    projects
        .update(Project::key("acme", "web", "p2"))
        .set(&Project::fields().reviewer, None::<String>)
        .await?;
    println!(
        "9. after the review: {} project(s) waiting",
        to_review(projects.clone()).await?.len()
    );

    // 10. Emails are unique: the put, its claim of the email's marker item and
    // the entity-type check are one TransactWriteItems.
    let impostor = User {
        org_id: "globex".into(),
        user_id: "grace2".into(),
        email: "grace@acme.example".into(),
        name: "Not Grace".into(),
    };
    match users.put(&impostor).await {
        Err(dynamo_repo::Error::UniqueTaken(taken)) => {
            println!("10. a second user with grace's email: refused ({taken})")
        }
        other => return Err(format!("10. expected UniqueTaken, got {other:?}").into()),
    }
    Ok(())
}
