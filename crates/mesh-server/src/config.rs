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

    /// Largest message the server takes in or sends, in bytes. Larger writes
    /// answer RESOURCE_EXHAUSTED; clients must split them.
    #[arg(long, env = "MESH_MAX_MESSAGE_SIZE", default_value_t = 4 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(64 * 1024..=1024 * 1024 * 1024))]
    pub max_message_size: u64,

    /// Memory for the store's page cache, in MiB. It fills as data is used and
    /// stays, bounding the store's share of the server's resident memory.
    #[arg(long, env = "MESH_STORE_CACHE_MB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1024 * 1024))]
    pub store_cache_mb: u64,

    /// HTTP/2 streams (calls in progress) one connection may have open at
    /// once. Advertised to clients in SETTINGS; a stream beyond it is
    /// refused (REFUSED_STREAM), and gRPC clients queue calls instead.
    #[arg(long, env = "MESH_MAX_CONCURRENT_STREAMS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_concurrent_streams: u32,

    /// Connections served at once. Further ones wait, unaccepted, until one
    /// closes. Lowered at start when the open-files limit leaves no room for
    /// this many.
    #[arg(long, env = "MESH_MAX_CONNECTIONS", default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,

    /// Time a new connection has to finish the TLS handshake (with TLS) and
    /// send the HTTP/2 preface; then it is closed.
    #[arg(long, env = "MESH_HANDSHAKE_TIMEOUT", default_value = "10s", value_parser = parse_timeout)]
    pub handshake_timeout: Duration,

    /// A connection with no call in progress for this long is closed
    /// gracefully (GOAWAY); clients connect again when they next call.
    #[arg(long, env = "MESH_IDLE_TIMEOUT", default_value = "5m", value_parser = parse_timeout)]
    pub idle_timeout: Duration,

    /// The server pings a connection it has heard nothing from for this
    /// long (HTTP/2 PING), to find peers that are gone.
    #[arg(long, env = "MESH_KEEPALIVE_INTERVAL", default_value = "60s", value_parser = parse_timeout)]
    pub keepalive_interval: Duration,

    /// A connection whose peer does not answer a keep-alive ping within
    /// this is closed.
    #[arg(long, env = "MESH_KEEPALIVE_TIMEOUT", default_value = "20s", value_parser = parse_timeout)]
    pub keepalive_timeout: Duration,

    /// PEM file with the server's certificate chain; serves TLS with --tls-key.
    /// Both files are re-read on SIGHUP.
    #[arg(long, env = "MESH_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM file with the private key of --tls-cert (RSA or ECDSA).
    #[arg(long, env = "MESH_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// JSON Web Key Set whose keys sign the access tokens this server accepts.
    /// With it, every call but the health check needs `authorization: Bearer <JWT>`.
    #[arg(long, env = "MESH_AUTH_JWKS", requires_all = ["auth_issuer", "auth_audience"])]
    pub auth_jwks: Option<PathBuf>,

    /// The `iss` that access tokens must carry.
    #[arg(long, env = "MESH_AUTH_ISSUER", requires = "auth_jwks")]
    pub auth_issuer: Option<String>,

    /// The `aud` that access tokens must carry.
    #[arg(long, env = "MESH_AUTH_AUDIENCE", requires = "auth_jwks")]
    pub auth_audience: Option<String>,

    /// Tolerated clock difference when checking a token's exp and nbf.
    #[arg(long, env = "MESH_AUTH_CLOCK_SKEW", default_value = "60s", value_parser = humantime::parse_duration)]
    pub auth_clock_skew: Duration,

    /// Serve Prometheus metrics over HTTP on this address, at `/metrics`
    /// (port 0 picks a free port). Off when not given.
    #[arg(long, env = "MESH_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,

    /// Connections the metrics endpoint serves at once; further ones wait,
    /// unaccepted, until one closes. Taken out of the open-files room
    /// before the gRPC port's share (`--max-connections`) is worked out,
    /// so scrapers can never starve gRPC clients of file descriptors.
    #[arg(long, env = "MESH_METRICS_MAX_CONNECTIONS", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub metrics_max_connections: u32,

    /// Time a metrics connection has to send a request's headers, counted
    /// from when it connects or its previous answer was sent: a slow sender
    /// and an idle keep-alive connection are both closed after it.
    #[arg(long, env = "MESH_METRICS_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_timeout)]
    pub metrics_header_timeout: Duration,

    /// Directory under which the admin call `Backup` (`mesh backup`) makes
    /// backups of the store, each a directory of its own. Backups are
    /// refused when not given.
    #[arg(long, env = "MESH_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,

    /// Free space, in MiB, that must remain on the backup directory's file
    /// system after a backup the size of the store file; a backup that
    /// would leave less answers RESOURCE_EXHAUSTED before it starts.
    #[arg(long, env = "MESH_BACKUP_MIN_FREE_MB", default_value_t = 1024)]
    pub backup_min_free_mb: u64,

    /// After an `UpdateLogLevel`, the level returns to the one the server
    /// started with (`RUST_LOG`) this long after; `0` keeps changes until
    /// the next one or a restart.
    #[arg(long, env = "MESH_LOG_LEVEL_REVERT_AFTER", default_value = "15m", value_parser = parse_duration_or_zero)]
    pub log_level_revert_after: Duration,

    /// Log lines written per second at most, on average; lines past it
    /// (beyond --log-burst) are dropped, and one line says how many when
    /// logging resumes. Bounds what any client can make the log grow by.
    #[arg(long, env = "MESH_LOG_RATE_LIMIT", default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub log_rate_limit: u32,

    /// Log lines that may be written at once beyond --log-rate-limit's
    /// average, after a quiet spell (at least 2).
    #[arg(long, env = "MESH_LOG_BURST", default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(2..))]
    pub log_burst: u32,

    /// The IANA time zone calculations call LOCAL (with daylight saving
    /// time); STANDARD, and TRANSFORM without a zone, use its standard
    /// offset all year. The default is the Nordic zone the reference
    /// assumes.
    #[arg(long, env = "MESH_CALC_LOCAL_ZONE", default_value = "Europe/Oslo", value_parser = parse_zone)]
    pub calc_local_zone: chrono_tz::Tz,

    /// Points one calculation may read and make, all values together;
    /// past it the call answers RESOURCE_EXHAUSTED.
    #[arg(long, env = "MESH_CALC_MAX_POINTS", default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub calc_max_points: u64,

    /// How long one calculation may run; past it the call answers
    /// DEADLINE_EXCEEDED.
    #[arg(long, env = "MESH_CALC_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub calc_timeout: Duration,

    /// Accept access tokens over plain connections. For local testing only:
    /// tokens sent in the clear can be stolen.
    #[arg(long, env = "MESH_ALLOW_INSECURE_AUTH")]
    pub allow_insecure_auth: bool,

    /// Keytab file holding the key of --kerberos-service-principal. With
    /// both, clients sign in with Kerberos (AuthenticateKerberos) and get
    /// access tokens from this server.
    #[arg(
        long,
        env = "MESH_KERBEROS_KEYTAB",
        requires = "kerberos_service_principal"
    )]
    pub kerberos_keytab: Option<PathBuf>,

    /// The service principal clients ask tickets for, e.g.
    /// `HTTP/mesh.example.com@EXAMPLE.COM`; its key must be in --kerberos-keytab.
    #[arg(
        long,
        env = "MESH_KERBEROS_SERVICE_PRINCIPAL",
        requires = "kerberos_keytab"
    )]
    pub kerberos_service_principal: Option<String>,

    /// How long the history of series writes is kept (e.g. 90days, 1y):
    /// older commits' writes are pruned, and as-of reads of earlier times
    /// are refused. The current state is never pruned. Default: keep
    /// everything.
    #[arg(long, env = "MESH_HISTORY_RETENTION", value_parser = humantime::parse_duration)]
    pub history_retention: Option<Duration>,

    /// How long an access token issued after a Kerberos sign-in stays valid.
    #[arg(long, env = "MESH_ACCESS_TOKEN_LIFETIME", default_value = "1h", value_parser = parse_timeout)]
    pub access_token_lifetime: Duration,
}

