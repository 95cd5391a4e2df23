//! Per-environment table names, the write paths: `update`, `delete`, `save`,
//! batch deletes and mixed batch writes, raw batch writes, units of work
//! (update, delete, condition check), secondary-index queries, the backfill
//! runner and change streams. Each acts only on its client's table: the other
//! environment's item with the same key is left as it was, and never seen.

use dynamo_repo::backfill::Action;
use dynamo_repo::batch::WriteOp;
use dynamo_repo::expr::Update;
use dynamo_repo::sdk::types::{DeleteRequest, WriteRequest};
use dynamo_repo::{Client, Entity, Error, Item, Repository};
use dynamo_repo_testkit::{unique_table_name, TestTables};

/// A note, versioned, with a secondary index by tag.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "notes",
    gsi(name = "by_tag", partition_key = tag, sort_key = id)
)]
struct Note {
    #[dynamo(partition_key)]
    owner: String,
    #[dynamo(sort_key)]
    id: u32,
    tag: String,
    env: String,
    #[dynamo(version)]
    version: u64,
}

fn note(id: u32, env: &str) -> Note {
    Note {
        owner: "o".into(),
        id,
        tag: "t".into(),
        env: env.into(),
        version: 0,
    }
}

/// Two environments on one server (a prefix, and a suffix by function),
/// each with its `notes` table created through its own repository and
/// holding notes 0..n with `env` its name.
async fn two_environments(n: u32) -> (TestTables, TestTables) {
    let endpoint = dynamo_repo_testkit::endpoint().unwrap();
    let prefix = format!("{}-", unique_table_name("staging"));
    let suffix = format!("-{}", unique_table_name("dev"));
    let staging = TestTables::with_client(Client::builder().table_prefix(&prefix).local(&endpoint));
    let dev = TestTables::with_client(
        Client::builder()
            .table_names(move |declared| format!("{declared}{suffix}"))
            .local(&endpoint),
    );
    for (tables, env) in [(&staging, "staging"), (&dev, "dev")] {
        let notes = tables.client().repository::<Note>();
        tables.track(notes.table_name());
        notes.ensure_table().await.unwrap();
        let rows: Vec<Note> = (0..n).map(|i| note(i, env)).collect();
        // New items: version 1 (a batch cannot check versions).
        notes
            .batch_put(&rows)
            .skip_version_check()
            .send()
            .await
            .unwrap();
    }
    (staging, dev)
}

fn repos(staging: &TestTables, dev: &TestTables) -> (Repository<Note>, Repository<Note>) {
    (
        staging.client().repository::<Note>(),
        dev.client().repository::<Note>(),
    )
}

/// The envs of every note of `repo`, by id (a consistent scan).
async fn envs(repo: &Repository<Note>) -> Vec<(u32, String)> {
    let mut all: Vec<(u32, String)> = repo
        .scan()
        .consistent_read(true)
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.id, n.env))
        .collect();
    all.sort();
    all
}

fn expected(ids: impl IntoIterator<Item = u32>, env: &str) -> Vec<(u32, String)> {
    ids.into_iter().map(|i| (i, env.to_owned())).collect()
}

#[tokio::test]
async fn single_item_writes_touch_only_their_environment() {
    let (staging, dev) = two_environments(4).await;
    let (s, d) = repos(&staging, &dev);
    assert_ne!(s.table_name(), d.table_name());
    let f = Note::fields();

    // update: dev's note 0 changes, staging's keeps its value and version.
    d.update(Note::key("o", 0))
        .set(&f.env, "dev-updated")
        .send()
        .await
        .unwrap();
    let s0 = s.get(Note::key("o", 0)).await.unwrap().unwrap();
    assert_eq!((s0.env.as_str(), s0.version), ("staging", 1));
    let d0 = d.get(Note::key("o", 0)).await.unwrap().unwrap();
    assert_eq!((d0.env.as_str(), d0.version), ("dev-updated", 2));

    // update_item checks the version in its own table: staging's note 0 is at
    // version 1, so dev's copy (version 2) conflicts there.
    let err = s
        .update_item(&d0)
        .set(&f.env, "never")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::VersionConflict(_)), "{err:?}");
    s.update_item(&s0)
        .set(&f.env, "staging-updated")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.get(Note::key("o", 0)).await.unwrap().unwrap().env,
        "dev-updated"
    );

    // save: staging's note 1 is written and read back from staging's table
    // (its version there), dev's is untouched.
    let mut s1 = s.get(Note::key("o", 1)).await.unwrap().unwrap();
    s1.env = "staging-saved".into();
    s.save(&mut s1).await.unwrap();
    assert_eq!((s1.env.as_str(), s1.version), ("staging-saved", 2));
    let d1 = d.get(Note::key("o", 1)).await.unwrap().unwrap();
    assert_eq!((d1.env.as_str(), d1.version), ("dev", 1));

    // delete and delete_item: gone from one environment only.
    d.delete(Note::key("o", 2)).send().await.unwrap();
    let s3 = s.get(Note::key("o", 3)).await.unwrap().unwrap();
    s.delete_item(&s3).send().await.unwrap();
    assert_eq!(
        envs(&s).await,
        vec![
            (0, "staging-updated".to_owned()),
            (1, "staging-saved".to_owned()),
            (2, "staging".to_owned()),
        ]
    );
    assert_eq!(
        envs(&d).await,
        vec![
            (0, "dev-updated".to_owned()),
            (1, "dev".to_owned()),
            (3, "dev".to_owned()),
        ]
    );
}

