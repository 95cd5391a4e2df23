//! Adaptive pacing: a rate of capacity units per second for the requests of
//! one batch, set only once DynamoDB has throttled and lifted again once it
//! no longer binds.
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
//! - **Measured in periods** of at least [`PERIOD`] and [`MIN_RESPONSES`]
//!   responses: the share of throttled responses (a throttling error or
//!   unprocessed items or keys) and the units delivered per second (each
//!   request's units are estimated from its items' sizes as DynamoDB charges
//!   writes: 1 per started KB per item, 1 per key for reads; the consumed
//!   capacity replaces the estimate when the batch asked for it).
//! - **Multiplicative decrease.** A period with throttles sets the rate to
//!   [`DECREASE`] × the units delivered per second in it (so the first cut
//!   lands just under what the table gave, however fast the batch went),
//!   never above the rate before and never below one request per second.
//! - **Recovery.** Each throttle-free period raises the rate: half of the
//!   way back to the rate delivered when the table last throttled, then past
//!   it by a probe that starts at 2% and doubles every period (up to ×2), so
//!   a table whose capacity grew is found again within seconds. When the
//!   rate is twice what the batch delivers (it no longer binds) pacing stops.
//! - **Throttling that slowing down does not cure** (say, injected faults, or
//!   a hot key, that throttle a share of requests at any rate): when
//!   [`EPISODE`] periods in a row were throttled and their share of throttled
//!   responses did not fall by half, the cuts are undone and that share is
//!   taken as the baseline: only a share above it cuts again. The baseline
//!   fades by 2% a period.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The shortest measuring period.
pub(crate) const PERIOD: Duration = Duration::from_millis(250);
/// Responses a period needs, unless it lasted [`LONG_PERIOD`].
pub(crate) const MIN_RESPONSES: u32 = 8;
/// A period with fewer than [`MIN_RESPONSES`] responses ends after this.
pub(crate) const LONG_PERIOD: Duration = Duration::from_secs(2);
/// A throttled period's new rate, as a share of the units it delivered.
pub(crate) const DECREASE: f64 = 0.8;
/// Cuts in one episode after which a period still heavily throttled undoes
/// them.
pub(crate) const MAX_CUTS: u32 = 3;
/// Periods in a row not (or lightly) throttled that end an episode.
const EPISODE_END: u32 = 4;
/// The first probe past the last throttled rate, as a share of the rate.
const FIRST_PROBE: f64 = 0.01;
/// How far past the ceiling the rate goes while the table's saved capacity
/// is being spent.
const SPENDING: f64 = 0.03;
/// How much each clean period past the last throttled rate grows the probe.
const PROBE_GROWTH: f64 = 1.15;
/// A throttled period's share from which what it delivered is the table's
/// capacity.
const HEAVY: f64 = 0.25;
/// Pacing stops when the rate is this many times what the batch delivers.
const UNBOUND: f64 = 2.0;
/// The share of throttled responses above the baseline that cuts:
/// `share > baseline × BASELINE_MARGIN + BASELINE_SLACK`.
const BASELINE_MARGIN: f64 = 1.5;
const BASELINE_SLACK: f64 = 0.1;
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
    /// The units per second the table gave when it last throttled (or
    /// more, since found to pass without throttling).
    ceiling: f64,
    /// Units the table has likely saved since (time under `ceiling`):
    /// DynamoDB keeps unused capacity for bursts, so going past `ceiling`
    /// shows nothing new until that is spent.
    credit: f64,
    /// The next probe past `ceiling`, as a share of the rate.
    probe: f64,
    /// The share of throttled responses of the period that last cut.
    last_cut: Option<f64>,
    /// The throttled periods in a row: their shares, and the rate before.
    episode: Option<Episode>,
    /// A share of throttled responses that slowing down did not lower.
    baseline: f64,
    /// The mean units of a request (for the floor of one request a second).
    request_units: f64,
    /// The units per second the last period delivered.
    last_delivered: f64,
}

