//! Physical time series end to end: the SDK (and, where the SDK would refuse
//! to send something, a raw generated client) against a real server with
//! real storage in a temporary directory.
//!
//! The server's own contract, checked with raw requests alone (hand-made
//! Arrow payloads, requests the SDK would not send, answers over the
//! message limit), is in crates/mesh-server/tests/time_series_contract.rs.

mod common;

use std::sync::Arc;
use std::time::Duration;

use mesh::arrow_array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, TimestampMillisecondArray,
};
use mesh::arrow_schema::{Field, Schema};
use mesh::chrono::{DateTime, TimeZone, Utc};
use mesh::{flags, Connection, CurveType, Error, Point, Resolution, ResourceUpdate, Session};
use mesh_proto::model_definition::model_definition_service_client::ModelDefinitionServiceClient;
use mesh_proto::model_definition::ListUnitsOfMeasurementRequest;
use mesh_proto::time_series::{Timeseries, WriteTimeseriesRequest};
use mesh_proto::types::{MeshId, UtcInterval};
use mesh_timeseries::arrow_ipc;
use tonic::Code;
use uuid::Uuid;

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
/// 2024-01-01T00:00:00Z, where most tests put their points.
const T0: i64 = 1_704_067_200_000;

fn at(utc_ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(utc_ms).unwrap()
}

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn hourly(from_hour: i64, to_hour: i64, value: f64) -> Vec<Point> {
    (from_hour..to_hour)
        .map(|h| Point::new(T0 + h * HOUR, flags::OK, value + h as f64))
        .collect()
}

async fn connect(server: &common::TestServer) -> Connection {
    Connection::insecure(&server.address).await.unwrap()
}

/// A name no other series of this test binary has: no two series may share
/// a path.
fn unique_name() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "series-{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

async fn create(session: &Session, resolution: Resolution, curve: CurveType) -> i64 {
    session
        .create_physical_timeseries("/Test/", &unique_name(), curve, resolution, "MW", None)
        .await
        .unwrap()
        .timeseries_key
}

async fn write(session: &Session, key: i64, start_ms: i64, end_ms: i64, points: &[Point]) {
    session
        .write_timeseries_point_slice(key, at(start_ms), at(end_ms), points)
        .await
        .unwrap();
}

async fn read(session: &Session, key: i64, start_ms: i64, end_ms: i64) -> Vec<Point> {
    session
        .read_timeseries_points(key, at(start_ms), at(end_ms))
        .await
        .unwrap()
        .points()
}

fn status_of(error: Error) -> tonic::Status {
    match error {
        Error::Status(status) => status,
        other => panic!("expected a status from the server, got {other:?}"),
    }
}

fn assert_status(status: &tonic::Status, code: Code, needle: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    assert!(
        status.message().contains(needle),
        "{:?} does not contain {needle:?}",
        status.message()
    );
}

/// A series `session` does not see: the server answers NotFound.
async fn assert_series_unknown(session: &Session, key: i64) {
    let status = status_of(session.get_timeseries_resource_info(key).await.unwrap_err());
    assert_eq!(status.code(), Code::NotFound);
}

