//! The `mesh-server` binary as users run it: flags, environment, the
//! `listening on` line, and graceful shutdown on signals.

use std::process::Command;

use mesh_proto::session::session_service_client::SessionServiceClient;
use mesh_testkit::process::{assert_refused, ServerBuilder, ServerProcess};

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");

fn server_command(data: &tempfile::TempDir) -> ServerBuilder {
    ServerProcess::builder(BINARY)
        .local(data.path())
        .env("RUST_LOG", "warn")
}

// Multi-threaded: the test blocks in `wait()` while the client's connection
// must still answer the server's goodbye.
#[tokio::test(flavor = "multi_thread")]
async fn announces_the_real_port_and_stops_gracefully_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let mut server = server_command(&data).start();
    let address: std::net::SocketAddr = server.address().parse().expect("IP:PORT");
    assert_ne!(address.port(), 0);

    let mut client = SessionServiceClient::connect(format!("http://{address}"))
        .await
        .unwrap();
    client.start_session(()).await.unwrap();

    server.signal("-TERM");
    let status = server.wait();
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn stops_gracefully_on_sigint() {
    let data = tempfile::tempdir().unwrap();
    let mut server = server_command(&data).start();
    server.signal("-INT");
    assert!(server.wait().success());
}

#[tokio::test]
async fn settings_come_from_the_environment_too() {
    let data = tempfile::tempdir().unwrap();
    let server = ServerProcess::builder(BINARY)
        .env("MESH_LISTEN", "127.0.0.1:0")
        .env("MESH_DATA_DIR", data.path().join("nested"))
        .env("MESH_SESSION_TIMEOUT", "2s")
        .env("MESH_MAX_SESSIONS", "1")
        .env("RUST_LOG", "warn")
        .start();
    assert!(data.path().join("nested").is_dir());

    let mut client = SessionServiceClient::connect(format!("http://{}", server.address()))
        .await
        .unwrap();
    let id = client
        .start_session(())
        .await
        .unwrap()
        .into_inner()
        .session_id
        .unwrap();
    let expires_in = client
        .extend_session(id)
        .await
        .unwrap()
        .into_inner()
        .expires_in
        .unwrap();
    assert_eq!((expires_in.seconds, expires_in.nanos), (2, 0));
    let status = client.start_session(()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
}

#[test]
fn bad_settings_are_refused_with_a_clear_message() {
    for (args, expected) in [
        (vec!["--session-timeout", "soon"], "--session-timeout"),
        (vec!["--session-timeout", "0s"], "longer than zero"),
        (vec!["--max-sessions", "0"], "--max-sessions"),
        (vec!["--max-connections", "0"], "--max-connections"),
        (
            vec!["--max-concurrent-streams", "0"],
            "--max-concurrent-streams",
        ),
        (vec!["--handshake-timeout", "0s"], "longer than zero"),
        (vec!["--idle-timeout", "never"], "--idle-timeout"),
        (
            vec!["--listen", "not-an-address"],
            "cannot listen on not-an-address",
        ),
    ] {
        let data = tempfile::tempdir().unwrap();
        assert_refused(
            Command::new(BINARY)
                .args(&args)
                .arg("--data-dir")
                .arg(data.path()),
            &args,
            expected,
        );
    }
}

#[tokio::test]
async fn connection_settings_come_from_the_environment_too() {
    let data = tempfile::tempdir().unwrap();
    let server = server_command(&data)
        .env("MESH_MAX_CONCURRENT_STREAMS", "7")
        .start();
    let tcp = tokio::net::TcpStream::connect(server.address())
        .await
        .unwrap();
    let (send, connection) = h2::client::handshake(tcp).await.unwrap();
    let connection = tokio::spawn(connection);
    // Once a call is answered, the server's SETTINGS have arrived.
    let request = tonic::codegen::http::Request::builder()
        .method("POST")
        .uri("http://localhost/volue.mesh.grpc.config.v1alpha.ConfigurationService/GetVersion")
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    let mut send = send.ready().await.unwrap();
    let (answer, mut body) = send.send_request(request, false).unwrap();
    body.send_data(vec![0u8; 5].into(), true).unwrap();
    answer.await.unwrap();
    assert_eq!(send.current_max_send_streams(), 7);
    connection.abort();
}

/// The binary raises its soft limit of open files to the hard limit, so
/// that a server started with the common soft limit of 1,024 is not out of
/// descriptors at a thousand connections.
#[test]
fn the_soft_open_files_limit_is_raised_to_the_hard_limit() {
    let data = tempfile::tempdir().unwrap();
    // The shell lowers the soft limit, then becomes the server (same pid).
    let server = ServerProcess::builder("sh")
        .args(["-c", r#"ulimit -S -n 256 && exec "$0" "$@""#, BINARY])
        .local(data.path())
        .env("RUST_LOG", "warn")
        .start();
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let open_files = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("a Max open files line");
    let numbers: Vec<&str> = open_files.split_whitespace().skip(3).take(2).collect();
    let [soft, hard] = numbers.as_slice() else {
        panic!("unexpected line {open_files:?}");
    };
    assert_eq!(soft, hard, "{open_files}");
}

/// Under a low open-files limit, the server takes no more connections than
/// the limit leaves room for, so it never runs out of descriptors (which
/// used to make it spin on a failing accept, and lock everyone out): a
/// crowd of silent connections is dropped in turn, and a real client
/// behind them is served.
#[tokio::test]
async fn a_low_open_files_limit_lowers_the_connection_limit_instead_of_running_out() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("server.log");
    let server = ServerProcess::builder("sh")
        .args(["-c", r#"ulimit -n 96 && exec "$0" "$@""#, BINARY])
        .local(data.path().join("data"))
        .args(["--handshake-timeout", "300ms"])
        .env("RUST_LOG", "warn")
        .log_to(&log)
        .start();
    // More silent connections than the server has descriptors.
    let mut silent = Vec::new();
    for _ in 0..120 {
        silent.push(
            tokio::net::TcpStream::connect(server.address())
                .await
                .unwrap(),
        );
    }
    let mut client =
        mesh_proto::config::configuration_service_client::ConfigurationServiceClient::connect(
            format!("http://{}", server.address()),
        )
        .await
        .unwrap();
    let answered = tokio::time::timeout(std::time::Duration::from_secs(60), client.get_version(()))
        .await
        .expect("the client behind the crowd is served");
    assert!(answered.is_ok(), "{answered:?}");
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("more than the open-files limit leaves room for"),
        "{log}"
    );
    assert!(!log.contains("accepting a connection failed"), "{log}");
}
