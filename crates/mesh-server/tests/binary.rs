//! The `mesh-server` binary as users run it: flags, environment, the
//! `listening on` line, and graceful shutdown on signals.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use mesh_proto::session::session_service_client::SessionServiceClient;

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");

struct ServerProcess {
    child: Child,
    address: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary and reads its one `listening on IP:PORT` line.
fn spawn(command: &mut Command) -> ServerProcess {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mesh-server starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let address = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim_end()
        .to_string();
    ServerProcess { child, address }
}

fn server_command(data: &tempfile::TempDir) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env("RUST_LOG", "warn");
    command
}

fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

// Multi-threaded: the test blocks in `wait()` while the client's connection
// must still answer the server's goodbye.
#[tokio::test(flavor = "multi_thread")]
async fn announces_the_real_port_and_stops_gracefully_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let mut server = spawn(&mut server_command(&data));
    let address: std::net::SocketAddr = server.address.parse().expect("IP:PORT");
    assert_ne!(address.port(), 0);

    let mut client = SessionServiceClient::connect(format!("http://{address}"))
        .await
        .unwrap();
    client.start_session(()).await.unwrap();

    send_signal(&server.child, "-TERM");
    let status = server.child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn stops_gracefully_on_sigint() {
    let data = tempfile::tempdir().unwrap();
    let mut server = spawn(&mut server_command(&data));
    send_signal(&server.child, "-INT");
    assert!(server.child.wait().unwrap().success());
}

#[tokio::test]
async fn settings_come_from_the_environment_too() {
    let data = tempfile::tempdir().unwrap();
    let mut command = Command::new(BINARY);
    command
        .env("MESH_LISTEN", "127.0.0.1:0")
        .env("MESH_DATA_DIR", data.path().join("nested"))
        .env("MESH_SESSION_TIMEOUT", "2s")
        .env("MESH_MAX_SESSIONS", "1")
        .env("RUST_LOG", "warn");
    let server = spawn(&mut command);
    assert!(data.path().join("nested").is_dir());

    let mut client = SessionServiceClient::connect(format!("http://{}", server.address))
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
        (
            vec!["--listen", "not-an-address"],
            "cannot listen on not-an-address",
        ),
    ] {
        let data = tempfile::tempdir().unwrap();
        let output = Command::new(BINARY)
            .args(&args)
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?} announced a port");
    }
}
