//! A loop over one benchmarked operation, for instruction counts under
//! callgrind, which are repeatable where wall time on a shared VM is not:
//!
//! ```sh
//! cargo build --release -p dynamo-repo-benches --example instructions
//! valgrind --tool=callgrind target/release/examples/instructions query 10000
//! ```
//!
//! Subtract a run with 1 iteration (the client's setup) and divide by the
//! rest. Operations: `query` (the query of `benches/query.rs` into its SDK
//! request), `query-by-hand` (the same SDK request from ready-made strings and
//! maps), `unit-of-work` (building and validating the 100-action unit of
//! `benches/unit_of_work.rs`), `encode` and `encode-by-hand` (the 50 items of that unit, encoded by the derive and by hand), `decode` and `decode-by-hand`
//! (the same 50 items decoded by the derive and by hand, their copies included);
//! and, against DynamoDB Local (`DYNAMODB_ENDPOINT`, e.g. through
//! `scripts/with-dynamodb-local`), `all` and `all-raw`: the 2,000-item query
//! of `benches/query.rs` through the repository and through the raw
//! paginator plus hand decoding (each run fills its own table first, so the
//! run of 1 subtracts that too); `batch-put` / `batch-put-raw` (1,000
//! `Profile`s through `batch_put`, and through raw `BatchWriteItem`s of 25
//! encoded by the derive, 8 in flight), `batch-get` / `batch-get-raw` (their
//! 1,000 keys through `batch_get`, and through raw `BatchGetItem`s of 100
//! decoded by hand, 8 in flight), `put` / `put-raw` and `get` / `get-raw`
//! (100 single puts or gets, and the raw `PutItem` / `GetItem` calls).

use dynamo_repo::sdk::types::{KeysAndAttributes, PutRequest, WriteRequest};
use dynamo_repo::{Client, Entity, Item};
use dynamo_repo_benches::{benchmark_unit, hand, query_by_hand, raw_query, sample, Profile};
use futures::stream::{self, StreamExt};
use std::hint::black_box;

