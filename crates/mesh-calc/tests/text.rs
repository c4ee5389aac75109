//! Strings and arrays: Compare, Concatenate, ToString, Size, AT.

mod common;

use common::{number, run, series, Fixed, H};
use mesh_calc::Value;
use mesh_timeseries::flags::MISSING;
use mesh_timeseries::{CurveType, Resolution};

fn text(ctx: &Fixed, src: &str) -> String {
    match run(ctx, src).unwrap() {
        Some(Value::String(s)) => s,
        other => panic!("{src}: {other:?}"),
    }
}

fn ctx() -> Fixed {
    let mut ctx = Fixed::default();
    let step = CurveType::StaircaseStartOfStep;
    ctx.named.insert(
        "a".into(),
        series(
            &[(0, 1.0, 0), (H, 2.0, 0), (2 * H, 3.0, 0)],
            Resolution::Hour,
            step,
        ),
    );
    ctx.named
        .insert("b".into(), series(&[(0, 7.0, 0)], Resolution::Hour, step));
    ctx
}

#[test]
fn compare_is_case_sensitive() {
    let ctx = ctx();
    // The page's examples.
    assert_eq!(number(&ctx, "## = @Compare('Bajaboo', 'bajaboo')"), 1.0);
    assert_eq!(number(&ctx, "## = @Compare('Bajaboo', 'Bajaboo')"), 0.0);
    assert_eq!(number(&ctx, "## = @Compare('', '')"), 0.0);
}

#[test]
fn concatenate_joins_texts() {
    let ctx = ctx();
    assert_eq!(
        text(&ctx, "## = @Concatenate('../...', 'MyTs')"),
        "../...MyTs"
    );
    assert_eq!(
        text(
            &ctx,
            "## = @Concatenate({'*[.Type=HydroPlant&&.Name=', 'PlantX', '].Production'})"
        ),
        "*[.Type=HydroPlant&&.Name=PlantX].Production"
    );
    // Its result can name a series.
    let v = run(&ctx, "## = @t(@Concatenate('', 'a'))").unwrap();
    assert!(matches!(v, Some(Value::Series(s)) if s.len() == 3));
}

#[test]
fn to_string_truncates() {
    let ctx = ctx();
    // The page's examples.
    assert_eq!(text(&ctx, "## = @ToString(2.756)"), "2");
    assert_eq!(text(&ctx, "## = @ToString(2.756, 1)"), "2.7");
    assert_eq!(text(&ctx, "## = @ToString(2.756, 2)"), "2.75");
    // Exactly the decimals asked for; no binary error; no "-0".
    assert_eq!(text(&ctx, "## = @ToString(2.5, 2)"), "2.50");
    assert_eq!(text(&ctx, "## = @ToString(0.29, 2)"), "0.29");
    assert_eq!(text(&ctx, "## = @ToString(-2.756, 1)"), "-2.7");
    assert_eq!(text(&ctx, "## = @ToString(-0.5)"), "0");
    assert_eq!(text(&ctx, "## = @ToString(12, -3)"), "12");
    assert_eq!(text(&ctx, "## = @ToString(NaN)"), "NaN");
    // A huge count is capped, not allocated.
    assert!(text(&ctx, "## = @ToString(1, 1000000000000)").len() < 400);
}

#[test]
fn size_counts_members() {
    let ctx = ctx();
    assert_eq!(number(&ctx, "## = @Size({4, 2, 7, 8})"), 4.0);
    assert_eq!(number(&ctx, "## = @Size({'a', 'b'})"), 2.0);
    assert_eq!(number(&ctx, "## = @Size({@t('a'), @t('b')})"), 2.0);
    assert_eq!(number(&ctx, "## = @Size(@T('nothing'))"), 0.0);
}

#[test]
fn at_looks_up_by_index() {
    let ctx = ctx();
    // The page's example.
    assert_eq!(
        number(&ctx, "DArray = {10,11,12,13,14}\n## = @AT(DArray, 0)"),
        10.0
    );
    assert_eq!(number(&ctx, "## = @AT({10,11,12,13,14}, 2)"), 12.0);
    assert_eq!(number(&ctx, "## = @AT({10,11,12}, 1.8)"), 11.0);
    assert!(number(&ctx, "## = @AT({10,11,12}, 3)").is_nan());
    assert!(number(&ctx, "## = @AT({10,11,12}, -1)").is_nan());
    // (t,d): the index-th point read.
    assert_eq!(number(&ctx, "## = @AT(@t('a'), 2)"), 3.0);
    assert!(number(&ctx, "## = @AT(@t('a'), 3)").is_nan());
    // (t,s): the functional value at a time; NaN for no valid time.
    assert_eq!(number(&ctx, "## = @AT(@t('a'), 'UTC19700101013000')"), 2.0);
    assert_eq!(number(&ctx, "## = @AT(@t('a'), 'UTC19700101020000')"), 3.0);
    assert!(number(&ctx, "## = @AT(@t('a'), 'not a time')").is_nan());
    // Before the first point there is no value.
    assert!(number(&ctx, "## = @AT(@t('a'), 'UTC19691231')").is_nan());
    // (T,d): a member, or the empty series.
    match run(&ctx, "## = @AT({@t('a'), @t('b')}, 1)").unwrap() {
        Some(Value::Series(s)) => assert_eq!(s.points()[0].value, 7.0),
        other => panic!("{other:?}"),
    }
    match run(&ctx, "## = @AT({@t('a'), @t('b')}, 5)").unwrap() {
        Some(Value::Series(s)) => {
            let p = s.points();
            assert_eq!(p.len(), 1);
            assert!(p[0].value.is_nan());
            assert_eq!(p[0].flags, MISSING);
            assert_eq!(s.resolution(), Resolution::Breakpoint);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn at_refuses_a_nan_index_and_names_the_forms() {
    let ctx = ctx();
    let e = run(&ctx, "## = @AT({1, 2}, NaN)").unwrap_err();
    assert!(
        e.to_string().contains("the index must be a finite number"),
        "{e}"
    );
    let e = run(&ctx, "## = @AT(1, 2)").unwrap_err();
    assert!(
        e.to_string()
            .contains("its forms are AT(Td) -> t, AT(Dd) -> d, AT(td) -> d, AT(ts) -> d"),
        "{e}"
    );
    let e = run(&ctx, "## = @Size(1)").unwrap_err();
    assert!(
        e.to_string()
            .contains("Size(T) -> d, Size(D) -> d, Size(S) -> d"),
        "{e}"
    );
    let e = run(&ctx, "## = @ToString('x')").unwrap_err();
    assert!(
        e.to_string()
            .contains("ToString(d) -> s, ToString(dd) -> s"),
        "{e}"
    );
}
