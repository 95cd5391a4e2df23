//! Queries, scans, indexes and projections against the server (pagination,
//! cursors, parallel scans and request limits are in `query_pages`).

use dynamo_repo::expr::AttributeType;
use dynamo_repo::{Condition, Entity, Projection, ValidationErrorKind};
use dynamo_repo_tests::fresh_repository;
use futures::TryStreamExt;
use std::collections::BTreeSet;

/// Reserved words as attribute names on purpose: name, status, size, data, date.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "events",
    gsi(name = "by_status", partition_key = status, sort_key = date),
    gsi(name = "by-owner", partition_key = owner, projection = "keys_only"),
    lsi(name = "by_size", sort_key = size, include(name))
)]
pub struct Event {
    #[dynamo(partition_key)]
    pub stream: String,
    #[dynamo(sort_key)]
    pub seq: u64,
    pub name: String,
    pub status: String,
    pub date: String,
    pub owner: String,
    pub size: u64,
    pub data: Option<String>,
    pub tags: Vec<String>,
    pub labels: BTreeSet<String>,
}

#[derive(Projection, Debug, Clone, PartialEq)]
#[dynamo(entity = Event)]
pub struct EventName {
    pub seq: u64,
    pub name: String,
}

#[derive(Projection, Debug, Clone, PartialEq)]
#[dynamo(entity = Event)]
pub struct EventKeys {
    pub stream: String,
    pub seq: u64,
    pub owner: String,
}

pub(crate) fn event(stream: &str, seq: u64) -> Event {
    Event {
        stream: stream.into(),
        seq,
        name: format!("event {seq}"),
        status: if seq.is_multiple_of(2) { "even" } else { "odd" }.into(),
        date: format!("2026-11-{:02}", seq % 28 + 1),
        owner: format!("owner-{}", seq % 3),
        size: seq * 10,
        data: seq.is_multiple_of(4).then(|| format!("payload {seq}")),
        tags: (0..seq % 3).map(|i| format!("t{i}")).collect(),
        labels: (0..seq % 2 + 1).map(|i| format!("l{i}")).collect(),
    }
}

pub(crate) async fn seeded(n: u64) -> dynamo_repo::Repository<Event> {
    let repo = fresh_repository::<Event>().await;
    for seq in 0..n {
        repo.put(&event("s", seq)).await.unwrap();
    }
    repo.put(&event("other", 1)).await.unwrap();
    repo
}

