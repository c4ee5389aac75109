//! A small hydro system built through the API with the SDK — areas owning
//! plants, reservoirs and water courses, linked to each other (plainly and
//! over time), reservoirs with level/volume XY sets, plants with versioned
//! efficiency curves, water courses with rating curves — exported, imported
//! into a fresh server and compared, attribute by attribute. Also the
//! relation calls' answers on the way: linked-from, a search following
//! links, a clone, and a delete that unlinks.

mod common;

use mesh::chrono::{DateTime, TimeZone, Utc};
use mesh::{
    Attribute, AttributeValues, AttributeView, Axis, Connection, CurveType, LinkVersion, Object,
    Point, RatingCurveSegment, RatingCurveVersion, Resolution, Session, TimeseriesCopyMode,
    XyCurve, XySet,
};
use uuid::Uuid;

const REPOSITORY: &str = "Repository/Water";
const AREA: &str = "Model/Basin/Upper";

async fn open(server: &common::TestServer) -> Session {
    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.create_session();
    session.open().await.unwrap();
    session
}

fn day(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0).unwrap()
}

fn min() -> DateTime<Utc> {
    day(1, 1, 1)
}

fn max() -> DateTime<Utc> {
    day(9999, 12, 31)
}

/// The definitions: `Area` owns `Plant`s, `Reservoir`s and `WaterCourse`s;
/// a plant discharges to a water course and takes water from a reservoir
/// (over time), and has efficiency curves over time; a water course is fed
/// by reservoirs and has a rating curve; a reservoir has a level/volume
/// curve.
async fn define(session: &Session) {
    session
        .create_model_definition("Water", "A hydro system")
        .await
        .unwrap();
    for name in ["Area", "Plant", "Reservoir", "WaterCourse"] {
        session
            .create_object_definition(REPOSITORY, name, "")
            .await
            .unwrap();
    }
    let definition = |name: &str| format!("{REPOSITORY}/{name}");
    for (name, target) in [
        ("Plants", "Plant"),
        ("Reservoirs", "Reservoir"),
        ("WaterCourses", "WaterCourse"),
    ] {
        let owning = session
            .create_ownership_relation_attribute_type(REPOSITORY, name, definition(target))
            .await
            .unwrap();
        session
            .add_ownership_relation_attribute_definition(definition("Area"), owning.id, 100)
            .await
            .unwrap();
    }
    for (name, owner, target, cardinality, versioned) in [
        ("Discharges_To", "Plant", "WaterCourse", 1, false),
        ("Draws_From", "Plant", "Reservoir", 1, true),
        ("Fed_By", "WaterCourse", "Reservoir", 10, false),
        ("Spills_To", "Reservoir", "WaterCourse", 5, true),
    ] {
        let link = session
            .create_link_relation_attribute_type(REPOSITORY, name, definition(target))
            .await
            .unwrap();
        session
            .add_link_relation_attribute_definition(
                definition(owner),
                link.id,
                cardinality,
                versioned,
            )
            .await
            .unwrap();
    }
    let axis = |description: &str, unit: Option<&str>| Axis {
        description: description.into(),
        unit: unit.map(str::to_string),
    };
    let level_volume = session
        .create_xy_set_attribute_type(REPOSITORY, "LevelVolume")
        .await
        .unwrap();
    session
        .add_xy_set_attribute_definition(
            definition("Reservoir"),
            level_volume.id,
            (axis("Level", Some("m")), axis("Volume", Some("Mm3")), None),
            false,
        )
        .await
        .unwrap();
    let efficiency = session
        .create_xy_set_attribute_type(REPOSITORY, "Efficiency")
        .await
        .unwrap();
    session
        .add_xy_set_attribute_definition(
            definition("Plant"),
            efficiency.id,
            (
                axis("Discharge", Some("m3/s")),
                axis("Efficiency", None),
                Some(axis("Head", Some("m"))),
            ),
            true,
        )
        .await
        .unwrap();
    let rating = session
        .create_rating_curve_attribute_type(REPOSITORY, "Discharge")
        .await
        .unwrap();
    session
        .add_rating_curve_attribute_definition(definition("WaterCourse"), rating.id)
        .await
        .unwrap();
}

fn curve(reference: f64, points: &[(f64, f64)]) -> XyCurve {
    XyCurve {
        reference,
        x: points.iter().map(|p| p.0).collect(),
        y: points.iter().map(|p| p.1).collect(),
    }
}

