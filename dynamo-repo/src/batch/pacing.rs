//! Adaptive pacing: a rate of capacity units per second for the requests of
//! one batch, set only once DynamoDB has throttled, held just under the
//! capacity the table showed, and probed past it rarely and gently.
//!
//! The window of requests in flight (`flow.rs`) cannot slow a batch below
//! one request at a time, and one request at a time can still outrun a
//! table (a `BatchWriteItem` of 25 items of 1 KB costs 25 WCU; at 1,000 WCU
//! that is 40 requests a second, which one connection to a nearby endpoint
//! exceeds). So an adaptive batch also paces its requests:
//!
//! - **Unthrottled, no pacing.** Until a throttle is seen a request never
//!   waits (one atomic load), so a batch that is not throttled runs as fast
//!   as before.
//! - **Units.** Each request's units are estimated from its items' sizes as
//!   DynamoDB charges writes (1 per started KB per item, 1 per key for
//!   reads; the consumed capacity replaces the estimate when the batch asked
//!   for it).
//! - **Capacity, measured between two throttles.** DynamoDB throttles (a
//!   throttling error, or unprocessed items or keys) when the table's bucket
//!   of capacity is empty, burst allowance included. Between two throttles
//!   at least [`MIN_SPAN`] apart the bucket went from empty to empty, so the
//!   units delivered in between, over the time, are the table's capacity,
//!   however fast or slow the batch went and whatever it had saved.
//! - **Cut.** The first throttle cuts the rate at once to [`FIRST_CUT`] × the
//!   units per second delivered in the last period (250 ms, at least 8
//!   responses; the current one before any ended), or to [`HOLD`] × the capacity once it was measured. A later
//!   throttle cuts again only if its request was booked after the last cut,
//!   [`MIN_SPAN`] or more after it (answers to requests sent before a cut,
//!   and partly processed chunks retried, say nothing of the new rate), and
//!   then to [`HOLD`] × the capacity measured up to it. The rate never falls
//!   below one request a second.
//! - **Hold, then probe.** After a cut the rate holds for [`HOLD_TIME`],
//!   then goes [`PROBE`] (5%) past the capacity. While holding the table
//!   saves the units left unused, so the probe runs unthrottled until they
//!   are spent, then throttles once: a new cut and a new measurement. So the
//!   batch delivers the capacity on average with one short throttle every
//!   few seconds. A probe that delivers more than the capacity allows since
//!   the last throttle (by 50 ms of it) proves the table grew: the rate then grows by a probe that doubles every period (up to
//!   ×2), and pacing stops once the rate is twice what the batch delivers.
//! - **Throttling that slowing down does not cure** (say, injected faults, or
//!   a hot key, that throttle a share of requests at any rate): more than
//!   [`MAX_CUTS`] cuts in a row, each with its throttle within the hold of
//!   the one before, undo the cuts, and the share of throttled responses
//!   since the first is taken as the baseline: from then on only a period
//!   throttled well past it (1.5× + 10 points, at least a quarter) cuts, to
//!   0.8× what the period delivered. The baseline fades by 0.3% a period.
//!
//! `pacing/model.rs` runs the pacer inside a model of the engine (8 chunks in
//! flight, the window, retries with backoff, the simulator's bucket) in
//! model time and holds it to the targets of `benches/throttle.rs`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The shortest measuring period.
pub(crate) const PERIOD: Duration = Duration::from_millis(250);
/// Responses a period needs, unless it lasted [`LONG_PERIOD`].
pub(crate) const MIN_RESPONSES: u32 = 8;
/// A period with fewer than [`MIN_RESPONSES`] responses ends after this.
pub(crate) const LONG_PERIOD: Duration = Duration::from_secs(2);
/// The shortest time between two throttles that measures the capacity, and
/// between two cuts.
pub(crate) const MIN_SPAN: Duration = Duration::from_millis(250);
/// The first cut, before any capacity is measured: this share of the units
/// per second the last period delivered.
pub(crate) const FIRST_CUT: f64 = 0.5;
/// The rate after a cut, as a share of the measured capacity.
pub(crate) const HOLD: f64 = 0.9;
/// How long the rate holds after a cut before it probes.
pub(crate) const HOLD_TIME: Duration = Duration::from_secs(2);
/// The probe past the capacity, as a share of it.
pub(crate) const PROBE: f64 = 0.05;
/// Units delivered past the capacity since the last throttle, in seconds of
/// the capacity, that prove the table gives more.
const PROOF: f64 = 0.05;
/// The largest growth of the rate in one period while the table gives more.
const MAX_PROBE: f64 = 1.0;
/// Cuts in a row, each soon after the one before, after which one more
/// undoes them.
pub(crate) const MAX_CUTS: u32 = 3;
/// Pacing stops when the rate is this many times what the batch delivers.
const UNBOUND: f64 = 2.0;
/// Under a baseline, a period throttled this much cuts:
/// `share ≥ max(baseline × BASELINE_MARGIN + BASELINE_SLACK, HEAVY)`.
const BASELINE_MARGIN: f64 = 1.5;
const BASELINE_SLACK: f64 = 0.1;
const HEAVY: f64 = 0.25;
/// Under a baseline, the cut rate as a share of what the period delivered.
const DECREASE: f64 = 0.8;
/// How much of the baseline a period keeps.
const BASELINE_FADE: f64 = 0.997;

