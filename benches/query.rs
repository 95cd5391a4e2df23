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
use dynamo_repo_benches::{query_by_hand, raw_query, sample, Profile};

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
        b.to_async(&runtime).iter(|| async {
            let items = raw_query(&sdk, &table, false).await;
            assert_eq!(items.len(), 2_000);
            items
        })
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
    // Local's JIT and GC drift between them. So also alternate them within
    // rounds (the order rotating) and take the median of each round's ratio.
    // The third way is the raw paginator asking for consumed capacity (which
    // the repository no longer sends unless asked): the server's share of it,
    // shown beside the baseline, never instead of it.
    let rounds = 31;
    let mut times: [Vec<f64>; 3] = Default::default();
    let mut cpu = [0.0f64; 3];
    for round in 0..rounds {
        for k in 0..3 {
            let way = (round + k) % 3;
            let cpu_start = process_cpu_seconds();
            let start = std::time::Instant::now();
            runtime.block_on(async {
                match way {
                    0 => assert_eq!(raw_query(&sdk, &table, false).await.len(), 2_000),
                    1 => assert_eq!(raw_query(&sdk, &table, true).await.len(), 2_000),
                    _ => assert_eq!(repo.query("bench").all().await.unwrap().len(), 2_000),
                }
            });
            times[way].push(start.elapsed().as_secs_f64());
            cpu[way] += process_cpu_seconds() - cpu_start;
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratio =
        |a: usize, b: usize| median((0..rounds).map(|r| times[a][r] / times[b][r]).collect());
    println!(
        "query_2000_items, {rounds} interleaved rounds: medians raw {:.1} ms, raw asking for consumed capacity {:.1} ms, repository {:.1} ms; \
         median per-round ratio repository / raw = {:.3}, repository / raw with capacity = {:.3}",
        median(times[0].clone()) * 1e3,
        median(times[1].clone()) * 1e3,
        median(times[2].clone()) * 1e3,
        ratio(2, 0),
        ratio(2, 1),
    );
    // The client's own CPU time (this process, every thread), per query:
    // what the library adds, without DynamoDB Local's noise.
    println!(
        "query_2000_items client CPU per query: raw {:.1} ms, raw asking for consumed capacity {:.1} ms, repository {:.1} ms",
        cpu[0] / rounds as f64 * 1e3,
        cpu[1] / rounds as f64 * 1e3,
        cpu[2] / rounds as f64 * 1e3,
    );
    runtime.block_on(repo.delete_table()).unwrap();
}

/// User plus system CPU time of this process so far, from `/proc/self/stat`
/// (in clock ticks of 10 ms; summed over many queries).
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the
    // 12th, stime the 13th.
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

criterion_group!(benches, render, round_trip);
criterion_main!(benches);