fn raw_write_request(
    session: Uuid,
    id: MeshId,
    interval: Option<UtcInterval>,
    data: Vec<u8>,
) -> WriteTimeseriesRequest {
    WriteTimeseriesRequest {
        session_id: Some(common::guid(session)),
        timeseries: Some(Timeseries {
            id: Some(id),
            resolution: None,
            interval,
            data,
        }),
    }
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

fn session_id(session: &Session) -> Uuid {
    session.session_id().unwrap()
}

#[tokio::test]
async fn resources_are_created_read_and_updated_with_units_by_name() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();

    let units = session.list_units_of_measurement().await.unwrap();
    let unit_named = |name: &str| units.iter().find(|u| u.name == name).unwrap().clone();
    assert!(units.len() > 10);

    let created = session
        .create_physical_timeseries(
            "/Plants/Upper/",
            "Inflow",
            CurveType::PiecewiseLinear,
            Resolution::Hour,
            "m3/s",
            None,
        )
        .await
        .unwrap();
    // The full resource path: "Resource", the catalogue path and the name.
    assert_eq!(created.path, "Resource/Plants/Upper/Inflow");
    assert_eq!(created.name, "Inflow");
    assert_eq!(created.curve_type, CurveType::PiecewiseLinear);
    assert_eq!(created.resolution, Resolution::Hour);
    assert_eq!(created.unit_of_measurement, Some(unit_named("m3/s")));
    assert_eq!(created.time_zone, None);
    assert!(!created.temporary);
    assert_eq!(
        session
            .get_timeseries_resource_info(created.timeseries_key)
            .await
            .unwrap(),
        created
    );

    let daily = session
        .create_physical_timeseries(
            "/Plants/Upper/",
            "Price",
            CurveType::StaircaseStartOfStep,
            Resolution::Day,
            "EUR/MWh",
            Some("Europe/Oslo"),
        )
        .await
        .unwrap();
    assert_ne!(daily.timeseries_key, created.timeseries_key);
    assert_eq!(daily.time_zone.as_deref(), Some("Europe/Oslo"));
    let key = daily.timeseries_key;

    // Each update changes what it names and nothing else.
    let get = || session.get_timeseries_resource_info(key);
    session
        .update_timeseries_resource_info(
            key,
            &ResourceUpdate::new().curve_type(CurveType::Staircase),
        )
        .await
        .unwrap();
    let after = get().await.unwrap();
    assert_eq!(after.curve_type, CurveType::Staircase);
    assert_eq!(after.unit_of_measurement, Some(unit_named("EUR/MWh")));
    assert_eq!(after.time_zone.as_deref(), Some("Europe/Oslo"));

    session
        .update_timeseries_resource_info(key, &ResourceUpdate::new().unit("NOK/MWh"))
        .await
        .unwrap();
    let after = get().await.unwrap();
    assert_eq!(after.unit_of_measurement, Some(unit_named("NOK/MWh")));
    assert_eq!(after.curve_type, CurveType::Staircase);

    session
        .update_timeseries_resource_info(key, &ResourceUpdate::new().clear_time_zone())
        .await
        .unwrap();
    assert_eq!(get().await.unwrap().time_zone, None);
    session
        .update_timeseries_resource_info(
            key,
            &ResourceUpdate::new()
                .time_zone("Europe/Berlin")
                .curve_type(CurveType::StaircaseStartOfStep),
        )
        .await
        .unwrap();
    let after = get().await.unwrap();
    assert_eq!(after.time_zone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(after.curve_type, CurveType::StaircaseStartOfStep);
    assert_eq!(after.unit_of_measurement, Some(unit_named("NOK/MWh")));
    // Nothing to change: nothing sent, nothing changed.
    session
        .update_timeseries_resource_info(key, &ResourceUpdate::new())
        .await
        .unwrap();
    assert_eq!(get().await.unwrap(), after);

    // An unknown unit name is the SDK's to report, naming what exists.
    let unknown = session
        .create_physical_timeseries(
            "/",
            "x",
            CurveType::Staircase,
            Resolution::Hour,
            "megawatt",
            None,
        )
        .await
        .unwrap_err();
    let message = unknown.to_string();
    assert!(
        matches!(&unknown, Error::UnknownUnit { name, known } if name == "megawatt" && known.iter().any(|k| k == "MW")),
        "{unknown:?}"
    );
    assert!(
        message.contains("\"megawatt\"") && message.contains("\"MWh\""),
        "{message}"
    );
    assert!(matches!(
        session
            .update_timeseries_resource_info(key, &ResourceUpdate::new().unit("mw"))
            .await,
        Err(Error::UnknownUnit { .. })
    ));
}

#[tokio::test]
async fn points_round_trip_bit_for_bit() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();
    let key = create(&session, Resolution::Breakpoint, CurveType::Staircase).await;

    let odd_nan = f64::from_bits(0x7ff8_dead_beef_0001);
    let negative_nan = f64::from_bits(0xfff0_0000_0000_0001);
    let points = vec![
        Point::new(T0, flags::OK, odd_nan),
        Point::new(T0 + 1, 0xFFFF_FFFF, -0.0),
        Point::new(T0 + 2, flags::NOT_OK | flags::SUSPECT, f64::INFINITY),
        Point::new(T0 + 3, flags::MISSING, 3.5),
        Point::new(T0 + 4, 0x8000_0001, f64::from_bits(1)),
        Point::new(T0 + HOUR, 0x0000_0100, negative_nan),
        Point::new(T0 + 2 * HOUR, flags::OK, f64::NEG_INFINITY),
        Point::new(T0 + 3 * HOUR, flags::MISSING, f64::NAN),
    ];
    // As an Arrow batch built by the caller.
    let batch = arrow_ipc::to_batch(&points);
    session
        .write_timeseries_points(key, at(T0), at(T0 + 4 * HOUR), &batch)
        .await
        .unwrap();
    let read_back = session
        .read_timeseries_points(key, at(T0), at(T0 + 4 * HOUR))
        .await
        .unwrap();
    // Point compares values by bit pattern: NaN payloads and -0.0 count.
    assert_eq!(read_back.points(), points);
    assert_eq!(read_back.len(), points.len());
    // The typed view and the batch agree.
    let typed: Vec<_> = read_back.iter().collect();
    assert_eq!(typed[5].time, at(T0 + HOUR));
    assert_eq!(typed[1].flags, 0xFFFF_FFFF);
    assert_eq!(typed[0].value.to_bits(), odd_nan.to_bits());
    assert_eq!(read_back.batch().num_columns(), 3);
    assert_eq!(read_back.batch().schema().field(0).name(), "utc_time");
    assert_eq!(
        arrow_ipc::from_batch(&read_back.into_batch()).unwrap(),
        points
    );

    // The same after commit, from another session.
    session.commit().await.unwrap();
    let other = connection.open_session().await.unwrap();
    assert_eq!(read(&other, key, T0, T0 + 4 * HOUR).await, points);
}

