//! RatingCurve, XY, YX and GET_Y_FX: the documented examples (fn/getyfx's
//! two tables, the modelling docs' rating curve), versions in force by
//! time, values outside the curves, failed lookups, and awkward curves.

mod common;

use common::{close, flags, points, result, run, series, values, Fixed, H};
use mesh_calc::{LogLevel, RatingCurveVersion, RatingSegment, Value, XyCurve, XySetVersion};
use mesh_timeseries::flags::{MISSING, SUSPECT};
use mesh_timeseries::{CurveType, Resolution};

const STEP: CurveType = CurveType::StaircaseStartOfStep;

/// An hourly series `x` of `values` from 0, all flags clear.
fn hourly(values: &[f64], curve: CurveType) -> mesh_calc::Series {
    let pts: Vec<(i64, f64, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as i64 * H, v, 0))
        .collect();
    series(&pts, Resolution::Hour, curve)
}

fn with_x(values: &[f64]) -> Fixed {
    let mut ctx = Fixed::default();
    ctx.named.insert("x".into(), hourly(values, STEP));
    ctx
}

fn warnings(ctx: &Fixed) -> Vec<String> {
    ctx.logs
        .borrow()
        .iter()
        .filter(|(level, _)| *level == LogLevel::Warning)
        .map(|(_, m)| m.clone())
        .collect()
}

// --- GET_Y_FX -----------------------------------------------------------------------

