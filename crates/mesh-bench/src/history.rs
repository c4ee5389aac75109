//! `mesh-bench history`: what keeping every commit's writes costs.
//!
//! Three servers of the same binary, each on a data directory of its own so
//! that the bytes on disk are each one's: on one, series A get a year of
//! hourly values in 365 commits of overlapping two-day windows (commit
//! `d` writes days `d` and `d + 1`, so every day but the first is written
//! twice and its first values are kept as history); on another, series
//! B get the same final values in one commit (no history); on a third,
//! series C get them in 365 commits of one day each (as many commits and
//! writes as A, nothing replaced), which tells the cost of the commits
//! apart from that of the replaced points. Printed:
//! (1) bytes on disk per current point and per stored point (current
//!     points plus the replaced points kept), A, C and B;
//! (2) the read of the whole year of A against that of B (and C),
//!     points/s, and their ratios (history should cost reads nothing:
//!     about 1.0);
//! (3) `@GetTsAsOfTime` over a random week at a random commit time,
//!     p50 and p99, beside reading the same week's current state by key
//!     and through `@t()`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use mesh_proto::types::{Guid, MeshId};
use mesh_timeseries::{flags, Point};
use tonic::transport::Channel;

use crate::calc::{series_points, CalcResult, Clients};
use crate::disk::{self, DiskUse};
use crate::load::percentile;
use crate::measure::{middle, timed};
use crate::server::{ServerArgs, ServerProcess};
use crate::{data, latency, thousands, tsclient};

const DAY_HOURS: u64 = 24;
const DAYS: u64 = 365;
const YEAR_HOURS: u64 = DAYS * DAY_HOURS;
const WEEK_HOURS: u64 = 7 * DAY_HOURS;
/// Days each commit of A writes (C writes one).
const WINDOW_DAYS: u64 = 2;
/// More than the commits of A, so every audit time comes back.
const AUDIT_TIMES: u64 = 400;

/// Options of `mesh-bench history`.
#[derive(Args)]
pub struct HistoryArgs {
    /// Reads of the whole year per series kind (the median is printed).
    #[arg(long, default_value_t = 9, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub repeat: u64,

    /// As-of reads (and as many of each peer) for the latency figures.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub samples: u64,

    /// Series of each kind, written alike: more make the bytes-per-point
    /// figures less a matter of the store's page granularity; the reads
    /// and as-of reads use the first.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub series: u64,

    /// The mesh-server binary to run [default: mesh-server next to mesh-bench].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
}

/// Hours `[first, end)` commit `day` writes when each writes `days`
/// days, cut at the end of the year.
fn window(day: u64, days: u64) -> (u64, u64) {
    let first = day * DAY_HOURS;
    (first, (first + days * DAY_HOURS).min(YEAR_HOURS))
}

/// Points of one series that later commits replaced (and history keeps)
/// when each commit writes `days` days: each window's overlap with the
/// one before.
fn replaced_per_series(days: u64) -> u64 {
    (1..DAYS)
        .map(|day| window(day - 1, days).1.saturating_sub(window(day, days).0))
        .sum()
}

/// The value seed of what commit `day` writes into series `series`, so
/// that each commit's values differ from the ones it replaces.
fn version(series: u64, day: u64) -> u64 {
    series * DAYS + day
}

/// The points commit `day` writes into series `series` over `hours`.
fn written(series: u64, day: u64, (first, end): (u64, u64)) -> Vec<Point> {
    data::points(version(series, day), first, end - first)
}

/// The year of `series` after every commit of A: each hour holds what the
/// last commit covering it wrote (the commit of its own day).
fn final_year(series: u64) -> Vec<Point> {
    (0..YEAR_HOURS)
        .map(|h| {
            let value = data::value(version(series, h / DAY_HOURS), h);
            Point::new(data::utc_ms(h), flags::OK, value)
        })
        .collect()
}

fn ms((first, end): (u64, u64)) -> (i64, i64) {
    (data::utc_ms(first), data::utc_ms(end))
}

/// One server and the series of one kind on it.
struct Side {
    server: ServerProcess,
    channel: Channel,
    session: Guid,
    ts: tsclient::TsClient,
    keys: Vec<i64>,
    /// The data directory before the series were created.
    empty: DiskUse,
}

