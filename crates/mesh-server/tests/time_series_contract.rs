//! The server's contract for time series requests, checked with raw
//! generated clients (no SDK in between): requests the SDK would refuse to
//! send, hand-made Arrow payloads, and the statuses the server answers
//! with. What the SDK does with the server's answers is tested in
//! crates/mesh/tests/time_series.rs.

use std::sync::Arc;
use std::time::Duration;

use ::arrow_ipc::writer::StreamWriter;
use arrow_array::{
    ArrayRef, Float32Array, Float64Array, Int64Array, RecordBatch, TimestampMillisecondArray,
    TimestampSecondArray, UInt32Array,
};
use arrow_schema::{Field, Schema};
use mesh_proto::model_definition::{ListUnitsOfMeasurementRequest, UnitOfMeasurement};
use mesh_proto::time_series::{
    CreatePhysicalTimeseriesRequest, GetTimeseriesResourceRequest, ReadTimeseriesRequest,
    Timeseries, UpdateTimeseriesResourceRequest, WriteTimeseriesRequest,
};
use mesh_proto::types::{Curve, Guid, MeshId, Resolution, UtcInterval};
use mesh_server::config::ServerConfig;
use mesh_server::server::RunningServer;
use mesh_testkit::raw::{Clients, CurveType, ResolutionType};
use mesh_timeseries::{arrow_ipc, flags, Point};
use tonic::Code;

const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
/// 2024-01-01T00:00:00Z, where most tests put their points.
const T0: i64 = 1_704_067_200_000;

/// A server in this process on a loopback port, with its store in a
/// temporary directory, and raw clients connected to it.
struct TestServer {
    clients: Clients,
    _server: RunningServer,
    _data: tempfile::TempDir,
}

async fn start() -> TestServer {
    let data = tempfile::tempdir().expect("a temporary directory");
    let server = RunningServer::start(ServerConfig::for_tests(data.path()))
        .await
        .expect("the server starts");
    let mut clients = Clients::connect(&server.local_addr().to_string(), CALL_TIMEOUT)
        .await
        .expect("raw clients connect");
    // No limit on this side: the server's limits are the ones under test.
    clients.series = clients
        .series
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX);
    TestServer {
        clients,
        _server: server,
        _data: data,
    }
}

impl TestServer {
    /// A session, and a series of `curve` and `resolution` in it.
    async fn session_with_series(
        &self,
        name: &str,
        curve: CurveType,
        resolution: ResolutionType,
    ) -> (Guid, i64) {
        let session = self.clients.start_session().await.unwrap();
        let key = self.series(&session, name, curve, resolution).await;
        (session, key)
    }

    async fn series(
        &self,
        session: &Guid,
        name: &str,
        curve: CurveType,
        resolution: ResolutionType,
    ) -> i64 {
        let unit = self.clients.any_unit(session).await.unwrap();
        self.clients
            .create_series(session, &unit, ("/Test/", name), curve, resolution)
            .await
            .unwrap()
    }

    async fn read(&self, session: &Guid, key: i64, start_ms: i64, end_ms: i64) -> Vec<Point> {
        self.clients
            .read(session, key, (start_ms, end_ms))
            .await
            .unwrap()
    }
}

fn hourly(from_hour: i64, to_hour: i64, value: f64) -> Vec<Point> {
    (from_hour..to_hour)
        .map(|h| Point::new(T0 + h * HOUR, flags::OK, value + h as f64))
        .collect()
}

fn assert_status(status: &tonic::Status, code: Code, needle: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    assert!(
        status.message().contains(needle),
        "{:?} does not contain {needle:?}",
        status.message()
    );
}

fn raw_read_request(session: &Guid, id: MeshId, interval: UtcInterval) -> ReadTimeseriesRequest {
    ReadTimeseriesRequest {
        session_id: Some(session.clone()),
        timeseries_id: Some(id),
        interval: Some(interval),
    }
}

