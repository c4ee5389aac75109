//! Link relations, XY sets, rating curves and cloning on the example hydro
//! model: their rules, what deleting a linked object does, links followed
//! by the search language, and replays at commit.

use mesh_model::curves::{Interval, RatingCurveVersion, RatingSegment, XyCurve, XySet};
use mesh_model::file::import;
use mesh_model::search::{parse, run, Budget};
use mesh_model::{Change, Committed, Held, LinkVersion, Model, ModelError, PathTarget, Workspace};
use uuid::Uuid;

const EXAMPLE: &str = include_str!("../../../examples/hydro-model.json");

/// The example model, committed.
fn example() -> Committed {
    let committed = Committed::new(Model::new());
    let mut workspace = Workspace::new();
    let mut n = 0u128;
    let mut ids = move || {
        n += 1;
        Uuid::from_u128(n)
    };
    let imported = import(&workspace.view(&committed), "hydro.json", EXAMPLE, &mut ids).unwrap();
    workspace.apply_all(&committed, imported.changes).unwrap();
    committed.publish(workspace.prepare(&committed).unwrap().unwrap());
    committed
}

fn object(model: &Model, path: &str) -> Uuid {
    match model.resolve_path(path).unwrap() {
        PathTarget::Object(id) => id,
        other => panic!("{path} is {other:?}"),
    }
}

fn attribute(model: &Model, path: &str) -> Uuid {
    match model.resolve_path(path).unwrap() {
        PathTarget::Attribute(id) => id,
        other => panic!("{path} is {other:?}"),
    }
}

fn held(model: &Model, attribute: Uuid) -> Option<Held> {
    model
        .attribute(attribute)
        .unwrap()
        .slot
        .held
        .as_deref()
        .cloned()
}

const ALTA: &str = "Model/Nordic/North/Alta";
const RIVER: &str = "Model/Nordic/North/Alta River";
const LAKE: &str = "Model/Nordic/North/Store Vatn";

#[test]
fn links_point_at_objects_of_their_definition_only() {
    let committed = example();
    let mut workspace = Workspace::new();
    let model = workspace.view(&committed);
    let outlet = attribute(&model, &format!("{ALTA}.To_Outlet"));
    let (river, lake) = (object(&model, RIVER), object(&model, LAKE));
    assert_eq!(held(&model, outlet), Some(Held::Links(vec![river])));
    assert_eq!(model.linked_from(river).collect::<Vec<_>>(), vec![outlet]);

    let set = |targets: Vec<Uuid>, append| Change::SetLinks {
        attribute: outlet,
        targets,
        append,
    };
    let error = workspace
        .apply(&committed, set(vec![lake], false))
        .unwrap_err();
    assert!(
        matches!(&error, ModelError::Invalid(m) if m.contains("points at WaterCourse objects")),
        "{error}"
    );
    let error = workspace
        .apply(&committed, set(vec![river], true))
        .unwrap_err();
    assert!(
        error.to_string().contains("'append' must be false"),
        "{error}"
    );
    let error = workspace
        .apply(&committed, set(vec![river, river], false))
        .unwrap_err();
    assert!(
        error.to_string().contains("multiple target object IDs set"),
        "{error}"
    );
    let error = workspace
        .apply(&committed, set(vec![Uuid::new_v4()], false))
        .unwrap_err();
    assert!(matches!(error, ModelError::NotFound(_)), "{error}");

    workspace.apply(&committed, set(vec![], false)).unwrap();
    let model = workspace.view(&committed);
    assert_eq!(held(&model, outlet), None);
    assert_eq!(model.linked_from(river).count(), 0);
}

