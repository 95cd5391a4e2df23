//! The generated mapping beside the fastest hand-written conversion and
//! serde_dynamo, as ratios measured in interleaved rounds: each round times
//! every arm once (in a rotating order) over the same batch of items, and
//! the figure reported is the median of the per-round ratios, so a load that
//! comes and goes on a shared machine affects both sides of each ratio alike.
//!
//! `cargo bench -p dynamo-repo-benches --bench mapping_rounds`
//! (`MAPPING_ROUNDS`, default 31; `MAPPING_BATCH`, items per arm and round,
//! default 20,000).

use dynamo_repo::{Entity, Item};
use dynamo_repo_benches::{hand, sample, Profile};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Items are decoded in chunks of this many fresh copies, made before the
/// clock starts (only the decoding is timed), small enough to stay in cache
/// as an item just read from a response would be.
const CHUNK: usize = 64;

/// Times `decode` over `batch` fresh copies of `item`.
fn time_decode<T>(item: &Item, batch: usize, decode: impl Fn(Item) -> T) -> Duration {
    let mut elapsed = Duration::ZERO;
    let mut out = Vec::with_capacity(CHUNK);
    for _ in 0..batch.div_ceil(CHUNK) {
        let items: Vec<Item> = (0..CHUNK).map(|_| item.clone()).collect();
        let start = Instant::now();
        for i in items {
            out.push(decode(black_box(i)));
        }
        elapsed += start.elapsed();
        // The decoded values are dropped outside the clock, as the items'
        // copies are made outside it.
        black_box(&mut out).clear();
    }
    elapsed
}

/// Times `encode` of `value`, `batch` times; the items are dropped outside
/// the clock.
fn time_encode<T>(value: &Profile, batch: usize, encode: impl Fn(&Profile) -> T) -> Duration {
    let mut elapsed = Duration::ZERO;
    let mut out = Vec::with_capacity(CHUNK);
    for _ in 0..batch.div_ceil(CHUNK) {
        let start = Instant::now();
        for _ in 0..CHUNK {
            out.push(encode(black_box(value)));
        }
        elapsed += start.elapsed();
        black_box(&mut out).clear();
    }
    elapsed
}

type Arm<'a> = (&'a str, Box<dyn Fn() -> Duration + 'a>);

/// Runs `arms` (the first is the baseline) for `rounds` interleaved rounds
/// and prints, per arm, the median time per item and the median of its
/// per-round ratios to the baseline.
fn report(title: &str, rounds: usize, batch: usize, arms: &[Arm]) {
    let mut times = vec![Vec::with_capacity(rounds); arms.len()];
    for _ in 0..3 {
        for (_, run) in arms {
            run(); // warm up
        }
    }
    for round in 0..rounds {
        for k in 0..arms.len() {
            let a = (round + k) % arms.len();
            times[a].push(arms[a].1().as_secs_f64());
        }
    }
    println!("\n{title}: {rounds} interleaved rounds of {batch} items");
    println!(
        "| arm | median per item | median of per-round ratios to {} |",
        arms[0].0
    );
    println!("|---|---:|---:|");
    for (a, (name, _)) in arms.iter().enumerate() {
        let ratios = (0..rounds).map(|r| times[a][r] / times[0][r]).collect();
        let per_item = median(times[a].clone()) / (batch.div_ceil(CHUNK) * CHUNK) as f64 * 1e9;
        println!("| {name} | {per_item:.0} ns | {:.3}× |", median(ratios));
    }
}

fn main() {
    let rounds = env("MAPPING_ROUNDS", 31);
    let batch = env("MAPPING_BATCH", 20_000);
    let value = sample();
    let item = value.to_item();
    // The arms must agree before their speed means anything.
    assert_eq!(hand::to_item(&value), item);
    assert_eq!(hand::from_item(item.clone()).as_ref(), Some(&value));
    assert_eq!(Profile::from_item(item.clone()).ok().as_ref(), Some(&value));
    let serde_item: Item = serde_dynamo::to_item(&value).expect("serde_dynamo encodes");
    let back: Profile = serde_dynamo::from_item(serde_item.clone()).expect("and decodes");
    assert_eq!(back, value);

    report(
        "decode (from_item)",
        rounds,
        batch,
        &[
            (
                "hand_written",
                Box::new(|| time_decode(&item, batch, hand::from_item)),
            ),
            (
                "derive",
                Box::new(|| time_decode(&item, batch, Profile::from_item)),
            ),
            (
                "serde_dynamo",
                Box::new(|| {
                    time_decode(&serde_item, batch, |i| -> Profile {
                        serde_dynamo::from_item(i).expect("decodes")
                    })
                }),
            ),
        ],
    );
    report(
        "encode (to_item)",
        rounds,
        batch,
        &[
            (
                "hand_written",
                Box::new(|| time_encode(&value, batch, hand::to_item)),
            ),
            (
                "derive",
                Box::new(|| time_encode(&value, batch, Profile::to_item)),
            ),
            (
                "serde_dynamo",
                Box::new(|| {
                    time_encode(&value, batch, |v| -> Item {
                        serde_dynamo::to_item(v).expect("encodes")
                    })
                }),
            ),
        ],
    );
}
