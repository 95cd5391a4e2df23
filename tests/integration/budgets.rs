//! Read budgets (issue 16): a query or scan bounded by requests, items
//! evaluated or read capacity stops at the bound with the rows it read,
//! `BudgetReached` and a cursor that resumes where it stopped. The
//! `RequestRecorder` counts the requests and reads each response's
//! capacity, independently of the library's own accounting.

use dynamo_repo::{BudgetKind, Client, CursorKey, ReadBudget, Repository};
use dynamo_repo_testkit::{RecordedRequest, RequestRecorder};
use dynamo_repo_tests::models::Order;
use dynamo_repo_tests::unique_table;

/// Where the one matching row of the rare-filter table is.
const NEEDLE: usize = 7_321;

fn order(i: usize, total: f64, pad: usize) -> Order {
    Order {
        customer: "p".into(),
        id: format!("o-{i:05}"),
        total,
        note: (pad > 0).then(|| "x".repeat(pad)),
    }
}

/// `n` orders in partition `p`, all with a positive total but the
/// `needle`th (if any), whose total is -1.
async fn seeded(client: &Client, n: usize, needle: Option<usize>, pad: usize) -> Repository<Order> {
    let repo = client
        .repository::<Order>()
        .with_table_name(unique_table("budgets"));
    repo.create_table().await.unwrap();
    let items: Vec<Order> = (0..n)
        .map(|i| {
            order(
                i,
                if Some(i) == needle {
                    -1.0
                } else {
                    1.0 + i as f64
                },
                pad,
            )
        })
        .collect();
    repo.batch_put(&items).await.unwrap();
    repo
}

fn queries(requests: &[RecordedRequest]) -> usize {
    requests.iter().filter(|r| r.operation == "Query").count()
}

#[tokio::test]
async fn a_rare_filter_under_a_five_page_budget_stops_after_five_requests_and_resumes_to_its_row() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap();
    let repo = seeded(&client, 10_000, Some(NEEDLE), 0).await;
    let f = Order::fields();
    let rare = || repo.query("p").filter(f.total.lt(0.0)).page_size(100);
    let five = ReadBudget::new().max_pages(5);
    recorder.take();

    // fill_page: 5 requests of 100 items evaluated, no row, a cursor.
    let page = rare().budget(five).fill_page(1).await.unwrap();
    assert_eq!(queries(&recorder.take()), 5, "exactly 5 requests");
    assert!(page.items.is_empty());
    let reached = page.budget_reached.clone().expect("the budget stopped it");
    assert_eq!(reached.which, BudgetKind::Pages);
    assert_eq!((reached.pages, reached.items_evaluated), (5, 500));
    assert_eq!(reached.read_capacity, None, "no capacity asked");
    assert_eq!(page.capacity, None);

    // Resume from each cursor under a new budget until the row is found:
    // every call sends at most 5 requests, and no page is read twice.
    let mut cursor = page.cursor.expect("a cursor to continue");
    let mut requests = 5;
    let found = loop {
        let page = rare()
            .start_from(cursor.clone())
            .budget(five)
            .fill_page(1)
            .await
            .unwrap();
        let sent = queries(&recorder.take());
        assert!((1..=5).contains(&sent), "{sent} requests in one call");
        requests += sent;
        if let Some(row) = page.items.into_iter().next() {
            assert_eq!(page.budget_reached, None, "found before the bound");
            break row;
        }
        assert_eq!(
            page.budget_reached.map(|r| r.which),
            Some(BudgetKind::Pages)
        );
        cursor = page.cursor.expect("more to read");
    };
    assert_eq!(found.id, format!("o-{NEEDLE:05}"));
    assert_eq!(found.total, -1.0);
    assert_eq!(requests, NEEDLE / 100 + 1, "each page of 100 read once");

    // all(), first() and page() keep to the same budget.
    let all = rare().budget(five).all().await.unwrap();
    assert_eq!(queries(&recorder.take()), 5);
    assert!(all.value.is_empty() && !all.is_complete() && all.cursor.is_some());
    let first = rare().budget(five).first().await.unwrap();
    assert_eq!(queries(&recorder.take()), 5);
    assert_eq!(first.value, None, "not found yet");
    assert_eq!(
        first.budget_reached.map(|r| r.which),
        Some(BudgetKind::Pages)
    );
    let one = rare().budget(five).page().await.unwrap();
    assert_eq!(
        queries(&recorder.take()),
        5,
        "page() follows empty pages only 5 times"
    );
    assert!(one.items.is_empty() && one.budget_reached.is_some());

    // all() resumed from its cursor with a budget large enough: the row,
    // and the results end (no cursor, complete).
    let rest = rare()
        .start_from(all.cursor.unwrap())
        .budget(ReadBudget::new().max_pages(200))
        .all()
        .await
        .unwrap();
    assert!(rest.is_complete());
    assert_eq!(rest.cursor, None);
    assert_eq!(
        rest.value.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        [format!("o-{NEEDLE:05}")]
    );
    // The other 95 pages, and one more: the 100th page ends exactly at
    // `Limit`, so DynamoDB returns a LastEvaluatedKey to an empty page.
    assert_eq!(queries(&recorder.take()), 100 - 5 + 1);

    // A count under a budget: the counted part and a cursor continuing it.
    let mut counted = 0;
    let mut calls = 0;
    let mut start: Option<String> = None;
    loop {
        let mut q = repo.query("p").page_size(1_000);
        if let Some(c) = start.take() {
            q = q.start_from(c);
        }
        let part = q
            .budget(ReadBudget::new().max_pages(3))
            .count()
            .await
            .unwrap();
        calls += 1;
        counted += part.value;
        match part.cursor {
            Some(c) if part.budget_reached.is_some() => start = Some(c),
            _ => break,
        }
    }
    assert_eq!(counted, 10_000, "every item counted once");
    assert_eq!(calls, 4, "10 pages of 1,000 in calls of at most 3");
    recorder.take();

    // A scan keeps to its budget too.
    let scan = repo
        .scan()
        .filter(f.total.lt(0.0))
        .page_size(100)
        .budget(five)
        .fill_page(1)
        .await
        .unwrap();
    let requests = recorder.take();
    assert_eq!(requests.iter().filter(|r| r.operation == "Scan").count(), 5);
    assert_eq!(scan.budget_reached.map(|r| r.items_evaluated), Some(500));

    // Without a budget the same fill_page reads until it finds the row.
    let page = rare().fill_page(1).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.budget_reached, None);
    assert_eq!(queries(&recorder.take()), NEEDLE / 100 + 1);
}

