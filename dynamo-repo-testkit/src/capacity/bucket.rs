//! A token bucket of capacity units: refilled at the provisioned rate, up
//! to a burst allowance of unused seconds.

use std::time::Instant;

/// Capacity units refilled per second and kept for later use.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    /// Units per second.
    rate: f64,
    /// Most units kept (rate × burst seconds).
    max: f64,
    /// Units available now; negative after a read charged more than it had.
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A bucket of `rate` units per second keeping up to `burst_seconds` of
    /// them, starting with `initial_seconds` worth.
    pub(crate) fn new(rate: f64, burst_seconds: f64, initial_seconds: f64, now: Instant) -> Self {
        let max = rate * burst_seconds.max(0.0);
        TokenBucket {
            rate,
            max,
            tokens: (rate * initial_seconds.max(0.0)).min(max.max(rate)),
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        // A bucket holds at least one second's worth, whatever the burst.
        let cap = self.max.max(self.rate);
        if self.tokens < cap {
            self.tokens = (self.tokens + elapsed * self.rate).min(cap);
        }
    }

    /// The units available at `now`.
    pub(crate) fn available(&mut self, now: Instant) -> f64 {
        self.refill(now);
        self.tokens
    }

    /// Takes `units` if that many are available.
    pub(crate) fn try_take(&mut self, units: f64, now: Instant) -> bool {
        self.refill(now);
        if self.tokens + 1e-9 >= units {
            self.tokens -= units;
            true
        } else {
            false
        }
    }

    /// Takes `units` whatever is available (a charge known only after the
    /// fact), leaving a debt that refills first.
    pub(crate) fn charge(&mut self, units: f64, now: Instant) {
        self.refill(now);
        self.tokens -= units;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn refills_at_its_rate_up_to_the_burst() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(100.0, 300.0, 1.0, t0);
        assert_eq!(b.available(t0), 100.0);
        assert!(b.try_take(100.0, t0));
        assert!(!b.try_take(1.0, t0));
        let half = t0 + Duration::from_millis(500);
        assert!((b.available(half) - 50.0).abs() < 1e-6);
        // Ten idle minutes keep only the 300 s burst allowance.
        let later = half + Duration::from_secs(600);
        assert!((b.available(later) - 30_000.0).abs() < 1e-6);
    }

    #[test]
    fn a_charge_after_the_fact_leaves_a_debt_that_refills_first() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10.0, 0.0, 1.0, t0);
        b.charge(25.0, t0);
        assert!((b.available(t0) + 15.0).abs() < 1e-9);
        assert!(!b.try_take(1.0, t0 + Duration::from_secs(1)));
        assert!(b.try_take(1.0, t0 + Duration::from_millis(1600)));
        // With no burst allowance the bucket still holds one second's worth.
        assert!((b.available(t0 + Duration::from_secs(60)) - 10.0).abs() < 1e-9);
    }
}
