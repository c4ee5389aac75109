//! Naming the call in every `UNIMPLEMENTED` answer.
//!
//! Calls of the public API that mesh-server does not serve yet answer
//! `UNIMPLEMENTED` from two places: the generated default stubs of a served
//! service ("Not yet implemented") and the router, for services not
//! registered at all (no message). Neither says which call was refused, so
//! a user cannot tell a missing feature from a typo in a service name. This
//! layer sees the request's path and puts it in the message.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::codegen::http;
use tonic::{Code, Status};
use tower::{Layer, Service};

/// The most characters of the request path quoted: every path of the
/// public API fits; a longer one is not a call anybody serves.
const MAX_CALL_CHARS: usize = 200;

/// The text of tonic's generated default stubs.
const STUB_MESSAGE: &str = "Not yet implemented";

/// Adds [`NameUnserved`] around a service.
#[derive(Debug, Clone, Copy, Default)]
pub struct NameUnservedLayer;

impl<S> Layer<S> for NameUnservedLayer {
    type Service = NameUnserved<S>;

    fn layer(&self, inner: S) -> Self::Service {
        NameUnserved { inner }
    }
}

/// Rewrites `UNIMPLEMENTED` answers that carry no message of their own so
/// that they name the call (`/package.Service/Method`) and say that
/// mesh-server does not serve it yet. Specific messages are kept.
#[derive(Debug, Clone)]
pub struct NameUnserved<S> {
    inner: S,
}

impl<S, B, RB> Service<http::Request<B>> for NameUnserved<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let call = request.uri().path().to_owned();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let mut response = answer.await?;
            name_the_call(&mut response, &call);
            Ok(response)
        })
    }
}

/// Rewrites one response, if it is an anonymous `UNIMPLEMENTED`.
fn name_the_call<B>(response: &mut http::Response<B>, call: &str) {
    let headers = response.headers();
    let unimplemented = headers.get("grpc-status").is_some_and(|status| {
        status.as_bytes() == (Code::Unimplemented as i32).to_string().as_bytes()
    });
    let anonymous = headers.get("grpc-message").is_none_or(|message| {
        message.is_empty()
            || message.as_bytes() == STUB_MESSAGE.as_bytes()
            || message.as_bytes() == b"Not%20yet%20implemented"
    });
    if !(unimplemented && anonymous) {
        return;
    }
    let call = mesh_timeseries::echo::echo_within(call.trim_start_matches('/'), MAX_CALL_CHARS);
    let named =
        Status::unimplemented(format!("mesh-server does not serve {call} yet")).into_http::<()>();
    if let Some(message) = named.headers().get("grpc-message") {
        response
            .headers_mut()
            .insert("grpc-message", message.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(response: &http::Response<()>) -> String {
        response
            .headers()
            .get("grpc-message")
            .map(|raw| percent_decode(raw.to_str().unwrap()))
            .unwrap_or_default()
    }

    fn percent_decode(raw: &str) -> String {
        raw.replace("%20", " ")
    }

    #[test]
    fn anonymous_unimplemented_answers_name_the_call() {
        for answer in [
            Status::unimplemented(""),
            Status::unimplemented(STUB_MESSAGE),
        ] {
            let mut response = answer.into_http::<()>();
            name_the_call(
                &mut response,
                "/volue.mesh.grpc.calc.v1alpha.CalcService/RunCalc",
            );
            assert_eq!(
                message(&response),
                "mesh-server does not serve volue.mesh.grpc.calc.v1alpha.CalcService/RunCalc yet"
            );
        }
    }

    #[test]
    fn other_answers_are_left_alone() {
        let mut specific = Status::unimplemented("model paths need the model").into_http::<()>();
        name_the_call(&mut specific, "/x.Y/Z");
        assert_eq!(message(&specific), "model paths need the model");

        let mut other = Status::not_found("").into_http::<()>();
        name_the_call(&mut other, "/x.Y/Z");
        assert_eq!(other.headers()["grpc-status"], "5");
        assert_eq!(message(&other), "");
    }
}