impl ServerConfig {
    /// A configuration for tests and embedding: loopback, a free port, the given data directory.
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Self {
        ServerConfig {
            listen: "127.0.0.1:0".to_string(),
            data_dir: data_dir.into(),
            session_timeout: Duration::from_secs(300),
            max_sessions: 100_000,
            max_message_size: 4 * 1024 * 1024,
            store_cache_mb: 64,
            max_concurrent_streams: 100,
            max_connections: 1_000,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            keepalive_interval: Duration::from_secs(60),
            keepalive_timeout: Duration::from_secs(20),
            tls_cert: None,
            tls_key: None,
            auth_jwks: None,
            auth_issuer: None,
            auth_audience: None,
            auth_clock_skew: Duration::from_secs(60),
            allow_insecure_auth: false,
            metrics_listen: None,
            metrics_max_connections: 64,
            metrics_header_timeout: Duration::from_secs(10),
            backup_dir: None,
            backup_min_free_mb: 1024,
            log_level_revert_after: Duration::from_secs(15 * 60),
            log_rate_limit: 1_000,
            log_burst: 2_000,
            calc_local_zone: chrono_tz::Europe::Oslo,
            calc_max_points: 10_000_000,
            calc_timeout: Duration::from_secs(30),
            kerberos_keytab: None,
            kerberos_service_principal: None,
            access_token_lifetime: Duration::from_secs(3600),
            history_retention: None,
        }
    }
}

