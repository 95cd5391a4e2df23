use super::{DecodeError, DecodeErrorKind};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A type a `#[dynamo(ttl)]` field can have: it is stored as whole seconds
/// since the Unix epoch (N), the form DynamoDB's time-to-live reads.
pub trait EpochSeconds: Sized {
    /// Seconds since the epoch, or `None` to leave the attribute out.
    fn to_epoch_seconds(&self) -> Option<i64>;
    /// The value for the given seconds since the epoch.
    fn from_epoch_seconds(seconds: i64) -> Result<Self, DecodeError>;
    /// The value when the attribute is absent (`None` for an `Option`).
    fn when_absent() -> Option<Self> {
        None
    }
}

fn out_of_range(seconds: i64, target: &'static str) -> DecodeError {
    DecodeError::new(DecodeErrorKind::InvalidNumber {
        text: seconds.to_string(),
        target,
    })
}

impl EpochSeconds for i64 {
    fn to_epoch_seconds(&self) -> Option<i64> {
        Some(*self)
    }
    fn from_epoch_seconds(seconds: i64) -> Result<Self, DecodeError> {
        Ok(seconds)
    }
}

impl EpochSeconds for u64 {
    fn to_epoch_seconds(&self) -> Option<i64> {
        Some(i64::try_from(*self).unwrap_or(i64::MAX))
    }
    fn from_epoch_seconds(seconds: i64) -> Result<Self, DecodeError> {
        u64::try_from(seconds).map_err(|_| out_of_range(seconds, "u64"))
    }
}

impl EpochSeconds for SystemTime {
    fn to_epoch_seconds(&self) -> Option<i64> {
        Some(match self.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        })
    }
    fn from_epoch_seconds(seconds: i64) -> Result<Self, DecodeError> {
        let magnitude = Duration::from_secs(seconds.unsigned_abs());
        if seconds >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        }
        .ok_or_else(|| out_of_range(seconds, "SystemTime"))
    }
}

impl<T: EpochSeconds> EpochSeconds for Option<T> {
    fn to_epoch_seconds(&self) -> Option<i64> {
        self.as_ref().and_then(T::to_epoch_seconds)
    }
    fn from_epoch_seconds(seconds: i64) -> Result<Self, DecodeError> {
        T::from_epoch_seconds(seconds).map(Some)
    }
    fn when_absent() -> Option<Self> {
        Some(None)
    }
}

#[cfg(feature = "chrono")]
impl EpochSeconds for chrono::DateTime<chrono::Utc> {
    fn to_epoch_seconds(&self) -> Option<i64> {
        Some(self.timestamp())
    }
    fn from_epoch_seconds(seconds: i64) -> Result<Self, DecodeError> {
        chrono::DateTime::from_timestamp(seconds, 0)
            .ok_or_else(|| out_of_range(seconds, "DateTime<Utc>"))
    }
}

#[cfg(feature = "time")]
impl EpochSeconds for time::OffsetDateTime {
    fn to_epoch_seconds(&self) -> Option<i64> {
        Some(self.unix_timestamp())
    }
    fn from_epoch_seconds(seconds: i64) -> Result<Self, DecodeError> {
        time::OffsetDateTime::from_unix_timestamp(seconds)
            .map_err(|_| out_of_range(seconds, "OffsetDateTime"))
    }
}
