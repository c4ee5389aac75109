//! Telling clients precisely when a request is too large.
//!
//! tonic refuses an oversized request with OUT_OF_RANGE and its own text;
//! gRPC's convention (and what clients of the reference server see) is
//! RESOURCE_EXHAUSTED, and users need to know what to do about it.
//!
//! [`explain`] rewrites it wherever a status travels: in the headers of an
//! answer that failed before it began (every unary and server-streaming
//! call), or in the trailers of one that ran.

use tonic::codegen::http::HeaderMap;
use tonic::Status;

const TONIC_OVERSIZE: &str = "decoded message length too large";

/// Rewrites the status in `headers` (response headers or trailers) when it
/// is tonic's refusal of an oversized request; leaves anything else be.
/// `limit` is the server's largest message, for the oversize explanation.
pub fn explain(headers: &mut HeaderMap, limit: usize) {
    // Cheap checks first: this runs for every answer.
    if headers.get("grpc-status").map(|status| status.as_bytes()) != Some(b"11") {
        return;
    }
    let Some(message) = headers
        .get("grpc-message")
        .and_then(|message| message.to_str().ok())
        .map(decode)
    else {
        return;
    };
    if !message.contains(TONIC_OVERSIZE) {
        return;
    }
    let replacement = oversize(&message, limit);
    // Fails only for a message that is no valid header value, which
    // percent-encoding rules out; the original status then stays.
    let _ = replacement.add_header(headers);
}

fn oversize(message: &str, limit: usize) -> Status {
    let found = message
        .split("found ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("more");
    Status::resource_exhausted(format!(
        "the request is {found} bytes, more than this server's limit of {limit} bytes per message (--max-message-size); \
         send large writes in several requests of smaller intervals (the Rust SDK does this by itself)"
    ))
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

    fn headers(status: Status) -> HeaderMap {
        status.into_http::<()>().headers().clone()
    }

    fn message(headers: &HeaderMap) -> String {
        decode(headers["grpc-message"].to_str().unwrap())
    }

    #[test]
    fn rewrites_the_oversize_refusal() {
        let mut oversize = headers(Status::out_of_range(
            "Error, decoded message length too large: found 5000000 bytes, the limit is: 4194304 bytes",
        ));
        explain(&mut oversize, 4_194_304);
        assert_eq!(oversize["grpc-status"], "8");
        let message = message(&oversize);
        assert!(message.contains("5000000 bytes"), "{message}");
        assert!(message.contains("--max-message-size"), "{message}");
    }

    #[test]
    fn leaves_other_statuses_be() {
        for status in [
            Status::out_of_range("something else"),
            Status::internal("storage failed"),
            Status::invalid_argument("failed to decode Protobuf message: already right"),
            Status::ok(""),
        ] {
            let before = headers(status);
            let mut after = before.clone();
            explain(&mut after, 10);
            assert_eq!(after, before);
        }
        let mut none = HeaderMap::new();
        explain(&mut none, 10);
        assert!(none.is_empty());
    }
}
