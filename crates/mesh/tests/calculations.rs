//! The SDK's calculations against a real server: expressions relative to
//! an object, an attribute and a key; the typed helpers; calculated
//! attributes read like any other; history (as of a time, versions,
//! audit times, the writes with their authors); the blocking facade.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use mesh::calc::{CalculationResult, Method, Transform, Zone};
use mesh::{Connection, CurveType, Point, Resolution, Session};

const MODEL: &str = r###"{"mesh_model_file": 1,
  "model_definitions": [
    {"name": "Hydro",
     "attribute_types": [{"name": "Capacity", "kind": "double"},
                         {"name": "Production", "kind": "timeseries", "unit": "MW"},
                         {"name": "Doubled", "kind": "timeseries", "unit": "MW"}],
     "object_definitions": [{"name": "Plant", "attributes": [
       {"type": "Capacity"},
       {"type": "Production"},
       {"type": "Doubled", "template_expression": "## = @t('.Production') * 2\n"}]}]}],
  "models": [{"name": "Nordic", "definition": "Hydro", "objects": [
    {"name": "Alta", "definition": "Plant", "values": {"Capacity": 150.0,
      "Production": {"timeseries_key": KEY}}}]}]}"###;

const PLANT: &str = "Model/Nordic/Alta";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
}

/// A plant whose production is 48 hourly points of value = hour.
async fn plant(session: &Session) -> i64 {
    let resource = session
        .create_physical_timeseries(
            "/Calc/",
            "alta",
            CurveType::StaircaseStartOfStep,
            Resolution::Hour,
            "MW",
            None,
        )
        .await
        .unwrap();
    let key = resource.timeseries_key;
    let points: Vec<Point> = (0..48)
        .map(|h| Point::new(t0().timestamp_millis() + h * 3_600_000, 0, h as f64))
        .collect();
    session
        .write_timeseries_point_slice(key, t0(), t0() + Duration::hours(48), &points)
        .await
        .unwrap();
    session
        .import_model_file("m.json", &MODEL.replace("KEY", &key.to_string()))
        .await
        .unwrap();
    key
}

#[tokio::test]
async fn expressions_helpers_and_calculated_attributes() {
    let server = common::start_default().await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.create_session();
    session.open().await.unwrap();
    let key = plant(&session).await;
    let (start, end) = (t0(), t0() + Duration::hours(48));
    let total: f64 = (0..48).map(f64::from).sum();

    let result = session
        .run_calculation("## = @d('.Capacity') * 2\n", start, end, PLANT)
        .await
        .unwrap();
    assert_eq!(result, CalculationResult::Numbers(vec![300.0]));
    let result = session
        .run_calculation("x = 1\n", start, end, PLANT)
        .await
        .unwrap();
    assert_eq!(result, CalculationResult::Nothing);
    assert_eq!(session.sum_of_points(key, start, end).await.unwrap(), total);
    let attribute = format!("{PLANT}.Production");
    assert_eq!(
        session
            .sum_of_points(attribute.as_str(), start, end)
            .await
            .unwrap(),
        total
    );
    let summed = session
        .sum_of_series(PLANT, start, end, Some(".Production"))
        .await
        .unwrap();
    assert_eq!(summed.points.len(), 48);

    // A calculated attribute reads like a physical one.
    let doubled = session
        .read_timeseries_points_at(format!("{PLANT}.Doubled").as_str(), start, end)
        .await
        .unwrap();
    let values: Vec<f64> = doubled.iter().map(|p| p.value).collect();
    assert_eq!(
        values,
        (0..48).map(|h| 2.0 * f64::from(h)).collect::<Vec<_>>()
    );

    // A calculated attribute has no history to list.
    let calculated = format!("{PLANT}.Doubled");
    match session
        .list_writes(calculated.as_str(), start, end, 5)
        .await
    {
        Err(mesh::Error::Status(status)) => {
            assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}")
        }
        other => panic!("{other:?}"),
    }

    // Two days of hours to days, summed in UTC; through a search from
    // the plant, and from the attribute itself.
    let daily = Transform::new(Resolution::Day, Method::Sum).in_zone(Zone::Utc);
    for transformed in [
        session
            .transform(PLANT, start, end, &daily.clone().of(".Production"))
            .await
            .unwrap(),
        session
            .transform(attribute.as_str(), start, end, &daily)
            .await
            .unwrap(),
    ] {
        let values: Vec<f64> = transformed.points.iter().map(|p| p.value).collect();
        let first: f64 = (0..24).map(f64::from).sum();
        let second: f64 = (24..48).map(f64::from).sum();
        assert_eq!(values, vec![first, second]);
        assert_eq!(transformed.resolution, Resolution::Day);
    }

    // A bad expression is the server's precise refusal.
    let refused = session
        .run_calculation("## = @t(\n", start, end, PLANT)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("line "), "{refused}");
}

