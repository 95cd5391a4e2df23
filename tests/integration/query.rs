//! Queries, scans, indexes, projections and pagination against DynamoDB Local.

use dynamo_repo::expr::{AttributeType, PathElement};
use dynamo_repo::{Condition, CursorKey, Entity, Error, Projection, ValidationErrorKind};
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

fn event(stream: &str, seq: u64) -> Event {
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

async fn seeded(n: u64) -> dynamo_repo::Repository<Event> {
    let repo = fresh_repository::<Event>().await;
    for seq in 0..n {
        repo.put(&event("s", seq)).await.unwrap();
    }
    repo.put(&event("other", 1)).await.unwrap();
    repo
}

fn seqs(events: &[Event]) -> Vec<u64> {
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

#[tokio::test]
async fn filtered_limited_pages_can_be_empty_and_everything_still_arrives() {
    let repo = seeded(30).await;
    let f = Event::fields();
    // Only the last two items match; pages of 4 read before filtering.
    let late = || repo.query("s").filter(f.size.ge(280)).page_size(4);
    // With encrypted cursors a page is one request, which can come back
    // empty, with a cursor to follow.
    let key = CursorKey::encrypting([7u8; 32]).unwrap();
    let first_page = late().cursor_key(key.clone()).page().await.unwrap();
    assert!(
        first_page.items.is_empty(),
        "the first page is empty after the filter"
    );
    assert!(first_page.has_more(), "...but says more may follow");
    let mut cursor = first_page.cursor;
    let mut followed = Vec::new();
    while let Some(c) = cursor.take() {
        let page = late()
            .cursor_key(key.clone())
            .start_from(c)
            .page()
            .await
            .unwrap();
        followed.extend(seqs(&page.items));
        cursor = page.cursor;
    }
    assert_eq!(followed, vec![28, 29]);
    // A readable cursor never holds a row the filter removed, so without a
    // key the page reads on to the first rows that match.
    let readable = late().page().await.unwrap();
    assert_eq!(seqs(&readable.items), vec![28, 29]);
    assert!(!readable.has_more());
    assert_eq!(seqs(&late().all().await.unwrap()), vec![28, 29]);
    let streamed: Vec<Event> = late().stream().try_collect().await.unwrap();
    assert_eq!(seqs(&streamed), vec![28, 29]);
    assert_eq!(late().first().await.unwrap().unwrap().seq, 28);

    // fill_page collects matching rows across pages; its cursor resumes right after.
    let odd = || repo.query("s").filter(f.status.eq("odd")).page_size(3);
    let page = odd().fill_page(4).await.unwrap();
    assert_eq!(seqs(&page.items), vec![1, 3, 5, 7]);
    let rest = odd()
        .start_from(page.cursor.unwrap())
        .fill_page(100)
        .await
        .unwrap();
    assert_eq!(seqs(&rest.items), (9..30).step_by(2).collect::<Vec<_>>());
    assert!(rest.cursor.is_none());
}

#[tokio::test]
async fn results_ending_exactly_at_the_limit_leave_a_cursor_to_an_empty_page() {
    let repo = seeded(4).await;
    let page = repo.query("s").limit(4).page().await.unwrap();
    assert_eq!(page.items.len(), 4);
    // DynamoDB returns a LastEvaluatedKey here; the page says more *may* exist.
    let cursor = page.cursor.expect("a cursor at an exact limit");
    let next = repo.query("s").start_from(cursor).page().await.unwrap();
    assert!(next.items.is_empty());
    assert!(!next.has_more());
}

#[tokio::test]
async fn paging_with_cursors_visits_every_item_once() {
    let repo = seeded(23).await;
    let mut cursor = None;
    let mut seen = Vec::new();
    loop {
        let mut q = repo.query("s").limit(5);
        if let Some(c) = cursor.take() {
            q = q.start_from(c);
        }
        let page = q.page().await.unwrap();
        seen.extend(seqs(&page.items));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, (0..23).collect::<Vec<_>>());
}

#[tokio::test]
async fn tampered_truncated_and_foreign_cursors_are_validation_errors() {
    let repo = seeded(6).await;
    let cursor = repo
        .query("s")
        .limit(2)
        .page()
        .await
        .unwrap()
        .cursor
        .unwrap();
    let mut tampered = cursor.clone().into_bytes();
    tampered[cursor.len() / 2] = if tampered[cursor.len() / 2] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let bad = [
        String::from_utf8(tampered).unwrap(),
        cursor[..cursor.len() - 3].to_string(),
        "not a cursor!".to_string(),
        String::new(),
    ];
    for c in bad {
        let err = repo
            .query("s")
            .start_from(c.clone())
            .page()
            .await
            .unwrap_err();
        assert_eq!(
            err.as_validation().map(|v| v.kind),
            Some(ValidationErrorKind::InvalidCursor),
            "{c:?}: {err}"
        );
    }
    // A cursor of the GSI is foreign to the table query, and the reverse.
    let index_cursor = repo
        .query_index(Event::indexes().by_status, "even")
        .limit(1)
        .page()
        .await
        .unwrap()
        .cursor
        .unwrap();
    let err = repo
        .query("s")
        .start_from(index_cursor)
        .page()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another query"), "{err}");
    let err = repo
        .query_index(Event::indexes().by_status, "even")
        .start_from(cursor.clone())
        .page()
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    // Another table's cursor.
    let other = seeded(3).await;
    let err = other
        .query("s")
        .start_from(cursor)
        .page()
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
}

#[tokio::test]
async fn parallel_scan_over_4_segments_returns_every_item_once() {
    let repo = fresh_repository::<Event>().await;
    for stream in 0..5 {
        for seq in 0..21 {
            repo.put(&event(&format!("s{stream}"), seq)).await.unwrap();
        }
    }
    let mut all: Vec<(String, u64)> = repo
        .scan()
        .segments(4)
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.stream, e.seq))
        .collect();
    assert_eq!(all.len(), 105);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 105, "no duplicates across segments");
    assert_eq!(repo.scan().count().await.unwrap(), 105);
    let filtered = repo
        .scan()
        .segments(4)
        .filter(Event::fields().size.eq(200))
        .all()
        .await
        .unwrap();
    assert_eq!(filtered.len(), 5);
    let err = repo.scan().segments(4).page().await.unwrap_err();
    assert!(err.is_validation());
    // A plain scan pages with cursors too.
    let page = repo.scan().limit(100).page().await.unwrap();
    let rest = repo
        .scan()
        .start_from(page.cursor.unwrap())
        .all()
        .await
        .unwrap();
    assert_eq!(page.items.len() + rest.len(), 105);
}

