//! `mesh-bench timeseries`: committed write and read throughput of hourly
//! series, one-week read latency in a large store, and bytes on disk per
//! point, against one real `mesh-server` with a fresh data directory.
//!
//! The phases build on each other: the series written in phases 1 and 2
//! stay in the store, phase 3 fills it up to its target size before
//! measuring latency, and the disk figures are taken after each commit
//! step. Every read is checked (counts, flags, sampled values), so a
//! figure cannot come from a server that answers quickly but wrongly.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use tonic::transport::Channel;

use crate::data::{self, Rng};
use crate::disk::{self, DiskUse};
use crate::server::{ServerArgs, ServerProcess};
use crate::tsclient::{self, Worker};
use crate::{latency, thousands};

/// Sizes at --scale 1.
const LONG_POINTS: u64 = 10_000_000;
const MANY_SERIES: u64 = 10_000;
/// Points of each of the many series (not scaled: the figure is about many
/// small series).
const MANY_POINTS: u64 = 1_000;
/// Points in the store for the latency figure, at --scale 1, unless
/// --store-points says otherwise.
pub const DEFAULT_STORE_POINTS: u64 = 100_000_000;
/// Points of each series that fills the store up to its target.
const FILL_POINTS: u64 = 100_000;

/// One week of hours: the read whose latency is measured.
const WEEK: u64 = 168;

/// Points per WriteTimeseries and per ReadTimeseries of long series:
/// 150,000 points are about 3 MB of Arrow payload, under the server's
/// default 4 MiB message limit with room to spare.
const POINTS_PER_MESSAGE: u64 = 150_000;
/// Writes in flight in the one session of phase 1: the server applies a
/// session's writes one at a time, but with two in flight the next one is
/// encoded, sent and decoded while the previous one is applied.
const LONG_WRITE_IN_FLIGHT: usize = 2;
/// Rows of phase-1 read throughput: readers, each with its own session.
const LONG_READERS: [usize; 2] = [1, 4];
/// Values compared per read answer (besides its count and all its flags).
const PROBES_PER_READ: u64 = 8;

/// Series per session (and so per commit) in phase 2.
const MANY_PER_SESSION: u64 = 1_000;
/// Calls in flight while creating and writing the many series, spread over
/// the sessions so that they rarely queue behind each other.
const MANY_IN_FLIGHT: usize = 8;
/// Commits in flight in phase 2.
const MANY_COMMITS_IN_FLIGHT: usize = 2;
/// Series per ReadTimeseriesStream call, and streams read at once (one
/// session each).
const STREAM_GROUP: u64 = 100;
const STREAM_READERS: usize = 2;
/// Concurrent single-series ReadTimeseries callers, one session each.
const UNARY_READERS: usize = 8;

/// Series per fill session (each session is committed once), and fill
/// sessions at once.
const FILL_PER_SESSION: u64 = 20;
const FILL_WORKERS: usize = 2;

/// No session may expire while a phase runs; a big commit can take a while.
const SESSION_TIMEOUT: &str = "30m";
const MAX_CHANNELS: usize = 4;

#[derive(Args)]
pub struct TimeseriesArgs {
    /// Multiplies every size: the long series, the number of small series
    /// and the store for the latency figure (0.001 to 4).
    #[arg(long, default_value = "1.0", value_parser = parse_scale)]
    pub scale: f64,

    /// Points in the store while the latency is measured, before --scale.
    #[arg(long, default_value_t = DEFAULT_STORE_POINTS,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub store_points: u64,

    /// Measured seconds per latency row (0.1 to 60).
    #[arg(long, default_value = "3", value_parser = crate::parse_seconds)]
    pub seconds: Duration,

    /// Warm-up seconds before each latency row (0 to 10).
    #[arg(long, default_value = "0.5", value_parser = crate::parse_warmup)]
    pub warmup: Duration,

    /// Concurrent clients of the latency rows, one row each.
    #[arg(long, value_delimiter = ',', default_value = "1,4",
          value_parser = clap::value_parser!(u64).range(1..=256))]
    pub clients: Vec<u64>,

    /// The mesh-server binary to run [default: mesh-server next to mesh-bench].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
}