/// A human duration (`300ms`, `2s`, `5m`) longer than zero: every duration
/// the server takes is a timeout or an interval, for which zero makes no sense.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let timeout = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if timeout.is_zero() {
        return Err("must be longer than zero".to_string());
    }
    Ok(timeout)
}

/// A human duration, where zero is allowed (and means "never").
/// An IANA zone name, refused with the reason when unknown.
fn parse_zone(text: &str) -> Result<chrono_tz::Tz, String> {
    text.parse::<chrono_tz::Tz>()
        .map_err(|_| format!("'{text}' is not an IANA time zone name (like Europe/Oslo or UTC)"))
}

fn parse_duration_or_zero(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(text).map_err(|e| e.to_string())
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
        assert_eq!(config.max_message_size, 4 * 1024 * 1024);
        assert_eq!(config.store_cache_mb, 1024);
        assert_eq!(config.auth_clock_skew, Duration::from_secs(60));
        assert_eq!(config.access_token_lifetime, Duration::from_secs(3600));
        assert!(config.kerberos_keytab.is_none());
        assert!(config.tls_cert.is_none() && config.auth_jwks.is_none());
    }

    #[test]
    fn connection_defaults_match_the_documented_ones() {
        let config = ServerConfig::try_parse_from(["mesh-server"]).unwrap();
        assert_eq!(config.max_concurrent_streams, 100);
        assert_eq!(config.max_connections, 1_000);
        assert_eq!(config.handshake_timeout, Duration::from_secs(10));
        assert_eq!(config.idle_timeout, Duration::from_secs(300));
        assert_eq!(config.keepalive_interval, Duration::from_secs(60));
        assert_eq!(config.keepalive_timeout, Duration::from_secs(20));
        assert_eq!(config.metrics_max_connections, 64);
        assert_eq!(config.metrics_header_timeout, Duration::from_secs(10));
    }

    #[test]
    fn operations_defaults_match_the_documented_ones_and_the_test_configuration() {
        let config = ServerConfig::try_parse_from(["mesh-server"]).unwrap();
        assert_eq!(config.backup_min_free_mb, 1024);
        assert_eq!(config.log_level_revert_after, Duration::from_secs(900));
        assert_eq!(config.log_rate_limit, 1_000);
        assert_eq!(config.log_burst, 2_000);
        let tests = ServerConfig::for_tests("data");
        assert_eq!(
            tests.metrics_max_connections,
            config.metrics_max_connections
        );
        assert_eq!(tests.metrics_header_timeout, config.metrics_header_timeout);
        assert_eq!(tests.backup_min_free_mb, config.backup_min_free_mb);
        assert_eq!(tests.log_level_revert_after, config.log_level_revert_after);
        for zero in ["0", "0s"] {
            let never =
                ServerConfig::try_parse_from(["mesh-server", "--log-level-revert-after", zero])
                    .unwrap();
            assert!(never.log_level_revert_after.is_zero());
        }
    }

    #[test]
    fn the_test_configuration_has_the_default_connection_settings() {
        let defaults = ServerConfig::try_parse_from(["mesh-server"]).unwrap();
        let tests = ServerConfig::for_tests("data");
        assert_eq!(
            tests.max_concurrent_streams,
            defaults.max_concurrent_streams
        );
        assert_eq!(tests.max_connections, defaults.max_connections);
        assert_eq!(tests.handshake_timeout, defaults.handshake_timeout);
        assert_eq!(tests.idle_timeout, defaults.idle_timeout);
        assert_eq!(tests.keepalive_interval, defaults.keepalive_interval);
        assert_eq!(tests.keepalive_timeout, defaults.keepalive_timeout);
    }

    #[test]
    fn zero_limits_and_durations_are_refused() {
        for (flag, value) in [
            ("--max-concurrent-streams", "0"),
            ("--max-connections", "0"),
            ("--handshake-timeout", "0s"),
            ("--idle-timeout", "0s"),
            ("--keepalive-interval", "0s"),
            ("--keepalive-timeout", "0ms"),
            ("--metrics-max-connections", "0"),
            ("--metrics-header-timeout", "0s"),
            ("--log-rate-limit", "0"),
            ("--log-burst", "0"),
            ("--log-burst", "1"),
        ] {
            assert!(
                ServerConfig::try_parse_from(["mesh-server", flag, value]).is_err(),
                "{flag} {value} was accepted"
            );
        }
    }

    #[test]
    fn zero_max_sessions_is_refused() {
        assert!(ServerConfig::try_parse_from(["mesh-server", "--max-sessions", "0"]).is_err());
    }
}
