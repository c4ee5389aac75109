//! What happens around every call, whatever its service: the client's
//! deadline, statuses rewritten to say precisely what the client got wrong
//! ([`crate::limits`]), a handler's panic turned into an INTERNAL answer,
//! the peer's address for the services, and the count of calls in progress
//! on the connection, which tells when it is idle.
//!
//! tonic's own server loop does the deadline too, but answers CANCELLED
//! "Timeout expired" when it runs out, and only until the answer's headers;
//! here it answers DEADLINE_EXCEEDED, also in the middle of a streamed answer.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use http_body::{Frame, SizeHint};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};
use tonic::body::Body;
use tonic::codegen::http::{HeaderMap, HeaderValue, Request, Response};
use tonic::codegen::Bytes;
use tonic::service::Routes;
use tonic::transport::server::TcpConnectInfo;
use tonic::Status;
use tower::{Service, ServiceExt};

use crate::limits;
use crate::memory::Load;
use crate::metrics::CallMetrics;

/// Every service the server serves, as one: the routes to each service
/// behind the authenticator, with anonymous UNIMPLEMENTED answers named.
pub type Served = crate::unserved::NameUnserved<crate::auth::Authenticated<Routes>>;

/// The calls in progress on one connection (and in the server's [`Load`]).
#[derive(Clone)]
pub struct Activity {
    calls: Arc<watch::Sender<usize>>,
    load: Arc<Load>,
    /// Where each call is counted when it ends, by method and status.
    metrics: Option<Arc<CallMetrics>>,
}

impl Default for Activity {
    fn default() -> Self {
        Activity::new(Arc::default())
    }
}

impl Activity {
    /// A connection's calls, counted also in the server's `load`.
    pub fn new(load: Arc<Load>) -> Self {
        Activity {
            calls: Arc::new(watch::Sender::new(0)),
            load,
            metrics: None,
        }
    }

    /// As [`Activity::new`], with every call also counted in `metrics`
    /// when it ends.
    pub fn with_metrics(load: Arc<Load>, metrics: Option<Arc<CallMetrics>>) -> Self {
        Activity {
            metrics,
            ..Activity::new(load)
        }
    }

    /// Counts a call to `path` in progress until the guard is dropped.
    fn begin(&self, path: &str) -> CallGuard {
        self.calls.send_modify(|calls| *calls += 1);
        self.load.call_started();
        CallGuard {
            calls: self.calls.clone(),
            load: self.load.clone(),
            record: self.metrics.as_ref().map(|metrics| CallRecord {
                method: metrics.method(path),
                metrics: metrics.clone(),
                started: Instant::now(),
                code: None,
            }),
        }
    }

    /// Completes once no call has been in progress for `timeout`; a call
    /// that starts in the meantime starts the wait over when it ends.
    pub async fn idle_for(&self, timeout: Duration) {
        let mut calls = self.calls.subscribe();
        loop {
            // The sender lives as long as `self`: neither wait can fail.
            if calls.wait_for(|calls| *calls == 0).await.is_err() {
                return std::future::pending().await;
            }
            tokio::select! {
                _ = tokio::time::sleep(timeout) => return,
                changed = calls.changed() => if changed.is_err() {
                    return std::future::pending().await;
                },
            }
        }
    }
}

/// One call in progress; dropped with the call's answer (or with the call,
/// when the client resets it first).
struct CallGuard {
    calls: Arc<watch::Sender<usize>>,
    load: Arc<Load>,
    record: Option<CallRecord>,
}

/// What the metrics learn of one call.
struct CallRecord {
    metrics: Arc<CallMetrics>,
    method: String,
    started: Instant,
    /// The answer's status once seen (in its headers or trailers).
    code: Option<tonic::Code>,
}

impl CallGuard {
    /// Notes the status in `headers` (an answer's headers or trailers), if any.
    fn note_status(&mut self, headers: &HeaderMap) {
        if let (Some(record), Some(code)) = (&mut self.record, headers.get("grpc-status")) {
            let code = code
                .to_str()
                .ok()
                .and_then(|code| code.parse::<i32>().ok())
                .map_or(tonic::Code::Unknown, tonic::Code::from);
            record.code = Some(code);
        }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.calls.send_modify(|calls| *calls -= 1);
        self.load.call_ended();
        if let Some(record) = self.record.take() {
            // No status seen: the answer was not sent to its end, because
            // the client reset the call or went away.
            let code = record.code.unwrap_or(tonic::Code::Cancelled);
            record
                .metrics
                .record(record.method, code, record.started.elapsed());
        }
    }
}