fn parse_scale(text: &str) -> Result<f64, String> {
    let scale: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if !(0.001..=4.0).contains(&scale) {
        return Err("must be between 0.001 and 4".to_string());
    }
    Ok(scale)
}

/// The sizes of one run, after --scale.
struct Sizes {
    long_points: u64,
    many_series: u64,
    store_points: u64,
}

impl Sizes {
    fn new(scale: f64, store_points: u64) -> Sizes {
        let scaled = |n: u64| (n as f64 * scale).round() as u64;
        Sizes {
            // At least a few weeks, so latency reads always fit.
            long_points: scaled(LONG_POINTS).max(10 * WEEK),
            many_series: scaled(MANY_SERIES).max(1),
            store_points: scaled(store_points),
        }
    }

    fn fill_points(&self) -> u64 {
        self.store_points
            .saturating_sub(self.long_points + self.many_series * MANY_POINTS)
    }
}

/// A committed series: its key, the ordinal its values derive from, and its
/// length (hours from 0).
#[derive(Clone, Copy)]
struct Stored {
    key: i64,
    ordinal: u64,
    points: u64,
}

struct DiskRow {
    after: &'static str,
    points: u64,
    series: usize,
    disk: DiskUse,
    rss: Option<u64>,
}

struct Bench {
    server: ServerProcess,
    channels: Vec<Channel>,
    unit: mesh_proto::types::Guid,
    stored: Vec<Stored>,
    next_ordinal: u64,
    disk_rows: Vec<DiskRow>,
    phase_times: Vec<(&'static str, Duration)>,
}

impl Bench {
    fn committed_points(&self) -> u64 {
        self.stored.iter().map(|s| s.points).sum()
    }

    fn take_ordinals(&mut self, n: u64) -> u64 {
        let first = self.next_ordinal;
        self.next_ordinal += n;
        first
    }

