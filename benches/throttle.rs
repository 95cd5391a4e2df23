//! Adaptive throughput against a provisioned table: `batch_put` of 50,000
//! items of ~1 KB (1 WCU each) into DynamoDB Local behind the testkit's
//! `CapacitySimulator` at 1,000 WCU, with fixed concurrency 8
//! (`Concurrency::Fixed(8)`) and with the default adaptive mode
//! (`.concurrency(8)`: window and pacing), one after the other in one run,
//! each into a fresh table with a fresh simulator.
//!
//! ```sh
//! scripts/with-dynamodb-local cargo bench -p dynamo-repo-benches --bench throttle
//! ```
//!
//! Prints, per mode: the time, goodput (items written per second as a share
//! of the provisioned WCU), the simulator's counts (requests, requests
//! refused with `ProvisionedThroughputExceededException`, requests answered
//! with part of their items unprocessed; the simulator's counters are the
//! ground truth: the SDK's own retries are off, as `CapacitySimulator::client`
//! builds the client, so every HTTP request is one request the batch sent),
//! the items the batch returned unwritten (`BatchIncomplete`), the items
//! found in the table afterwards (a `Scan` with `Select=COUNT` past the
//! simulator), and the lost ones (neither written nor returned; must be 0).
//! Then items written per second, second by second, for both modes.
//!
//! The simulator's bucket keeps up to 300 s of unused capacity (DynamoDB's
//! burst allowance) and starts with 1 s of it (its default): a bucket
//! starting full would write the first 300,000 WCU without a throttle.
//! `THROTTLE_BENCH_ITEMS` (default 50,000), `THROTTLE_BENCH_WCU` (default
//! 1,000) and `THROTTLE_BENCH_CONCURRENCY` (default 8) change the setup.