#[tokio::test]
async fn an_items_evaluated_budget_stops_exactly_at_its_bound() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap();
    let repo = seeded(&client, 1_000, None, 0).await;
    let budget = ReadBudget::new().max_items_evaluated(300);
    recorder.take();

    // Pages of 64: 64 + 64 + 64 + 64 + 44 (the last Limit cut to what is left).
    let page = repo
        .query("p")
        .page_size(64)
        .budget(budget)
        .fill_page(1_000)
        .await
        .unwrap();
    assert_eq!(queries(&recorder.take()), 5);
    assert_eq!(page.items.len(), 300, "exactly the items the budget allows");
    let reached = page.budget_reached.expect("stopped by the budget");
    assert_eq!(reached.which, BudgetKind::ItemsEvaluated);
    assert_eq!(reached.items_evaluated, 300);
    assert_eq!(page.items.last().map(|o| o.id.as_str()), Some("o-00299"));

    // With a filter that keeps the rows from 150 on: 300 evaluated, 150
    // returned, and the cursor resumes at item 300.
    let f = Order::fields();
    let even = || repo.query("p").filter(f.total.gt(150.0)).page_size(64);
    let all = even().budget(budget).all().await.unwrap();
    assert_eq!(all.value.len(), 150);
    assert_eq!(all.value.first().map(|o| o.id.as_str()), Some("o-00150"));
    assert_eq!(
        all.budget_reached.as_ref().map(|r| r.items_evaluated),
        Some(300)
    );
    let next = even()
        .start_from(all.cursor.unwrap())
        .budget(ReadBudget::new().max_items_evaluated(10))
        .all()
        .await
        .unwrap();
    let ids: Vec<&str> = next.value.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids.first(), Some(&"o-00300"));
    assert_eq!(ids.len(), 10);
    recorder.take();

    // A count under an item budget: never more than the bound per call.
    let part = repo
        .query("p")
        .budget(ReadBudget::new().max_items_evaluated(250))
        .count()
        .await
        .unwrap();
    assert_eq!(part.value, 250);
    assert_eq!(queries(&recorder.take()), 1, "one request with Limit 250");
    let rest = repo
        .query("p")
        .start_from(part.cursor.unwrap())
        .budget(ReadBudget::new().max_items_evaluated(10_000))
        .count()
        .await
        .unwrap();
    assert_eq!(rest.value, 750);
    assert!(rest.is_complete());
}

