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
//! `benches/unit_of_work.rs`), `encode` (the 50 items of that unit, encoded), `decode` and `decode-by-hand`
//! (the same 50 items decoded by the derive and by hand, their copies included);
//! and, against DynamoDB Local (`DYNAMODB_ENDPOINT`, e.g. through
//! `scripts/with-dynamodb-local`), `all` and `all-raw`: the 2,000-item query
//! of `benches/query.rs` through the repository and through the raw
//! paginator plus hand decoding (each run fills its own table first, so the
//! run of 1 subtracts that too).

use dynamo_repo::{Client, Entity};
use dynamo_repo_benches::{benchmark_unit, query_by_hand, raw_query, sample, Profile};
use std::hint::black_box;

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
    let server = operation.starts_with("all").then(|| {
        let endpoint = std::env::var("DYNAMODB_ENDPOINT").expect("`all` needs DYNAMODB_ENDPOINT");
        let client = Client::local(endpoint);
        let table = format!("instructions-{}", std::process::id());
        let repo = client.repository::<Profile>().with_table_name(&table);
        runtime.block_on(async {
            repo.create_table().await.expect("the table");
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
            other => {
                eprintln!(
                    "unknown operation `{other}`: query, query-by-hand, unit-of-work, encode, decode, decode-by-hand"
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