#[tokio::test]
async fn batch_deletes_and_mixed_batch_writes_touch_only_their_environment() {
    let (staging, dev) = two_environments(30).await;
    let (s, d) = repos(&staging, &dev);

    // batch_delete in dev: 0..10 gone there, staging keeps all 30.
    let stats = d
        .batch_delete((0..10).map(|i| Note::key("o", i)))
        .send()
        .await
        .unwrap();
    assert_eq!(stats.processed, 10);
    assert_eq!(envs(&s).await, expected(0..30, "staging"));
    assert_eq!(envs(&d).await, expected(10..30, "dev"));

    // A mixed batch in staging: puts 30..35, deletes 20..30.
    let ops = (30..35)
        .map(|i| WriteOp::Put(note(i, "staging")))
        .chain((20..30).map(|i| WriteOp::Delete(Note::key("o", i))));
    s.batch_write(ops)
        .skip_version_check()
        .send()
        .await
        .unwrap();
    assert_eq!(envs(&s).await, expected((0..20).chain(30..35), "staging"));
    assert_eq!(envs(&d).await, expected(10..30, "dev"));

    // A raw batch across tables takes physical names: deletes 10..15 of
    // dev's table only (`table_name_of` resolves the declared one).
    let table = dev.client().table_name_of::<Note>();
    let requests = (10..15).map(|i| {
        let key: Item = Note::key("o", i).into_item();
        let delete = DeleteRequest::builder().set_key(Some(key)).build().unwrap();
        (
            table.clone(),
            WriteRequest::builder().delete_request(delete).build(),
        )
    });
    dev.client().batch_write_raw(requests).send().await.unwrap();
    assert_eq!(envs(&d).await, expected(15..30, "dev"));
    assert_eq!(envs(&s).await, expected((0..20).chain(30..35), "staging"));
}

#[tokio::test]
async fn unit_of_work_updates_deletes_and_checks_use_their_environment() {
    let (staging, dev) = two_environments(3).await;
    let (s, d) = repos(&staging, &dev);
    let f = Note::fields();

    // A check of staging's value through dev's client reads dev's item: the
    // unit is cancelled and nothing of it is applied, in either table.
    let mut uow = dev.client().unit_of_work();
    uow.check(Note::key("o", 0), f.env.eq("staging"))
        .delete(Note::key("o", 1));
    let err = uow.commit().await.unwrap_err();
    assert!(matches!(err, Error::TransactionCanceled(_)), "{err:?}");
    assert_eq!(envs(&d).await, expected(0..3, "dev"));
    assert_eq!(envs(&s).await, expected(0..3, "staging"));

    // The same shape with dev's value commits, in dev only.
    let mut uow = dev.client().unit_of_work();
    uow.check(Note::key("o", 0), f.env.eq("dev"))
        .update(Note::key("o", 2), |u| u.set(&f.env, "dev-updated"))
        .delete(Note::key("o", 1));
    uow.commit().await.unwrap();
    assert_eq!(
        envs(&d).await,
        vec![(0, "dev".to_owned()), (2, "dev-updated".to_owned())]
    );
    assert_eq!(envs(&s).await, expected(0..3, "staging"));

    // Conditional and versioned actions are checked against staging's items.
    let s2 = s.get(Note::key("o", 2)).await.unwrap().unwrap();
    let mut uow = staging.client().unit_of_work();
    uow.update_if(Note::key("o", 0), f.env.eq("staging"), |u| {
        u.set(&f.env, "staging-updated")
    })
    .delete_if(Note::key("o", 1), f.env.eq("staging"))
    .update_item(&s2, |u| u.set(&f.env, "staging-versioned"));
    uow.commit().await.unwrap();
    assert_eq!(
        envs(&s).await,
        vec![
            (0, "staging-updated".to_owned()),
            (2, "staging-versioned".to_owned())
        ]
    );
    assert_eq!(
        envs(&d).await,
        vec![(0, "dev".to_owned()), (2, "dev-updated".to_owned())]
    );
}