/// Raw `BatchWriteItem`s of `profiles`, 25 per request, 8 in flight.
async fn raw_batch_put(sdk: &dynamo_repo::sdk::Client, table: &str, profiles: &[Profile]) {
    stream::iter(profiles.chunks(25))
        .map(|chunk| async move {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|p| {
                    WriteRequest::builder()
                        .put_request(
                            PutRequest::builder()
                                .set_item(Some(p.to_item()))
                                .build()
                                .unwrap(),
                        )
                        .build()
                })
                .collect();
            while !requests.is_empty() {
                let out = sdk
                    .batch_write_item()
                    .request_items(table, requests)
                    .send()
                    .await
                    .expect("BatchWriteItem");
                requests = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(table))
                    .unwrap_or_default();
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
}

/// Raw `BatchGetItem`s of the keys of `profiles`, 100 per request, 8 in
/// flight, decoded by hand; the number read.
async fn raw_batch_get(sdk: &dynamo_repo::sdk::Client, table: &str, profiles: &[Profile]) -> usize {
    stream::iter(profiles.chunks(100))
        .map(|chunk| async move {
            let mut keys: Vec<Item> = chunk.iter().map(|p| p.primary_key().into_item()).collect();
            let mut found = 0;
            while !keys.is_empty() {
                let out = sdk
                    .batch_get_item()
                    .request_items(
                        table,
                        KeysAndAttributes::builder()
                            .set_keys(Some(keys))
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .expect("BatchGetItem");
                let items = out
                    .responses
                    .and_then(|mut r| r.remove(table))
                    .unwrap_or_default();
                let decoded: Vec<Profile> = items
                    .into_iter()
                    .map(|i| hand::from_item(i).expect("a Profile"))
                    .collect();
                found += black_box(decoded).len();
                keys = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
            found
        })
        .buffer_unordered(8)
        .collect::<Vec<usize>>()
        .await
        .into_iter()
        .sum()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let operation = args.next().unwrap_or_else(|| "query".into());
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    let _entered = runtime.enter();
    let client = Client::local("http://127.0.0.1:9");
    let repo = client.repository::<Profile>();
    let f = Profile::fields();
    let profiles: Vec<Profile> = (0..50u64)
        .map(|i| Profile {
            created: i,
            ..sample()
        })
        .collect();
    let items: Vec<dynamo_repo::Item> = profiles.iter().map(|p| p.to_item()).collect();
    let remote = ["batch-put", "batch-get", "put", "get"]
        .iter()
        .any(|o| operation.trim_end_matches("-raw") == *o);
    let many: Vec<Profile> = (0..1_000u64)
        .map(|i| Profile {
            id: format!("user-{i:06}"),
            created: 1_764_000_000_000 + i,
            ..sample()
        })
        .collect();
    let server = (operation.starts_with("all") || remote).then(|| {
        let endpoint = std::env::var("DYNAMODB_ENDPOINT").expect("`all` needs DYNAMODB_ENDPOINT");
        let client = Client::local(endpoint);
        let table = format!("instructions-{}", std::process::id());
        let repo = client.repository::<Profile>().with_table_name(&table);
        runtime.block_on(async {
            repo.create_table().await.expect("the table");
            if remote {
                // The items the gets read (and the puts overwrite).
                repo.batch_put(&many).await.expect("the items");
                return;
            }
            for created in 0..2_000u64 {
                let item = Profile {
                    id: "bench".into(),
                    created,
                    name: "x".repeat(1500),
                    ..sample()
                };
                repo.put(&item).await.expect("a put");
            }
        });
        (client, repo, table)
    });
    let start = std::time::Instant::now();
    for _ in 0..n {
        match operation.as_str() {
            "query" => {
                let request = repo
                    .query(black_box("user-1"))
                    .sort_key(|k| k.between(1_000u64, 2_000u64))
                    .filter(f.age.ge(18) & f.name.begins_with("A") & f.roles.contains("admin"))
                    .to_request();
                drop(black_box(request));
            }
            "query-by-hand" => drop(black_box(query_by_hand(client.sdk()))),
            "unit-of-work" => {
                let uow = benchmark_unit(&client, &repo, &profiles);
                let checked = uow.validate();
                drop(black_box((uow, checked)));
            }
            "encode" => {
                for p in &profiles {
                    drop(black_box(p.to_item()));
                }
            }
            "decode" | "decode-by-hand" => {
                for item in items.clone() {
                    if operation == "decode" {
                        drop(black_box(Profile::from_item(item)));
                    } else {
                        drop(black_box(dynamo_repo_benches::hand::from_item(item)));
                    }
                }
            }
            "all" => {
                let (_, repo, _) = server.as_ref().expect("set up above");
                let items = runtime
                    .block_on(repo.query("bench").all())
                    .expect("the query");
                assert_eq!(items.len(), 2_000);
            }
            "all-raw" => {
                let (client, _, table) = server.as_ref().expect("set up above");
                let items = runtime.block_on(raw_query(client.sdk(), table, false));
                assert_eq!(items.len(), 2_000);
            }
            "batch-put" => {
                let (_, repo, _) = server.as_ref().expect("set up above");
                runtime
                    .block_on(repo.batch_put(&many).send())
                    .expect("the batch");
            }
            "batch-put-raw" => {
                let (client, _, table) = server.as_ref().expect("set up above");
                runtime.block_on(raw_batch_put(client.sdk(), table, &many));
            }
            "batch-get" => {
                let (_, repo, _) = server.as_ref().expect("set up above");
                let out = runtime
                    .block_on(repo.batch_get(many.iter().map(Entity::primary_key)).send())
                    .expect("the batch");
                assert_eq!(out.items.len(), many.len());
            }
            "batch-get-raw" => {
                let (client, _, table) = server.as_ref().expect("set up above");
                let found = runtime.block_on(raw_batch_get(client.sdk(), table, &many));
                assert_eq!(found, many.len());
            }
            "put" => {
                let (_, repo, _) = server.as_ref().expect("set up above");
                runtime.block_on(async {
                    for p in &many[..100] {
                        repo.put(p).await.expect("a put");
                    }
                });
            }
            "put-raw" => {
                let (client, _, table) = server.as_ref().expect("set up above");
                runtime.block_on(async {
                    for p in &many[..100] {
                        client
                            .sdk()
                            .put_item()
                            .table_name(table)
                            .set_item(Some(p.to_item()))
                            .send()
                            .await
                            .expect("a PutItem");
                    }
                });
            }
            "get" => {
                let (_, repo, _) = server.as_ref().expect("set up above");
                runtime.block_on(async {
                    for p in &many[..100] {
                        assert!(repo.get(p.primary_key()).await.expect("a get").is_some());
                    }
                });
            }
            "get-raw" => {
                let (client, _, table) = server.as_ref().expect("set up above");
                runtime.block_on(async {
                    for p in &many[..100] {
                        let out = client
                            .sdk()
                            .get_item()
                            .table_name(table)
                            .set_key(Some(p.primary_key().into_item()))
                            .send()
                            .await
                            .expect("a GetItem");
                        assert!(out.item.and_then(hand::from_item).is_some());
                    }
                });
            }
            "encode-by-hand" => {
                for p in &profiles {
                    drop(black_box(hand::to_item(p)));
                }
            }
            other => {
                eprintln!(
                    "unknown operation `{other}`: query, query-by-hand, unit-of-work, encode, encode-by-hand, decode, decode-by-hand, all, all-raw, batch-put, batch-put-raw, batch-get, batch-get-raw, put, put-raw, get, get-raw"
                );
                std::process::exit(2);
            }
        }
    }
    eprintln!("{operation}: {:?} each", start.elapsed() / n.max(1));
    if let Some((_, repo, _)) = &server {
        runtime
            .block_on(repo.delete_table())
            .expect("the table deleted");
    }
}