#[tokio::test]
async fn a_write_replaces_exactly_its_interval() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();
    let key = create(&session, Resolution::Breakpoint, CurveType::Staircase).await;
    let point = |hours: f64, value: f64| Point::new(T0 + (hours * HOUR as f64) as i64, 0, value);

    write(&session, key, T0, T0 + 10 * HOUR, &hourly(0, 10, 0.0)).await;
    session.commit().await.unwrap();

    // [3h, 6h): the point at 3h goes, the one at 6h (the end) stays.
    write(
        &session,
        key,
        T0 + 3 * HOUR,
        T0 + 6 * HOUR,
        &[point(3.5, 100.0), point(4.0, 101.0)],
    )
    .await;
    let expected = vec![
        point(0.0, 0.0),
        point(1.0, 1.0),
        point(2.0, 2.0),
        point(3.5, 100.0),
        point(4.0, 101.0),
        point(6.0, 6.0),
        point(7.0, 7.0),
        point(8.0, 8.0),
        point(9.0, 9.0),
    ];
    assert_eq!(read(&session, key, T0, T0 + 10 * HOUR).await, expected);

    // An empty table deletes its interval and nothing else, and so do zero
    // bytes of data: what the Python SDK sends for an empty table.
    write(&session, key, T0 + 8 * HOUR, T0 + 20 * HOUR, &[]).await;
    let empty_batch = arrow_ipc::to_batch(&[]);
    session
        .write_timeseries_points(key, at(T0 + HOUR), at(T0 + HOUR + 1), &empty_batch)
        .await
        .unwrap();
    server
        .raw_timeseries()
        .await
        .write_timeseries(raw_write_request(
            session_id(&session),
            MeshId::by_timeseries_key(key),
            Some(UtcInterval::from_millis(T0 + 2 * HOUR, T0 + 3 * HOUR)),
            Vec::new(),
        ))
        .await
        .unwrap();
    let mut expected = expected[..7].to_vec();
    expected.retain(|p| p.utc_ms != T0 + HOUR && p.utc_ms != T0 + 2 * HOUR);
    assert_eq!(
        read(&session, key, T0 - HOUR, T0 + 30 * HOUR).await,
        expected
    );

    session.commit().await.unwrap();
    let other = connection.open_session().await.unwrap();
    assert_eq!(read(&other, key, T0 - HOUR, T0 + 30 * HOUR).await, expected);
}

#[tokio::test]
async fn piecewise_linear_reads_include_the_point_to_interpolate_towards() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();
    let linear = create(&session, Resolution::Breakpoint, CurveType::PiecewiseLinear).await;
    let stairs = create(&session, Resolution::Breakpoint, CurveType::Staircase).await;
    let points = [
        Point::new(T0, 0, 1.0),
        Point::new(T0 + HOUR, 0, 2.0),
        Point::new(T0 + 5 * HOUR, 0, 3.0),
        Point::new(T0 + 9 * HOUR, 0, 4.0),
    ];
    for key in [linear, stairs] {
        write(&session, key, T0, T0 + 10 * HOUR, &points).await;
    }

    assert_eq!(read(&session, linear, T0, T0 + 2 * HOUR).await, points[..3]);
    assert_eq!(read(&session, stairs, T0, T0 + 2 * HOUR).await, points[..2]);
    // A point exactly at the end is the one after it.
    assert_eq!(read(&session, linear, T0, T0 + 5 * HOUR).await, points[..3]);
    assert_eq!(
        read(&session, linear, T0 + 2 * HOUR, T0 + 3 * HOUR).await,
        points[2..3]
    );
    assert_eq!(
        read(&session, linear, T0 + 10 * HOUR, T0 + 20 * HOUR).await,
        []
    );

    // The point after the end as the session sees it: its own uncommitted
    // changes beyond the read interval count, committed points it deleted
    // do not.
    session.commit().await.unwrap();
    write(&session, linear, T0 + 4 * HOUR, T0 + 6 * HOUR, &[]).await;
    assert_eq!(
        read(&session, linear, T0, T0 + 2 * HOUR).await,
        [points[0], points[1], points[3]]
    );
    let inserted = Point::new(T0 + 3 * HOUR, 0, 9.0);
    write(&session, linear, T0 + 3 * HOUR, T0 + 4 * HOUR, &[inserted]).await;
    assert_eq!(
        read(&session, linear, T0, T0 + 2 * HOUR).await,
        [points[0], points[1], inserted]
    );
    let other = connection.open_session().await.unwrap();
    assert_eq!(read(&other, linear, T0, T0 + 2 * HOUR).await, points[..3]);

    // A fixed resolution: every step, then the step at the end, filled like
    // the others (as the reference server answers).
    let hourly_linear = create(&session, Resolution::Hour, CurveType::PiecewiseLinear).await;
    write(
        &session,
        hourly_linear,
        T0,
        T0 + 10 * HOUR,
        &[points[0], points[2]],
    )
    .await;
    let read_back = read(&session, hourly_linear, T0, T0 + 3 * HOUR).await;
    assert_eq!(read_back.len(), 4);
    assert_eq!(read_back[0], points[0]);
    assert!(read_back[1].is_missing() && read_back[1].utc_ms == T0 + HOUR);
    assert!(read_back[2].is_missing() && read_back[2].utc_ms == T0 + 2 * HOUR);
    assert!(read_back[3].is_missing() && read_back[3].utc_ms == T0 + 3 * HOUR);
    // The step at the end when it holds a point, and when the end is
    // between two steps, the step after it.
    let read_back = read(&session, hourly_linear, T0, T0 + 5 * HOUR).await;
    assert_eq!(read_back.len(), 6);
    assert_eq!(read_back[5], points[2]);
    let read_back = read(&session, hourly_linear, T0, T0 + 4 * HOUR + 1).await;
    assert_eq!(read_back.len(), 6);
    assert_eq!(read_back[5], points[2]);
}

