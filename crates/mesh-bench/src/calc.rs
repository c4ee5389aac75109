//! `mesh-bench calc`: calculations, on the server and in the engine alone.
//!
//! Over loopback, each figure beside its peer, the read of the same input
//! points over the wire (ratio = calculation time / read time):
//! (a) `@TRANSFORM` of ten hourly years to days and months (AVG), against reading
//!     the ten years by key;
//! (b) `@SUM(@T(search))` over 1,000 hourly series of a year found by a
//!     search, against reading the 1,000 series with one stream;
//! (c) a calculated attribute (`## = @t('.Production') * 2`) read over a
//!     year, against reading its input series by key.
//! In process (the mesh-calc crate, no server): arithmetic and sums over
//! 10 million points, in points per second.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use mesh_proto::calc::calculation_service_client::CalculationServiceClient;
use mesh_proto::calc::CalculationRequest;
use mesh_proto::model_file::model_file_service_client::ModelFileServiceClient;
use mesh_proto::model_file::ImportModelFileRequest;
use mesh_proto::time_series::timeseries_service_client::TimeseriesServiceClient;
use mesh_proto::time_series::ReadTimeseriesRequest;
use mesh_proto::types::{MeshId, UtcInterval};
use tonic::transport::Channel;

use crate::measure::median;
use crate::server::{ServerArgs, ServerProcess};
use crate::{data, thousands, tsclient};

const YEAR_HOURS: u64 = 8_760;
const TEN_YEARS_HOURS: u64 = 87_600;
/// Points of each in-process engine figure.
const ENGINE_POINTS: usize = 10_000_000;

/// Options of `mesh-bench calc`.
#[derive(Args)]
pub struct CalcArgs {
    /// Series of a year for the @SUM(@T(...)) figure (10 to 10,000).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(10..=10_000))]
    pub series: u64,

    /// Repetitions of each measured call (the median is printed).
    #[arg(long, default_value_t = 9, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub repeat: u64,

    /// The mesh-server binary to run [default: mesh-server next to mesh-bench].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,

    /// Only the engine figures (no server is started).
    #[arg(long)]
    pub engine_only: bool,
}

/// The model: area `Area` of plants `P0…`, each with `Production`
/// connected to `keys[i]` and a calculated `Doubled`; area `Far` with one
/// plant, `Long`, whose `Production` holds ten years.
fn model_file(keys: &[i64], long_key: i64) -> String {
    let mut out = String::with_capacity(keys.len() * 100 + 2048);
    out.push_str(
        r###"{"mesh_model_file":1,"model_definitions":[{"name":"CalcBench","attribute_types":[
{"name":"Plants","kind":"ownership","target":"Plant"},
{"name":"Production","kind":"timeseries"},
{"name":"Doubled","kind":"timeseries"}],
"object_definitions":[
{"name":"Area","attributes":[{"type":"Plants","minimum_cardinality":0,"maximum_cardinality":0}]},
{"name":"Plant","attributes":[{"type":"Production"},{"type":"Doubled","template_expression":"## = @t('.Production') * 2"}]}]}],
"models":[{"name":"Calc","definition":"CalcBench","objects":[{"name":"Area","definition":"Area","owns":{"Plants":["###,
    );
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"name":"P{i}","values":{{"Production":{{"timeseries_key":{key}}}}}}}"#
        );
    }
    // The ten-year plant in an area of its own, so that the search of (b)
    // finds the year series only.
    let _ = write!(
        out,
        r#"]}}}},{{"name":"Far","definition":"Area","owns":{{"Plants":[{{"name":"Long","values":{{"Production":{{"timeseries_key":{long_key}}}}}}}]}}}}]}}]}}"#
    );
    out
}

fn by_path(path: &str) -> MeshId {
    MeshId {
        path: Some(path.to_string()),
        ..Default::default()
    }
}

/// The calculation and time-series clients of one session, with the
/// message limits lifted (answers of ten years are large).
pub(crate) struct Clients {
    pub session: mesh_proto::types::Guid,
    calc: CalculationServiceClient<Channel>,
    series: TimeseriesServiceClient<Channel>,
}