/// The services of the server as one connection sees them.
#[derive(Clone)]
pub struct CallService {
    routes: Served,
    peer: TcpConnectInfo,
    activity: Activity,
    max_message_size: usize,
}

impl CallService {
    pub fn new(
        routes: Served,
        peer: TcpConnectInfo,
        activity: Activity,
        max_message_size: usize,
    ) -> Self {
        CallService {
            routes,
            peer,
            activity,
            max_message_size,
        }
    }
}

type CallFuture = Pin<Box<dyn Future<Output = Result<Response<CallBody>, Infallible>> + Send>>;

impl<B> Service<Request<B>> for CallService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<CallBody>;
    type Error = Infallible;
    type Future = CallFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The routes are readied in `call`, per call, on a clone.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<B>) -> CallFuture {
        // What tonic's own loop would put there: `Request::remote_addr` reads it.
        request.extensions_mut().insert(self.peer.clone());
        let mut guard = self.activity.begin(request.uri().path());
        let deadline = Deadline::of(request.headers());
        let limit = self.max_message_size;
        let answer = CatchPanic(Box::pin(self.routes.clone().oneshot(request)));
        Box::pin(async move {
            let answer = match &deadline {
                Some(deadline) => match tokio::time::timeout_at(deadline.at, answer).await {
                    Ok(answer) => answer,
                    Err(_) => return Ok(status_only(deadline.exceeded(), guard)),
                },
                None => answer.await,
            };
            let (mut parts, body) = match answer {
                Ok(Ok(response)) => response.into_parts(),
                Ok(Err(never)) => match never {},
                Err(()) => return Ok(status_only(panicked(), guard)),
            };
            limits::explain(&mut parts.headers, limit);
            guard.note_status(&parts.headers);
            Ok(Response::from_parts(
                parts,
                CallBody::new(body, deadline, limit, guard),
            ))
        })
    }
}

/// An answer that is only a status (gRPC's Trailers-Only form).
fn status_only(status: Status, mut guard: CallGuard) -> Response<CallBody> {
    let (parts, ()) = status.into_http::<()>().into_parts();
    guard.note_status(&parts.headers);
    Response::from_parts(parts, CallBody::empty(guard))
}

/// The answer to a call whose handler panicked. A panic is a bug of the
/// server, so INTERNAL; its message stays in the server's log (the panic
/// hook prints it), as it may describe the server's insides.
fn panicked() -> Status {
    tracing::error!("a call's handler panicked; answered INTERNAL");
    Status::internal(
        "the server failed while answering this call; the cause is in the server's log",
    )
}

/// A future whose panic comes out as `Err(())` rather than unwinding
/// through the connection: unhandled, hyper resets the stream, and the
/// client sees a protocol error instead of a status.
struct CatchPanic<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The handler's future is dropped after a panic, never polled
        // again, so state it left half-changed is not looked at by it.
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

/// The deadline a client set with `grpc-timeout`.
struct Deadline {
    at: Instant,
    /// As the client wrote it, for the message.
    header: String,
}

impl Deadline {
    fn of(headers: &HeaderMap) -> Option<Deadline> {
        let header = headers.get("grpc-timeout")?;
        match parse_grpc_timeout(header) {
            Some(timeout) => Some(Deadline {
                // A timeout too far away to add is no deadline at all.
                at: Instant::now().checked_add(timeout)?,
                header: header.to_str().unwrap_or_default().to_string(),
            }),
            None => {
                // As tonic and most servers do: a malformed timeout is ignored.
                tracing::debug!(?header, "ignoring a malformed grpc-timeout");
                None
            }
        }
    }

    fn exceeded(&self) -> Status {
        Status::deadline_exceeded(format!(
            "the call's deadline (grpc-timeout {}) ran out before the server finished answering",
            self.header
        ))
    }
}

/// `grpc-timeout` as the gRPC over HTTP/2 protocol defines it: at most
/// eight digits and a unit (Hours, Minutes, Seconds, milliseconds,
/// microseconds, nanoseconds).
fn parse_grpc_timeout(header: &HeaderValue) -> Option<Duration> {
    let text = header.to_str().ok()?;
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(value * 3600),
        "M" => Duration::from_secs(value * 60),
        "S" => Duration::from_secs(value),
        "m" => Duration::from_millis(value),
        "u" => Duration::from_micros(value),
        "n" => Duration::from_nanos(value),
        _ => return None,
    })
}

