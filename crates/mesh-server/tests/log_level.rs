//! `ConfigurationService.GetLogLevel` and `UpdateLogLevel` on the real
//! binary: the level reported, and the log lines it lets through, before
//! and after a change.

use std::path::Path;
use std::time::{Duration, Instant};

use mesh_proto::config::configuration_service_client::ConfigurationServiceClient;
use mesh_proto::config::UpdateLogLevelRequest;
use mesh_proto::session::session_service_client::SessionServiceClient;
use mesh_proto::types::LogLevel;
use mesh_testkit::process::{ServerBuilder, ServerProcess};
use tonic::transport::Channel;

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");

/// How long a log line may take to show up in the file.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);

fn server(data: &tempfile::TempDir) -> ServerBuilder {
    ServerProcess::builder(BINARY)
        .local(data.path())
        .log_to(data.path().join("server.log"))
}

fn log(data: &tempfile::TempDir) -> String {
    std::fs::read_to_string(data.path().join("server.log")).unwrap_or_default()
}

/// Waits until the log file has a line containing `needle`, polling; panics
/// with the log after `LOG_TIMEOUT`.
async fn await_line(path: &Path, needle: &str) {
    let deadline = Instant::now() + LOG_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().any(|line| line.contains(needle)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no log line with {needle:?} within {LOG_TIMEOUT:?}; the log:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn clients(
    server: &ServerProcess,
) -> (
    ConfigurationServiceClient<Channel>,
    SessionServiceClient<Channel>,
) {
    let url = format!("http://{}", server.address());
    (
        ConfigurationServiceClient::connect(url.clone())
            .await
            .unwrap(),
        SessionServiceClient::connect(url).await.unwrap(),
    )
}

async fn level(config: &mut ConfigurationServiceClient<Channel>) -> LogLevel {
    let number = config
        .get_log_level(())
        .await
        .unwrap()
        .into_inner()
        .log_level;
    LogLevel::try_from(number).expect("a LogLevel")
}

/// Opens a session and commits it; the server logs `committed` at DEBUG.
async fn commit(sessions: &mut SessionServiceClient<Channel>) {
    let id = sessions
        .start_session(())
        .await
        .unwrap()
        .into_inner()
        .session_id
        .unwrap();
    sessions.commit(id).await.unwrap();
}

#[tokio::test]
async fn info_by_default_and_debug_lines_only_after_update_to_debug() {
    let data = tempfile::tempdir().unwrap();
    let log_file = data.path().join("server.log");
    let server = server(&data).env_remove("RUST_LOG").start();
    let (mut config, mut sessions) = clients(&server).await;

    assert_eq!(level(&mut config).await, LogLevel::Info);

    // At INFO the commit's DEBUG line is filtered out. The INFO line of
    // GetVersion, logged after it, shows the log has caught up.
    commit(&mut sessions).await;
    config.get_version(()).await.unwrap();
    await_line(&log_file, "client asked for the server version").await;
    assert!(
        !log(&data).contains("committed"),
        "a DEBUG line at INFO:\n{}",
        log(&data)
    );

    config
        .update_log_level(UpdateLogLevelRequest {
            new_log_level: LogLevel::Debug as i32,
        })
        .await
        .unwrap();
    assert_eq!(level(&mut config).await, LogLevel::Debug);
    await_line(&log_file, "log level changed by UpdateLogLevel").await;

    commit(&mut sessions).await;
    await_line(&log_file, "committed").await;

    // And back: no more DEBUG lines.
    config
        .update_log_level(UpdateLogLevelRequest {
            new_log_level: LogLevel::Warn as i32,
        })
        .await
        .unwrap();
    assert_eq!(level(&mut config).await, LogLevel::Warn);
    let committed_lines = |text: String| text.matches("committed").count();
    let before = committed_lines(log(&data));
    commit(&mut sessions).await;
    config.get_version(()).await.unwrap();
    assert_eq!(committed_lines(log(&data)), before, "{}", log(&data));
}

#[tokio::test]
async fn a_composite_filter_reports_its_most_verbose_level_until_replaced() {
    let data = tempfile::tempdir().unwrap();
    let server = server(&data)
        .env("RUST_LOG", "mesh_server=debug,h2=warn")
        .start();
    let (mut config, _) = clients(&server).await;

    assert_eq!(level(&mut config).await, LogLevel::Debug);
    config
        .update_log_level(UpdateLogLevelRequest {
            new_log_level: LogLevel::Err as i32,
        })
        .await
        .unwrap();
    assert_eq!(level(&mut config).await, LogLevel::Err);
}

#[tokio::test]
async fn a_number_that_is_no_level_is_an_invalid_argument() {
    let data = tempfile::tempdir().unwrap();
    let server = server(&data).env("RUST_LOG", "warn").start();
    let (mut config, _) = clients(&server).await;

    let status = config
        .update_log_level(UpdateLogLevelRequest { new_log_level: 6 })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("new_log_level 6"),
        "{}",
        status.message()
    );
    // Nothing changed.
    assert_eq!(level(&mut config).await, LogLevel::Warn);
}

#[tokio::test]
async fn an_embedded_server_does_not_control_the_log() {
    let data = tempfile::tempdir().unwrap();
    let server =
        mesh_server::RunningServer::start(mesh_server::ServerConfig::for_tests(data.path()))
            .await
            .unwrap();
    let mut config = ConfigurationServiceClient::connect(server.url())
        .await
        .unwrap();
    let status = config.get_log_level(()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let status = config
        .update_log_level(UpdateLogLevelRequest {
            new_log_level: LogLevel::Debug as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(
        status.message().contains("embedded"),
        "{}",
        status.message()
    );
}

/// Polls GetLogLevel until it answers `wanted`; panics after `LOG_TIMEOUT`.
async fn await_level(config: &mut ConfigurationServiceClient<Channel>, wanted: LogLevel) {
    let deadline = Instant::now() + LOG_TIMEOUT;
    loop {
        let now = level(config).await;
        if now == wanted {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the level is {now:?}, not {wanted:?}, after {LOG_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_raised_level_returns_to_the_start_up_filter_after_the_revert_time() {
    let data = tempfile::tempdir().unwrap();
    let log_file = data.path().join("server.log");
    let server = server(&data)
        .env("RUST_LOG", "info")
        .env("MESH_LOG_LEVEL_REVERT_AFTER", "300ms")
        .start();
    let (mut config, _) = clients(&server).await;
    // An empty request: the enum's default, TRACE.
    config
        .update_log_level(UpdateLogLevelRequest::default())
        .await
        .unwrap();
    await_line(&log_file, "log level changed by UpdateLogLevel").await;
    await_level(&mut config, LogLevel::Info).await;
    await_line(&log_file, "log level returned to the start-up filter").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_past_the_rate_limit_are_dropped_and_counted() {
    const RATE: f64 = 50.0;
    const BURST: f64 = 100.0;
    let data = tempfile::tempdir().unwrap();
    let started = Instant::now();
    // At TRACE every call logs dozens of lines (h2, hyper, tonic, ours).
    let server = server(&data)
        .env("RUST_LOG", "trace")
        .env("MESH_LOG_RATE_LIMIT", "50")
        .env("MESH_LOG_BURST", "100")
        .start();
    let (mut config, _) = clients(&server).await;
    for _ in 0..300 {
        config.get_version(()).await.unwrap();
    }
    // At any moment the log holds at most what the limit lets through...
    let within_bound = |text: &str| {
        let elapsed = started.elapsed().as_secs_f64();
        let lines = text.lines().count() as f64;
        let bound = BURST + RATE * elapsed;
        assert!(
            lines <= bound,
            "{lines} log lines in {elapsed:.1} s, more than {BURST} + {RATE}/s allow ({bound:.0})"
        );
        eprintln!("{lines} log lines in {elapsed:.2} s (bound {bound:.0})");
    };
    within_bound(&log(&data));
    // ...and, once lines are let through again, the notice of those dropped.
    let deadline = Instant::now() + LOG_TIMEOUT;
    while !log(&data).contains("log lines dropped") {
        within_bound(&log(&data));
        assert!(
            Instant::now() < deadline,
            "no dropped-lines notice within {LOG_TIMEOUT:?}; {} lines",
            log(&data).lines().count()
        );
        config.get_version(()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = log(&data);
    within_bound(&text);
    let dropped: u64 = text
        .lines()
        .filter(|line| line.contains(" log lines dropped"))
        .filter_map(|line| {
            let before = line.split(" log lines dropped").next()?;
            before.rsplit(' ').next()?.parse::<u64>().ok()
        })
        .sum();
    assert!(dropped > 0, "{text}");
}
