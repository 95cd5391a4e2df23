//! The repeated-key check of a streamed batch write, in memory that does not
//! grow with the stream.
//!
//! DynamoDB refuses the same key twice in one `BatchWriteItem`, and two
//! writes of one key in different requests in flight (or one being retried)
//! land in no defined order. A streamed batch therefore refuses a key while
//! an earlier write of it may still race with the new one, and also within a
//! window of the latest writes (a repeat close by is most likely a mistake in
//! the input). It remembers:
//!
//! - a hash of the key of each of the last `window` positions;
//! - past the window, the key of each write not yet confirmed written (in a
//!   request in flight or being retried, or given up on: those the error
//!   returns anyway).
//!
//! A write leaves the window once a `BatchWriteItem` response confirmed it
//! (its position is in the batch's checkpoint) and `window` later positions
//! were read. A key repeated after that is written again: its first write is
//! applied before the repeat is even read, so the repeat replaces it, in
//! stream order, as two `put`s would. The memory is about 32 bytes a position
//! of the window plus the writes in flight, whatever the stream's length.
//!
//! The hashes are 64-bit SipHash with keys drawn at random for each batch, so
//! no input can be crafted to collide; two distinct keys in one window share
//! a hash with a chance of about `window² / 2⁶⁵`.

use super::checkpoint::BatchCheckpoint;
use super::{BatchEvent, BatchProgress, ProgressFn};
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

/// Positions remembered by default: about 3.5 MB.
pub(crate) const DEFAULT_WINDOW: usize = 100_000;

/// The fewest unconfirmed writes past the window before they are swept.
const MIN_SWEEP: usize = 1_024;

/// The positions a batch has confirmed as written, shared with the engine's
/// progress reports.
pub(crate) type Confirmed = Arc<Mutex<BatchCheckpoint>>;

/// A progress callback that keeps `confirmed` up to date with the checkpoint
/// of every response, then calls the caller's own `callback`, if any.
pub(crate) fn tracking(confirmed: Confirmed, callback: Option<ProgressFn>) -> ProgressFn {
    Arc::new(move |p: &BatchProgress| {
        if matches!(p.event, BatchEvent::Response { .. }) {
            confirmed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone_from(&p.checkpoint);
        }
        if let Some(callback) = &callback {
            callback(p);
        }
    })
}

/// Hashes a key hash (already SipHash with random keys) by taking it as is.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; anything else is folded in.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The keys a streamed batch remembers, to refuse a repeat.
pub(crate) struct RecentKeys {
    window: usize,
    hasher: RandomState,
    /// Key hash → the position of its latest accepted write.
    latest: HashMap<u64, u64, BuildHasherDefault<Passthrough>>,
    /// The key hashes of the last positions, oldest first; the last one is
    /// position `next - 1`.
    ring: VecDeque<u64>,
    next: u64,
    /// (position, key hash) of writes past the window not confirmed when
    /// they left it.
    unconfirmed: Vec<(u64, u64)>,
    sweep_at: usize,
    shared: Confirmed,
    /// A copy of `shared`, refreshed when it does not hold a position asked for.
    local: BatchCheckpoint,
}

impl RecentKeys {
    /// Remembers the last `window` positions; `confirmed` is the checkpoint
    /// the batch keeps up to date (starting from the one it resumes from).
    pub(crate) fn new(window: usize, confirmed: Confirmed) -> Self {
        let local = confirmed.lock().unwrap_or_else(|e| e.into_inner()).clone();
        RecentKeys {
            window,
            hasher: RandomState::new(),
            latest: HashMap::default(),
            ring: VecDeque::new(),
            next: 0,
            unconfirmed: Vec::new(),
            sweep_at: MIN_SWEEP,
            shared: confirmed,
            local,
        }
    }

