//! Server reflection that says so when a request is not valid Protobuf.
//!
//! Reflection is a bidirectional stream. tonic-reflection ends its answer
//! without an error (status OK) when a request in the stream fails to
//! decode, so the client never learns why it got nothing. [`Checked`]
//! decodes each request message on its way in, as the service will, and
//! when one fails, ends the answer with INVALID_ARGUMENT and prost's
//! description of the problem instead: the same answer every other service
//! gives ([`crate::limits`]).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};

use http_body::{Frame, SizeHint};
use prost::Message;
use tonic::body::Body;
use tonic::codegen::http::{HeaderMap, Request, Response};
use tonic::codegen::Bytes;
use tonic::server::NamedService;
use tonic::Status;
use tower::Service;
// v1 and v1alpha requests are the same message on the wire.
use tonic_reflection::pb::v1::ServerReflectionRequest;

/// A reflection service (either version) behind the check.
#[derive(Clone)]
pub struct Checked<S> {
    inner: S,
    max_message_size: usize,
}

impl<S> Checked<S> {
    /// `max_message_size`: messages longer than this are left to the
    /// service, which refuses them itself, so the check never holds more.
    pub fn new(inner: S, max_message_size: usize) -> Self {
        Checked {
            inner,
            max_message_size,
        }
    }
}

impl<S: NamedService> NamedService for Checked<S> {
    const NAME: &'static str = S::NAME;
}

/// The first request message that failed to decode, as prost describes it.
type Verdict = Arc<OnceLock<String>>;

impl<S> Service<Request<Body>> for Checked<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let verdict = Verdict::default();
        let request = request.map(|body| {
            Body::new(CheckedRequest {
                inner: body,
                pending: Vec::new(),
                checking: true,
                max_message_size: self.max_message_size,
                verdict: verdict.clone(),
            })
        });
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            Ok(response.map(|body| {
                Body::new(CheckedAnswer {
                    inner: body,
                    verdict,
                })
            }))
        })
    }
}

/// The request stream, passed on unchanged while its messages are decoded
/// on the side.
struct CheckedRequest {
    inner: Body,
    /// The part of a message (with its 5-byte gRPC prefix) seen so far.
    pending: Vec<u8>,
    /// Off after the first bad message, or one too large to check.
    checking: bool,
    max_message_size: usize,
    verdict: Verdict,
}

impl CheckedRequest {
    /// Decodes every whole message in `pending`. The verdict is set before
    /// the bytes go on to the service, so it is there when the service
    /// stops on the same message.
    fn check(&mut self, data: &[u8]) {
        if !self.checking {
            return;
        }
        self.pending.extend_from_slice(data);
        let mut start = 0;
        while self.pending.len() - start >= 5 {
            let header = &self.pending[start..start + 5];
            let compressed = header[0] != 0;
            let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
            if length > self.max_message_size {
                self.checking = false;
                break;
            }
            let Some(message) = self.pending.get(start + 5..start + 5 + length) else {
                break;
            };
            // Compressed messages are the service's business: this server
            // offers no compression, and tonic refuses them itself.
            if !compressed {
                if let Err(error) = ServerReflectionRequest::decode(message) {
                    let _ = self.verdict.set(error.to_string());
                    self.checking = false;
                    break;
                }
            }
            start += 5 + length;
        }
        if self.checking {
            self.pending.drain(..start);
        } else {
            self.pending = Vec::new();
        }
    }
}

impl http_body::Body for CheckedRequest {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame {
            if let Some(data) = frame.data_ref() {
                self.check(data);
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The answer stream, whose final status is INVALID_ARGUMENT when a request
/// failed to decode.
struct CheckedAnswer {
    inner: Body,
    verdict: Verdict,
}

impl http_body::Body for CheckedAnswer {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        let Some(Ok(frame)) = frame else {
            return Poll::Ready(frame);
        };
        match frame.into_trailers() {
            Ok(mut trailers) => {
                if let Some(error) = self.verdict.get() {
                    if is_ok(&trailers) {
                        let _ = Status::invalid_argument(error.clone()).add_header(&mut trailers);
                    }
                }
                Poll::Ready(Some(Ok(Frame::trailers(trailers))))
            }
            Err(frame) => Poll::Ready(Some(Ok(frame))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn is_ok(trailers: &HeaderMap) -> bool {
    trailers
        .get("grpc-status")
        .is_some_and(|status| status.as_bytes() == b"0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(message: &[u8]) -> Vec<u8> {
        let mut framed = vec![0];
        framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
        framed.extend_from_slice(message);
        framed
    }

    fn request() -> CheckedRequest {
        CheckedRequest {
            inner: Body::empty(),
            pending: Vec::new(),
            checking: true,
            max_message_size: 1024,
            verdict: Verdict::default(),
        }
    }

    #[test]
    fn good_messages_pass_in_any_split() {
        let good = ServerReflectionRequest {
            host: "h".into(),
            message_request: None,
        }
        .encode_to_vec();
        let stream: Vec<u8> = [framed(&good), framed(&good), framed(&[])].concat();
        for split in 0..stream.len() {
            let mut checked = request();
            checked.check(&stream[..split]);
            checked.check(&stream[split..]);
            assert!(checked.verdict.get().is_none(), "split at {split}");
            assert!(checked.pending.is_empty(), "split at {split}");
        }
    }

    #[test]
    fn a_bad_message_sets_the_verdict_as_prost_words_it() {
        let mut checked = request();
        checked.check(&framed(&[0xff; 11]));
        assert_eq!(
            checked.verdict.get().map(String::as_str),
            Some("failed to decode Protobuf message: invalid varint")
        );
        assert!(!checked.checking);
    }

    #[test]
    fn oversized_messages_are_not_buffered() {
        let mut checked = request();
        checked.check(&[0, 0, 0, 0x10, 0]);
        assert!(!checked.checking && checked.pending.is_empty());
        assert!(checked.verdict.get().is_none());
    }
}