pub(crate) fn seqs(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

#[tokio::test]
async fn every_operator_and_function_filters_like_rust_does() {
    let repo = seeded(20).await;
    let all: Vec<Event> = (0..20).map(|s| event("s", s)).collect();
    let f = Event::fields();
    type Check = (Condition<Event>, fn(&Event) -> bool);
    let checks: Vec<(&str, Check)> = vec![
        ("eq", (f.status.eq("even"), |e| e.status == "even")),
        ("ne", (f.status.ne("even"), |e| e.status != "even")),
        ("lt", (f.size.lt(50), |e| e.size < 50)),
        ("le", (f.size.le(50), |e| e.size <= 50)),
        ("gt", (f.size.gt(150), |e| e.size > 150)),
        ("ge", (f.size.ge(150), |e| e.size >= 150)),
        (
            "between",
            (f.size.between(30, 70), |e| (30..=70).contains(&e.size)),
        ),
        (
            "is_in",
            (f.name.is_in(["event 3", "event 7", "nope"]), |e| {
                ["event 3", "event 7"].contains(&e.name.as_str())
            }),
        ),
        (
            "begins_with",
            (f.date.begins_with("2026-11-1"), |e| {
                e.date.starts_with("2026-11-1")
            }),
        ),
        (
            "contains string",
            (f.name.contains("1"), |e| e.name.contains('1')),
        ),
        (
            "contains list",
            (f.tags.contains("t1"), |e| {
                e.tags.contains(&"t1".to_string())
            }),
        ),
        (
            "contains set",
            (f.labels.contains("l1"), |e| e.labels.contains("l1")),
        ),
        ("exists", (f.data.exists(), |e| e.data.is_some())),
        ("not_exists", (f.data.not_exists(), |e| e.data.is_none())),
        ("has_type", (f.labels.has_type(AttributeType::Ss), |_| true)),
        ("size eq", (f.tags.size().eq(2), |e| e.tags.len() == 2)),
        ("size gt", (f.name.size().gt(7), |e| e.name.len() > 7)),
        (
            "list element",
            (f.tags.at(1).eq("t1"), |e| {
                e.tags.get(1).map(String::as_str) == Some("t1")
            }),
        ),
        (
            "and",
            (f.status.eq("odd") & f.size.gt(100), |e| {
                e.status == "odd" && e.size > 100
            }),
        ),
        (
            "or",
            (f.size.lt(20) | f.size.gt(180), |e| {
                e.size < 20 || e.size > 180
            }),
        ),
        ("not", (!f.status.eq("odd"), |e| e.status != "odd")),
        (
            "compare attributes",
            (f.status.lt_attribute(&f.name), |e| e.status < e.name),
        ),
        (
            "all with optional parts",
            (
                Condition::all([Some(f.status.eq("even")), None, Some(f.size.ge(100))]),
                |e| e.status == "even" && e.size >= 100,
            ),
        ),
        (
            "nested any/all",
            (
                Condition::any([f.size.eq(10), f.size.eq(20) & f.status.eq("even")]),
                |e| e.size == 10 || e.size == 20,
            ),
        ),
    ];
    for (label, (condition, keep)) in checks {
        let got = repo
            .query("s")
            .filter(condition)
            .all()
            .await
            .unwrap_or_else(|e| panic!("{label}: {e:?}"));
        let expected: Vec<Event> = all.iter().filter(|e| keep(e)).cloned().collect();
        assert_eq!(seqs(&got), seqs(&expected), "{label}");
        assert!(
            !expected.is_empty() || label == "none",
            "{label} should match something"
        );
    }
}

#[tokio::test]
async fn sort_key_conditions_and_descending_order() {
    let repo = seeded(10).await;
    let q = |f: fn(dynamo_repo::expr::SortKey<u64>) -> dynamo_repo::expr::KeyCondition| {
        repo.query("s").sort_key(f)
    };
    assert_eq!(seqs(&q(|k| k.eq(3)).all().await.unwrap()), vec![3]);
    assert_eq!(seqs(&q(|k| k.lt(3)).all().await.unwrap()), vec![0, 1, 2]);
    assert_eq!(seqs(&q(|k| k.le(3)).all().await.unwrap()), vec![0, 1, 2, 3]);
    assert_eq!(seqs(&q(|k| k.gt(7)).all().await.unwrap()), vec![8, 9]);
    assert_eq!(seqs(&q(|k| k.ge(7)).all().await.unwrap()), vec![7, 8, 9]);
    assert_eq!(
        seqs(&q(|k| k.between(4, 6)).all().await.unwrap()),
        vec![4, 5, 6]
    );
    let desc = repo.query("s").descending().limit(3).all().await.unwrap();
    assert_eq!(seqs(&desc), vec![9, 8, 7]);
    let first = repo.query("s").descending().first().await.unwrap().unwrap();
    assert_eq!(first.seq, 9);
    assert_eq!(repo.query("nobody").first().await.unwrap(), None);
    assert_eq!(repo.query("s").count().await.unwrap(), 10);
    assert_eq!(
        repo.query("s")
            .filter(Event::fields().status.eq("odd"))
            .count()
            .await
            .unwrap(),
        5
    );
}

#[tokio::test]
async fn begins_with_on_a_string_sort_key() {
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "orders")]
    struct Order {
        #[dynamo(partition_key)]
        customer: String,
        #[dynamo(sort_key)]
        id: String,
        total: f64,
    }
    let repo = fresh_repository::<Order>().await;
    for id in [
        "2025-12-31#a",
        "2026-01-01#b",
        "2026-02-01#c",
        "2027-01-01#d",
    ] {
        repo.put(&Order {
            customer: "c-1".into(),
            id: id.into(),
            total: 1.0,
        })
        .await
        .unwrap();
    }
    let recent = repo
        .query("c-1")
        .sort_key(|k| k.begins_with("2026-"))
        .limit(20)
        .all()
        .await
        .unwrap();
    assert_eq!(
        recent.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        ["2026-01-01#b", "2026-02-01#c"]
    );
}

#[tokio::test]
async fn a_query_spanning_several_1mb_pages_returns_everything_in_order() {
    #[derive(Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "big")]
    struct Big {
        #[dynamo(partition_key)]
        pk: String,
        #[dynamo(sort_key)]
        n: u32,
        blob: String,
    }
    let repo = fresh_repository::<Big>().await;
    let blob = "x".repeat(50 * 1024);
    for n in 0..60 {
        repo.put(&Big {
            pk: "p".into(),
            n,
            blob: blob.clone(),
        })
        .await
        .unwrap();
    }
    // About 3 MB: DynamoDB returns at most 1 MB per page.
    let mut pages = 0;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = repo.query("p");
        if let Some(c) = cursor.take() {
            q = q.start_from(c);
        }
        let page = q.page().await.unwrap();
        pages += 1;
        seen.extend(page.items.iter().map(|b| b.n));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert!(pages >= 3, "expected several 1 MB pages, got {pages}");
    assert_eq!(seen, (0..60).collect::<Vec<_>>());
    let streamed: Vec<Big> = repo.query("p").stream().try_collect().await.unwrap();
    assert_eq!(streamed.len(), 60);
    assert_eq!(repo.query("p").all().await.unwrap().len(), 60);
}

