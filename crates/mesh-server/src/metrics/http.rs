//! The metrics endpoint: HTTP/1.1, `GET /metrics`, nothing else.
//!
//! Its connections are bounded like the gRPC port's (connections.rs),
//! since anyone who reaches the port can open them:
//!
//! - at most `max_connections` are served at once; further ones wait,
//!   unaccepted, in the kernel's queue until one closes, and so hold no
//!   file descriptor of the server's (the share is counted out of the
//!   open-files room before the gRPC port's, see `open_files::share_room`);
//! - each request's headers must arrive within `header_timeout`, counted
//!   from the connection's start or the previous answer (hyper restarts
//!   its header timer whenever it waits for the next request), so a slow
//!   sender and an idle keep-alive connection are both closed;
//! - a connection lives at most [`MAX_CONNECTION_LIFE`], whatever it does,
//!   so that a client that never reads its answer cannot keep one either.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::Metrics;
use crate::connections::RateLimit;

/// The content type of the OpenMetrics text format, which Prometheus reads.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The longest a metrics connection is kept, busy or not. A scrape takes
/// milliseconds; Prometheus reconnects when its connection is gone.
pub const MAX_CONNECTION_LIFE: Duration = Duration::from_secs(300);

/// How often "metrics connection limit reached" may be logged.
const LIMIT_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// The pause after a failed accept (out of descriptors, say), rather than
/// a spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The bounds of the endpoint's connections; see the module documentation.
#[derive(Debug, Clone)]
pub struct EndpointSettings {
    /// Connections served at once (`--metrics-max-connections`, within the
    /// open-files room).
    pub max_connections: usize,
    /// `--metrics-header-timeout`.
    pub header_timeout: Duration,
}

/// Serves `metrics` on `listener` until the task is dropped. Scrapes are
/// small and rare; each connection runs on its own task, holding its place
/// among the `max_connections` until it ends.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, settings: EndpointSettings) {
    let places = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout);
    let http = Arc::new(http);
    let mut limit_reached = RateLimit::new(LIMIT_WARNING_INTERVAL);
    loop {
        // A place first, then accept: at the limit, connections wait in the
        // kernel's queue and cost the server nothing.
        if places.available_permits() == 0 {
            if let Some(unreported) = limit_reached.allow(Instant::now()) {
                tracing::warn!(
                    max_connections = settings.max_connections,
                    times_since_last_warning = unreported + 1,
                    "metrics endpoint: connection limit reached (--metrics-max-connections); \
                     new connections wait until one closes"
                );
            }
        }
        let Ok(place) = places.clone().acquire_owned().await else {
            return; // never closed
        };
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors, say: wait rather than spin.
                tracing::warn!(%error, "metrics endpoint: accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let (metrics, http) = (metrics.clone(), http.clone());
        tokio::spawn(async move {
            let _place = place;
            let service = hyper::service::service_fn(move |request| {
                let metrics = metrics.clone();
                async move { Ok::<_, Infallible>(answer(&metrics, &request)) }
            });
            let served = http.serve_connection(TokioIo::new(tcp), service);
            match tokio::time::timeout(MAX_CONNECTION_LIFE, served).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "metrics endpoint: connection closed");
                }
                Err(_) => {
                    tracing::debug!(%peer, "metrics endpoint: connection kept too long; closed")
                }
            }
        });
    }
}

fn answer(metrics: &Metrics, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, content_type: &str, body: String| {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        if let Ok(value) = content_type.parse() {
            response
                .headers_mut()
                .insert(hyper::header::CONTENT_TYPE, value);
        }
        response
    };
    if request.uri().path() != "/metrics" {
        return reply(
            StatusCode::NOT_FOUND,
            "text/plain",
            "metrics are at /metrics\n".to_string(),
        );
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET /metrics\n".to_string(),
        );
    }
    match metrics.encode() {
        Ok(text) => reply(StatusCode::OK, CONTENT_TYPE, text),
        Err(_) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            "the metrics could not be encoded\n".to_string(),
        ),
    }
}
