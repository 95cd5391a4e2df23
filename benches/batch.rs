//! Batch writes and reads against DynamoDB Local, in one run: `batch_put` /
//! `batch_get` beside a single-item loop and raw `BatchWriteItem` /
//! `BatchGetItem` chunks sent by hand (sequentially and 4 in flight).
//! Prints times, ratios and the number of requests each sent.
//!
//! ```sh
//! scripts/with-dynamodb-local cargo bench -p dynamo-repo-benches --bench batch
//! ```
//!
//! `BATCH_BENCH_ITEMS` sets the item count (default 10,000), `BATCH_BENCH_ROUNDS`
//! the runs of each method (default 3, interleaved; the median is reported).

use dynamo_repo::sdk::config::interceptors::BeforeTransmitInterceptorContextRef;
use dynamo_repo::sdk::config::{ConfigBag, Intercept, RuntimeComponents};
use dynamo_repo::sdk::types::{KeysAndAttributes, PutRequest, WriteRequest};
use dynamo_repo::{Client, Entity, Item, Repository};
use dynamo_repo_benches::{sample, Profile};
use futures::stream::{self, StreamExt};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counts HTTP requests (one per attempt).
#[derive(Debug, Clone, Default)]
struct RequestCounter(Arc<AtomicU64>);

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl RequestCounter {
    fn take(&self) -> u64 {
        self.0.swap(0, Ordering::Relaxed)
    }
}

/// The latest time of the arm `name` in `rows`.
fn row_time(rows: &[Row], name: &str) -> Duration {
    rows.iter()
        .find(|r| r.name == name)
        .and_then(|r| r.times.last().copied())
        .expect("the arm ran this round")
}

/// The runs of one method: its times and the requests of one run.
struct Row {
    name: &'static str,
    times: Vec<Duration>,
    requests: u64,
}

impl Row {
    fn median(&self) -> f64 {
        let mut t: Vec<f64> = self.times.iter().map(Duration::as_secs_f64).collect();
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    }
}

fn profiles(n: usize) -> Vec<Profile> {
    let base = sample();
    (0..n)
        .map(|i| Profile {
            id: format!("user-{i:06}"),
            created: 1_764_000_000_000 + i as u64,
            ..base.clone()
        })
        .collect()
}

async fn fresh(client: &Client, name: &str) -> Repository<Profile> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let repo = client
        .repository::<Profile>()
        .with_table_name(format!("bench-{name}-{}", nanos % 1_000_000_000));
    repo.create_table().await.expect("create table");
    repo
}