impl Side {
    /// Starts a server on a fresh data directory and creates `series`
    /// hourly series in one session (not committed yet).
    async fn start(binary: &Path, label: &str, series: u64) -> anyhow::Result<Side> {
        let server = ServerProcess::start(
            binary,
            label,
            &ServerArgs {
                session_timeout: crate::SESSION_TIMEOUT,
                max_sessions: 64,
                extra: Vec::new(),
            },
        )
        .await?;
        let channel = crate::relations::connect(server.addr()).await?;
        let (unit, _) = tsclient::pick_unit(&channel).await?;
        let session = tsclient::start_session(&channel).await?;
        let ts = tsclient::ts_client(&channel);
        let empty = disk::usage(server.data_dir())?;
        let mut keys = Vec::with_capacity(series as usize);
        for ordinal in 0..series {
            keys.push(tsclient::create_series(&ts, &session, ordinal, &unit).await?);
        }
        Ok(Side {
            server,
            channel,
            session,
            ts,
            keys,
            empty,
        })
    }

    /// A and C: the year in one commit per day, each writing `days` days.
    async fn write_daily_windows(&self, days: u64) -> anyhow::Result<()> {
        for day in 0..DAYS {
            let hours = window(day, days);
            for (series, &key) in (0u64..).zip(&self.keys) {
                let points = written(series, day, hours);
                tsclient::write_points(&self.ts, &self.session, key, ms(hours), &points).await?;
            }
            tsclient::commit(&self.channel, &self.session).await?;
        }
        Ok(())
    }

    /// B: the same final year in one commit.
    async fn write_once(&self) -> anyhow::Result<()> {
        for (series, &key) in (0u64..).zip(&self.keys) {
            let points = final_year(series);
            tsclient::write_points(&self.ts, &self.session, key, ms((0, YEAR_HOURS)), &points)
                .await?;
        }
        tsclient::commit(&self.channel, &self.session).await
    }

    /// What the data directory grew by since the server started.
    fn growth(&self) -> anyhow::Result<DiskUse> {
        let now = disk::usage(self.server.data_dir())?;
        Ok(DiskUse {
            files: now.files,
            apparent: now.apparent.saturating_sub(self.empty.apparent),
            allocated: now.allocated.saturating_sub(self.empty.allocated),
        })
    }

    /// Reads hours `[first, first + count)` of the first series by key;
    /// returns the points.
    async fn read(&self, first: u64, count: u64) -> anyhow::Result<Vec<Point>> {
        tsclient::read(&self.ts, &self.session, self.keys[0], first, count).await
    }

    /// Seconds of one read of the whole year of the first series.
    async fn year_read(&self) -> anyhow::Result<f64> {
        let (took, points) = timed(self.read(0, YEAR_HOURS)).await?;
        anyhow::ensure!(
            points.len() as u64 == YEAR_HOURS,
            "a read of the year answered {} points",
            points.len()
        );
        Ok(took.as_secs_f64())
    }

    async fn finish(self) -> anyhow::Result<()> {
        tsclient::end_session(&self.channel, &self.session).await?;
        self.server.stop().await
    }
}