#[derive(Clone, Copy)]
struct Period {
    start: Instant,
    responses: u32,
    throttled: u32,
    /// Units of the requests answered, processed or not.
    sent: f64,
    /// Units processed.
    delivered: f64,
    /// The rate was cut during the period (at its first throttle).
    cut: bool,
}

impl Period {
    fn new(start: Instant) -> Self {
        Period {
            start,
            responses: 0,
            throttled: 0,
            sent: 0.0,
            delivered: 0.0,
            cut: false,
        }
    }
}

/// Throttling that lasts: from the first throttled period to
/// [`EPISODE_END`] clean ones in a row.
struct Episode {
    ceiling_before: f64,
    /// Cuts of the rate so far.
    cuts: u32,
    /// Clean periods since the last throttled one.
    clean: u32,
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
                ceiling: 0.0,
                credit: 0.0,
                probe: FIRST_PROBE,
                last_cut: None,
                episode: None,
                baseline: 0.0,
                request_units: 1.0,
                last_delivered: 0.0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the turn of a request of `units`: at once while unpaced.
    pub(crate) async fn wait(&self, units: f64) {
        if !self.paced.load(Ordering::Relaxed) {
            return;
        }
        let delay = self.reserve(units, Instant::now());
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }

    /// Books the next turn for a request of `units`; how long it waits.
    fn reserve(&self, units: f64, now: Instant) -> Duration {
        let mut s = self.lock();
        let Some(rate) = s.rate else {
            return Duration::ZERO;
        };
        let start = s.next.max(now);
        s.next = start + Duration::from_secs_f64(units.max(0.0) / rate);
        start - now
    }

    /// The units per second requests are paced at, `None` when unpaced.
    #[cfg(test)]
    pub(crate) fn rate(&self) -> Option<f64> {
        self.lock().rate
    }

    /// Takes in the answer to a request of `sent` units, `delivered` of them
    /// processed, `throttled` if it was refused or partly processed.
    pub(crate) fn record(&self, throttled: bool, sent: f64, delivered: f64) {
        self.record_at(throttled, sent, delivered, Instant::now());
    }

    pub(crate) fn record_at(&self, throttled: bool, sent: f64, delivered: f64, now: Instant) {
        if !self.enabled {
            return;
        }
        let mut s = self.lock();
        s.request_units = 0.9 * s.request_units + 0.1 * sent.max(1.0);
        let p = &mut s.period;
        p.responses += 1;
        p.throttled += u32::from(throttled);
        p.sent += sent;
        p.delivered += delivered;
        let elapsed = now.saturating_duration_since(p.start);
        let ended = (elapsed >= PERIOD && p.responses >= MIN_RESPONSES) || elapsed >= LONG_PERIOD;
        if !ended {
            // The first throttle after clean periods cuts at once, under
            // what the last period delivered.
            if throttled
                && !p.cut
                && s.episode.is_none()
                && s.baseline == 0.0
                && s.last_delivered > 0.0
            {
                s.period.cut = true;
                s.first_throttle(now);
                self.paced.store(true, Ordering::Relaxed);
            }
            return;
        }
        let period = *p;
        s.period = Period::new(now);
        s.end_period(&period, elapsed.as_secs_f64().max(1e-3), now);
        self.paced.store(s.rate.is_some(), Ordering::Relaxed);
    }
}

