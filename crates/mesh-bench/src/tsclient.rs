//! Thin helpers over the raw generated time-series and session clients,
//! and the two ways the time-series benchmark spreads calls: a bounded
//! number of calls in flight in shared sessions, or workers that each own
//! a session.
//!
//! Workers own their sessions because the server runs the requests of one
//! session one at a time (they queue on the session's workspace), so
//! concurrent calls in a single session would measure that queue, not the
//! server's capacity for parallel clients.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context};
use mesh_proto::model_definition::ListUnitsOfMeasurementRequest;
use mesh_proto::time_series::{ReadTimeseriesResponse, ReadTimeseriesStreamRequest};
use mesh_proto::types::{Guid, MeshId, UtcInterval};
use mesh_testkit::raw::{self, Clients, CurveType, ResolutionType};
use mesh_timeseries::Point;
use tokio::task::JoinSet;
use tonic::transport::Channel;

use crate::data;

/// The client side accepts larger answers than the server sends, so the
/// server's own limit (4 MiB by default) is the one being exercised.
const CLIENT_MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// The test kit's raw clients (sessions, time series, model) over one
/// connection; the calls the tests and the bench share are the kit's.
pub type TsClient = Clients;

pub fn ts_client(channel: &Channel) -> TsClient {
    let mut clients = Clients::on(channel.clone());
    clients.series = clients.series.max_decoding_message_size(CLIENT_MAX_MESSAGE);
    clients
}

/// A failed call as an error that names the call and the gRPC status.
pub fn failed(call: &str, status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{call} failed: {}: {}", status.code(), status.message())
}

/// A failed call of the test kit's clients: a refusal as [`failed`], an
/// answer that breaks the protocol as what is wrong with it.
fn refused_or_bad(call: &str, error: raw::Error) -> anyhow::Error {
    match error {
        raw::Error::Refused(status) => failed(call, status),
        raw::Error::BadAnswer(why) => anyhow::anyhow!("{call}: {why}"),
    }
}

pub async fn start_session(channel: &Channel) -> anyhow::Result<Guid> {
    ts_client(channel)
        .start_session()
        .await
        .map_err(|e| refused_or_bad("StartSession", e))
}

pub async fn commit(channel: &Channel, session: &Guid) -> anyhow::Result<()> {
    ts_client(channel)
        .commit(session)
        .await
        .map_err(|s| failed("Commit", s))
}

pub async fn end_session(channel: &Channel, session: &Guid) -> anyhow::Result<()> {
    ts_client(channel)
        .end_session(session)
        .await
        .map_err(|s| failed("EndSession", s))
}

/// The unit the benchmark's series use: MW if the server lists it, else
/// the first unit listed (the unit plays no part in the figures).
pub async fn pick_unit(channel: &Channel) -> anyhow::Result<(Guid, String)> {
    let clients = ts_client(channel);
    let session = start_session(channel).await?;
    let units = clients
        .models
        .clone()
        .list_units_of_measurement(ListUnitsOfMeasurementRequest {
            session_id: Some(session.clone()),
        })
        .await
        .map_err(|s| failed("ListUnitsOfMeasurement", s))?
        .into_inner()
        .units_of_measurement;
    end_session(channel, &session).await?;
    let unit = units
        .iter()
        .find(|u| u.name == "MW")
        .or(units.first())
        .context("ListUnitsOfMeasurement listed no unit")?;
    let id = unit.id.clone().context("the unit has no id")?;
    Ok((id, unit.name.clone()))
}

/// Creates an hourly series in `session`; returns its key.
pub async fn create_series(
    ts: &TsClient,
    session: &Guid,
    ordinal: u64,
    unit: &Guid,
) -> anyhow::Result<i64> {
    ts.create_series(
        session,
        unit,
        ("/bench/", &format!("series-{ordinal}")),
        CurveType::Staircasestartofstep,
        ResolutionType::Hour,
    )
    .await
    .map_err(|s| failed("CreatePhysicalTimeseries", s))
}

/// Hours `first..first + count` as UTC milliseconds.
fn hours(first: u64, count: u64) -> (i64, i64) {
    (data::utc_ms(first), data::utc_ms(first + count))
}

/// Writes hours `first..first + count` of series `ordinal` (stored under
/// `key`) as one WriteTimeseries; the points are generated and encoded here,
/// so that cost is on the client's side of the figure, as it would be for
/// a real client.
pub async fn write(
    ts: &TsClient,
    session: &Guid,
    key: i64,
    ordinal: u64,
    first: u64,
    count: u64,
) -> anyhow::Result<()> {
    let points = data::points(ordinal, first, count);
    write_points(ts, session, key, hours(first, count), &points).await
}

