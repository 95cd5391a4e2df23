//! Pagination, cursors, parallel scans, requests shown without sending,
//! expression limits and query errors against the server (the models are in
//! `query`).

use super::query::{event, seeded, seqs, Event};
use dynamo_repo::expr::PathElement;
use dynamo_repo::{Condition, CursorKey, Error, ValidationErrorKind};
use dynamo_repo_tests::fresh_repository;
use futures::TryStreamExt;

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
    // One item per page: `all()` asks for the next page before decoding
    // the current one, so page "c" is read while "b" fails; the decode
    // error still wins, and with per-row errors every row arrives in order.
    let err = repo.query("u").page_size(1).all().await.unwrap_err();
    assert_eq!(
        err.as_decode()
            .and_then(|d| d.key())
            .and_then(|k| k.get("id")),
        Some(&V::S("b".into()))
    );
    let rows = repo
        .query("u")
        .page_size(1)
        .per_row_errors()
        .all()
        .await
        .unwrap();
    let oks: Vec<bool> = rows.iter().map(Result::is_ok).collect();
    assert_eq!(oks, [true, false, true]);
    let scanned = repo.scan().per_row_errors().all().await.unwrap();
    assert_eq!(scanned.iter().filter(|r| r.is_err()).count(), 1);
    assert_eq!(scanned.iter().filter(|r| r.is_ok()).count(), 2);
}