#[tokio::test]
async fn requests_can_be_shown_without_sending() {
    let repo = dynamo_repo_tests::client()
        .repository::<Event>()
        .with_table_name("never-created");
    let f = Event::fields();
    let request = repo
        .query("s")
        .sort_key(|k| k.gt(3))
        .filter(f.status.eq("odd"))
        .descending()
        .to_request()
        .unwrap();
    let input = request.as_input();
    assert_eq!(
        input.get_key_condition_expression().as_deref(),
        Some("#k0 = :k0 AND #k1 > :k1")
    );
    assert_eq!(input.get_filter_expression().as_deref(), Some("#f2 = :f2"));
    assert_eq!(input.get_scan_index_forward(), &Some(false));
    let names = input.get_expression_attribute_names().as_ref().unwrap();
    assert_eq!(names["#f2"], "status");
    let scan = repo.scan().filter(f.size.gt(1)).to_request().unwrap();
    assert_eq!(
        scan.as_input().get_filter_expression().as_deref(),
        Some("#f0 > :f0")
    );
}

#[tokio::test]
async fn expression_limits_are_checked_before_sending() {
    let repo = dynamo_repo_tests::client()
        .repository::<Event>()
        .with_table_name("never-created");
    let f = Event::fields();
    let too_many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let err = repo
        .query("s")
        .filter(f.name.is_in(too_many))
        .all()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_validation().unwrap().kind,
        ValidationErrorKind::ExpressionTooLarge
    );
    assert!(err.to_string().contains("IN takes 1 to 100"), "{err}");
    let hundred: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let err = repo
        .query("s")
        .filter(f.name.is_in(hundred))
        .all()
        .await
        .unwrap_err();
    assert!(
        err.is_resource_not_found(),
        "100 operands are allowed and the request is sent: {err}"
    );
    // 151 comparisons joined by 150 ANDs: 301 operators in about 2.6 KB.
    let ops = Condition::all((0..151).map(|i| f.size.ne(i)));
    let err = repo.query("s").filter(ops).all().await.unwrap_err();
    assert!(err.to_string().contains("operators"), "{err}");
    // 40 functions on a 30-level path: about 4.8 KB of expression text, only 79 operators.
    let deep = || {
        dynamo_repo::Path::<Event, String>::from_elements(
            (0..30)
                .map(|i| PathElement::Attribute(format!("a{i}").into()))
                .collect(),
        )
    };
    let long = Condition::any((0..40).map(|_| deep().exists()));
    let err = repo.query("s").filter(long).all().await.unwrap_err();
    assert!(err.to_string().contains("bytes"), "{err}");
    let err = repo
        .query("s")
        .filter(Condition::any(Vec::<Condition<Event>>::new()))
        .all()
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    let err = repo.query("").all().await.unwrap_err();
    assert_eq!(
        err.as_validation().unwrap().kind,
        ValidationErrorKind::EmptyKey
    );
    // DynamoDB refuses key attributes in a query's filter: caught before sending.
    let err = repo.query("s").filter(f.seq.gt(1)).all().await.unwrap_err();
    let v = err.as_validation().unwrap();
    assert_eq!(
        (v.kind, v.attribute.as_deref()),
        (ValidationErrorKind::KeyInFilter, Some("seq")),
        "{err}"
    );
}

