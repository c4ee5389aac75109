//! `volue.mesh.grpc.config.v1alpha.ConfigurationService`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use mesh_proto::config::configuration_service_server::ConfigurationService;
use mesh_proto::config::{
    GetLogLevelResponse, UpdateLogLevelRequest, UpdateLogLevelResponse, VersionInfo,
};
use mesh_proto::types::LogLevel as ProtoLogLevel;
use prost_types::value::Kind;
use prost_types::{Struct, Value};
use tonic::{Request, Response, Status};

use crate::config::ServerConfig;
use crate::log_level::{LogControl, LogLevel};
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
    log_control: Option<LogControl>,
}

impl ConfigurationApi {
    /// `log_control` is the filter of the process's log output, when this
    /// server owns it (the `mesh-server` binary); without it the log-level
    /// calls answer FAILED_PRECONDITION.
    pub fn new(
        config: ServerConfig,
        sessions: Arc<SessionManager>,
        log_control: Option<LogControl>,
    ) -> Self {
        ConfigurationApi {
            config,
            sessions,
            started: Instant::now(),
            log_control,
        }
    }

    fn log_control(&self) -> Result<&LogControl, Status> {
        self.log_control.as_ref().ok_or_else(|| {
            Status::failed_precondition("this server does not control its log output (embedded)")
        })
    }
}

/// `volue.mesh.grpc.type.LogLevel` as the server's level.
pub fn from_proto_level(level: ProtoLogLevel) -> LogLevel {
    match level {
        ProtoLogLevel::Trace => LogLevel::Trace,
        ProtoLogLevel::Debug => LogLevel::Debug,
        ProtoLogLevel::Info => LogLevel::Info,
        ProtoLogLevel::Warn => LogLevel::Warn,
        ProtoLogLevel::Err => LogLevel::Error,
        ProtoLogLevel::Off => LogLevel::Off,
    }
}

/// The server's level as `volue.mesh.grpc.type.LogLevel`.
pub fn to_proto_level(level: LogLevel) -> ProtoLogLevel {
    match level {
        LogLevel::Trace => ProtoLogLevel::Trace,
        LogLevel::Debug => ProtoLogLevel::Debug,
        LogLevel::Info => ProtoLogLevel::Info,
        LogLevel::Warn => ProtoLogLevel::Warn,
        LogLevel::Error => ProtoLogLevel::Err,
        LogLevel::Off => ProtoLogLevel::Off,
    }
}

/// The level a request names, or INVALID_ARGUMENT naming the number.
fn requested_level(number: i32) -> Result<LogLevel, Status> {
    ProtoLogLevel::try_from(number)
        .map(from_proto_level)
        .map_err(|_| {
            Status::invalid_argument(format!(
                "new_log_level {number} is not a log level \
                 (TRACE = 0, DEBUG = 1, INFO = 2, WARN = 3, ERR = 4, OFF = 5)"
            ))
        })
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

    /// The level now in force. When the server was started with a
    /// `RUST_LOG` that is not one plain level (`mesh_server=debug,h2=warn`),
    /// the most verbose level among its directives (here DEBUG); see
    /// [`LogControl::current`].
    async fn get_log_level(
        &self,
        _request: Request<()>,
    ) -> Result<Response<GetLogLevelResponse>, Status> {
        let level = self
            .log_control()?
            .current()
            .map_err(|error| Status::internal(error.to_string()))?;
        Ok(Response::new(GetLogLevelResponse {
            log_level: to_proto_level(level) as i32,
        }))
    }

    /// Replaces the whole log filter, including any per-target directives
    /// `RUST_LOG` gave, with the one level asked for, until
    /// `--log-level-revert-after` has passed (unless that is 0). An empty
    /// request asks for TRACE, the enum's first value: the wire says
    /// nothing else, and clients send the level explicitly.
    async fn update_log_level(
        &self,
        request: Request<UpdateLogLevelRequest>,
    ) -> Result<Response<UpdateLogLevelResponse>, Status> {
        let level = requested_level(request.get_ref().new_log_level)?;
        let control = self.log_control()?;
        let before = control.current().ok();
        let revert_after =
            Some(self.config.log_level_revert_after).filter(|after| !after.is_zero());
        control
            .set_for(level, revert_after)
            .map_err(|error| Status::internal(error.to_string()))?;
        // Logged at WARN so that it shows under any level but OFF.
        tracing::warn!(
            ?before,
            now = ?level,
            reverts_after = %revert_after.map_or("never".to_string(), |after| humantime::format_duration(after).to_string()),
            "log level changed by UpdateLogLevel"
        );
        Ok(Response::new(UpdateLogLevelResponse {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_proto_level_maps_to_its_own_level_and_back() {
        for (proto, level) in [
            (ProtoLogLevel::Trace, LogLevel::Trace),
            (ProtoLogLevel::Debug, LogLevel::Debug),
            (ProtoLogLevel::Info, LogLevel::Info),
            (ProtoLogLevel::Warn, LogLevel::Warn),
            (ProtoLogLevel::Err, LogLevel::Error),
            (ProtoLogLevel::Off, LogLevel::Off),
        ] {
            assert_eq!(from_proto_level(proto), level);
            assert_eq!(to_proto_level(level), proto);
        }
    }

    #[test]
    fn the_wire_numbers_are_those_of_the_api() {
        for (number, level) in [
            (0, LogLevel::Trace),
            (1, LogLevel::Debug),
            (2, LogLevel::Info),
            (3, LogLevel::Warn),
            (4, LogLevel::Error),
            (5, LogLevel::Off),
        ] {
            assert_eq!(requested_level(number).unwrap(), level);
            assert_eq!(to_proto_level(level) as i32, number);
        }
    }

    #[test]
    fn a_number_outside_the_enum_is_an_invalid_argument_naming_it() {
        for number in [6, -1, i32::MAX] {
            let status = requested_level(number).unwrap_err();
            assert_eq!(status.code(), tonic::Code::InvalidArgument);
            assert!(
                status.message().contains(&number.to_string()),
                "{}",
                status.message()
            );
        }
    }
}
