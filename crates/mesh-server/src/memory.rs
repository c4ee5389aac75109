//! Handing memory back to the system after a burst of calls or connections.
//!
//! glibc's allocator keeps what a program frees for reuse, in one arena per
//! thread, and gives almost none of it back by itself. Measured with
//! `mesh-bench streams`: 100,000 never-finishing streams took the server
//! from 12 MB to 800 MB; when they had ended and their connections closed
//! it still held 740 MB, none of it in use: `malloc_trim` brought it back
//! to 13 MB. Without trimming, each new burst also found the free memory in
//! other arenas and grew the total further.
//!
//! So the server trims after a burst: when the calls, or the connections,
//! in progress have fallen well below their peak since the last trim, or
//! when many calls have ended and none is in progress, or
//! when large things have been let go ([`released`]: a session's pending
//! changes dropped when it ends, expires or rolls back; a long streamed
//! answer finished). Under steady load of small calls it never trims, so
//! allocations do not wait on the trim's locks in the middle of ordinary
//! work.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Calls freed after which a trim is worth its cost: about 10 MB, at the
/// 9 KiB a call held open costs (mesh-bench streams).
const CALLS_FREED: usize = 1_000;
/// Connections freed after which a trim is worth its cost (each holds its
/// HTTP/2 state and read and write buffers, more with TLS).
const CONNECTIONS_FREED: usize = 200;
/// Bytes let go (as [`released`] estimates them) after which a trim is
/// worth its cost.
const BYTES_RELEASED: usize = 32 * 1024 * 1024;
/// How often the server looks; also the most often it trims.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Calls and connections in progress on the whole server, and what was
/// let go in large pieces.
#[derive(Debug)]
pub struct Load {
    calls: Counter,
    connections: Counter,
    /// [`RELEASED`], but for tests, which count on their own.
    released: &'static AtomicUsize,
}

impl Default for Load {
    fn default() -> Self {
        Load {
            calls: Counter::default(),
            connections: Counter::default(),
            released: &RELEASED,
        }
    }
}

impl Load {
    pub fn call_started(&self) {
        self.calls.up();
    }

    pub fn call_ended(&self) {
        self.calls.down();
    }

    pub fn connection_opened(&self) {
        self.connections.up();
    }

    pub fn connection_closed(&self) {
        self.connections.down();
    }

    /// Whether enough was freed since the last trim for another; when so,
    /// the peaks and the bytes released start over.
    fn worth_trimming(&self) -> bool {
        let worth = self.calls.fallen() >= CALLS_FREED
            || self.calls.quiet_after(CALLS_FREED)
            || self.connections.fallen() >= CONNECTIONS_FREED
            || self.released.load(Ordering::Relaxed) >= BYTES_RELEASED;
        if worth {
            self.calls.restart_peak();
            self.connections.restart_peak();
            self.released.store(0, Ordering::Relaxed);
        }
        worth
    }
}

/// Bytes let go since the last trim, as their owners estimated them:
/// process-wide, as the allocator is.
static RELEASED: AtomicUsize = AtomicUsize::new(0);

/// Notes that about `bytes` of memory were just freed in one piece (a
/// session's pending changes, a long answer), so that the next check
/// returns them to the system once enough has been let go.
pub fn released(bytes: usize) {
    RELEASED.fetch_add(bytes, Ordering::Relaxed);
}

#[derive(Debug, Default)]
struct Counter {
    now: AtomicUsize,
    /// The highest `now` since the last trim.
    peak: AtomicUsize,
    /// How many ended since the last trim.
    ended: AtomicUsize,
}