#[tokio::test]
async fn fixed_resolutions_keep_to_their_grid_and_reads_fill_every_step() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();
    let hourly_key = create(&session, Resolution::Hour, CurveType::StaircaseStartOfStep).await;
    let quarter_key = create(&session, Resolution::Min15, CurveType::Staircase).await;
    let breakpoint_key = create(&session, Resolution::Breakpoint, CurveType::Staircase).await;

    // Off the grid: refused, naming the point and the grid; nothing stored.
    let status = status_of(
        session
            .write_timeseries_point_slice(
                hourly_key,
                at(T0),
                at(T0 + 4 * HOUR),
                &[Point::new(T0, 0, 1.0), Point::new(T0 + 90 * MINUTE, 0, 2.0)],
            )
            .await
            .unwrap_err(),
    );
    assert_status(
        &status,
        Code::InvalidArgument,
        "not on the grid of resolution HOUR",
    );
    assert!(
        status.message().contains("2024-01-01T01:30:00Z"),
        "{status:?}"
    );
    let status = status_of(
        session
            .write_timeseries_point_slice(
                quarter_key,
                at(T0),
                at(T0 + HOUR),
                &[Point::new(T0 + 5 * MINUTE, 0, 1.0)],
            )
            .await
            .unwrap_err(),
    );
    assert_status(&status, Code::InvalidArgument, "MIN15");
    let read_back = read(&session, hourly_key, T0, T0 + 4 * HOUR).await;
    assert_eq!(read_back.len(), 4);
    assert!(read_back.iter().all(|p| p.is_missing() && p.value.is_nan()));

    // The interval itself need not be on the grid; its points must.
    write(
        &session,
        hourly_key,
        T0 + 30 * MINUTE,
        T0 + 3 * HOUR + 30 * MINUTE,
        &[
            Point::new(T0 + HOUR, 7, 1.0),
            Point::new(T0 + 2 * HOUR, 0, 2.0),
        ],
    )
    .await;
    let read_back = read(&session, hourly_key, T0, T0 + 4 * HOUR).await;
    let times: Vec<i64> = read_back.iter().map(|p| p.utc_ms).collect();
    assert_eq!(times, [T0, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]);
    for missing in [&read_back[0], &read_back[3]] {
        assert_eq!(missing.flags, flags::MISSING);
        assert!(missing.value.is_nan());
    }
    assert_eq!(read_back[1], Point::new(T0 + HOUR, 7, 1.0));
    assert_eq!(read_back[2], Point::new(T0 + 2 * HOUR, 0, 2.0));
    // A read interval off the grid reports the steps inside it.
    let inner = read(&session, hourly_key, T0 + 30 * MINUTE, T0 + 2 * HOUR).await;
    assert_eq!(inner, [Point::new(T0 + HOUR, 7, 1.0)]);

    write(
        &session,
        quarter_key,
        T0,
        T0 + HOUR,
        &[Point::new(T0 + 45 * MINUTE, 0, 5.0)],
    )
    .await;
    let quarters = read(&session, quarter_key, T0, T0 + HOUR).await;
    assert_eq!(quarters.len(), 4);
    assert_eq!(quarters.iter().filter(|p| p.is_missing()).count(), 3);

    // BREAKPOINT: the stored points only, no filling.
    let stored = [
        Point::new(T0 + 7 * MINUTE, 0, 1.0),
        Point::new(T0 + 7 * MINUTE + 1, 0, 2.0),
    ];
    write(&session, breakpoint_key, T0, T0 + HOUR, &stored).await;
    assert_eq!(
        read(&session, breakpoint_key, T0 - HOUR, T0 + 5 * HOUR).await,
        stored
    );
}

