//! Connections, from accept to close, for plain TCP and TLS alike:
//!
//! - at most `max_connections` are served at once; further ones wait,
//!   unaccepted, in the kernel's queue until one closes;
//! - a new connection has `handshake_timeout` to finish its TLS handshake
//!   (with TLS) and send the HTTP/2 preface, or it is closed;
//! - HTTP/2 settings bound what one connection can hold: concurrent
//!   streams, flow-control windows, frame and header sizes;
//! - keep-alive pings find peers that are gone, and close their connections;
//! - a connection with no call in progress for `idle_timeout` is closed
//!   gracefully (GOAWAY);
//! - failures to accept (out of file descriptors, say) are logged at most
//!   once per [`ACCEPT_WARNING_INTERVAL`] and paused on, not spun on;
//! - on shutdown, no new connection is accepted, every connection is told
//!   to go away, and calls in progress finish.
//!
//! tonic's own server loop offers none of the timeouts, nor the limit, and
//! retries a failing accept at once without a word; so the server accepts
//! and drives its connections itself, with hyper, and tonic supplies the
//! services ([`Served`]).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tonic::transport::server::TcpConnectInfo;

use crate::calls::{Activity, CallService, Served};
use crate::memory::{self, Load};
use crate::metrics::CallMetrics;

/// HTTP/2 flow control: how much a client may send on one stream, and on
/// the whole connection, before the server has read it. hyper's defaults,
/// set here so that they cannot change under us: 1 MiB keeps a 4 MiB write
/// flowing on loopback and LAN links while bounding what a connection holds
/// in unread data.
const STREAM_WINDOW: u32 = 1024 * 1024;
const CONNECTION_WINDOW: u32 = 1024 * 1024;
/// The protocol's smallest (and default) frame size: larger frames only
/// make a peer's single frame cost more memory.
const MAX_FRAME_SIZE: u32 = 16 * 1024;
/// Request headers, uncompressed. gRPC metadata is small, but an access
/// token can be large: Entra ID tokens listing many groups reach 8–16 KiB,
/// and a token past the limit is refused by HTTP/2 before authentication
/// can say why (clients see UNKNOWN, not UNAUTHENTICATED). 64 KiB fits a
/// 32 KiB token with room to spare; it bounds what one stream's headers
/// hold (64 KiB, so 6.4 MiB for a connection's 100 streams).
const MAX_HEADER_LIST_SIZE: u32 = 64 * 1024;
/// Streams the server may reset for a peer's protocol errors before it
/// closes the connection (the defence against rapid-reset floods; tonic's
/// own loop turns it off).
const MAX_LOCAL_ERROR_RESETS: usize = 1024;

/// The HTTP/2 connection preface every client sends first.
const PREFACE_LEN: usize = 24;

/// Failing accepts are logged at most this often (with how many were not).
pub const ACCEPT_WARNING_INTERVAL: Duration = Duration::from_secs(10);
/// The pause after an accept failed for want of resources, so that the
/// loop does not spin on a limit that only a closing connection can lift.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How often "connection limit reached" may be logged.
const LIMIT_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// How connections are served; see the module documentation.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    pub max_connections: usize,
    pub max_concurrent_streams: u32,
    pub handshake_timeout: Duration,
    pub idle_timeout: Duration,
    pub keepalive_interval: Duration,
    pub keepalive_timeout: Duration,
    /// The largest message, for the answers that explain an oversized request.
    pub max_message_size: usize,
    /// Where calls are counted for `/metrics`; `None` counts nothing.
    pub call_metrics: Option<Arc<CallMetrics>>,
}

