//! The pacer against models of a table: a token bucket of capacity (what
//! DynamoDB does), random throttling that no rate cures (what a fault
//! injector does), and a table whose capacity grows.

use super::*;

/// Units of one request: 25 items of 1 KB.
const REQUEST: f64 = 25.0;
/// The time one request takes, and so (one in flight) the unpaced speed:
/// 2,500 units a second.
const LATENCY: Duration = Duration::from_millis(10);

/// What the model table does with a request of `units` at `at` seconds:
/// the units it processes.
trait Table {
    fn admit(&mut self, units: f64, at: f64) -> f64;
}

/// A token bucket of `rate` units a second, starting with one second's worth,
/// keeping up to 300 s, processing whole items as far as it holds them.
struct Bucket {
    rate: f64,
    tokens: f64,
    last: f64,
    /// From then on, this rate.
    grows: Option<(f64, f64)>,
}

impl Bucket {
    fn new(rate: f64) -> Self {
        Bucket {
            rate,
            tokens: rate,
            last: 0.0,
            grows: None,
        }
    }
}

impl Table for Bucket {
    fn admit(&mut self, units: f64, at: f64) -> f64 {
        if let Some((when, rate)) = self.grows {
            if at >= when {
                self.rate = rate;
            }
        }
        self.tokens = (self.tokens + (at - self.last) * self.rate).min(300.0 * self.rate);
        self.last = at;
        let admitted = self.tokens.floor().min(units).max(0.0);
        self.tokens -= admitted;
        admitted
    }
}

/// Throttles `share` of the requests whatever the rate, processing `kept` of
/// a throttled request's units (a partial response), from a fixed seed.
struct Faults {
    share: f64,
    kept: f64,
    seed: u64,
}

impl Table for Faults {
    fn admit(&mut self, units: f64, _at: f64) -> f64 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let draw = (self.seed >> 11) as f64 / (1u64 << 53) as f64;
        if draw < self.share {
            (units * self.kept).floor()
        } else {
            units
        }
    }
}

/// What a run of the model did.
#[derive(Debug)]
struct Run {
    requests: u64,
    throttled: u64,
    delivered: f64,
    seconds: f64,
    /// The delivered units per second, second by second.
    per_second: Vec<f64>,
}

/// Sends requests one at a time through `pacer` to `table` for `seconds`
/// of model time (no real waiting), each retrying what was not processed.
fn run(pacer: &Pacer, table: &mut dyn Table, seconds: f64) -> Run {
    run_from(pacer, table, Instant::now(), seconds)
}

/// [`run`] with model time 0 at `t0`.
fn run_from(pacer: &Pacer, table: &mut dyn Table, t0: Instant, seconds: f64) -> Run {
    let at = |t: f64| t0 + Duration::from_secs_f64(t);
    let mut t = 0.0;
    let mut out = Run {
        requests: 0,
        throttled: 0,
        delivered: 0.0,
        seconds,
        per_second: vec![0.0; seconds.ceil() as usize],
    };
    while t < seconds {
        let booked = at(t);
        let wait = pacer.reserve(REQUEST, booked).as_secs_f64();
        t += wait + LATENCY.as_secs_f64();
        let done = table.admit(REQUEST, t);
        let throttled = done < REQUEST;
        pacer.record_at(throttled, REQUEST, done, booked, at(t));
        out.requests += 1;
        out.throttled += u64::from(throttled);
        out.delivered += done;
        if let Some(slot) = out.per_second.get_mut(t as usize) {
            *slot += done;
        }
    }
    out
}

#[test]
fn a_batch_that_is_never_throttled_is_never_paced() {
    let pacer = Pacer::new(true);
    let out = run(&pacer, &mut Bucket::new(f64::INFINITY), 10.0);
    assert_eq!(pacer.rate(), None);
    assert_eq!(out.throttled, 0);
    // One request every 10 ms: no request waited.
    assert!(out.requests >= 999, "{out:?}");
}

#[test]
fn a_disabled_pacer_never_paces() {
    let pacer = Pacer::new(false);
    let out = run(&pacer, &mut Bucket::new(1_000.0), 10.0);
    assert_eq!(pacer.rate(), None);
    assert!(out.throttled as f64 > out.requests as f64 * 0.5, "{out:?}");
}

