//! The simulator's accounts: the buckets of each table (and partition key
//! value), what they hold and what each request takes from them.

use super::split::Charge;
use super::*;

impl CapacitySimulator {
    pub(super) fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The rate of one bucket, `None` when unlimited.
    pub(super) fn rate(&self, key: &BucketKey) -> Option<f64> {
        let throughput = match &key.partition {
            Some(_) => self.inner.partition.as_ref().map(|(_, t)| *t),
            None => self
                .inner
                .tables
                .get(&key.table)
                .copied()
                .or(self.inner.every_table),
        }?;
        let rate = if key.write {
            throughput.write_units
        } else {
            throughput.read_units
        };
        rate.is_finite().then_some(rate)
    }

    /// The buckets a write or read of `item` (or its key) in `table` draws on.
    pub(super) fn keys_for(&self, table: &str, item: Option<&Item>, write: bool) -> Vec<BucketKey> {
        let mut keys = vec![BucketKey {
            table: table.to_owned(),
            partition: None,
            write,
        }];
        if let (Some((name, _)), Some(item)) = (&self.inner.partition, item) {
            if let Some(value) = item.get(name) {
                keys.push(BucketKey {
                    table: table.to_owned(),
                    partition: Some(partition_id(value)),
                    write,
                });
            }
        }
        keys
    }

    /// Takes `units` from every bucket of `keys` if all of them have it.
    pub(super) fn try_take(
        &self,
        state: &mut State,
        keys: &[BucketKey],
        units: f64,
        now: Instant,
    ) -> bool {
        for key in keys {
            if let Some(bucket) = self.bucket(state, key, now) {
                if bucket.available(now) + 1e-9 < units {
                    return false;
                }
            }
        }
        for key in keys {
            if let Some(bucket) = self.bucket(state, key, now) {
                bucket.try_take(units, now);
            }
        }
        true
    }

    pub(super) fn bucket<'s>(
        &self,
        state: &'s mut State,
        key: &BucketKey,
        now: Instant,
    ) -> Option<&'s mut TokenBucket> {
        let rate = self.rate(key)?;
        Some(state.buckets.entry(key.clone()).or_insert_with(|| {
            TokenBucket::new(
                rate,
                self.inner.burst_seconds,
                self.inner.initial_seconds,
                now,
            )
        }))
    }

    /// Takes every charge of a call, all or nothing.
    pub(super) fn try_take_all(&self, charges: &[Charge]) -> bool {
        let now = Instant::now();
        let mut state = self.state();
        // Sum per bucket, so two writes to one table check their total.
        let mut totals: HashMap<&BucketKey, f64> = HashMap::new();
        for c in charges {
            for key in &c.buckets {
                *totals.entry(key).or_default() += c.units;
            }
        }
        for (key, units) in &totals {
            if let Some(bucket) = self.bucket(&mut state, key, now) {
                if bucket.available(now) + 1e-9 < *units {
                    return false;
                }
            }
        }
        for (key, units) in totals {
            if let Some(bucket) = self.bucket(&mut state, key, now) {
                bucket.try_take(units, now);
            }
        }
        for c in charges {
            record(&mut state, &c.table, c.units, c.write);
        }
        true
    }

    /// Whether every bucket of `keys` holds at least `units`.
    pub(super) fn has(&self, keys: &[BucketKey], units: f64) -> bool {
        let now = Instant::now();
        let mut state = self.state();
        keys.iter().all(|key| {
            self.bucket(&mut state, key, now)
                .is_none_or(|b| b.available(now) + 1e-9 >= units)
        })
    }

    /// Charges a read after the fact, to its table's bucket.
    pub(super) fn charge_read(&self, table: &str, units: f64) {
        let now = Instant::now();
        let mut state = self.state();
        let key = BucketKey {
            table: table.to_owned(),
            partition: None,
            write: false,
        };
        if let Some(bucket) = self.bucket(&mut state, &key, now) {
            bucket.charge(units, now);
        }
        record(&mut state, table, units, false);
    }
}

pub(super) fn record(state: &mut State, table: &str, units: f64, write: bool) {
    let consumed = state.consumed.entry(table.to_owned()).or_default();
    if write {
        consumed.write_units += units;
        state.stats.write_units += units;
    } else {
        consumed.read_units += units;
        state.stats.read_units += units;
    }
}

/// A partition key value as a bucket name.
pub(super) fn partition_id(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => format!("S:{s}"),
        AttributeValue::N(n) => format!("N:{n}"),
        AttributeValue::B(b) => format!("B:{:?}", b.as_ref()),
        other => format!("{other:?}"),
    }
}