#[test]
fn versioned_links_are_replaced_inside_the_interval() {
    let committed = example();
    let mut workspace = Workspace::new();
    let model = workspace.view(&committed);
    let intake = attribute(&model, &format!("{ALTA}.Intake"));
    let lake = object(&model, LAKE);
    let version = |target, valid_from| LinkVersion { target, valid_from };
    let Some(Held::VersionedLinks(entries)) = held(&model, intake) else {
        panic!("the example's intake has versions")
    };
    assert_eq!(entries.len(), 1);
    let (first, second) = (entries[0][0].valid_from, entries[0][1].valid_from);

    // A new version between the two; the interval holds no old start.
    let middle = first + 10;
    workspace
        .apply(
            &committed,
            Change::SetVersionedLinks {
                attribute: intake,
                interval: Some(Interval {
                    start: middle,
                    end: middle + 1,
                }),
                entries: vec![vec![version(None, middle)]],
            },
        )
        .unwrap();
    let model = workspace.view(&committed);
    assert_eq!(
        held(&model, intake),
        Some(Held::VersionedLinks(vec![vec![
            version(Some(lake), first),
            version(None, middle),
            version(None, second),
        ]]))
    );
    // Outside the interval: refused, nothing changed.
    let error = workspace
        .apply(
            &committed,
            Change::SetVersionedLinks {
                attribute: intake,
                interval: Some(Interval {
                    start: second,
                    end: second + 5,
                }),
                entries: vec![vec![version(Some(lake), second + 5)]],
            },
        )
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("within the replacement interval"),
        "{error}"
    );
    // Everything removed: no entry left.
    workspace
        .apply(
            &committed,
            Change::SetVersionedLinks {
                attribute: intake,
                interval: Some(Interval {
                    start: i64::MIN,
                    end: i64::MAX,
                }),
                entries: vec![],
            },
        )
        .unwrap();
    assert_eq!(held(&workspace.view(&committed), intake), None);
}

#[test]
fn deleting_a_linked_object_removes_the_links_to_it() {
    let committed = example();
    let mut workspace = Workspace::new();
    let model = workspace.view(&committed);
    let lake = object(&model, LAKE);
    let intake = attribute(&model, &format!("{ALTA}.Intake"));
    let fed_by = attribute(&model, &format!("{RIVER}.Fed_By"));
    assert_eq!(model.linked_from(lake).count(), 3);
    workspace
        .apply(
            &committed,
            Change::DeleteObject {
                id: lake,
                recursive: false,
            },
        )
        .unwrap();
    let model = workspace.view(&committed);
    assert_eq!(held(&model, fed_by), None);
    // A version keeps its start and points at nothing.
    let Some(Held::VersionedLinks(entries)) = held(&model, intake) else {
        panic!("the versions stay")
    };
    assert!(entries[0].iter().all(|v| v.target.is_none()));
    assert_eq!(model.linked_from(lake).count(), 0);
}

#[test]
fn a_link_to_an_object_deleted_by_another_commit_is_a_conflict() {
    let committed = example();
    let lake = object(&committed.current().1, LAKE);
    let fed_by = attribute(&committed.current().1, &format!("{RIVER}.Fed_By"));
    let mut linking = Workspace::new();
    linking
        .apply(
            &committed,
            Change::SetLinks {
                attribute: fed_by,
                targets: vec![lake],
                append: false,
            },
        )
        .unwrap();
    let mut deleting = Workspace::new();
    deleting
        .apply(
            &committed,
            Change::DeleteObject {
                id: lake,
                recursive: false,
            },
        )
        .unwrap();
    committed.publish(deleting.prepare(&committed).unwrap().unwrap());
    let error = linking.prepare(&committed).unwrap_err();
    assert!(
        matches!(&error, ModelError::Conflict(m) if m.contains("Missing target")),
        "{error}"
    );
}

#[test]
fn search_follows_links_like_ownership() {
    let committed = example();
    let model = committed.current().1;
    let area = object(&model, "Model/Nordic/North");
    let query = parse("Plants/To_Outlet/Fed_By/@[.Name=Store Vatn]").unwrap();
    let hits = run(&*model, area, &query, &mut Budget::default()).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.object).collect::<Vec<_>>(),
        vec![object(&model, LAKE)]
    );
}

