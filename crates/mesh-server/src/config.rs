//! Command-line and environment configuration of `mesh-server`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Every flag can also be set through the environment variable named beside it.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "mesh-server",
    version,
    about = "A server speaking the public Mesh gRPC API"
)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "MESH_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: String,

    /// Directory holding the server's data.
    #[arg(long, env = "MESH_DATA_DIR", default_value = "./mesh-data")]
    pub data_dir: PathBuf,

    /// How long a session may stay idle before the server closes it (e.g. 300ms, 2s, 5m).
    #[arg(long, env = "MESH_SESSION_TIMEOUT", default_value = "5m", value_parser = parse_timeout)]
    pub session_timeout: Duration,

    /// The most sessions that may be open at once; more answer RESOURCE_EXHAUSTED.
    #[arg(long, env = "MESH_MAX_SESSIONS", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_sessions: u64,
}

impl ServerConfig {
    /// A configuration for tests and embedding: loopback, a free port, the given data directory.
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Self {
        ServerConfig {
            listen: "127.0.0.1:0".to_string(),
            data_dir: data_dir.into(),
            session_timeout: Duration::from_secs(300),
            max_sessions: 100_000,
        }
    }
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let timeout = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if timeout.is_zero() {
        return Err("the session timeout must be longer than zero".to_string());
    }
    Ok(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_parse() {
        assert_eq!(parse_timeout("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("5m"), Ok(Duration::from_secs(300)));
        assert!(parse_timeout("0s").is_err());
        assert!(parse_timeout("soon").is_err());
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let config = ServerConfig::try_parse_from(["mesh-server"]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:50051");
        assert_eq!(config.data_dir, PathBuf::from("./mesh-data"));
        assert_eq!(config.session_timeout, Duration::from_secs(300));
        assert_eq!(config.max_sessions, 100_000);
    }

    #[test]
    fn zero_max_sessions_is_refused() {
        assert!(ServerConfig::try_parse_from(["mesh-server", "--max-sessions", "0"]).is_err());
    }
}
