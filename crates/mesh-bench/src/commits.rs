//! `mesh-bench commits`: many sessions writing and committing at once,
//! optionally with the server killed (SIGKILL) and restarted on its data
//! now and then; afterwards every acknowledged commit is checked.
//!
//! Each client owns one hourly series. Round `r` of client `c` replaces
//! the whole window of the series (`--points` hours) with points whose
//! values all encode `r`, in a session of its own, and commits. So after
//! any crash the window must hold the points of exactly one round — never a
//! mix (a commit is atomic) — and that round must be at least the last one
//! the server acknowledged (a commit is durable) and at most the last one
//! sent (nothing invented). The program exits with an error when any series
//! breaks one of these, and prints the throughput it saw either way.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use mesh_proto::types::Guid;
use mesh_timeseries::Point;
use tokio::sync::watch;
use tonic::transport::{Channel, Endpoint};

use crate::data::{utc_ms, Rng};
use crate::server::{ServerArgs, ServerProcess, TempDir};
use crate::tsclient;

/// Every call's deadline: a call to a server that was just killed fails
/// at once; this only bounds a hung one.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Options of `mesh-bench commits`.
#[derive(Args)]
pub struct CommitsArgs {
    /// Concurrent clients, each with its own session and series (1 to 10,000).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    sessions: u64,

    /// Hours each commit rewrites (1 to 100,000).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    points: u64,

    /// How long the clients run, in seconds (1 to 3,600).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    seconds: u64,

    /// Kill the server with SIGKILL at random moments, on average this many
    /// seconds apart, and restart it on the same data (0: never).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=600))]
    kill_every: u64,

    /// Seed of the kill schedule.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// The mesh-server binary to run [default: mesh-server next to mesh-bench].
    #[arg(long)]
    server_bin: Option<PathBuf>,
}

/// What one client knows of its series: the last round the server
/// acknowledged, and the last round it sent at all.
#[derive(Default)]
struct Ledger {
    acknowledged: AtomicU64,
    sent: AtomicU64,
}

/// Counters for the report.
#[derive(Default)]
struct Tally {
    committed: AtomicU64,
    failed: AtomicU64,
}

/// Runs the benchmark; an error when any committed series breaks a promise.
pub async fn run(args: CommitsArgs) -> anyhow::Result<()> {
    let binary = match &args.server_bin {
        Some(path) => path.clone(),
        None => crate::server::default_binary()?,
    };
    crate::print_header(
        "commits",
        &binary,
        &[
            "raw tonic clients; each owns one hourly series and rewrites its window",
            "in a session of its own, then commits; loopback only",
        ],
    );
    let data = TempDir::new("commits")?;
    let server_args = ServerArgs {
        session_timeout: "1m",
        max_sessions: args.sessions * 2 + 16,
        extra: Vec::new(),
    };
    let mut server = ServerProcess::start_in(&binary, data.path(), &server_args).await?;
    let (address, addresses) = watch::channel(server.addr());

    // Create every client's series in one committed session.
    let channel = connect(server.addr()).await?;
    let (unit, _) = tsclient::pick_unit(&channel).await?;
    let setup = tsclient::start_session(&channel).await?;
    let ts = tsclient::ts_client(&channel);
    let mut keys = Vec::with_capacity(args.sessions as usize);
    for client in 0..args.sessions {
        keys.push(tsclient::create_series(&ts, &setup, client, &unit).await?);
    }
    tsclient::commit(&channel, &setup).await?;

    let ledgers: Arc<Vec<Ledger>> =
        Arc::new((0..args.sessions).map(|_| Ledger::default()).collect());
    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for (client, key) in keys.iter().copied().enumerate() {
        let (ledgers, tally, addresses) = (ledgers.clone(), tally.clone(), addresses.clone());
        let points = args.points;
        clients.spawn(async move {
            client_loop(client, key, points, deadline, addresses, &ledgers, &tally).await
        });
    }

    // The killer: SIGKILL at random moments, then a restart on the same data.
    let mut kills = 0u64;
    let mut rng = Rng::new(args.seed);
    if args.kill_every > 0 {
        let mean_ms = args.kill_every * 1000;
        loop {
            let pause = Duration::from_millis(mean_ms / 2 + rng.below(mean_ms));
            if Instant::now() + pause >= deadline {
                break;
            }
            tokio::time::sleep(pause).await;
            server.stop().await?;
            kills += 1;
            server = ServerProcess::start_in(&binary, data.path(), &server_args)
                .await
                .context("the server did not come back after SIGKILL")?;
            address.send_replace(server.addr());
        }
    }
    while let Some(joined) = clients.join_next().await {
        joined.context("a client task failed")??;
    }
    let elapsed = started.elapsed().as_secs_f64();

    // Check after one more crash, so durability is checked on disk too.
    if args.kill_every > 0 {
        server.stop().await?;
        kills += 1;
        server = ServerProcess::start_in(&binary, data.path(), &server_args).await?;
    }
    let violations = check(server.addr(), &keys, args.points, &ledgers).await?;
    server.stop().await?;

    let committed = tally.committed.load(Ordering::Relaxed);
    println!();
    println!(
        "clients {} · {} points per commit · {:.1} s · SIGKILL+restart {kills} times",
        args.sessions, args.points, elapsed
    );
    println!(
        "acknowledged commits: {committed} ({:.0}/s, {:.2} M points/s committed); failed calls (server down): {}",
        committed as f64 / elapsed,
        (committed * args.points) as f64 / elapsed / 1e6,
        tally.failed.load(Ordering::Relaxed)
    );
    println!(
        "checked {} series after the last restart: {} broken",
        keys.len(),
        violations.len()
    );
    for violation in violations.iter().take(20) {
        println!("  {violation}");
    }
    if !violations.is_empty() {
        bail!("{} series broke a promise (listed above)", violations.len());
    }
    Ok(())
}

