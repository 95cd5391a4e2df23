//! The test backends side by side, one backend per run (the backend is chosen
//! per process, as in the tests):
//!
//! ```sh
//! cargo run --release -p dynamo-repo-benches --example backends
//! DYNAMO_REPO_TEST_BACKEND=dynamodb-local cargo run --release -p dynamo-repo-benches --example backends
//! ```
//!
//! Prints the cold start (from asking the testkit for an endpoint to the
//! first answered request), the GetItem round trip (median and 99th
//! percentile of `BACKENDS_GETS` gets, default 2,000, after 200 to warm up)
//! and a 4,000-item `batch_put` of the 12-field `Profile` (median of
//! `BACKENDS_ROUNDS` runs, default 3, each into a fresh table).

use dynamo_repo::Client;
use dynamo_repo_benches::{sample, Profile};
use dynamo_repo_testkit::TestTables;
use std::time::{Duration, Instant};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gets = env_number("BACKENDS_GETS", 2_000);
    let rounds = env_number("BACKENDS_ROUNDS", 3);

    let started = Instant::now();
    let endpoint = dynamo_repo_testkit::endpoint()?;
    let listening = started.elapsed();
    let client = Client::local(&endpoint);
    client.sdk().list_tables().send().await?;
    let cold = started.elapsed();
    println!("backend: {}", dynamo_repo_testkit::backend());
    println!(
        "cold start: {:.0} ms to a listening server, {:.0} ms to the first answered request",
        millis(listening),
        millis(cold)
    );

    let tables = TestTables::new()?;
    let repo = tables.create::<Profile>().await?;
    let item = sample();
    repo.put(&item).await?;
    for _ in 0..200 {
        repo.get(Profile::key(item.id.clone(), item.created))
            .await?;
    }
    let mut times = Vec::with_capacity(gets);
    for _ in 0..gets {
        let t = Instant::now();
        let got = repo
            .get(Profile::key(item.id.clone(), item.created))
            .await?;
        times.push(t.elapsed());
        assert!(got.is_some());
    }
    times.sort();
    println!(
        "GetItem round trip: median {:.3} ms, p99 {:.3} ms ({gets} gets)",
        millis(times[times.len() / 2]),
        millis(times[times.len() * 99 / 100])
    );

    let items: Vec<Profile> = (0..4_000u64)
        .map(|i| Profile {
            id: format!("user-{i:05}"),
            created: i,
            ..sample()
        })
        .collect();
    let mut puts = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let repo = tables.create::<Profile>().await?;
        let t = Instant::now();
        repo.batch_put(&items).await?;
        puts.push(t.elapsed());
    }
    puts.sort();
    println!(
        "batch_put of 4,000 items: median {:.0} ms of {rounds} runs ({:?})",
        millis(puts[puts.len() / 2]),
        puts.iter()
            .map(|d| format!("{:.0}", millis(*d)))
            .collect::<Vec<_>>()
    );
    Ok(())
}