/// What one RunCalculation answered.
pub(crate) type CalcResult = mesh_proto::calc::calculation_response::CalculationResultOneof;

impl Clients {
    pub fn new(channel: &Channel, session: &mesh_proto::types::Guid) -> Clients {
        Clients {
            session: session.clone(),
            calc: CalculationServiceClient::new(channel.clone())
                .max_decoding_message_size(usize::MAX),
            series: TimeseriesServiceClient::new(channel.clone())
                .max_decoding_message_size(usize::MAX),
        }
    }

    /// Runs `expression` relative to `relative_to` over hours
    /// `[first, first + hours)`; returns what it answered.
    pub async fn run(
        &self,
        expression: &str,
        relative_to: MeshId,
        first: u64,
        hours: u64,
    ) -> anyhow::Result<CalcResult> {
        self.calc
            .clone()
            .run_calculation(CalculationRequest {
                session_id: Some(self.session.clone()),
                expression: expression.to_string(),
                interval: Some(UtcInterval::from_millis(
                    data::utc_ms(first),
                    data::utc_ms(first + hours),
                )),
                relative_to: Some(relative_to),
            })
            .await
            .map_err(|s| tsclient::failed("RunCalculation", s))?
            .into_inner()
            .calculation_result_oneof
            .with_context(|| format!("{expression} answered nothing"))
    }

    /// Runs `expression` relative to `path` over hours `[0, hours)`;
    /// returns the points of the series answered.
    async fn calculate(&self, expression: &str, path: &str, hours: u64) -> anyhow::Result<usize> {
        let answer = self.run(expression, by_path(path), 0, hours).await?;
        series_points(expression, &answer)
    }

    /// Reads `id` over hours `[0, hours)`; returns the points.
    async fn read(&self, id: MeshId, hours: u64) -> anyhow::Result<usize> {
        let answer = self
            .series
            .clone()
            .read_timeseries(ReadTimeseriesRequest {
                session_id: Some(self.session.clone()),
                timeseries_id: Some(id),
                interval: Some(UtcInterval::from_millis(
                    data::utc_ms(0),
                    data::utc_ms(hours),
                )),
            })
            .await
            .map_err(|s| tsclient::failed("ReadTimeseries", s))?
            .into_inner();
        let [one] = answer.timeseries.as_slice() else {
            anyhow::bail!("a read answered {} series", answer.timeseries.len());
        };
        Ok(mesh_timeseries::arrow_ipc::decode(&one.data)
            .context("cannot decode the points")?
            .len())
    }
}

/// The points of the series in `answer` to `expression`, decoded.
pub(crate) fn series_points(expression: &str, answer: &CalcResult) -> anyhow::Result<usize> {
    let CalcResult::TimeseriesResults(all) = answer else {
        anyhow::bail!("{expression} answered no series");
    };
    let mut points = 0;
    for series in &all.timeseries {
        points += mesh_timeseries::arrow_ipc::decode(&series.data)
            .context("cannot decode a result")?
            .len();
    }
    Ok(points)
}

fn row(label: &str, seconds: f64, points: u64, peer: f64) {
    println!(
        "  {label:<52} {:>9.2} ms  {:>7.1} M input points/s  ratio to the read {:>5.2}",
        seconds * 1e3,
        points as f64 / seconds / 1e6,
        seconds / peer
    );
}

