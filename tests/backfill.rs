//! The backfill runner against a real server: a 20,000-item migration
//! killed midway and resumed from its persisted checkpoint, conditions that
//! make a re-run change nothing, errors that carry the checkpoint, and the
//! rate limit's accounting against the testkit's capacity simulator.

use dynamo_repo::backfill::{
    Action, BackfillCheckpoint, BackfillProgress, RateLimit, SegmentCheckpoint, StopCause,
};
use dynamo_repo::expr::{Condition, Update};
use dynamo_repo::{Entity, Item, Repository, RetryPolicy};
use dynamo_repo_testkit::{CapacitySimulator, Throughput};
use dynamo_repo_tests::fresh_repository;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Version 2 of a document: `slug` and `upgrades` came with it. Version 1
/// items have neither (`v` = 1).
#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "backfill-docs")]
struct Doc {
    #[dynamo(partition_key)]
    id: String,
    title: String,
    v: u32,
    slug: Option<String>,
    /// How many times a migration was applied to the item.
    upgrades: Option<u32>,
}

fn v1(n: u32) -> Doc {
    Doc {
        id: format!("d-{n:05}"),
        title: format!("Title Number {n}"),
        v: 1,
        slug: None,
        upgrades: None,
    }
}

async fn table_of_v1(count: u32) -> Repository<Doc> {
    let docs = fresh_repository::<Doc>().await;
    let rows: Vec<Doc> = (0..count).map(v1).collect();
    docs.batch_put(&rows).await.unwrap();
    docs
}

/// The items still at version 1.
fn pending() -> Condition<Doc> {
    Doc::fields().v.lt(2)
}

/// The migration: reads the raw item (as the old code wrote it) and
/// upgrades it to version 2, counting the upgrade in the item itself.
fn upgrade(item: &Item) -> Action<Doc> {
    let f = Doc::fields();
    let title = item["title"].as_s().unwrap();
    Action::update(
        Update::new()
            .set(&f.slug, title.to_lowercase().replace(' ', "-"))
            .set(&f.v, 2)
            .increment(&f.upgrades, 1),
    )
}

type Calls = Arc<Mutex<HashMap<String, u32>>>;

fn id_of(item: &Item) -> String {
    item["id"].as_s().unwrap().clone()
}