#[test]
fn xy_sets_and_rating_curves_follow_their_rules() {
    let committed = example();
    let mut workspace = Workspace::new();
    let model = workspace.view(&committed);
    let level = attribute(&model, &format!("{LAKE}.LevelVolume"));
    let efficiency = attribute(&model, &format!("{ALTA}.Efficiency"));
    let discharge = attribute(&model, &format!("{RIVER}.Discharge"));
    let curve = |reference, x: &[f64], y: &[f64]| XyCurve {
        reference,
        x: x.to_vec(),
        y: y.to_vec(),
    };
    // Unversioned: the curves come back sorted by reference value.
    workspace
        .apply(
            &committed,
            Change::SetXySets {
                attribute: level,
                interval: None,
                sets: vec![XySet {
                    valid_from: None,
                    curves: vec![curve(2.0, &[1.0], &[1.0]), curve(1.0, &[], &[])],
                }],
            },
        )
        .unwrap();
    let sets = workspace.view(&committed).xy_sets(level, None).unwrap();
    assert_eq!(sets[0].curves[0].reference, 1.0);
    for (curves, expected) in [
        (vec![curve(1.0, &[1.0, 2.0], &[1.0])], "1 y values"),
        (
            vec![curve(1.0, &[2.0, 1.0], &[1.0, 1.0])],
            "unsorted x values",
        ),
        (
            vec![curve(1.0, &[], &[]), curve(1.0, &[], &[])],
            "duplicate reference value",
        ),
    ] {
        let error = workspace
            .apply(
                &committed,
                Change::SetXySets {
                    attribute: level,
                    interval: None,
                    sets: vec![XySet {
                        valid_from: None,
                        curves,
                    }],
                },
            )
            .unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
    // Versioned: read by interval, with the set in force at its start.
    let model = workspace.view(&committed);
    let all = model
        .xy_sets(
            efficiency,
            Some(Interval {
                start: i64::MIN,
                end: i64::MAX,
            }),
        )
        .unwrap();
    assert_eq!(all.len(), 2);
    let late = all[1].valid_from.unwrap();
    let after = model
        .xy_sets(
            efficiency,
            Some(Interval {
                start: late + 1,
                end: late + 2,
            }),
        )
        .unwrap();
    assert_eq!(after, vec![all[1].clone()]);
    // Rating curves: segments sorted, range start below the first bound.
    let version = |x_from, bounds: &[f64]| RatingCurveVersion {
        valid_from: 0,
        x_from,
        segments: bounds
            .iter()
            .map(|x_until| RatingSegment {
                x_until: *x_until,
                a: 1.0,
                b: 0.0,
                c: 1.0,
            })
            .collect(),
    };
    let everything = Interval {
        start: i64::MIN,
        end: i64::MAX,
    };
    let set = |versions| Change::SetRatingCurve {
        attribute: discharge,
        interval: everything,
        versions,
    };
    let error = workspace
        .apply(&committed, set(vec![version(6.0, &[8.0, 5.0])]))
        .unwrap_err();
    assert!(error.to_string().contains("is not lesser than"), "{error}");
    workspace
        .apply(&committed, set(vec![version(1.0, &[8.0, 5.0])]))
        .unwrap();
    let versions = workspace
        .view(&committed)
        .rating_curve(discharge, everything)
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].segments[0].x_until, 5.0);
}

#[test]
fn a_clone_copies_the_tree_and_points_inner_links_at_the_copies() {
    let committed = example();
    let mut workspace = Workspace::new();
    let area = object(&committed.current().1, "Model/Nordic/North");
    let copy = Uuid::new_v4();
    workspace
        .apply(
            &committed,
            Change::CloneObject {
                source: area,
                id: copy,
                name: "South".into(),
                owner: None,
                keep_timeseries: true,
            },
        )
        .unwrap();
    let model = workspace.view(&committed);
    assert_eq!(object(&model, "Model/Nordic/South"), copy);
    let outlet = attribute(&model, "Model/Nordic/South/Alta.To_Outlet");
    let copied_river = object(&model, "Model/Nordic/South/Alta River");
    assert_ne!(copied_river, object(&model, RIVER));
    assert_eq!(held(&model, outlet), Some(Held::Links(vec![copied_river])));
    // The original is untouched, and a second clone of that name clashes.
    assert_eq!(
        held(&model, attribute(&model, &format!("{ALTA}.To_Outlet"))),
        Some(Held::Links(vec![object(&model, RIVER)]))
    );
    let error = workspace
        .apply(
            &committed,
            Change::CloneObject {
                source: area,
                id: Uuid::new_v4(),
                name: "South".into(),
                owner: None,
                keep_timeseries: true,
            },
        )
        .unwrap_err();
    assert!(matches!(error, ModelError::AlreadyExists(_)), "{error}");
    // Committed, the clone replays to the same ids.
    committed.publish(workspace.prepare(&committed).unwrap().unwrap());
    assert_eq!(
        object(&committed.current().1, "Model/Nordic/South/Alta River"),
        copied_river
    );
}