/// Runs the benchmark.
pub async fn run(args: CalcArgs) -> anyhow::Result<()> {
    let began = Instant::now();
    if args.engine_only {
        crate::print_header("calc", Path::new("none (--engine-only)"), &[]);
        print_engine(args.repeat)?;
        println!("total run time: {:.1} s", began.elapsed().as_secs_f64());
        return Ok(());
    }
    let binary = match &args.server_bin {
        Some(path) => path.clone(),
        None => crate::server::default_binary()?,
    };
    crate::print_header(
        "calc",
        &binary,
        &["raw tonic clients; one call at a time; loopback only"],
    );
    let server = ServerProcess::start(
        &binary,
        "calc",
        &ServerArgs {
            session_timeout: crate::SESSION_TIMEOUT,
            max_sessions: 64,
            extra: vec![
                "--max-message-size".into(),
                (1u64 << 30).to_string(),
                "--calc-max-points".into(),
                "100000000".into(),
            ],
        },
    )
    .await?;
    println!("  server:   {}", server.command_line);
    let channel = crate::relations::connect(server.addr()).await?;
    let session = tsclient::start_session(&channel).await?;
    let ts = tsclient::ts_client(&channel);
    let (unit, _) = tsclient::pick_unit(&channel).await?;

    let loading = Instant::now();
    let mut keys = Vec::with_capacity(args.series as usize);
    for ordinal in 0..args.series {
        let key = tsclient::create_series(&ts, &session, ordinal, &unit).await?;
        tsclient::write(&ts, &session, key, ordinal, 0, YEAR_HOURS).await?;
        keys.push(key);
    }
    let long_key = tsclient::create_series(&ts, &session, args.series, &unit).await?;
    tsclient::write(&ts, &session, long_key, args.series, 0, TEN_YEARS_HOURS).await?;
    ModelFileServiceClient::new(channel.clone())
        .max_encoding_message_size(usize::MAX)
        .import_model_file(ImportModelFileRequest {
            session_id: Some(session.clone()),
            file_name: "calc.json".into(),
            content: model_file(&keys, long_key),
        })
        .await
        .map_err(|s| tsclient::failed("ImportModelFile", s))?;
    tsclient::commit(&channel, &session).await?;
    println!(
        "  data:     {} hourly series of a year and one of ten years, committed in {:.1} s",
        thousands(args.series),
        loading.elapsed().as_secs_f64()
    );
    let clients = Clients::new(&channel, &session);
    println!();
    println!("== on the server (median of {} runs) ==", args.repeat);

    // (a) TRANSFORM of ten years against reading them.
    let read_long = median(args.repeat, || async {
        clients
            .read(MeshId::by_timeseries_key(long_key), TEN_YEARS_HOURS)
            .await?;
        Ok(())
    })
    .await?;
    row(
        "read of ten years by key (the peer)",
        read_long,
        TEN_YEARS_HOURS,
        read_long,
    );
    // Ten years from 2000-01-01: 3,650 days, in 120 months.
    for (to, steps) in [("DAY", TEN_YEARS_HOURS / 24), ("MONTH", 120)] {
        let transform = format!("## = @TRANSFORM(@t('.Production'), '{to}', 'AVG', 'UTC')\n");
        let seconds = median(args.repeat, || async {
            let n = clients
                .calculate(&transform, "Model/Calc/Far/Long", TEN_YEARS_HOURS)
                .await?;
            anyhow::ensure!(n as u64 == steps, "the transform answered {n} points");
            Ok(())
        })
        .await?;
        row(
            &format!("(a) TRANSFORM of ten years to {to}, AVG"),
            seconds,
            TEN_YEARS_HOURS,
            read_long,
        );
    }

    // (b) SUM over the series a search finds.
    let all_points = args.series * YEAR_HOURS;
    let read_all = median(args.repeat, || async {
        let all = tsclient::read_stream(&ts, &session, &keys, 0, YEAR_HOURS).await?;
        anyhow::ensure!(all.len() == keys.len(), "the stream lost series");
        Ok(())
    })
    .await?;
    row(
        &format!(
            "read of the {} series, one stream (the peer)",
            thousands(args.series)
        ),
        read_all,
        all_points,
        read_all,
    );
    let sum = "## = @SUM(@T('Plants.Production'))\n";
    let seconds = median(args.repeat, || async {
        let n = clients
            .calculate(sum, "Model/Calc/Area", YEAR_HOURS)
            .await?;
        anyhow::ensure!(n as u64 == YEAR_HOURS, "the sum answered {n} points");
        Ok(())
    })
    .await?;
    row(
        &format!(
            "(b) @SUM(@T(search)) over {} series",
            thousands(args.series)
        ),
        seconds,
        all_points,
        read_all,
    );

    // (c) A calculated attribute against its input.
    let read_input = median(args.repeat, || async {
        clients
            .read(MeshId::by_timeseries_key(keys[0]), YEAR_HOURS)
            .await?;
        Ok(())
    })
    .await?;
    row(
        "read of one series of a year by key (the peer)",
        read_input,
        YEAR_HOURS,
        read_input,
    );
    let seconds = median(args.repeat, || async {
        let n = clients
            .read(by_path("Model/Calc/Area/P0.Doubled"), YEAR_HOURS)
            .await?;
        anyhow::ensure!(n as u64 == YEAR_HOURS, "the attribute answered {n} points");
        Ok(())
    })
    .await?;
    row(
        "(c) calculated attribute (input * 2), a year",
        seconds,
        YEAR_HOURS,
        read_input,
    );
    tsclient::end_session(&channel, &session).await?;
    server.stop().await?;

    println!();
    print_engine(args.repeat)?;
    println!();
    println!("total run time: {:.1} s", began.elapsed().as_secs_f64());
    Ok(())
}

