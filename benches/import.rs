//! A large import in bounded memory: `batch_put_stream` of N generated items
//! of about 500 bytes beside the best raw concurrent `BatchWriteItem` loop
//! (8 requests in flight, items encoded by hand as the loop pulls them, no
//! `ReturnConsumedCapacity`, `UnprocessedItems` resent with backoff), in one
//! run.
//!
//! ```sh
//! IMPORT_BENCH_ITEMS=100000 cargo bench -p dynamo-repo-benches --bench import
//! IMPORT_BENCH_ITEMS=1000000 IMPORT_BENCH_ROUNDS=1 cargo bench -p dynamo-repo-benches --bench import
//! DYNAMO_REPO_TEST_BACKEND=dynamodb-local cargo bench -p dynamo-repo-benches --bench import
//! ```
//!
//! Every arm runs in a process of its own (this binary again, with
//! `IMPORT_BENCH_ROLE` set), so that its memory is its alone, and the server
//! runs in yet another (the embedded dynoxide, or DynamoDB Local with
//! `DYNAMO_REPO_TEST_BACKEND=dynamodb-local`, started through the testkit;
//! or the server at `DYNAMODB_ENDPOINT`): the items written sit in the
//! server's memory, not in the measured process. An arm process sets up its
//! client and a fresh table, writes one item to open a connection, takes its
//! resident memory as the idle baseline, resets its peak (`5` to
//! `/proc/self/clear_refs`), imports, and reports the peak (`VmHWM`, and
//! the highest `VmRSS` a thread sampled every 5 ms) above the baseline, the
//! items per second, and its CPU time (`/proc/self/stat`).
//!
//! `IMPORT_BENCH_ITEMS` sets N (default 100,000), `IMPORT_BENCH_ROUNDS` the
//! rounds (default 3): each round runs both arms, raw first in even rounds
//! and library first in odd ones; the ratios are medians of per-round ratios.

use dynamo_repo::sdk::types::{AttributeValue, PutRequest, WriteRequest};
use dynamo_repo::{Client, Entity, Repository};
use futures::stream::{self, StreamExt};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The imported item: about 500 bytes as DynamoDB counts them.
#[derive(Entity, Debug, Clone)]
#[dynamo(table = "import-bench")]
struct Doc {
    #[dynamo(partition_key)]
    id: String,
    n: u64,
    body: String,
}

const BODY_LEN: usize = 470;

/// The bytes the bodies are cut from.
static PATTERN: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    (0..2 * BODY_LEN)
        .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
        .collect()
});

/// The `n`th generated item (both arms generate the same items).
fn doc(n: u64) -> Doc {
    let start = (n % BODY_LEN as u64) as usize;
    Doc {
        id: format!("doc-{n:010}"),
        n,
        body: PATTERN[start..start + BODY_LEN].to_owned(),
    }
}

/// The raw arm's encoding, by hand, moving the strings.
fn encode(d: Doc) -> WriteRequest {
    let item = HashMap::from([
        ("id".to_owned(), AttributeValue::S(d.id)),
        ("n".to_owned(), AttributeValue::N(d.n.to_string())),
        ("body".to_owned(), AttributeValue::S(d.body)),
    ]);
    WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .expect("item set"),
        )
        .build()
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A `kB` line of `/proc/self/status`.
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User + system CPU seconds of a process, all threads (`/proc/PID/stat`).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name;
    // USER_HZ is 100 on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::var("IMPORT_BENCH_ROLE").as_deref() {
        Ok("server") => serve(),
        Ok(role @ ("raw" | "library")) => measure(role),
        _ => orchestrate(),
    }
}

/// Serves the testkit's DynamoDB until stdin closes.
fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = dynamo_repo_testkit::endpoint()?;
    println!("{endpoint}");
    std::io::stdout().flush()?;
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    Ok(())
}

/// What one arm process reports.
#[derive(Debug, Clone, Copy)]
struct Run {
    seconds: f64,
    baseline_kb: u64,
    peak_kb: u64,
    cpu: f64,
}

