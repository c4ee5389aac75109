//! `mesh-bench relations`: a model of many plants linked to rivers,
//! imported as one model file; then (1) a one-week hourly read through a
//! time series attribute's path or id against the same read by key, and
//! (2) searches that follow link relations across the whole model.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use mesh_proto::model::model_service_client::ModelServiceClient;
use mesh_proto::model::{SearchObjectsRequest, UpdateTimeseriesAttributeRequest};
use mesh_proto::model_file::model_file_service_client::ModelFileServiceClient;
use mesh_proto::model_file::ImportModelFileRequest;
use mesh_proto::time_series::timeseries_service_client::TimeseriesServiceClient;
use mesh_proto::time_series::ReadTimeseriesRequest;
use mesh_proto::types::{MeshId, UtcInterval};
use tonic::transport::{Channel, Endpoint};

use crate::load::percentile;
use crate::server::{ServerArgs, ServerProcess};
use crate::{data, thousands, tsclient};

const CALL_TIMEOUT: Duration = Duration::from_secs(600);
const WEEK_HOURS: u64 = 168;

/// Options of `mesh-bench relations`.
#[derive(Args)]
pub struct RelationsArgs {
    /// Objects in the model: areas, plants and rivers together (1,000 to 1,000,000).
    #[arg(long, default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1_000..=1_000_000))]
    pub objects: u64,

    /// Areas the objects are spread over; each has ten rivers, the rest plants.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub areas: u64,

    /// Reads of the week by each way of naming the series (interleaved).
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(10..=1_000_000))]
    pub reads: u64,

    /// Repetitions of each search (the median is printed).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub searches: u64,

    /// The mesh-server binary to run [default: mesh-server next to mesh-bench].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
}

const RIVERS_PER_AREA: u64 = 10;