use dynamo_repo::batch::Concurrency;
use dynamo_repo::{Client, Entity, Error, Repository};
use dynamo_repo_testkit::capacity::{CapacitySimulator, CapacityStats, Throughput};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One item of about 1 KB (DynamoDB's size: names and values, just under
/// 1,024 bytes, so 1 WCU).
#[derive(Entity, Debug, Clone)]
#[dynamo(table = "throttle")]
struct Row {
    #[dynamo(partition_key)]
    id: String,
    payload: String,
}

/// Attribute names and the id take 2 + 7 + 12 bytes.
const PAYLOAD: usize = 1_000;

fn rows(n: usize) -> Vec<Row> {
    (0..n)
        .map(|i| Row {
            id: format!("row-{i:08}"),
            payload: "x".repeat(PAYLOAD),
        })
        .collect()
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one mode did.
struct Outcome {
    name: String,
    seconds: f64,
    written_by_batch: u64,
    returned: usize,
    in_table: u64,
    stats: CapacityStats,
    per_second: Vec<u64>,
}

async fn fresh_table(plain: &Client, label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("throttle-{label}-{}", nanos % 1_000_000_000);
    plain
        .repository::<Row>()
        .with_table_name(name.clone())
        .create_table()
        .await
        .expect("create table");
    name
}

async fn count(plain: &Client, table: &str) -> u64 {
    let mut total = 0u64;
    let mut start = None;
    loop {
        let out = plain
            .sdk()
            .scan()
            .table_name(table)
            .select(dynamo_repo::sdk::types::Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan count");
        total += out.count() as u64;
        start = out.last_evaluated_key;
        if start.is_none() {
            return total;
        }
    }
}

async fn run(
    plain: &Client,
    label: &str,
    concurrency: Concurrency,
    items: &[Row],
    wcu: f64,
) -> Outcome {
    let table = fresh_table(plain, label).await;
    let sim = CapacitySimulator::new().table(table.clone(), Throughput::writes(wcu));
    let client = sim.client().expect("a client through the simulator");
    let repo: Repository<Row> = client.repository::<Row>().with_table_name(table.clone());

    let processed = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    // Samples the items written once a second.
    let sampler = {
        let processed = processed.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut last = 0;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            while !done.load(Ordering::SeqCst) {
                tick.tick().await;
                let now = processed.load(Ordering::SeqCst);
                samples.push(now - last);
                last = now;
            }
            samples
        })
    };
    let seen = processed.clone();
    let start = Instant::now();
    let result = repo
        .batch_put(items)
        .concurrency(concurrency)
        .on_progress(move |p| seen.store(p.processed, Ordering::SeqCst))
        .await;
    let seconds = start.elapsed().as_secs_f64();
    done.store(true, Ordering::SeqCst);
    let mut per_second = sampler.await.expect("sampler");
    // The last, partial second.
    let total = processed.load(Ordering::SeqCst);
    let sampled: u64 = per_second.iter().sum();
    if total > sampled {
        per_second.push(total - sampled);
    }
    let (written_by_batch, returned) = match result {
        Ok(stats) => (stats.processed, 0),
        Err(Error::BatchIncomplete(rest)) => (rest.processed, rest.unprocessed_writes.len()),
        Err(e) => panic!("{label}: {e}"),
    };
    let stats = sim.stats();
    let in_table = count(plain, &table).await;
    plain
        .sdk()
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .expect("delete table");
    Outcome {
        name: label.to_owned(),
        seconds,
        written_by_batch,
        returned,
        in_table,
        stats,
        per_second,
    }
}

#[tokio::main]
async fn main() {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").expect(
        "DYNAMODB_ENDPOINT is not set: run `scripts/with-dynamodb-local cargo bench -p dynamo-repo-benches --bench throttle`",
    );
    let n = env("THROTTLE_BENCH_ITEMS", 50_000);
    let wcu = env("THROTTLE_BENCH_WCU", 1_000) as f64;
    let concurrency = env("THROTTLE_BENCH_CONCURRENCY", 8);
    let plain = Client::local(endpoint);
    let items = rows(n);
    let size = dynamo_repo_testkit::capacity::charge::item_size(&items[0].to_item());
    println!(
        "{n} items of {size} bytes (1 WCU each) into DynamoDB Local behind a CapacitySimulator \
         at {wcu} WCU (burst: up to 300 s kept, 1 s at the start); concurrency {concurrency}\n"
    );

    // Warm the server and connections (not measured, not throttled).
    {
        let warm = fresh_table(&plain, "warm").await;
        plain
            .repository::<Row>()
            .with_table_name(warm.clone())
            .batch_put(&items[..n.min(2_000)])
            .await
            .expect("warm-up");
        plain
            .sdk()
            .delete_table()
            .table_name(&warm)
            .send()
            .await
            .expect("delete table");
    }

    let fixed = run(
        &plain,
        "fixed",
        Concurrency::Fixed(concurrency),
        &items,
        wcu,
    )
    .await;
    let adaptive = run(
        &plain,
        "adaptive",
        Concurrency::Adaptive(concurrency),
        &items,
        wcu,
    )
    .await;

    println!(
        "| mode | time (s) | items/s | goodput (% of {wcu} WCU) | requests | refused (PTEE) | partly processed | throttled share | returned unwritten | in the table | lost |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for o in [&fixed, &adaptive] {
        let rate = o.in_table as f64 / o.seconds;
        let throttled = o.stats.throttled + o.stats.partial;
        let lost = n as i64 - o.in_table as i64 - o.returned as i64;
        println!(
            "| {} | {:.1} | {:.0} | {:.1}% | {} | {} | {} | {:.1}% | {} | {} | {} |",
            o.name,
            o.seconds,
            rate,
            100.0 * rate / wcu,
            o.stats.requests,
            o.stats.throttled,
            o.stats.partial,
            100.0 * throttled as f64 / o.stats.requests.max(1) as f64,
            o.returned,
            o.in_table,
            lost,
        );
        assert_eq!(
            o.written_by_batch, o.in_table,
            "{}: the batch's count of written items is what the table holds",
            o.name
        );
    }

    println!("\nitems written per second:\n\n| second | fixed | adaptive |\n|---|---|---|");
    let rows = fixed.per_second.len().max(adaptive.per_second.len());
    for i in 0..rows {
        let cell = |o: &Outcome| {
            o.per_second
                .get(i)
                .map_or_else(String::new, |v| v.to_string())
        };
        println!("| {} | {} | {} |", i + 1, cell(&fixed), cell(&adaptive));
    }
}
