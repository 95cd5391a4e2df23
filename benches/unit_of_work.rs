//! The client-side cost of a unit of work beside one round trip, in one run:
//! building and validating a 100-action unit (no request sent), one
//! 1-action `TransactWriteItems` round trip, and the commit of a 100-action
//! unit, against DynamoDB Local.
//!
//! `scripts/with-dynamodb-local cargo bench -p dynamo-repo-benches --bench unit_of_work`

use criterion::{criterion_group, criterion_main, Criterion};
use dynamo_repo::Client;
use dynamo_repo_benches::{sample, Profile};

fn unit_of_work(c: &mut Criterion) {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")
        .expect("run through scripts/with-dynamodb-local: this benchmark needs DynamoDB Local");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = Client::local(endpoint);
    let table = format!("bench-uow-{}", std::process::id());
    let repo = client.repository::<Profile>().with_table_name(&table);
    runtime.block_on(repo.create_table()).unwrap();
    let f = Profile::fields();
    let base = sample();

    let mut group = c.benchmark_group("unit_of_work");
    group.bench_function("build_and_validate_100_actions", |b| {
        b.iter(|| {
            let mut uow = client.unit_of_work();
            uow.with_repository(&repo);
            for i in 0..50u64 {
                let mut p = base.clone();
                p.created = i;
                uow.put(&p);
                uow.update_if(Profile::key("other", i), f.age.lt(200), |u| {
                    u.increment(&f.age, 1).set(&f.name, "renamed")
                });
            }
            uow.to_request().unwrap().unwrap()
        })
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
    let mut round = 0u64;
    group.sample_size(20);
    group.bench_function("round_trip_100_action_commit", |b| {
        b.to_async(&runtime).iter(|| {
            round += 1;
            let client = client.clone();
            let repo = repo.clone();
            let base = base.clone();
            async move {
                let mut uow = client.unit_of_work();
                uow.with_repository(&repo);
                for i in 0..100u64 {
                    let mut p = base.clone();
                    p.id = format!("round-{round}");
                    p.created = i;
                    uow.put(&p);
                }
                uow.commit().await.unwrap()
            }
        })
    });
    group.finish();
    runtime.block_on(repo.delete_table()).unwrap();
}

criterion_group!(benches, unit_of_work);
criterion_main!(benches);
