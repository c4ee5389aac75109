//! `volue.mesh.grpc.config.v1alpha.ConfigurationService`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use mesh_proto::config::configuration_service_server::ConfigurationService;
use mesh_proto::config::VersionInfo;
use prost_types::value::Kind;
use prost_types::{Struct, Value};
use tonic::{Request, Response, Status};

use crate::config::ServerConfig;
use crate::session::SessionManager;

/// The Mesh API level mesh-rs implements, the first part of
/// `VersionInfo.version` (see [`reported_version`]).
///
/// Clients compare this with the oldest server they support (the official
/// Python SDK refuses anything below 2.21.0), so it names the level of the
/// public API whose behaviour we follow, not mesh-rs's own release; that is
/// in `VersionInfo.name`. See docs/decisions.md.
pub const MESH_API_LEVEL: &str = "2.21.0";

/// `VersionInfo.version`: the API level with mesh-rs's own release as the
/// build number, `MAJOR.MINOR.PATCH+BUILD` as clients parse it; 0.1.0 is
/// build 100 (major × 10,000 + minor × 100 + patch).
pub fn reported_version() -> String {
    let part = |text: &str| text.parse::<u64>().unwrap_or(0);
    let build = part(env!("CARGO_PKG_VERSION_MAJOR")) * 10_000
        + part(env!("CARGO_PKG_VERSION_MINOR")) * 100
        + part(env!("CARGO_PKG_VERSION_PATCH"));
    format!("{MESH_API_LEVEL}+{build}")
}

/// Metadata key under which clients announce their own version.
pub const CLIENT_VERSION_HEADER: &str = "x-volue-mesh-client-version";

pub struct ConfigurationApi {
    config: ServerConfig,
    sessions: Arc<SessionManager>,
    started: Instant,
}

impl ConfigurationApi {
    pub fn new(config: ServerConfig, sessions: Arc<SessionManager>) -> Self {
        ConfigurationApi {
            config,
            sessions,
            started: Instant::now(),
        }
    }
}

pub fn server_name() -> String {
    format!("mesh-rs server {}", env!("CARGO_PKG_VERSION"))
}

fn text(value: impl Into<String>) -> Value {
    Value {
        kind: Some(Kind::StringValue(value.into())),
    }
}

fn number(value: f64) -> Value {
    Value {
        kind: Some(Kind::NumberValue(value)),
    }
}

fn structure(fields: impl IntoIterator<Item = (&'static str, Value)>) -> Struct {
    Struct {
        fields: fields
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect::<BTreeMap<_, _>>(),
    }
}

#[tonic::async_trait]
impl ConfigurationService for ConfigurationApi {
    async fn get_version(&self, request: Request<()>) -> Result<Response<VersionInfo>, Status> {
        let client_version = request
            .metadata()
            .get(CLIENT_VERSION_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("not given");
        tracing::info!(client_version, "client asked for the server version");
        Ok(Response::new(VersionInfo {
            version: reported_version(),
            name: server_name(),
        }))
    }

    async fn get_health_status(&self, _request: Request<()>) -> Result<Response<Struct>, Status> {
        Ok(Response::new(structure([
            ("status", text("SERVING")),
            (
                "open_sessions",
                number(self.sessions.open_sessions() as f64),
            ),
            (
                "uptime_seconds",
                number(self.started.elapsed().as_secs_f64()),
            ),
        ])))
    }

    async fn get_configuration(&self, _request: Request<()>) -> Result<Response<Struct>, Status> {
        let config = &self.config;
        Ok(Response::new(structure([
            ("listen", text(config.listen.clone())),
            ("data_dir", text(config.data_dir.display().to_string())),
            (
                "session_timeout",
                text(humantime::format_duration(config.session_timeout).to_string()),
            ),
            ("max_sessions", number(config.max_sessions as f64)),
        ])))
    }
}
