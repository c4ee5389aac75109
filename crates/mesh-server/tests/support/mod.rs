//! What the transport, status and fuzz tests share: an in-process server on
//! a real loopback socket, a gRPC client that sends and takes raw bytes (so
//! that a test can send what no generated client would), and a raw HTTP/2
//! client (the `h2` crate) for what gRPC clients hide: SETTINGS, deadlines
//! written by hand, connections closed under the client.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use mesh_server::{RunningServer, ServerConfig};
use prost::bytes::{Buf, BufMut, Bytes};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::{self, uri::PathAndQuery, HeaderMap};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

/// Bounds every wait of these tests: a server that never answers fails its
/// test instead of hanging it. Never reached when the server is right.
pub const GUARD: Duration = Duration::from_secs(20);

/// Awaits `future`, failing the test with `what` if it takes longer than [`GUARD`].
pub async fn guarded<F: std::future::Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(GUARD, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: nothing happened within {GUARD:?}"),
    }
}

/// A server in this process with its own data directory.
pub struct TestServer {
    pub server: RunningServer,
    _data: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server on a free loopback port; `adjust` changes the test
    /// configuration first.
    pub async fn start(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let data = tempfile::tempdir().expect("a temporary directory");
        let mut config = ServerConfig::for_tests(data.path());
        adjust(&mut config);
        let server = RunningServer::start(config)
            .await
            .expect("the server starts");
        TestServer {
            server,
            _data: data,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// A gRPC channel to the server (one connection, made now).
    pub async fn channel(&self) -> Channel {
        Endpoint::from_shared(self.server.url())
            .unwrap()
            .connect_timeout(GUARD)
            .connect()
            .await
            .expect("a gRPC client connects")
    }

    /// A raw HTTP/2 connection to the server.
    pub async fn h2(&self) -> H2Client {
        H2Client::connect(self.addr()).await
    }
}

// --- gRPC with raw bytes ----------------------------------------------------

/// Sends the bytes it is given as the message, and hands back each answer's
/// bytes undecoded.
#[derive(Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut message = vec![0; src.remaining()];
        src.copy_to_slice(&mut message);
        Ok(Some(message))
    }
}

/// How a method's messages flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Unary,
    /// One request, a stream of answers.
    ServerStreaming,
    /// Streams both ways (client streaming is called the same way).
    Streaming,
}

/// Calls `path` with `message` as the only request message and collects
/// the answers: at most `max_answers` of a stream (some, like health
/// `Watch`, never end on their own), then the call is dropped.
pub async fn call_raw(
    channel: &Channel,
    path: &str,
    kind: Kind,
    message: Vec<u8>,
    max_answers: usize,
) -> Result<Vec<Vec<u8>>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|error| Status::unavailable(format!("the channel is not ready: {error}")))?;
    let path = PathAndQuery::from_str(path).expect("a method path");
    let mut answers = match kind {
        Kind::Unary => {
            return grpc
                .unary(tonic::Request::new(message), path, RawCodec)
                .await
                .map(|answer| vec![answer.into_inner()]);
        }
        Kind::ServerStreaming => {
            grpc.server_streaming(tonic::Request::new(message), path, RawCodec)
                .await?
        }
        Kind::Streaming => {
            let requests = tokio_stream::iter(vec![message]);
            grpc.streaming(tonic::Request::new(requests), path, RawCodec)
                .await?
        }
    }
    .into_inner();
    let mut collected = Vec::new();
    while collected.len() < max_answers {
        match answers.message().await? {
            Some(answer) => collected.push(answer),
            None => break,
        }
    }
    Ok(collected)
}

/// A varint of eleven bytes: longer than any varint may be, so no Protobuf
/// message can start with it, whatever its type.
pub const UNDECODABLE: &[u8] = &[0xff; 11];

// --- raw HTTP/2 ----------------------------------------------------------------

/// One HTTP/2 connection made with the `h2` crate; its connection task runs
/// in the background and its end can be awaited.
pub struct H2Client {
    pub send: h2::client::SendRequest<Bytes>,
    connection: Option<JoinHandle<Result<(), h2::Error>>>,
}

