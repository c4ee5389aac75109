//! `--metrics-listen`: the real binary's Prometheus endpoint, scraped over
//! HTTP after known activity.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use mesh_testkit::process::ServerProcess;
use mesh_testkit::raw::Clients;
use mesh_timeseries::Point;
use support::Kind;

mod support;

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts the binary with metrics on a free port; the server and the
/// metrics address, which it logs before it announces itself.
fn start(data: &tempfile::TempDir, args: &[&str]) -> (ServerProcess, String) {
    let log = data.path().join("server.log");
    let server = ServerProcess::builder(BINARY)
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