#[test]
fn the_blocking_facade_calculates_too() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::start_default());
    let connection = mesh::blocking::Connection::insecure(&server.address).unwrap();
    let session = connection.create_session();
    session.open().unwrap();
    let (start, end) = (t0(), t0() + Duration::hours(48));
    let result = session
        .run_calculation("## = {1, 2}\n", start, end, PLANT)
        .unwrap_err();
    // No such object yet: the server says so.
    assert!(result.to_string().contains("not found"), "{result}");
    let result = session
        .run_calculation("## = 'text'\n", start, end, 1_i64)
        .unwrap();
    assert_eq!(result, CalculationResult::Strings(vec!["text".into()]));

    // History through the facade: a series written once has one audit
    // time, as of which it reads as written, and no earlier version.
    let key = session
        .create_physical_timeseries(
            "/History/",
            "b",
            CurveType::StaircaseStartOfStep,
            Resolution::Hour,
            "MW",
            None,
        )
        .unwrap()
        .timeseries_key;
    let point = Point::new(t0().timestamp_millis(), 0, 7.0);
    session
        .write_timeseries_point_slice(key, start, t0() + Duration::hours(1), &[point])
        .unwrap();
    session.commit().unwrap();
    let one_hour = t0() + Duration::hours(1);
    let times = session.audit_times(key, start, one_hour, 5).unwrap();
    assert_eq!(times.len(), 1);
    let state = session.as_of(key, start, one_hour, times[0]).unwrap();
    assert_eq!(values(&state), vec![7.0]);
    assert!(session
        .historical_versions(key, start, one_hour, 5)
        .unwrap()
        .is_empty());
    let history = session.list_writes(key, start, one_hour, 5).unwrap();
    assert_eq!(history.writes.len(), 1);
    assert_eq!(history.writes[0].commit_time, times[0]);
}

/// Writes `value` at every hour of `[t0, t0 + 3h)` of `key` and commits;
/// then waits a few milliseconds so that the next commit's time differs
/// (commit times are in milliseconds).
async fn write_and_commit(session: &Session, key: i64, value: f64) {
    let points: Vec<Point> = (0..3)
        .map(|h| Point::new(t0().timestamp_millis() + h * 3_600_000, 0, value))
        .collect();
    session
        .write_timeseries_point_slice(key, t0(), t0() + Duration::hours(3), &points)
        .await
        .unwrap();
    session.commit().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
}

fn values(series: &mesh::calc::CalculatedSeries) -> Vec<f64> {
    series.points.iter().map(|p| p.value).collect()
}