/// Runs the benchmark.
pub async fn run(args: HistoryArgs) -> anyhow::Result<()> {
    let began = std::time::Instant::now();
    let binary = match &args.server_bin {
        Some(path) => path.clone(),
        None => crate::server::default_binary()?,
    };
    crate::print_header(
        "history",
        &binary,
        &["raw tonic clients; one call at a time; loopback only"],
    );
    let a = Side::start(&binary, "history-a", args.series).await?;
    let b = Side::start(&binary, "history-b", args.series).await?;
    let c = Side::start(&binary, "history-c", args.series).await?;
    println!("  server A: {}", a.server.command_line);
    println!("  server B: {}", b.server.command_line);
    println!("  server C: {}", c.server.command_line);

    let (took_a, ()) = timed(a.write_daily_windows(WINDOW_DAYS)).await?;
    let (took_b, ()) = timed(b.write_once()).await?;
    let (took_c, ()) = timed(c.write_daily_windows(1)).await?;
    println!(
        "  A: {} hourly series of a year, {DAYS} commits of {WINDOW_DAYS}-day windows \
         (day d and d+1), written in {:.1} s",
        thousands(args.series),
        took_a.as_secs_f64()
    );
    println!(
        "  B: the same final values in one commit, written in {:.1} s",
        took_b.as_secs_f64()
    );
    println!(
        "  C: the same final values in {DAYS} commits of one day each (nothing replaced), \
         written in {:.1} s",
        took_c.as_secs_f64()
    );

    println!();
    disk_report(&a, &b, &c, args.series)?;
    println!();
    let sides = [
        ("A (365 commits, history)", &a),
        ("C (365 commits, 1 day)", &c),
        ("B (one commit)", &b),
    ];
    read_report(sides, args.repeat).await?;
    println!();
    as_of_report(&a, args.samples).await?;

    a.finish().await?;
    b.finish().await?;
    c.finish().await?;
    println!();
    println!("total run time: {:.1} s", began.elapsed().as_secs_f64());
    Ok(())
}

/// (1) Bytes on disk per current and per stored point, A, C and B.
fn disk_report(a: &Side, b: &Side, c: &Side, series: u64) -> anyhow::Result<()> {
    println!("== bytes on disk (growth of each data directory since its server started) ==");
    println!(
        "  {:<26} {:>12} {:>12} {:>12} {:>12} {:>22} {:>22}",
        "series",
        "current pts",
        "stored pts",
        "allocated",
        "file size",
        "B/current pt (al/fs)",
        "B/stored pt (al/fs)"
    );
    let current = series * YEAR_HOURS;
    let rows = [
        (
            "A (365 commits, history)",
            a.growth()?,
            current + series * replaced_per_series(WINDOW_DAYS),
        ),
        (
            "C (365 commits, 1 day)",
            c.growth()?,
            current + series * replaced_per_series(1),
        ),
        ("B (one commit)", b.growth()?, current),
    ];
    for (label, grew, stored) in rows {
        let per = |n: u64| {
            format!(
                "{:.2} / {:.2}",
                grew.allocated as f64 / n as f64,
                grew.apparent as f64 / n as f64
            )
        };
        println!(
            "  {label:<26} {:>12} {:>12} {:>12} {:>12} {:>22} {:>22}",
            thousands(current),
            thousands(stored),
            thousands(grew.allocated),
            thousands(grew.apparent),
            per(current),
            per(stored)
        );
    }
    println!("  stored = current points + the points later commits replaced (kept as history);");
    println!("  the store file grows in steps, so a small growth may show as 0 file size");
    Ok(())
}

/// (2) Reading the year of A against reading the year of B (and of C,
/// written in as many commits as A, nothing replaced).
async fn read_report(sides: [(&str, &Side); 3], repeat: u64) -> anyhow::Result<()> {
    println!(
        "== current read of the whole year ({YEAR_HOURS} points) of the first series, \
         median of {repeat}, A, C and B interleaved =="
    );
    // Interleaved, after a warm-up read of each, so that other work on
    // the machine weighs on all alike.
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    for (_, side) in sides {
        side.year_read().await?;
    }
    for _ in 0..repeat {
        for ((_, side), times) in sides.iter().zip(&mut times) {
            times.push(side.year_read().await?);
        }
    }
    let rate = |seconds: f64| YEAR_HOURS as f64 / seconds / 1e6;
    let rates = times.map(|t| rate(middle(t)));
    for ((label, _), rate) in sides.iter().zip(rates) {
        println!(
            "  {label:<26} {:>8.3} ms  {:>6.2} M points/s",
            YEAR_HOURS as f64 / rate / 1e3,
            rate
        );
    }
    let [a, c, b] = rates;
    println!(
        "  throughput ratio A/B: {:.2}   C/B: {:.2}   A/C: {:.2}",
        a / b,
        c / b,
        a / c
    );
    Ok(())
}

