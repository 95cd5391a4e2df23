//! Backfill: migrate 5,000 items from version 1 to version 2 with the
//! resumable runner, drawing its progress as a progress bar.
//!
//! ```sh
//! cargo run -p dynamo-repo-examples --example backfill
//! ```
//!
//! runs against an embedded DynamoDB-compatible server (see `backend.rs`);
//! set `DYNAMODB_ENDPOINT` (or use `scripts/with-dynamodb-local`) for
//! DynamoDB Local.
//!
//! The job runs as a Lambda would: the first invocation is cut short after
//! 20 pages (its run dropped mid-flight, as a timeout ends it), its last
//! checkpoint is persisted as JSON to a file (a real job would use an item,
//! S3 or the next event), and the next invocation resumes from it with
//! `.resume_from(..)`. At the end every item is at version 2.

mod backend;

use dynamo_repo::backfill::{Action, BackfillCheckpoint, BackfillProgress, RateLimit};
use dynamo_repo::expr::Update;
use dynamo_repo::{Entity, Item, Repository};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

const ITEMS: u64 = 5_000;

/// Version 2: `display` is new, derived from version 1's `first` and `last`.
#[derive(Entity, Debug, Clone)]
#[dynamo(table = "backfill-example-people")]
struct Person {
    #[dynamo(partition_key)]
    id: String,
    first: String,
    last: String,
    display: Option<String>,
    v: u32,
}

/// The migration of one raw item (an old item need not decode as `Person`).
fn migrate(item: &Item) -> Action<Person> {
    let f = Person::fields();
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    match (text("first"), text("last")) {
        (Some(first), Some(last)) => Action::update(
            Update::new()
                .set(&f.display, format!("{last}, {first}"))
                .set(&f.v, 2),
        ),
        _ => Action::skip(),
    }
}

/// What one invocation of the job did.
struct Invocation {
    /// The checkpoint it last reported, as JSON: what a real job persists.
    checkpoint: String,
    /// Whether every segment is done.
    done: bool,
    /// Pages finished and items changed, as last reported.
    pages: u64,
    changed: u64,
}

/// One invocation of the job: resumes from `saved` (JSON) if given, and
/// runs until the backfill is done or `max_pages` pages are finished, when
/// the run is dropped mid-flight, as a Lambda timeout would end it.
async fn invocation(
    people: &Repository<Person>,
    saved: Option<&str>,
    max_pages: Option<u64>,
    bar: &ProgressBar,
) -> Result<Invocation, Box<dyn std::error::Error>> {
    let last = Arc::new(Mutex::new(None::<BackfillProgress>));
    let stop = Arc::new(Notify::new());
    let (seen, stopper, shown) = (last.clone(), stop.clone(), bar.clone());
    let base = bar.position();
    let mut run = people
        .backfill()
        .segments(4)
        .concurrency(16)
        .page_size(100)
        .only(Person::fields().v.lt(2))
        .rate_limit(RateLimit::new().write_units(10_000.0))
        .on_progress(move |p| {
            shown.set_position(base + p.total.scanned);
            shown.set_message(format!(
                "{} changed, {} skipped, {} conflicts, {}/{} segments done",
                p.total.changed,
                p.total.skipped,
                p.total.failed,
                p.checkpoint.segments_done(),
                p.checkpoint.total_segments()
            ));
            if max_pages.is_some_and(|max| p.total.pages >= max) {
                stopper.notify_one();
            }
            *seen.lock().unwrap() = Some(p.clone());
        });
    if let Some(json) = saved {
        let checkpoint: BackfillCheckpoint = serde_json::from_str(json)?;
        run = run.resume_from(checkpoint);
    }
    let run = run.run_raw(|item: Item| {
        let action = migrate(&item);
        async move { Ok::<_, std::convert::Infallible>(action) }
    });
    // The run, or the end of the invocation, whichever comes first.
    let (checkpoint, total) = tokio::select! {
        stats = run => {
            let stats = stats?;
            (stats.checkpoint, stats.total)
        }
        _ = stop.notified() => {
            let p = last.lock().unwrap().take().ok_or("no progress reported")?;
            (p.checkpoint, p.total)
        }
    };
    Ok(Invocation {
        checkpoint: serde_json::to_string(&checkpoint)?,
        done: checkpoint.is_done(),
        pages: total.pages,
        changed: total.changed,
    })
}

