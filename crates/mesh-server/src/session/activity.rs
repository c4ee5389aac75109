//! Tracks when a session was last used, so that the sweeper closes only
//! sessions that are idle: the timeout counts from the completion of the
//! last request, and a request still running keeps its session alive.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::manager::Session;

/// A monotonic clock shared by the manager and its sessions; nanoseconds
/// since the manager started fit a `u64` for centuries.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    epoch: Instant,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            epoch: Instant::now(),
        }
    }

    pub(crate) fn now(&self) -> u64 {
        Instant::now().duration_since(self.epoch).as_nanos() as u64
    }
}

#[derive(Debug)]
pub(crate) struct Activity {
    in_flight: AtomicU32,
    last_completed: AtomicU64,
}

impl Activity {
    pub(crate) fn new(now: u64) -> Activity {
        Activity {
            in_flight: AtomicU32::new(0),
            last_completed: AtomicU64::new(now),
        }
    }

    /// Called with the registry's shard lock held, so that the sweeper
    /// (which removes under the same lock) cannot race it.
    pub(crate) fn begin(&self) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
    }

    fn end(&self, now: u64) {
        // Stamp before leaving: a sweeper that sees no request in flight
        // also sees this completion time.
        self.last_completed.fetch_max(now, Ordering::SeqCst);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    pub(crate) fn is_expired(&self, now: u64, timeout: Duration) -> bool {
        self.in_flight.load(Ordering::SeqCst) == 0
            && now.saturating_sub(self.last_completed.load(Ordering::SeqCst))
                >= timeout.as_nanos() as u64
    }
}

/// Proof that a request is using a session. While any lease is alive the
/// session cannot expire; dropping the last one restarts its idle timer.
pub struct SessionLease {
    pub(crate) session: Arc<Session>,
    pub(crate) clock: Clock,
}

impl SessionLease {
    pub fn session(&self) -> &Session {
        &self.session
    }
}

impl Drop for SessionLease {
    fn drop(&mut self) {
        self.session.activity.end(self.clock.now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_time_counts_from_the_last_completion() {
        let timeout = Duration::from_millis(10);
        let ms = 1_000_000;
        let activity = Activity::new(0);
        assert!(!activity.is_expired(9 * ms, timeout));
        assert!(activity.is_expired(10 * ms, timeout));

        activity.begin();
        // In flight: never expired, however long it runs.
        assert!(!activity.is_expired(1_000 * ms, timeout));
        activity.end(1_000 * ms);
        assert!(!activity.is_expired(1_009 * ms, timeout));
        assert!(activity.is_expired(1_010 * ms, timeout));
    }
}