/// The capacity units a pacer counts for one write of `bytes` (DynamoDB's
/// 1 WCU per started KB) or one key (1).
pub(crate) fn units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// The pacing of one batch's requests.
pub(crate) struct Pacer {
    enabled: bool,
    /// Whether a rate is set (checked without the lock).
    paced: AtomicBool,
    state: Mutex<State>,
}

struct State {
    /// Units per second; `None`: requests do not wait.
    rate: Option<f64>,
    /// When the next request may start.
    next: Instant,
    period: Period,
    /// The units per second the last period delivered.
    last_delivered: f64,
    /// Units and number of the requests answered (for the floor of one
    /// request a second).
    units_seen: f64,
    answers: f64,
    /// The table's units per second, measured between two throttles.
    capacity: Option<f64>,
    /// The last throttle that started a measurement (the table's bucket was
    /// empty then), and the units delivered since.
    anchor: Option<(Instant, f64)>,
    /// When the rate was last cut.
    last_cut: Option<Instant>,
    /// Cuts so far: turns booked before the last one are booked again.
    cuts: u64,
    phase: Phase,
    /// Cuts in a row, each soon after the one before.
    episode: Option<Episode>,
    /// A share of throttled responses that slowing down did not lower.
    baseline: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Under the capacity, until then.
    Hold(Instant),
    /// Past the capacity by this share.
    Probe(f64),
}

#[derive(Clone, Copy)]
struct Period {
    start: Instant,
    responses: u32,
    throttled: u32,
    /// Units processed.
    delivered: f64,
}

impl Period {
    fn new(start: Instant) -> Self {
        Period {
            start,
            responses: 0,
            throttled: 0,
            delivered: 0.0,
        }
    }
}

/// Cuts in a row, from the first to the end of a hold without a cut.
struct Episode {
    rate_before: Option<f64>,
    cuts: u32,
    responses: u32,
    throttled: u32,
}