/// Replaces `[start, end)` (UTC milliseconds) of hourly series `key` with
/// `points` in one WriteTimeseries.
pub async fn write_points(
    ts: &TsClient,
    session: &Guid,
    key: i64,
    interval: (i64, i64),
    points: &[Point],
) -> anyhow::Result<()> {
    ts.write_as(session, key, ResolutionType::Hour, interval, points)
        .await
        .map_err(|s| failed("WriteTimeseries", s))
}

/// Reads hours `first..first + count` of `key` with one ReadTimeseries and
/// decodes the answer.
pub async fn read(
    ts: &TsClient,
    session: &Guid,
    key: i64,
    first: u64,
    count: u64,
) -> anyhow::Result<Vec<Point>> {
    ts.read(session, key, hours(first, count))
        .await
        .map_err(|e| refused_or_bad(&format!("ReadTimeseries of key {key}"), e))
}

/// Reads hours `first..first + count` of every key with one
/// ReadTimeseriesStream; returns the decoded points of each, in the order
/// of `keys` (the order the server answers in).
pub async fn read_stream(
    ts: &TsClient,
    session: &Guid,
    keys: &[i64],
    first: u64,
    count: u64,
) -> anyhow::Result<Vec<Vec<Point>>> {
    let (start, end) = hours(first, count);
    let mut stream = ts
        .series
        .clone()
        .read_timeseries_stream(ReadTimeseriesStreamRequest {
            session_id: Some(session.clone()),
            timeseries_ids: keys.iter().map(|&k| MeshId::by_timeseries_key(k)).collect(),
            interval: Some(UtcInterval::from_millis(start, end)),
        })
        .await
        .map_err(|s| failed("ReadTimeseriesStream", s))?
        .into_inner();
    let mut out = Vec::with_capacity(keys.len());
    // Bounded by the server's answers; more answers than keys is an error.
    while let Some(answer) = stream
        .message()
        .await
        .map_err(|s| failed("ReadTimeseriesStream (message)", s))?
    {
        let answer: ReadTimeseriesResponse = answer;
        for series in &answer.timeseries {
            let Some(&key) = keys.get(out.len()) else {
                bail!(
                    "ReadTimeseriesStream answered more series than the {} asked for",
                    keys.len()
                );
            };
            out.push(
                raw::decode(series, key).map_err(|e| refused_or_bad("ReadTimeseriesStream", e))?,
            );
        }
    }
    if out.len() != keys.len() {
        bail!(
            "ReadTimeseriesStream answered {} series of the {} asked for",
            out.len(),
            keys.len()
        );
    }
    Ok(out)
}

/// Runs the futures `jobs` yields with at most `in_flight` running at once;
/// returns their results in completion order. The first error stops the
/// rest (dropping the set aborts them).
pub async fn bounded<T, Fut>(
    jobs: impl IntoIterator<Item = Fut>,
    in_flight: usize,
) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
{
    let mut set = JoinSet::new();
    let mut out = Vec::new();
    for job in jobs {
        while set.len() >= in_flight.max(1) {
            out.push(join_next(&mut set).await?);
        }
        set.spawn(job);
    }
    while !set.is_empty() {
        out.push(join_next(&mut set).await?);
    }
    Ok(out)
}

async fn join_next<T: 'static>(set: &mut JoinSet<anyhow::Result<T>>) -> anyhow::Result<T> {
    set.join_next()
        .await
        .context("no task left to wait for")?
        .context("a benchmark task panicked")?
}

/// What a worker holds: its own session, and clients on its connection.
#[derive(Clone)]
pub struct Worker {
    pub ts: TsClient,
    pub channel: Channel,
    pub session: Guid,
}

/// Runs jobs `0..jobs` over `workers` tasks, each with its own session
/// (opened at its start, ended when the jobs run out); every worker takes
/// the next job number as soon as it is free, so a slow job does not hold
/// up the others. Results come back in no particular order.
pub async fn in_workers<T, F, Fut>(
    channels: &[Channel],
    workers: usize,
    jobs: usize,
    job: F,
) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(Worker, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    for w in 0..workers.clamp(1, jobs.max(1)) {
        let channel = channels[w % channels.len()].clone();
        let (job, next) = (job.clone(), next.clone());
        set.spawn(async move {
            let worker = Worker {
                ts: ts_client(&channel),
                session: start_session(&channel).await?,
                channel,
            };
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    break;
                }
                out.push(job(worker.clone(), i).await?);
            }
            end_session(&worker.channel, &worker.session).await?;
            Ok(out)
        });
    }
    let mut out = Vec::with_capacity(jobs);
    while !set.is_empty() {
        out.extend(join_next(&mut set).await?);
    }
    Ok(out)
}
