//! Query costs, in one run:
//! - building and rendering a query with a key condition and a 3-part filter
//!   into its SDK request, beside the same SDK request built by hand from
//!   ready-made strings and maps (no server needed);
//! - a query returning 2,000 items over several 1 MB pages, through the
//!   repository and through the raw SDK paginator plus hand decoding
//!   (needs DynamoDB Local: run through `scripts/with-dynamodb-local`).
//!
//! `scripts/with-dynamodb-local cargo bench -p dynamo-repo-benches --bench query`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::Client;
use dynamo_repo_benches::{hand, query_by_hand, sample, Profile};

fn render(c: &mut Criterion) {
    let f = Profile::fields();
    // Only the expressions: paths, conditions, placeholders, text.
    c.bench_function("query/render_expressions_only", |b| {
        b.iter(|| {
            let mut p = dynamo_repo::expr::Placeholders::new();
            let key = format!(
                "{} = {}",
                p.name("k", "id"),
                p.value("k", AttributeValue::S(black_box("user-1").into()))
            );
            let filter = (f.age.ge(18) & f.name.begins_with("A") & f.roles.contains("admin"))
                .render(&mut p, "f")
                .unwrap();
            (key, filter, p.into_maps())
        })
    });
    let client = Client::local("http://127.0.0.1:9");
    let repo = client.repository::<Profile>();
    let f = Profile::fields();
    let ours = || {
        repo.query(black_box("user-1"))
            .sort_key(|k| k.between(1_000u64, 2_000u64))
            .filter(f.age.ge(18) & f.name.begins_with("A") & f.roles.contains("admin"))
            .to_request()
            .unwrap()
    };
    let by_hand = || query_by_hand(client.sdk());
    c.bench_function(
        "query/build_and_render_key_condition_and_3_part_filter",
        |b| b.iter(ours),
    );
    // The baseline: the same SDK request built by hand from ready-made
    // expression strings and placeholder maps (what the SDK itself costs).
    c.bench_function("query/sdk_request_built_by_hand", |b| b.iter(by_hand));

    // Both alternated, 15 rounds of 20,000 each: the library's own share.
    let (mut ours_ns, mut hand_ns) = (Vec::new(), Vec::new());
    let time = |f: &dyn Fn()| {
        let start = std::time::Instant::now();
        for _ in 0..20_000 {
            f();
        }
        start.elapsed().as_nanos() as f64 / 20_000.0
    };
    for _ in 0..15 {
        ours_ns.push(time(&|| drop(black_box(ours()))));
        hand_ns.push(time(&|| drop(black_box(by_hand()))));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ours, hand) = (median(&mut ours_ns), median(&mut hand_ns));
    println!(
        "query request interleaved medians of 15: repository {:.2} µs, by hand {:.2} µs, \
         library's own work {:.2} µs ({:.2}x the hand-built request)",
        ours / 1e3,
        hand / 1e3,
        (ours - hand) / 1e3,
        ours / hand
    );
}

/// The baseline: the SDK's paginator by hand, then hand decoding.
async fn raw_query(sdk: &dynamo_repo::sdk::Client, table: &str) -> Vec<Profile> {
    let raw: Vec<dynamo_repo::Item> = sdk
        .query()
        .table_name(table)
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", "id")
        .expression_attribute_values(":pk", AttributeValue::S("bench".into()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let items: Vec<Profile> = raw
        .into_iter()
        .map(|i| hand::from_item(i).unwrap())
        .collect();
    assert_eq!(items.len(), 2_000);
    items
}

fn round_trip(c: &mut Criterion) {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")
        .expect("run through scripts/with-dynamodb-local: this benchmark needs DynamoDB Local");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = Client::local(endpoint);
    let table = format!("bench-query-{}", std::process::id());
    let repo = client.repository::<Profile>().with_table_name(&table);
    runtime.block_on(async {
        repo.create_table().await.unwrap();
        let mut p = sample();
        p.id = "bench".into();
        p.name = "x".repeat(1500); // ~2 KB items: 2,000 of them span several 1 MB pages
        for created in 0..2_000u64 {
            p.created = created;
            repo.put(&p).await.unwrap();
        }
    });
    let sdk = client.sdk().clone();
    let mut group = c.benchmark_group("query_2000_items");
    group.sample_size(20);
    group.bench_function("raw_sdk_paginator_and_hand_decoding", |b| {
        b.to_async(&runtime).iter(|| raw_query(&sdk, &table))
    });
    group.bench_function("repository_query_all", |b| {
        b.to_async(&runtime).iter(|| async {
            let items = repo.query("bench").all().await.unwrap();
            assert_eq!(items.len(), 2_000);
            items
        })
    });
    group.finish();

    // Criterion runs one function's samples, then the other's: DynamoDB
    // Local's JIT and GC drift between them. Alternate the two per round too.
    let (mut raw_times, mut repo_times) = (Vec::new(), Vec::new());
    for round in 0..15 {
        let raw = || async {
            let start = std::time::Instant::now();
            raw_query(&sdk, &table).await;
            start.elapsed()
        };
        let ours = || async {
            let start = std::time::Instant::now();
            assert_eq!(repo.query("bench").all().await.unwrap().len(), 2_000);
            start.elapsed()
        };
        runtime.block_on(async {
            if round % 2 == 0 {
                raw_times.push(raw().await);
                repo_times.push(ours().await);
            } else {
                repo_times.push(ours().await);
                raw_times.push(raw().await);
            }
        });
    }
    raw_times.sort();
    repo_times.sort();
    let (raw, ours) = (raw_times[7], repo_times[7]);
    println!(
        "query_2000_items interleaved medians of 15: raw {:.1} ms, repository {:.1} ms, repository / raw = {:.3}",
        raw.as_secs_f64() * 1e3,
        ours.as_secs_f64() * 1e3,
        ours.as_secs_f64() / raw.as_secs_f64()
    );
    runtime.block_on(repo.delete_table()).unwrap();
}

criterion_group!(benches, render, round_trip);
criterion_main!(benches);