/// Accepts and serves connections on `listener` until `shutdown`
/// completes, then lets the connections finish their calls. With `tls`,
/// every connection starts with a TLS handshake.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    settings: ConnectionSettings,
    routes: Served,
    shutdown: impl Future<Output = ()>,
) {
    let http = Arc::new(http2_builder(&settings));
    let settings = Arc::new(settings);
    let permits = Arc::new(Semaphore::new(settings.max_connections));
    let (stop, stopping) = watch::channel(false);
    let load = Arc::new(Load::default());
    // Ends with this function, also when the caller drops it mid-way.
    let _trimmer = AbortOnDrop(tokio::spawn(memory::trim_after_bursts(load.clone())));
    let mut connections = JoinSet::new();
    let mut accept_failures = RateLimit::new(ACCEPT_WARNING_INTERVAL);
    let mut limit_reached = RateLimit::new(LIMIT_WARNING_INTERVAL);
    tokio::pin!(shutdown);
    loop {
        // A place first, then accept: at the limit, new connections wait in
        // the kernel's queue, unaccepted, and their clients simply see a
        // slow connect.
        if permits.available_permits() == 0 {
            if let Some(unreported) = limit_reached.allow(Instant::now()) {
                tracing::warn!(
                    max_connections = settings.max_connections,
                    times_since_last_warning = unreported + 1,
                    "connection limit reached (--max-connections); new connections wait until one closes"
                );
            }
        }
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            Some(ended) = connections.join_next(), if !connections.is_empty() => {
                report_end(ended);
                continue;
            }
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // never closed
            },
        };
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            Some(ended) = connections.join_next(), if !connections.is_empty() => {
                report_end(ended);
                continue;
            }
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((tcp, peer)) => {
                connections.spawn(connection(
                    tcp,
                    peer,
                    Place::take(permit, load.clone()),
                    tls.clone(),
                    settings.clone(),
                    http.clone(),
                    routes.clone(),
                    stopping.clone(),
                ));
            }
            Err(error) => {
                drop(permit);
                accept_failed(&error, &mut accept_failures).await;
            }
        }
    }
    // Refuse new connections at once rather than leave them to hang.
    drop(listener);
    let _ = stop.send(true);
    while let Some(ended) = connections.join_next().await {
        report_end(ended);
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A connection's place among the `max_connections`, and in the server's
/// load, held until the connection's task ends.
struct Place {
    _permit: OwnedSemaphorePermit,
    load: Arc<Load>,
}

impl Place {
    fn take(permit: OwnedSemaphorePermit, load: Arc<Load>) -> Place {
        load.connection_opened();
        Place {
            _permit: permit,
            load,
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.load.connection_closed();
    }
}

fn http2_builder(settings: &ConnectionSettings) -> http2::Builder<TokioExecutor> {
    let mut http = http2::Builder::new(TokioExecutor::new());
    http.timer(TokioTimer::new())
        .max_concurrent_streams(settings.max_concurrent_streams)
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_frame_size(MAX_FRAME_SIZE)
        .max_header_list_size(MAX_HEADER_LIST_SIZE)
        .max_local_error_reset_streams(MAX_LOCAL_ERROR_RESETS)
        .keep_alive_interval(settings.keepalive_interval)
        .keep_alive_timeout(settings.keepalive_timeout);
    http
}

fn report_end(ended: Result<(), tokio::task::JoinError>) {
    if let Err(error) = ended {
        if error.is_panic() {
            tracing::error!(%error, "a connection task panicked; its connection is closed");
        }
    }
}

/// Logs a failed accept (rate-limited) and pauses when the cause is a
/// lack of resources, which persists until something closes.
async fn accept_failed(error: &std::io::Error, warnings: &mut RateLimit) {
    use rustix::io::Errno;
    let errno = Errno::from_io_error(error);
    // Failures of one connection (its client gave up before it was
    // accepted, say) say nothing about the server.
    if matches!(
        errno,
        Some(Errno::CONNABORTED | Errno::CONNRESET | Errno::PROTO | Errno::PERM)
    ) {
        tracing::debug!(%error, "a connection was lost before it was accepted");
        return;
    }
    if let Some(unreported) = warnings.allow(Instant::now()) {
        let hint = match errno {
            Some(Errno::MFILE | Errno::NFILE) => {
                "out of file descriptors: raise the open-files limit (ulimit -n) or lower --max-connections"
            }
            _ => "pausing before the next accept",
        };
        tracing::warn!(%error, failures_since_last_warning = unreported + 1, hint, "accepting a connection failed");
    }
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

/// Lets an event through at most once per interval, counting those held back.
#[derive(Debug)]
pub struct RateLimit {
    interval: Duration,
    last: Option<Instant>,
    held_back: u64,
}

impl RateLimit {
    pub fn new(interval: Duration) -> Self {
        RateLimit {
            interval,
            last: None,
            held_back: 0,
        }
    }

    /// `Some(events held back since the last one let through)` when the
    /// event at `now` may be reported; `None` when it is held back.
    pub fn allow(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(last) if now.saturating_duration_since(last) < self.interval => {
                self.held_back += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.held_back))
            }
        }
    }
}