/// One raw `BatchWriteItem` of up to 25 items, resending unprocessed items
/// the way hand-written code does (DynamoDB Local returns none).
async fn raw_write(client: &Client, table: &str, items: Vec<Item>) {
    let mut requests: Vec<WriteRequest> = items
        .into_iter()
        .map(|item| {
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                .build()
        })
        .collect();
    while !requests.is_empty() {
        let out = client
            .sdk()
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
}

/// One raw `BatchGetItem` of up to 100 keys; returns the item count.
async fn raw_get(client: &Client, table: &str, keys: Vec<Item>) -> usize {
    let mut found = 0;
    let mut keys = keys;
    while !keys.is_empty() {
        let out = client
            .sdk()
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
        found += out
            .responses
            .and_then(|mut r| r.remove(table))
            .map_or(0, |v| v.len());
        keys = out
            .unprocessed_keys
            .and_then(|mut u| u.remove(table))
            .map(|k| k.keys)
            .unwrap_or_default();
    }
    found
}

async fn drop_table(client: &Client, repo: &Repository<Profile>) {
    let _ = client
        .sdk()
        .delete_table()
        .table_name(repo.table_name())
        .send()
        .await;
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
    let requests = counter.take();
    println!(
        "  {name:<34} {:>9.3} s {:>8} requests",
        time.as_secs_f64(),
        requests
    );
    match rows.iter_mut().find(|r| r.name == name) {
        Some(row) => {
            row.times.push(time);
            row.requests = row.requests.max(requests);
        }
        None => rows.push(Row {
            name,
            times: vec![time],
            requests,
        }),
    }
}

fn report(title: &str, rows: &[Row], baseline: &str, best_raw: &[&str], ours: &[&str]) {
    let find = |n: &str| rows.iter().find(|r| r.name == n).unwrap();
    let base = find(baseline).median();
    let raw = best_raw
        .iter()
        .map(|n| find(n).median())
        .fold(f64::INFINITY, f64::min);
    // The best raw time of each round, and each arm's median of per-round
    // ratios against it (the rounds are interleaved, so a slow spell of the
    // shared machine hits both sides of a ratio).
    let rounds = rows[0].times.len();
    let best_raw_of_round = |round: usize| {
        best_raw
            .iter()
            .map(|n| find(n).times[round].as_secs_f64())
            .fold(f64::INFINITY, f64::min)
    };
    let per_round = |r: &Row| {
        let mut ratios: Vec<f64> = (0..rounds)
            .map(|round| r.times[round].as_secs_f64() / best_raw_of_round(round))
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2]
    };
    println!("\n{title} (median of {rounds} interleaved runs)");
    println!(
        "| {:<34} | {:>9} | {:>9} | {:>12} | {:>14} | {:>18} |",
        "method", "time (s)", "requests", "vs loop", "vs best raw", "per-round vs raw"
    );
    println!(
        "|{:-<36}|{:->11}|{:->11}|{:->14}|{:->16}|{:->20}|",
        "", "", "", "", "", ""
    );
    for r in rows {
        let t = r.median();
        let mark = if ours.contains(&r.name) { " *" } else { "" };
        println!(
            "| {:<34} | {:>9.3} | {:>9} | {:>11.2}x | {:>13.2}x | {:>17.3}x |{mark}",
            r.name,
            t,
            r.requests,
            base / t,
            t / raw,
            per_round(r)
        );
    }
}

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

    // Warm up connections and the JVM.
    let warm = fresh(&client, "warm").await;
    warm.batch_put(&items[..n.min(2_000)]).await.unwrap();
    warm.batch_get(keys().take(2_000)).await.unwrap();

    let mut writes = Vec::new();
    // Single-item loops, ours and raw, per round.
    let (mut singles_w, mut raw_singles_w) = (Vec::new(), Vec::new());
    let (mut singles_r, mut raw_singles_r) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        println!("round {round}");
        let loop_repo = fresh(&client, "put-loop").await;
        timed(&mut writes, &counter, "put loop", async {
            for item in &items {
                loop_repo.put(item).await.unwrap();
            }
        })
        .await;
        // This round's time of the put loop (found by name: `writes.last()` is
        // another arm's row once every arm has one).
        singles_w.push(row_time(&writes, "put loop"));
        // The same loop with the raw SDK: encode, PutItem, nothing else asked.
        let raw_loop = fresh(&client, "raw-put-loop").await;
        let start = Instant::now();
        for item in &items {
            client
                .sdk()
                .put_item()
                .table_name(raw_loop.table_name())
                .set_item(Some(item.to_item()))
                .send()
                .await
                .unwrap();
        }
        raw_singles_w.push(start.elapsed());
        println!(
            "  {:<34} {:>9.3} s",
            "raw PutItem loop",
            start.elapsed().as_secs_f64()
        );
        drop_table(&client, &raw_loop).await;
        let raw_seq = fresh(&client, "raw-seq").await;
        timed(
            &mut writes,
            &counter,
            "raw BatchWriteItem, sequential",
            async {
                for chunk in items.chunks(25) {
                    let chunk = chunk.iter().map(Entity::to_item).collect();
                    raw_write(&client, raw_seq.table_name(), chunk).await;
                }
            },
        )
        .await;
        let raw_conc = fresh(&client, "raw-conc").await;
        timed(
            &mut writes,
            &counter,
            "raw BatchWriteItem, 4 in flight",
            async {
                stream::iter(items.chunks(25))
                    .map(|chunk| {
                        let chunk = chunk.iter().map(Entity::to_item).collect();
                        raw_write(&client, raw_conc.table_name(), chunk)
                    })
                    .buffer_unordered(4)
                    .collect::<Vec<()>>()
                    .await;
            },
        )
        .await;
        let raw_conc8 = fresh(&client, "raw-conc8").await;
        timed(
            &mut writes,
            &counter,
            "raw BatchWriteItem, 8 in flight",
            async {
                stream::iter(items.chunks(25))
                    .map(|chunk| {
                        let chunk = chunk.iter().map(Entity::to_item).collect();
                        raw_write(&client, raw_conc8.table_name(), chunk)
                    })
                    .buffer_unordered(8)
                    .collect::<Vec<()>>()
                    .await;
            },
        )
        .await;
        let ours4 = fresh(&client, "batch-put-4").await;
        timed(&mut writes, &counter, "batch_put, concurrency 4", async {
            ours4.batch_put(&items).concurrency(4).await.unwrap();
        })
        .await;
        let ours = fresh(&client, "batch-put").await;
        timed(
            &mut writes,
            &counter,
            "batch_put (default concurrency 8)",
            async {
                ours.batch_put(&items).await.unwrap();
            },
        )
        .await;
        for repo in [&loop_repo, &raw_seq, &raw_conc, &raw_conc8, &ours4, &ours] {
            drop_table(&client, repo).await;
        }
    }

    println!("\nreads:");
    let source = fresh(&client, "reads").await;
    source.batch_put(&items).await.unwrap();
    let table = source.table_name();
    let mut reads = Vec::new();
    for round in 1..=rounds {
        println!("round {round}");
        timed(&mut reads, &counter, "get loop", async {
            for key in keys() {
                assert!(source.get(key).await.unwrap().is_some());
            }
        })
        .await;
        singles_r.push(row_time(&reads, "get loop"));
        // The same loop with the raw SDK: GetItem, decode by hand.
        let start = Instant::now();
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
        raw_singles_r.push(start.elapsed());
        println!(
            "  {:<34} {:>9.3} s",
            "raw GetItem loop",
            start.elapsed().as_secs_f64()
        );
        timed(
            &mut reads,
            &counter,
            "raw BatchGetItem, sequential",
            async {
                let all: Vec<Item> = keys().map(|k| k.into_item()).collect();
                let mut found = 0;
                for chunk in all.chunks(100) {
                    found += raw_get(&client, table, chunk.to_vec()).await;
                }
                assert_eq!(found, n);
            },
        )
        .await;
        timed(
            &mut reads,
            &counter,
            "raw BatchGetItem, 4 in flight",
            async {
                let all: Vec<Item> = keys().map(|k| k.into_item()).collect();
                let found: usize = stream::iter(all.chunks(100))
                    .map(|chunk| raw_get(&client, table, chunk.to_vec()))
                    .buffer_unordered(4)
                    .collect::<Vec<usize>>()
                    .await
                    .into_iter()
                    .sum();
                assert_eq!(found, n);
            },
        )
        .await;
        timed(
            &mut reads,
            &counter,
            "raw BatchGetItem, 8 in flight",
            async {
                let all: Vec<Item> = keys().map(|k| k.into_item()).collect();
                let found: usize = stream::iter(all.chunks(100))
                    .map(|chunk| raw_get(&client, table, chunk.to_vec()))
                    .buffer_unordered(8)
                    .collect::<Vec<usize>>()
                    .await
                    .into_iter()
                    .sum();
                assert_eq!(found, n);
            },
        )
        .await;
        timed(&mut reads, &counter, "batch_get, concurrency 4", async {
            let out = source.batch_get(keys()).concurrency(4).await.unwrap();
            assert_eq!(out.items.len(), n);
        })
        .await;
        timed(
            &mut reads,
            &counter,
            "batch_get (default concurrency 8)",
            async {
                let out = source.batch_get(keys()).await.unwrap();
                assert_eq!(out.items.len(), n);
            },
        )
        .await;
    }

    let ours_w = [
        "batch_put, concurrency 4",
        "batch_put (default concurrency 8)",
    ];
    let ours_r = [
        "batch_get, concurrency 4",
        "batch_get (default concurrency 8)",
    ];
    report(
        "Writes",
        &writes,
        "put loop",
        &[
            "raw BatchWriteItem, sequential",
            "raw BatchWriteItem, 4 in flight",
            "raw BatchWriteItem, 8 in flight",
        ],
        &ours_w,
    );
    report(
        "Reads",
        &reads,
        "get loop",
        &[
            "raw BatchGetItem, sequential",
            "raw BatchGetItem, 4 in flight",
            "raw BatchGetItem, 8 in flight",
        ],
        &ours_r,
    );
    let single = |title: &str, ours: &[Duration], raw: &[Duration]| {
        let mut ratios: Vec<f64> = ours
            .iter()
            .zip(raw)
            .map(|(o, r)| o.as_secs_f64() / r.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "{title}: per-round ratios {:?}, median {:.3}x",
            ratios.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>(),
            ratios[ratios.len() / 2]
        );
    };
    println!();
    single("put loop / raw PutItem loop", &singles_w, &raw_singles_w);
    single("get loop / raw GetItem loop", &singles_r, &raw_singles_r);
    println!(
        "\nminimum requests: ⌈{n}/25⌉ = {} writes, ⌈{n}/100⌉ = {} reads",
        n.div_ceil(25),
        n.div_ceil(100)
    );

    drop_table(&client, &warm).await;
    drop_table(&client, &source).await;
}