#[tokio::test]
async fn a_killed_backfill_resumes_from_its_checkpoint_and_upgrades_every_item_exactly_once() {
    const ITEMS: u32 = 20_000;
    const CONCURRENCY: usize = 16;
    const KILL_AFTER: usize = 8_000;
    let docs = table_of_v1(ITEMS).await;
    let calls: Calls = Arc::default();
    // What the caller persists: the checkpoint as JSON, after every page.
    let saved: Arc<Mutex<Option<String>>> = Arc::default();
    let killed = Arc::new(tokio::sync::Notify::new());

    let persist = {
        let saved = saved.clone();
        move |p: &BackfillProgress| {
            *saved.lock().unwrap() = Some(serde_json::to_string(&p.checkpoint).unwrap());
        }
    };
    let migrate = |calls: Calls, kill: Option<Arc<tokio::sync::Notify>>| {
        move |item: Item| {
            let n = {
                let mut calls = calls.lock().unwrap();
                *calls.entry(id_of(&item)).or_default() += 1;
                calls.values().map(|&c| c as usize).sum::<usize>()
            };
            if n == KILL_AFTER {
                if let Some(kill) = &kill {
                    kill.notify_one();
                }
            }
            let action = upgrade(&item);
            async move { Ok::<_, std::convert::Infallible>(action) }
        }
    };

    // Run 1, killed after KILL_AFTER calls: its future is dropped mid-run.
    let run = docs
        .backfill()
        .segments(4)
        .concurrency(CONCURRENCY)
        .page_size(250)
        .only(pending())
        .on_progress(persist.clone())
        .run_raw(migrate(calls.clone(), Some(killed.clone())));
    tokio::select! {
        done = run => panic!("the run ended before it was killed: {:?}", done.map(|s| s.total)),
        () = killed.notified() => {}
    }
    let calls_in_run_1: HashMap<String, u32> = calls.lock().unwrap().clone();
    // A write already sent when the future was dropped still lands on the
    // server a moment later (observed: counted too early, one such write was
    // missing from the total below, 19,999 of 20,000): count once the
    // number stops moving, as a new process starting after a crash would.
    let count_written = || async {
        docs.scan()
            .filter(Doc::fields().v.eq(2))
            .count()
            .await
            .unwrap()
    };
    let mut written_in_run_1 = count_written().await;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let again = count_written().await;
        if again == written_in_run_1 {
            break;
        }
        written_in_run_1 = again;
    }
    let calls_before_kill: u32 = calls_in_run_1.values().sum();
    assert!(calls_before_kill as usize >= KILL_AFTER);
    assert!(
        written_in_run_1 > 0 && written_in_run_1 < u64::from(ITEMS),
        "killed midway: {written_in_run_1} of {ITEMS} written"
    );

    // Run 2 resumes from what was persisted (a new process would read it back).
    let json = saved
        .lock()
        .unwrap()
        .clone()
        .expect("a checkpoint was persisted");
    let checkpoint: BackfillCheckpoint = serde_json::from_str(&json).unwrap();
    assert!(!checkpoint.is_done());
    assert!(
        checkpoint
            .segments()
            .iter()
            .any(|s| matches!(s, SegmentCheckpoint::After { .. })),
        "the kill came mid-segment: {checkpoint:?}"
    );
    let resumed = docs
        .backfill()
        .concurrency(CONCURRENCY)
        .page_size(250)
        .only(pending())
        .resume_from(checkpoint)
        .on_progress(persist)
        .run_raw(migrate(calls.clone(), None))
        .await
        .unwrap();
    assert!(resumed.checkpoint.is_done());
    assert!(
        resumed.total.evaluated < u64::from(ITEMS),
        "the finished pages were not read again ({} items evaluated)",
        resumed.total.evaluated
    );

    // Every item is at version 2, upgraded exactly once (the write condition
    // `v < 2` lets at most one upgrade through), none skipped.
    let all = docs.scan().all().await.unwrap();
    assert_eq!(all.len(), ITEMS as usize);
    for doc in &all {
        assert_eq!(doc.v, 2, "{} not migrated", doc.id);
        assert_eq!(doc.upgrades, Some(1), "{} upgraded more than once", doc.id);
        assert_eq!(
            doc.slug.as_deref(),
            Some(doc.title.to_lowercase().replace(' ', "-").as_str())
        );
    }
    assert_eq!(
        written_in_run_1 + resumed.total.changed + resumed.total.failed,
        u64::from(ITEMS),
        "each item written by run 1 or run 2: {:?}",
        resumed.total
    );

    // The function's calls per key. The filter keeps every item written
    // before the kill away from run 2, so a key is seen twice only if the
    // function was called for it in run 1 and its write had not landed when
    // the future was dropped: the items in the function or in flight then,
    // which the concurrency bounds. A write cut off in flight may still have
    // been applied by the server after run 2 read the item: run 2's write of
    // it then fails its condition (counted in `failed`), which the same
    // bound covers.
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), ITEMS as usize, "the function saw every item");
    assert!(calls.values().all(|&c| c == 1 || c == 2), "no key thrice");
    let twice: Vec<&String> = calls
        .iter()
        .filter(|(_, &c)| c == 2)
        .map(|(k, _)| k)
        .collect();
    assert!(
        twice.len() <= CONCURRENCY,
        "{} keys seen twice; at most the {CONCURRENCY} in flight at the kill may be",
        twice.len()
    );
    for key in &twice {
        assert_eq!(
            calls_in_run_1.get(*key),
            Some(&1),
            "{key} was in flight in run 1"
        );
    }
    assert!(resumed.total.failed as usize <= twice.len());
    assert_eq!(
        calls_in_run_1.len() as u64 + resumed.total.scanned - twice.len() as u64,
        u64::from(ITEMS)
    );

    // A second full run finds nothing to do: no call, no write.
    let before: u32 = calls.values().sum();
    let calls = Arc::new(Mutex::new(calls));
    let again = docs
        .backfill()
        .only(pending())
        .run_raw(migrate(calls.clone(), None))
        .await
        .unwrap();
    assert_eq!(calls.lock().unwrap().values().sum::<u32>(), before);
    assert_eq!((again.total.scanned, again.total.changed), (0, 0));
    assert_eq!(again.total.evaluated, u64::from(ITEMS));
}

