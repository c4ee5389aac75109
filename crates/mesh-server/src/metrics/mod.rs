//! Prometheus metrics of the server, served in the text format on
//! `/metrics` when `--metrics-listen` is given.
//!
//! - [`calls`]: requests by method and status code, and their latency,
//!   counted around every call (`crate::calls`).
//! - [`sessions`]: sessions opened, closed and expired, commits, points
//!   committed and commit latency, counted by the session manager and the
//!   session service.
//! - [`http`]: the HTTP endpoint.
//!
//! Open sessions and the store's size on disk are read when scraped, so
//! they cost nothing between scrapes. The session counters are always
//! kept (an atomic increment per event); calls are counted only when the
//! endpoint is served.

pub mod calls;
pub mod http;
pub mod sessions;

use std::sync::Arc;

use mesh_storage::StoreHandle;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::session::SessionManager;
pub use calls::CallMetrics;
pub use sessions::SessionMetrics;

/// Every metric of one server, registered for scraping.
pub struct Metrics {
    registry: Registry,
    sessions: Arc<SessionManager>,
    store: StoreHandle,
    open_sessions: Gauge,
    store_bytes: Gauge,
}

impl Metrics {
    /// Registers the metrics of `calls`, of the session manager (its
    /// counters, and its open sessions) and of the store.
    pub fn new(calls: &CallMetrics, sessions: Arc<SessionManager>, store: StoreHandle) -> Self {
        let mut registry = Registry::with_prefix("mesh");
        calls.register(&mut registry);
        sessions.metrics().register(&mut registry);
        let open_sessions = Gauge::default();
        registry.register("sessions_open", "Sessions open now", open_sessions.clone());
        let store_bytes = Gauge::default();
        registry.register(
            "store_size_bytes",
            "Size of the store's files on disk, free space inside them included",
            store_bytes.clone(),
        );
        Metrics {
            registry,
            sessions,
            store,
            open_sessions,
            store_bytes,
        }
    }

    /// Every metric in the Prometheus (OpenMetrics) text format, the
    /// gauges read now.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        self.open_sessions
            .set(i64::try_from(self.sessions.open_sessions()).unwrap_or(i64::MAX));
        if let Some(bytes) = self.store.store().disk_bytes() {
            self.store_bytes
                .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