#[test]
fn get_y_fx_example_2_number_by_number() {
    // fn/getyfx example 2: INTERPOL,NOHOLD over x = -10, 2, 10, NaN, 30,
    // NaN, 50 with the table {-1, 20, 40} → {1, 2, 3}. The page prints
    // 1.142 and 1.523: the exact values 1 + 3/21 and 1 + 11/21 cut to
    // three decimals.
    let ctx = with_x(&[-10.0, 2.0, 10.0, f64::NAN, 30.0, f64::NAN, 50.0]);
    let p = points(
        &ctx,
        "## = @GET_Y_FX(@t('x'), {-1,20,40}, {1,2,3}, 'INTERPOL,NOHOLD')",
    );
    let got = values(&p);
    let page = [1.0, 1.142, 1.523, f64::NAN, 2.5, f64::NAN, 3.0];
    for (g, w) in got.iter().zip(page) {
        if w.is_nan() {
            assert!(g.is_nan(), "{got:?}");
        } else {
            assert_eq!((g * 1000.0).trunc() / 1000.0, w, "{got:?}");
        }
    }
    close(
        &got,
        &[
            1.0,
            1.0 + 3.0 / 21.0,
            1.0 + 11.0 / 21.0,
            f64::NAN,
            2.5,
            f64::NAN,
            3.0,
        ],
    );
    assert_eq!(flags(&p), [0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn get_y_fx_example_1_number_by_number() {
    // fn/getyfx example 1 (its table image): R1 steps, R2 and R3
    // interpolate, shown to two decimals.
    let ctx = with_x(&[-1.0, 2.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
    let r1 = values(&points(
        &ctx,
        "## = @GET_Y_FX(@t('x'), {-1,20,40}, {1,2,3})",
    ));
    close(&r1, &[1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
    let shown = [1.00, 1.14, 1.52, 2.00, 2.50, 3.00, 3.00];
    for options in ["'INTERPOL'", "'INTERPOL,NOHOLD'"] {
        let r = values(&points(
            &ctx,
            &format!("## = @GET_Y_FX(@t('x'), {{-1,20,40}}, {{1,2,3}}, {options})"),
        ));
        for (g, w) in r.iter().zip(shown) {
            assert!((g - w).abs() < 0.005, "{options}: {r:?}");
        }
    }
}

#[test]
fn get_y_fx_holds_the_last_y_over_nan_unless_nohold() {
    let ctx = with_x(&[f64::NAN, 30.0, f64::NAN, f64::NAN, 10.0]);
    let held = points(
        &ctx,
        "## = @GET_Y_FX(@t('x'), {-1,20,40}, {1,2,3}, 'INTERPOL')",
    );
    close(
        &values(&held),
        &[f64::NAN, 2.5, 2.5, 2.5, 1.0 + 11.0 / 21.0],
    );
    // A held value is not the point's own: SUSPECT. Nothing to hold
    // before the first value.
    assert_eq!(flags(&held), [0, 0, SUSPECT, SUSPECT, 0]);
    let step = values(&points(
        &ctx,
        "## = @GET_Y_FX(@t('x'), {-1,20,40}, {1,2,3})",
    ));
    close(&step, &[f64::NAN, 2.0, 2.0, 2.0, 1.0]);
    let none = values(&points(
        &ctx,
        "## = @GET_Y_FX(@t('x'), {-1,20,40}, {1,2,3}, 'NOHOLD')",
    ));
    close(&none, &[f64::NAN, 2.0, f64::NAN, f64::NAN, 1.0]);
}

#[test]
fn get_y_fx_options_in_any_case_and_spacing() {
    let ctx = with_x(&[f64::NAN, 30.0, f64::NAN]);
    let p = values(&points(
        &ctx,
        "## = @GET_Y_FX(@t('x'), {-1,20,40}, {1,2,3}, ' nohold , Interpol ')",
    ));
    close(&p, &[f64::NAN, 2.5, f64::NAN]);
    let empty = values(&points(
        &ctx,
        "## = @GET_Y_FX(@t('x'), {-1,20,40}, {1,2,3}, '')",
    ));
    close(&empty, &[f64::NAN, 2.0, 2.0]);
}

#[test]
fn get_y_fx_refuses_unknown_options_and_unpaired_tables() {
    let ctx = with_x(&[1.0]);
    let unknown = run(
        &ctx,
        "## = @GET_Y_FX(@t('x'), {1,2}, {1,2}, 'INTERPOL,LOUD')",
    );
    assert!(
        format!("{:?}", unknown.unwrap_err()).contains("LOUD"),
        "names the option"
    );
    let unpaired = run(&ctx, "## = @GET_Y_FX(@t('x'), {1,2,3}, {1,2})");
    assert!(format!("{:?}", unpaired.unwrap_err()).contains("pair"));
}

#[test]
fn get_y_fx_sorts_the_table_and_keeps_the_first_of_equal_xs() {
    // Unsorted, with x = 20 twice (2 given first) and a NaN pair dropped.
    let ctx = with_x(&[10.0, 20.0, 30.0, 45.0]);
    let p = values(&points(
        &ctx,
        "## = @GET_Y_FX(@t('x'), {40, NaN, 20, -1, 20}, {3, 7, 2, 1, 9}, 'INTERPOL')",
    ));
    close(&p, &[1.0 + 11.0 / 21.0, 2.0, 2.5, 3.0]);
}

#[test]
fn get_y_fx_over_empty_tables_gives_nan() {
    let ctx = with_x(&[1.0, 2.0]);
    let p = points(
        &ctx,
        "## = @GET_Y_FX(@t('x'), @D('nothing'), @D('nothing'))",
    );
    close(&values(&p), &[f64::NAN, f64::NAN]);
    assert_eq!(flags(&p), [MISSING, MISSING]);
    // One point: every x gives its y.
    let one = values(&points(
        &ctx,
        "## = @GET_Y_FX(@t('x'), {5}, {7}, 'INTERPOL')",
    ));
    close(&one, &[7.0, 7.0]);
}

#[test]
fn get_y_fx_keeps_resolution_curve_and_flags() {
    let mut ctx = Fixed::default();
    ctx.named.insert(
        "x".into(),
        series(
            &[(0, 0.0, SUSPECT), (H, 20.0, 0), (3 * H, 40.0, 0)],
            Resolution::Breakpoint,
            CurveType::PiecewiseLinear,
        ),
    );
    let s = result(&ctx, "## = @GET_Y_FX(@t('x'), {0,40}, {0,4}, 'INTERPOL')");
    assert_eq!(s.resolution(), Resolution::Breakpoint);
    assert!(s.is_linear());
    let p = s.points();
    close(&values(&p), &[0.0, 2.0, 4.0]);
    assert_eq!(flags(&p), [SUSPECT, 0, 0]);
}

// --- RatingCurve --------------------------------------------------------------------

fn segment(x_range_until: f64, a: f64, b: f64, c: f64) -> RatingSegment {
    RatingSegment {
        x_range_until,
        factor_a: a,
        factor_b: b,
        factor_c: c,
    }
}

fn rated(levels: &[f64], versions: Vec<RatingCurveVersion>) -> Fixed {
    let mut ctx = with_x(levels);
    ctx.rating_curve = Some(versions);
    ctx
}

/// The modelling docs' example: three segments from level 0.
fn docs_curve(valid_from_ms: i64) -> RatingCurveVersion {
    RatingCurveVersion {
        valid_from_ms,
        x_range_from: 0.0,
        segments: vec![
            segment(10.0, 1.24, 13.7, 11.1),
            segment(50.0, 11.2, 1.0, 6.65),
            segment(100.0, 4.27, 1.55, 0.87),
        ],
    }
}

#[test]
fn rating_curve_follows_the_segments_of_the_modelling_docs() {
    let levels = [-0.5, 0.0, 9.5, 10.0, 49.0, 50.0, 99.0, 100.0, f64::NAN];
    let ctx = rated(&levels, vec![docs_curve(0)]);
    let p = points(&ctx, "## = @RatingCurve(@t('x'))");
    let q = |a: f64, b: f64, c: f64, h: f64| a * (h + b).powf(c);
    close(
        &values(&p),
        &[
            f64::NAN,
            q(1.24, 13.7, 11.1, 0.0),
            q(1.24, 13.7, 11.1, 9.5),
            q(11.2, 1.0, 6.65, 10.0),
            q(11.2, 1.0, 6.65, 49.0),
            q(4.27, 1.55, 0.87, 50.0),
            q(4.27, 1.55, 0.87, 99.0),
            f64::NAN,
            f64::NAN,
        ],
    );
    // Below x_range_from and at the last bound: no discharge, MISSING. A
    // NaN level stays NaN with its own flags (here none).
    assert_eq!(flags(&p), [MISSING, 0, 0, 0, 0, 0, 0, MISSING, 0]);
}

#[test]
fn rating_curve_uses_the_version_in_force_at_each_point() {
    let version = |from: i64, a: f64| RatingCurveVersion {
        valid_from_ms: from,
        x_range_from: 0.0,
        segments: vec![segment(100.0, a, 0.0, 1.0)],
    };
    // Given out of order: the port's order does not matter.
    let ctx = rated(
        &[2.0, 2.0, 2.0, 2.0, 2.0],
        vec![
            version(4 * H, 10.0),
            version(H, 1.0),
            version(2 * H + H / 2, 5.0),
        ],
    );
    let p = points(&ctx, "## = @RatingCurve(@t('x'))");
    // Before the first version: NaN; a version starting mid-step takes
    // effect at the next point.
    close(&values(&p), &[f64::NAN, 2.0, 2.0, 10.0, 20.0]);
    assert_eq!(flags(&p)[0], MISSING);
}

#[test]
fn rating_curve_gives_nan_where_the_power_law_has_no_value() {
    let ctx = rated(
        &[1.0, 3.0, 5.0, 7.0],
        vec![RatingCurveVersion {
            valid_from_ms: 0,
            x_range_from: 0.0,
            segments: vec![
                // Unsorted segments, one with a NaN bound (covers nothing).
                segment(6.0, 1.0, 0.0, -1.0),
                segment(f64::NAN, 99.0, 0.0, 1.0),
                segment(2.0, 1.0, -2.0, 0.5),
                segment(8.0, 1e300, 0.0, 1e300),
            ],
        }],
    );
    let p = points(&ctx, "## = @RatingCurve(@t('x'))");
    // 1: (1 − 2)^0.5 is no number; 3: second segment, 3^−1; 5: 5^−1; 7:
    // an overflow, no infinity.
    close(&values(&p), &[f64::NAN, 1.0 / 3.0, 0.2, f64::NAN]);
    assert_eq!(flags(&p), [MISSING, 0, 0, MISSING]);
    // A zero base under a negative exponent: infinity, not a value.
    let zero = rated(
        &[0.0],
        vec![RatingCurveVersion {
            valid_from_ms: 0,
            x_range_from: 0.0,
            segments: vec![segment(1.0, 1.0, 0.0, -1.0)],
        }],
    );
    close(
        &values(&points(&zero, "## = @RatingCurve(@t('x'))")),
        &[f64::NAN],
    );
}

#[test]
fn rating_curve_without_versions_or_segments_gives_nan_points() {
    let none = rated(&[1.0, 2.0], Vec::new());
    let p = points(&none, "## = @RatingCurve(@t('x'))");
    close(&values(&p), &[f64::NAN, f64::NAN]);
    assert_eq!(flags(&p), [MISSING, MISSING]);
    let empty = rated(
        &[1.0],
        vec![RatingCurveVersion {
            valid_from_ms: 0,
            x_range_from: 0.0,
            segments: Vec::new(),
        }],
    );
    close(
        &values(&points(&empty, "## = @RatingCurve(@t('x'))")),
        &[f64::NAN],
    );
}

#[test]
fn rating_curve_without_a_curve_is_the_empty_series() {
    let ctx = with_x(&[1.0, 2.0]);
    let s = result(&ctx, "## = @RatingCurve(@t('x'))");
    assert_eq!(s.len(), 1);
    assert!(s.resolution().is_breakpoint());
    assert_eq!(s.flags().value(0), MISSING);
    assert_eq!(warnings(&ctx).len(), 1, "{:?}", warnings(&ctx));
    match run(&ctx, "## = @IsValid(@RatingCurve(@t('x')))").unwrap() {
        Some(Value::Number(x)) => assert_eq!(x, 0.0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rating_curve_keeps_a_linear_input_linear() {
    let mut ctx = rated(&[], vec![docs_curve(0)]);
    ctx.named
        .insert("x".into(), hourly(&[1.0, 2.0], CurveType::PiecewiseLinear));
    let s = result(&ctx, "## = @RatingCurve(@t('x'))");
    assert!(s.is_linear());
    assert_eq!(s.resolution(), Resolution::Hour);
    assert_eq!(s.len(), 2);
}

// --- XY and YX ----------------------------------------------------------------------

fn curve(reference_value: f64, xs: &[f64], ys: &[f64]) -> XyCurve {
    XyCurve {
        reference_value,
        xs: xs.to_vec(),
        ys: ys.to_vec(),
    }
}

fn with_sets(values: &[f64], query: &str, sets: Vec<XySetVersion>) -> Fixed {
    let mut ctx = with_x(values);
    ctx.xy_sets.insert(query.into(), sets);
    ctx
}

fn always(curves: Vec<XyCurve>) -> XySetVersion {
    XySetVersion {
        valid_from_ms: None,
        curves,
    }
}

#[test]
fn xy_interpolates_and_holds_at_the_ends() {
    let set = always(vec![curve(0.0, &[0.0, 10.0, 20.0], &[0.0, 100.0, 150.0])]);
    let ctx = with_sets(
        &[5.0, 15.0, -5.0, 25.0, f64::NAN, 10.0],
        ".Volume",
        vec![set],
    );
    let p = points(&ctx, "## = @XY(@t('x'), '.Volume')");
    close(&values(&p), &[50.0, 125.0, 0.0, 150.0, f64::NAN, 100.0]);
    assert_eq!(flags(&p), [0, 0, 0, 0, 0, 0]);
}

#[test]
fn yx_inverts_the_curve() {
    let rising = always(vec![curve(0.0, &[0.0, 10.0, 20.0], &[0.0, 100.0, 150.0])]);
    let ctx = with_sets(&[50.0, 125.0, -1.0, 200.0], ".Volume", vec![rising]);
    close(
        &values(&points(&ctx, "## = @YX(@t('x'), '.Volume')")),
        &[5.0, 15.0, 0.0, 20.0],
    );
    // A falling curve has an inverse too.
    let falling = always(vec![curve(0.0, &[0.0, 10.0], &[100.0, 0.0])]);
    let ctx = with_sets(&[25.0, 100.0], ".Volume", vec![falling]);
    close(
        &values(&points(&ctx, "## = @YX(@t('x'), '.Volume')")),
        &[7.5, 0.0],
    );
}

#[test]
fn yx_over_a_curve_with_no_inverse_gives_nan_with_a_warning() {
    let hump = always(vec![curve(0.0, &[0.0, 1.0, 2.0], &[0.0, 1.0, 0.0])]);
    let ctx = with_sets(&[0.5], ".Volume", vec![hump.clone()]);
    let p = points(&ctx, "## = @YX(@t('x'), '.Volume')");
    close(&values(&p), &[f64::NAN]);
    assert_eq!(flags(&p), [MISSING]);
    assert_eq!(warnings(&ctx).len(), 1);
    // NOLOG silences it.
    let quiet = with_sets(&[0.5], ".Volume", vec![hump]);
    points(&quiet, "## = @YX(@t('x'), 'NOLOG.Volume')");
    assert!(warnings(&quiet).is_empty());
    // A flat piece has no inverse either.
    let flat = always(vec![curve(0.0, &[0.0, 1.0, 2.0], &[0.0, 1.0, 1.0])]);
    let ctx = with_sets(&[0.5], ".Volume", vec![flat]);
    close(
        &values(&points(&ctx, "## = @YX(@t('x'), '.Volume')")),
        &[f64::NAN],
    );
}

#[test]
fn xy_uses_the_version_in_force_at_each_point() {
    let sets = vec![
        XySetVersion {
            valid_from_ms: Some(2 * H),
            curves: vec![curve(0.0, &[0.0, 10.0], &[0.0, 20.0])],
        },
        XySetVersion {
            valid_from_ms: Some(H),
            curves: vec![curve(0.0, &[0.0, 10.0], &[0.0, 10.0])],
        },
    ];
    let ctx = with_sets(&[5.0, 5.0, 5.0, 5.0], ".Volume", sets);
    let p = points(&ctx, "## = @XY(@t('x'), '.Volume')");
    close(&values(&p), &[f64::NAN, 5.0, 10.0, 10.0]);
    assert_eq!(flags(&p)[0], MISSING);
}

#[test]
fn xy_reads_the_curve_of_the_lowest_reference_value() {
    let set = always(vec![
        curve(7.0, &[0.0, 10.0], &[0.0, 70.0]),
        curve(-1.0, &[0.0, 10.0], &[0.0, 10.0]),
        curve(3.0, &[0.0, 10.0], &[0.0, 30.0]),
    ]);
    let ctx = with_sets(&[5.0], ".Volume", vec![set]);
    close(
        &values(&points(&ctx, "## = @XY(@t('x'), '.Volume')")),
        &[5.0],
    );
}

#[test]
fn xy_over_empty_sets_and_curves_gives_nan() {
    for sets in [
        Vec::new(),
        vec![always(Vec::new())],
        vec![always(vec![curve(0.0, &[], &[])])],
        // Unpaired members: the extra x is ignored; a NaN pair is dropped.
        vec![always(vec![curve(0.0, &[f64::NAN, 1.0], &[5.0])])],
    ] {
        let ctx = with_sets(&[1.0, 2.0], ".Volume", sets.clone());
        let p = points(&ctx, "## = @XY(@t('x'), '.Volume')");
        close(&values(&p), &[f64::NAN, f64::NAN]);
        assert_eq!(flags(&p), [MISSING, MISSING], "{sets:?}");
    }
}

#[test]
fn xy_not_found_is_the_empty_series_and_nolog_is_quiet() {
    let set = always(vec![curve(0.0, &[0.0, 10.0], &[0.0, 10.0])]);
    let ctx = with_sets(&[5.0], ".Volume", vec![set]);
    for f in ["XY", "YX"] {
        let s = result(&ctx, &format!("## = @{f}(@t('x'), '.Nothing')"));
        assert_eq!(s.len(), 1);
        assert_eq!(s.flags().value(0), MISSING);
        assert!(s.resolution().is_breakpoint());
    }
    assert_eq!(warnings(&ctx).len(), 2, "{:?}", warnings(&ctx));
    ctx.logs.borrow_mut().clear();
    // The prefix is taken off the search, which then finds the set.
    close(
        &values(&points(&ctx, "## = @XY(@t('x'), 'NOLOG.Volume')")),
        &[5.0],
    );
    result(&ctx, "## = @XY(@t('x'), 'NOLOG.Nothing')");
    assert!(warnings(&ctx).is_empty());
}

#[test]
fn xy_keeps_a_linear_input_linear() {
    let set = always(vec![curve(0.0, &[0.0, 10.0], &[0.0, 10.0])]);
    let mut ctx = with_sets(&[], ".Volume", vec![set]);
    ctx.named
        .insert("x".into(), hourly(&[1.0, 2.0], CurveType::PiecewiseLinear));
    let s = result(&ctx, "## = @XY(@t('x'), '.Volume')");
    assert!(s.is_linear());
    assert_eq!(s.resolution(), Resolution::Hour);
}