/// Serves one connection from accept to close, holding its `place` until then.
#[allow(clippy::too_many_arguments)]
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    place: Place,
    tls: Option<TlsAcceptor>,
    settings: Arc<ConnectionSettings>,
    http: Arc<http2::Builder<TokioExecutor>>,
    routes: Served,
    mut stopping: watch::Receiver<bool>,
) {
    // Small answers must leave at once rather than wait for Nagle's algorithm.
    let _ = tcp.set_nodelay(true);
    let local = tcp.local_addr().ok();
    // One deadline for the TLS handshake and the HTTP/2 preface together.
    let handshake_deadline = Instant::now() + settings.handshake_timeout;
    let stream = match tls {
        None => Stream::Plain(tcp),
        Some(acceptor) => {
            let handshake = tokio::time::timeout_at(handshake_deadline, acceptor.accept(tcp));
            tokio::select! {
                _ = stopping.wait_for(|stop| *stop) => return,
                handshake = handshake => match handshake {
                    Ok(Ok(tls)) => Stream::Tls(Box::new(tls)),
                    Ok(Err(error)) => return tracing::debug!(%peer, %error, "TLS handshake failed"),
                    Err(_) => return tracing::debug!(%peer, "no TLS handshake within the handshake timeout; closed"),
                },
            }
        }
    };
    let preface_seen = Arc::new(AtomicBool::new(false));
    let io = Watched {
        stream,
        received: 0,
        preface_seen: preface_seen.clone(),
    };
    let activity = Activity::with_metrics(place.load.clone(), settings.call_metrics.clone());
    let service = CallService::new(
        routes,
        TcpConnectInfo {
            local_addr: local,
            remote_addr: Some(peer),
        },
        activity.clone(),
        settings.max_message_size,
    );
    let served = http.serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
    tokio::pin!(served);
    let preface_deadline = tokio::time::sleep_until(handshake_deadline);
    tokio::pin!(preface_deadline);
    let idle = activity.idle_for(settings.idle_timeout);
    tokio::pin!(idle);
    // When the server closes an idle connection, a peer that does not take
    // its leave by then is dropped; armed when it is closed.
    let leave_by = tokio::time::sleep_until(handshake_deadline);
    tokio::pin!(leave_by);
    let mut awaiting_preface = true;
    let mut closing = false;
    let mut closing_idle = false;
    loop {
        tokio::select! {
            ended = served.as_mut() => {
                if let Err(error) = ended {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
                return;
            }
            _ = preface_deadline.as_mut(), if awaiting_preface => {
                if !preface_seen.load(Ordering::Relaxed) {
                    return tracing::debug!(%peer, "no HTTP/2 preface within the handshake timeout; closed");
                }
                awaiting_preface = false;
            }
            _ = idle.as_mut(), if !closing => {
                tracing::debug!(%peer, "idle; closing the connection");
                served.as_mut().graceful_shutdown();
                closing = true;
                closing_idle = true;
                leave_by.as_mut().reset(Instant::now() + settings.keepalive_timeout);
            }
            _ = stopping.wait_for(|stop| *stop), if !closing => {
                // Shutdown: calls in progress finish; the server bounds how long.
                served.as_mut().graceful_shutdown();
                closing = true;
            }
            _ = leave_by.as_mut(), if closing_idle => {
                return tracing::debug!(%peer, "the peer did not close its idle connection in time; dropped");
            }
        }
    }
}

/// A connection's byte stream, plain or encrypted.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// The stream as hyper reads it, noting when the HTTP/2 preface's worth of
/// bytes has arrived (hyper itself checks that they are the preface).
struct Watched {
    stream: Stream,
    received: usize,
    preface_seen: Arc<AtomicBool>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let polled = match &mut this.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        };
        if this.received < PREFACE_LEN {
            this.received += buf.filled().len() - before;
            if this.received >= PREFACE_LEN {
                this.preface_seen.store(true, Ordering::Relaxed);
            }
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match &mut self.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match &mut self.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.stream {
            Stream::Plain(tcp) => tcp.is_write_vectored(),
            Stream::Tls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_let_through_once_per_interval_with_the_count_held_back() {
        let mut limit = RateLimit::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(limit.allow(start), Some(0));
        for second in 1..10 {
            assert_eq!(limit.allow(start + Duration::from_secs(second)), None);
        }
        assert_eq!(limit.allow(start + Duration::from_secs(10)), Some(9));
        assert_eq!(limit.allow(start + Duration::from_secs(11)), None);
        assert_eq!(limit.allow(start + Duration::from_secs(25)), Some(1));
    }
}
