//! Cursors, pages and scans under hostile or careless input (issue 11,
//! sections 3, 4 and 6), without a cursor key: what a cursor may hold, a
//! cursor of another partition, `fill_page(0)`, segment counts, and typed
//! projections over a mixed single-table partition.

use dynamo_repo::value::DecodeErrorKind;
use dynamo_repo::{Entity, Projection, Repository, ValidationErrorKind};
use dynamo_repo_testkit::RequestRecorder;
use dynamo_repo_tests::{fresh_repository, unique_table};
use futures::TryStreamExt;

/// Documents of a tenant; some are hidden from the caller by a filter.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "docs", gsi(name = "by_owner", partition_key = owner))]
pub struct Doc {
    #[dynamo(partition_key)]
    pub tenant: String,
    #[dynamo(sort_key)]
    pub id: String,
    pub owner: String,
    pub visible: bool,
    pub n: u64,
}

pub const HIDDEN: &str = "a2-HIDDEN-salary-review";

pub fn doc(tenant: &str, id: &str, visible: bool, n: u64) -> Doc {
    Doc {
        tenant: tenant.into(),
        id: id.into(),
        owner: format!("owner-of-{tenant}"),
        visible,
        n,
    }
}

/// Tenant `t1`: `a1` (visible), the hidden review, `a3`, `a4` (visible);
/// tenant `t2`: three visible documents.
pub async fn seed_docs(repo: &Repository<Doc>) {
    for d in [
        doc("t1", "a1", true, 1),
        doc("t1", HIDDEN, false, 2),
        doc("t1", "a3", true, 3),
        doc("t1", "a4", true, 4),
        doc("t2", "b1", true, 5),
        doc("t2", "b2", true, 6),
        doc("t2", "b3", true, 7),
    ] {
        repo.put(&d).await.unwrap();
    }
}

/// The raw bytes of a cursor (URL-safe base64 without padding), as anyone
/// holding it can read them.
pub fn cursor_bytes(cursor: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut held = 0;
    let mut out = Vec::new();
    for c in cursor.bytes() {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c)
            .unwrap_or_else(|| panic!("{c:?} is not base64url")) as u32;
        bits = (bits << 6) | v;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn ids(docs: &[Doc]) -> Vec<&str> {
    docs.iter().map(|d| d.id.as_str()).collect()
}

/// Observed: a page that returned only `a1` gave a cursor holding the key of
/// the row the filter removed (`a2-HIDDEN-salary-review`).
#[tokio::test]
async fn a_filtered_page_cursor_never_holds_the_key_of_a_row_the_filter_removed() {
    let repo = fresh_repository::<Doc>().await;
    seed_docs(&repo).await;
    let f = Doc::fields();
    let visible = || repo.query("t1").filter(f.visible.eq(true)).page_size(2);

    let page = visible().page().await.unwrap();
    assert_eq!(ids(&page.items), ["a1"]);
    let cursor = page.cursor.expect("more rows follow");
    let bytes = cursor_bytes(&cursor);
    assert!(
        !contains(&bytes, HIDDEN) && !contains(&bytes, "HIDDEN"),
        "the cursor shows the filtered-out row: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    // Nor does it name the table, index or entity.
    for name in [repo.table_name(), "Doc", "by_owner"] {
        assert!(!contains(&bytes, name), "the cursor names `{name}`");
    }

    // Following the cursors still returns every visible row exactly once.
    let mut seen = ids(&page.items)
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let mut next = Some(cursor);
    while let Some(c) = next.take() {
        let page = visible().start_from(c).page().await.unwrap();
        seen.extend(page.items.iter().map(|d| d.id.clone()));
        if let Some(c) = &page.cursor {
            assert!(!contains(&cursor_bytes(c), HIDDEN));
        }
        next = page.cursor;
    }
    assert_eq!(seen, ["a1", "a3", "a4"]);

    // The same holds for a filtered scan.
    let scan = repo
        .scan()
        .filter(f.visible.eq(true))
        .page_size(1)
        .page()
        .await
        .unwrap();
    if let Some(c) = &scan.cursor {
        assert!(!contains(&cursor_bytes(c), HIDDEN));
    }
    assert!(
        !scan.items.is_empty(),
        "a readable page reads on to a match"
    );
}

/// Observed: a cursor whose partition is not the query's was sent, and
/// DynamoDB's `ValidationException` came back as a `Service` error.
#[tokio::test]
async fn a_cursor_of_another_partition_is_refused_before_sending() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap();
    let repo = client
        .repository::<Doc>()
        .with_table_name(unique_table("docs"));
    repo.create_table().await.unwrap();
    seed_docs(&repo).await;
    let other = repo
        .query("t2")
        .limit(1)
        .page()
        .await
        .unwrap()
        .cursor
        .expect("t2 has more rows");
    recorder.take();

    let err = repo.query("t1").start_from(other).all().await.unwrap_err();
    let validation = err.as_validation().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(validation.kind, ValidationErrorKind::InvalidCursor, "{err}");
    assert_eq!(validation.entity, Some("Doc"));
    assert_eq!(validation.attribute.as_deref(), Some("tenant"));
    assert!(
        recorder.requests().is_empty(),
        "nothing may be sent: {:?}",
        recorder.requests()
    );
    assert!(!err.to_string().contains("t2"), "no key value in {err}");
}

/// Observed: `page_size(20).fill_page(0)` returned no rows and a cursor that
/// skipped the first page (resuming returned 40 of 60 rows).
#[tokio::test]
async fn fill_page_zero_is_refused_rather_than_skipping_a_page() {
    let recorder = RequestRecorder::new();
    let client = recorder.client().unwrap();
    let repo = client
        .repository::<Doc>()
        .with_table_name(unique_table("docs"));
    repo.create_table().await.unwrap();
    for i in 0..60 {
        repo.put(&doc("t", &format!("d{i:02}"), true, i))
            .await
            .unwrap();
    }
    recorder.take();

    let result = repo.query("t").page_size(20).fill_page(0).await;
    let err = match result {
        Err(err) => err,
        Ok(page) => {
            // What used to happen: resuming from this cursor lost rows.
            let rest = match page.cursor {
                Some(c) => repo.query("t").start_from(c).all().await.unwrap().len(),
                None => 0,
            };
            panic!(
                "fill_page(0) returned {} rows and a cursor resuming at {rest} of 60 rows",
                page.items.len()
            );
        }
    };
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::OutOfRange),
        "{err}"
    );
    assert!(recorder.requests().is_empty(), "refused before sending");

    // fill_page(n >= 1) pages through all 60 rows exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = repo.query("t").page_size(20);
        if let Some(c) = cursor.take() {
            q = q.start_from(c);
        }
        let page = q.fill_page(7).await.unwrap();
        seen.extend(page.items.into_iter().map(|d| d.n));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, (0..60).collect::<Vec<_>>());
    // page_size(0) is refused too, rather than sent as Limit=0.
    let err = repo.query("t").page_size(0).all().await.unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::OutOfRange)
    );
    // And limit(0), on queries and scans alike (issue 12), naming the entity.
    for err in [
        repo.query("t").limit(0).all().await.unwrap_err(),
        repo.scan().limit(0).all().await.unwrap_err(),
        repo.scan().page_size(0).all().await.unwrap_err(),
    ] {
        let v = err.as_validation().expect("refused before sending");
        assert_eq!(v.kind, ValidationErrorKind::OutOfRange, "{v}");
        assert_eq!(v.entity, Some("Doc"));
    }
}