#[tokio::test]
async fn history_as_of_versions_and_audit_times() {
    let server = common::start_default().await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.create_session();
    session.open().await.unwrap();
    let key = session
        .create_physical_timeseries(
            "/History/",
            "h",
            CurveType::StaircaseStartOfStep,
            Resolution::Hour,
            "MW",
            None,
        )
        .await
        .unwrap()
        .timeseries_key;
    session.commit().await.unwrap();
    let (start, end) = (t0(), t0() + Duration::hours(3));
    write_and_commit(&session, key, 1.0).await;
    write_and_commit(&session, key, 2.0).await;

    // Two commits changed it, newest first.
    let times = session.audit_times(key, start, end, 10).await.unwrap();
    assert_eq!(times.len(), 2, "{times:?}");
    assert!(times[0] > times[1], "{times:?}");
    // As of the first commit: its state; as of the second: the current.
    let first = session.as_of(key, start, end, times[1]).await.unwrap();
    assert_eq!(values(&first), vec![1.0; 3]);
    let second = session.as_of(key, start, end, times[0]).await.unwrap();
    assert_eq!(values(&second), vec![2.0; 3]);
    // One earlier version: the first state (nothing before it is none).
    let versions = session
        .historical_versions(key, start, end, 10)
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(values(&versions[0]), vec![1.0; 3]);
    // A count of 0 asks for nothing.
    assert!(session
        .audit_times(key, start, end, 0)
        .await
        .unwrap()
        .is_empty());

    // Before any commit: nothing written then.
    let before = times[1] - Duration::milliseconds(1);
    let nothing = session.as_of(key, start, end, before).await.unwrap();
    assert!(values(&nothing).iter().all(|v| v.is_nan()), "{nothing:?}");
    // The future is refused, by the server, saying so.
    let refused = session
        .as_of(key, start, end, Utc::now() + Duration::days(1))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("future"), "{refused}");

    // The writes behind those audit times, with who committed them and
    // the points each left, through the history extension.
    let identity = connection.get_user_identity().await.unwrap();
    let author = Some(identity.identifier).filter(|a| !a.is_empty());
    let history = session.list_writes(key, start, end, 10).await.unwrap();
    assert!(!history.more);
    assert_eq!(history.writes.len(), 2, "{history:?}");
    let listed: Vec<_> = history.writes.iter().map(|w| w.commit_time).collect();
    assert_eq!(listed, times);
    assert!(history.writes[0].commit_seq > history.writes[1].commit_seq);
    for write in &history.writes {
        assert_eq!((write.start, write.end, write.points), (start, end, 3));
        assert_eq!(write.author, author);
    }
    // Counted inside the interval asked about; bounded, saying so.
    let one = session
        .list_writes(key, start, start + Duration::hours(1), 1)
        .await
        .unwrap();
    assert!(one.more);
    assert_eq!(one.writes.len(), 1);
    assert_eq!(one.writes[0].points, 1);
    assert_eq!(one.writes[0].commit_seq, history.writes[0].commit_seq);
    // Bad input: refused before the call, or by the server precisely.
    assert!(matches!(
        session.list_writes(key, start, end, 0).await,
        Err(mesh::Error::InvalidArgument(_))
    ));
    for (series, interval_end, code) in [
        (key, start, tonic::Code::InvalidArgument),
        (key + 1000, end, tonic::Code::NotFound),
    ] {
        match session.list_writes(series, start, interval_end, 5).await {
            Err(mesh::Error::Status(status)) => assert_eq!(status.code(), code, "{status:?}"),
            other => panic!("{other:?}"),
        }
    }
    // Pending writes are no history yet.
    let point = Point::new(t0().timestamp_millis(), 0, 9.0);
    session
        .write_timeseries_point_slice(key, start, start + Duration::hours(1), &[point])
        .await
        .unwrap();
    let still = session.list_writes(key, start, end, 10).await.unwrap();
    assert_eq!(still.writes.len(), 2);
    // Committed, it is the newest write, of its one hour and one point;
    // an earlier write keeps the count it left, and a delete left none.
    session.commit().await.unwrap();
    let second_hour = (start + Duration::hours(1), start + Duration::hours(2));
    session
        .write_timeseries_point_slice(key, second_hour.0, second_hour.1, &[])
        .await
        .unwrap();
    session.commit().await.unwrap();
    let history = session.list_writes(key, start, end, 10).await.unwrap();
    let counts: Vec<_> = history
        .writes
        .iter()
        .map(|w| (w.start, w.end, w.points))
        .collect();
    assert_eq!(
        counts,
        vec![
            (second_hour.0, second_hour.1, 0),
            (start, start + Duration::hours(1), 1),
            (start, end, 3),
            (start, end, 3),
        ]
    );
}