#[test]
fn the_first_throttle_cuts_at_once_and_the_next_measures_the_capacity_between_them() {
    let pacer = Pacer::new(true);
    let t0 = Instant::now();
    let at = |i: u32| t0 + Duration::from_millis(25 * u64::from(i));
    // 20 responses over 500 ms delivering 500 units: 1,000 units a second.
    for i in 1..=20u32 {
        pacer.record_at(false, REQUEST, 25.0, at(i), at(i));
    }
    assert_eq!(pacer.rate(), None);
    // The first throttle: at once, half of what the last period delivered.
    pacer.record_at(true, REQUEST, 10.0, at(21), at(21));
    let rate = pacer.rate().expect("paced after a throttle");
    assert!((rate - FIRST_CUT * 1_000.0).abs() < 1.0, "{rate}");
    assert_eq!(pacer.capacity(), None);
    // A throttle soon after, of a request booked before the cut: no change.
    pacer.record_at(true, REQUEST, 0.0, at(20), at(22));
    assert_eq!(pacer.rate(), Some(rate));
    // 640 units delivered over the next 500 ms, then a throttle: the table
    // gave 1,280 units a second (its bucket was empty at both throttles).
    for i in 23..=40u32 {
        pacer.record_at(false, REQUEST, 35.0, at(i), at(i));
    }
    pacer.record_at(true, REQUEST, 10.0, at(40), at(41));
    let capacity = pacer.capacity().expect("measured");
    assert!((capacity - 1_280.0).abs() < 1.0, "{capacity}");
    let rate = pacer.rate().expect("paced");
    assert!((rate - HOLD * 1_280.0).abs() < 1.0, "{rate}");
    // Requests are now spaced 25 / rate s apart.
    let now = t0 + Duration::from_secs(2);
    assert_eq!(pacer.reserve(REQUEST, now), Duration::ZERO);
    let second = pacer.reserve(REQUEST, now);
    assert!(
        (second.as_secs_f64() - REQUEST / rate).abs() < 1e-6,
        "{second:?}"
    );
}

#[test]
fn against_a_provisioned_table_goodput_is_near_its_capacity_with_few_throttles() {
    let pacer = Pacer::new(true);
    let out = run(&pacer, &mut Bucket::new(1_000.0), 60.0);
    let goodput = out.delivered / out.seconds / 1_000.0;
    let share = out.throttled as f64 / out.requests as f64;
    assert!(goodput >= 0.93, "goodput {goodput:.3}: {out:?}");
    assert!(share <= 0.05, "throttled share {share:.3}: {out:?}");
    // Unpaced, the same client is throttled most of the time.
    let unpaced = run(&Pacer::new(false), &mut Bucket::new(1_000.0), 60.0);
    assert!(
        unpaced.throttled as f64 / unpaced.requests as f64 > 0.5,
        "{unpaced:?}"
    );
}

#[test]
fn throttling_that_no_rate_cures_does_not_slow_the_batch_for_long() {
    let faults = || Faults {
        share: 0.35,
        kept: 0.7,
        seed: 0x9e37_79b9_7f4a_7c15,
    };
    let unpaced = run(&Pacer::new(false), &mut faults(), 30.0);
    let pacer = Pacer::new(true);
    let paced = run(&pacer, &mut faults(), 30.0);
    let ratio = paced.delivered / unpaced.delivered;
    assert!(
        ratio >= 0.9,
        "paced delivered {ratio:.3} of unpaced: {paced:?}"
    );
}

#[test]
fn a_table_whose_capacity_grows_is_found_again() {
    let pacer = Pacer::new(true);
    let mut table = Bucket::new(500.0);
    table.grows = Some((20.0, 2_000.0));
    let out = run(&pacer, &mut table, 40.0);
    let late: f64 = out.per_second[30..40].iter().sum::<f64>() / 10.0;
    assert!(
        late >= 1_800.0,
        "{late} units/s after the capacity grew: {out:?}"
    );
}

#[test]
fn the_rate_never_falls_under_one_request_a_second_and_cuts_that_cure_nothing_are_undone() {
    let pacer = Pacer::new(true);
    let t0 = Instant::now();
    // Every response throttled, nothing delivered, for 20 s: paced, never
    // under one request a second, then (slowing down cured nothing) unpaced.
    let mut t = Duration::ZERO;
    let mut paced = false;
    while t < Duration::from_secs(20) {
        t += Duration::from_millis(50);
        pacer.record_at(true, REQUEST, 0.0, t0 + t, t0 + t);
        if let Some(rate) = pacer.rate() {
            paced = true;
            assert!(rate >= REQUEST * 0.99, "{rate}");
        }
    }
    assert!(paced);
    assert_eq!(pacer.rate(), None, "cuts that cured nothing are undone");
}
