//! The pacer inside a model of the engine as it runs a `batch_put` against
//! a provisioned table, in model time (an event loop, no real waiting,
//! deterministic for a seed): up to 8 chunks of 25 items of 1 KB in flight,
//! the window of `flow.rs` over the requests sent, the pacer's turn taken
//! once a place in the window is held (as `engine.rs::run_chunk` does),
//! each answer after a latency, what was not processed retried with the
//! default retry policy's full-jitter backoff, up to its 5 attempts, and a
//! token bucket like the testkit's `CapacitySimulator`: refilled at the
//! capacity, keeping up to 300 s of it, starting with 1 s, taking a request's
//! items at its sending as far as it holds whole ones (none: the request is
//! refused).

use super::*;
use crate::batch::flow::{Concurrency, Gate, Signal};
use crate::retry::RetryPolicy;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Items of one request (1 unit each).
const CHUNK: u32 = 25;
/// Chunks in flight (`.concurrency(8)`).
const CONCURRENCY: usize = 8;

/// One run's setup.
#[derive(Debug, Clone, Copy)]
struct Setup {
    items: u32,
    capacity: f64,
    latency: Duration,
    seed: u64,
    /// From then on (seconds), this capacity.
    grows: Option<(f64, f64)>,
    /// A share of requests throttled whatever the rate, keeping this share
    /// of their items.
    faults: Option<(f64, f64)>,
}

impl Setup {
    fn new(capacity: f64, latency_ms: u64, seed: u64) -> Self {
        Setup {
            items: 50_000,
            capacity,
            latency: Duration::from_millis(latency_ms),
            seed,
            grows: None,
            faults: None,
        }
    }
}

/// What a run did.
#[derive(Debug)]
struct Report {
    requests: u64,
    refused: u64,
    partial: u64,
    delivered: u64,
    returned: u64,
    seconds: f64,
    /// Items written second by second.
    per_second: Vec<u64>,
    /// Throttled requests second by second.
    throttled_per_second: Vec<u64>,
}

impl Report {
    fn throttled_share(&self) -> f64 {
        (self.refused + self.partial) as f64 / self.requests.max(1) as f64
    }

    fn goodput(&self, capacity: f64) -> f64 {
        self.delivered as f64 / self.seconds / capacity
    }
}

struct Random(u64);