#[tokio::test]
async fn daily_series_follow_local_midnight_across_daylight_saving_changes() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();
    let key = session
        .create_physical_timeseries(
            "/",
            "daily",
            CurveType::StaircaseStartOfStep,
            Resolution::Day,
            "EUR/MWh",
            Some("Europe/Oslo"),
        )
        .await
        .unwrap()
        .timeseries_key;

    // Oslo midnights around 2024-03-31 (clocks forward: a 23-hour day) and
    // 2024-10-27 (clocks back: a 25-hour day), as UTC instants.
    let spring = [
        utc(2024, 3, 29, 23), // 30 March 00:00 CET
        utc(2024, 3, 30, 23), // 31 March 00:00 CET
        utc(2024, 3, 31, 22), // 1 April 00:00 CEST
        utc(2024, 4, 1, 22),  // 2 April 00:00 CEST
    ];
    let autumn = [
        utc(2024, 10, 25, 22), // 26 October 00:00 CEST
        utc(2024, 10, 26, 22), // 27 October 00:00 CEST
        utc(2024, 10, 27, 23), // 28 October 00:00 CET
        utc(2024, 10, 28, 23), // 29 October 00:00 CET
    ];
    assert_eq!((spring[2] - spring[1]).num_hours(), 23);
    assert_eq!((autumn[2] - autumn[1]).num_hours(), 25);

    let values = |days: &[DateTime<Utc>]| -> Vec<Point> {
        days.iter()
            .enumerate()
            .map(|(i, day)| Point::new(day.timestamp_millis(), 0, i as f64))
            .collect()
    };
    let spring_points = values(&spring[..3]);
    session
        .write_timeseries_point_slice(key, spring[0], spring[3], &spring_points)
        .await
        .unwrap();
    let read_back = session
        .read_timeseries_points(key, spring[0], spring[3])
        .await
        .unwrap();
    assert_eq!(read_back.points(), spring_points);
    let times: Vec<DateTime<Utc>> = read_back.iter().map(|p| p.time).collect();
    assert_eq!(times, spring[..3]);

    // Empty autumn days read as one missing step per local day.
    let empty = session
        .read_timeseries_points(key, autumn[0], autumn[3])
        .await
        .unwrap();
    let times: Vec<DateTime<Utc>> = empty.iter().map(|p| p.time).collect();
    assert_eq!(times, autumn[..3]);
    assert!(empty
        .iter()
        .all(|p| p.flags == flags::MISSING && p.value.is_nan()));
    let autumn_points = values(&autumn[..3]);
    session
        .write_timeseries_point_slice(key, autumn[0], autumn[3], &autumn_points)
        .await
        .unwrap();
    assert_eq!(
        session
            .read_timeseries_points(key, autumn[0], autumn[3])
            .await
            .unwrap()
            .points(),
        autumn_points
    );

    // UTC midnight, and midnight at the wrong offset, are not Oslo midnight.
    for wrong in [
        utc(2024, 3, 31, 0),
        utc(2024, 3, 31, 23),
        utc(2024, 10, 27, 22),
    ] {
        let status = status_of(
            session
                .write_timeseries_point_slice(
                    key,
                    spring[0],
                    autumn[3],
                    &[Point::new(wrong.timestamp_millis(), 0, 1.0)],
                )
                .await
                .unwrap_err(),
        );
        assert_status(
            &status,
            Code::InvalidArgument,
            "not on the grid of resolution DAY in time zone Europe/Oslo",
        );
    }
    assert_eq!(
        session
            .read_timeseries_points(key, spring[0], spring[3])
            .await
            .unwrap()
            .points(),
        spring_points
    );
}

#[tokio::test]
async fn bad_writes_are_refused_with_the_reason_and_store_nothing() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();
    let key = create(&session, Resolution::Breakpoint, CurveType::Staircase).await;
    let seed = hourly(0, 10, 0.0);
    write(&session, key, T0, T0 + 10 * HOUR, &seed).await;

    let times = || Arc::new(TimestampMillisecondArray::from(vec![T0, T0 + HOUR])) as ArrayRef;
    let values = || Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef;

    // The SDK passes the server's word on for writes of one message...
    let error = session
        .write_timeseries_point_slice(
            key,
            at(T0),
            at(T0 + 10 * HOUR),
            &[Point::new(T0 + HOUR, 0, 1.0), Point::new(T0, 0, 2.0)],
        )
        .await
        .unwrap_err();
    assert_status(
        &status_of(error),
        Code::InvalidArgument,
        "timestamps in the segment are not increasing",
    );
    let error = session
        .write_timeseries_point_slice(key, at(T0 + HOUR), at(T0), &[])
        .await
        .unwrap_err();
    assert_status(
        &status_of(error),
        Code::InvalidArgument,
        "the interval is empty",
    );
    // ...refuses a table it cannot send...
    let wrong = batch(vec![
        ("utc_time", times()),
        ("flags", Arc::new(Int64Array::from(vec![0i64, 0]))),
        ("value", values()),
    ]);
    let error = session
        .write_timeseries_points(key, at(T0), at(T0 + 10 * HOUR), &wrong)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidPoints(_)) && error.to_string().contains("column `flags`"),
        "{error:?}"
    );
    // ...and checks a write of several messages before sending any of them.
    let mut many = hourly(0, mesh::POINTS_PER_MESSAGE as i64 + 10, 0.0);
    let last = many.len() - 1;
    many.swap(last - 1, last);
    let error = session
        .write_timeseries_point_slice(key, at(T0), at(T0 + many.len() as i64 * HOUR), &many)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidSegment(_))
            && error
                .to_string()
                .contains("timestamps in the segment are not increasing"),
        "{error:?}"
    );

    // Nothing of it reached the series.
    assert_eq!(
        read(&session, key, T0 - HOUR, T0 + 400_000 * HOUR).await,
        seed
    );
}

