//! The load generators: closed-loop clients for the timed rows, and bulk
//! opening/closing of idle sessions for the memory figure.
//!
//! Everything here uses the raw generated tonic clients, not the `mesh`
//! SDK: an SDK session starts a keep-alive task per open session, which
//! would put extra calls on the server while it is being measured.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use mesh_proto::config::configuration_service_client::ConfigurationServiceClient;
use mesh_proto::session::session_service_client::SessionServiceClient;
use mesh_proto::types::Guid;
use tonic::transport::{Channel, Endpoint};

/// A task that keeps failing stops after this many errors instead of
/// spinning until its deadline (e.g. when the server has died).
const MAX_ERRORS_PER_TASK: u64 = 100;

/// One HTTP/2 connection per element; callers spread their tasks over them.
pub async fn connect(addr: SocketAddr, count: usize) -> anyhow::Result<Vec<Channel>> {
    let endpoint = Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(Duration::from_secs(10))
        .tcp_nodelay(true);
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count {
        // `connect` (not `connect_lazy`) so each element is its own
        // connection, established before any timing starts.
        channels.push(
            endpoint
                .connect()
                .await
                .with_context(|| format!("cannot connect to {addr}"))?,
        );
    }
    Ok(channels)
}

/// What a timed row measures.
#[derive(Clone, Copy, Debug)]
pub enum Workload {
    /// `ConfigurationService.GetVersion`: a unary call that touches no
    /// session state, the floor any session call sits on.
    NoOp,
    /// `StartSession` followed by `EndSession` of the same session.
    OpenClose,
}

/// The figures of one timed row.
pub struct Measured {
    /// Operations completed inside the measured window.
    pub ops: u64,
    pub ops_per_sec: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub errors: u64,
    pub first_error: Option<String>,
}

struct TaskOutcome {
    latencies_ns: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

/// Runs `clients` closed-loop tasks (each waits for its answer before the
/// next call) over `channels`: `warmup`, then `measure`. Only operations
/// that finish inside the measured window count, so the connection and
/// allocator warm-up, and the tasks' staggered starts, stay out of the figures.
pub async fn run_timed(
    channels: &[Channel],
    clients: usize,
    workload: Workload,
    warmup: Duration,
    measure: Duration,
) -> anyhow::Result<Measured> {
    let start = Instant::now();
    let measure_from = start + warmup;
    let until = measure_from + measure;
    let mut tasks = Vec::with_capacity(clients);
    for i in 0..clients {
        let channel = channels[i % channels.len()].clone();
        tasks.push(tokio::spawn(client_loop(
            channel,
            workload,
            measure_from,
            until,
        )));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for task in tasks {
        let outcome = task.await.context("a client task panicked")?;
        latencies.extend(outcome.latencies_ns);
        errors += outcome.errors;
        if first_error.is_none() {
            first_error = outcome.first_error;
        }
    }
    latencies.sort_unstable();
    let ops = latencies.len() as u64;
    Ok(Measured {
        ops,
        ops_per_sec: ops as f64 / measure.as_secs_f64(),
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        max: Duration::from_nanos(latencies.last().copied().unwrap_or(0)),
        errors,
        first_error,
    })
}

async fn client_loop(
    channel: Channel,
    workload: Workload,
    measure_from: Instant,
    until: Instant,
) -> TaskOutcome {
    let mut sessions = SessionServiceClient::new(channel.clone());
    let mut config = ConfigurationServiceClient::new(channel);
    let mut outcome = TaskOutcome {
        latencies_ns: Vec::new(),
        errors: 0,
        first_error: None,
    };
    // Failures in the warm-up too, so that a dead server ends the loop early.
    let mut failures = 0;
    // Bounded by the deadline; a call in flight at the deadline finishes
    // but is not counted.
    while Instant::now() < until && failures < MAX_ERRORS_PER_TASK {
        let began = Instant::now();
        let result = match workload {
            Workload::NoOp => config.get_version(()).await.map(drop),
            Workload::OpenClose => open_close(&mut sessions).await,
        };
        let ended = Instant::now();
        failures += u64::from(result.is_err());
        if ended < measure_from || ended > until {
            continue;
        }
        match result {
            Ok(()) => outcome
                .latencies_ns
                .push(ended.duration_since(began).as_nanos() as u64),
            Err(status) => {
                outcome.errors += 1;
                outcome
                    .first_error
                    .get_or_insert_with(|| format!("{}: {}", status.code(), status.message()));
            }
        }
    }
    outcome
}

async fn open_close(client: &mut SessionServiceClient<Channel>) -> Result<(), tonic::Status> {
    let id = start_one(client).await?;
    client.end_session(id).await?;
    Ok(())
}

async fn start_one(client: &mut SessionServiceClient<Channel>) -> Result<Guid, tonic::Status> {
    client
        .start_session(())
        .await?
        .into_inner()
        .session_id
        .ok_or_else(|| tonic::Status::internal("StartSession answered without a session id"))
}

/// Nearest-rank percentile of sorted nanoseconds.
pub fn percentile(sorted_ns: &[u64], pct: f64) -> Duration {
    if sorted_ns.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((pct / 100.0) * sorted_ns.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted_ns.len()) - 1;
    Duration::from_nanos(sorted_ns[index])
}

/// Opens `count` sessions and leaves them open, `in_flight` calls at a
/// time spread over `channels`. Any failure fails the whole step: the
/// memory figure is only meaningful if every session is really open.
pub async fn open_many(
    channels: &[Channel],
    count: u64,
    in_flight: usize,
) -> anyhow::Result<Vec<Guid>> {
    let in_flight = in_flight.max(1) as u64;
    let mut tasks = Vec::new();
    for i in 0..in_flight {
        // Split `count` as evenly as possible over the tasks.
        let share = count / in_flight + u64::from(i < count % in_flight);
        let mut client = SessionServiceClient::new(channels[i as usize % channels.len()].clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::with_capacity(share as usize);
            for _ in 0..share {
                ids.push(start_one(&mut client).await?);
            }
            Ok::<_, tonic::Status>(ids)
        }));
    }
    let mut ids = Vec::with_capacity(count as usize);
    for task in tasks {
        match task.await.context("an opening task panicked")? {
            Ok(some) => ids.extend(some),
            Err(status) => bail!(
                "StartSession failed while opening idle sessions: {}: {}",
                status.code(),
                status.message()
            ),
        }
    }
    Ok(ids)
}

