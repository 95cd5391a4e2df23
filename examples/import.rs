//! Bulk import: stream a generated data set into a table with
//! `batch_put_stream`, drawing an `indicatif` progress bar from the progress callback,
//! then print the final counts.
//!
//! The import can be interrupted and resumed: the progress callback saves the
//! batch's checkpoint (the input positions confirmed written) to a file, and
//! a run that finds the file resumes from it with `resume_from`, writing only
//! what is missing. Kill it midway (Ctrl-C) and run it again; or set
//! `IMPORT_STOP_AFTER_SECS` to stop it gracefully with `stop_when`, which
//! saves an exact checkpoint.
//!
//! ```sh
//! scripts/with-dynamodb-local cargo run --release -p dynamo-repo-examples --example import
//! ```
//!
//! `IMPORT_ITEMS` sets the number of items (default 50,000);
//! `IMPORT_CHECKPOINT` the checkpoint file (default `import-events.checkpoint`);
//! `DYNAMODB_ENDPOINT` the server (default: an embedded one, see `backend.rs`;
//! prefix `scripts/with-dynamodb-local` for DynamoDB Local).

mod backend;

use dynamo_repo::batch::BatchCheckpoint;
use dynamo_repo::{Entity, Error};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// Replaces the checkpoint file in one step, so a kill never leaves half a file.
fn save(path: &Path, checkpoint: &BatchCheckpoint) {
    let tmp = path.with_extension("tmp");
    if std::fs::write(&tmp, checkpoint.to_string()).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
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

    let file = PathBuf::from(
        std::env::var("IMPORT_CHECKPOINT").unwrap_or_else(|_| "import-events.checkpoint".into()),
    );
    let resume: BatchCheckpoint = match std::fs::read_to_string(&file) {
        Ok(text) => text.parse()?,
        Err(_) => BatchCheckpoint::new(),
    };
    if resume.completed() > 0 {
        eprintln!(
            "resuming from {}: {} items already written",
            file.display(),
            resume.completed()
        );
    }
    let stop_after: Option<u64> = std::env::var("IMPORT_STOP_AFTER_SECS")
        .ok()
        .and_then(|v| v.parse().ok());
    let stop = async move {
        match stop_after {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs)).await,
            None => std::future::pending().await,
        }
    };

    // A stream holds only the chunks in flight in memory, however long it is.
    let data = futures::stream::iter((0..total).map(event));
    let started = Instant::now();
    let progress_file = file.clone();
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("[{bar:40}] {pos}/{len} items, {msg}, {per_sec}, eta {eta}")?
            .progress_chars("#>-"),
    );
    bar.set_position(resume.completed());
    let bar_in_callback = bar.clone();
    let result = events
        .batch_put_stream(data)
        .resume_from(&resume)
        .stop_when(stop)
        .on_progress(move |p| {
            // Redraw (and save) about 200 times, not after every request. A
            // checkpoint a little behind is still safe: resuming from it
            // rewrites a few items, it never skips one.
            bar_in_callback.set_position(p.checkpoint.completed());
            bar_in_callback.set_message(format!("{} requests, {} retries", p.requests, p.retries));
            if p.chunks_done % (total / 25 / 200).max(1) == 0 {
                save(&progress_file, &p.checkpoint);
            }
        })
        .await;
    bar.finish();
    let elapsed = started.elapsed().as_secs_f64();
    match result {
        Ok(stats) => {
            let _ = std::fs::remove_file(&file);
            println!(
                "imported {} items in {elapsed:.1} s ({:.0} items/s): {} requests, {} retries, {} returned unprocessed and resent",
                stats.processed,
                stats.processed as f64 / elapsed,
                stats.requests,
                stats.retries,
                stats.unprocessed_returned
            )
        }
        Err(Error::BatchIncomplete(rest)) => {
            // Nothing is lost: the checkpoint says exactly what was written.
            save(&file, &rest.checkpoint);
            println!(
                "stopped with {} of {total} items written ({rest}); run again to resume from {}",
                rest.checkpoint.completed(),
                file.display()
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