#[tokio::test]
async fn a_read_capacity_budget_stops_within_one_page_of_its_bound() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap();
    // ~3 KB items, 10 a page: each page costs a few RCU.
    let repo = seeded(&client, 400, None, 3_000).await;
    recorder.take();
    let bound = 20.0;

    let page = repo
        .query("p")
        .page_size(10)
        .budget(ReadBudget::new().max_read_capacity(bound))
        .fill_page(400)
        .await
        .unwrap();
    let requests = recorder.take();
    let reached = page.budget_reached.expect("stopped by the budget");
    assert_eq!(reached.which, BudgetKind::ReadCapacity);
    let per_request: Vec<f64> = requests
        .iter()
        .map(|r| {
            assert_eq!(
                r.return_consumed_capacity.as_deref(),
                Some("TOTAL"),
                "{r:?}"
            );
            r.consumed_capacity.expect("the response reports capacity")
        })
        .collect();
    let sum: f64 = per_request.iter().sum();
    let before_last: f64 = per_request[..per_request.len() - 1].iter().sum();
    assert!(sum >= bound, "stopped at the bound: {per_request:?}");
    assert!(before_last < bound, "not a page later: {per_request:?}");
    assert_eq!(reached.read_capacity, Some(sum));
    assert_eq!(page.capacity.map(|c| c.total()), Some(sum));
    assert_eq!(page.items.len(), 10 * per_request.len());
    assert_eq!(reached.pages as usize, per_request.len());

    // The cursor resumes right after: the next rows, under a new budget.
    let next = repo
        .query("p")
        .page_size(10)
        .start_from(page.cursor.unwrap())
        .budget(ReadBudget::new().max_read_capacity(bound))
        .fill_page(400)
        .await
        .unwrap();
    assert_eq!(
        next.items.first().map(|o| o.id.clone()),
        Some(format!("o-{:05}", 10 * per_request.len()))
    );
    recorder.take();

    // Capacity is asked only under a capacity bound.
    repo.query("p")
        .page_size(10)
        .budget(ReadBudget::new().max_pages(2))
        .fill_page(400)
        .await
        .unwrap();
    for r in recorder.take() {
        assert_eq!(r.return_consumed_capacity, None, "{r:?}");
    }
}

#[tokio::test]
async fn a_budget_stop_cursor_under_a_signing_key_shows_no_key_the_caller_did_not_receive() {
    let recorder = RequestRecorder::new();
    let client = recorder
        .client()
        .unwrap()
        .with_cursor_key(CursorKey::signing([7; 32]).unwrap());
    let repo = seeded(&client, 300, Some(250), 0).await;
    let f = Order::fields();
    let rare = || repo.query("p").filter(f.total.lt(0.0)).page_size(50);

    let page = rare()
        .budget(ReadBudget::new().max_pages(2))
        .fill_page(1)
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.budget_reached.is_some());
    let cursor = page.cursor.unwrap();
    // A signed cursor holds the key text of the last row returned ...
    let plain = repo.query("p").fill_page(5).await.unwrap();
    let bytes = base64_url_decode(plain.cursor.as_deref().unwrap());
    assert!(bytes.windows(7).any(|w| w == b"o-00004"), "readable");
    // ... but a budget stop's cursor, after a row the filter removed, is encrypted.
    let bytes = base64_url_decode(&cursor);
    assert!(
        !bytes.windows(7).any(|w| w == b"o-00099"),
        "the last key evaluated is not readable"
    );
    let found = rare()
        .start_from(cursor)
        .budget(ReadBudget::new().max_pages(10))
        .first()
        .await
        .unwrap();
    assert_eq!(found.value.map(|o| o.id), Some("o-00250".to_owned()));

    // A budget of no requests is refused before sending.
    recorder.take();
    let err = rare()
        .budget(ReadBudget::new().max_pages(0))
        .all()
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    let err = repo
        .scan()
        .segments(2)
        .budget(ReadBudget::new().max_pages(3))
        .all()
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    assert!(recorder.take().is_empty(), "nothing sent");
}

/// URL-safe base64 without padding, decoded (the cursor's text form).
fn base64_url_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c}"),
        }
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes() {
        acc = (acc << 6) | value(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
