//! Adaptive concurrency: how many requests of a batch may be in flight,
//! cut on throttling and grown back on success (additive increase,
//! multiplicative decrease), never above the configured concurrency.

use super::pacing::Pacer;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How a batch chooses its number of requests in flight.
///
/// `.concurrency(8)` (a plain number) is [`Concurrency::Adaptive`] up to 8,
/// the default; `.concurrency(Concurrency::Fixed(8))` keeps 8 in flight
/// whatever DynamoDB answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// Starts at this many requests in flight; each throttling signal
    /// (`ProvisionedThroughputExceededException`, `ThrottlingException`,
    /// `RequestLimitExceeded`, or a response with unprocessed items or keys)
    /// halves the window (at most once per 100 ms, so one burst of throttles
    /// counts once), each fully processed response grows it by `1/window`
    /// (one request per window's worth of successes), never above this
    /// number and never below 1. Once throttled, requests are also paced
    /// (a rate of capacity units a second, held just under the capacity the
    /// table showed between two throttles and probed past it now and then;
    /// off until the first throttle and once it no longer binds): see the
    /// batch module's "Adaptive throughput".
    Adaptive(usize),
    /// Exactly this many in flight, whatever DynamoDB answers, and never
    /// paced (only the retry backoff slows it).
    Fixed(usize),
}

impl From<usize> for Concurrency {
    fn from(requests: usize) -> Self {
        Concurrency::Adaptive(requests)
    }
}

impl Concurrency {
    /// The most requests in flight (at least 1).
    pub fn max(self) -> usize {
        match self {
            Concurrency::Adaptive(n) | Concurrency::Fixed(n) => n.max(1),
        }
    }
}

/// The least time between two cuts of the window.
const CUT_INTERVAL: Duration = Duration::from_millis(100);

/// What a request's answer says about capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// Fully processed.
    Ok,
    /// Throttled, or partly processed.
    Throttled,
    /// Failed otherwise (a 500, a network error): no change.
    Neutral,
}

/// The window of requests in flight, shared by the chunks of one batch.
pub(crate) struct Gate {
    adaptive: bool,
    max: usize,
    state: Mutex<GateState>,
    notify: Notify,
    /// The rate of capacity units, once throttled.
    pacer: Pacer,
}

struct GateState {
    window: f64,
    in_flight: usize,
    last_cut: Option<Instant>,
}

/// One request's place in the window, given back on drop.
pub(crate) struct Permit<'g>(&'g Gate);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        drop(s);
        self.0.notify.notify_waiters();
    }
}

impl Gate {
    pub(crate) fn new(concurrency: Concurrency) -> Self {
        let max = concurrency.max();
        let adaptive = matches!(concurrency, Concurrency::Adaptive(_));
        Gate {
            adaptive,
            pacer: Pacer::new(adaptive),
            max,
            state: Mutex::new(GateState {
                window: max as f64,
                in_flight: 0,
                last_cut: None,
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests allowed in flight now.
    #[cfg(test)]
    pub(crate) fn window(&self) -> usize {
        (self.lock().window.floor() as usize).clamp(1, self.max)
    }

    /// Waits for a place in the window.
    pub(crate) async fn acquire(&self) -> Permit<'_> {
        loop {
            let notified = self.notify.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            {
                let mut s = self.lock();
                let allowed = (s.window.floor() as usize).clamp(1, self.max);
                if s.in_flight < allowed {
                    s.in_flight += 1;
                    return Permit(self);
                }
            }
            notified.await;
        }
    }

    /// Waits for the pacer's turn for a request of `units` (estimated
    /// capacity units): at once until a throttle was seen. Returns when the
    /// turn was booked, for [`Gate::record_paced`].
    pub(crate) async fn pace(&self, units: f64) -> Instant {
        self.pacer.wait(units).await
    }

    /// Adjusts the window to what a response said.
    pub(crate) fn record(&self, signal: Signal) {
        self.record_at(signal, Instant::now());
    }

    /// Adjusts the window and the pacing to what the answer to a request
    /// of `sent` units, booked at `booked` ([`Gate::pace`]), said,
    /// `delivered` of them processed.
    pub(crate) fn record_paced(&self, signal: Signal, sent: f64, delivered: f64, booked: Instant) {
        self.record(signal);
        if signal != Signal::Neutral {
            self.pacer
                .record(signal == Signal::Throttled, sent, delivered, booked);
        }
    }

    pub(super) fn record_at(&self, signal: Signal, now: Instant) {
        if !self.adaptive {
            return;
        }
        let mut s = self.lock();
        match signal {
            Signal::Ok => {
                s.window = (s.window + 1.0 / s.window.max(1.0)).min(self.max as f64);
                drop(s);
                self.notify.notify_waiters();
            }
            Signal::Throttled => {
                if s.last_cut
                    .is_none_or(|t| now.duration_since(t) >= CUT_INTERVAL)
                {
                    s.window = (s.window / 2.0).max(1.0);
                    s.last_cut = Some(now);
                    tracing::debug!(
                        window = s.window,
                        "batch throttled: fewer requests in flight"
                    );
                }
            }
            Signal::Neutral => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_halves_the_window_and_success_grows_it_back_to_the_maximum() {
        let gate = Gate::new(Concurrency::Adaptive(8));
        assert_eq!(gate.window(), 8);
        let t0 = Instant::now();
        gate.record_at(Signal::Throttled, t0);
        assert_eq!(gate.window(), 4);
        // A second throttle of the same burst does not cut again.
        gate.record_at(Signal::Throttled, t0 + Duration::from_millis(10));
        assert_eq!(gate.window(), 4);
        for i in 0..4 {
            gate.record_at(Signal::Throttled, t0 + CUT_INTERVAL * (i + 1));
        }
        assert_eq!(gate.window(), 1, "never below 1");
        for _ in 0..200 {
            gate.record_at(Signal::Ok, t0);
        }
        assert_eq!(gate.window(), 8, "grown back, never above the configured 8");
        gate.record_at(Signal::Neutral, t0 + CUT_INTERVAL * 10);
        assert_eq!(gate.window(), 8);
    }

    #[test]
    fn fixed_concurrency_ignores_throttling() {
        let gate = Gate::new(Concurrency::Fixed(8));
        gate.record(Signal::Throttled);
        assert_eq!(gate.window(), 8);
    }

    #[tokio::test]
    async fn no_more_requests_in_flight_than_the_window() {
        let gate = Gate::new(Concurrency::Adaptive(4));
        gate.record(Signal::Throttled); // window 2
        let a = gate.acquire().await;
        let _b = gate.acquire().await;
        let third = tokio::time::timeout(Duration::from_millis(50), gate.acquire()).await;
        assert!(third.is_err(), "a third waits while two are in flight");
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(500), gate.acquire()).await;
        assert!(third.is_ok(), "released when one finishes");
    }
}
