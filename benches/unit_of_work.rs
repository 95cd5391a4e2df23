//! The client-side cost of a unit of work beside its round trip, in one run:
//! building and validating a 100-action unit (50 puts, 50 conditional
//! updates; no request sent), the same plus the copy into the SDK request,
//! one 1-action `TransactWriteItems` round trip, and the commit of the same
//! 100-action unit, against DynamoDB Local; then the ratio from interleaved
//! rounds.
//!
//! `scripts/with-dynamodb-local cargo bench -p dynamo-repo-benches --bench unit_of_work`

use criterion::{criterion_group, criterion_main, Criterion};
use dynamo_repo::Client;
use dynamo_repo_benches::{benchmark_unit, sample, Profile};

fn unit_of_work(c: &mut Criterion) {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")
        .expect("run through scripts/with-dynamodb-local: this benchmark needs DynamoDB Local");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = Client::local(endpoint);
    let table = format!("bench-uow-{}", std::process::id());
    let repo = client.repository::<Profile>().with_table_name(&table);
    runtime.block_on(repo.create_table()).unwrap();
    let base = sample();
    // The items the conditional updates of the benchmarked unit touch.
    runtime.block_on(async {
        for i in 0..50u64 {
            let other = Profile {
                id: "other".into(),
                created: i,
                ..base.clone()
            };
            repo.put(&other).await.unwrap();
        }
    });

    // The items exist before the unit is built: what is timed is the
    // library's work on them, not cloning the benchmark's data.
    let profiles: Vec<Profile> = (0..50u64)
        .map(|i| Profile {
            created: i,
            ..base.clone()
        })
        .collect();
    let build = || benchmark_unit(&client, &repo, &profiles);

    let mut group = c.benchmark_group("unit_of_work");
    // Encoding, checks, expressions and SDK structures of every action, then
    // the unit's checks (count, size, duplicates): everything before sending.
    group.bench_function("build_and_validate_100_actions", |b| {
        b.iter(|| {
            let uow = build();
            uow.validate().unwrap();
            uow
        })
    });
    // The same, plus the copy of the 100 actions into the SDK request that a
    // commit sends (one copy per attempt, so that a retry sends the same items).
    group.bench_function("build_validate_and_copy_into_request_100_actions", |b| {
        b.iter(|| build().to_request().unwrap().unwrap())
    });
    let mut n = 0u64;
    group.bench_function("round_trip_one_action_transact_write", |b| {
        b.to_async(&runtime).iter(|| {
            n += 1;
            let mut p = base.clone();
            p.created = n;
            let client = client.clone();
            let repo = repo.clone();
            async move {
                let mut uow = client.unit_of_work();
                uow.with_repository(&repo).put(&p);
                uow.commit().await.unwrap()
            }
        })
    });
    group.sample_size(20);
    group.bench_function("round_trip_100_action_commit", |b| {
        b.to_async(&runtime).iter(|| async {
            let mut uow = build();
            uow.commit().await.unwrap()
        })
    });
    group.finish();

    // The ratio in one run: rounds alternate the client-side work (mean of
    // 10 builds) and the commit of the same unit; medians over the rounds.
    let (mut local, mut trips) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let start = std::time::Instant::now();
        for _ in 0..10 {
            let uow = build();
            uow.validate().unwrap();
            let _ = criterion::black_box(uow);
        }
        local.push(start.elapsed().as_secs_f64() / 10.0);
        let start = std::time::Instant::now();
        runtime.block_on(async { build().commit().await.unwrap() });
        trips.push(start.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (local, trip) = (median(&mut local), median(&mut trips));
    println!(
        "unit_of_work interleaved medians of 15: build and validate 100 actions {:.3} ms, \
         commit of the same unit {:.1} ms, client-side share = {:.2}%",
        local * 1e3,
        trip * 1e3,
        100.0 * local / trip
    );
    runtime.block_on(repo.delete_table()).unwrap();
}

criterion_group!(benches, unit_of_work);
criterion_main!(benches);
