//! Cursors signed or encrypted with the application's `CursorKey` (issue 11,
//! section 3): forged, altered, truncated and replayed-elsewhere cursors are
//! validation errors before sending; encrypted cursors show no key.

use crate::cursors::{contains, cursor_bytes, seed_docs, Doc, HIDDEN};
use dynamo_repo::{Client, CursorKey, Error, Repository, ValidationErrorKind};
use dynamo_repo_testkit::RequestRecorder;
use dynamo_repo_tests::unique_table;

const SECRET: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

fn signing() -> CursorKey {
    CursorKey::signing(SECRET).unwrap()
}

fn encrypting() -> CursorKey {
    CursorKey::encrypting(SECRET).unwrap()
}

/// A recording client with `key`, and a fresh, seeded `Doc` table.
async fn setup(key: Option<CursorKey>) -> (RequestRecorder, Repository<Doc>) {
    let recorder = RequestRecorder::new();
    let mut client: Client = recorder.client().unwrap();
    if let Some(key) = key {
        client = client.with_cursor_key(key);
    }
    let repo = client
        .repository::<Doc>()
        .with_table_name(unique_table("docs"));
    repo.create_table().await.unwrap();
    seed_docs(&repo).await;
    recorder.take();
    (recorder, repo)
}

#[track_caller]
fn assert_invalid_cursor(result: Result<Vec<Doc>, Error>, recorder: &RequestRecorder, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::InvalidCursor),
        "{what}: {err}"
    );
    let sent = recorder.take();
    assert!(sent.is_empty(), "{what}: sent {sent:?}");
}

/// Observed: the checksum was public, so anyone could mint a cursor that
/// was accepted; a forged scan cursor chose where a scan started (rows of
/// another tenant). With a key, neither a cursor minted without it nor an
/// altered, truncated or extended one is accepted.
#[tokio::test]
async fn forged_altered_and_truncated_cursors_are_refused_with_a_key() {
    for key in [signing(), encrypting()] {
        let (recorder, repo) = setup(Some(key.clone())).await;
        let genuine = repo
            .query("t1")
            .limit(1)
            .page()
            .await
            .unwrap()
            .cursor
            .unwrap();
        // The genuine cursor works.
        let rest = repo
            .query("t1")
            .start_from(genuine.clone())
            .all()
            .await
            .unwrap();
        assert_eq!(rest.len(), 3);
        recorder.take();

        // Anyone can mint a checksummed cursor (an unkeyed client of the same
        // table); it starts the scan in tenant t2.
        let minted_scan = repo
            .client()
            .clone()
            .repository::<Doc>()
            .with_table_name(repo.table_name())
            .scan()
            .cursor_key(CursorKey::signing([0xA5; 32]).unwrap())
            .limit(1)
            .page()
            .await
            .unwrap()
            .cursor
            .unwrap();
        recorder.take();
        assert_invalid_cursor(
            repo.scan().start_from(minted_scan).all().await,
            &recorder,
            "a scan cursor signed with another secret",
        );
        let unkeyed = Client::from_sdk(repo.client().sdk().clone())
            .repository::<Doc>()
            .with_table_name(repo.table_name());
        let unsigned = unkeyed
            .scan()
            .limit(1)
            .page()
            .await
            .unwrap()
            .cursor
            .unwrap();
        let unsigned_query = unkeyed
            .query("t1")
            .limit(2)
            .page()
            .await
            .unwrap()
            .cursor
            .unwrap();
        recorder.take();
        assert_invalid_cursor(
            repo.scan().start_from(unsigned).all().await,
            &recorder,
            "an unsigned scan cursor",
        );
        assert_invalid_cursor(
            repo.query("t1").start_from(unsigned_query).all().await,
            &recorder,
            "an unsigned query cursor (skipping rows)",
        );

        let mut altered = Vec::new();
        for i in 0..genuine.len() {
            let mut bytes = genuine.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            altered.push(String::from_utf8(bytes).unwrap());
        }
        for len in [0, 1, 3, genuine.len() / 2, genuine.len() - 1] {
            altered.push(genuine[..len].to_string());
        }
        altered.push(format!("{genuine}AA"));
        for bad in altered {
            assert_invalid_cursor(
                repo.query("t1").start_from(bad.clone()).all().await,
                &recorder,
                &format!("altered cursor {bad}"),
            );
        }
    }
}

