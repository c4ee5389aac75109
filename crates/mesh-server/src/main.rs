use anyhow::Context;
use clap::Parser;
use mesh_server::log_level::LogControl;
use mesh_server::log_rate::LogRate;
use mesh_server::{open_files, server, ServerConfig};
use tokio::signal::unix::{signal, SignalKind};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = ServerConfig::parse();
    // RUST_LOG (default `info`), changeable while serving through
    // ConfigurationService.UpdateLogLevel; at most --log-rate-limit lines/s.
    let log_control = LogControl::install_stderr(LogRate {
        per_second: config.log_rate_limit,
        burst: config.log_burst,
    });
    // Each connection is a file descriptor; the soft limit many systems
    // start programs with (1,024) is far below what a server needs.
    match open_files::raise_to_hard_limit() {
        Ok(Some(limit)) => tracing::info!(open_files_limit = limit, "open-files limit"),
        Ok(None) => tracing::info!("open-files limit: none"),
        Err(error) => tracing::warn!(%error, "cannot raise the open-files limit; keeping it"),
    }
    match run(config, log_control).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mesh-server: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: ServerConfig, log_control: LogControl) -> anyhow::Result<()> {
    let prepared = server::prepare(config).await?.with_log_control(log_control);
    // Before announcing readiness: a signal sent right after the announcement
    // must be handled, not kill the process.
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
    let certificate = prepared.certificate();
    let shutdown = async move {
        loop {
            tokio::select! {
                _ = interrupt.recv() => break tracing::info!("SIGINT received, shutting down"),
                _ = terminate.recv() => break tracing::info!("SIGTERM received, shutting down"),
                _ = hangup.recv() => match &certificate {
                    // New handshakes get the new certificate; established
                    // connections keep theirs.
                    Some(certificate) => match certificate.reload() {
                        Ok(()) => tracing::info!("SIGHUP: TLS certificate and key reloaded"),
                        Err(error) => tracing::error!("SIGHUP: keeping the old TLS certificate: {error:#}"),
                    },
                    None => tracing::info!("SIGHUP: no TLS configured, nothing to reload"),
                },
            }
        }
    };
    // Tests and scripts read this exact line to learn the bound port.
    println!("listening on {}", prepared.local_addr()?);
    server::serve(prepared, shutdown).await
}