#[tokio::test]
async fn errors_from_queries_keep_their_types() {
    let repo = dynamo_repo_tests::client()
        .repository::<Event>()
        .with_table_name("never-created");
    let err = repo.query("s").all().await.unwrap_err();
    assert!(
        matches!(err, Error::Service { .. }) && err.is_resource_not_found(),
        "{err:?}"
    );
}

/// Observed: a decode error said `cannot decode Bookmark attribute 'title':
/// expected S, found N` without the item's key, and one bad item failed a
/// whole `query().all()`.
#[tokio::test]
async fn decode_errors_name_the_item_key_and_per_row_errors_keep_the_good_rows() {
    #[derive(dynamo_repo::Entity, Debug, Clone, PartialEq)]
    #[dynamo(table = "bookmarks")]
    struct Bookmark {
        #[dynamo(partition_key)]
        user: String,
        #[dynamo(sort_key)]
        id: String,
        title: String,
    }
    let repo = fresh_repository::<Bookmark>().await;
    for id in ["a", "c"] {
        repo.put(&Bookmark {
            user: "u".into(),
            id: id.into(),
            title: "t".into(),
        })
        .await
        .unwrap();
    }
    // Another writer stored `title` as a number.
    use dynamo_repo::sdk::types::AttributeValue as V;
    repo.client()
        .sdk()
        .put_item()
        .table_name(repo.table_name())
        .item("user", V::S("u".into()))
        .item("id", V::S("b".into()))
        .item("title", V::N("7".into()))
        .send()
        .await
        .unwrap();

    let err = repo.query("u").all().await.unwrap_err();
    let decode = err.as_decode().expect("a decode error");
    let key = decode.key().expect("the error names the item");
    assert_eq!(key.get("id"), Some(&V::S("b".into())));
    assert_eq!(key.get("user"), Some(&V::S("u".into())));
    let text = err.to_string();
    assert!(
        text.contains("Bookmark {id: S(1 bytes), user: S(1 bytes)}"),
        "{text}"
    );
    assert!(text.contains("`title`"), "{text}");
    let err = repo.get(Bookmark::key("u", "b")).await.unwrap_err();
    assert!(err.as_decode().and_then(|d| d.key()).is_some(), "{err}");

    let rows = repo.query("u").per_row_errors().all().await.unwrap();
    assert_eq!(rows.len(), 3);
    let good: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|b| b.id.as_str())
        .collect();
    assert_eq!(good, ["a", "c"]);
    let bad = rows[1].as_ref().unwrap_err();
    assert_eq!(
        bad.as_decode()
            .and_then(|d| d.key())
            .and_then(|k| k.get("id")),
        Some(&V::S("b".into()))
    );
    let scanned = repo.scan().per_row_errors().all().await.unwrap();
    assert_eq!(scanned.iter().filter(|r| r.is_err()).count(), 1);
    assert_eq!(scanned.iter().filter(|r| r.is_ok()).count(), 2);
}