impl H2Client {
    pub async fn connect(addr: SocketAddr) -> H2Client {
        let tcp = TcpStream::connect(addr).await.expect("TCP connect");
        let (send, connection) = h2::client::handshake(tcp)
            .await
            .expect("the HTTP/2 handshake");
        H2Client {
            send,
            connection: Some(tokio::spawn(connection)),
        }
    }

    /// Starts a gRPC call of `path` (headers only; `grpc-timeout` when given)
    /// and hands back the answer to come and the request body to send.
    pub async fn start_call(
        &mut self,
        path: &str,
        grpc_timeout: Option<&str>,
    ) -> (h2::client::ResponseFuture, h2::SendStream<Bytes>) {
        let mut request = http::Request::builder()
            .method("POST")
            .uri(format!("http://localhost{path}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers");
        if let Some(timeout) = grpc_timeout {
            request = request.header("grpc-timeout", timeout);
        }
        let mut send = self.send.clone().ready().await.expect("a stream may open");
        send.send_request(request.body(()).unwrap(), false)
            .expect("the request starts")
    }

    /// Makes one whole unary call of `path` with `message` and hands back
    /// its status.
    pub async fn unary(&mut self, path: &str, message: &[u8]) -> (Code, String) {
        let (answer, mut body) = self.start_call(path, None).await;
        body.send_data(grpc_frame(message), true)
            .expect("the request body is sent");
        grpc_status(answer).await
    }

    /// Waits until the server has ended the connection (after a GOAWAY or by
    /// closing it); hands back how it ended.
    pub async fn closed(&mut self) -> Result<(), h2::Error> {
        self.connection
            .take()
            .expect("awaited once")
            .await
            .expect("the connection task")
    }

    /// Drops the connection under the server, as a client that goes away.
    pub fn abort(mut self) {
        if let Some(connection) = self.connection.take() {
            connection.abort();
        }
    }
}

impl Drop for H2Client {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            connection.abort();
        }
    }
}

/// `message` as one gRPC length-prefixed message, uncompressed.
pub fn grpc_frame(message: &[u8]) -> Bytes {
    let mut framed = Vec::with_capacity(5 + message.len());
    framed.put_u8(0);
    framed.put_u32(message.len() as u32);
    framed.put_slice(message);
    framed.into()
}

/// The gRPC status of an answer: from its headers when it has no body
/// (Trailers-Only), else from its trailers after the body.
pub async fn grpc_status(answer: h2::client::ResponseFuture) -> (Code, String) {
    let answer = answer.await.expect("an HTTP/2 answer");
    if let Some(status) = status_in(answer.headers()) {
        return status;
    }
    let mut body = answer.into_body();
    while let Some(data) = body.data().await {
        let data = data.expect("the answer's body");
        let _ = body.flow_control().release_capacity(data.len());
    }
    let trailers = body
        .trailers()
        .await
        .expect("the answer's trailers")
        .expect("an answer with a body ends with trailers");
    status_in(&trailers).expect("grpc-status in the trailers")
}

fn status_in(headers: &HeaderMap) -> Option<(Code, String)> {
    let status = Status::from_header_map(headers)?;
    Some((status.code(), status.message().to_string()))
}

// --- HTTP/2 frames by hand ----------------------------------------------------

/// HTTP/2 frame types and flags the tests use (RFC 9113, section 6).
pub mod frame {
    pub const DATA: u8 = 0x0;
    pub const HEADERS: u8 = 0x1;
    pub const RST_STREAM: u8 = 0x3;
    pub const SETTINGS: u8 = 0x4;
    pub const PING: u8 = 0x6;
    pub const GOAWAY: u8 = 0x7;
    pub const END_STREAM: u8 = 0x1;
    pub const ACK: u8 = 0x1;
    pub const END_HEADERS: u8 = 0x4;
    pub const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
    pub const REFUSED_STREAM: u32 = 0x7;
}

/// One frame as read off the wire.
#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