impl Counter {
    fn up(&self) {
        let now = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    fn down(&self) {
        self.now.fetch_sub(1, Ordering::Relaxed);
        self.ended.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether none is in progress now and at least `count` ended since
    /// the last trim: many calls one after the other never make a burst,
    /// but what they freed is returned once the server is quiet, at most
    /// once per `count` calls.
    fn quiet_after(&self, count: usize) -> bool {
        self.now.load(Ordering::Relaxed) == 0 && self.ended.load(Ordering::Relaxed) >= count
    }

    /// How far the count has fallen below its peak.
    fn fallen(&self) -> usize {
        let now = self.now.load(Ordering::Relaxed);
        self.peak.load(Ordering::Relaxed).saturating_sub(now)
    }

    fn restart_peak(&self) {
        self.peak
            .store(self.now.load(Ordering::Relaxed), Ordering::Relaxed);
        self.ended.store(0, Ordering::Relaxed);
    }
}

/// Watches `load` and trims after every burst; runs until aborted.
pub async fn trim_after_bursts(load: std::sync::Arc<Load>) {
    let mut checks = tokio::time::interval(CHECK_INTERVAL);
    checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        checks.tick().await;
        if load.worth_trimming() {
            let started = std::time::Instant::now();
            // It walks the allocator's free lists: off the async workers.
            let released = tokio::task::spawn_blocking(trim).await.unwrap_or(false);
            tracing::debug!(took = ?started.elapsed(), released, "after a burst: freed memory returned to the system");
        }
    }
}

/// Returns the free memory of every allocator arena to the system; whether
/// any was returned. Does nothing where the allocator is not glibc's.
pub fn trim() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::os::raw::c_int;
        }
        // SAFETY: glibc's malloc_trim takes no pointer and touches only
        // memory its allocator holds free; it takes the allocator's own
        // locks. glibc's malloc is this program's allocator (no
        // #[global_allocator] is set anywhere).
        unsafe { malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A load that sees no releases but its own.
    fn quiet_load() -> Load {
        Load {
            released: Box::leak(Box::new(AtomicUsize::new(0))),
            ..Load::default()
        }
    }

    #[test]
    fn trims_after_a_burst_of_calls_not_under_steady_load() {
        let load = quiet_load();
        for _ in 0..1_500 {
            load.call_started();
        }
        assert!(!load.worth_trimming(), "nothing freed yet");
        for _ in 0..600 {
            load.call_ended();
        }
        assert!(!load.worth_trimming(), "600 calls freed");
        for _ in 0..500 {
            load.call_ended();
        }
        assert!(load.worth_trimming(), "1,100 calls freed");
        assert!(!load.worth_trimming(), "trimmed already");
        // Steady load: calls come and go around the same level.
        for _ in 0..10_000 {
            load.call_started();
            load.call_ended();
        }
        assert!(!load.worth_trimming());
    }

    #[test]
    fn trims_once_quiet_after_many_calls_one_at_a_time() {
        let load = quiet_load();
        for _ in 0..999 {
            load.call_started();
            load.call_ended();
        }
        assert!(!load.worth_trimming(), "999 calls");
        load.call_started();
        load.call_ended();
        load.call_started();
        assert!(!load.worth_trimming(), "a call in progress");
        load.call_ended();
        assert!(load.worth_trimming(), "quiet after 1,001 calls");
        assert!(!load.worth_trimming(), "trimmed already");
    }

    #[test]
    fn trims_after_large_releases() {
        // Its own count: other tests run beside it in this process.
        let count: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        let load = Load {
            released: count,
            ..Load::default()
        };
        count.fetch_add(BYTES_RELEASED / 2, Ordering::Relaxed);
        assert!(!load.worth_trimming(), "half the threshold");
        count.fetch_add(BYTES_RELEASED / 2, Ordering::Relaxed);
        assert!(load.worth_trimming(), "the threshold");
        assert!(!load.worth_trimming(), "trimmed already");
    }

    #[test]
    fn trims_after_many_connections_closed() {
        let load = quiet_load();
        for _ in 0..300 {
            load.connection_opened();
        }
        for _ in 0..250 {
            load.connection_closed();
        }
        assert!(load.worth_trimming());
    }

    #[test]
    fn trimming_is_harmless() {
        let kept: Vec<Vec<u8>> = (0..1_000).map(|i| vec![1; 1_000 + i]).collect();
        drop(kept);
        trim();
        trim();
    }
}