#[tokio::test]
async fn unknown_keys_are_not_found() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();
    let key = create(&session, Resolution::Hour, CurveType::Staircase).await;
    let missing = key + 1_000;

    let status = status_of(
        session
            .get_timeseries_resource_info(missing)
            .await
            .unwrap_err(),
    );
    assert_status(&status, Code::NotFound, &missing.to_string());
    let status = status_of(
        session
            .read_timeseries_points(missing, at(T0), at(T0 + HOUR))
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code(), Code::NotFound);
    let status = status_of(
        session
            .write_timeseries_point_slice(missing, at(T0), at(T0 + HOUR), &[])
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code(), Code::NotFound);
    let status = status_of(
        session
            .update_timeseries_resource_info(
                missing,
                &ResourceUpdate::new().curve_type(CurveType::Staircase),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn changes_stay_in_their_session_until_commit() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let a = connection.open_session().await.unwrap();
    let b = connection.open_session().await.unwrap();

    let key = create(&a, Resolution::Hour, CurveType::Staircase).await;
    write(&a, key, T0, T0 + 3 * HOUR, &hourly(0, 3, 1.0)).await;
    assert_eq!(read(&a, key, T0, T0 + 3 * HOUR).await, hourly(0, 3, 1.0));
    assert_series_unknown(&b, key).await;
    let status = status_of(
        b.read_timeseries_points(key, at(T0), at(T0 + HOUR))
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code(), Code::NotFound);

    a.commit().await.unwrap();
    assert_eq!(
        b.get_timeseries_resource_info(key)
            .await
            .unwrap()
            .timeseries_key,
        key
    );
    assert_eq!(read(&b, key, T0, T0 + 3 * HOUR).await, hourly(0, 3, 1.0));

    // Changes to a committed series, resource and points alike.
    write(&a, key, T0, T0 + 3 * HOUR, &hourly(0, 3, 50.0)).await;
    a.update_timeseries_resource_info(key, &ResourceUpdate::new().unit("kW"))
        .await
        .unwrap();
    assert_eq!(read(&b, key, T0, T0 + 3 * HOUR).await, hourly(0, 3, 1.0));
    let unit = |info: mesh::TimeseriesResource| info.unit_of_measurement.unwrap().name;
    assert_eq!(
        unit(b.get_timeseries_resource_info(key).await.unwrap()),
        "MW"
    );
    a.commit().await.unwrap();
    assert_eq!(read(&b, key, T0, T0 + 3 * HOUR).await, hourly(0, 3, 50.0));
    assert_eq!(
        unit(b.get_timeseries_resource_info(key).await.unwrap()),
        "kW"
    );
}

#[tokio::test]
async fn rollback_and_closing_discard_uncommitted_changes() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();
    let key = create(&session, Resolution::Hour, CurveType::Staircase).await;
    write(&session, key, T0, T0 + 3 * HOUR, &hourly(0, 3, 1.0)).await;
    session.commit().await.unwrap();

    // Rollback: the session stays, its changes go.
    write(&session, key, T0, T0 + 3 * HOUR, &hourly(0, 3, 9.0)).await;
    let created = create(&session, Resolution::Hour, CurveType::Staircase).await;
    session.rollback().await.unwrap();
    assert_eq!(
        read(&session, key, T0, T0 + 3 * HOUR).await,
        hourly(0, 3, 1.0)
    );
    assert_series_unknown(&session, created).await;

    // EndSession: likewise.
    write(&session, key, T0, T0 + 3 * HOUR, &hourly(0, 3, 9.0)).await;
    let created = create(&session, Resolution::Hour, CurveType::Staircase).await;
    session.close().await.unwrap();
    let next = connection.open_session().await.unwrap();
    assert_eq!(read(&next, key, T0, T0 + 3 * HOUR).await, hourly(0, 3, 1.0));
    assert_series_unknown(&next, created).await;
}

#[tokio::test]
async fn an_expired_session_loses_its_changes() {
    let server = common::start(Duration::from_millis(500), 100).await;
    let connection = connect(&server).await;
    // Started raw and attached to: nothing extends it.
    let id = server.raw_session().await;
    let session = connection.connect_to_session(id);
    assert_eq!(session.open().await.unwrap(), mesh::Opened::Attached(id));
    assert!(!session.is_extended_automatically());
    let key = create(&session, Resolution::Hour, CurveType::Staircase).await;
    session.commit().await.unwrap();
    write(&session, key, T0, T0 + 3 * HOUR, &hourly(0, 3, 1.0)).await;
    let created = create(&session, Resolution::Hour, CurveType::Staircase).await;

    server.wait_for_open_sessions(0).await;
    assert!(matches!(
        session.read_timeseries_points(key, at(T0), at(T0 + HOUR)).await,
        Err(Error::SessionNotFound { id: gone }) if gone == id
    ));
    let next = connection.open_session().await.unwrap();
    let read_back = read(&next, key, T0, T0 + 3 * HOUR).await;
    assert!(read_back.iter().all(Point::is_missing), "{read_back:?}");
    assert_series_unknown(&next, created).await;
}

