//! The retry policy shared by the client, batch helpers and units of work:
//! exponential backoff with full jitter and a bounded number of attempts.

use std::time::Duration;

/// How failed or partly processed requests are retried.
///
/// The delay before retry `n` (counting from 0) is a random duration in
/// `0..=min(cap, base * 2^n)` ("full jitter"), and at most `max_attempts`
/// requests are sent in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests sent at most, the first one included.
    pub max_attempts: u32,
    /// The base delay, doubled on every retry.
    pub base_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, 100 ms base, 20 s cap.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the number of attempts (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the base delay.
    #[must_use]
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Sets the cap on one delay.
    #[must_use]
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The default policy of a unit of work's commit: 10 attempts, 50 ms
    /// base, 5 s cap. A commit is idempotent under its `ClientRequestToken`,
    /// so it can afford more attempts than a single call; with half of all
    /// responses lost, 10 attempts leave about 1 commit in 1,000 unanswered.
    pub fn for_commits() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(5),
        }
    }

    /// The upper bound of the delay before retry `retry` (0 for the first retry):
    /// `min(cap, base * 2^retry)`.
    pub fn delay_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(31));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The delay before retry `retry`, given a uniform random number in `[0, 1)`.
    pub fn delay(&self, retry: u32, unit_random: f64) -> Duration {
        self.delay_ceiling(retry)
            .mul_f64(unit_random.clamp(0.0, 1.0))
    }

    /// The SDK's equivalent, used for every request of a [`Client`](crate::Client).
    pub fn to_sdk(&self) -> aws_sdk_dynamodb::config::retry::RetryConfig {
        aws_sdk_dynamodb::config::retry::RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(self.base_delay)
            .with_max_backoff(self.max_delay)
    }
}

/// Whether an SDK failure is worth retrying: throttling, 5xx, timeouts,
/// dropped connections and unreadable responses.
pub(crate) fn is_transient<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
    R: HttpStatus,
{
    use aws_sdk_dynamodb::error::SdkError;
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service.raw().is_server_error()
                || matches!(
                    service.err().code(),
                    Some(
                        "ProvisionedThroughputExceededException"
                            | "ThrottlingException"
                            | "RequestLimitExceeded"
                            | "ItemCollectionSizeLimitExceededException"
                            | "InternalServerError"
                            | "ServiceUnavailable"
                    )
                )
        }
        _ => false,
    }
}

/// The status of a raw response, for [`is_transient`].
pub(crate) trait HttpStatus {
    /// Whether the response is a 5xx.
    fn is_server_error(&self) -> bool;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn is_server_error(&self) -> bool {
        self.status().is_server_error()
    }
}

/// A source of uniform random numbers in `[0, 1)` for the backoff jitter.
pub(crate) type RandomFn = std::sync::Arc<dyn Fn() -> f64 + Send + Sync>;

/// One step of xorshift64*: the next state and its output.
fn xorshift(mut x: u64) -> (u64, u64) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    (x, x.wrapping_mul(0x2545_f491_4f6c_dd1d))
}

/// `[0, 1)` from 64 random bits.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// A xorshift64* generator of numbers in `[0, 1)`: enough for jitter, and
/// deterministic for a given seed (for tests).
pub(crate) fn seeded_random(seed: u64) -> RandomFn {
    // xorshift's state must never be 0.
    let state = std::sync::Mutex::new(seed | 1);
    std::sync::Arc::new(move || {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        let (next, out) = xorshift(*s);
        *s = next;
        unit(out)
    })
}

/// A uniform random number in `[0, 1)` for backoff jitter, from a
/// per-thread xorshift64* generator seeded by the process's random hasher
/// keys and the clock (jitter needs spread, not cryptographic strength).
pub(crate) fn unit_random() -> f64 {
    unit(random_u64())
}

/// 64 random bits from the same generator as [`unit_random`].
pub(crate) fn random_u64() -> u64 {
    use std::cell::Cell;
    use std::hash::{BuildHasher, Hasher};
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            h.finish() | 1
        });
    }
    STATE.with(|state| {
        let (next, out) = xorshift(state.get());
        state.set(next);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_then_stop_at_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_ceiling(0), Duration::from_millis(100));
        assert_eq!(p.delay_ceiling(1), Duration::from_millis(200));
        assert_eq!(p.delay_ceiling(7), Duration::from_millis(12_800));
        assert_eq!(p.delay_ceiling(8), Duration::from_secs(20));
        assert_eq!(p.delay_ceiling(1000), Duration::from_secs(20));
        assert_eq!(p.delay(3, 0.5), Duration::from_millis(400));
    }
}