impl Frame {
    /// The settings a SETTINGS frame carries, as (identifier, value).
    pub fn settings(&self) -> Vec<(u16, u32)> {
        self.payload
            .chunks_exact(6)
            .map(|setting| {
                (
                    u16::from_be_bytes([setting[0], setting[1]]),
                    u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]),
                )
            })
            .collect()
    }

    /// The error code of a RST_STREAM frame.
    pub fn error_code(&self) -> u32 {
        u32::from_be_bytes(self.payload[..4].try_into().unwrap())
    }
}

/// An HTTP/2 client written frame by frame, for what a well-behaved client
/// library will not do: open more streams than allowed, ignore pings.
pub struct RawH2 {
    pub tcp: TcpStream,
}

impl RawH2 {
    /// Connects and sends the connection preface and an empty SETTINGS frame.
    pub async fn connect(addr: SocketAddr) -> RawH2 {
        use tokio::io::AsyncWriteExt;
        let mut tcp = TcpStream::connect(addr).await.expect("TCP connect");
        tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            .await
            .unwrap();
        let mut raw = RawH2 { tcp };
        raw.write(frame::SETTINGS, 0, 0, &[]).await;
        raw
    }

    pub async fn write(&mut self, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
        use tokio::io::AsyncWriteExt;
        let mut bytes = Vec::with_capacity(9 + payload.len());
        bytes.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
        bytes.extend_from_slice(&[kind, flags]);
        bytes.extend_from_slice(&stream.to_be_bytes());
        bytes.extend_from_slice(payload);
        self.tcp.write_all(&bytes).await.expect("a frame is sent");
    }

    /// The next frame; `None` when the server has closed the connection.
    pub async fn read(&mut self) -> Option<Frame> {
        use tokio::io::AsyncReadExt;
        let mut header = [0u8; 9];
        if self.tcp.read_exact(&mut header).await.is_err() {
            return None;
        }
        let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        let mut payload = vec![0; length];
        if self.tcp.read_exact(&mut payload).await.is_err() {
            return None;
        }
        Some(Frame {
            kind: header[3],
            flags: header[4],
            stream: u32::from_be_bytes(header[5..9].try_into().unwrap()) & 0x7fff_ffff,
            payload,
        })
    }

    /// Reads frames until one matches `wanted`, and hands it back.
    pub async fn read_until(&mut self, what: &str, wanted: impl Fn(&Frame) -> bool) -> Frame {
        guarded(what, async {
            loop {
                match self.read().await {
                    Some(frame) if wanted(&frame) => return frame,
                    Some(_) => continue,
                    None => panic!("{what}: the server closed the connection first"),
                }
            }
        })
        .await
    }

    /// Reads until the server closes the connection, answering its pings
    /// as a live peer does (a graceful close waits for one).
    pub async fn until_closed(&mut self, what: &str) {
        guarded(what, async {
            while let Some(frame) = self.read().await {
                if frame.kind == frame::PING && frame.flags & frame::ACK == 0 {
                    self.write(frame::PING, frame::ACK, 0, &frame.payload).await;
                }
            }
        })
        .await
    }

    /// Opens stream `stream` with a gRPC call of `path`: headers only, the
    /// request body still to come.
    pub async fn open_call(&mut self, stream: u32, path: &str) {
        let mut block = Vec::new();
        for (name, value) in [
            (":method", "POST"),
            (":scheme", "http"),
            (":path", path),
            (":authority", "localhost"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        ] {
            // HPACK: a literal field without indexing, with a literal name,
            // neither Huffman-coded.
            block.push(0x00);
            for text in [name, value] {
                assert!(text.len() < 127, "a short header");
                block.push(text.len() as u8);
                block.extend_from_slice(text.as_bytes());
            }
        }
        self.write(frame::HEADERS, frame::END_HEADERS, stream, &block)
            .await;
    }
}

/// Waits until the server closes `tcp` (end of stream or reset), reading
/// and ignoring whatever it sends before.
pub async fn closed_by_server<S: tokio::io::AsyncRead + Unpin>(what: &str, stream: &mut S) {
    use tokio::io::AsyncReadExt;
    guarded(what, async {
        let mut buffer = [0u8; 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
}
