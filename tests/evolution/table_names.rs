//! Per-environment table names: two clients with different table-name
//! resolvers against one server never see each other's items, whatever API
//! they use, and never touch the declared tables.

use dynamo_repo::{Client, Collection, Entity, Error};
use dynamo_repo_testkit::{unique_table_name, TestTables};

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "docs")]
struct Doc {
    #[dynamo(partition_key)]
    owner: String,
    #[dynamo(sort_key)]
    id: u32,
    env: String,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "teams", entity = "team", pk = "TEAM#{team}", sk = "TEAM")]
struct Team {
    team: String,
    env: String,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "teams",
    entity = "member",
    pk = "TEAM#{team}",
    sk = "MEMBER#{user}"
)]
struct Member {
    team: String,
    user: String,
    env: String,
}

#[derive(Collection, Debug, Clone, PartialEq)]
enum TeamItem {
    Team(Team),
    Member(Member),
}

fn doc(owner: &str, id: u32, env: &str) -> Doc {
    Doc {
        owner: owner.into(),
        id,
        env: env.into(),
    }
}

/// Two environments on one server: a prefix, and a function of the declared
/// name; each has its tables, created through its own repositories.
async fn two_environments() -> (TestTables, TestTables, String, String) {
    let endpoint = dynamo_repo_testkit::endpoint().unwrap();
    let prefix = format!("{}-", unique_table_name("staging"));
    let suffix = format!("-{}", unique_table_name("dev"));
    let s = suffix.clone();
    let staging = TestTables::with_client(Client::builder().table_prefix(&prefix).local(&endpoint));
    let dev = TestTables::with_client(
        Client::builder()
            .table_names(move |declared| format!("{declared}{s}"))
            .local(&endpoint),
    );
    for tables in [&staging, &dev] {
        let client = tables.client();
        for repo_table in [
            client.repository::<Doc>().table_name().to_owned(),
            client.repository::<Team>().table_name().to_owned(),
        ] {
            tables.track(repo_table);
        }
        let plan = client.repository::<Doc>().plan_table().await.unwrap();
        assert!(plan.create_table, "nothing exists yet: {plan:?}");
        client.repository::<Doc>().ensure_table().await.unwrap();
        client.repository::<Team>().ensure_table().await.unwrap();
        assert!(client
            .repository::<Doc>()
            .plan_table()
            .await
            .unwrap()
            .is_empty());
    }
    (staging, dev, prefix, suffix)
}

