//! mesh-bench: measures the real `mesh-server` binary over loopback and
//! prints figures. It never asserts on timings: the numbers depend on the
//! machine, and are meant to be read and quoted with the facts printed
//! beside them.
//!
//! ```text
//! cargo build --release -p mesh-server -p mesh-bench
//! cargo run --release -p mesh-bench -- sessions [--seconds S] [--idle-sessions N]
//! cargo run --release -p mesh-bench -- timeseries [--scale F] [--store-points N] [--seconds S]
//! cargo run --release -p mesh-bench -- commits [--sessions N] [--points P] [--seconds S] [--kill-every S]
//! cargo run --release -p mesh-bench -- streams [--connections N] [--streams N] [--limits L,...]
//! cargo run --release -p mesh-bench -- model [--objects N] [--areas A] [--sessions S] [--updates U]
//! cargo run --release -p mesh-bench -- calc [--series N] [--repeat R]
//! cargo run --release -p mesh-bench -- history [--repeat R] [--samples N] [--series N]
//! ```
//!
//! The server binary must be built first, in the same profile: mesh-bench
//! looks for `mesh-server` in its own directory (or takes `--server-bin`).

mod calc;
mod commits;
mod data;
mod disk;
mod history;
mod load;
mod machine;
mod measure;
mod model;
mod relations;
mod server;
mod streams;
mod timeseries;
mod tsclient;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::load::{Measured, Workload};
use crate::server::{ServerArgs, ServerProcess};

/// The allocator of the in-process figures (the engine's): one that keeps
/// freed blocks for reuse. glibc's unmaps every block above 32 MiB when it
/// is freed, so each evaluation of a large series faults its result's
/// pages in again; `--features system-allocator` measures that.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The allocator the figures were measured under, for the header.
const ALLOCATOR_NAME: &str = if cfg!(feature = "system-allocator") {
    "the system allocator"
} else {
    "mimalloc"
};

/// More connections than cores buys nothing on a small machine, but more
/// than one lets the server's worker threads share the connection work, and
/// keeps 256 clients below HTTP/2's per-connection stream limits.
const MAX_CHANNELS: usize = 4;

/// Calls in flight while opening or closing the idle sessions: enough to be
/// quick, few enough that per-stream buffers do not dominate the baseline.
const BULK_IN_FLIGHT: usize = 64;

/// Long enough that no idle session expires while memory is being read.
const SESSION_TIMEOUT: &str = "30m";

/// Sessions opened and closed on the memory server before its baseline is
/// read, so one-time costs (connection buffers, lazily built state) are in
/// the baseline rather than in the per-session figure.
const MEMORY_WARMUP_SESSIONS: u64 = 1_000;

#[derive(Parser)]
#[command(
    name = "mesh-bench",
    about = "Benchmarks of mesh-server over loopback; prints figures, asserts nothing"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Session open/close rate and latency against a no-op call, and memory per idle session.
    Sessions(SessionsArgs),
    /// Committed write and read throughput of hourly series, one-week read latency in a large
    /// store, and bytes on disk per point.
    Timeseries(timeseries::TimeseriesArgs),
    /// Many sessions writing and committing at once, optionally with SIGKILL and restart;
    /// checks every acknowledged commit afterwards (exits with an error if one is lost).
    Commits(commits::CommitsArgs),
    /// Server memory with many never-finishing HTTP/2 streams open, after they are reset, and
    /// after their connections close, with and without a limit on concurrent streams.
    Streams(streams::StreamsArgs),
    /// A model of many objects: build and commit rate, GetObject by path and SearchObjects by
    /// type, server memory per object, and the time a restarted server takes to answer.
    Model(model::ModelArgs),
    /// A model of plants and rivers joined by link relations: a one-week read through a time
    /// series attribute's path or id against the same read by key, and searches that follow
    /// links across the whole model.
    Relations(relations::RelationsArgs),
    /// Calculations: TRANSFORM of ten years, a sum over series a search finds, a calculated
    /// attribute, each against reading its input points; and the engine alone in process.
    Calc(calc::CalcArgs),
    /// Kept history: bytes on disk of a year written in 365 overlapping daily commits against
    /// one commit and 365 non-overlapping ones, the current read of the first two, and as-of
    /// reads of a week at a past commit time.
    History(history::HistoryArgs),
}

#[derive(Args)]
struct SessionsArgs {
    /// Measured seconds per row (0.1 to 60; the cap bounds the latency samples kept in memory).
    #[arg(long, default_value = "3", value_parser = parse_seconds)]
    seconds: Duration,