#[tokio::test]
async fn a_write_whose_condition_fails_is_counted_and_the_run_goes_on() {
    let docs = table_of_v1(50).await;
    let other = docs.clone();
    let stats = docs
        .backfill()
        .segments(2)
        .only(pending())
        .run_raw(|item: Item| {
            let other = other.clone();
            async move {
                if id_of(&item) == "d-00007" {
                    // Someone else migrates this item meanwhile (to version 3).
                    other
                        .update(Doc::key("d-00007"))
                        .set(Doc::fields().v, 3)
                        .await?;
                }
                Ok::<_, dynamo_repo::Error>(upgrade(&item))
            }
        })
        .await
        .unwrap();
    assert_eq!((stats.total.changed, stats.total.failed), (49, 1));
    let d7 = docs.get(Doc::key("d-00007")).await.unwrap().unwrap();
    assert_eq!(
        (d7.v, d7.upgrades),
        (3, None),
        "left as the other writer made it"
    );
}

#[tokio::test]
async fn without_a_filter_a_write_applies_only_to_the_item_as_read() {
    let docs = table_of_v1(3).await;
    let other = docs.clone();
    let stats = docs
        .backfill()
        .segments(1)
        .run_raw(|item: Item| {
            let other = other.clone();
            async move {
                if id_of(&item) == "d-00001" {
                    other
                        .update(Doc::key("d-00001"))
                        .set(Doc::fields().title, "Changed")
                        .await?;
                }
                Ok::<_, dynamo_repo::Error>(upgrade(&item))
            }
        })
        .await
        .unwrap();
    assert_eq!((stats.total.changed, stats.total.failed), (2, 1));
    let d1 = docs.get(Doc::key("d-00001")).await.unwrap().unwrap();
    assert_eq!((d1.title.as_str(), d1.v), ("Changed", 1));
}

#[tokio::test]
async fn a_failing_function_stops_the_run_with_a_checkpoint_that_resumes_it() {
    let docs = table_of_v1(600).await;
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let migrate = |item: Item| {
        let fail = id_of(&item) == "d-00420" && failing.load(std::sync::atomic::Ordering::SeqCst);
        let action = upgrade(&item);
        async move {
            if fail {
                Err("the lookup service is down".to_owned())
            } else {
                Ok(action)
            }
        }
    };
    let err = docs
        .backfill()
        .segments(3)
        .page_size(50)
        .only(pending())
        .run_raw(migrate)
        .await
        .unwrap_err();
    assert!(matches!(err.cause, StopCause::Function(_)), "{err}");
    assert!(err.to_string().contains("the function failed"), "{err}");
    assert!(!err.checkpoint.is_done());
    failing.store(false, std::sync::atomic::Ordering::SeqCst);
    let resumed = docs
        .backfill()
        .page_size(50)
        .only(pending())
        .resume_from(err.checkpoint)
        .run_raw(migrate)
        .await
        .unwrap();
    assert!(resumed.checkpoint.is_done());
    let all = docs.scan().all().await.unwrap();
    assert!(all.iter().all(|d| d.v == 2 && d.upgrades == Some(1)));
}