    fn record_disk(&mut self, after: &'static str) -> anyhow::Result<()> {
        let disk = disk::usage(self.server.data_dir())?;
        self.disk_rows.push(DiskRow {
            after,
            points: self.committed_points(),
            series: self.stored.len(),
            disk,
            rss: self.server.rss_bytes().ok(),
        });
        Ok(())
    }
}

pub async fn run(args: TimeseriesArgs) -> anyhow::Result<()> {
    let began = Instant::now();
    let binary = match &args.server_bin {
        Some(path) => path.clone(),
        None => crate::server::default_binary()?,
    };
    let sizes = Sizes::new(args.scale, args.store_points);
    crate::print_header(
        "timeseries",
        &binary,
        &[
            "raw tonic TimeseriesServiceClient / SessionServiceClient, not the mesh SDK;",
            "bench and server share the machine's cores; loopback only; the store is in",
            "the page cache (just written), so reads are warm, not cold-disk, figures",
        ],
    );
    println!(
        "  data:     hourly series (HOUR, STAIRCASESTARTOFSTEP) from {}; values are prices",
        mesh_timeseries::format_utc_ms(data::START_MS)
    );
    println!("            with 2 decimals (level + daily shape + noise of up to ±3.00), flags OK");
    println!(
        "  sizes:    --scale {}: 1 series of {} points; {} series of {} points;",
        args.scale,
        thousands(sizes.long_points),
        thousands(sizes.many_series),
        thousands(MANY_POINTS)
    );
    println!(
        "            store for the latency figure: {} points{}",
        thousands(sizes.store_points),
        if sizes.store_points == DEFAULT_STORE_POINTS {
            " (the full size)".to_string()
        } else {
            format!(
                " (the full size is {}: --scale 1 --store-points {DEFAULT_STORE_POINTS})",
                thousands(DEFAULT_STORE_POINTS)
            )
        }
    );

    let setup = Instant::now();
    let server = ServerProcess::start(
        &binary,
        "timeseries",
        &ServerArgs {
            session_timeout: SESSION_TIMEOUT,
            max_sessions: 10_000,
            extra: Vec::new(),
        },
    )
    .await?;
    let channels = crate::load::connect(server.addr(), MAX_CHANNELS).await?;
    let (name, version) = crate::load::server_version(&channels[0]).await?;
    let (unit, unit_name) = tsclient::pick_unit(&channels[0]).await?;
    println!();
    println!("== server ==");
    println!("  server:   {}", server.command_line);
    println!(
        "            pid {}, {}, \"{name}\", API {version}; default --max-message-size (4 MiB)",
        server.pid(),
        server.addr()
    );
    println!(
        "  unit:     {unit_name} (from ListUnitsOfMeasurement); {MAX_CHANNELS} HTTP/2 connections"
    );
    let mut bench = Bench {
        server,
        channels,
        unit,
        stored: Vec::new(),
        next_ordinal: 0,
        disk_rows: Vec::new(),
        phase_times: Vec::new(),
    };
    bench.record_disk("start (empty store)")?;
    bench
        .phase_times
        .push(("setup (server start, connect)", setup.elapsed()));

    let phase = Instant::now();
    long_series(&mut bench, &sizes).await?;
    bench
        .phase_times
        .push(("1. one long series", phase.elapsed()));

    let phase = Instant::now();
    many_series(&mut bench, &sizes).await?;
    bench
        .phase_times
        .push(("2. many small series", phase.elapsed()));

    let phase = Instant::now();
    fill(&mut bench, &sizes).await?;
    bench
        .phase_times
        .push(("3a. fill the store", phase.elapsed()));

    let phase = Instant::now();
    week_latency(&bench, &args).await?;
    bench
        .phase_times
        .push(("3b. week-read latency", phase.elapsed()));

    disk_report(&bench);

    println!();
    println!("== wall time per phase ==");
    for (what, took) in &bench.phase_times {
        println!("  {what:<32} {:>8.1} s", took.as_secs_f64());
    }

    let Bench {
        server, channels, ..
    } = bench;
    drop(channels);
    server.stop().await?;
    println!();
    println!(
        "total run time: {:.1} s (data directory deleted)",
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `(first, count)` pieces of `0..total` of at most `per` each.
fn pieces(total: u64, per: u64) -> Vec<(u64, u64)> {
    (0..total.div_ceil(per))
        .map(|i| (i * per, per.min(total - i * per)))
        .collect()
}

fn rate(n: u64, took: Duration) -> String {
    let secs = took.as_secs_f64();
    if secs <= 0.0 {
        return "-".to_string();
    }
    thousands((n as f64 / secs).round() as u64)
}

fn table_head() {
    println!(
        "  {:<43} {:>12} {:>7} {:>9} {:>16}",
        "step", "points", "calls", "time", "rate"
    );
}

/// One step; its rate is in points per second when it moved points.
fn table_row(step: &str, points: Option<u64>, calls: Option<u64>, took: Duration) {
    let rate_text = points
        .map(|n| format!("{} pt/s", rate(n, took)))
        .unwrap_or_default();
    table_line(step, points, calls, took, &rate_text);
}

fn table_line(step: &str, points: Option<u64>, calls: Option<u64>, took: Duration, rate: &str) {
    println!(
        "  {:<43} {:>12} {:>7} {:>7.2} s {:>16}",
        step,
        points.map(thousands).unwrap_or_default(),
        calls.map(thousands).unwrap_or_default(),
        took.as_secs_f64(),
        rate
    );
}

/// Phase 1: one long series, written in one session and committed once,
/// then read back whole in message-sized pieces.
async fn long_series(bench: &mut Bench, sizes: &Sizes) -> anyhow::Result<()> {
    let n = sizes.long_points;
    let ordinal = bench.take_ordinals(1);
    let parts = pieces(n, POINTS_PER_MESSAGE);
    println!();
    println!("== 1. one series of {} hourly points ==", thousands(n));
    println!(
        "  write: {} WriteTimeseries of <= {} points in ONE session ({LONG_WRITE_IN_FLIGHT} in flight), then one Commit;",
        parts.len(),
        thousands(POINTS_PER_MESSAGE)
    );
    println!("         the clock runs from the first write until Commit returns (series creation excluded)");

    let channel = bench.channels[0].clone();
    let session = tsclient::start_session(&channel).await?;
    let ts = tsclient::ts_client(&channel);
    let key = tsclient::create_series(&ts, &session, ordinal, &bench.unit).await?;

    let began = Instant::now();
    let writes = parts.iter().map(|&(first, count)| {
        let (ts, session) = (ts.clone(), session.clone());
        async move { tsclient::write(&ts, &session, key, ordinal, first, count).await }
    });
    tsclient::bounded(writes, LONG_WRITE_IN_FLIGHT)
        .await
        .context("phase 1, writing the long series")?;
    let written = began.elapsed();
    tsclient::commit(&channel, &session)
        .await
        .context("phase 1, committing the long series")?;
    let total = began.elapsed();
    tsclient::end_session(&channel, &session).await?;
    bench.stored.push(Stored {
        key,
        ordinal,
        points: n,
    });
    bench.record_disk("1. long series committed")?;

    println!();
    table_head();
    table_row(
        "writes acknowledged (not yet committed)",
        Some(n),
        Some(parts.len() as u64),
        written,
    );
    table_row("Commit alone", None, Some(1), total - written);
    table_row("COMMITTED WRITE (writes + Commit)", Some(n), None, total);

    println!();
    println!(
        "  read: the whole series as {} ReadTimeseries of <= {} points, in new sessions (one per reader);",
        parts.len(),
        thousands(POINTS_PER_MESSAGE)
    );
    println!("        each answer decoded and checked: count, every flag, {PROBES_PER_READ} exact values");
    table_head();
    for readers in LONG_READERS {
        let parts = parts.clone();
        let began = Instant::now();
        let counts = tsclient::in_workers(
            &bench.channels,
            readers,
            parts.len(),
            move |w: Worker, i| {
                let (first, count) = parts[i];
                async move {
                    let points = tsclient::read(&w.ts, &w.session, key, first, count).await?;
                    data::check(ordinal, first, count, &points, PROBES_PER_READ)
                        .map_err(anyhow::Error::msg)?;
                    Ok(points.len() as u64)
                }
            },
        )
        .await
        .context("phase 1, reading the long series")?;
        let took = began.elapsed();
        let got: u64 = counts.iter().sum();
        if got != n {
            bail!(
                "phase 1: read {} points back, {} were written",
                thousands(got),
                thousands(n)
            );
        }
        table_row(
            &format!("READ, {readers} reader(s)"),
            Some(got),
            Some(counts.len() as u64),
            took,
        );
    }
    Ok(())
}

/// Phase 2: many small series, created and written in several sessions,
/// each committed once; read back by streams of groups and by concurrent
/// single-series reads.
async fn many_series(bench: &mut Bench, sizes: &Sizes) -> anyhow::Result<()> {
    let count = sizes.many_series;
    let total_points = count * MANY_POINTS;
    let sessions_n = count.div_ceil(MANY_PER_SESSION);
    let first_ordinal = bench.take_ordinals(count);
    println!();
    println!(
        "== 2. {} series of {} hourly points ({} points) ==",
        thousands(count),
        thousands(MANY_POINTS),
        thousands(total_points)
    );
    println!(
        "  write: {sessions_n} session(s) of <= {} series, opened together; series i goes to session i mod {sessions_n};",
        thousands(MANY_PER_SESSION)
    );
    println!(
        "         {MANY_IN_FLIGHT} calls in flight over all sessions; one WriteTimeseries per series; then one Commit per"
    );
    println!(
        "         session, {MANY_COMMITS_IN_FLIGHT} at a time; the clock for the write figure runs from the first write until"
    );
    println!("         the last Commit returns; creation is timed apart");

    let channels = bench.channels.clone();
    let mut sessions = Vec::new();
    for i in 0..sessions_n {
        sessions.push(tsclient::start_session(&channels[i as usize % channels.len()]).await?);
    }
    let session_of = |i: u64| (i % sessions_n) as usize;

    let began = Instant::now();
    let creates = (0..count).map(|i| {
        let channel = channels[session_of(i) % channels.len()].clone();
        let session = sessions[session_of(i)].clone();
        let unit = bench.unit.clone();
        async move {
            let ts = tsclient::ts_client(&channel);
            let key = tsclient::create_series(&ts, &session, first_ordinal + i, &unit).await?;
            Ok((i, key))
        }
    });
    let mut keys = tsclient::bounded(creates, MANY_IN_FLIGHT)
        .await
        .context("phase 2, creating series")?;
    let created = began.elapsed();
    keys.sort_unstable();
    let keys: Vec<i64> = keys.into_iter().map(|(_, key)| key).collect();

    let began = Instant::now();
    let writes = (0..count).map(|i| {
        let channel = channels[session_of(i) % channels.len()].clone();
        let session = sessions[session_of(i)].clone();
        let key = keys[i as usize];
        async move {
            let ts = tsclient::ts_client(&channel);
            tsclient::write(&ts, &session, key, first_ordinal + i, 0, MANY_POINTS).await
        }
    });
    tsclient::bounded(writes, MANY_IN_FLIGHT)
        .await
        .context("phase 2, writing series")?;
    let written = began.elapsed();
    let commits = sessions.iter().enumerate().map(|(i, session)| {
        let channel = channels[i % channels.len()].clone();
        let session = session.clone();
        async move {
            tsclient::commit(&channel, &session).await?;
            tsclient::end_session(&channel, &session).await
        }
    });
    tsclient::bounded(commits, MANY_COMMITS_IN_FLIGHT)
        .await
        .context("phase 2, committing")?;
    let total = began.elapsed();
    for (i, &key) in keys.iter().enumerate() {
        bench.stored.push(Stored {
            key,
            ordinal: first_ordinal + i as u64,
            points: MANY_POINTS,
        });
    }
    bench.record_disk("2. many series committed")?;

    println!();
    table_head();
    table_line(
        "CreatePhysicalTimeseries (one per series)",
        None,
        Some(count),
        created,
        &format!("{} series/s", rate(count, created)),
    );
    table_row(
        "writes acknowledged (not yet committed)",
        Some(total_points),
        Some(count),
        written,
    );
    table_row("Commits", None, Some(sessions_n), total - written);
    table_row(
        "COMMITTED WRITE (writes + Commits)",
        Some(total_points),
        None,
        total,
    );
    table_row(
        "create + write + commit",
        Some(total_points),
        None,
        created + total,
    );

    println!();
    println!(
        "  read (a): ReadTimeseriesStream of {STREAM_GROUP} series per call, {STREAM_READERS} streams at once (own sessions)"
    );
    println!(
        "  read (b): one ReadTimeseries per series, {UNARY_READERS} concurrent callers (own sessions)"
    );
    println!(
        "  every series read whole; each answer checked: count, every flag, {PROBES_PER_READ} exact values"
    );
    table_head();
    let stored: Vec<Stored> = bench.stored[bench.stored.len() - count as usize..].to_vec();

    let groups: Vec<Vec<Stored>> = stored
        .chunks(STREAM_GROUP as usize)
        .map(<[Stored]>::to_vec)
        .collect();
    let group_count = groups.len();
    let began = Instant::now();
    let counts = tsclient::in_workers(
        &bench.channels,
        STREAM_READERS,
        group_count,
        move |w: Worker, g| {
            let group = groups[g].clone();
            async move {
                let keys: Vec<i64> = group.iter().map(|s| s.key).collect();
                let answers =
                    tsclient::read_stream(&w.ts, &w.session, &keys, 0, MANY_POINTS).await?;
                let mut n = 0;
                for (series, points) in group.iter().zip(&answers) {
                    data::check(series.ordinal, 0, MANY_POINTS, points, PROBES_PER_READ)
                        .map_err(anyhow::Error::msg)?;
                    n += points.len() as u64;
                }
                Ok(n)
            }
        },
    )
    .await
    .context("phase 2, stream reads")?;
    let took = began.elapsed();
    check_total("phase 2 (stream)", counts.iter().sum(), total_points)?;
    table_row(
        &format!("READ (a) stream, {STREAM_READERS} at once"),
        Some(total_points),
        Some(group_count as u64),
        took,
    );

    let all = stored.clone();
    let began = Instant::now();
    let counts = tsclient::in_workers(
        &bench.channels,
        UNARY_READERS,
        all.len(),
        move |w: Worker, i| {
            let series = all[i];
            async move {
                let points = tsclient::read(&w.ts, &w.session, series.key, 0, MANY_POINTS).await?;
                data::check(series.ordinal, 0, MANY_POINTS, &points, PROBES_PER_READ)
                    .map_err(anyhow::Error::msg)?;
                Ok(points.len() as u64)
            }
        },
    )
    .await
    .context("phase 2, single-series reads")?;
    let took = began.elapsed();
    check_total("phase 2 (unary)", counts.iter().sum(), total_points)?;
    table_row(
        &format!("READ (b) ReadTimeseries, {UNARY_READERS} callers"),
        Some(total_points),
        Some(count),
        took,
    );
    Ok(())
}

fn check_total(what: &str, got: u64, want: u64) -> anyhow::Result<()> {
    if got != want {
        bail!(
            "{what}: read {} points back, {} were written",
            thousands(got),
            thousands(want)
        );
    }
    Ok(())
}

/// Phase 3a: series of FILL_POINTS points until the store holds its target.
async fn fill(bench: &mut Bench, sizes: &Sizes) -> anyhow::Result<()> {
    let rest = sizes.fill_points();
    let series_n = rest.div_ceil(FILL_POINTS);
    println!();
    println!(
        "== 3. read latency of one week (168 hourly points) in a store of {} points ==",
        thousands(sizes.store_points)
    );
    if series_n == 0 {
        println!("  fill: none needed, phases 1 and 2 already hold the target");
        return Ok(());
    }
    let first_ordinal = bench.take_ordinals(series_n);
    let jobs = series_n.div_ceil(FILL_PER_SESSION) as usize;
    let lengths: Vec<u64> = (0..series_n)
        .map(|i| FILL_POINTS.min(rest - i * FILL_POINTS))
        .collect();
    println!(
        "  fill: {} series of <= {} points ({} points) in {jobs} session(s) of <= {FILL_PER_SESSION} series,",
        thousands(series_n),
        thousands(FILL_POINTS),
        thousands(rest)
    );
    println!(
        "        {FILL_WORKERS} at once; each creates and writes its series (<= {} points per call), then one Commit",
        thousands(POINTS_PER_MESSAGE)
    );

    let unit = bench.unit.clone();
    let began = Instant::now();
    let batches = tsclient::in_workers(&bench.channels, FILL_WORKERS, jobs, move |w, job| {
        let unit = unit.clone();
        let lengths = lengths.clone();
        async move {
            let Worker {
                ts,
                channel,
                session,
            } = w;
            let mut made = Vec::new();
            let first = job as u64 * FILL_PER_SESSION;
            let last = (first + FILL_PER_SESSION).min(lengths.len() as u64);
            for i in first..last {
                let ordinal = first_ordinal + i;
                let points = lengths[i as usize];
                let key = tsclient::create_series(&ts, &session, ordinal, &unit).await?;
                for (from, count) in pieces(points, POINTS_PER_MESSAGE) {
                    tsclient::write(&ts, &session, key, ordinal, from, count).await?;
                }
                made.push(Stored {
                    key,
                    ordinal,
                    points,
                });
            }
            tsclient::commit(&channel, &session).await?;
            Ok(made)
        }
    })
    .await
    .context("phase 3, filling the store")?;
    let took = began.elapsed();
    for batch in batches {
        bench.stored.extend(batch);
    }
    bench.record_disk("3. store filled")?;
    table_head();
    table_row(
        "COMMITTED WRITE (create + writes + Commits)",
        Some(rest),
        None,
        took,
    );
    Ok(())
}

/// The outcome of one latency row.
struct Row {
    latencies_ns: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

/// Phase 3b: closed-loop clients, each in its own session, reading one
/// week at a uniformly random point of the store.
async fn week_latency(bench: &Bench, args: &TimeseriesArgs) -> anyhow::Result<()> {
    let stored = bench.stored.clone();
    let total = bench.committed_points();
    let disk = disk::usage(bench.server.data_dir())?;
    println!(
        "  store: {} series, {} points committed; data directory {} apparent, {} allocated",
        thousands(stored.len() as u64),
        thousands(total),
        mib(disk.apparent),
        mib(disk.allocated)
    );
    println!(
        "  each read: ReadTimeseries of [t, t + 168 h) where t is a uniformly random point of all stored"
    );
    println!(
        "  points (so long series are hit in proportion to their length), moved back if the week would"
    );
    println!(
        "  run past the series' end; latency = request sent to answer decoded; every answer checked"
    );
    println!(
        "  (168 points, flags, {PROBES_PER_READ} exact values) after its latency is taken; {:.1} s warm-up, {:.1} s measured",
        args.warmup.as_secs_f64(),
        args.seconds.as_secs_f64()
    );
    // Series in store order with the number of points before each, to pick
    // a random point and find its series by binary search.
    let mut starts = Vec::with_capacity(stored.len());
    let mut before = 0;
    for s in &stored {
        starts.push(before);
        before += s.points;
    }
    let catalogue = std::sync::Arc::new((stored, starts));

    println!();
    println!(
        "  {:>7} {:>8} {:>10} {:>10} {:>10} {:>10} {:>6}",
        "clients", "reads", "reads/s", "p50", "p99", "max", "errors"
    );
    for (row_index, &clients) in args.clients.iter().enumerate() {
        let start = Instant::now();
        let measure_from = start + args.warmup;
        let until = measure_from + args.seconds;
        let mut tasks = Vec::new();
        for c in 0..clients as usize {
            let channel = bench.channels[c % bench.channels.len()].clone();
            let catalogue = catalogue.clone();
            let seed = (row_index as u64) << 32 | c as u64;
            tasks.push(tokio::spawn(async move {
                latency_client(
                    channel,
                    &catalogue.0,
                    &catalogue.1,
                    seed,
                    measure_from,
                    until,
                )
                .await
            }));
        }
        let mut all = Vec::new();
        let (mut errors, mut first_error) = (0, None);
        for task in tasks {
            let row = task.await.context("a latency client panicked")??;
            all.extend(row.latencies_ns);
            errors += row.errors;
            if first_error.is_none() {
                first_error = row.first_error;
            }
        }
        all.sort_unstable();
        let reads = all.len() as u64;
        println!(
            "  {:>7} {:>8} {:>10} {:>10} {:>10} {:>10} {:>6}",
            clients,
            thousands(reads),
            rate(reads, args.seconds),
            latency(crate::load::percentile(&all, 50.0)),
            latency(crate::load::percentile(&all, 99.0)),
            latency(Duration::from_nanos(all.last().copied().unwrap_or(0))),
            errors
        );
        if let Some(error) = first_error {
            println!("          first error: {error}");
        }
    }
    Ok(())
}

/// A task that keeps failing stops after this many errors (a dead server
/// must not spin the loop until the deadline).
const MAX_ERRORS: u64 = 100;

async fn latency_client(
    channel: Channel,
    stored: &[Stored],
    starts: &[u64],
    seed: u64,
    measure_from: Instant,
    until: Instant,
) -> anyhow::Result<Row> {
    let total: u64 = stored.iter().map(|s| s.points).sum();
    let session = tsclient::start_session(&channel).await?;
    let ts = tsclient::ts_client(&channel);
    let mut rng = Rng::new(seed);
    let mut row = Row {
        latencies_ns: Vec::new(),
        errors: 0,
        first_error: None,
    };
    let mut failures = 0;
    // Bounded by the deadline and by the error budget.
    while Instant::now() < until && failures < MAX_ERRORS {
        let at = rng.below(total);
        let index = starts.partition_point(|&s| s <= at) - 1;
        let series = stored[index];
        let first = (at - starts[index]).min(series.points.saturating_sub(WEEK));
        let count = WEEK.min(series.points);
        let began = Instant::now();
        let result = tsclient::read(&ts, &session, series.key, first, count).await;
        let ended = Instant::now();
        let result = result.and_then(|points| {
            data::check(series.ordinal, first, count, &points, PROBES_PER_READ)
                .map_err(anyhow::Error::msg)
        });
        failures += u64::from(result.is_err());
        if ended < measure_from || ended > until {
            continue;
        }
        match result {
            Ok(()) => row
                .latencies_ns
                .push(ended.duration_since(began).as_nanos() as u64),
            Err(error) => {
                row.errors += 1;
                row.first_error.get_or_insert_with(|| format!("{error:#}"));
            }
        }
    }
    tsclient::end_session(&channel, &session).await?;
    Ok(row)
}

fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
}

/// Phase 4: bytes on disk per committed point, at each step.
fn disk_report(bench: &Bench) {
    println!();
    println!("== 4. bytes on disk per committed point (data directory after each commit step) ==");
    println!(
        "  apparent = sum of file sizes (ls -l); allocated = sum of st_blocks * 512 (du); the server's VmRSS beside"
    );
    println!(
        "  {:<26} {:>7} {:>13} {:>5} {:>11} {:>11} {:>10} {:>10} {:>11}",
        "after",
        "series",
        "points",
        "files",
        "apparent",
        "allocated",
        "B/pt app",
        "B/pt alloc",
        "server RSS"
    );
    for row in &bench.disk_rows {
        let per = |bytes: u64| {
            if row.points == 0 {
                "-".to_string()
            } else {
                format!("{:.2}", bytes as f64 / row.points as f64)
            }
        };
        println!(
            "  {:<26} {:>7} {:>13} {:>5} {:>11} {:>11} {:>10} {:>10} {:>11}",
            row.after,
            thousands(row.series as u64),
            thousands(row.points),
            row.disk.files,
            mib(row.disk.apparent),
            mib(row.disk.allocated),
            per(row.disk.apparent),
            per(row.disk.allocated),
            row.rss.map(mib).unwrap_or_else(|| "?".to_string())
        );
    }
    println!("  (an empty store's own size is in the first row; the per-point figures include it)");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_range() {
        assert_eq!(pieces(10, 4), vec![(0, 4), (4, 4), (8, 2)]);
        assert_eq!(pieces(8, 4), vec![(0, 4), (4, 4)]);
        assert!(pieces(0, 4).is_empty());
        let p = pieces(10_000_000, POINTS_PER_MESSAGE);
        assert_eq!(p.len(), 67);
        assert_eq!(p.iter().map(|(_, n)| n).sum::<u64>(), 10_000_000);
    }

    #[test]
    fn sizes_scale() {
        let full = Sizes::new(1.0, DEFAULT_STORE_POINTS);
        assert_eq!(full.long_points, 10_000_000);
        assert_eq!(full.many_series, 10_000);
        assert_eq!(full.fill_points(), 80_000_000);
        let tiny = Sizes::new(0.001, DEFAULT_STORE_POINTS);
        assert_eq!(tiny.long_points, 10_000);
        assert_eq!(tiny.many_series, 10);
        assert_eq!(tiny.fill_points(), 80_000);
        assert_eq!(Sizes::new(1.0, 1_000).fill_points(), 0);
    }

    #[test]
    fn scale_is_bounded() {
        assert!(parse_scale("1").is_ok());
        assert!(parse_scale("0").is_err());
        assert!(parse_scale("5").is_err());
    }
}