/// Observed: `scan().segments(u32::MAX)` returned `Ok` with no rows (the
/// count went negative as an `i32`).
#[tokio::test]
async fn scan_segments_beyond_dynamodb_maximum_are_refused() {
    let repo = fresh_repository::<Doc>().await;
    seed_docs(&repo).await;
    for n in [u32::MAX, 1_000_001, i32::MAX as u32 + 1] {
        let err = repo.scan().segments(n).all().await.map(|rows| rows.len());
        let err = err.expect_err("more than 1,000,000 segments must be refused");
        let validation = err.as_validation().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(validation.kind, ValidationErrorKind::OutOfRange, "{err}");
        assert_eq!(validation.entity, Some("Doc"));
        let streamed: Result<Vec<Doc>, _> = repo.scan().segments(n).stream().try_collect().await;
        assert!(streamed.unwrap_err().is_validation());
        assert!(repo.scan().segments(n).to_request().is_err());
    }
    // Many segments (more than are read at once) still return each item once.
    let mut all = repo.scan().segments(40).all().await.unwrap();
    all.sort_by_key(|d| d.n);
    assert_eq!(
        all.iter().map(|d| d.n).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<_>>()
    );
}

/// An org and its users in one partition (single-table design).
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "tenants", entity = "org", pk = "ORG#{org_id}", sk = "ORG")]
pub struct Org {
    pub org_id: String,
    pub name: String,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "tenants",
    entity = "user",
    pk = "ORG#{org_id}",
    sk = "USER#{user_id}"
)]
pub struct User {
    pub org_id: String,
    pub user_id: String,
    pub name: String,
}

#[derive(Projection, Debug, Clone, PartialEq)]
#[dynamo(entity = User)]
pub struct UserName {
    pub name: String,
}

