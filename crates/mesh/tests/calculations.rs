//! The SDK's calculations against a real server: expressions relative to
//! an object, an attribute and a key; the typed helpers; calculated
//! attributes read like any other; the blocking facade.

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
}