/// An answer's body with the rules of [`CallService`]: statuses in its
/// trailers rewritten, the deadline kept to the end, and the call counted
/// as in progress until the body is done with.
pub struct CallBody {
    /// `None` once the body has ended (or was cut short by the deadline).
    inner: Option<Body>,
    deadline: Option<(Pin<Box<Sleep>>, Deadline)>,
    limit: usize,
    guard: CallGuard,
}

impl CallBody {
    fn new(inner: Body, deadline: Option<Deadline>, limit: usize, guard: CallGuard) -> Self {
        CallBody {
            inner: Some(inner),
            deadline: deadline
                .map(|deadline| (Box::pin(tokio::time::sleep_until(deadline.at)), deadline)),
            limit,
            guard,
        }
    }

    fn empty(guard: CallGuard) -> Self {
        CallBody {
            inner: None,
            deadline: None,
            limit: 0,
            guard,
        }
    }
}

impl http_body::Body for CallBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = &mut *self;
        if this.inner.is_none() {
            return Poll::Ready(None);
        }
        if let Some((sleep, deadline)) = &mut this.deadline {
            if sleep.as_mut().poll(cx).is_ready() {
                // The rest of the answer is not wanted any more: stop making it.
                this.inner = None;
                let mut trailers = HeaderMap::new();
                let _ = deadline.exceeded().add_header(&mut trailers);
                this.guard.note_status(&trailers);
                this.deadline = None;
                return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
            }
        }
        let Some(inner) = &mut this.inner else {
            return Poll::Ready(None);
        };
        // A streamed answer is made as it is sent: its maker may panic too.
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll_frame(cx)));
        let Ok(polled) = polled else {
            this.inner = None;
            this.deadline = None;
            let mut trailers = HeaderMap::new();
            let _ = panicked().add_header(&mut trailers);
            this.guard.note_status(&trailers);
            return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
        };
        match ready!(polled) {
            Some(Ok(frame)) => Poll::Ready(Some(Ok(match frame.into_trailers() {
                Ok(mut trailers) => {
                    limits::explain(&mut trailers, this.limit);
                    this.guard.note_status(&trailers);
                    // Trailers are the last frame: nothing may follow them,
                    // not even the deadline's.
                    this.inner = None;
                    this.deadline = None;
                    Frame::trailers(trailers)
                }
                Err(frame) => frame,
            }))),
            Some(Err(status)) => Poll::Ready(Some(Err(status))),
            None => {
                this.inner = None;
                this.deadline = None;
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner
            .as_ref()
            .is_none_or(|inner| inner.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), |inner| inner.size_hint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body as _;
    use tonic::server::NamedService;
    use tower::Layer;

    /// A service whose handler panics, or whose answer's body does.
    #[derive(Clone)]
    struct Panicking {
        in_body: bool,
    }

    impl NamedService for Panicking {
        const NAME: &'static str = "test.Panicking";
    }

    impl Service<Request<Body>> for Panicking {
        type Response = Response<Body>;
        type Error = Infallible;
        type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _request: Request<Body>) -> Self::Future {
            if self.in_body {
                Box::pin(async { Ok(Response::new(Body::new(PanickingBody))) })
            } else {
                Box::pin(async { panic!("a bug in a handler") })
            }
        }
    }

    struct PanickingBody;

    impl http_body::Body for PanickingBody {
        type Data = Bytes;
        type Error = Status;

        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
            panic!("a bug in a streamed answer")
        }
    }

    async fn call_panicking(in_body: bool, activity: &Activity) -> Response<CallBody> {
        let routes = crate::unserved::NameUnservedLayer.layer(
            crate::auth::Authenticator::none()
                .layer()
                .layer(Routes::new(Panicking { in_body }).prepare()),
        );
        let peer = TcpConnectInfo {
            local_addr: None,
            remote_addr: None,
        };
        let mut service = CallService::new(routes, peer, activity.clone(), 1024);
        let request = Request::builder()
            .uri("/test.Panicking/Call")
            .header("content-type", "application/grpc")
            .body(Body::empty())
            .unwrap();
        Service::<Request<Body>>::call(&mut service, request)
            .await
            .unwrap()
    }

    /// A body that is only its trailers (grpc-status 0).
    struct OnlyTrailers(bool);

    impl http_body::Body for OnlyTrailers {
        type Data = Bytes;
        type Error = Status;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
            if std::mem::replace(&mut self.0, true) {
                return Poll::Ready(None);
            }
            let mut trailers = HeaderMap::new();
            trailers.insert("grpc-status", HeaderValue::from_static("0"));
            Poll::Ready(Some(Ok(Frame::trailers(trailers))))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_follows_an_answers_trailers_not_even_its_deadline() {
        let deadline = Deadline {
            at: Instant::now() + Duration::from_secs(1),
            header: "1S".into(),
        };
        let guard = Activity::default().begin("/test.Service/Call");
        let mut body = CallBody::new(Body::new(OnlyTrailers(false)), Some(deadline), 1024, guard);
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(frame.trailers_ref().unwrap()["grpc-status"], "0");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(
            std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx))
                .await
                .is_none()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_that_runs_out_mid_answer_ends_it_with_deadline_exceeded() {
        let deadline = Deadline {
            at: Instant::now() + Duration::from_secs(1),
            header: "1S".into(),
        };
        let guard = Activity::default().begin("/test.Service/Call");
        let mut body = CallBody::new(Body::new(NeverEnds), Some(deadline), 1024, guard);
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx))
            .await
            .unwrap()
            .unwrap();
        let trailers = frame.trailers_ref().unwrap();
        assert_eq!(trailers["grpc-status"], "4");
        assert!(
            std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx))
                .await
                .is_none()
        );
    }

    /// An answer that never ends by itself, like health Watch.
    struct NeverEnds;

    impl http_body::Body for NeverEnds {
        type Data = Bytes;
        type Error = Status;

        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_internal_and_ends_its_call() {
        let activity = Activity::default();
        let answer = call_panicking(false, &activity).await;
        assert_eq!(answer.headers()["grpc-status"], "13");
        assert!(answer.body().is_end_stream());
        drop(answer);
        assert_eq!(*activity.calls.borrow(), 0);
    }

    #[tokio::test]
    async fn a_panicking_streamed_answer_ends_with_internal() {
        let activity = Activity::default();
        let answer = call_panicking(true, &activity).await;
        let mut body = answer.into_body();
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx))
            .await
            .expect("a frame")
            .expect("trailers, not an error");
        assert_eq!(frame.trailers_ref().unwrap()["grpc-status"], "13");
        assert!(
            std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx))
                .await
                .is_none()
        );
        drop(body);
        assert_eq!(*activity.calls.borrow(), 0);
    }

    fn timeout(text: &str) -> Option<Duration> {
        parse_grpc_timeout(&HeaderValue::from_str(text).unwrap())
    }

    #[test]
    fn grpc_timeouts_parse_as_the_protocol_defines_them() {
        assert_eq!(timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(timeout("3M"), Some(Duration::from_secs(180)));
        assert_eq!(timeout("10S"), Some(Duration::from_secs(10)));
        assert_eq!(timeout("50m"), Some(Duration::from_millis(50)));
        assert_eq!(timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(timeout("0n"), Some(Duration::ZERO));
        assert_eq!(
            timeout("99999999H"),
            Some(Duration::from_secs(99_999_999 * 3600))
        );
        for malformed in ["", "m", "5", "5s", "123456789m", "-5m", "5 m", "1.5S", "٣m"] {
            assert_eq!(
                parse_grpc_timeout(&HeaderValue::from_bytes(malformed.as_bytes()).unwrap()),
                None,
                "{malformed:?}"
            );
        }
    }

    // Paused time: the clock moves only when every task waits, so these
    // tests are exact without depending on how fast the machine is.
    #[tokio::test(start_paused = true)]
    async fn a_connection_is_idle_only_without_calls_in_progress() {
        let activity = Activity::default();
        let call = activity.begin("/test.Service/Call");
        let idle = tokio::time::timeout(
            Duration::from_secs(60),
            activity.idle_for(Duration::from_secs(1)),
        );
        assert!(idle.await.is_err(), "idle while a call was in progress");
        drop(call);
        let started = Instant::now();
        activity.idle_for(Duration::from_secs(1)).await;
        assert_eq!(started.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_starts_the_idle_wait_over() {
        let activity = Activity::default();
        let started = Instant::now();
        let calls = activity.clone();
        let caller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(600)).await;
            let call = calls.begin("/test.Service/Call");
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(call);
        });
        activity.idle_for(Duration::from_secs(1)).await;
        // Idle from 0 to 0.6 s (too short), busy to 0.9 s, then idle for 1 s.
        assert_eq!(started.elapsed(), Duration::from_millis(1900));
        caller.await.unwrap();
    }
}
