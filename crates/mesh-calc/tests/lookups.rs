//! IsValid, Valid, MeshID, Parameter, Linear and SET_TS_VALUNIT.

mod common;

use common::{interval, series, H};
use mesh_calc::{
    evaluate, Context, ContextError, EvalError, Interval, Limits, ObjectInfo, Series, SeriesRef,
    Settings, Value,
};
use mesh_timeseries::{CurveType, Resolution};

/// A plant with one connected series (`Production`), a number and a
/// text; nothing else is found.
struct Plant;

fn production() -> Series {
    series(
        &[(0, 1.0, 0), (H, 2.0, 0)],
        Resolution::Hour,
        CurveType::StaircaseStartOfStep,
    )
}

impl Context for Plant {
    fn series(&self, r: &SeriesRef, _: Interval) -> Result<Option<Series>, ContextError> {
        Ok(match r {
            SeriesRef::Search(q) if q == "Production" => Some(production()),
            _ => None,
        })
    }

    fn numbers(&self, query: &str) -> Result<Option<Vec<f64>>, ContextError> {
        Ok((query == "Capacity").then(|| vec![150.0]))
    }

    fn object(&self, query: Option<&str>) -> Result<Option<ObjectInfo>, ContextError> {
        Ok(match query {
            None => Some(ObjectInfo {
                name: "Alta".into(),
                type_name: "Plant".into(),
                id: "0b3e5c0e-6a0f-4b8e-9d3c-1f2a3b4c5d6e".into(),
                path: "Model/Nordic/Alta".into(),
            }),
            Some(_) => None,
        })
    }
}

fn run(src: &str) -> Result<Option<Value>, EvalError> {
    evaluate(
        src,
        &Plant,
        interval(),
        &Settings::default(),
        &Limits::default(),
    )
}

fn number(src: &str) -> f64 {
    match run(src).unwrap() {
        Some(Value::Number(x)) => x,
        other => panic!("{src}: {other:?}"),
    }
}

fn text(src: &str) -> String {
    match run(src).unwrap() {
        Some(Value::String(s)) => s,
        other => panic!("{src}: {other:?}"),
    }
}

#[test]
fn is_valid_tells_found_from_not_found() {
    assert_eq!(number("## = @IsValid(@t('Production'))"), 1.0);
    assert_eq!(number("## = @IsValid(@t('Nothing'))"), 0.0);
    assert_eq!(number("## = @IsValid(@T('Production'))"), 1.0);
    assert_eq!(number("## = @IsValid(@T('Nothing'))"), 0.0);
    assert_eq!(number("## = @IsValid('t', 'Production')"), 1.0);
    assert_eq!(number("## = @IsValid('d', 'Capacity')"), 1.0);
    assert_eq!(number("## = @IsValid('d', 'Production')"), 0.0);
    assert_eq!(number("## = @IsValid('S', 'Capacity')"), 0.0);
    let err = run("## = @IsValid('q', 'Capacity')").unwrap_err();
    assert!(err.to_string().contains("unknown target type 'q'"), "{err}");
}

#[test]
fn valid_keeps_what_was_found() {
    match run("## = @Valid({@t('Production'), @t('Nothing')})").unwrap() {
        Some(Value::SeriesArray(all)) => assert_eq!(all, vec![production()]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn mesh_id_names_the_object() {
    assert_eq!(text("## = @MeshID('NAME')"), "Alta");
    assert_eq!(text("## = @MeshID('type')"), "Plant");
    assert_eq!(
        text("## = @MeshID('GUID')"),
        "0b3e5c0e-6a0f-4b8e-9d3c-1f2a3b4c5d6e"
    );
    assert_eq!(
        text("## = @MeshID('WRAPPEDGUID')"),
        "{0b3e5c0e-6a0f-4b8e-9d3c-1f2a3b4c5d6e}"
    );
    assert_eq!(text("## = @MeshID('PATH')"), "Model/Nordic/Alta");
    assert_eq!(text("## = @MeshID('NAME;Elsewhere')"), "");
    let err = run("## = @MeshID('COLOUR')").unwrap_err();
    assert!(err.to_string().contains("unknown field 'COLOUR'"), "{err}");
}

#[test]
fn parameters_curves_and_units() {
    assert_eq!(number("## = @Parameter('Level', 3)"), 3.0);
    assert_eq!(text("## = @Parameter('Mode', 'auto')"), "auto");
    match run("## = @Linear(@t('Production'), 'TRUE')").unwrap() {
        Some(Value::Series(s)) => assert_eq!(s.curve(), CurveType::PiecewiseLinear),
        other => panic!("{other:?}"),
    }
    match run("## = @Linear(@Linear(@t('Production'), 'TRUE'), 'false')").unwrap() {
        Some(Value::Series(s)) => assert_eq!(s.curve(), CurveType::StaircaseStartOfStep),
        other => panic!("{other:?}"),
    }
    assert!(run("## = @Linear(@t('Production'), 'maybe')").is_err());
    match run("## = @SET_TS_VALUNIT(@t('Production'), 'MW')").unwrap() {
        Some(Value::Series(s)) => assert_eq!(s, production()),
        other => panic!("{other:?}"),
    }
}