impl Run {
    fn above_mb(&self) -> f64 {
        self.peak_kb.saturating_sub(self.baseline_kb) as f64 / 1024.0
    }
}

/// Runs one arm in this process and prints its `RESULT` line.
fn measure(role: &str) -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::var("IMPORT_BENCH_ENDPOINT")?;
    let items = env_number("IMPORT_BENCH_ITEMS", 100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = Client::local(&endpoint);
        let name = format!("import-bench-{role}-{}", std::process::id());
        let repo = client.repository::<Doc>().with_table_name(name);
        repo.create_table().await?;
        repo.put(&doc(u64::MAX)).await?;
        tokio::time::sleep(Duration::from_millis(200)).await;

        let baseline_kb = status_kb("VmRSS:");
        let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let done = Arc::new(AtomicBool::new(false));
        let sampled = Arc::new(AtomicU64::new(baseline_kb));
        let sampler = {
            let (done, sampled) = (done.clone(), sampled.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    sampled.fetch_max(status_kb("VmRSS:"), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        let cpu_before = cpu_seconds("self");
        let started = Instant::now();
        let written = match role {
            "raw" => raw(&client, repo.table_name(), items).await,
            _ => library(&repo, items).await?,
        };
        let seconds = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds("self") - cpu_before;
        done.store(true, Ordering::Relaxed);
        let _ = sampler.join();
        let hwm = if reset { status_kb("VmHWM:") } else { 0 };
        let peak_kb = hwm.max(sampled.load(Ordering::Relaxed));
        assert_eq!(written, items, "every item written");
        repo.delete_table().await?;
        println!("RESULT {seconds} {baseline_kb} {peak_kb} {cpu} {reset}");
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}

async fn library(repo: &Repository<Doc>, items: u64) -> dynamo_repo::Result<u64> {
    let stats = repo
        .batch_put_stream(stream::iter((0..items).map(doc)))
        .await?;
    Ok(stats.processed)
}

/// The best raw loop: chunks of 25 encoded as they are pulled, 8 requests in
/// flight, `UnprocessedItems` resent with exponential backoff (the SDK's own
/// retries handle throttling errors; any other error ends the benchmark).
async fn raw(client: &Client, table: &str, items: u64) -> u64 {
    let sdk = client.sdk().clone();
    stream::iter(0..items)
        .chunks(25)
        .map(|ns| {
            let requests: Vec<WriteRequest> = ns.into_iter().map(|n| encode(doc(n))).collect();
            let sdk = sdk.clone();
            async move {
                let count = requests.len() as u64;
                let mut pending = requests;
                let mut retry = 0u32;
                loop {
                    let out = sdk
                        .batch_write_item()
                        .request_items(table, pending)
                        .send()
                        .await
                        .expect("BatchWriteItem");
                    pending = out
                        .unprocessed_items
                        .and_then(|mut m| m.remove(table))
                        .unwrap_or_default();
                    if pending.is_empty() {
                        return count;
                    }
                    tokio::time::sleep(Duration::from_millis(25 << retry.min(6))).await;
                    retry += 1;
                }
            }
        })
        .buffer_unordered(8)
        .fold(0, |sum, n| async move { sum + n })
        .await
}

/// Runs the arms in processes of their own and prints the comparison.
fn orchestrate() -> Result<(), Box<dyn std::error::Error>> {
    let items = env_number("IMPORT_BENCH_ITEMS", 100_000);
    let rounds = env_number("IMPORT_BENCH_ROUNDS", 3).max(1);
    let exe = std::env::current_exe()?;

    let mut server = None;
    let endpoint = match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(e) if !e.is_empty() => {
            println!("server: DYNAMODB_ENDPOINT={e}");
            e
        }
        _ => {
            let mut child = Command::new(&exe)
                .env("IMPORT_BENCH_ROLE", "server")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()?;
            let mut line = String::new();
            BufReader::new(child.stdout.take().ok_or("no server stdout")?).read_line(&mut line)?;
            println!(
                "server: {} in process {} ({})",
                dynamo_repo_testkit::backend(),
                child.id(),
                line.trim()
            );
            let endpoint = line.trim().to_owned();
            server = Some(child);
            endpoint
        }
    };
    // The CPU of the embedded server (the process itself serves); DynamoDB
    // Local runs in a process of its own below it.
    let server_pid = server
        .as_ref()
        .filter(|_| dynamo_repo_testkit::backend() == dynamo_repo_testkit::Backend::Embedded)
        .map(|c| c.id().to_string());
    println!("items: {items} of about 500 bytes, {rounds} round(s)");

    let arm = |role: &str| -> Result<(Run, Option<f64>), Box<dyn std::error::Error>> {
        let server_cpu = server_pid.as_deref().map(cpu_seconds);
        let out = Command::new(&exe)
            .env("IMPORT_BENCH_ROLE", role)
            .env("IMPORT_BENCH_ENDPOINT", &endpoint)
            .env("IMPORT_BENCH_ITEMS", items.to_string())
            .stderr(Stdio::inherit())
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("RESULT "))
            .ok_or_else(|| format!("the {role} arm failed: {}", out.status))?;
        let f: Vec<&str> = line.split_whitespace().collect();
        let run = Run {
            seconds: f[0].parse()?,
            baseline_kb: f[1].parse()?,
            peak_kb: f[2].parse()?,
            cpu: f[3].parse()?,
        };
        if f[4] != "true" {
            println!("  (VmHWM could not be reset: the peak is the sampled VmRSS)");
        }
        let server_cpu =
            server_cpu.map(|before| cpu_seconds(server_pid.as_deref().unwrap_or("")) - before);
        let rate = items as f64 / run.seconds;
        println!(
            "  {role:<7} {:>7.2} s {:>8.0} items/s  baseline {:>5.1} MB, peak {:>6.1} MB above it; client CPU {:.2} s{}",
            run.seconds,
            rate,
            run.baseline_kb as f64 / 1024.0,
            run.above_mb(),
            run.cpu,
            server_cpu.map_or(String::new(), |c| format!(", server CPU {c:.2} s")),
        );
        Ok((run, server_cpu))
    };

    let mut time_ratios = Vec::new();
    let mut cpu_ratios = Vec::new();
    let mut runs: Vec<(Run, Run)> = Vec::new();
    for round in 0..rounds {
        println!("round {}:", round + 1);
        let (raw_run, lib_run) = if round % 2 == 0 {
            let r = arm("raw")?.0;
            (r, arm("library")?.0)
        } else {
            let l = arm("library")?.0;
            (arm("raw")?.0, l)
        };
        time_ratios.push(lib_run.seconds / raw_run.seconds);
        cpu_ratios.push(lib_run.cpu / raw_run.cpu);
        runs.push((raw_run, lib_run));
    }
    if let Some(mut child) = server {
        drop(child.stdin.take());
        let _ = child.wait();
    }

    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let most = |f: fn(&(Run, Run)) -> f64| runs.iter().map(f).fold(0.0, f64::max);
    println!("summary of {rounds} round(s), N = {items}:");
    println!(
        "  items/s, median: raw {:.0}, library {:.0}",
        median(runs.iter().map(|r| items as f64 / r.0.seconds).collect()),
        median(runs.iter().map(|r| items as f64 / r.1.seconds).collect()),
    );
    println!(
        "  peak RSS above idle, highest of the rounds: raw {:.1} MB, library {:.1} MB",
        most(|r| r.0.above_mb()),
        most(|r| r.1.above_mb()),
    );
    println!(
        "  library time / raw time, median of per-round ratios: {:.3} (rounds: {})",
        median(time_ratios.clone()),
        time_ratios
            .iter()
            .map(|r| format!("{r:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  library CPU / raw CPU (client process), median: {:.3}",
        median(cpu_ratios)
    );
    Ok(())
}