fn rating(valid_from: DateTime<Utc>, x_from: f64, bounds: &[f64]) -> RatingCurveVersion {
    RatingCurveVersion {
        valid_from,
        x_from,
        segments: bounds
            .iter()
            .enumerate()
            .map(|(i, x_until)| RatingCurveSegment {
                x_until: *x_until,
                a: 10.0 + i as f64,
                b: -1.0,
                c: 1.5,
            })
            .collect(),
    }
}

/// The model `Basin`: area `Upper` with two plants, two reservoirs and two
/// water courses, all linked up.
async fn build(session: &Session) {
    let model = session.create_model("Basin", REPOSITORY).await.unwrap();
    session
        .create_object(model.id, "Upper", Some(format!("{REPOSITORY}/Area").into()))
        .await
        .unwrap();
    let mut ids = std::collections::HashMap::new();
    for (owner, name) in [
        ("Plants", "Alta"),
        ("Plants", "Bjorn"),
        ("Reservoirs", "High Lake"),
        ("Reservoirs", "Low Lake"),
        ("WaterCourses", "Main River"),
        ("WaterCourses", "Spillway"),
    ] {
        let object = session
            .create_object(format!("{AREA}.{owner}"), name, None)
            .await
            .unwrap();
        ids.insert(name, object.id);
    }
    let at = |name: &str, attribute: &str| format!("{AREA}/{name}.{attribute}");
    for plant in ["Alta", "Bjorn"] {
        session
            .update_link_relation_attribute(at(plant, "Discharges_To"), &[ids["Main River"]], false)
            .await
            .unwrap();
    }
    session
        .update_versioned_one_to_one_link_relation_attribute(
            at("Alta", "Draws_From"),
            min(),
            max(),
            &[
                LinkVersion::new(Some(ids["High Lake"]), day(1990, 1, 1)),
                LinkVersion::new(Some(ids["Low Lake"]), day(2010, 6, 1)),
                LinkVersion::new(None, day(2040, 1, 1)),
            ],
        )
        .await
        .unwrap();
    session
        .update_link_relation_attribute(
            at("Main River", "Fed_By"),
            &[ids["High Lake"], ids["Low Lake"]],
            false,
        )
        .await
        .unwrap();
    session
        .update_versioned_one_to_many_link_relation_attribute(
            at("High Lake", "Spills_To"),
            &[
                vec![LinkVersion::new(Some(ids["Spillway"]), day(2000, 1, 1))],
                vec![
                    LinkVersion::new(Some(ids["Main River"]), day(2001, 1, 1)),
                    LinkVersion::new(None, day(2020, 1, 1)),
                ],
            ],
        )
        .await
        .unwrap();
    for (lake, top) in [("High Lake", 820.0), ("Low Lake", 410.0)] {
        session
            .update_xy_sets(
                at(lake, "LevelVolume"),
                None,
                &[XySet {
                    valid_from: None,
                    curves: vec![curve(
                        0.0,
                        &[(top - 20.0, 0.0), (top - 10.0, 55.5), (top, 120.25)],
                    )],
                }],
            )
            .await
            .unwrap();
    }
    session
        .update_xy_sets(
            at("Alta", "Efficiency"),
            Some((min(), max())),
            &[
                XySet {
                    valid_from: Some(day(1990, 1, 1)),
                    curves: vec![curve(120.0, &[(10.0, 0.8), (50.0, 0.93)])],
                },
                XySet {
                    valid_from: Some(day(2015, 6, 1)),
                    curves: vec![
                        curve(130.0, &[(10.0, 0.86), (60.0, 0.96)]),
                        curve(110.0, &[(10.0, 0.84), (55.0, 0.94)]),
                    ],
                },
            ],
        )
        .await
        .unwrap();
    session
        .update_rating_curve_versions(
            at("Main River", "Discharge"),
            min(),
            max(),
            &[
                rating(day(2000, 1, 1), 1.0, &[5.0, 12.0]),
                rating(day(2012, 1, 1), 0.5, &[4.0, 9.0, 20.0]),
            ],
        )
        .await
        .unwrap();
}

/// Everything the model holds, by path, read through the API: each
/// object's attributes with links as target paths, and each XY set and
/// rating curve attribute's full contents.
async fn snapshot(session: &Session) -> Vec<String> {
    let objects = session
        .search_objects(AREA, "{*}", AttributeView::Full)
        .await
        .unwrap();
    let path_of = |id: Uuid, objects: &[Object]| {
        objects
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_string(), |o| o.path.clone())
    };
    let mut lines = Vec::new();
    for object in &objects {
        lines.push(format!("{} {}", object.path, object.type_name));
        for attribute in &object.attributes {
            lines.push(describe(session, attribute, |id| path_of(id, &objects)).await);
        }
    }
    lines.sort();
    lines
}

