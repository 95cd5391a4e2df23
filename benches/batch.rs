//! Batch writes and reads against DynamoDB Local, in one run: `batch_put` /
//! `batch_get` (concurrency 4 and the default 8) beside single-item loops
//! (the library's and the raw SDK's) and raw `BatchWriteItem` /
//! `BatchGetItem` chunks sent by hand (sequentially, 4 and 8 in flight).
//! Prints times, the requests and request body bytes each arm sent (equal
//! bytes: the library sent nothing the raw arm did not), and medians of
//! per-round ratios.
//!
//! ```sh
//! scripts/with-dynamodb-local cargo bench -p dynamo-repo-benches --bench batch
//! ```
//!
//! `BATCH_BENCH_ITEMS` sets the item count (default 10,000), `BATCH_BENCH_ROUNDS`
//! the rounds (default 3): every arm runs once per round, in an order rotated
//! by one each round. The raw arms send no option a raw-SDK user would not
//! (no `ReturnConsumedCapacity`); the raw write arms encode their items
//! inside the timed section as the library does, except the two
//! `pre-encoded` arms (the issue's baseline), whose items are encoded before
//! the clock starts. Every read arm, raw or not, is given its keys built
//! before the clock starts (moved into the requests), and the raw reads
//! decode by hand what they read and keep it in one `Vec` (the library
//! returns all the decoded entities); an undecoded raw arm is shown beside
//! them.

use dynamo_repo::sdk::config::interceptors::BeforeTransmitInterceptorContextRef;
use dynamo_repo::sdk::config::{ConfigBag, Intercept, RuntimeComponents};
use dynamo_repo::{Client, Entity, Key};
use dynamo_repo_benches::raw::{
    drop_table, encoded_chunks, fresh, key_chunks, profiles, raw_gets, raw_write, raw_writes,
    raw_writes_encoded, Read,
};
use dynamo_repo_benches::Profile;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counts HTTP requests (one per attempt) and the bytes of their bodies, so
/// that each arm's requests can be compared with the raw arms' (the same
/// bytes means nothing extra was sent).
#[derive(Debug, Clone, Default)]
struct RequestCounter(Arc<AtomicU64>, Arc<AtomicU64>);

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        let bytes = context.request().body().bytes().map_or(0, <[u8]>::len);
        self.1.fetch_add(bytes as u64, Ordering::Relaxed);
        Ok(())
    }
}

impl RequestCounter {
    /// The requests and body bytes since the last call.
    fn take(&self) -> (u64, u64) {
        (
            self.0.swap(0, Ordering::Relaxed),
            self.1.swap(0, Ordering::Relaxed),
        )
    }
}

/// The runs of one method: its times, and the requests and body bytes of
/// one run.
struct Row {
    name: &'static str,
    times: Vec<Duration>,
    requests: u64,
    bytes: u64,
}

impl Row {
    fn median(&self) -> f64 {
        let mut t: Vec<f64> = self.times.iter().map(Duration::as_secs_f64).collect();
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    }
}

fn find<'a>(rows: &'a [Row], name: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no arm `{name}`"))
}

/// The median over rounds of `ours`'s time divided by `base`'s time of the
/// same round, and the per-round ratios.
fn per_round(rows: &[Row], ours: &str, base: &str) -> (f64, Vec<f64>) {
    let (o, b) = (find(rows, ours), find(rows, base));
    let mut ratios: Vec<f64> = o
        .times
        .iter()
        .zip(&b.times)
        .map(|(o, b)| o.as_secs_f64() / b.as_secs_f64())
        .collect();
    let listed = ratios.clone();
    ratios.sort_by(f64::total_cmp);
    (ratios[ratios.len() / 2], listed)
}

async fn timed<F: std::future::Future<Output = ()>>(
    rows: &mut Vec<Row>,
    counter: &RequestCounter,
    name: &'static str,
    f: F,
) {
    counter.take();
    let start = Instant::now();
    f.await;
    let time = start.elapsed();
    let (requests, bytes) = counter.take();
    println!(
        "  {name:<40} {:>9.3} s {:>8} requests {:>11} bytes",
        time.as_secs_f64(),
        requests,
        bytes
    );
    match rows.iter_mut().find(|r| r.name == name) {
        Some(row) => {
            row.times.push(time);
            row.requests = row.requests.max(requests);
            row.bytes = row.bytes.max(bytes);
        }
        None => rows.push(Row {
            name,
            times: vec![time],
            requests,
            bytes,
        }),
    }
}