/// The commit times (ticks, newest first) that changed A's first series
/// over the year.
async fn audit_times(clients: &Clients, key: i64) -> anyhow::Result<Vec<f64>> {
    let expression = format!("## = @GetTsAuditTimes(@t(), {AUDIT_TIMES})");
    let answer = clients
        .run(&expression, MeshId::by_timeseries_key(key), 0, YEAR_HOURS)
        .await?;
    let CalcResult::NumericResults(numbers) = answer else {
        anyhow::bail!("{expression} answered no numbers");
    };
    anyhow::ensure!(!numbers.value.is_empty(), "{expression} answered no time");
    Ok(numbers.value)
}

/// Latencies of one kind of call, in nanoseconds.
#[derive(Default)]
struct Latencies(Vec<u64>);

impl Latencies {
    fn push(&mut self, took: Duration) {
        self.0
            .push(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
    }

    fn row(mut self, label: &str) {
        self.0.sort_unstable();
        println!(
            "  {label:<52} {:>10} {:>10}",
            latency(percentile(&self.0, 50.0)),
            latency(percentile(&self.0, 99.0))
        );
    }
}

/// (3) As-of reads of a random week at a random commit time, beside the
/// same week's current state by key and through `@t()`, interleaved.
async fn as_of_report(a: &Side, samples: u64) -> anyhow::Result<()> {
    let clients = Clients::new(&a.channel, &a.session);
    let key = a.keys[0];
    let times = audit_times(&clients, key).await?;
    println!(
        "== one-week reads (168 points) of A, {} samples; random week, random commit time of {} ==",
        thousands(samples),
        times.len()
    );
    println!("  {:<52} {:>10} {:>10}", "call", "p50", "p99");
    let mut rng = data::Rng::new(7);
    let (mut by_key, mut current, mut as_of) = Default::default();
    for _ in 0..samples {
        let first = rng.below(YEAR_HOURS - WEEK_HOURS + 1);
        let ticks = times[rng.below(times.len() as u64) as usize];
        sample_week(
            &clients,
            a,
            first,
            ticks,
            [&mut by_key, &mut current, &mut as_of],
        )
        .await?;
    }
    Latencies::row(by_key, "ReadTimeseries by key, current (the peer)");
    Latencies::row(current, "RunCalculation ## = @t(), current");
    Latencies::row(as_of, "RunCalculation ## = @GetTsAsOfTime(@t(), <ticks>)");
    Ok(())
}

/// Times one read of each kind of the week from hour `first`.
async fn sample_week(
    clients: &Clients,
    a: &Side,
    first: u64,
    ticks: f64,
    [by_key, current, as_of]: [&mut Latencies; 3],
) -> anyhow::Result<()> {
    let key = MeshId::by_timeseries_key(a.keys[0]);
    let (took, points) = timed(a.read(first, WEEK_HOURS)).await?;
    anyhow::ensure!(
        points.len() as u64 == WEEK_HOURS,
        "a week read answered {} points",
        points.len()
    );
    by_key.push(took);
    let plain = "## = @t()";
    let (took, answer) = timed(clients.run(plain, key.clone(), first, WEEK_HOURS)).await?;
    let n = series_points(plain, &answer)?;
    anyhow::ensure!(n as u64 == WEEK_HOURS, "{plain} answered {n} points");
    current.push(took);
    let expression = format!("## = @GetTsAsOfTime(@t(), {ticks:.0})");
    let (took, answer) = timed(clients.run(&expression, key, first, WEEK_HOURS)).await?;
    series_points(&expression, &answer).context("an as-of read")?;
    as_of.push(took);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_year_and_overlap_by_a_day() {
        assert_eq!(window(0, WINDOW_DAYS), (0, 48));
        assert_eq!(
            window(DAYS - 1, WINDOW_DAYS),
            (YEAR_HOURS - DAY_HOURS, YEAR_HOURS)
        );
        assert_eq!(replaced_per_series(WINDOW_DAYS), (DAYS - 1) * DAY_HOURS);
        assert_eq!(replaced_per_series(1), 0);
    }

    #[test]
    fn the_final_year_is_what_each_day_last_got() {
        let year = final_year(3);
        for day in [0, 1, 200, DAYS - 1] {
            let hours = (day * DAY_HOURS, (day + 1) * DAY_HOURS);
            let got = &year[hours.0 as usize..hours.1 as usize];
            assert_eq!(got, written(3, day, hours).as_slice());
        }
    }
}