async fn describe(
    session: &Session,
    attribute: &Attribute,
    path_of: impl Fn(Uuid) -> String,
) -> String {
    let name = &attribute.path;
    match &attribute.values {
        AttributeValues::Link(targets) | AttributeValues::Ownership(targets) => {
            let mut paths: Vec<String> = targets.iter().map(|t| path_of(*t)).collect();
            paths.sort();
            format!("{name} -> {paths:?}")
        }
        AttributeValues::VersionedLink(entries) => {
            let entries: Vec<Vec<(String, Option<String>)>> = entries
                .iter()
                .map(|e| {
                    e.iter()
                        .map(|v| (v.valid_from.to_rfc3339(), v.target.map(&path_of)))
                        .collect()
                })
                .collect();
            format!("{name} -> {entries:?}")
        }
        _ if attribute.name == "Discharge" => {
            let versions = session
                .get_rating_curve_versions(attribute.id, min(), max(), false)
                .await
                .unwrap();
            format!("{name} = {versions:?}")
        }
        _ if attribute.name == "LevelVolume" => {
            let sets = session
                .get_xy_sets(attribute.id, None, false)
                .await
                .unwrap();
            format!("{name} = {sets:?}")
        }
        _ if attribute.name == "Efficiency" => {
            let sets = session
                .get_xy_sets(attribute.id, Some((min(), max())), false)
                .await
                .unwrap();
            format!("{name} = {sets:?}")
        }
        other => format!("{name} = {other:?}"),
    }
}

#[tokio::test]
async fn a_hydro_system_built_through_the_api_survives_export_and_import_into_a_fresh_server() {
    let server = common::start_default().await;
    let session = open(&server).await;
    define(&session).await;
    build(&session).await;
    session.commit().await.unwrap();
    let built = snapshot(&session).await;
    // Spot checks that the snapshot reads what was built.
    assert!(built.iter().any(|l| l.starts_with(&format!(
        "{AREA}.Plants/Alta.Draws_From -> [[(\"1990-01-01T00:00:00+00:00\", Some(\"{AREA}.Reservoirs/High Lake\"))"
    ))), "{built:#?}");
    assert!(
        built
            .iter()
            .any(|l| l.contains("Efficiency = [XySet") && l.contains("reference: 110.0")),
        "{built:#?}"
    );
    let file = session.export_model_file(&["Basin"]).await.unwrap();
    // Durable: a restarted server on the same data reads the same.
    drop(session);
    let server = server.restart().await;
    let session = open(&server).await;
    assert_eq!(snapshot(&session).await, built);

    let fresh = common::start_default().await;
    let other = open(&fresh).await;
    let imported = other.import_model_file("basin.json", &file).await.unwrap();
    assert_eq!(imported.objects, 7);
    other.commit().await.unwrap();
    assert_eq!(snapshot(&other).await, built);
    // The ids came along: the same file again.
    assert_eq!(other.export_model_file(&["Basin"]).await.unwrap(), file);
}

#[tokio::test]
async fn relations_answer_linked_from_search_clone_and_unlink() {
    let server = common::start_default().await;
    let session = open(&server).await;
    define(&session).await;
    build(&session).await;
    session.commit().await.unwrap();
    let high_lake = session
        .get_object(format!("{AREA}/High Lake"), AttributeView::NoAttributes)
        .await
        .unwrap();
    let mut linking: Vec<String> = session
        .search_linked_from(high_lake.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.path)
        .collect();
    linking.sort();
    assert_eq!(
        linking,
        vec![
            format!("{AREA}.Plants/Alta.Draws_From"),
            format!("{AREA}.WaterCourses/Main River.Fed_By"),
        ]
    );
    // The search language follows links as it follows ownership.
    let fed = session
        .search_objects(
            AREA,
            "Plants/Discharges_To/Fed_By/@[.Name=Low Lake]",
            AttributeView::NoAttributes,
        )
        .await
        .unwrap();
    assert_eq!(fed.len(), 1);
    assert_eq!(fed[0].name, "Low Lake");

    // A clone of the whole area: links inside it point at the copies.
    let copy = session
        .clone_object(AREA, None, "Lower", TimeseriesCopyMode::All)
        .await
        .unwrap();
    assert_eq!(copy.path, "Model/Basin/Lower");
    let copied_river = session
        .get_object("Model/Basin/Lower/Main River", AttributeView::NoAttributes)
        .await
        .unwrap();
    let outlet = session
        .get_attribute("Model/Basin/Lower/Alta.Discharges_To", false)
        .await
        .unwrap();
    assert_eq!(outlet.target_ids(), &[copied_river.id]);

    // Deleting a linked object unlinks it; the versions keep their starts.
    session.delete_object(high_lake.id, false).await.unwrap();
    let draws = session
        .get_attribute(format!("{AREA}/Alta.Draws_From"), false)
        .await
        .unwrap();
    let AttributeValues::VersionedLink(entries) = draws.values else {
        panic!("a versioned link reads as one")
    };
    assert_eq!(entries[0][0].target, None);
    assert_eq!(entries[0][0].valid_from, day(1990, 1, 1));
    assert!(session.search_linked_from(high_lake.id).await.is_err());
}