#[tokio::test]
async fn a_checkpoint_of_another_table_is_refused_before_anything_is_sent() {
    let docs = table_of_v1(1).await;
    let json = r#"{"total_segments":1,"segments":[{"state":"after","key":{"pk":{"S":"x"},"sk":{"N":"1"}}}]}"#;
    let foreign: BackfillCheckpoint = serde_json::from_str(json).unwrap();
    let err = docs
        .backfill()
        .resume_from(foreign)
        .run_raw(|item: Item| async move { Ok::<_, std::convert::Infallible>(upgrade(&item)) })
        .await
        .unwrap_err();
    assert!(err.as_dynamo().is_some_and(|e| e.is_validation()), "{err}");
    assert_eq!(docs.get(Doc::key("d-00000")).await.unwrap().unwrap().v, 1);
}

#[tokio::test]
async fn the_rate_limit_keeps_consumed_capacity_within_budget_times_time_plus_burst() {
    const WCU: f64 = 100.0;
    const RCU: f64 = 20.0;
    let docs = table_of_v1(300).await;
    let name = docs.table_name().to_owned();
    // The simulator charges by DynamoDB's rules, independently of the runner;
    // its table allows far more than the runner's budget, so only the
    // runner's own pacing keeps within it.
    let sim = CapacitySimulator::new().table(&name, Throughput::new(10_000.0, 10_000.0));
    let through = sim
        .client()
        .unwrap()
        .repository::<Doc>()
        .with_table_name(&name);
    let started = Instant::now();
    let stats = through
        .backfill()
        .segments(2)
        .page_size(25)
        .only(pending())
        .rate_limit(
            RateLimit::new()
                .read_units(RCU)
                .write_units(WCU)
                .burst(Duration::from_secs(1)),
        )
        .run_raw(|item: Item| async move { Ok::<_, std::convert::Infallible>(upgrade(&item)) })
        .await
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(stats.total.changed, 300);
    let charged = sim.consumed(&name);
    // Each write of these small items costs 1 WCU, estimated exactly: the
    // bound is strict. A scan page's cost is known only once read, so each
    // segment's last page may overshoot by its own cost (25 items of well
    // under 4 KB each: at most 0.5 RCU per item, eventually consistent).
    assert_eq!(charged.write_units, 300.0);
    assert!(
        charged.write_units <= WCU * elapsed + WCU,
        "{} WCU in {elapsed:.2} s over a budget of {WCU}/s + {WCU} burst",
        charged.write_units
    );
    let page_slack = 2.0 * 25.0 * 0.5;
    assert!(
        charged.read_units <= RCU * elapsed + RCU + page_slack,
        "{} RCU in {elapsed:.2} s over a budget of {RCU}/s + {RCU} burst",
        charged.read_units
    );
    // The runner asked for consumed capacity (only because of the limit) and
    // summed what DynamoDB reported.
    let reported = stats
        .capacity
        .expect("capacity asked for under a rate limit");
    assert!(reported.total() >= 300.0, "{reported:?}");
}

#[tokio::test]
async fn a_throttled_backfill_retries_and_loses_nothing() {
    let docs = table_of_v1(200).await;
    let name = docs.table_name().to_owned();
    let sim = CapacitySimulator::new()
        .table(&name, Throughput::writes(40.0))
        .burst_seconds(0.5);
    let through = sim
        .client()
        .unwrap()
        .repository::<Doc>()
        .with_table_name(&name);
    let retry = RetryPolicy::default()
        .with_max_attempts(50)
        .with_base_delay(Duration::from_millis(20))
        .with_max_delay(Duration::from_millis(400));
    let stats = through
        .backfill()
        .segments(2)
        .concurrency(8)
        .only(pending())
        .retry_policy(retry)
        .run_raw(|item: Item| async move { Ok::<_, std::convert::Infallible>(upgrade(&item)) })
        .await
        .unwrap();
    assert!(sim.stats().throttled > 0, "the table throttled");
    assert!(stats.total.retries > 0);
    assert_eq!((stats.total.changed, stats.total.failed), (200, 0));
    let all = docs.scan().all().await.unwrap();
    assert!(all.iter().all(|d| d.v == 2 && d.upgrades == Some(1)));
}
