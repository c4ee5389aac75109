//! Telling clients precisely what was wrong with their request.
//!
//! tonic answers two mistakes of the client as if they were the server's:
//!
//! - an oversized request: OUT_OF_RANGE with its own text. gRPC's convention
//!   (and what clients of the reference server see) is RESOURCE_EXHAUSTED,
//!   and users need to know what to do about it.
//! - an oversized answer (every service is given `max_encoding_message_size`):
//!   the same OUT_OF_RANGE, in the trailers of an answer with no message.
//!   Calls whose answers may grow check their size before building them;
//!   this is the net under every other, so the client is told what
//!   happened rather than seeing a broken stream.
//! - a request that is not valid Protobuf: INTERNAL, `failed to decode
//!   Protobuf message: …`. The client sent it, so it is INVALID_ARGUMENT;
//!   the text stays, as it says exactly what was wrong.
//!
//! [`explain`] rewrites either wherever a status travels: in the headers of
//! an answer that failed before it began (every unary and server-streaming
//! call), or in the trailers of one that ran.

use tonic::codegen::http::HeaderMap;
use tonic::{Code, Status};

const TONIC_OVERSIZE: &str = "decoded message length too large";

/// tonic's text for an answer past `max_encoding_message_size`.
const TONIC_OVERSIZE_ANSWER: &str = "encoded message length too large";

/// How prost's `DecodeError` starts its text, which tonic passes on as the
/// message of its INTERNAL status. No handler of ours decodes Protobuf
/// itself, so this text in an INTERNAL status always means the request.
const UNDECODABLE: &str = "failed to decode Protobuf message";

/// Rewrites the status in `headers` (response headers or trailers) when it
/// is one of tonic's refusals of a bad request; leaves anything else be.
/// `limit` is the server's largest message, for the oversize explanation.
pub fn explain(headers: &mut HeaderMap, limit: usize) {
    // Cheap checks first: this runs for every answer.
    let code = match headers.get("grpc-status").map(|status| status.as_bytes()) {
        Some(b"11") => Code::OutOfRange,
        Some(b"13") => Code::Internal,
        _ => return,
    };
    let Some(message) = headers
        .get("grpc-message")
        .and_then(|message| message.to_str().ok())
        .map(decode)
    else {
        return;
    };
    let replacement = match code {
        Code::OutOfRange if message.contains(TONIC_OVERSIZE) => oversize(&message, limit),
        Code::OutOfRange if message.contains(TONIC_OVERSIZE_ANSWER) => {
            oversize_answer(&message, limit)
        }
        Code::Internal if message.starts_with(UNDECODABLE) => Status::invalid_argument(message),
        _ => return,
    };
    // Fails only for a message that is no valid header value, which
    // percent-encoding rules out; the original status then stays.
    let _ = replacement.add_header(headers);
}

/// The size tonic's text names (`found N bytes`).
fn found(message: &str) -> &str {
    message
        .split("found ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("more")
}

fn oversize_answer(message: &str, limit: usize) -> Status {
    let found = found(message);
    Status::resource_exhausted(format!(
        "the answer is {found} bytes, more than this server's limit of {limit} bytes per message (--max-message-size); \
         ask for less at a time (fewer objects, attributes or models, shorter intervals), or start the server with a larger --max-message-size"
    ))
}

fn oversize(message: &str, limit: usize) -> Status {
    let found = found(message);
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
    fn rewrites_the_oversize_answer() {
        let mut oversize = headers(Status::out_of_range(
            "Error, encoded message length too large: found 5000000 bytes, the limit is: 4194304 bytes",
        ));
        explain(&mut oversize, 4_194_304);
        assert_eq!(oversize["grpc-status"], "8");
        let message = message(&oversize);
        assert!(message.contains("the answer is 5000000 bytes"), "{message}");
        assert!(message.contains("--max-message-size"), "{message}");
    }

    #[test]
    fn undecodable_requests_become_invalid_argument_with_the_same_text() {
        let text = "failed to decode Protobuf message: Guid.bytes_le: invalid wire type: LengthDelimited (expected Varint)";
        let mut undecodable = headers(Status::internal(text));
        explain(&mut undecodable, 10);
        assert_eq!(undecodable["grpc-status"], "3");
        assert_eq!(message(&undecodable), text);
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