impl Pacer {
    /// A pacer that starts unpaced; a disabled one never paces.
    pub(crate) fn new(enabled: bool) -> Self {
        let now = Instant::now();
        Pacer {
            enabled,
            paced: AtomicBool::new(false),
            state: Mutex::new(State {
                rate: None,
                next: now,
                period: Period::new(now),
                last_delivered: 0.0,
                units_seen: 0.0,
                answers: 0.0,
                capacity: None,
                anchor: None,
                last_cut: None,
                cuts: 0,
                phase: Phase::Probe(PROBE),
                episode: None,
                baseline: 0.0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the turn of a request of `units`: at once while unpaced.
    /// A turn booked before a cut is booked again at the new rate. Returns
    /// when the turn was booked, for [`Pacer::record`].
    pub(crate) async fn wait(&self, units: f64) -> Instant {
        loop {
            let booked = Instant::now();
            if !self.paced.load(Ordering::Relaxed) {
                return booked;
            }
            let (delay, cuts) = self.book(units, booked);
            if delay.is_zero() {
                return booked;
            }
            tokio::time::sleep(delay).await;
            if self.still_booked(cuts) {
                return booked;
            }
        }
    }

    /// Books the next turn for a request of `units`; how long it waits.
    #[cfg(test)]
    pub(crate) fn reserve(&self, units: f64, now: Instant) -> Duration {
        self.book(units, now).0
    }

    /// [`Pacer::reserve`], and the number of cuts so far.
    pub(crate) fn book(&self, units: f64, now: Instant) -> (Duration, u64) {
        let mut s = self.lock();
        let cuts = s.cuts;
        let Some(rate) = s.rate else {
            return (Duration::ZERO, cuts);
        };
        let start = s.next.max(now);
        s.next = start + Duration::from_secs_f64(units.max(0.0) / rate);
        (start - now, cuts)
    }

    /// Whether a turn booked when there had been `cuts` cuts still holds
    /// (no cut since).
    pub(crate) fn still_booked(&self, cuts: u64) -> bool {
        self.lock().cuts == cuts
    }

    /// The units per second requests are paced at, `None` when unpaced.
    #[cfg(test)]
    pub(crate) fn rate(&self) -> Option<f64> {
        self.lock().rate
    }

    /// The capacity measured so far, in units per second.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> Option<f64> {
        self.lock().capacity
    }

    /// Takes in the answer to a request of `sent` units booked at `booked`
    /// ([`Pacer::wait`]), `delivered` of them processed, `throttled` if it
    /// was refused or partly processed.
    pub(crate) fn record(&self, throttled: bool, sent: f64, delivered: f64, booked: Instant) {
        self.record_at(throttled, sent, delivered, booked, Instant::now());
    }

    pub(crate) fn record_at(
        &self,
        throttled: bool,
        sent: f64,
        delivered: f64,
        booked: Instant,
        now: Instant,
    ) {
        if !self.enabled {
            return;
        }
        let mut s = self.lock();
        s.units_seen += sent.max(0.0);
        s.answers += 1.0;
        let p = &mut s.period;
        p.responses += 1;
        p.throttled += u32::from(throttled);
        p.delivered += delivered;
        if let Some((_, units)) = &mut s.anchor {
            *units += delivered;
        }
        if let Some(e) = &mut s.episode {
            e.responses += 1;
            e.throttled += u32::from(throttled);
        }
        if throttled {
            s.throttle(booked, now);
        }
        let p = s.period;
        let elapsed = now.saturating_duration_since(p.start);
        if (elapsed >= PERIOD && p.responses >= MIN_RESPONSES) || elapsed >= LONG_PERIOD {
            s.period = Period::new(now);
            s.end_period(&p, elapsed.as_secs_f64().max(1e-3), now);
        }
        self.paced.store(s.rate.is_some(), Ordering::Relaxed);
    }
}

impl State {
    /// One request a second.
    fn floor(&self) -> f64 {
        if self.answers > 0.0 {
            (self.units_seen / self.answers).max(1.0)
        } else {
            1.0
        }
    }

    /// A throttled answer at `now` to a request booked at `booked`.
    fn throttle(&mut self, booked: Instant, now: Instant) {
        let measured = match self.anchor {
            Some((at, units)) if now.saturating_duration_since(at) >= MIN_SPAN => {
                let seconds = now.saturating_duration_since(at).as_secs_f64();
                self.anchor = Some((now, 0.0));
                Some(units / seconds)
            }
            Some(_) => None,
            None => {
                self.anchor = Some((now, 0.0));
                None
            }
        };
        if let Some(capacity) = measured {
            self.capacity = Some(capacity);
        }
        if self.baseline > 0.0 {
            // Throttled anyway: only a period throttled past it cuts.
            return;
        }
        if let Some(cut) = self.last_cut {
            if booked < cut || now.saturating_duration_since(cut) < MIN_SPAN {
                // Sent at the old rate, or too soon to tell.
                return;
            }
        }
        let rate_before = self.rate;
        let episode = self.episode.get_or_insert(Episode {
            rate_before,
            cuts: 0,
            responses: 1,
            throttled: 1,
        });
        episode.cuts += 1;
        if episode.cuts > MAX_CUTS {
            // Cut after cut, each soon throttled again: slowing down does
            // not cure this throttling. Undo the cuts, and cut again only
            // for more throttling than this.
            let share = f64::from(episode.throttled) / f64::from(episode.responses.max(1));
            let rate = episode.rate_before;
            tracing::debug!(
                share,
                "batch throttling does not ease when paced: pacing back off"
            );
            self.episode = None;
            self.last_cut = None;
            self.baseline = share;
            self.set_rate(rate, now);
            self.phase = Phase::Probe(PROBE);
            return;
        }
        let target = match (measured, self.capacity) {
            (Some(capacity), _) => HOLD * capacity,
            (None, Some(capacity)) => self.rate.map_or(capacity, |r| r.min(capacity)) * HOLD,
            (None, None) => FIRST_CUT * self.recent_delivered(now),
        };
        self.last_cut = Some(now);
        self.phase = Phase::Hold(now + HOLD_TIME);
        let rate = target.max(self.floor());
        tracing::debug!(
            rate,
            capacity = self.capacity,
            "batch throttled: paced under the table's capacity"
        );
        self.rate = Some(rate);
        // The table's bucket is empty: the next turn is one request from
        // now, and turns booked at the old rate are booked again.
        self.next = now + Duration::from_secs_f64(self.floor() / rate);
        self.cuts += 1;
    }

    /// The units per second delivered lately: the last period, or the
    /// current one before any ended.
    fn recent_delivered(&self, now: Instant) -> f64 {
        if self.last_delivered > 0.0 {
            return self.last_delivered;
        }
        let seconds = now
            .saturating_duration_since(self.period.start)
            .as_secs_f64();
        if seconds > 0.0 {
            self.period.delivered / seconds
        } else {
            0.0
        }
    }

    fn end_period(&mut self, period: &Period, seconds: f64, now: Instant) {
        let share = f64::from(period.throttled) / f64::from(period.responses.max(1));
        let delivered = period.delivered / seconds;
        tracing::trace!(
            seconds,
            responses = period.responses,
            share,
            delivered,
            rate = ?self.rate,
            capacity = ?self.capacity,
            phase = ?self.phase,
            baseline = self.baseline,
            "batch pacing period"
        );
        self.last_delivered = delivered;
        if self.baseline > 0.0 {
            self.under_baseline(share, delivered, now);
            return;
        }
        let Some(rate) = self.rate else { return };
        match self.phase {
            Phase::Hold(until) if now >= until => {
                // Held without a new cut: probe past the capacity.
                self.episode = None;
                self.phase = Phase::Probe(PROBE);
                let capacity = self.capacity.unwrap_or(rate / HOLD);
                self.rate = Some((capacity * (1.0 + PROBE)).max(rate));
            }
            Phase::Hold(_) => {}
            Phase::Probe(probe) => {
                let proven = match (self.anchor, self.capacity) {
                    (Some((at, units)), Some(capacity)) => {
                        let since = now.saturating_duration_since(at).as_secs_f64();
                        (units - capacity * since > capacity * PROOF).then(|| units / since)
                    }
                    _ => Some(delivered),
                };
                if let Some(lower_bound) = proven {
                    // More than the capacity allows: the table gives more.
                    let probe = (probe * 2.0).min(MAX_PROBE);
                    self.capacity = self.capacity.map(|c| c.max(lower_bound));
                    self.phase = Phase::Probe(probe);
                    self.rate = Some(rate * (1.0 + probe));
                }
                if self
                    .rate
                    .is_some_and(|r| r > UNBOUND * delivered.max(self.floor()))
                {
                    tracing::debug!("batch no longer throttled: pacing off");
                    self.rate = None;
                }
            }
        }
    }

    /// A period while throttling that pacing does not cure is expected.
    fn under_baseline(&mut self, share: f64, delivered: f64, now: Instant) {
        let threshold = (self.baseline * BASELINE_MARGIN + BASELINE_SLACK).max(HEAVY);
        if share >= threshold {
            let target = if delivered > 0.0 {
                DECREASE * delivered
            } else {
                self.recent_delivered(now) * FIRST_CUT
            };
            let rate = self
                .rate
                .map_or(target, |r| r.min(target))
                .max(self.floor());
            self.set_rate(Some(rate), now);
        } else if let Some(rate) = self.rate {
            let rate = rate * (1.0 + PROBE);
            self.rate = (rate <= UNBOUND * delivered.max(self.floor())).then_some(rate);
        }
        self.baseline *= BASELINE_FADE;
        if self.baseline < 0.01 {
            self.baseline = 0.0;
        }
    }

    fn set_rate(&mut self, rate: Option<f64>, now: Instant) {
        if self.rate.is_none() {
            self.next = now;
        }
        self.rate = rate;
    }
}

#[cfg(test)]
mod model;
#[cfg(test)]
mod tests;