impl Random {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The simulator's bucket.
struct Bucket {
    rate: f64,
    tokens: f64,
    last: f64,
    grows: Option<(f64, f64)>,
}

impl Bucket {
    /// The items of `items` (1 unit each) taken at `at` seconds.
    fn take(&mut self, items: u32, at: f64) -> u32 {
        let elapsed = at - self.last;
        self.last = at;
        let cap = 300.0 * self.rate;
        if self.tokens < cap {
            self.tokens = (self.tokens + elapsed * self.rate).min(cap);
        }
        if let Some((when, rate)) = self.grows {
            if at >= when {
                self.rate = rate;
                self.grows = None;
            }
        }
        let taken = ((self.tokens + 1e-9).floor().max(0.0) as u32).min(items);
        self.tokens -= f64::from(taken);
        taken
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// The chunk wants to send (first attempt or after its backoff).
    Ready(usize),
    /// Its pacing turn came: it is sent.
    Send(usize),
    /// Its answer arrives.
    Answer(usize),
}

struct Chunk {
    left: u32,
    attempts: u32,
    /// Seconds when its turn was booked, and the pacer's cuts then.
    booked: f64,
    cuts: u64,
    /// Items the table took from the request in flight.
    taken: u32,
}

/// Runs `setup` as an adaptive batch (the window and the pacer).
fn run(setup: Setup, adaptive: bool) -> Report {
    run_with(setup, adaptive, adaptive)
}

/// Runs `setup` with an adaptive window or a fixed one, paced or not.
fn run_with(setup: Setup, window: bool, paced: bool) -> Report {
    let gate = Gate::new(if window {
        Concurrency::Adaptive(CONCURRENCY)
    } else {
        Concurrency::Fixed(CONCURRENCY)
    });
    let pacer = Pacer::new(paced);
    let t0 = Instant::now();
    let at = |t: f64| t0 + Duration::from_secs_f64(t);
    let policy = RetryPolicy::default();
    let mut random = Random(setup.seed.max(1));
    let mut bucket = Bucket {
        rate: setup.capacity,
        tokens: setup.capacity,
        last: 0.0,
        grows: setup.grows,
    };
    let mut report = Report {
        requests: 0,
        refused: 0,
        partial: 0,
        delivered: 0,
        returned: 0,
        seconds: 0.0,
        per_second: Vec::new(),
        throttled_per_second: Vec::new(),
    };
    let mut events = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |events: &mut BinaryHeap<_>, t: f64, event: Event| {
        seq += 1;
        events.push(Reverse(((t * 1e9) as u64, seq, event)));
    };
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut unread = setup.items;
    let mut start_chunk = |chunks: &mut Vec<Chunk>| -> Option<usize> {
        if unread == 0 {
            return None;
        }
        let left = unread.min(CHUNK);
        unread -= left;
        chunks.push(Chunk {
            left,
            attempts: 0,
            booked: 0.0,
            cuts: 0,
            taken: 0,
        });
        Some(chunks.len() - 1)
    };
    for _ in 0..CONCURRENCY {
        if let Some(c) = start_chunk(&mut chunks) {
            push(&mut events, 0.0, Event::Ready(c));
        }
    }
    let mut waiting: VecDeque<usize> = VecDeque::new();
    let mut in_flight = 0usize;
    // A place in the window, then the pacer's turn.
    let admit = |c: usize, t: f64, chunks: &mut Vec<Chunk>| -> f64 {
        let units = f64::from(chunks[c].left);
        let (delay, cuts) = pacer.book(units, at(t));
        chunks[c].booked = t;
        chunks[c].cuts = cuts;
        t + delay.as_secs_f64()
    };
    while let Some(Reverse((nanos, _, event))) = events.pop() {
        let t = nanos as f64 / 1e9;
        match event {
            Event::Ready(c) => {
                if in_flight < gate.window() {
                    in_flight += 1;
                    let send = admit(c, t, &mut chunks);
                    push(&mut events, send, Event::Send(c));
                } else {
                    waiting.push_back(c);
                }
            }
            Event::Send(c) => {
                if chunks[c].booked < t && !pacer.still_booked(chunks[c].cuts) {
                    // Booked before a cut: booked again (`Pacer::wait`).
                    let send = admit(c, t, &mut chunks);
                    push(&mut events, send, Event::Send(c));
                    continue;
                }
                let mut taken = bucket.take(chunks[c].left, t);
                if let Some((share, kept)) = setup.faults {
                    if random.next() < share {
                        taken = taken.min((f64::from(chunks[c].left) * kept) as u32);
                    }
                }
                chunks[c].taken = taken;
                let latency = setup.latency.as_secs_f64() * (0.75 + 0.5 * random.next());
                push(&mut events, t + latency, Event::Answer(c));
            }
            Event::Answer(c) => {
                in_flight -= 1;
                let chunk = &mut chunks[c];
                let sent = chunk.left;
                let taken = chunk.taken;
                chunk.left -= taken;
                chunk.attempts += 1;
                report.requests += 1;
                report.delivered += u64::from(taken);
                report.seconds = t;
                let second = t as usize;
                if report.per_second.len() <= second {
                    report.per_second.resize(second + 1, 0);
                }
                report.per_second[second] += u64::from(taken);
                let throttled = taken < sent;
                if report.throttled_per_second.len() <= second {
                    report.throttled_per_second.resize(second + 1, 0);
                }
                report.throttled_per_second[second] += u64::from(throttled);
                if taken == 0 {
                    report.refused += 1;
                } else if throttled {
                    report.partial += 1;
                }
                let signal = if throttled {
                    Signal::Throttled
                } else {
                    Signal::Ok
                };
                gate.record_at(signal, at(t));
                answer(
                    &pacer,
                    (throttled, f64::from(sent), f64::from(taken)),
                    at(chunk.booked),
                    at(t),
                );
                if chunk.left == 0 || chunk.attempts >= policy.max_attempts {
                    report.returned += u64::from(chunk.left);
                    if let Some(next) = start_chunk(&mut chunks) {
                        push(&mut events, t, Event::Ready(next));
                    }
                } else {
                    let delay = policy.delay(chunk.attempts - 1, random.next());
                    push(&mut events, t + delay.as_secs_f64(), Event::Ready(c));
                }
                while in_flight < gate.window() {
                    let Some(next) = waiting.pop_front() else {
                        break;
                    };
                    in_flight += 1;
                    let send = admit(next, t, &mut chunks);
                    push(&mut events, send, Event::Send(next));
                }
            }
        }
    }
    report
}

/// Tells the pacer of an answer to a request booked at `booked`.
fn answer(
    pacer: &Pacer,
    (throttled, sent, delivered): (bool, f64, f64),
    booked: Instant,
    now: Instant,
) {
    pacer.record_at(throttled, sent, delivered, booked, now);
}

/// Every capacity, latency and seed of the targets.
fn grid() -> Vec<Setup> {
    let mut setups = Vec::new();
    for capacity in [500.0, 1_000.0, 4_000.0] {
        for latency in [2, 20, 50] {
            for seed in [0x9e37_79b9_7f4a_7c15, 0x2545_f491_4f6c_dd1d, 7] {
                setups.push(Setup::new(capacity, latency, seed));
            }
        }
    }
    setups
}

fn line(setup: &Setup, r: &Report) -> String {
    format!(
        "{:>5} WCU {:>3?}: goodput {:5.1}%, {} requests, {} refused, {} partial, throttled {:4.1}%, {} returned, {:.1} s",
        setup.capacity,
        setup.latency,
        100.0 * r.goodput(setup.capacity),
        r.requests,
        r.refused,
        r.partial,
        100.0 * r.throttled_share(),
        r.returned,
        r.seconds
    )
}

#[test]
fn against_a_provisioned_table_few_requests_are_throttled_and_goodput_is_near_its_capacity() {
    let mut failed = Vec::new();
    for setup in grid() {
        let r = run(setup, true);
        println!("{}", line(&setup, &r));
        let ok = r.throttled_share() <= 0.05
            && r.goodput(setup.capacity) >= 0.9
            && r.returned == 0
            && r.delivered == u64::from(setup.items);
        if !ok {
            let when = &r.throttled_per_second;
            failed.push(format!(
                "{}; throttled by second: {when:?}",
                line(&setup, &r)
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "missed the targets:\n{}",
        failed.join("\n")
    );
}

#[test]
fn fixed_concurrency_in_the_same_model_is_throttled_most_of_the_time() {
    // The model is not kind: without pacing the same table throttles.
    let setup = Setup::new(1_000.0, 20, 7);
    let r = run(setup, false);
    println!("{}", line(&setup, &r));
    assert!(r.throttled_share() > 0.4, "{}", line(&setup, &r));
}

#[test]
fn in_the_engine_model_a_table_whose_capacity_grows_is_found_again() {
    let mut setup = Setup::new(500.0, 20, 7);
    setup.items = 100_000;
    setup.grows = Some((20.0, 2_000.0));
    let r = run(setup, true);
    println!("{} {:?}", line(&setup, &r), r.per_second);
    // The 100,000 items need 20 s at 500, then 40 s at 2,000: found again
    // within seconds, the whole run takes little more.
    assert!(r.seconds < 80.0, "{}: {:?}", line(&setup, &r), r.per_second);
    assert_eq!(r.delivered, 100_000);
}

#[test]
fn in_the_engine_model_throttling_that_no_rate_cures_does_not_starve_the_batch() {
    let mut setup = Setup::new(f64::INFINITY, 20, 7);
    setup.items = 20_000;
    setup.faults = Some((0.35, 0.7));
    // The same window, unpaced.
    let unpaced = run_with(setup, true, false);
    let paced = run(setup, true);
    println!(
        "unpaced {}\npaced   {}",
        line(&setup, &unpaced),
        line(&setup, &paced)
    );
    assert_eq!(paced.delivered + paced.returned, 20_000);
    assert!(
        paced.seconds <= unpaced.seconds * 1.15,
        "paced took {:.1} s, unpaced {:.1} s",
        paced.seconds,
        unpaced.seconds
    );
}