/// Runs the job until the backfill is done: a first invocation cut short
/// after `first_pages` pages, its checkpoint persisted to `saved_at`, then
/// invocations that resume from the persisted checkpoint.
async fn run_to_completion(
    people: &Repository<Person>,
    first_pages: u64,
    saved_at: &Path,
    bar: &ProgressBar,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut max_pages = Some(first_pages);
    let mut saved = None;
    loop {
        let inv = invocation(people, saved.as_deref(), max_pages.take(), bar).await?;
        let end = if inv.done { "done" } else { "stopped" };
        bar.suspend(|| {
            println!(
                "invocation: {} pages, {} items changed, {end}",
                inv.pages, inv.changed
            )
        });
        if inv.done {
            break;
        }
        std::fs::write(saved_at, &inv.checkpoint)?;
        saved = Some(std::fs::read_to_string(saved_at)?);
    }
    bar.finish();
    Ok(())
}

/// How many items are at version 1 and at version 2.
async fn versions(people: &Repository<Person>) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let v = Person::fields().v;
    let old = people.scan().filter(v.lt(2)).count().await?;
    let new = people.scan().filter(v.eq(2)).count().await?;
    Ok((old, new))
}

async fn seed(people: &Repository<Person>) -> Result<(), Box<dyn std::error::Error>> {
    people.ensure_table().await?;
    let rows: Vec<Person> = (0..ITEMS)
        .map(|i| Person {
            id: format!("p-{i:05}"),
            first: format!("First{i}"),
            last: format!("Last{i}"),
            display: None,
            v: 1,
        })
        .collect();
    people.batch_put(&rows).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = backend::client().await?;
    let people = client.repository::<Person>();
    seed(&people).await?;
    println!("{ITEMS} items at version 1 in `{}`", people.table_name());
    let bar = ProgressBar::new(ITEMS);
    bar.set_style(ProgressStyle::with_template(
        "{elapsed_precise} [{bar:40}] {pos}/{len} {msg}",
    )?);
    let saved_at = std::env::temp_dir().join(format!("backfill-{}.json", std::process::id()));
    // The first invocation ends after 20 of the 50-odd pages.
    run_to_completion(&people, 20, &saved_at, &bar).await?;
    std::fs::remove_file(&saved_at)?;
    // The invocations' counts may add up to a little less than 5,000: the
    // items written after the stopped one's last report are counted by
    // neither (and, no longer matching the filter, not migrated twice).
    let (old, new) = versions(&people).await?;
    println!("{new} items at version 2, {old} left at version 1");
    assert_eq!((old, new), (0, ITEMS), "every item migrated");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stopped_run_resumes_from_its_checkpoint_and_migrates_every_item() {
        let tables = dynamo_repo_testkit::TestTables::new().expect("a test server");
        let people = tables.create::<Person>().await.expect("the table");
        seed(&people).await.unwrap();
        let bar = ProgressBar::hidden();
        let first = invocation(&people, None, Some(5), &bar).await.unwrap();
        assert!(!first.done && first.pages >= 5, "stopped early");
        assert!(versions(&people).await.unwrap().0 > 0, "items left to do");
        let saved_at =
            std::env::temp_dir().join(format!("backfill-test-{}.json", std::process::id()));
        run_to_completion(&people, 5, &saved_at, &bar)
            .await
            .unwrap();
        std::fs::remove_file(&saved_at).unwrap();
        let all = people.scan().all().await.unwrap();
        assert_eq!(all.len() as u64, ITEMS);
        assert!(all.iter().all(
            |p| p.v == 2 && p.display.as_deref() == Some(&*format!("{}, {}", p.last, p.first))
        ));
        // A run from scratch now finds nothing to change.
        let again = invocation(&people, None, None, &bar).await.unwrap();
        assert!(again.done);
        assert_eq!(again.changed, 0);
    }
}