#[tokio::test]
async fn a_clone_takes_series_along_as_its_copy_mode_says() {
    let server = common::start_default().await;
    let session = open(&server).await;
    define(&session).await;
    for name in ["Production", "Inflow"] {
        let series_type = session
            .create_timeseries_attribute_type(REPOSITORY, name, Some("MW"))
            .await
            .unwrap();
        session
            .add_timeseries_attribute_definition(format!("{REPOSITORY}/Plant"), series_type.id, "")
            .await
            .unwrap();
    }
    build(&session).await;
    let series = |name: &'static str| {
        let session = &session;
        async move {
            session
                .create_physical_timeseries(
                    "/Basin/",
                    name,
                    CurveType::PiecewiseLinear,
                    Resolution::Hour,
                    "MW",
                    None,
                )
                .await
                .unwrap()
                .timeseries_key
        }
    };
    let (own, shared) = (series("AltaProduction").await, series("SharedInflow").await);
    let start = day(2024, 1, 1);
    let points: Vec<Point> = (0..5)
        .map(|h| Point::new(start.timestamp_millis() + h * 3_600_000, 0, h as f64 * 1.5))
        .collect();
    let end = start + mesh::chrono::Duration::hours(5);
    session
        .write_timeseries_point_slice(own, start, end, &points)
        .await
        .unwrap();
    let connect = |path: String, key: i64| {
        let session = &session;
        async move {
            session
                .update_timeseries_attribute(path, Some(key), None)
                .await
                .unwrap()
        }
    };
    connect(format!("{AREA}/Alta.Production"), own).await;
    connect(format!("{AREA}/Alta.Inflow"), shared).await;
    connect(format!("{AREA}/Bjorn.Inflow"), shared).await;
    session.commit().await.unwrap();

    let key_of = |path: String| {
        let session = &session;
        async move { session.timeseries_key_of(path).await.unwrap() }
    };
    // INTERNAL first: after an ALL clone, Alta's series is no longer used
    // by Alta alone.
    for (mode, name) in [
        (TimeseriesCopyMode::Internal, "Alta Internal"),
        (TimeseriesCopyMode::None, "Alta None"),
        (TimeseriesCopyMode::All, "Alta All"),
    ] {
        session
            .clone_object(format!("{AREA}/Alta"), None, name, mode)
            .await
            .unwrap();
        let production = key_of(format!("{AREA}/{name}.Production")).await;
        let inflow = key_of(format!("{AREA}/{name}.Inflow")).await;
        match mode {
            TimeseriesCopyMode::All => {
                assert_eq!((production, inflow), (Some(own), Some(shared)));
            }
            TimeseriesCopyMode::None => assert_eq!((production, inflow), (None, None)),
            TimeseriesCopyMode::Internal => {
                // Alta's own series is copied; the shared one is not.
                let copy = production.expect("the clone has its own copy");
                assert_ne!(copy, own);
                assert_eq!(inflow, None);
                let info = session.get_timeseries_resource_info(copy).await.unwrap();
                assert_eq!(info.path, "Resource/Basin/Alta Internal/AltaProduction");
                let copied = session
                    .read_timeseries_points(copy, start, end)
                    .await
                    .unwrap();
                let original = session
                    .read_timeseries_points(own, start, end)
                    .await
                    .unwrap();
                assert_eq!(copied.points(), original.points());
                // Through the attribute's path, without the key.
                let copy_path = format!("{AREA}/{name}.Production");
                let through = session
                    .read_timeseries_points_at(copy_path.as_str(), start, end)
                    .await
                    .unwrap();
                assert_eq!(through.points(), original.points());
                session
                    .write_timeseries_points_at(copy_path.as_str(), start, end, &points[..2])
                    .await
                    .unwrap();
                let written = session
                    .read_timeseries_points(copy, start, end)
                    .await
                    .unwrap();
                assert_eq!(written.points()[..2], points[..2]);
                assert!(written.points()[2].value.is_nan());
            }
        }
    }
    session.commit().await.unwrap();
}