/// Sessions do not lock series: each commit lays its session's writes over
/// what is committed at that moment, so where two sessions wrote the same
/// interval, the session that commits last wins, and where they wrote
/// different intervals, both writes stay.
#[tokio::test]
async fn of_two_sessions_writing_the_same_interval_the_later_commit_wins() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let setup = connection.open_session().await.unwrap();
    let key = create(&setup, Resolution::Hour, CurveType::Staircase).await;
    setup.commit().await.unwrap();

    let a = connection.open_session().await.unwrap();
    let b = connection.open_session().await.unwrap();
    write(&a, key, T0, T0 + 4 * HOUR, &hourly(0, 4, 100.0)).await;
    write(&b, key, T0, T0 + 4 * HOUR, &hourly(0, 4, 200.0)).await;
    write(&b, key, T0 + 4 * HOUR, T0 + 6 * HOUR, &hourly(4, 6, 200.0)).await;
    b.commit().await.unwrap();
    // A wrote before B, but commits after B.
    a.commit().await.unwrap();

    let mut expected = hourly(0, 4, 100.0);
    expected.extend(hourly(4, 6, 200.0));
    assert_eq!(read(&setup, key, T0, T0 + 6 * HOUR).await, expected);
}

#[tokio::test]
async fn a_restart_keeps_committed_data_and_nothing_else() {
    let server = common::start_default().await;
    let (key, uncommitted_key) = {
        let connection = connect(&server).await;
        let session = connection.open_session().await.unwrap();
        let key = create(&session, Resolution::Hour, CurveType::Staircase).await;
        write(&session, key, T0, T0 + 4 * HOUR, &hourly(0, 4, 1.0)).await;
        session.commit().await.unwrap();
        // Open and uncommitted when the server stops.
        let pending = connection.open_session().await.unwrap();
        write(&pending, key, T0, T0 + 8 * HOUR, &hourly(0, 8, 9.0)).await;
        let uncommitted_key = create(&pending, Resolution::Hour, CurveType::Staircase).await;
        (key, uncommitted_key)
    };

    let server = server.restart().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();
    let mut expected = hourly(0, 4, 1.0);
    expected.extend((4..8).map(|h| Point::missing(T0 + h * HOUR)));
    assert_eq!(read(&session, key, T0, T0 + 8 * HOUR).await, expected);
    assert_series_unknown(&session, uncommitted_key).await;
    // New keys do not collide with the committed one.
    let next = create(&session, Resolution::Hour, CurveType::Staircase).await;
    assert_ne!(next, key);
}

#[tokio::test]
async fn the_sdk_writes_and_reads_a_million_points_in_pieces() {
    const COUNT: i64 = 1_000_000;
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();

    // BREAKPOINT, piecewise linear: reads are halved until they fit, and
    // each piece's extra point after its end must not be doubled.
    let breakpoints = create(&session, Resolution::Breakpoint, CurveType::PiecewiseLinear).await;
    let points: Vec<Point> = (0..=COUNT)
        .map(|i| Point::new(T0 + i * SECOND, (i % 7) as u32, i as f64 * 0.5))
        .collect();
    write(
        &session,
        breakpoints,
        T0,
        T0 + (COUNT + 1) * SECOND,
        &points,
    )
    .await;
    // [T0, T0 + COUNT s) holds COUNT points; the one at its end comes too.
    let read_back = read(&session, breakpoints, T0, T0 + COUNT * SECOND).await;
    assert_eq!(read_back.len(), points.len());
    assert!(read_back == points);

    // HOUR, piecewise linear: planned by step count.
    let hours = create(&session, Resolution::Hour, CurveType::PiecewiseLinear).await;
    let points: Vec<Point> = (0..COUNT)
        .map(|i| Point::new(T0 + i * HOUR, 0, i as f64))
        .collect();
    let end = T0 + COUNT * HOUR;
    write(&session, hours, T0, end, &points).await;
    // The step at the end comes too.
    let after = Point::new(end, 3, -1.0);
    write(&session, hours, end, end + 10 * HOUR, &[after]).await;
    let read_back = read(&session, hours, T0, end).await;
    assert_eq!(read_back.len(), points.len() + 1);
    assert!(read_back[..points.len()] == points[..]);
    assert_eq!(read_back[points.len()], after);
    // A chunked write replaced exactly its interval: a point just before it
    // and the one after it are untouched.
    let all = read(&session, hours, end - HOUR, end + 10 * HOUR).await;
    assert_eq!(all.first(), points.last());
    assert_eq!(all.iter().filter(|p| !p.is_missing()).count(), 2);
}

