//! The five figures of the lean-requests targets, each measured head to
//! head: the library's call and the best raw-SDK pattern run back to back
//! in every round (which one goes first alternates), so that DynamoDB
//! Local's drift (JIT, GC, table state) falls on both alike. Reported per
//! pair: the median of the per-round ratios, its quartiles, the median
//! times, and the client's own CPU time (this process) per call.
//!
//! ```sh
//! scripts/with-dynamodb-local cargo bench -p dynamo-repo-benches --bench head_to_head
//! ```
//!
//! The pairs (the raw arms send no option a raw-SDK user would not):
//! - `batch_put` of `HEAD_BENCH_ITEMS` (default 4,000) / raw `BatchWriteItem`,
//!   8 in flight, items encoded before the clock starts, each arm into a new
//!   table;
//! - `batch_get` of the same keys / raw `BatchGetItem`, 8 in flight, keys
//!   built before the clock, items decoded by hand and kept in one `Vec`
//!   (what `batch_get` returns); beside it, the raw reads dropping each
//!   response's items once decoded;
//! - a `put` loop of `HEAD_BENCH_SINGLE` (default 500) / a raw `PutItem`
//!   loop encoding by hand (`hand::to_item`);
//! - a `get` loop / a raw `GetItem` loop decoding by hand;
//! - `query(pk).all()` of 2,000 ~2 KB items (several 1 MB pages) / the
//!   SDK's paginator, decoded by hand.
//!
//! `HEAD_BENCH_ROUNDS` sets the rounds (default 15), after one warm-up round
//! that is not counted.

use dynamo_repo::sdk::types::AttributeValue;
use dynamo_repo::{Client, Entity, Key};
use dynamo_repo_benches::raw::{
    drop_table, encoded_chunks, fresh, key_chunks, profiles, raw_gets, raw_writes_encoded, Read,
};
use dynamo_repo_benches::{hand, raw_query, sample, Profile};
use std::future::Future;
use std::time::Instant;

/// One pair's measurements: per round, (raw, ours) wall seconds and client
/// CPU seconds.
#[derive(Default)]
struct Pair {
    wall: Vec<(f64, f64)>,
    cpu: Vec<(f64, f64)>,
}

/// User plus system CPU time of this process so far, from `/proc/self/stat`
/// (clock ticks of 10 ms: meaningful summed over rounds).
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 11 and 12 here.
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs `f`, returning its (wall, CPU) seconds.
async fn measure<F: Future<Output = ()>>(f: F) -> (f64, f64) {
    let cpu = process_cpu_seconds();
    let start = Instant::now();
    f.await;
    (start.elapsed().as_secs_f64(), process_cpu_seconds() - cpu)
}

/// Runs the raw arm and ours back to back, raw first in even rounds, and
/// records them (unless `pair` is `None`: the warm-up).
async fn head_to_head<R, O>(pair: Option<&mut Pair>, round: usize, raw: R, ours: O)
where
    R: Future<Output = ()>,
    O: Future<Output = ()>,
{
    let (r, o) = if round.is_multiple_of(2) {
        let r = measure(raw).await;
        (r, measure(ours).await)
    } else {
        let o = measure(ours).await;
        (measure(raw).await, o)
    };
    if let Some(pair) = pair {
        pair.wall.push((r.0, o.0));
        pair.cpu.push((r.1, o.1));
    }
}

/// `pair`, or `None` in the warm-up round.
fn keep(pair: &mut Pair, counted: bool) -> Option<&mut Pair> {
    counted.then_some(pair)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[at]
}

fn report(name: &str, pair: &Pair) {
    let mut ratios: Vec<f64> = pair.wall.iter().map(|(r, o)| o / r).collect();
    ratios.sort_by(f64::total_cmp);
    let mut raw: Vec<f64> = pair.wall.iter().map(|w| w.0).collect();
    let mut ours: Vec<f64> = pair.wall.iter().map(|w| w.1).collect();
    raw.sort_by(f64::total_cmp);
    ours.sort_by(f64::total_cmp);
    let (cpu_raw, cpu_ours) = pair
        .cpu
        .iter()
        .fold((0.0, 0.0), |(a, b), (r, o)| (a + r, b + o));
    let n = pair.wall.len() as f64;
    println!(
        "| {name:<44} | {:>6.1} | {:>6.1} | **{:.3}×** | {:.3}–{:.3} | {:>5.1} | {:>5.1} |",
        quantile(&raw, 0.5) * 1e3,
        quantile(&ours, 0.5) * 1e3,
        quantile(&ratios, 0.5),
        quantile(&ratios, 0.25),
        quantile(&ratios, 0.75),
        cpu_raw / n * 1e3,
        cpu_ours / n * 1e3,
    );
}