    /// Warm-up seconds before each row (0 to 10).
    #[arg(long, default_value = "0.5", value_parser = parse_warmup)]
    warmup: Duration,

    /// Idle sessions to open for the memory figure.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    idle_sessions: u64,

    /// Numbers of concurrent clients, one pair of rows each.
    #[arg(long, value_delimiter = ',', default_value = "1,16,256",
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    clients: Vec<u64>,

    /// The mesh-server binary to run [default: mesh-server next to mesh-bench].
    #[arg(long)]
    server_bin: Option<PathBuf>,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    parse_bounded_seconds(text, 0.1, 60.0)
}

fn parse_warmup(text: &str) -> Result<Duration, String> {
    parse_bounded_seconds(text, 0.0, 10.0)
}

fn parse_bounded_seconds(text: &str, min: f64, max: f64) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(min..=max).contains(&seconds) {
        return Err(format!("must be between {min} and {max} seconds"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Returning (rather than exiting) on a signal lets the server child be
    // dropped, and so killed, on this path too.
    let outcome = tokio::select! {
        outcome = run(cli) => outcome,
        signal = interrupted() => Err(anyhow::anyhow!("stopped by {signal}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mesh-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn interrupted() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Sessions(args) => sessions(args).await,
        Command::Timeseries(args) => timeseries::run(args).await,
        Command::Commits(args) => commits::run(args).await,
        Command::Streams(args) => streams::run(args).await,
        Command::Model(args) => model::run(args).await,
        Command::Relations(args) => relations::run(args).await,
        Command::Calc(args) => calc::run(args).await,
        Command::History(args) => history::run(args).await,
    }
}

async fn sessions(args: SessionsArgs) -> anyhow::Result<()> {
    let began = Instant::now();
    let binary = match &args.server_bin {
        Some(path) => path.clone(),
        None => server::default_binary()?,
    };
    print_header(
        "sessions",
        &binary,
        &[
            "raw tonic SessionServiceClient / ConfigurationServiceClient, not the mesh SDK,",
            "so no SDK keep-alive calls add load; closed loop (each client waits for",
            "its answer); bench and server share the machine's cores; loopback only",
        ],
    );

    let max_clients = args.clients.iter().copied().max().unwrap_or(1);
    timed_rows(&args, &binary, max_clients).await?;
    idle_memory(&args, &binary).await?;

    println!();
    println!("total run time: {:.1} s", began.elapsed().as_secs_f64());
    Ok(())
}

/// The facts every report starts with; `clients` says how the load is made.
fn print_header(subcommand: &str, binary: &std::path::Path, clients: &[&str]) {
    let facts = machine::facts();
    let command: Vec<String> = std::env::args().collect();
    println!("mesh-bench {subcommand}");
    println!("  command:  {}", command.join(" "));
    println!(
        "  machine:  {} usable cores ({} listed), {}, {} RAM, Linux {}",
        facts.usable_cores, facts.listed_cpus, facts.cpu_model, facts.mem_total, facts.kernel
    );
    println!("  load avg: {} (at start)", facts.load);
    let profile = if cfg!(debug_assertions) {
        "debug (figures not representative; use --release)"
    } else {
        "release"
    };
    println!("  build:    {profile}, clients and engine under {ALLOCATOR_NAME}");
    println!("  server:   {}", binary.display());
    for (i, line) in clients.iter().enumerate() {
        let label = if i == 0 { "clients:" } else { "" };
        println!("  {label:<9} {line}");
    }
}

/// The throughput and latency rows, all on one server.
async fn timed_rows(
    args: &SessionsArgs,
    binary: &std::path::Path,
    max_clients: u64,
) -> anyhow::Result<()> {
    let server = ServerProcess::start(
        binary,
        "rate",
        &ServerArgs {
            session_timeout: SESSION_TIMEOUT,
            // Closed-loop clients hold at most one session each.
            max_sessions: max_clients + 1_000,
            extra: Vec::new(),
        },
    )
    .await?;
    let channels = load::connect(server.addr(), MAX_CHANNELS).await?;
    let (name, version) = load::server_version(&channels[0]).await?;

    println!();
    println!("== open+close rate and latency (one server for all rows) ==");
    println!("  server:   {}", server.command_line);
    println!(
        "            pid {}, {}, \"{name}\", API {version}",
        server.pid(),
        server.addr()
    );
    println!(
        "  each row: {:.1} s warm-up, then {:.1} s measured; only calls finishing in the measured window count",
        args.warmup.as_secs_f64(),
        args.seconds.as_secs_f64()
    );
    println!("  no-op floor: ConfigurationService.GetVersion; pair: StartSession then EndSession (2 RPCs)");
    println!();
    println!(
        "  {:>7} {:>5}  {:<22} {:>10} {:>10} {:>10} {:>10} {:>9} {:>6}",
        "clients", "conns", "call", "per sec", "p50", "p99", "max", "p50/floor", "errors"
    );

    for &clients in &args.clients {
        let conns = (clients as usize).min(MAX_CHANNELS);
        let floor = load::run_timed(
            &channels[..conns],
            clients as usize,
            Workload::NoOp,
            args.warmup,
            args.seconds,
        )
        .await?;
        print_row(clients, conns, "GetVersion (floor)", &floor, None);
        let pair = load::run_timed(
            &channels[..conns],
            clients as usize,
            Workload::OpenClose,
            args.warmup,
            args.seconds,
        )
        .await?;
        print_row(clients, conns, "open+close pair", &pair, Some(&floor));
    }
    println!();
    println!("  per sec: GetVersion calls or open+close pairs completed per second, all clients together");
    println!("  p50/floor: a pair's median latency over the no-op call's at the same concurrency");

    drop(channels);
    server.stop().await
}

fn print_row(clients: u64, conns: usize, call: &str, m: &Measured, floor: Option<&Measured>) {
    let ratio = match floor {
        Some(floor) if !floor.p50.is_zero() => {
            format!("{:.2}x", m.p50.as_secs_f64() / floor.p50.as_secs_f64())
        }
        _ => String::new(),
    };
    println!(
        "  {:>7} {:>5}  {:<22} {:>10} {:>10} {:>10} {:>10} {:>9} {:>6}",
        clients,
        conns,
        call,
        thousands(m.ops_per_sec.round() as u64),
        latency(m.p50),
        latency(m.p99),
        latency(m.max),
        ratio,
        m.errors
    );
    if let Some(error) = &m.first_error {
        println!("          first error: {error}");
    }
    if m.ops == 0 {
        println!("          (no call completed in the measured window)");
    }
}

/// Memory per idle session, on a fresh server so that what the rate rows
/// allocated and freed cannot be reused by the sessions and hide their cost.
async fn idle_memory(args: &SessionsArgs, binary: &std::path::Path) -> anyhow::Result<()> {
    let n = args.idle_sessions;
    let server = ServerProcess::start(
        binary,
        "memory",
        &ServerArgs {
            session_timeout: SESSION_TIMEOUT,
            max_sessions: n + MEMORY_WARMUP_SESSIONS + 1_000,
            extra: Vec::new(),
        },
    )
    .await?;
    let channels = load::connect(server.addr(), MAX_CHANNELS).await?;

    println!();
    println!("== memory per idle open session (fresh server) ==");
    println!("  server:   {}", server.command_line);
    println!("            pid {}, {}", server.pid(), server.addr());

    let warm = load::open_many(&channels, MEMORY_WARMUP_SESSIONS, BULK_IN_FLIGHT).await?;
    load::close_all(&channels, warm, BULK_IN_FLIGHT).await?;
    let before = settled_rss(&server).await?;

    let opening = Instant::now();
    let ids = load::open_many(&channels, n, BULK_IN_FLIGHT).await?;
    let open_time = opening.elapsed();
    let after = settled_rss(&server).await?;
    let reported = load::server_open_sessions(&channels[0]).await?;

    let delta = after as i64 - before as i64;
    println!(
        "  opened {} sessions in {:.2} s ({}/s, {BULK_IN_FLIGHT} in flight over {MAX_CHANNELS} connections)",
        thousands(n),
        open_time.as_secs_f64(),
        thousands((n as f64 / open_time.as_secs_f64()).round() as u64)
    );
    println!(
        "  server reports open_sessions = {} (session timeout {SESSION_TIMEOUT}, none expire during the read)",
        thousands(reported)
    );
    println!(
        "  VmRSS before: {}   (after a warm-up of {} open+close)",
        bytes(before as i64),
        thousands(MEMORY_WARMUP_SESSIONS)
    );
    println!("  VmRSS after:  {}", bytes(after as i64));
    println!("  delta:        {}", bytes(delta));
    println!(
        "  per idle session: {:.0} bytes   (delta / {})",
        delta as f64 / n as f64,
        thousands(n)
    );
    if reported != n {
        println!(
            "  NOTE: the server holds {} sessions, not {}: the per-session figure is suspect",
            thousands(reported),
            thousands(n)
        );
    }

    let closing = Instant::now();
    load::close_all(&channels, ids, BULK_IN_FLIGHT).await?;
    let close_time = closing.elapsed();
    let closed = settled_rss(&server).await?;
    let left = load::server_open_sessions(&channels[0]).await?;
    println!(
        "  closed them in {:.2} s; open_sessions = {}, VmRSS after closing: {}",
        close_time.as_secs_f64(),
        thousands(left),
        bytes(closed as i64)
    );
    println!("  (the delta includes the registry's own growth; memory freed on close mostly stays");
    println!("   with the allocator, so VmRSS after closing says little about leaks)");

    drop(channels);
    server.stop().await
}

/// VmRSS after a short pause, so that answers still being written when the
/// last call returned do not count.
async fn settled_rss(server: &ServerProcess) -> anyhow::Result<u64> {
    tokio::time::sleep(Duration::from_millis(200)).await;
    server
        .rss_bytes()
        .context("cannot read the server's memory use")
}

fn latency(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 10_000.0 {
        format!("{micros:.1} µs")
    } else {
        format!("{:.2} ms", micros / 1000.0)
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bytes(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let magnitude = n.unsigned_abs();
    format!(
        "{sign}{:.1} MiB ({sign}{} B)",
        magnitude as f64 / (1024.0 * 1024.0),
        thousands(magnitude)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(latency(Duration::from_micros(75)), "75.0 µs");
        assert_eq!(latency(Duration::from_millis(42)), "42.00 ms");
        assert_eq!(bytes(-2048), "-0.0 MiB (-2,048 B)");
    }

    #[test]
    fn seconds_are_bounded() {
        assert_eq!(parse_seconds("3"), Ok(Duration::from_secs(3)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("61").is_err());
        assert!(parse_seconds("NaN").is_err());
        assert_eq!(parse_warmup("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn command_line_parses() {
        let cli = Cli::try_parse_from(["mesh-bench", "sessions", "--seconds", "1.5"]).unwrap();
        let Command::Sessions(args) = cli.command else {
            panic!("not the sessions command");
        };
        assert_eq!(args.seconds, Duration::from_millis(1500));
        assert_eq!(args.idle_sessions, 100_000);
        assert_eq!(args.clients, vec![1, 16, 256]);
    }

    #[test]
    fn streams_command_line_parses() {
        let cli = Cli::try_parse_from(["mesh-bench", "streams", "--limits", "0,50"]).unwrap();
        let Command::Streams(args) = cli.command else {
            panic!("not the streams command");
        };
        assert_eq!(args.limits, vec![0, 50]);
        assert_eq!(
            (args.connections, args.streams, args.rounds),
            (10, 10_000, 2)
        );
        assert!(Cli::try_parse_from(["mesh-bench", "streams", "--connections", "0"]).is_err());
    }

    #[test]
    fn model_command_line_parses() {
        let cli = Cli::try_parse_from(["mesh-bench", "model", "--objects", "2000"]).unwrap();
        let Command::Model(args) = cli.command else {
            panic!("not the model command");
        };
        assert_eq!(args.objects, 2_000);
        assert_eq!((args.areas, args.sessions, args.updates), (100, 4, 1));
        assert!(Cli::try_parse_from(["mesh-bench", "model", "--updates", "11"]).is_err());
    }

    #[test]
    fn relations_command_line_parses() {
        let cli = Cli::try_parse_from(["mesh-bench", "relations", "--objects", "2000"]).unwrap();
        let Command::Relations(args) = cli.command else {
            panic!("not the relations command");
        };
        assert_eq!((args.objects, args.areas, args.reads), (2_000, 100, 2_000));
        assert!(Cli::try_parse_from(["mesh-bench", "relations", "--objects", "10"]).is_err());
    }

    #[test]
    fn timeseries_command_line_parses() {
        let cli = Cli::try_parse_from(["mesh-bench", "timeseries", "--scale", "0.1"]).unwrap();
        let Command::Timeseries(args) = cli.command else {
            panic!("not the timeseries command");
        };
        assert_eq!(args.scale, 0.1);
        assert_eq!(args.store_points, timeseries::DEFAULT_STORE_POINTS);
        assert_eq!(args.seconds, Duration::from_secs(3));
        assert_eq!(args.clients, vec![1, 4]);
        assert!(Cli::try_parse_from(["mesh-bench", "timeseries", "--scale", "0"]).is_err());
    }
}