/// Observed: `query(pk).project::<UserName>()` returned the org record as a
/// user. Now the projection reads the type attribute and an org is a typed
/// error naming both types, as it is when reading whole users.
#[tokio::test]
async fn a_projection_over_a_mixed_partition_refuses_an_item_of_another_type() {
    let users = fresh_repository::<User>().await;
    let orgs = users
        .client()
        .repository::<Org>()
        .with_table_name(users.table_name());
    orgs.put(&Org {
        org_id: "acme".into(),
        name: "Acme".into(),
    })
    .await
    .unwrap();
    users
        .put(&User {
            org_id: "acme".into(),
            user_id: "u1".into(),
            name: "Ada".into(),
        })
        .await
        .unwrap();

    let err = users
        .query(User::pk("acme"))
        .project::<UserName>()
        .all()
        .await
        .map(|names| names.into_iter().map(|n| n.name).collect::<Vec<_>>())
        .expect_err("the org is not a user");
    let decode = err.as_decode().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(
        decode.kind(),
        &DecodeErrorKind::WrongEntityType {
            expected: "user",
            found: Some("org".into())
        }
    );
    assert_eq!(decode.entity(), Some("User"));
    // The users' own sort-key range reads fine.
    let names = users
        .query(User::pk("acme"))
        .sort_key(|k| k.begins_with("USER#"))
        .project::<UserName>()
        .all()
        .await
        .unwrap();
    assert_eq!(names, [UserName { name: "Ada".into() }]);
    // A scan of the table meets the org too.
    let err = users.scan().project::<UserName>().all().await.unwrap_err();
    assert!(err.is_decode(), "{err}");
}

/// A typed entity with an INCLUDE and a KEYS_ONLY index.
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(
    table = "tasks",
    entity = "task",
    gsi(name = "by_owner", partition_key = owner, include(title)),
    gsi(name = "by_state", partition_key = state, projection = "keys_only")
)]
pub struct Task {
    #[dynamo(partition_key)]
    pub id: String,
    pub owner: String,
    pub state: String,
    pub title: String,
}

#[derive(Projection, Debug, Clone, PartialEq)]
#[dynamo(entity = Task)]
pub struct TaskTitle {
    pub title: String,
}

#[derive(Projection, Debug, Clone, PartialEq)]
#[dynamo(entity = Task)]
pub struct TaskState {
    pub state: String,
}

/// `create_table` projects a typed entity's type attribute into its INCLUDE
/// indexes, so projections read there are type-checked too; a KEYS_ONLY index
/// cannot tell types apart, so a typed projection from it is refused.
#[tokio::test]
async fn typed_projections_from_indexes_read_the_type_or_are_refused() {
    let repo = fresh_repository::<Task>().await;
    repo.put(&Task {
        id: "t1".into(),
        owner: "ada".into(),
        state: "open".into(),
        title: "Write tests".into(),
    })
    .await
    .unwrap();
    let titles = repo
        .query_index(Task::indexes().by_owner, "ada")
        .project::<TaskTitle>()
        .all()
        .await
        .unwrap();
    assert_eq!(
        titles,
        [TaskTitle {
            title: "Write tests".into()
        }]
    );
    let err = repo
        .query_index(Task::indexes().by_state, "open")
        .project::<TaskState>()
        .all()
        .await
        .unwrap_err();
    let validation = err.as_validation().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(validation.kind, ValidationErrorKind::InvalidIndex);
    assert!(validation.message.contains("`_type`"), "{err}");
}

/// Counts the requests in flight at once (an SDK interceptor).
#[derive(Debug, Clone, Default)]
struct InFlight {
    now: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    max: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl dynamo_repo::sdk::config::Intercept for InFlight {
    fn name(&self) -> &'static str {
        "InFlight"
    }

    fn read_before_transmit(
        &self,
        _context: &dynamo_repo::sdk::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _rc: &dynamo_repo::sdk::config::RuntimeComponents,
        _cfg: &mut dynamo_repo::sdk::config::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(now, SeqCst);
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &dynamo_repo::sdk::config::interceptors::FinalizerInterceptorContextRef<'_>,
        _rc: &dynamo_repo::sdk::config::RuntimeComponents,
        _cfg: &mut dynamo_repo::sdk::config::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// Observed: a parallel scan opened one stream (and one request) per
/// segment at once. Now at most `MAX_SEGMENTS_IN_FLIGHT` are in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_parallel_scan_caps_the_segments_in_flight() {
    let in_flight = InFlight::default();
    let config = dynamo_repo::Client::local_config(dynamo_repo_tests::endpoint())
        .interceptor(in_flight.clone())
        .build();
    let client = dynamo_repo::Client::from_sdk(dynamo_repo::sdk::Client::from_conf(config));
    let repo = client
        .repository::<Doc>()
        .with_table_name(unique_table("docs"));
    repo.create_table().await.unwrap();
    seed_docs(&repo).await;
    in_flight.max.store(0, std::sync::atomic::Ordering::SeqCst);

    let rows = repo.scan().segments(200).all().await.unwrap();
    assert_eq!(rows.len(), 7, "each item once");
    let max = in_flight.max.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (2..=dynamo_repo::query::MAX_SEGMENTS_IN_FLIGHT).contains(&max),
        "{max} requests in flight at once"
    );
}