/// A cursor is bound to its query: another partition value, filter, sort
/// condition, order, index or table cannot resume from it.
#[tokio::test]
async fn a_cursor_from_another_query_is_refused_with_a_key() {
    for key in [signing(), encrypting()] {
        let (recorder, repo) = setup(Some(key)).await;
        let f = Doc::fields();
        let visible = f.visible.eq(true);
        let cursor = repo
            .query("t1")
            .filter(visible.clone())
            .limit(1)
            .page()
            .await
            .unwrap()
            .cursor
            .unwrap();
        let rest = repo
            .query("t1")
            .filter(visible.clone())
            .start_from(cursor.clone())
            .all()
            .await
            .unwrap();
        assert_eq!(
            rest.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            ["a3", "a4"]
        );
        recorder.take();

        let c = || cursor.clone();
        let others: Vec<(&str, Result<Vec<Doc>, Error>)> = vec![
            ("no filter", repo.query("t1").start_from(c()).all().await),
            (
                "another filter value",
                repo.query("t1")
                    .filter(f.visible.eq(false))
                    .start_from(c())
                    .all()
                    .await,
            ),
            (
                "another filter",
                repo.query("t1")
                    .filter(f.n.gt(0))
                    .start_from(c())
                    .all()
                    .await,
            ),
            (
                "another partition value",
                repo.query("t2")
                    .filter(visible.clone())
                    .start_from(c())
                    .all()
                    .await,
            ),
            (
                "a sort-key condition",
                repo.query("t1")
                    .filter(visible.clone())
                    .sort_key(|k| k.begins_with("a"))
                    .start_from(c())
                    .all()
                    .await,
            ),
            (
                "descending order",
                repo.query("t1")
                    .filter(visible.clone())
                    .descending()
                    .start_from(c())
                    .all()
                    .await,
            ),
            (
                "another index",
                repo.query_index(Doc::indexes().by_owner, "owner-of-t1")
                    .filter(visible.clone())
                    .start_from(c())
                    .all()
                    .await,
            ),
            (
                "a scan",
                repo.scan()
                    .filter(visible.clone())
                    .start_from(c())
                    .all()
                    .await,
            ),
            ("another table", {
                let other = repo
                    .client()
                    .repository::<Doc>()
                    .with_table_name(unique_table("docs"));
                other
                    .query("t1")
                    .filter(visible.clone())
                    .start_from(c())
                    .all()
                    .await
            }),
        ];
        for (what, result) in others {
            assert_invalid_cursor(result, &recorder, what);
        }
        // A page-size change is not another query.
        let resumed = repo
            .query("t1")
            .filter(visible.clone())
            .page_size(1)
            .start_from(c())
            .all()
            .await
            .unwrap();
        assert_eq!(resumed.len(), 2);
    }
}