/// The engine's figures under their heading.
fn print_engine(repeat: u64) -> anyhow::Result<()> {
    println!(
        "== the engine alone (mesh-calc in this process, {} points, median of {} runs) ==",
        thousands(ENGINE_POINTS as u64),
        repeat
    );
    engine(repeat)
}

/// A data port over two fixed hourly series.
struct Fixed {
    a: mesh_calc::Series,
    b: mesh_calc::Series,
}

impl mesh_calc::Context for Fixed {
    fn series(
        &self,
        reference: &mesh_calc::SeriesRef,
        _: mesh_calc::Interval,
    ) -> Result<Option<mesh_calc::Series>, mesh_calc::ContextError> {
        Ok(match reference {
            mesh_calc::SeriesRef::Search(q) if q == "b" => Some(self.b.clone()),
            _ => Some(self.a.clone()),
        })
    }
}

fn engine_series(seed: u64) -> anyhow::Result<mesh_calc::Series> {
    let points = data::points(seed, 0, ENGINE_POINTS as u64);
    Ok(mesh_calc::Series::from_points(
        &points,
        mesh_timeseries::Resolution::Hour,
        mesh_timeseries::CurveType::StaircaseStartOfStep,
    )?)
}

fn engine(repeat: u64) -> anyhow::Result<()> {
    let context = Fixed {
        a: engine_series(1)?,
        b: engine_series(2)?,
    };
    let interval = mesh_calc::Interval::new(data::utc_ms(0), data::utc_ms(ENGINE_POINTS as u64));
    let settings = mesh_calc::Settings::default();
    let limits = mesh_calc::Limits {
        max_points: 1_000_000_000,
        ..mesh_calc::Limits::default()
    };
    let time = |expression: &str| -> anyhow::Result<f64> {
        let mut times = Vec::new();
        for _ in 0..=repeat {
            let started = Instant::now();
            mesh_calc::evaluate(expression, &context, interval, &settings, &limits)
                .map_err(|e| anyhow::anyhow!("{expression}: {e}"))?;
            times.push(started.elapsed().as_secs_f64());
        }
        times.remove(0);
        times.sort_by(f64::total_cmp);
        Ok(times[times.len() / 2])
    };
    let rows = [
        ("## = @t('a') * 2", 1usize, "series * number"),
        (
            "## = @t('a') + @t('b')",
            2,
            "series + series (same instants)",
        ),
        (
            "## = @TRANSFORM(@t('a'), 'DAY', 'AVG', 'UTC')",
            1,
            "TRANSFORM hour to DAY, AVG",
        ),
        (
            "## = @TRANSFORM(@t('a'), 'MONTH', 'SUM', 'UTC')",
            1,
            "TRANSFORM hour to MONTH, SUM",
        ),
    ];
    for (expression, inputs, label) in rows {
        let seconds = time(expression)?;
        let points = (ENGINE_POINTS * inputs) as f64;
        println!(
            "  {label:<40} {:>8.1} ms  {:>7.1} M input points/s",
            seconds * 1e3,
            points / seconds / 1e6
        );
    }
    Ok(())
}
