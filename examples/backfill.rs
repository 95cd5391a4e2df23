//! Backfill: migrate 5,000 items from version 1 to version 2 with the
//! resumable runner, drawing its progress as a progress bar.
//!
//! ```sh
//! cargo run -p dynamo-repo-examples --example backfill
//! ```
//!
//! runs against an embedded DynamoDB-compatible server (see `backend.rs`);
//! set `DYNAMODB_ENDPOINT` (or use `scripts/with-dynamodb-local`) for
//! DynamoDB Local. The run persists its checkpoint after every page; a
//! real job would store it (a file, an item, the Lambda's next event) and
//! pass it to `.resume_from(..)` after a crash.

mod backend;

use dynamo_repo::backfill::{Action, RateLimit};
use dynamo_repo::expr::Update;
use dynamo_repo::{Entity, Item, Repository};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::{Arc, Mutex};

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

/// Runs the backfill; returns the items changed.
async fn run(
    people: &Repository<Person>,
    bar: ProgressBar,
) -> Result<u64, Box<dyn std::error::Error>> {
    let checkpoint = Arc::new(Mutex::new(None));
    let saved = checkpoint.clone();
    let shown = bar.clone();
    let stats = people
        .backfill()
        .segments(4)
        .concurrency(16)
        .page_size(100)
        .only(Person::fields().v.lt(2))
        .rate_limit(RateLimit::new().write_units(10_000.0))
        .on_progress(move |p| {
            shown.set_position(p.total.scanned);
            shown.set_message(format!(
                "{} changed, {} skipped, {} conflicts, {}/{} segments done",
                p.total.changed,
                p.total.skipped,
                p.total.failed,
                p.checkpoint.segments_done(),
                p.checkpoint.total_segments()
            ));
            *saved.lock().unwrap() = Some(p.checkpoint.clone());
        })
        .run_raw(|item: Item| {
            let action = migrate(&item);
            async move { Ok::<_, std::convert::Infallible>(action) }
        })
        .await?;
    bar.finish();
    Ok(stats.total.changed)
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
    let changed = run(&people, bar).await?;
    let left = people
        .scan()
        .filter(Person::fields().v.lt(2))
        .count()
        .await?;
    println!("{changed} items migrated; {left} left at version 1");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_example_migrates_every_item_and_a_second_run_changes_nothing() {
        let tables = dynamo_repo_testkit::TestTables::new().expect("a test server");
        let people = tables.create::<Person>().await.expect("the table");
        seed(&people).await.unwrap();
        assert_eq!(run(&people, ProgressBar::hidden()).await.unwrap(), ITEMS);
        let all = people.scan().all().await.unwrap();
        assert!(all.iter().all(
            |p| p.v == 2 && p.display.as_deref() == Some(&*format!("{}, {}", p.last, p.first))
        ));
        assert_eq!(run(&people, ProgressBar::hidden()).await.unwrap(), 0);
    }
}