/// Observed: a cursor showed the filtered-out row's key, the table, index and
/// entity names, and a GSI cursor the base-table key. Encrypted cursors show
/// nothing; signed ones at most the key of the last row returned.
#[tokio::test]
async fn encrypted_cursors_show_no_key_and_signed_ones_no_hidden_row() {
    for key in [signing(), encrypting()] {
        let encrypted = key.encrypts();
        let (recorder, repo) = setup(Some(key.clone())).await;
        let f = Doc::fields();
        let visible = || repo.query("t1").filter(f.visible.eq(true)).page_size(2);
        let page = visible().page().await.unwrap();
        let cursor = page.cursor.clone().expect("more rows follow");
        let bytes = cursor_bytes(&cursor);
        assert!(!contains(&bytes, HIDDEN), "the hidden row's key");
        for name in [repo.table_name(), "Doc", "by_owner", "tenant"] {
            assert!(!contains(&bytes, name), "the cursor names `{name}`");
        }
        if encrypted {
            // One request: the page may end at the hidden row, but nobody can read it.
            assert_eq!(recorder.take().len(), 1);
            // Short values are looked for with their 2-byte length prefix, so
            // random ciphertext cannot match them by chance.
            for shown in ["\0\u{2}a1", "\0\u{2}t1", HIDDEN] {
                assert!(
                    !contains(&bytes, shown),
                    "an encrypted cursor shows `{shown}`"
                );
            }
        } else {
            assert_eq!(
                page.items.last().map(|d| d.id.as_str()),
                Some("a1"),
                "signed-only cursors resume after the last row returned"
            );
            // ...whose key is readable there, in the form looked for above.
            assert!(contains(&bytes, "\0\u{2}a1") && contains(&bytes, "\0\u{2}t1"));
        }
        // Either way, following the cursors returns each visible row once.
        let mut seen: Vec<String> = page.items.iter().map(|d| d.id.clone()).collect();
        let mut next = page.cursor;
        while let Some(c) = next.take() {
            let page = visible().start_from(c).page().await.unwrap();
            seen.extend(page.items.iter().map(|d| d.id.clone()));
            next = page.cursor;
        }
        assert_eq!(seen, ["a1", "a3", "a4"]);

        // A GSI cursor holds the base-table key too: encrypted, it is unreadable.
        let gsi = repo
            .query_index(Doc::indexes().by_owner, "owner-of-t2")
            .limit(1)
            .page()
            .await
            .unwrap()
            .cursor
            .unwrap();
        let bytes = cursor_bytes(&gsi);
        if encrypted {
            for shown in ["owner-of-t2", "\0\u{2}t2"] {
                assert!(
                    !contains(&bytes, shown),
                    "an encrypted GSI cursor shows `{shown}`"
                );
            }
        } else {
            // Signed only: the keys of the last row returned stay readable (documented).
            assert!(contains(&bytes, "owner-of-t2"));
        }
    }
    // Encrypting the same position twice gives two different cursors (random
    // nonce), both accepted.
    let (_, repo) = setup(Some(encrypting())).await;
    let a = repo
        .query("t1")
        .limit(1)
        .page()
        .await
        .unwrap()
        .cursor
        .unwrap();
    let b = repo
        .query("t1")
        .limit(1)
        .page()
        .await
        .unwrap()
        .cursor
        .unwrap();
    assert_ne!(a, b);
    for c in [a, b] {
        assert_eq!(repo.query("t1").start_from(c).all().await.unwrap().len(), 3);
    }
}

/// A key on one builder overrides the client's; rotation keeps old cursors.
#[tokio::test]
async fn a_per_query_key_and_a_rotated_key() {
    let (recorder, repo) = setup(None).await;
    let old = signing();
    let cursor = repo
        .query("t1")
        .cursor_key(old.clone())
        .limit(1)
        .page()
        .await
        .unwrap()
        .cursor
        .unwrap();
    recorder.take();
    // The client has no key: a signed cursor is refused there.
    assert_invalid_cursor(
        repo.query("t1").start_from(cursor.clone()).all().await,
        &recorder,
        "a signed cursor on a query without a key",
    );
    let rotated = CursorKey::encrypting([0x42; 48])
        .unwrap()
        .also_accepting(old);
    let rest = repo
        .query("t1")
        .cursor_key(rotated.clone())
        .start_from(cursor)
        .all()
        .await
        .unwrap();
    assert_eq!(rest.len(), 3);
    let fresh = repo
        .query("t1")
        .cursor_key(rotated)
        .limit(1)
        .page()
        .await
        .unwrap()
        .cursor
        .unwrap();
    recorder.take();
    assert_invalid_cursor(
        repo.query("t1")
            .cursor_key(signing())
            .start_from(fresh)
            .all()
            .await,
        &recorder,
        "a cursor of the new key on a query with only the old one",
    );
    // Short secrets are refused.
    let err = CursorKey::encrypting(b"too short").unwrap_err();
    assert_eq!(
        err.as_validation().map(|v| v.kind),
        Some(ValidationErrorKind::InvalidCursorKey)
    );
    assert!(
        !format!("{:?}", signing()).contains("0123"),
        "Debug hides the secret"
    );
}
