//! Bulk import: stream a generated data set into a table with
//! `batch_put_stream`, drawing a progress bar from the progress callback,
//! then print the final counts.
//!
//! ```sh
//! scripts/with-dynamodb-local cargo run --release -p dynamo-repo-examples --example import
//! ```
//!
//! `IMPORT_ITEMS` sets the number of items (default 50,000);
//! `DYNAMODB_ENDPOINT` the server (default: an embedded one, see `backend.rs`;
//! prefix `scripts/with-dynamodb-local` for DynamoDB Local).

mod backend;

use dynamo_repo::batch::BatchProgress;
use dynamo_repo::{Entity, Error};
use std::io::Write;
use std::time::Instant;

#[derive(Entity, Debug, Clone, PartialEq)]
#[dynamo(table = "import-events", rename_all = "camelCase")]
struct Event {
    #[dynamo(partition_key)]
    device_id: String,
    #[dynamo(sort_key)]
    seq: u64,
    kind: String,
    reading: f64,
    tags: Vec<String>,
}

fn event(i: u64) -> Event {
    Event {
        device_id: format!("device-{:04}", i % 1_000),
        seq: i,
        kind: ["boot", "reading", "alarm"][(i % 3) as usize].to_owned(),
        reading: (i as f64).sin() * 100.0,
        tags: vec![format!("batch-{}", i / 1_000)],
    }
}

/// Redraws a one-line progress bar on stderr.
fn draw(total: u64, p: &BatchProgress, started: Instant) {
    const WIDTH: u64 = 40;
    let filled = (p.processed * WIDTH / total.max(1)).min(WIDTH) as usize;
    let rate = p.processed as f64 / started.elapsed().as_secs_f64().max(1e-3);
    eprint!(
        "\r[{}{}] {}/{} items, {} requests, {} retries, {:.0} items/s ",
        "#".repeat(filled),
        "-".repeat(WIDTH as usize - filled),
        p.processed,
        total,
        p.requests,
        p.retries,
        rate
    );
    let _ = std::io::stderr().flush();
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = backend::client().await?;
    let total: u64 = std::env::var("IMPORT_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let events = client.repository::<Event>();
    events.ensure_table().await?;

    // A stream holds only the chunks in flight in memory, however long it is.
    let data = futures::stream::iter((0..total).map(event));
    let started = Instant::now();
    let result = events
        .batch_put_stream(data)
        .on_progress(move |p| {
            // Redraw about 200 times, not after every request.
            if p.chunks_done % (total / 25 / 200).max(1) == 0 {
                draw(total, p, started)
            }
        })
        .await;
    eprintln!();
    let elapsed = started.elapsed().as_secs_f64();
    match result {
        Ok(stats) => println!(
            "imported {} items in {elapsed:.1} s ({:.0} items/s): {} requests, {} retries, {} returned unprocessed and resent",
            stats.processed,
            stats.processed as f64 / elapsed,
            stats.requests,
            stats.retries,
            stats.unprocessed_returned
        ),
        Err(Error::BatchIncomplete(rest)) => {
            // Nothing is lost: these are exactly the items not written.
            let not_written: Vec<Event> = rest.unprocessed_items()?;
            println!(
                "imported {} items; {} not written ({rest}); first: {:?}",
                rest.processed,
                not_written.len(),
                not_written.first()
            );
        }
        Err(e) => return Err(e.into()),
    }

    let count = client
        .sdk()
        .scan()
        .table_name(events.table_name())
        .select(dynamo_repo::sdk::types::Select::Count)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await?
        .iter()
        .map(|page| page.count() as u64)
        .sum::<u64>();
    println!("table `{}` now holds {count} items", events.table_name());
    Ok(())
}