fn report(title: &str, rows: &[Row], baseline: &str, best_raw: &[&str], ours: &[&str]) {
    let base = find(rows, baseline).median();
    let raw = best_raw
        .iter()
        .map(|n| find(rows, n).median())
        .fold(f64::INFINITY, f64::min);
    // The best raw time of each round, and each arm's median of per-round
    // ratios against it (the rounds are interleaved, so a slow spell of the
    // shared machine hits both sides of a ratio).
    let rounds = rows[0].times.len();
    let best_raw_of_round = |round: usize| {
        best_raw
            .iter()
            .map(|n| find(rows, n).times[round].as_secs_f64())
            .fold(f64::INFINITY, f64::min)
    };
    let per_round = |r: &Row| {
        let mut ratios: Vec<f64> = (0..rounds)
            .map(|round| r.times[round].as_secs_f64() / best_raw_of_round(round))
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2]
    };
    println!("\n{title} (median of {rounds} interleaved rounds, arms in rotating order)");
    println!(
        "| {:<40} | {:>9} | {:>9} | {:>11} | {:>9} | {:>12} | {:>18} |",
        "method",
        "time (s)",
        "requests",
        "body bytes",
        "vs loop",
        "vs best raw",
        "per-round vs raw"
    );
    println!(
        "|{:-<42}|{:->11}|{:->11}|{:->13}|{:->11}|{:->14}|{:->20}|",
        "", "", "", "", "", "", ""
    );
    for r in rows {
        let t = r.median();
        let mark = if ours.contains(&r.name) { " *" } else { "" };
        println!(
            "| {:<40} | {:>9.3} | {:>9} | {:>11} | {:>8.2}x | {:>11.2}x | {:>17.3}x |{mark}",
            r.name,
            t,
            r.requests,
            r.bytes,
            base / t,
            t / raw,
            per_round(r)
        );
    }
}

/// Prints the median of per-round ratios of `ours` to `base`.
fn ratio(rows: &[Row], ours: &str, base: &str) {
    let (median, listed) = per_round(rows, ours, base);
    println!(
        "{ours} / {base}: per-round ratios {:?}, median {median:.3}x",
        listed.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>()
    );
}

const PUT_LOOP: &str = "put loop";
const RAW_PUT_LOOP: &str = "raw PutItem loop";
const RAW_W1: &str = "raw BatchWriteItem, sequential";
const RAW_W4: &str = "raw BatchWriteItem, 4 in flight";
const RAW_W8: &str = "raw BatchWriteItem, 8 in flight";
const RAW_W4_PRE: &str = "raw BatchWriteItem, 4 in flight, pre-encoded";
const RAW_W8_PRE: &str = "raw BatchWriteItem, 8 in flight, pre-encoded";
const OURS_W4: &str = "batch_put, concurrency 4";
const OURS_W8: &str = "batch_put (default concurrency 8)";
const GET_LOOP: &str = "get loop";
const RAW_GET_LOOP: &str = "raw GetItem loop";
const RAW_R1: &str = "raw BatchGetItem, sequential";
const RAW_R4: &str = "raw BatchGetItem, 4 in flight";
const RAW_R8: &str = "raw BatchGetItem, 8 in flight";
const RAW_R8_UNDECODED: &str = "raw BatchGetItem, 8 in flight, undecoded";
const OURS_R4: &str = "batch_get, concurrency 4";
const OURS_R8: &str = "batch_get (default concurrency 8)";

