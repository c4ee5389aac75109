//! A real mesh-server on a real loopback socket, one per test.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use mesh_proto::config::configuration_service_client::ConfigurationServiceClient;
use mesh_proto::session::session_service_client::SessionServiceClient;
use mesh_proto::time_series::timeseries_service_client::TimeseriesServiceClient;
use mesh_proto::types::Guid;
use mesh_server::{RunningServer, ServerConfig};
use tonic::transport::Channel;
use uuid::Uuid;

pub struct TestServer {
    pub server: RunningServer,
    pub address: String,
    _data: tempfile::TempDir,
}

pub async fn start(timeout: Duration, max_sessions: u64) -> TestServer {
    let data = tempfile::tempdir().expect("a temporary directory");
    start_in(data, timeout, max_sessions).await
}

/// A server keeping its data in `data`, which may hold a previous server's.
async fn start_in(data: tempfile::TempDir, timeout: Duration, max_sessions: u64) -> TestServer {
    let mut config = ServerConfig::for_tests(data.path());
    config.session_timeout = timeout;
    config.max_sessions = max_sessions;
    let server = RunningServer::start(config)
        .await
        .expect("the server starts");
    let address = server.local_addr().to_string();
    TestServer {
        server,
        address,
        _data: data,
    }
}

pub async fn start_default() -> TestServer {
    start(Duration::from_secs(300), 100_000).await
}

impl TestServer {
    /// Stops the server gracefully and starts a new one on the same data
    /// directory (on a new port: connect again).
    pub async fn restart(self) -> TestServer {
        let TestServer { server, _data, .. } = self;
        server.stop().await.expect("the server stops cleanly");
        start_in(_data, Duration::from_secs(300), 100_000).await
    }

    /// A plain generated time series client, with no SDK in between and no
    /// limit on the size of answers.
    pub async fn raw_timeseries(&self) -> TimeseriesServiceClient<Channel> {
        TimeseriesServiceClient::connect(self.server.url())
            .await
            .expect("a raw client connects")
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX)
    }

    /// Starts a session with the raw client: nobody extends it.
    pub async fn raw_session(&self) -> Uuid {
        let response = self
            .raw_sessions()
            .await
            .start_session(())
            .await
            .expect("a session starts")
            .into_inner();
        uuid_of(response.session_id)
    }

    /// A plain generated client: no SDK logic, no keep-alive.
    pub async fn raw_sessions(&self) -> SessionServiceClient<Channel> {
        SessionServiceClient::connect(self.server.url())
            .await
            .expect("a raw client connects")
    }

    /// How many sessions the server holds, from its health report; asking
    /// does not touch any session.
    pub async fn open_sessions(&self) -> u64 {
        let mut client = ConfigurationServiceClient::connect(self.server.url())
            .await
            .expect("a raw client connects");
        let health = client
            .get_health_status(())
            .await
            .expect("health status")
            .into_inner();
        open_sessions_in(&health)
    }

    /// Waits (bounded) until the server holds `count` sessions.
    pub async fn wait_for_open_sessions(&self, count: u64) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let open = self.open_sessions().await;
            if open == count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server still holds {open} sessions, expected {count}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The `open_sessions` count of a health report, however the client that
/// asked for it was authenticated.
pub fn open_sessions_in(health: &prost_types::Struct) -> u64 {
    match health
        .fields
        .get("open_sessions")
        .and_then(|v| v.kind.clone())
    {
        Some(prost_types::value::Kind::NumberValue(n)) => n as u64,
        other => panic!("health status has no open_sessions number: {other:?}"),
    }
}

pub fn guid(id: Uuid) -> Guid {
    Guid {
        bytes_le: id.to_bytes_le().to_vec(),
    }
}

pub fn uuid_of(guid: Option<Guid>) -> Uuid {
    let bytes: [u8; 16] = guid.expect("an id").bytes_le.try_into().expect("16 bytes");
    Uuid::from_bytes_le(bytes)
}

/// The reference server's message for a missing session.
pub fn not_found_message(id: Uuid) -> String {
    format!(
        "Session with id {{{}}} not found.",
        id.hyphenated().to_string().to_uppercase()
    )
}