#[tokio::test]
async fn two_clients_with_other_table_names_never_see_each_others_items() {
    let (staging, dev, prefix, suffix) = two_environments().await;
    let (s, d) = (staging.client(), dev.client());
    let (s_docs, d_docs) = (s.repository::<Doc>(), d.repository::<Doc>());
    assert_eq!(s_docs.table_name(), format!("{prefix}docs"));
    assert_eq!(d_docs.table_name(), format!("docs{suffix}"));
    assert_eq!(s.table_name_of::<Team>(), format!("{prefix}teams"));
    assert_eq!(d.resolve_table_name("teams"), format!("teams{suffix}"));
    // The declared tables were never created.
    let declared = s
        .sdk()
        .describe_table()
        .table_name("docs")
        .send()
        .await
        .unwrap_err();
    assert!(
        declared
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{declared:?}"
    );

    // put / get: the same key, one item per environment.
    s_docs.put(&doc("o", 1, "staging")).await.unwrap();
    d_docs.put(&doc("o", 1, "dev")).await.unwrap();
    assert_eq!(
        s_docs.get(Doc::key("o", 1)).await.unwrap().unwrap().env,
        "staging"
    );
    assert_eq!(
        d_docs.get(Doc::key("o", 1)).await.unwrap().unwrap().env,
        "dev"
    );

    // batch_put in staging only: invisible to dev's batch_get, query, scan.
    let batch: Vec<Doc> = (2..40).map(|i| doc("o", i, "staging")).collect();
    s_docs.batch_put(&batch).await.unwrap();
    let keys = || (1..40).map(|i| Doc::key("o", i));
    let got = s_docs.batch_get(keys()).await.unwrap();
    assert_eq!((got.items.len(), got.missing.len()), (39, 0));
    let got = d_docs.batch_get(keys()).await.unwrap();
    assert_eq!((got.items.len(), got.missing.len()), (1, 38));
    assert!(got.items.iter().all(|x| x.env == "dev"));
    let queried = d_docs.query("o").all().await.unwrap();
    assert_eq!(queried, vec![doc("o", 1, "dev")]);
    assert_eq!(s_docs.query("o").count().await.unwrap(), 39);
    assert_eq!(d_docs.scan().count().await.unwrap(), 1);
    assert_eq!(s_docs.scan().count().await.unwrap(), 39);

    // Several entities in one batch get.
    let mut multi = d.batch_get_multi();
    let handle = multi.add(&d_docs, keys());
    let mut out = multi.send().await.unwrap();
    assert_eq!(out.take(handle).unwrap().items, vec![doc("o", 1, "dev")]);

    // A unit of work and a TransactGet, with no repository named: the
    // client resolves the table of each entity type.
    let mut uow = d.unit_of_work();
    uow.put(&doc("o", 100, "dev"))
        .put(&Team {
            team: "t".into(),
            env: "dev".into(),
        })
        .put(&Member {
            team: "t".into(),
            user: "u".into(),
            env: "dev".into(),
        });
    uow.commit().await.unwrap();
    assert_eq!(s_docs.get(Doc::key("o", 100)).await.unwrap(), None);
    let mut tx = d.transact_get();
    let slot = tx.get(Doc::key("o", 100));
    let mut read = tx.send().await.unwrap();
    assert_eq!(read.take(slot).unwrap(), Some(doc("o", 100, "dev")));
    let mut tx = s.transact_get();
    let slot = tx.get(Doc::key("o", 100));
    let mut read = tx.send().await.unwrap();
    assert_eq!(read.take(slot).unwrap(), None);

    // A collection query sees only its environment's partition.
    s.repository::<Team>()
        .put(&Team {
            team: "t".into(),
            env: "staging".into(),
        })
        .await
        .unwrap();
    let s_team = s
        .repository::<Team>()
        .query(Team::pk("t"))
        .collection::<TeamItem>()
        .all()
        .await
        .unwrap();
    assert_eq!(
        s_team,
        vec![TeamItem::Team(Team {
            team: "t".into(),
            env: "staging".into()
        })]
    );
    let d_team = d
        .repository::<Team>()
        .query(Team::pk("t"))
        .collection::<TeamItem>()
        .all()
        .await
        .unwrap();
    assert_eq!(d_team.len(), 2);
    assert!(d_team.iter().all(|i| match i {
        TeamItem::Team(t) => t.env == "dev",
        TeamItem::Member(m) => m.env == "dev",
    }));

    // Raw batches take physical names: built with `table_name_of`.
    let raw = d
        .batch_get_raw([(d.table_name_of::<Doc>(), Doc::key("o", 1).into_item())])
        .await
        .unwrap();
    assert_eq!(raw.items.len(), 1);
}

#[tokio::test]
async fn a_cursor_is_bound_to_the_resolved_table() {
    let (staging, dev, _, _) = two_environments().await;
    let (s_docs, d_docs) = (
        staging.client().repository::<Doc>(),
        dev.client().repository::<Doc>(),
    );
    for i in 0..3 {
        s_docs.put(&doc("o", i, "staging")).await.unwrap();
        d_docs.put(&doc("o", i, "dev")).await.unwrap();
    }
    let page = s_docs.query("o").page_size(1).page().await.unwrap();
    let cursor = page.cursor.clone().expect("more pages");
    // Its own environment resumes from it...
    let next = s_docs
        .query("o")
        .page_size(1)
        .start_from(cursor.clone())
        .page()
        .await
        .unwrap();
    assert_eq!(next.items, vec![doc("o", 1, "staging")]);
    // ...another refuses it before sending anything.
    let err = d_docs
        .query("o")
        .page_size(1)
        .start_from(cursor)
        .page()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
}
