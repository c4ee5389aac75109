//! `--metrics-listen`: the real binary's Prometheus endpoint, scraped over
//! HTTP after known activity.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use mesh_testkit::process::{ServerBuilder, ServerProcess};
use mesh_testkit::raw::Clients;
use mesh_timeseries::Point;
use support::Kind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod support;

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts the binary with metrics on a free port; the server and the
/// metrics address, which it logs before it announces itself.
fn start(data: &tempfile::TempDir, args: &[&str]) -> (ServerProcess, String) {
    start_with(ServerProcess::builder(BINARY), data, args)
}

/// [`start`] from a builder the caller began (with its own environment, or
/// with the binary run under `prlimit`).
fn start_with(
    builder: ServerBuilder,
    data: &tempfile::TempDir,
    args: &[&str],
) -> (ServerProcess, String) {
    let log = data.path().join("server.log");
    let server = builder
        .local(data.path())
        .env("RUST_LOG", "info")
        .args(["--metrics-listen", "127.0.0.1:0"])
        .args(args)
        .log_to(&log)
        .start();
    let text = std::fs::read_to_string(&log).unwrap();
    let address = text
        .lines()
        .find_map(|line| line.split("metrics served on http://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no metrics address in the log:\n{text}"))
        .to_string();
    (server, address)
}

/// `GET path` over HTTP/1.1: the status line and the body.
async fn get(address: &str, path: &str) -> (String, String) {
    let (address, path) = (address.to_string(), path.to_string());
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        stream.set_read_timeout(Some(CALL_TIMEOUT)).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        (head.lines().next().unwrap().to_string(), body.to_string())
    })
    .await
    .unwrap()
}

/// The value of the sample `name` (with its labels, as printed).
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {name} in:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