#[tokio::main]
async fn main() {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").expect(
        "DYNAMODB_ENDPOINT is not set: run `scripts/with-dynamodb-local cargo bench -p dynamo-repo-benches --bench batch`",
    );
    let n: usize = std::env::var("BATCH_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rounds: usize = std::env::var("BATCH_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let counter = RequestCounter::default();
    let client = Client::from_sdk(dynamo_repo::sdk::Client::from_conf(
        Client::local_config(endpoint)
            .interceptor(counter.clone())
            .build(),
    ));
    let items = profiles(n);
    let keys = || items.iter().map(|p| p.primary_key());
    println!("{n} items of a 12-field entity against DynamoDB Local\n\nwrites:");

    // Warm up connections and the JVM, every request kind the arms send.
    let warm = fresh(&client, "warm").await;
    let some = &items[..n.min(2_000)];
    warm.batch_put(some).await.unwrap();
    warm.batch_get(keys().take(2_000)).await.unwrap();
    for item in &items[..n.min(500)] {
        warm.put(item).await.unwrap();
        assert!(warm.get(item.primary_key()).await.unwrap().is_some());
    }

    // Every arm once per round, in an order rotated by one each round, so no
    // arm always runs first (after the previous round's table deletions) or
    // last.
    const WRITE_ARMS: usize = 9;
    let mut writes = Vec::new();
    for round in 0..rounds {
        println!("round {}", round + 1);
        for k in 0..WRITE_ARMS {
            let arm = (round + k) % WRITE_ARMS;
            let repo = fresh(&client, &format!("w{arm}")).await;
            let table = repo.table_name();
            match arm {
                0 => {
                    timed(&mut writes, &counter, PUT_LOOP, async {
                        for item in &items {
                            repo.put(item).await.unwrap();
                        }
                    })
                    .await
                }
                // The same loop with the raw SDK: encode, PutItem, nothing else asked.
                1 => {
                    timed(&mut writes, &counter, RAW_PUT_LOOP, async {
                        for item in &items {
                            client
                                .sdk()
                                .put_item()
                                .table_name(table)
                                .set_item(Some(item.to_item()))
                                .send()
                                .await
                                .unwrap();
                        }
                    })
                    .await
                }
                2 => {
                    timed(&mut writes, &counter, RAW_W1, async {
                        for chunk in items.chunks(25) {
                            let chunk = chunk.iter().map(Entity::to_item).collect();
                            raw_write(&client, table, chunk).await;
                        }
                    })
                    .await
                }
                3 => {
                    timed(
                        &mut writes,
                        &counter,
                        RAW_W4,
                        raw_writes(&client, table, &items, 4),
                    )
                    .await
                }
                4 => {
                    timed(
                        &mut writes,
                        &counter,
                        RAW_W8,
                        raw_writes(&client, table, &items, 8),
                    )
                    .await
                }
                5 | 6 => {
                    let (name, in_flight) = if arm == 5 {
                        (RAW_W4_PRE, 4)
                    } else {
                        (RAW_W8_PRE, 8)
                    };
                    let chunks = encoded_chunks(&items);
                    timed(
                        &mut writes,
                        &counter,
                        name,
                        raw_writes_encoded(&client, table, chunks, in_flight),
                    )
                    .await
                }
                7 => {
                    timed(&mut writes, &counter, OURS_W4, async {
                        repo.batch_put(&items).concurrency(4).await.unwrap();
                    })
                    .await
                }
                _ => {
                    timed(&mut writes, &counter, OURS_W8, async {
                        repo.batch_put(&items).await.unwrap();
                    })
                    .await
                }
            }
            drop_table(&client, &repo).await;
        }
    }
    // Rows in a fixed order for the report.
    let order_w = [
        PUT_LOOP,
        RAW_PUT_LOOP,
        RAW_W1,
        RAW_W4,
        RAW_W8,
        RAW_W4_PRE,
        RAW_W8_PRE,
        OURS_W4,
        OURS_W8,
    ];
    writes.sort_by_key(|r| order_w.iter().position(|n| *n == r.name));

    println!("\nreads:");
    let source = fresh(&client, "reads").await;
    source.batch_put(&items).await.unwrap();
    let table = source.table_name();
    const READ_ARMS: usize = 8;
    let mut reads = Vec::new();
    for round in 0..rounds {
        println!("round {}", round + 1);
        for k in 0..READ_ARMS {
            let arm = (round + k) % READ_ARMS;
            match arm {
                0 => {
                    timed(&mut reads, &counter, GET_LOOP, async {
                        for key in keys() {
                            assert!(source.get(key).await.unwrap().is_some());
                        }
                    })
                    .await
                }
                // The same loop with the raw SDK: GetItem, decode by hand.
                1 => {
                    timed(&mut reads, &counter, RAW_GET_LOOP, async {
                        for key in keys() {
                            let out = client
                                .sdk()
                                .get_item()
                                .table_name(table)
                                .set_key(Some(key.into_item()))
                                .send()
                                .await
                                .unwrap();
                            assert!(out
                                .item
                                .and_then(dynamo_repo_benches::hand::from_item)
                                .is_some());
                        }
                    })
                    .await
                }
                2 => {
                    let chunks = key_chunks(&items);
                    timed(&mut reads, &counter, RAW_R1, async {
                        let (found, items) = raw_gets(&client, table, chunks, 1, Read::Keep).await;
                        assert_eq!((found, items.len()), (n, n));
                    })
                    .await
                }
                3 => {
                    let chunks = key_chunks(&items);
                    timed(&mut reads, &counter, RAW_R4, async {
                        let (found, items) = raw_gets(&client, table, chunks, 4, Read::Keep).await;
                        assert_eq!((found, items.len()), (n, n));
                    })
                    .await
                }
                4 => {
                    let chunks = key_chunks(&items);
                    timed(&mut reads, &counter, RAW_R8, async {
                        let (found, items) = raw_gets(&client, table, chunks, 8, Read::Keep).await;
                        assert_eq!((found, items.len()), (n, n));
                    })
                    .await
                }
                5 => {
                    let chunks = key_chunks(&items);
                    timed(&mut reads, &counter, RAW_R8_UNDECODED, async {
                        let found = raw_gets(&client, table, chunks, 8, Read::Count).await.0;
                        assert_eq!(found, n);
                    })
                    .await
                }
                6 => {
                    let ks: Vec<Key<Profile>> = keys().collect();
                    timed(&mut reads, &counter, OURS_R4, async {
                        let out = source.batch_get(ks).concurrency(4).await.unwrap();
                        assert_eq!(out.items.len(), n);
                    })
                    .await
                }
                _ => {
                    let ks: Vec<Key<Profile>> = keys().collect();
                    timed(&mut reads, &counter, OURS_R8, async {
                        let out = source.batch_get(ks).await.unwrap();
                        assert_eq!(out.items.len(), n);
                    })
                    .await
                }
            }
        }
    }
    let order_r = [
        GET_LOOP,
        RAW_GET_LOOP,
        RAW_R1,
        RAW_R4,
        RAW_R8,
        RAW_R8_UNDECODED,
        OURS_R4,
        OURS_R8,
    ];
    reads.sort_by_key(|r| order_r.iter().position(|n| *n == r.name));

    report(
        "Writes",
        &writes,
        PUT_LOOP,
        &[RAW_W1, RAW_W4, RAW_W8, RAW_W4_PRE, RAW_W8_PRE],
        &[OURS_W4, OURS_W8],
    );
    // The undecoded raw arm is shown beside, not among the baselines: the
    // library's arms return decoded `Profile`s.
    report(
        "Reads",
        &reads,
        GET_LOOP,
        &[RAW_R1, RAW_R4, RAW_R8],
        &[OURS_R4, OURS_R8],
    );
    println!();
    ratio(&writes, PUT_LOOP, RAW_PUT_LOOP);
    ratio(&writes, OURS_W4, RAW_W4);
    ratio(&writes, OURS_W8, RAW_W8);
    ratio(&writes, OURS_W4, RAW_W4_PRE);
    ratio(&writes, OURS_W8, RAW_W8_PRE);
    ratio(&reads, GET_LOOP, RAW_GET_LOOP);
    ratio(&reads, OURS_R4, RAW_R4);
    ratio(&reads, OURS_R8, RAW_R8);
    println!(
        "\nminimum requests: ⌈{n}/25⌉ = {} writes, ⌈{n}/100⌉ = {} reads",
        n.div_ceil(25),
        n.div_ceil(100)
    );

    drop_table(&client, &warm).await;
    drop_table(&client, &source).await;
}