#[tokio::test]
async fn many_series_are_read_in_one_stream() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let session = connection.open_session().await.unwrap();
    let hourly_key = create(&session, Resolution::Hour, CurveType::Staircase).await;
    let linear = create(&session, Resolution::Breakpoint, CurveType::PiecewiseLinear).await;
    let large = create(&session, Resolution::Breakpoint, CurveType::Staircase).await;
    let empty = create(&session, Resolution::Breakpoint, CurveType::Staircase).await;
    write(&session, hourly_key, T0, T0 + 4 * HOUR, &hourly(0, 2, 1.0)).await;
    write(
        &session,
        linear,
        T0,
        T0 + 10 * HOUR,
        &[Point::new(T0, 0, 1.0), Point::new(T0 + 9 * HOUR, 0, 2.0)],
    )
    .await;
    // Too large for one answer: read in pieces, then the stream resumes.
    let large_points: Vec<Point> = (0..250_000)
        .map(|i| Point::new(T0 + i, 0, i as f64))
        .collect();
    write(&session, large, T0, T0 + HOUR, &large_points).await;

    let keys = [linear, hourly_key, large, empty, linear];
    let (start, end) = (at(T0), at(T0 + 4 * HOUR));
    let many = session
        .read_timeseries_points_many(&keys, start, end)
        .await
        .unwrap();
    let answered: Vec<i64> = many.iter().map(|(key, _)| *key).collect();
    assert_eq!(answered, keys);
    for (key, points) in &many {
        let single = session
            .read_timeseries_points(*key, start, end)
            .await
            .unwrap();
        assert_eq!(points.points(), single.points(), "series {key}");
    }
    assert_eq!(many[0].1.len(), 2); // with the point after the end
    assert_eq!(many[1].1.len(), 4);
    assert!(many[2].1.points() == large_points);
    assert!(many[3].1.is_empty());

    assert!(session
        .read_timeseries_points_many(&[], start, end)
        .await
        .unwrap()
        .is_empty());
    let error = session
        .read_timeseries_points_many(&[linear, empty + 1_000], start, end)
        .await
        .unwrap_err();
    assert_eq!(status_of(error).code(), Code::NotFound);
}

#[test]
fn the_blocking_sdk_writes_and_reads() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::start_default());
    let connection = mesh::blocking::Connection::insecure(&server.address).unwrap();
    let session = connection.open_session().unwrap();
    let series = session
        .create_physical_timeseries(
            "/",
            "b",
            CurveType::Staircase,
            Resolution::Hour,
            "MWh",
            None,
        )
        .unwrap();
    let key = series.timeseries_key;
    assert_eq!(session.get_timeseries_resource_info(key).unwrap(), series);
    session
        .update_timeseries_resource_info(
            key,
            &ResourceUpdate::new().curve_type(CurveType::PiecewiseLinear),
        )
        .unwrap();
    let points = hourly(0, 3, 1.0);
    session
        .write_timeseries_point_slice(key, at(T0), at(T0 + 3 * HOUR), &points)
        .unwrap();
    session
        .write_timeseries_points(
            key,
            at(T0 + 3 * HOUR),
            at(T0 + 4 * HOUR),
            &arrow_ipc::to_batch(&hourly(3, 4, 1.0)),
        )
        .unwrap();
    session.commit().unwrap();
    let read_back = session
        .read_timeseries_points(key, at(T0), at(T0 + 4 * HOUR))
        .unwrap();
    // Piecewise linear: the step at the end too, missing here.
    let read_back = read_back.points();
    assert_eq!(read_back[..4], hourly(0, 4, 1.0));
    assert!(read_back[4].is_missing() && read_back[4].utc_ms == T0 + 4 * HOUR);
    assert_eq!(read_back.len(), 5);
    let many = session
        .read_timeseries_points_many(&[key], at(T0), at(T0 + HOUR))
        .unwrap();
    assert_eq!(many[0].1.points(), hourly(0, 2, 1.0));
    assert!(session.list_units_of_measurement().unwrap().len() > 10);
}

/// The unit list the SDK keeps belongs to the connection, not to the session
/// that fetched it: names resolve in a later session too, and the list is
/// the server's.
#[tokio::test]
async fn unit_names_resolve_in_any_session_of_the_connection() {
    let server = common::start_default().await;
    let connection = connect(&server).await;
    let first = connection.open_session().await.unwrap();
    create(&first, Resolution::Hour, CurveType::Staircase).await;
    first.close().await.unwrap();
    let second = connection.open_session().await.unwrap();
    let series = second
        .create_physical_timeseries("/", "x", CurveType::Staircase, Resolution::Hour, "°C", None)
        .await
        .unwrap();
    assert_eq!(series.unit_of_measurement.unwrap().name, "°C");

    // The raw catalogue matches what the SDK resolved.
    let mut raw = ModelDefinitionServiceClient::connect(server.server.url())
        .await
        .unwrap();
    let listed = raw
        .list_units_of_measurement(ListUnitsOfMeasurementRequest {
            session_id: Some(common::guid(session_id(&second))),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.units_of_measurement.len(),
        second.list_units_of_measurement().await.unwrap().len()
    );
}