/// The model file: definition `LinkBench` (Area owns Plants and Rivers; a
/// plant links to one river through `To_River` and has a `Production`
/// series attribute; a river links to the next river of its area through
/// `Flows_To`), model `Links` with the areas, plants and rivers.
fn model_file(areas: u64, plants_per_area: u64) -> String {
    let mut out = String::with_capacity((areas * plants_per_area * 90) as usize + 4096);
    out.push_str(
        r#"{"mesh_model_file":1,"model_definitions":[{"name":"LinkBench","attribute_types":[
{"name":"Plants","kind":"ownership","target":"Plant"},
{"name":"Rivers","kind":"ownership","target":"River"},
{"name":"To_River","kind":"link","target":"River"},
{"name":"Flows_To","kind":"link","target":"River"},
{"name":"Production","kind":"timeseries"}],
"object_definitions":[
{"name":"Area","attributes":[{"type":"Plants","minimum_cardinality":0,"maximum_cardinality":0},{"type":"Rivers","minimum_cardinality":0,"maximum_cardinality":0}]},
{"name":"Plant","attributes":[{"type":"To_River"},{"type":"Production"}]},
{"name":"River","attributes":[{"type":"Flows_To"}]}]}],
"models":[{"name":"Links","definition":"LinkBench","objects":["#,
    );
    for area in 0..areas {
        if area > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"name":"A{area}","definition":"Area","owns":{{"Rivers":["#
        );
        for river in 0..RIVERS_PER_AREA {
            if river > 0 {
                out.push(',');
            }
            let next = (river + 1) % RIVERS_PER_AREA;
            let _ = write!(
                out,
                r#"{{"name":"R{area}_{river}","values":{{"Flows_To":"Model/Links/A{area}/R{area}_{next}"}}}}"#
            );
        }
        out.push_str(r#"],"Plants":["#);
        for plant in 0..plants_per_area {
            if plant > 0 {
                out.push(',');
            }
            let river = plant % RIVERS_PER_AREA;
            let _ = write!(
                out,
                r#"{{"name":"P{area}_{plant}","values":{{"To_River":"Model/Links/A{area}/R{area}_{river}"}}}}"#
            );
        }
        out.push_str("]}}");
    }
    out.push_str("]}]}");
    out
}

fn by_path(path: &str) -> MeshId {
    MeshId {
        path: Some(path.to_string()),
        ..Default::default()
    }
}

pub async fn run(args: RelationsArgs) -> anyhow::Result<()> {
    let began = Instant::now();
    let binary = match &args.server_bin {
        Some(path) => path.clone(),
        None => crate::server::default_binary()?,
    };
    crate::print_header(
        "relations",
        &binary,
        &["raw tonic clients; one call at a time (closed loop); loopback only"],
    );
    let per_area = args.objects / args.areas;
    anyhow::ensure!(
        per_area > RIVERS_PER_AREA,
        "--objects {} over --areas {} leaves no room for plants beside {RIVERS_PER_AREA} rivers an area",
        args.objects,
        args.areas
    );
    let plants_per_area = per_area - 1 - RIVERS_PER_AREA;
    let objects = args.areas * (1 + RIVERS_PER_AREA + plants_per_area);
    let server = ServerProcess::start(
        &binary,
        "relations",
        &ServerArgs {
            session_timeout: crate::SESSION_TIMEOUT,
            max_sessions: 64,
            extra: vec!["--max-message-size".into(), (1u64 << 30).to_string()],
        },
    )
    .await?;
    println!("  server:   {}", server.command_line);
    println!();
    println!("== the model ==");
    println!(
        "  {} objects: {} areas, each with {RIVERS_PER_AREA} rivers (linked in a ring by Flows_To) and {} plants",
        thousands(objects),
        thousands(args.areas),
        thousands(plants_per_area)
    );
    println!("  (each linked by To_River to river plant % {RIVERS_PER_AREA} of its area, each with a Production series attribute)");
    let channel = connect(server.addr()).await?;
    let session = tsclient::start_session(&channel).await?;
    let file = model_file(args.areas, plants_per_area);
    let imported = Instant::now();
    ModelFileServiceClient::new(channel.clone())
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX)
        .import_model_file(ImportModelFileRequest {
            session_id: Some(session.clone()),
            file_name: "links.json".into(),
            content: file.clone(),
        })
        .await
        .map_err(|s| tsclient::failed("ImportModelFile", s))?;
    tsclient::commit(&channel, &session).await?;
    println!(
        "  import of the model file ({:.1} MB) and commit: {:.2} s",
        file.len() as f64 / 1e6,
        imported.elapsed().as_secs_f64()
    );

    // One plant's Production, connected to a series holding one week.
    let ts = tsclient::ts_client(&channel);
    let (unit, _) = tsclient::pick_unit(&channel).await?;
    let key = tsclient::create_series(&ts, &session, 0, &unit).await?;
    tsclient::write(&ts, &session, key, 0, 0, WEEK_HOURS).await?;
    let area = args.areas / 2;
    let plant = plants_per_area / 2;
    let short = format!("Model/Links/A{area}/P{area}_{plant}.Production");
    let full = format!("Model/Links/A{area}.Plants/P{area}_{plant}.Production");
    let mut model = ModelServiceClient::new(channel.clone()).max_decoding_message_size(usize::MAX);
    model
        .update_timeseries_attribute(UpdateTimeseriesAttributeRequest {
            session_id: Some(session.clone()),
            attribute_id: Some(by_path(&short)),
            field_mask: Some(prost_types::FieldMask {
                paths: vec!["new_timeseries_resource_key".into()],
            }),
            new_timeseries_resource_key: key,
            ..Default::default()
        })
        .await
        .map_err(|s| tsclient::failed("UpdateTimeseriesAttribute", s))?;
    tsclient::commit(&channel, &session).await?;
    let attribute_id = model
        .get_attribute(mesh_proto::model::GetAttributeRequest {
            session_id: Some(session.clone()),
            attribute_id: Some(by_path(&short)),
            ..Default::default()
        })
        .await
        .map_err(|s| tsclient::failed("GetAttribute", s))?
        .into_inner()
        .id;

    println!();
    println!(
        "== one week of an hourly series ({WEEK_HOURS} points): by key vs through its attribute =="
    );
    println!("  attribute: {short}");
    let interval = UtcInterval::from_millis(data::utc_ms(0), data::utc_ms(WEEK_HOURS));
    let ways: [(&str, MeshId); 4] = [
        ("timeseries_key", MeshId::by_timeseries_key(key)),
        ("attribute path (short)", by_path(&short)),
        ("attribute path (full)", by_path(&full)),
        (
            "attribute id",
            MeshId {
                id: attribute_id,
                ..Default::default()
            },
        ),
    ];
    let mut series = TimeseriesServiceClient::new(channel.clone());
    let mut timings: Vec<Vec<u64>> = vec![Vec::new(); ways.len()];
    // Warm-up, then interleaved rounds so that any drift hits all alike.
    for round in 0..args.reads + 50 {
        for (i, (_, id)) in ways.iter().enumerate() {
            let started = Instant::now();
            let answer = series
                .read_timeseries(ReadTimeseriesRequest {
                    session_id: Some(session.clone()),
                    timeseries_id: Some(id.clone()),
                    interval: Some(interval),
                })
                .await
                .map_err(|s| tsclient::failed("ReadTimeseries", s))?
                .into_inner();
            let [one] = answer.timeseries.as_slice() else {
                anyhow::bail!("a read answered {} series", answer.timeseries.len());
            };
            let points = mesh_timeseries::arrow_ipc::decode(&one.data)
                .context("cannot decode the points")?;
            anyhow::ensure!(points.len() as u64 == WEEK_HOURS, "a read lost points");
            if round >= 50 {
                timings[i].push(started.elapsed().as_nanos() as u64);
            }
        }
    }
    println!("  {:<24} {:>10} {:>10}", "named by", "p50", "p99");
    for ((name, _), times) in ways.iter().zip(&mut timings) {
        times.sort_unstable();
        println!(
            "  {:<24} {:>7.3} ms {:>7.3} ms",
            name,
            percentile(times, 50.0).as_secs_f64() * 1e3,
            percentile(times, 99.0).as_secs_f64() * 1e3
        );
    }

    println!();
    println!(
        "== searches following link relations (SearchObjects, id and path only; median of {}) ==",
        args.searches
    );
    let queries = [
        ("Model/Links", "Objects/Plants/To_River"),
        (
            "Model/Links",
            "Objects/Plants/To_River/Flows_To/@[.Name=R0_1]",
        ),
        ("Model/Links", "Objects/Plants/To_River/Flows_To{*}"),
    ];
    for (start, query) in queries {
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..args.searches {
            let started = Instant::now();
            let mut stream = model
                .search_objects(SearchObjectsRequest {
                    session_id: Some(session.clone()),
                    start_object_id: Some(by_path(start)),
                    query: query.into(),
                    object_field_mask: Some(prost_types::FieldMask {
                        paths: vec!["id".into(), "path".into()],
                    }),
                    ..Default::default()
                })
                .await
                .map_err(|s| tsclient::failed("SearchObjects", s))?
                .into_inner();
            found = 0;
            while let Some(_object) = stream
                .message()
                .await
                .map_err(|s| tsclient::failed("SearchObjects", s))?
            {
                found += 1;
            }
            times.push(started.elapsed().as_nanos() as u64);
        }
        times.sort_unstable();
        println!(
            "  {query:<48} {:>6} found  {:>8.1} ms",
            thousands(found),
            percentile(&times, 50.0).as_secs_f64() * 1e3
        );
    }
    tsclient::end_session(&channel, &session).await?;
    server.stop().await?;
    println!();
    println!("total run time: {:.1} s", began.elapsed().as_secs_f64());
    Ok(())
}

/// A channel to `address` with the benchmarks' long call timeout.
pub(crate) async fn connect(address: SocketAddr) -> anyhow::Result<Channel> {
    Endpoint::from_shared(format!("http://{address}"))?
        .connect_timeout(CALL_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("cannot connect to {address}"))
}
