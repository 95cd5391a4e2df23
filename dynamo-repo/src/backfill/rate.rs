//! The rate limit of a backfill: token buckets of read and write capacity
//! units, charged with what DynamoDB says each request consumed.
//!
//! A request waits until its bucket holds its estimated cost (at most the
//! bucket's size, so a request dearer than the burst still goes once the
//! bucket is full), takes it, and once the response reports what the request
//! really consumed (`ReturnConsumedCapacity=TOTAL`, which the runner asks for
//! whenever a limit is set) the difference is given back or taken: an
//! underestimate leaves the bucket in debt, and the next requests wait it
//! out. So over any run of `t` seconds the units consumed stay within
//! `rate · t + burst`, plus what the requests still in flight were
//! underestimated by (at most one scan page per segment; writes are
//! estimated from the item's size, as DynamoDB charges them).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A backfill's budget of capacity units per second: `RateLimit::new()
/// .read_units(200.0).write_units(100.0)`. Unset units are unlimited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub(crate) read_units: Option<f64>,
    pub(crate) write_units: Option<f64>,
    pub(crate) burst: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::new()
    }
}

impl RateLimit {
    /// No limit yet; add one with [`read_units`](Self::read_units) or
    /// [`write_units`](Self::write_units). The burst is 1 s of the rate.
    pub fn new() -> Self {
        RateLimit {
            read_units: None,
            write_units: None,
            burst: Duration::from_secs(1),
        }
    }

    /// At most `units` read capacity units per second (scan pages).
    #[must_use]
    pub fn read_units(mut self, units: f64) -> Self {
        self.read_units = Some(units);
        self
    }

    /// At most `units` write capacity units per second (the writes).
    #[must_use]
    pub fn write_units(mut self, units: f64) -> Self {
        self.write_units = Some(units);
        self
    }

    /// How much unused capacity a bucket keeps (and starts with), as a time
    /// at the rate: 1 s by default. Longer lets a run absorb bursts, shorter
    /// keeps it smoother.
    #[must_use]
    pub fn burst(mut self, burst: Duration) -> Self {
        self.burst = burst;
        self
    }

    /// Whether any limit is set.
    pub fn is_limited(&self) -> bool {
        self.read_units.is_some() || self.write_units.is_some()
    }
}

/// A token bucket of capacity units, shared by every task of one run.
#[derive(Debug)]
pub(crate) struct Bucket {
    rate: f64,
    size: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A bucket refilled at `rate` units per second, holding up to `burst`
    /// of them, and starting full. `None` when the rate is unset, not
    /// positive, or not finite (no limit).
    pub(crate) fn new(rate: Option<f64>, burst: Duration) -> Option<Self> {
        let rate = rate.filter(|r| r.is_finite() && *r > 0.0)?;
        // At least one unit, so a 1-unit write fits in any bucket.
        let size = (rate * burst.as_secs_f64()).max(1.0);
        Some(Bucket {
            rate,
            size,
            state: Mutex::new(BucketState {
                tokens: size,
                at: Instant::now(),
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BucketState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `estimate` units, or says how long to wait until they are there.
    fn try_take(&self, estimate: f64, now: Instant) -> Option<Duration> {
        let mut s = self.lock();
        let elapsed = now.saturating_duration_since(s.at).as_secs_f64();
        s.tokens = (s.tokens + elapsed * self.rate).min(self.size);
        s.at = now;
        let need = estimate.clamp(0.0, self.size);
        if s.tokens >= need {
            s.tokens -= estimate.max(0.0);
            None
        } else {
            Some(Duration::from_secs_f64((need - s.tokens) / self.rate))
        }
    }

    /// Waits until `estimate` units are there, and takes them.
    pub(crate) async fn take(&self, estimate: f64) {
        while let Some(wait) = self.try_take(estimate, Instant::now()) {
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// What a request that took `estimate` really consumed: the difference
    /// is given back, or owed.
    pub(crate) fn settle(&self, estimate: f64, consumed: f64) {
        let mut s = self.lock();
        s.tokens = (s.tokens + estimate.max(0.0) - consumed.max(0.0)).min(self.size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_lets_the_burst_through_then_paces_at_the_rate() {
        let b = Bucket::new(Some(10.0), Duration::from_secs(1)).unwrap();
        let t0 = b.lock().at;
        for _ in 0..10 {
            assert_eq!(b.try_take(1.0, t0), None);
        }
        let wait = b.try_take(1.0, t0).expect("empty after the burst");
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-9, "{wait:?}");
        assert_eq!(b.try_take(1.0, t0 + Duration::from_millis(100)), None);
    }

    #[test]
    fn an_underestimate_is_owed_and_waited_out() {
        let b = Bucket::new(Some(10.0), Duration::from_secs(1)).unwrap();
        let t0 = b.lock().at;
        assert_eq!(b.try_take(1.0, t0), None);
        b.settle(1.0, 30.0); // 10 - 30 = -20 units
        let wait = b.try_take(1.0, t0).unwrap();
        assert!((wait.as_secs_f64() - 2.1).abs() < 1e-9, "{wait:?}");
        // A request dearer than the whole bucket goes once the bucket is full.
        assert_eq!(b.try_take(50.0, t0 + Duration::from_secs(4)), None);
    }

    #[test]
    fn no_rate_no_bucket() {
        assert!(Bucket::new(None, Duration::from_secs(1)).is_none());
        assert!(Bucket::new(Some(0.0), Duration::from_secs(1)).is_none());
        assert!(Bucket::new(Some(f64::INFINITY), Duration::from_secs(1)).is_none());
    }
}