    /// Records the write at `position` (the next one, counted from 0) of the
    /// key whose canonical text is `key`, or returns the position of the
    /// earlier write that makes it a refused repeat (then nothing is recorded).
    pub(crate) fn check(&mut self, position: u64, key: &str) -> Result<(), u64> {
        debug_assert_eq!(position, self.next, "positions are checked in order");
        let hash = self.hasher.hash_one(key);
        if let Some(&first) = self.latest.get(&hash) {
            let in_window = position - first <= self.window as u64;
            if in_window || !self.confirmed(first) {
                return Err(first);
            }
        }
        self.latest.insert(hash, position);
        self.ring.push_back(hash);
        self.next = position + 1;
        if self.ring.len() > self.window {
            let old = position - self.window as u64;
            if let Some(hash) = self.ring.pop_front() {
                if self.latest.get(&hash) == Some(&old) {
                    if self.confirmed(old) {
                        self.latest.remove(&hash);
                    } else {
                        self.unconfirmed.push((old, hash));
                    }
                }
            }
        }
        if self.unconfirmed.len() >= self.sweep_at {
            self.sweep();
        }
        Ok(())
    }

    /// How many keys are remembered (window and unconfirmed writes).
    #[cfg(test)]
    pub(crate) fn remembered(&self) -> usize {
        self.latest.len()
    }

    fn confirmed(&mut self, position: u64) -> bool {
        if self.local.is_completed(position) {
            return true;
        }
        self.refresh();
        self.local.is_completed(position)
    }

    fn refresh(&mut self) {
        let shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        self.local.clone_from(&shared);
    }

    /// Forgets the unconfirmed writes confirmed since.
    fn sweep(&mut self) {
        self.refresh();
        let (latest, local) = (&mut self.latest, &self.local);
        self.unconfirmed.retain(|&(position, hash)| {
            if latest.get(&hash) != Some(&position) {
                return false;
            }
            if local.is_completed(position) {
                latest.remove(&hash);
                return false;
            }
            true
        });
        self.sweep_at = MIN_SWEEP.max(2 * self.unconfirmed.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(window: usize) -> (RecentKeys, Confirmed) {
        let confirmed: Confirmed = Arc::default();
        (RecentKeys::new(window, confirmed.clone()), confirmed)
    }

    fn confirm(confirmed: &Confirmed, positions: impl IntoIterator<Item = u64>) {
        let mut c = confirmed.lock().unwrap();
        for p in positions {
            c.mark(p);
        }
    }

    #[test]
    fn a_repeat_within_the_window_is_refused_even_when_confirmed() {
        let (mut keys, confirmed) = keys(100);
        for p in 0..100 {
            keys.check(p, &format!("k{p}")).unwrap();
        }
        confirm(&confirmed, 0..100);
        assert_eq!(keys.check(100, "k0"), Err(0), "100 positions back");
        assert_eq!(keys.check(100, "k99"), Err(99));
    }

    #[test]
    fn a_repeat_past_the_window_is_refused_until_the_first_write_is_confirmed() {
        let (mut keys, confirmed) = keys(10);
        for p in 0..50 {
            keys.check(p, &format!("k{p}")).unwrap();
        }
        assert_eq!(keys.check(50, "k3"), Err(3), "k3 is not confirmed yet");
        confirm(&confirmed, 0..20);
        keys.check(50, "k3").unwrap();
        // The repeat is now the write remembered.
        assert_eq!(keys.check(51, "k3"), Err(50));
        assert_eq!(keys.check(51, "k25"), Err(25), "k25 is not confirmed");
    }

    #[test]
    fn memory_stays_bounded_whatever_the_length_of_the_stream() {
        let window = 1_000;
        let (mut keys, confirmed) = keys(window);
        let in_flight = 200u64;
        let mut most = 0;
        for p in 0..300_000u64 {
            keys.check(p, &format!("key-{p}")).unwrap();
            // Writes are confirmed `in_flight` positions behind the reader,
            // out of order within a request.
            if p >= in_flight && p % 25 == 0 {
                confirm(&confirmed, (p - in_flight..p - in_flight + 25).rev());
            }
            most = most.max(keys.remembered());
        }
        assert!(
            most <= window + in_flight as usize + MIN_SWEEP,
            "{most} keys remembered"
        );
    }

    #[test]
    fn writes_never_confirmed_stay_remembered_and_refuse_their_repeats() {
        let (mut keys, confirmed) = keys(10);
        for p in 0..5_000u64 {
            keys.check(p, &format!("key-{p}")).unwrap();
            // Every position but 7 is confirmed right away (7 was given up on).
            if p != 7 {
                confirm(&confirmed, [p]);
            }
        }
        assert!(keys.remembered() <= 11, "{}", keys.remembered());
        assert_eq!(keys.check(5_000, "key-7"), Err(7));
        keys.check(5_000, "key-8").unwrap();
    }
}
