//! The generated mapping beside serde_dynamo and a hand-written conversion of
//! the same 12-field struct, encode and decode, in one run.
//!
//! `cargo bench -p dynamo-repo-benches --bench mapping`

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use dynamo_repo::Entity;
use dynamo_repo_benches::{hand, sample, Profile};

fn encode(c: &mut Criterion) {
    let value = sample();
    // The three encoders must agree before their speed means anything.
    assert_eq!(value.to_item(), hand::to_item(&value));
    // serde_dynamo round-trips through itself (it stores the BTreeSet as a list, L, not SS).
    let serde_item: dynamo_repo::Item = serde_dynamo::to_item(&value).unwrap();
    let back: Profile = serde_dynamo::from_item(serde_item).unwrap();
    assert_eq!(back, value);

    let mut group = c.benchmark_group("encode");
    group.bench_function("hand_written", |b| {
        b.iter(|| hand::to_item(black_box(&value)))
    });
    group.bench_function("derive", |b| b.iter(|| black_box(&value).to_item()));
    group.bench_function("serde_dynamo", |b| {
        b.iter(|| -> dynamo_repo::Item { serde_dynamo::to_item(black_box(&value)).unwrap() })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let value = sample();
    let item = value.to_item();
    assert_eq!(hand::from_item(item.clone()).unwrap(), value);

    let mut group = c.benchmark_group("decode");
    group.bench_function("hand_written", |b| {
        b.iter_batched(
            || item.clone(),
            |i| hand::from_item(i).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("derive", |b| {
        b.iter_batched(
            || item.clone(),
            |i| Profile::from_item(i).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("serde_dynamo", |b| {
        b.iter_batched(
            || item.clone(),
            |i| -> Profile { serde_dynamo::from_item(i).unwrap() },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