#[tokio::test]
async fn global_and_local_index_queries() {
    let repo = seeded(12).await;
    let indexes = Event::indexes();
    let even = repo
        .query_index(indexes.by_status, "even")
        .sort_key(|k| k.begins_with("2026-11"))
        .all()
        .await
        .unwrap();
    assert_eq!(even.len(), 6);
    assert!(even.iter().all(|e| e.status == "even"));
    let dates: Vec<&str> = even.iter().map(|e| e.date.as_str()).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted, "ordered by the index sort key");

    // LSI: same partition, sorted by size; it projects only `name`, so read a projection.
    let by_size: Vec<EventName> = repo
        .query_index(indexes.by_size, "s")
        .sort_key(|k| k.ge(50))
        .descending()
        .project::<EventName>()
        .all()
        .await
        .unwrap();
    assert_eq!(
        by_size.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![11, 10, 9, 8, 7, 6, 5]
    );
    assert_eq!(by_size[0].name, "event 11");

    // Keys-only GSI into a projection of keys.
    let owned: Vec<EventKeys> = repo
        .query_index(indexes.by_owner, "owner-1")
        .project::<EventKeys>()
        .all()
        .await
        .unwrap();
    let mut got: Vec<u64> = owned
        .iter()
        .filter(|e| e.stream == "s")
        .map(|e| e.seq)
        .collect();
    got.sort();
    assert_eq!(got, vec![1, 4, 7, 10]);
}

#[tokio::test]
async fn an_index_that_cannot_hold_the_rows_is_refused_before_sending() {
    let repo = seeded(4).await;
    let indexes = Event::indexes();
    // Reading `indexes.by_owner` (keys only) as whole events does not compile
    // (tests/ui/index_projection.rs); projections, raw maps and counts of it do.
    // owner-1: s/1 and other/1.
    let count = repo
        .query_index(indexes.by_owner, "owner-1")
        .count()
        .await
        .unwrap();
    let keys = repo
        .query_index(indexes.by_owner, "owner-1")
        .project::<EventKeys>()
        .all()
        .await
        .unwrap();
    assert_eq!((count, keys.len()), (2, 2));
    let f = Event::fields();
    let raw = repo
        .scan_index(indexes.by_owner)
        .project_raw([f.owner.untyped()])
        .per_row_errors()
        .all()
        .await
        .unwrap();
    assert!(
        !raw.is_empty()
            && raw
                .iter()
                .all(|r| r.as_ref().is_ok_and(|i| i.contains_key("owner")))
    );
    // A handle made at run time from the schema, whose projection the
    // compiler does not know, is still refused before sending.
    let by_owner = Event::SCHEMA
        .indexes
        .iter()
        .find(|i| i.name == "by-owner")
        .unwrap();
    let untyped: dynamo_repo::Index<Event, String, dynamo_repo::NoSortKey> =
        dynamo_repo::Index::new(by_owner);
    let err = repo
        .query_index(untyped, "owner-1")
        .all()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().unwrap().kind,
        ValidationErrorKind::InvalidIndex,
        "{err}"
    );
    let err = repo.scan_index(untyped).all().await.unwrap_err();
    assert_eq!(
        err.as_validation().unwrap().kind,
        ValidationErrorKind::InvalidIndex,
        "{err}"
    );
    let err = repo
        .query_index(indexes.by_size, "s")
        .project::<EventKeys>()
        .all()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not hold the attribute `owner`"),
        "{err}"
    );
    let err = repo
        .query_index(indexes.by_status, "odd")
        .consistent_read(true)
        .all()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("consistent reads"), "{err}");
}

#[tokio::test]
async fn projections_decode_only_what_was_asked() {
    let repo = seeded(3).await;
    let names: Vec<EventName> = repo.query("s").project::<EventName>().all().await.unwrap();
    assert_eq!(
        names,
        (0..3)
            .map(|seq| EventName {
                seq,
                name: format!("event {seq}")
            })
            .collect::<Vec<_>>()
    );
    let f = Event::fields();
    let raw = repo
        .query("s")
        .project_raw([f.status.untyped()])
        .first()
        .await
        .unwrap()
        .unwrap();
    let mut keys: Vec<&str> = raw.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["seq", "status", "stream"],
        "the keys always come along for cursors"
    );
}