#[tokio::main]
async fn main() {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").expect(
        "DYNAMODB_ENDPOINT is not set: run `scripts/with-dynamodb-local cargo bench -p dynamo-repo-benches --bench head_to_head`",
    );
    let var = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let n = var("HEAD_BENCH_ITEMS", 4_000);
    let singles = var("HEAD_BENCH_SINGLE", 500).min(n);
    let rounds = var("HEAD_BENCH_ROUNDS", 15).max(1);
    let client = Client::local(endpoint);
    let sdk = client.sdk().clone();
    let items = profiles(n);

    // The read tables: the items for the gets, one 2,000-item partition
    // of ~2 KB items for the query.
    let source = fresh(&client, "h2h-reads").await;
    source.batch_put(&items).await.unwrap();
    let queried = fresh(&client, "h2h-query").await;
    let mut big = sample();
    big.id = "bench".into();
    big.name = "x".repeat(1500);
    let page: Vec<Profile> = (0..2_000u64)
        .map(|created| Profile {
            created,
            ..big.clone()
        })
        .collect();
    queried.batch_put(&page).await.unwrap();

    let mut pairs: [Pair; 6] = Default::default();
    println!("{n} items (single loops {singles}), {rounds} rounds after a warm-up round");
    for round in 0..=rounds {
        let counted = round > 0;
        let [bp, bg, pl, gl, q, bd] = &mut pairs;

        // batch_put / raw 8 in flight, pre-encoded; each arm into a new table.
        let (raw_table, our_table) = (
            fresh(&client, "h2h-w-raw").await,
            fresh(&client, "h2h-w-ours").await,
        );
        let chunks = encoded_chunks(&items);
        head_to_head(
            keep(bp, counted),
            round,
            raw_writes_encoded(&client, raw_table.table_name(), chunks, 8),
            async {
                our_table.batch_put(&items).await.unwrap();
            },
        )
        .await;
        drop_table(&client, &raw_table).await;
        drop_table(&client, &our_table).await;

        // batch_get / raw 8 in flight, decoded by hand.
        let chunks = key_chunks(&items);
        let keys: Vec<Key<Profile>> = items.iter().map(Entity::primary_key).collect();
        head_to_head(
            keep(bg, counted),
            round,
            async {
                let (found, items) =
                    raw_gets(&client, source.table_name(), chunks, 8, Read::Keep).await;
                assert_eq!((found, items.len()), (n, n));
            },
            async {
                assert_eq!(source.batch_get(keys).await.unwrap().items.len(), n);
            },
        )
        .await;
        // Beside: the raw reads dropping each response's items once decoded
        // (less than `batch_get` gives back, so not the baseline).
        let chunks = key_chunks(&items);
        let keys: Vec<Key<Profile>> = items.iter().map(Entity::primary_key).collect();
        head_to_head(
            keep(bd, counted),
            round,
            async {
                let found = raw_gets(&client, source.table_name(), chunks, 8, Read::DecodeAndDrop)
                    .await
                    .0;
                assert_eq!(found, n);
            },
            async {
                assert_eq!(source.batch_get(keys).await.unwrap().items.len(), n);
            },
        )
        .await;

        // put loop / raw PutItem loop, encoded by hand.
        let (raw_table, our_table) = (
            fresh(&client, "h2h-p-raw").await,
            fresh(&client, "h2h-p-ours").await,
        );
        head_to_head(
            keep(pl, counted),
            round,
            async {
                for item in &items[..singles] {
                    sdk.put_item()
                        .table_name(raw_table.table_name())
                        .set_item(Some(hand::to_item(item)))
                        .send()
                        .await
                        .unwrap();
                }
            },
            async {
                for item in &items[..singles] {
                    our_table.put(item).await.unwrap();
                }
            },
        )
        .await;
        drop_table(&client, &raw_table).await;
        drop_table(&client, &our_table).await;

        // get loop / raw GetItem loop, decoded by hand.
        head_to_head(
            keep(gl, counted),
            round,
            async {
                for item in &items[..singles] {
                    let out = sdk
                        .get_item()
                        .table_name(source.table_name())
                        .key("id", AttributeValue::S(item.id.clone()))
                        .key("created", AttributeValue::N(item.created.to_string()))
                        .send()
                        .await
                        .unwrap();
                    let got = out.item.and_then(hand::from_item);
                    assert!(std::hint::black_box(got).is_some());
                }
            },
            async {
                for item in &items[..singles] {
                    let got = source.get(item.primary_key()).await.unwrap();
                    assert!(std::hint::black_box(got).is_some());
                }
            },
        )
        .await;

        // query(pk).all() / the raw paginator, decoded by hand.
        head_to_head(
            keep(q, counted),
            round,
            async {
                assert_eq!(
                    raw_query(&sdk, queried.table_name(), false).await.len(),
                    2_000
                );
            },
            async {
                assert_eq!(queried.query("bench").all().await.unwrap().len(), 2_000);
            },
        )
        .await;
        if counted {
            println!("round {round} done");
        }
    }

    println!(
        "\n| pair (library / raw) | raw ms | library ms | median ratio | quartiles | raw CPU ms | library CPU ms |"
    );
    println!("|---|---:|---:|---:|---|---:|---:|");
    let names = [
        "`batch_put` / raw 8 in flight, pre-encoded",
        "`batch_get` / raw 8 in flight, decoded, kept",
        "`put` loop / raw `PutItem` loop",
        "`get` loop / raw `GetItem` loop",
        "`query(pk).all()` / raw paginator, decoded",
        "beside: `batch_get` / raw 8, each response dropped",
    ];
    for (name, pair) in names.iter().zip(&pairs) {
        report(name, pair);
    }
    drop_table(&client, &source).await;
    drop_table(&client, &queried).await;
}