/// Ends every session in `ids`, `in_flight` calls at a time.
pub async fn close_all(
    channels: &[Channel],
    ids: Vec<Guid>,
    in_flight: usize,
) -> anyhow::Result<()> {
    let in_flight = in_flight.max(1);
    let chunk = ids.len().div_ceil(in_flight).max(1);
    let mut tasks = Vec::new();
    for (i, part) in ids.chunks(chunk).enumerate() {
        let part = part.to_vec();
        let mut client = SessionServiceClient::new(channels[i % channels.len()].clone());
        tasks.push(tokio::spawn(async move {
            for id in part {
                client.end_session(id).await?;
            }
            Ok::<_, tonic::Status>(())
        }));
    }
    for task in tasks {
        if let Err(status) = task.await.context("a closing task panicked")? {
            bail!(
                "EndSession failed while closing idle sessions: {}: {}",
                status.code(),
                status.message()
            );
        }
    }
    Ok(())
}

/// The server's own count of open sessions, from GetHealthStatus, to
/// confirm that the idle sessions are all still there when memory is read.
pub async fn server_open_sessions(channel: &Channel) -> anyhow::Result<u64> {
    let health = ConfigurationServiceClient::new(channel.clone())
        .get_health_status(())
        .await
        .context("GetHealthStatus failed")?
        .into_inner();
    match health
        .fields
        .get("open_sessions")
        .and_then(|v| v.kind.as_ref())
    {
        Some(prost_types::value::Kind::NumberValue(n)) => Ok(*n as u64),
        _ => bail!("GetHealthStatus has no numeric open_sessions field"),
    }
}

/// The server's name and API level, for the report header.
pub async fn server_version(channel: &Channel) -> anyhow::Result<(String, String)> {
    let info = ConfigurationServiceClient::new(channel.clone())
        .get_version(())
        .await
        .context("GetVersion failed")?
        .into_inner();
    Ok((info.name, info.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let data: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&data, 50.0), Duration::from_nanos(50));
        assert_eq!(percentile(&data, 99.0), Duration::from_nanos(99));
        assert_eq!(percentile(&[7], 99.0), Duration::from_nanos(7));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