const START: &str = "volue.mesh.grpc.session.v1alpha.SessionService/StartSession";
const END: &str = "volue.mesh.grpc.session.v1alpha.SessionService/EndSession";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_sessions_requests_and_commits() {
    let data = tempfile::tempdir().unwrap();
    let (server, metrics) = start(&data, &[]);
    let clients = Clients::connect(server.address(), CALL_TIMEOUT)
        .await
        .unwrap();

    // Three sessions started, one ended, one ended twice (NOT_FOUND the
    // second time), one left open; one commit of 1,000 points.
    let kept = clients.start_session().await.unwrap();
    let ended = clients.start_session().await.unwrap();
    let writer = clients.start_session().await.unwrap();
    clients.end_session(&ended).await.unwrap();
    let refused = clients.end_session(&ended).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::NotFound);
    let unit = clients.any_unit(&writer).await.unwrap();
    let key = clients
        .create_breakpoint_series(&writer, &unit, "/metrics/", "counted")
        .await
        .unwrap();
    let points: Vec<Point> = (0..1_000).map(|t| Point::new(t, 0, 1.0)).collect();
    clients
        .write(&writer, key, (0, 1_000), &points)
        .await
        .unwrap();
    clients.commit(&writer).await.unwrap();
    clients.end_session(&writer).await.unwrap();

    let (status, text) = get(&metrics, "/metrics").await;
    assert!(status.ends_with("200 OK"), "{status}");
    assert_eq!(sample(&text, "mesh_sessions_open"), 1.0);
    assert_eq!(sample(&text, "mesh_sessions_opened_total"), 3.0);
    assert_eq!(sample(&text, "mesh_sessions_closed_total"), 2.0);
    assert_eq!(sample(&text, "mesh_sessions_expired_total"), 0.0);
    assert_eq!(sample(&text, "mesh_commits_total"), 1.0);
    assert_eq!(sample(&text, "mesh_points_committed_total"), 1_000.0);
    assert_eq!(sample(&text, "mesh_commit_duration_seconds_count"), 1.0);
    assert_eq!(
        sample(
            &text,
            &format!("mesh_requests_total{{method=\"{START}\",code=\"OK\"}}")
        ),
        3.0
    );
    assert_eq!(
        sample(
            &text,
            &format!("mesh_requests_total{{method=\"{END}\",code=\"OK\"}}")
        ),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            &format!("mesh_requests_total{{method=\"{END}\",code=\"NOT_FOUND\"}}")
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            &format!("mesh_request_duration_seconds_count{{method=\"{START}\"}}")
        ),
        3.0
    );
    assert!(sample(&text, "mesh_store_size_bytes") > 0.0);
    // A path the server has no method for is counted, under one label.
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", server.address()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let refused = support::call_raw(
        &channel,
        "/no.such.Service/Call",
        Kind::Unary,
        Vec::new(),
        1,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unimplemented);
    let (_, text) = get(&metrics, "/metrics").await;
    assert_eq!(
        sample(
            &text,
            "mesh_requests_total{method=\"unknown\",code=\"UNIMPLEMENTED\"}"
        ),
        1.0
    );
    assert!(!text.contains("no.such"));

    let (status, _) = get(&metrics, "/elsewhere").await;
    assert!(status.ends_with("404 Not Found"), "{status}");
    drop(kept);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_closed_for_idling_count_as_expired() {
    let data = tempfile::tempdir().unwrap();
    let (server, metrics) = start(&data, &["--session-timeout", "200ms"]);
    let clients = Clients::connect(server.address(), CALL_TIMEOUT)
        .await
        .unwrap();
    clients.start_session().await.unwrap();
    // The sweeper's time is its own: wait for the count to show it.
    let deadline = Instant::now() + CALL_TIMEOUT;
    loop {
        let (_, text) = get(&metrics, "/metrics").await;
        if sample(&text, "mesh_sessions_expired_total") == 1.0 {
            assert_eq!(sample(&text, "mesh_sessions_open"), 0.0);
            break;
        }
        assert!(Instant::now() < deadline, "no expiry counted:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn without_the_flag_nothing_listens_for_metrics() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("server.log");
    let _server = ServerProcess::builder(BINARY)
        .local(data.path())
        .env("RUST_LOG", "info")
        .log_to(&log)
        .start();
    assert!(!std::fs::read_to_string(&log)
        .unwrap()
        .contains("metrics served"));
}

/// How long a test waits for the server to close a connection it must
/// close; far beyond the short timeouts the tests configure.
const CLOSE_WAIT: Duration = Duration::from_secs(30);

/// Reads until the server closes `stream` (end of file or a reset), and
/// returns what it sent; panics when it is still open after `CLOSE_WAIT`.
async fn closed_by_server(stream: &mut TcpStream, what: &str) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(CLOSE_WAIT, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "{what}: the server kept the connection open for {CLOSE_WAIT:?}"
    );
    String::from_utf8_lossy(&received).into_owned()
}

/// One keep-alive `GET /metrics` on `stream`: reads the head and the body
/// (by its content-length), leaving the connection open.
async fn scrape_keeping_alive(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\n\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(CALL_TIMEOUT, stream.read(&mut buffer))
            .await
            .expect("an answer")
            .unwrap();
        assert!(n > 0, "closed before answering");
        received.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&received);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("a content-length");
            if body.len() >= length {
                return head.lines().next().unwrap().to_string();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let data = tempfile::tempdir().unwrap();
    let (_server, metrics) = start_with(
        ServerProcess::builder(BINARY).env("MESH_METRICS_HEADER_TIMEOUT", "300ms"),
        &data,
        &[],
    );
    // Slowloris: a request line and part of the headers, then nothing.
    let mut partial = TcpStream::connect(&metrics).await.unwrap();
    partial
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = closed_by_server(&mut partial, "a partial request").await;
    assert!(!answer.contains("200 OK"), "{answer}");
    // And one that sends nothing at all.
    let mut silent = TcpStream::connect(&metrics).await.unwrap();
    closed_by_server(&mut silent, "a silent connection").await;
    // The endpoint serves on.
    let (status, _) = get(&metrics, "/metrics").await;
    assert!(status.ends_with("200 OK"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let data = tempfile::tempdir().unwrap();
    let (_server, metrics) = start_with(
        ServerProcess::builder(BINARY).env("MESH_METRICS_HEADER_TIMEOUT", "300ms"),
        &data,
        &[],
    );
    let mut stream = TcpStream::connect(&metrics).await.unwrap();
    // Served, and kept alive for a second scrape...
    assert!(scrape_keeping_alive(&mut stream).await.ends_with("200 OK"));
    assert!(scrape_keeping_alive(&mut stream).await.ends_with("200 OK"));
    // ...then closed once it sends no further request.
    closed_by_server(&mut stream, "an idle keep-alive connection").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_until_one_closes() {
    let data = tempfile::tempdir().unwrap();
    let (server, metrics) = start_with(
        ServerProcess::builder(BINARY)
            .env("MESH_METRICS_MAX_CONNECTIONS", "4")
            .env("MESH_METRICS_HEADER_TIMEOUT", "10m"),
        &data,
        &[],
    );
    // Four idle connections fill the cap (each served: one scrape apiece
    // proves it was accepted).
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(&metrics).await.unwrap();
        assert!(scrape_keeping_alive(&mut stream).await.ends_with("200 OK"));
        held.push(stream);
    }
    // A fifth connects (the kernel queues it) but is not served...
    let mut waiting = TcpStream::connect(&metrics).await.unwrap();
    waiting
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), waiting.read(&mut first)).await;
    assert!(early.is_err(), "a connection past the cap was served");
    // ...while gRPC calls go on...
    let clients = Clients::connect(server.address(), CALL_TIMEOUT)
        .await
        .unwrap();
    clients.start_session().await.unwrap();
    // ...and is served as soon as a place frees.
    drop(held.pop());
    let answer = closed_by_server(&mut waiting, "the queued scrape").await;
    assert!(answer.contains("200 OK"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_connections_cannot_take_the_grpc_ports_file_descriptors() {
    /// The server's open-files limit, soft and hard: room for 96
    /// connections beside its own files.
    const OPEN_FILES: u32 = 160;
    /// Far more metrics connections than that.
    const HELD: usize = 300;
    let data = tempfile::tempdir().unwrap();
    let (server, metrics) = start_with(
        ServerProcess::builder("prlimit")
            .arg(format!("--nofile={OPEN_FILES}:{OPEN_FILES}"))
            .arg(BINARY)
            .env("MESH_METRICS_HEADER_TIMEOUT", "10m"),
        &data,
        &[],
    );
    let mut held = Vec::new();
    for _ in 0..HELD {
        // Past the cap the kernel completes the connection and queues it.
        match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(&metrics)).await {
            Ok(Ok(stream)) => held.push(stream),
            _ => break, // the kernel's queue is full: enough held
        }
    }
    assert!(held.len() > OPEN_FILES as usize, "held only {}", held.len());
    // With every metrics place taken and more queued, gRPC clients are
    // still accepted and served.
    let clients = Clients::connect(server.address(), Duration::from_secs(10))
        .await
        .expect("a gRPC connection");
    let session = clients.start_session().await.expect("a gRPC call");
    clients.end_session(&session).await.unwrap();
    drop(held);
}
