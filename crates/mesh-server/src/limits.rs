//! Telling clients precisely when a request is too large.
//!
//! tonic refuses an oversized request with OUT_OF_RANGE and its own text;
//! gRPC's convention (and what clients of the reference server see) is
//! RESOURCE_EXHAUSTED, and users need to know what to do about it.

use tonic::codegen::http;
use tonic::Status;

const TONIC_OVERSIZE: &str = "decoded message length too large";

/// Rewrites tonic's oversize refusal in a response; leaves anything else be.
pub fn explain_oversize<B>(mut response: http::Response<B>, limit: usize) -> http::Response<B> {
    let headers = response.headers();
    let is_out_of_range = headers
        .get("grpc-status")
        .is_some_and(|status| status.as_bytes() == b"11");
    let is_oversize = headers
        .get("grpc-message")
        .and_then(|message| message.to_str().ok())
        .is_some_and(|message| decode(message).contains(TONIC_OVERSIZE));
    if !(is_out_of_range && is_oversize) {
        return response;
    }
    let found = headers
        .get("grpc-message")
        .and_then(|message| message.to_str().ok())
        .map(decode)
        .and_then(|message| {
            message
                .split("found ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next().map(str::to_string))
        })
        .unwrap_or_else(|| "more".to_string());
    let replacement = Status::resource_exhausted(format!(
        "the request is {found} bytes, more than this server's limit of {limit} bytes per message (--max-message-size); \
         send large writes in several requests of smaller intervals (the Rust SDK does this by itself)"
    ))
    .into_http::<()>();
    for name in ["grpc-status", "grpc-message"] {
        if let Some(value) = replacement.headers().get(name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

/// grpc-message is percent-encoded on the wire.
fn decode(message: &str) -> String {
    let bytes = message.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&message[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_the_oversize_refusal() {
        let oversize = Status::out_of_range(
            "Error, decoded message length too large: found 5000000 bytes, the limit is: 4194304 bytes",
        )
        .into_http::<()>();
        let rewritten = explain_oversize(oversize, 4_194_304);
        assert_eq!(rewritten.headers()["grpc-status"], "8");
        let message = decode(rewritten.headers()["grpc-message"].to_str().unwrap());
        assert!(message.contains("5000000 bytes"), "{message}");
        assert!(message.contains("--max-message-size"), "{message}");

        let other = Status::out_of_range("something else").into_http::<()>();
        assert_eq!(explain_oversize(other, 10).headers()["grpc-status"], "11");
    }
}