impl State {
    fn floor(&self) -> f64 {
        self.request_units.max(1.0)
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
            ceiling = self.ceiling,
            baseline = self.baseline,
            "batch pacing period"
        );
        let threshold = if self.baseline > 0.0 {
            (self.baseline * BASELINE_MARGIN + BASELINE_SLACK).max(HEAVY)
        } else {
            HEAVY
        };
        if period.throttled > 0 && share >= threshold {
            self.heavy_period(period, share, delivered, period.sent / seconds, now);
        } else {
            // Lightly throttled or not at all.
            self.clean_period(delivered, seconds);
        }
        self.last_delivered = delivered;
    }

    /// Starts an episode of throttling, if none is under way.
    fn episode(&mut self) -> &mut Episode {
        let ceiling = self.ceiling;
        self.episode.get_or_insert(Episode {
            ceiling_before: ceiling,
            cuts: 0,
            clean: 0,
        })
    }

    /// The first throttle after clean periods: under what the last period
    /// delivered, at once.
    fn first_throttle(&mut self, now: Instant) {
        let target = DECREASE * self.last_delivered;
        if self.ceiling == 0.0 {
            self.ceiling = self.last_delivered;
        }
        self.episode().cuts += 1;
        self.cut_to(target, now);
    }

    fn heavy_period(
        &mut self,
        period: &Period,
        share: f64,
        delivered: f64,
        offered: f64,
        now: Instant,
    ) {
        self.credit = 0.0;
        self.probe = FIRST_PROBE;
        let episode = self.episode();
        episode.clean = 0;
        if episode.cuts >= MAX_CUTS {
            // Cut after cut and still throttled as much: slowing down does
            // not cure this throttling. Undo the cuts, and cut again only
            // for more throttling than this.
            let ceiling = episode.ceiling_before;
            tracing::debug!(
                share,
                "batch throttling does not ease when paced: pacing back off"
            );
            self.episode = None;
            self.last_cut = None;
            self.baseline = share;
            self.ceiling = ceiling;
            self.set_rate(None, now);
            return;
        }
        if period.cut {
            // Cut at its first throttle already.
            self.last_cut = Some(share);
            if delivered > 0.0 {
                self.ceiling = delivered;
            }
            return;
        }
        if let Some(cut) = self.last_cut.take() {
            if share < cut * 0.5 {
                // The last cut is taking effect (answers to requests sent
                // before it): hold.
                return;
            }
        }
        // Heavily throttled: what the period delivered is what the table
        // gives (a whole-throttled period, with nothing delivered, falls
        // to a quarter of what was sent).
        let target = if delivered > 0.0 {
            self.ceiling = delivered;
            DECREASE * delivered
        } else {
            offered / 4.0
        };
        self.episode().cuts += 1;
        self.last_cut = Some(share);
        self.cut_to(target, now);
    }

    /// Paces at `target` units a second, or less if the rate is already
    /// lower, never under the floor.
    fn cut_to(&mut self, target: f64, now: Instant) {
        let rate = self
            .rate
            .map_or(target, |r| r.min(target))
            .max(self.floor());
        tracing::debug!(rate, "batch throttled: paced to fewer units a second");
        self.set_rate(Some(rate), now);
    }

    fn clean_period(&mut self, delivered: f64, seconds: f64) {
        if let Some(episode) = &mut self.episode {
            episode.clean += 1;
            if episode.clean >= EPISODE_END {
                self.episode = None;
            }
        }
        self.last_cut = None;
        self.baseline *= BASELINE_FADE;
        if self.baseline < 0.01 {
            self.baseline = 0.0;
        }
        let Some(rate) = self.rate else { return };
        self.credit = (self.credit + (self.ceiling - delivered) * seconds).max(0.0);
        if self.credit == 0.0 && delivered > self.ceiling {
            // Past the old ceiling without throttling, credit spent: the
            // table gives more.
            self.ceiling = delivered;
        }
        let rate = if rate < self.ceiling * 0.98 {
            rate + ((self.ceiling - rate) / 2.0).max(rate * FIRST_PROBE)
        } else if self.credit > 0.0 {
            // Just past the ceiling until the saved capacity is spent.
            self.ceiling * (1.0 + SPENDING)
        } else {
            let raised = rate * (1.0 + self.probe);
            self.probe = (self.probe * PROBE_GROWTH).min(1.0);
            raised
        };
        if rate > UNBOUND * delivered.max(self.floor()) {
            tracing::debug!("batch no longer throttled: pacing off");
            self.rate = None;
            self.probe = FIRST_PROBE;
            self.credit = 0.0;
        } else {
            self.rate = Some(rate);
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
mod tests;