fn raw_write_request(
    session: &Guid,
    id: MeshId,
    interval: Option<UtcInterval>,
    data: Vec<u8>,
) -> WriteTimeseriesRequest {
    WriteTimeseriesRequest {
        session_id: Some(session.clone()),
        timeseries: Some(Timeseries {
            id: Some(id),
            resolution: None,
            interval,
            data,
        }),
    }
}

/// An Arrow IPC stream of `batch` exactly as given, without the SDK's checks.
fn ipc(batch: &RecordBatch) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut writer = StreamWriter::try_new(&mut bytes, &batch.schema()).unwrap();
    writer.write(batch).unwrap();
    writer.finish().unwrap();
    drop(writer);
    bytes
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns.into_iter().map(|(_, array)| array).collect(),
    )
    .unwrap()
}

/// Bad payloads and intervals are refused with the reason, and store
/// nothing. (The SDK's side of bad writes is in the SDK's tests.)
#[tokio::test]
async fn bad_writes_are_refused_with_the_reason_and_store_nothing() {
    let server = start().await;
    let (session, key) = server
        .session_with_series(
            "bad-writes",
            CurveType::Staircase,
            ResolutionType::Breakpoint,
        )
        .await;
    let seed = hourly(0, 10, 0.0);
    server
        .clients
        .write(&session, key, (T0, T0 + 10 * HOUR), &seed)
        .await
        .unwrap();
    let id = session.clone();
    let mut raw = server.clients.series.clone();
    let whole = Some(UtcInterval::from_millis(T0, T0 + 10 * HOUR));

    let times = || Arc::new(TimestampMillisecondArray::from(vec![T0, T0 + HOUR])) as ArrayRef;
    let flags_ok = || Arc::new(UInt32Array::from(vec![0u32, 0])) as ArrayRef;
    let values = || Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef;
    let encoded = |points: &[Point]| arrow_ipc::encode(points);

    let cases: Vec<(&str, Option<UtcInterval>, Vec<u8>, &str)> = vec![
        (
            "flags as int64",
            whole,
            ipc(&batch(vec![
                ("utc_time", times()),
                ("flags", Arc::new(Int64Array::from(vec![0i64, 0]))),
                ("value", values()),
            ])),
            "column `flags` of the time series data has type int64; expected uint32",
        ),
        (
            "value as float32",
            whole,
            ipc(&batch(vec![
                ("utc_time", times()),
                ("flags", flags_ok()),
                ("value", Arc::new(Float32Array::from(vec![1.0f32, 2.0]))),
            ])),
            "column `value` of the time series data has type float32; expected float64",
        ),
        (
            "utc_time in seconds",
            whole,
            ipc(&batch(vec![
                (
                    "utc_time",
                    Arc::new(TimestampSecondArray::from(vec![T0 / 1000])),
                ),
                ("flags", Arc::new(UInt32Array::from(vec![0u32]))),
                ("value", Arc::new(Float64Array::from(vec![1.0]))),
            ])),
            "column `utc_time` of the time series data has type timestamp[s]; expected timestamp[ms]",
        ),
        (
            "utc_time with a time zone",
            whole,
            ipc(&batch(vec![
                (
                    "utc_time",
                    Arc::new(
                        TimestampMillisecondArray::from(vec![T0, T0 + HOUR]).with_timezone("UTC"),
                    ),
                ),
                ("flags", flags_ok()),
                ("value", values()),
            ])),
            "column `utc_time` of the time series data has type timestamp[ms, tz=UTC]",
        ),
        (
            "a column misnamed",
            whole,
            ipc(&batch(vec![
                ("time", times()),
                ("flags", flags_ok()),
                ("value", values()),
            ])),
            "has no column `utc_time`",
        ),
        (
            "an extra column",
            whole,
            ipc(&batch(vec![
                ("utc_time", times()),
                ("flags", flags_ok()),
                ("value", values()),
                ("comment", values()),
            ])),
            "has 4 columns",
        ),
        (
            "a null value",
            whole,
            ipc(&batch(vec![
                ("utc_time", times()),
                ("flags", flags_ok()),
                ("value", Arc::new(Float64Array::from(vec![Some(1.0), None]))),
            ])),
            "column `value` of the time series data holds a null at row 1",
        ),
        (
            "bytes that are no Arrow stream",
            whole,
            b"certainly not arrow".to_vec(),
            "not a valid Arrow IPC stream",
        ),
        (
            "timestamps out of order",
            whole,
            encoded(&[Point::new(T0 + HOUR, 0, 1.0), Point::new(T0, 0, 2.0)]),
            "timestamps in the segment are not increasing",
        ),
        (
            "a duplicate timestamp",
            whole,
            encoded(&[Point::new(T0, 0, 1.0), Point::new(T0, 0, 2.0)]),
            "timestamps in the segment are not increasing",
        ),
        (
            "a point before the interval",
            Some(UtcInterval::from_millis(T0 + HOUR, T0 + 10 * HOUR)),
            encoded(&[Point::new(T0, 0, 1.0)]),
            "is outside the interval",
        ),
        (
            "a point at the end of the interval",
            whole,
            encoded(&[Point::new(T0 + 10 * HOUR, 0, 1.0)]),
            "is outside the interval",
        ),
        (
            "start equal to end",
            Some(UtcInterval::from_millis(T0, T0)),
            encoded(&[]),
            "the interval is empty",
        ),
        (
            "start after end",
            Some(UtcInterval::from_millis(T0 + HOUR, T0)),
            encoded(&[]),
            "the interval is empty",
        ),
        ("no interval", None, encoded(&[]), "the interval is missing"),
    ];
    for (what, interval, data, needle) in cases {
        let status = raw
            .write_timeseries(raw_write_request(
                &id,
                MeshId::by_timeseries_key(key),
                interval,
                data,
            ))
            .await
            .expect_err(what);
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
        assert!(
            status.message().contains(needle),
            "{what}: {:?} does not contain {needle:?}",
            status.message()
        );
    }

    // A request naming another resolution than the series has.
    let mut request = raw_write_request(&id, MeshId::by_timeseries_key(key), whole, encoded(&[]));
    request.timeseries.as_mut().unwrap().resolution = Some(Resolution {
        r#type: ResolutionType::Hour as i32,
    });
    let status = raw.write_timeseries(request).await.unwrap_err();
    assert_status(
        &status,
        Code::InvalidArgument,
        "the request's resolution HOUR is not the series' resolution BREAKPOINT",
    );

    // Nothing of it reached the series.
    assert_eq!(
        server
            .read(&session, key, T0 - HOUR, T0 + 400_000 * HOUR)
            .await,
        seed
    );
}