async fn connect(address: SocketAddr) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(format!("http://{address}"))?
        .connect_timeout(CALL_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .tcp_nodelay(true)
        .connect()
        .await?)
}

/// The round a value belongs to: every point of round `r` carries `r`.
fn round_points(points: u64, round: u64) -> Vec<Point> {
    (0..points)
        .map(|hour| Point::new(utc_ms(hour), 0, round as f64))
        .collect()
}

/// One client: rounds of write + commit until the deadline, reconnecting
/// (to wherever the server is now) after every failure.
async fn client_loop(
    client: usize,
    key: i64,
    points: u64,
    deadline: Instant,
    mut addresses: watch::Receiver<SocketAddr>,
    ledgers: &[Ledger],
    tally: &Tally,
) -> anyhow::Result<()> {
    let ledger = &ledgers[client];
    let mut channel: Option<Channel> = None;
    while Instant::now() < deadline {
        let current = match &channel {
            Some(channel) => channel.clone(),
            None => match connect(latest(&mut addresses)).await {
                Ok(fresh) => {
                    channel = Some(fresh.clone());
                    fresh
                }
                Err(_) => {
                    // Down: wait for the restarted server's address.
                    tally.failed.fetch_add(1, Ordering::Relaxed);
                    let _ = tokio::time::timeout(CALL_TIMEOUT, addresses.changed()).await;
                    continue;
                }
            },
        };
        let round = ledger.sent.load(Ordering::Relaxed) + 1;
        match one_round(&current, key, points, round, ledger).await {
            Ok(()) => {
                ledger.acknowledged.store(round, Ordering::Relaxed);
                tally.committed.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                tally.failed.fetch_add(1, Ordering::Relaxed);
                channel = None;
            }
        }
    }
    Ok(())
}

/// Where the server listens now.
fn latest(addresses: &mut watch::Receiver<SocketAddr>) -> SocketAddr {
    *addresses.borrow_and_update()
}

/// One session: replace the window with round `round`'s points, commit.
async fn one_round(
    channel: &Channel,
    key: i64,
    points: u64,
    round: u64,
    ledger: &Ledger,
) -> anyhow::Result<()> {
    let session: Guid = tsclient::start_session(channel).await?;
    let ts = tsclient::ts_client(channel);
    let window = (utc_ms(0), utc_ms(points));
    tsclient::write_points(&ts, &session, key, window, &round_points(points, round)).await?;
    // From here on the round may land even if we never hear back.
    ledger.sent.store(round, Ordering::Relaxed);
    tsclient::commit(channel, &session).await?;
    // Ending the session is courtesy; its changes are already committed.
    let _ = tsclient::end_session(channel, &session).await;
    Ok(())
}

/// Reads every series back and lists the ones that break a promise.
async fn check(
    address: SocketAddr,
    keys: &[i64],
    points: u64,
    ledgers: &[Ledger],
) -> anyhow::Result<Vec<String>> {
    let channel = connect(address).await?;
    let session = tsclient::start_session(&channel).await?;
    let ts = tsclient::ts_client(&channel);
    let mut violations = Vec::new();
    for (client, &key) in keys.iter().enumerate() {
        let read = tsclient::read(&ts, &session, key, 0, points).await?;
        let acknowledged = ledgers[client].acknowledged.load(Ordering::Relaxed);
        let sent = ledgers[client].sent.load(Ordering::Relaxed);
        let rounds: Vec<u64> = read
            .iter()
            .map(|p| if p.is_missing() { 0 } else { p.value as u64 })
            .collect();
        let first = rounds.first().copied().unwrap_or(0);
        if rounds.iter().any(|&r| r != first) {
            violations.push(format!(
                "series {key}: a mix of rounds {:?} (a commit landed in part)",
                distinct(&rounds)
            ));
        } else if first < acknowledged {
            violations.push(format!(
                "series {key}: holds round {first}, but round {acknowledged} was acknowledged"
            ));
        } else if first > sent {
            violations.push(format!(
                "series {key}: holds round {first}, never sent (last sent {sent})"
            ));
        }
    }
    Ok(violations)
}

fn distinct(rounds: &[u64]) -> Vec<u64> {
    let mut out = rounds.to_vec();
    out.sort_unstable();
    out.dedup();
    out
}
