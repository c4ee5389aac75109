//! Counters of sessions and commits.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// What happened to sessions and their commits. Clones share the counts.
#[derive(Clone)]
pub struct SessionMetrics {
    opened: Counter,
    closed: Counter,
    expired: Counter,
    commits: Counter,
    failed_commits: Counter,
    points_committed: Counter,
    commit_seconds: Histogram,
}

impl std::fmt::Debug for SessionMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionMetrics").finish_non_exhaustive()
    }
}

impl Default for SessionMetrics {
    fn default() -> Self {
        SessionMetrics {
            opened: Counter::default(),
            closed: Counter::default(),
            expired: Counter::default(),
            commits: Counter::default(),
            failed_commits: Counter::default(),
            points_committed: Counter::default(),
            // 100 µs to about 13 s: an empty commit to a very large one.
            commit_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 18)),
        }
    }
}

impl SessionMetrics {
    /// A session was started.
    pub fn opened(&self) {
        self.opened.inc();
    }

    /// A session was ended by its client.
    pub fn closed(&self) {
        self.closed.inc();
    }

    /// `count` sessions were closed for idling past the timeout.
    pub fn expired(&self, count: usize) {
        self.expired.inc_by(count as u64);
    }

    /// A commit succeeded, writing `points`, in `took`.
    pub fn committed(&self, points: u64, took: Duration) {
        self.commits.inc();
        self.points_committed.inc_by(points);
        self.commit_seconds.observe(took.as_secs_f64());
    }

    /// A commit failed after `took`; nothing of it was stored.
    pub fn commit_failed(&self, took: Duration) {
        self.failed_commits.inc();
        self.commit_seconds.observe(took.as_secs_f64());
    }

    pub(super) fn register(&self, registry: &mut Registry) {
        registry.register("sessions_opened", "Sessions started", self.opened.clone());
        registry.register(
            "sessions_closed",
            "Sessions ended by their client",
            self.closed.clone(),
        );
        registry.register(
            "sessions_expired",
            "Sessions closed by the server for idling past the session timeout",
            self.expired.clone(),
        );
        registry.register("commits", "Successful commits", self.commits.clone());
        registry.register(
            "commits_failed",
            "Commits refused or failed; nothing of them was stored",
            self.failed_commits.clone(),
        );
        registry.register(
            "points_committed",
            "Points written by successful commits",
            self.points_committed.clone(),
        );
        registry.register(
            "commit_duration_seconds",
            "Time a commit took, from the request to the store's durable answer",
            self.commit_seconds.clone(),
        );
    }
}