#[tokio::test]
async fn a_raw_write_over_the_message_limit_is_refused_with_a_hint() {
    let server = start().await;
    let (session, key) = server
        .session_with_series(
            "over-the-limit",
            CurveType::Staircase,
            ResolutionType::Breakpoint,
        )
        .await;
    let points: Vec<Point> = (0..250_000).map(|i| Point::new(T0 + i, 0, 1.0)).collect();
    let data = arrow_ipc::encode(&points);
    assert!(data.len() > 4 * 1024 * 1024);

    let mut raw = server.clients.series.clone();
    let status = raw
        .write_timeseries(raw_write_request(
            &session,
            MeshId::by_timeseries_key(key),
            Some(UtcInterval::from_millis(T0, T0 + HOUR)),
            data,
        ))
        .await
        .unwrap_err();
    assert_status(&status, Code::ResourceExhausted, "--max-message-size");
    assert!(server.read(&session, key, T0, T0 + HOUR).await.is_empty());
}

/// A model path that names no attribute is not found, nor is an unknown
/// key. (Series read through attributes: tests/model.rs; the SDK's calls
/// on unknown keys are in the SDK's tests.)
#[tokio::test]
async fn unknown_attribute_paths_and_unknown_keys_are_not_found() {
    let server = start().await;
    let (session, key) = server
        .session_with_series("unknown-keys", CurveType::Staircase, ResolutionType::Hour)
        .await;
    let missing = key + 1_000;

    // No such attribute.
    let mut raw = server.clients.series.clone();
    let id = session;
    let by_path = MeshId {
        path: Some("Model/Plant.Inflow".to_string()),
        ..Default::default()
    };
    let status = raw
        .read_timeseries(raw_read_request(
            &id,
            by_path.clone(),
            UtcInterval::from_millis(T0, T0 + HOUR),
        ))
        .await
        .unwrap_err();
    assert_status(&status, Code::NotFound, "attribute not found");
    let status = raw
        .write_timeseries(raw_write_request(
            &id,
            by_path,
            Some(UtcInterval::from_millis(T0, T0 + HOUR)),
            arrow_ipc::encode(&[]),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = raw
        .read_timeseries(raw_read_request(
            &id,
            MeshId::by_timeseries_key(missing),
            UtcInterval::from_millis(T0, T0 + HOUR),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

/// The server refuses to answer a read larger than its message limit.
/// (How the SDK reads in pieces is in the SDK's tests.)
#[tokio::test]
async fn reads_over_the_message_limit_are_refused_with_a_hint() {
    let server = start().await;
    let (session, hourly_key) = server
        .session_with_series("hourly", CurveType::Staircase, ResolutionType::Hour)
        .await;
    let large = server
        .series(
            &session,
            "large",
            CurveType::Staircase,
            ResolutionType::Breakpoint,
        )
        .await;
    server
        .clients
        .write_as(
            &session,
            hourly_key,
            ResolutionType::Hour,
            (T0, T0 + 4 * HOUR),
            &hourly(0, 2, 1.0),
        )
        .await
        .unwrap();
    // Too large for one answer, and for one write: written in pieces.
    let large_points: Vec<Point> = (0..250_000)
        .map(|i| Point::new(T0 + i, 0, i as f64))
        .collect();
    for (n, piece) in large_points.chunks(100_000).enumerate() {
        let start = piece[0].utc_ms;
        let end = match large_points.get((n + 1) * 100_000) {
            Some(next) => next.utc_ms,
            None => T0 + HOUR,
        };
        server
            .clients
            .write(&session, large, (start, end), piece)
            .await
            .unwrap();
    }
    assert_eq!(
        server.read(&session, large, T0, T0 + 100_000).await.len(),
        100_000
    );

    // The server itself refuses answers over its message limit.
    let mut raw = server.clients.series.clone();
    let too_large = |key: i64, end_ms: i64| {
        raw_read_request(
            &session,
            MeshId::by_timeseries_key(key),
            UtcInterval::from_millis(T0, end_ms),
        )
    };
    for (key, end_ms) in [(large, T0 + HOUR), (hourly_key, T0 + 300_000 * HOUR)] {
        let status = raw
            .read_timeseries(too_large(key, end_ms))
            .await
            .unwrap_err();
        assert_status(&status, Code::ResourceExhausted, "read a shorter interval");
    }
}

/// The server's own rules for creating and updating resources, with
/// requests the SDK would not send. (The SDK's side of resources is in the
/// SDK's tests.)
#[tokio::test]
async fn resource_requests_keep_to_the_servers_rules() {
    let server = start().await;
    let session = server.clients.start_session().await.unwrap();
    let units = server
        .clients
        .models
        .clone()
        .list_units_of_measurement(ListUnitsOfMeasurementRequest {
            session_id: Some(session.clone()),
        })
        .await
        .unwrap()
        .into_inner()
        .units_of_measurement;
    let unit_named = |name: &str| -> UnitOfMeasurement {
        units
            .iter()
            .find(|unit| unit.name == name)
            .unwrap_or_else(|| panic!("no unit {name}"))
            .clone()
    };
    // Where the SDK's test of resources leaves its daily series.
    let key = server
        .clients
        .series
        .clone()
        .create_physical_timeseries(CreatePhysicalTimeseriesRequest {
            session_id: Some(session.clone()),
            path: "/Plants/Upper/".into(),
            name: "Price".into(),
            curve_type: Some(curve(CurveType::Staircasestartofstep)),
            resolution: Some(Resolution {
                r#type: ResolutionType::Day as i32,
            }),
            unit_of_measurement_id: unit_named("NOK/MWh").id,
            time_zone: Some("Europe/Berlin".into()),
        })
        .await
        .unwrap()
        .into_inner()
        .timeseries_key;
    let get = || {
        let mut series = server.clients.series.clone();
        let request = GetTimeseriesResourceRequest {
            session_id: Some(session.clone()),
            timeseries_resource_key: key,
        };
        async move {
            series
                .get_timeseries_resource(request)
                .await
                .map(tonic::Response::into_inner)
        }
    };

    let mut raw = server.clients.series.clone();
    let id = Some(session.clone());
    let create_request = |unit: Guid, resolution: ResolutionType, zone: Option<&str>| {
        CreatePhysicalTimeseriesRequest {
            session_id: id.clone(),
            path: "/".into(),
            name: unique_name(),
            curve_type: Some(Curve {
                r#type: CurveType::Staircase as i32,
            }),
            resolution: Some(Resolution {
                r#type: resolution as i32,
            }),
            unit_of_measurement_id: Some(unit),
            time_zone: zone.map(str::to_string),
        }
    };
    let status = raw
        .create_physical_timeseries(create_request(unknown_unit(), ResolutionType::Hour, None))
        .await
        .unwrap_err();
    assert_status(
        &status,
        Code::InvalidArgument,
        "unknown unit of measurement",
    );
    let mw = unit_named("MW").id.unwrap();
    let status = raw
        .create_physical_timeseries(create_request(
            mw.clone(),
            ResolutionType::Day,
            Some("Mars/Olympus"),
        ))
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "Mars/Olympus");
    let status = raw
        .create_physical_timeseries(create_request(
            mw,
            ResolutionType::Hour,
            Some("Europe/Oslo"),
        ))
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "time zone");

    // Only the fields in the mask change, whatever else the request holds.
    let update = |paths: &[&str]| UpdateTimeseriesResourceRequest {
        session_id: id.clone(),
        timeseries_resource_key: key,
        field_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }),
        new_curve_type: Some(Curve {
            r#type: CurveType::Piecewiselinear as i32,
        }),
        new_unit_of_measurement_id: Some(unknown_unit()),
        new_time_zone: "Asia/Tokyo".into(),
    };
    raw.update_timeseries_resource(update(&["new_curve_type"]))
        .await
        .unwrap();
    let after = get().await.unwrap();
    assert_eq!(after.curve_type, Some(curve(CurveType::Piecewiselinear)));
    assert_eq!(after.unit_of_measurement, Some(unit_named("NOK/MWh")));
    assert_eq!(after.time_zone.as_deref(), Some("Europe/Berlin"));
    let status = raw
        .update_timeseries_resource(update(&["new_unit_of_measurement_id"]))
        .await
        .unwrap_err();
    assert_status(
        &status,
        Code::InvalidArgument,
        "unknown unit of measurement",
    );
    // An empty mask (what the official SDK sends when asked to change
    // nothing) changes nothing, whatever else the request holds.
    raw.update_timeseries_resource(update(&[])).await.unwrap();
    assert_eq!(get().await.unwrap(), after);
    let status = raw
        .update_timeseries_resource(update(&["name"]))
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, "'name'");
    assert_eq!(get().await.unwrap(), after);
}

fn curve(curve: CurveType) -> Curve {
    Curve {
        r#type: curve as i32,
    }
}

/// A unit id the server does not know.
fn unknown_unit() -> Guid {
    Guid {
        bytes_le: uuid::Uuid::new_v4().to_bytes_le().to_vec(),
    }
}

/// A name no other series of this test binary has.
fn unique_name() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "series-{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}