#[tokio::test]
async fn index_queries_read_only_their_environment() {
    let (staging, dev) = two_environments(5).await;
    let (s, d) = repos(&staging, &dev);
    d.batch_delete((0..2).map(|i| Note::key("o", i)))
        .send()
        .await
        .unwrap();
    // Index reads are eventually consistent: wait for the deletes to show.
    let mut by_tag = Vec::new();
    for _ in 0..50 {
        by_tag = d
            .query_index(Note::indexes().by_tag, "t")
            .all()
            .await
            .unwrap();
        if by_tag.len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        by_tag
            .iter()
            .map(|n| (n.id, n.env.as_str()))
            .collect::<Vec<_>>(),
        vec![(2, "dev"), (3, "dev"), (4, "dev")]
    );
    let by_tag = s
        .query_index(Note::indexes().by_tag, "t")
        .all()
        .await
        .unwrap();
    assert_eq!(by_tag.len(), 5);
    assert!(by_tag.iter().all(|n| n.env == "staging"), "{by_tag:?}");
    assert_eq!(
        s.query_index(Note::indexes().by_tag, "t")
            .count()
            .await
            .unwrap(),
        5
    );
}

#[tokio::test]
async fn a_backfill_migrates_only_its_environment() {
    let (staging, dev) = two_environments(250).await;
    let (s, d) = repos(&staging, &dev);
    let f = Note::fields();
    let stats = s
        .backfill()
        .segments(3)
        .page_size(40)
        .only(f.env.eq("staging"))
        .run_raw(|_item: Item| async move {
            Ok::<_, std::convert::Infallible>(Action::update(
                Update::new().set(&Note::fields().env, "staging-v2"),
            ))
        })
        .await
        .unwrap();
    assert_eq!(stats.total.changed, 250);
    assert_eq!(envs(&s).await, expected(0..250, "staging-v2"));
    assert_eq!(envs(&d).await, expected(0..250, "dev"));

    // A backfill of dev with staging's filter finds nothing to migrate.
    let stats = d
        .backfill()
        .only(f.env.eq("staging"))
        .run_raw(|_item: Item| async move {
            Ok::<_, std::convert::Infallible>(Action::<Note>::delete())
        })
        .await
        .unwrap();
    assert_eq!((stats.total.scanned, stats.total.changed), (0, 0));
    assert_eq!(envs(&d).await, expected(0..250, "dev"));
}

/// The stream reader takes a physical table name (it does not apply the
/// resolver): given `table_name_of`, each environment reads only its
/// table's changes.
#[tokio::test]
async fn each_environment_reads_its_own_tables_stream() {
    use dynamo_repo::sdk::types::{StreamSpecification, StreamViewType};
    use dynamo_repo::stream::{local_streams_client, Change, StreamReader};
    use futures::StreamExt;
    use std::time::Duration;

    let (staging, dev) = two_environments(2).await;
    let f = Note::fields();
    for (tables, env) in [(&staging, "staging"), (&dev, "dev")] {
        let client = tables.client();
        client
            .sdk()
            .update_table()
            .table_name(client.table_name_of::<Note>())
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        for id in 0..2 {
            client
                .repository::<Note>()
                .update(Note::key("o", id))
                .set(&f.env, format!("{env}-changed"))
                .send()
                .await
                .unwrap();
        }
    }
    for (tables, env) in [(&staging, "staging"), (&dev, "dev")] {
        let client = tables.client();
        let streams = local_streams_client(dynamo_repo_testkit::endpoint().unwrap());
        // `for_entity` names the table as the client does (its prefix or
        // name function), as `table_name_of` does.
        let mut changes = StreamReader::for_entity::<Note>(client, streams)
            .await
            .unwrap()
            .idle_backoff(Duration::from_millis(20), Duration::from_millis(200))
            .changes::<Note>();
        for _ in 0..2 {
            let change = tokio::time::timeout(Duration::from_secs(30), changes.next())
                .await
                .expect("a change within 30 s")
                .expect("the stream goes on")
                .unwrap();
            let Change::Modify { old, new, .. } = &change else {
                panic!("{env}: a modify expected, got {}", change.event_name());
            };
            assert_eq!(old.as_ref().map(|n| n.env.as_str()), Some(env));
            assert_eq!(
                new.as_ref().map(|n| n.env.clone()),
                Some(format!("{env}-changed"))
            );
        }
        let extra = tokio::time::timeout(Duration::from_millis(1500), changes.next()).await;
        assert!(extra.is_err(), "{env}: only its own two changes");
    }
}
