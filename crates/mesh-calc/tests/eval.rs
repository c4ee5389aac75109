//! The evaluator: status rules (calc notes §3.4), alignment (§3.2),
//! variables, IF, functions and limits.

mod common;

use common::{interval, number, points, run, same, series, vf, Fixed, H};
use mesh_calc::{evaluate, EvalError, Limits, Settings, Value};
use mesh_timeseries::flags::{MISSING, NOT_OK, SUSPECT};
use mesh_timeseries::{CurveType, Resolution};

/// Two hourly staircase series: a = 2, NaN, 10, NaN; b = 10, 10, NaN, NaN.
fn two() -> Fixed {
    let mut ctx = Fixed::default();
    let step = CurveType::StaircaseStartOfStep;
    let a = series(
        &[
            (0, 2.0, 0),
            (H, f64::NAN, NOT_OK | MISSING),
            (2 * H, 10.0, 0),
            (3 * H, f64::NAN, MISSING),
        ],
        Resolution::Hour,
        step,
    );
    let b = series(
        &[
            (0, 10.0, 0),
            (H, 10.0, 0),
            (2 * H, f64::NAN, MISSING),
            (3 * H, f64::NAN, MISSING),
        ],
        Resolution::Hour,
        step,
    );
    ctx.named.insert("a".into(), a);
    ctx.named.insert("b".into(), b);
    ctx
}

#[test]
fn plus_and_minus_skip_nan_and_mark_suspect() {
    let ctx = two();
    // §3.4: 2 + 10 = 12 OK; NaN + 10 = 10 SUSPECT; NaN + NaN = NaN MISSING.
    same(
        vf(&points(&ctx, "## = @t('a') + @t('b')")),
        &[
            (12.0, 0),
            (10.0, SUSPECT),
            (10.0, SUSPECT),
            (f64::NAN, MISSING),
        ],
    );
    // 10 − NaN = 10 SUSPECT; NaN − 10 reads the missing operand as 0.
    same(
        vf(&points(&ctx, "## = @t('a') - @t('b')")),
        &[
            (-8.0, 0),
            (-10.0, SUSPECT),
            (10.0, SUSPECT),
            (f64::NAN, MISSING),
        ],
    );
}

#[test]
fn times_and_divide_follow_the_documented_flags() {
    let ctx = two();
    same(
        vf(&points(&ctx, "## = @t('a') * @t('b')")),
        &[
            (20.0, 0),
            (f64::NAN, SUSPECT | MISSING),
            (f64::NAN, SUSPECT | MISSING),
            (f64::NAN, SUSPECT | MISSING),
        ],
    );
    same(
        vf(&points(&ctx, "## = @t('b') / @t('a')")),
        &[
            (5.0, 0),
            (f64::NAN, NOT_OK | MISSING),
            (f64::NAN, NOT_OK | MISSING),
            (f64::NAN, NOT_OK | MISSING),
        ],
    );
    // A zero divisor is treated as a missing one: no infinity.
    same(
        vf(&points(&ctx, "## = @t('b') / 0")),
        &[(f64::NAN, NOT_OK | MISSING); 4],
    );
}

#[test]
fn numbers_follow_the_same_rules() {
    let ctx = Fixed::default();
    assert_eq!(number(&ctx, "## = 1 + 2 * 3"), 7.0);
    assert_eq!(number(&ctx, "## = NaN + 10"), 10.0);
    assert!(number(&ctx, "## = 10 * NaN").is_nan());
    assert_eq!(number(&ctx, "## = -2 ^ 2"), -4.0);
    assert_eq!(number(&ctx, "## = 3 > 2 ? 5 : 6"), 5.0);
    assert_eq!(number(&ctx, "## = 1 >= 2 || 1 == 1"), 1.0);
    assert_eq!(number(&ctx, "## = !0 && 2 != 2"), 0.0);
    // −0 is zero (IEEE 754), as a divisor, in comparisons and for `!`.
    assert!(number(&ctx, "## = 1 / (0 * -1)").is_nan());
    assert_eq!(number(&ctx, "## = (0 * -1) == 0"), 1.0);
    assert_eq!(number(&ctx, "## = (0 * -1) < 0"), 0.0);
    assert_eq!(number(&ctx, "## = !(0 * -1)"), 1.0);
    assert!(number(&ctx, "## = NaN > 1").is_nan());
}

#[test]
fn comparisons_and_ternary_per_step() {
    let ctx = two();
    same(
        vf(&points(&ctx, "## = @t('a') > 5")),
        &[(0.0, 0), (f64::NAN, MISSING), (1.0, 0), (f64::NAN, MISSING)],
    );
    same(
        vf(&points(&ctx, "## = @t('b') >= 10 ? @t('b') : -1")),
        &[
            (10.0, 0),
            (10.0, 0),
            (f64::NAN, MISSING),
            (f64::NAN, MISSING),
        ],
    );
    // Unary minus keeps the flags.
    same(
        vf(&points(&ctx, "## = -@t('a')")),
        &[
            (-2.0, 0),
            (f64::NAN, NOT_OK | MISSING),
            (-10.0, 0),
            (f64::NAN, MISSING),
        ],
    );
}

/// §3.2's figure: an hourly series 10, 14, 10 read at quarter hours.
fn mixed(curve: CurveType) -> Fixed {
    let mut ctx = Fixed::default();
    let q = H / 4;
    ctx.named.insert(
        "hour".into(),
        series(
            &[(0, 10.0, 0), (H, 14.0, 0), (2 * H, 10.0, 0)],
            Resolution::Hour,
            curve,
        ),
    );
    let quarters: Vec<_> = (0..8).map(|i| (i * q, 0.0, 0)).collect();
    ctx.named.insert(
        "min15".into(),
        series(
            &quarters,
            Resolution::Min15,
            CurveType::StaircaseStartOfStep,
        ),
    );
    ctx
}

#[test]
fn the_finer_resolution_wins_staircase() {
    let ctx = mixed(CurveType::StaircaseStartOfStep);
    let s = match run(&ctx, "## = @t('hour') + @t('min15')").unwrap() {
        Some(Value::Series(s)) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(s.resolution(), Resolution::Min15);
    assert_eq!(s.curve(), CurveType::StaircaseStartOfStep);
    let v: Vec<f64> = s.points().iter().map(|p| p.value).collect();
    assert_eq!(v, [10.0, 10.0, 10.0, 10.0, 14.0, 14.0, 14.0, 14.0, 10.0]);
}

#[test]
fn linear_if_either_operand_is_linear() {
    let ctx = mixed(CurveType::PiecewiseLinear);
    let s = match run(&ctx, "## = @t('min15') + @t('hour')").unwrap() {
        Some(Value::Series(s)) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(s.resolution(), Resolution::Min15);
    assert_eq!(s.curve(), CurveType::PiecewiseLinear);
    let v: Vec<f64> = s.points().iter().map(|p| p.value).collect();
    assert_eq!(v, [10.0, 11.0, 12.0, 13.0, 14.0, 13.0, 12.0, 11.0, 10.0]);
}

#[test]
fn linear_reads_next_to_nan_follow_the_sdk_evidence() {
    let mut ctx = Fixed::default();
    let q = H / 4;
    ctx.named.insert(
        "lin".into(),
        series(
            &[
                (0, 1.0, 0),
                (H, f64::NAN, NOT_OK | MISSING),
                (2 * H, 3.0, 0),
            ],
            Resolution::Hour,
            CurveType::PiecewiseLinear,
        ),
    );
    let quarters: Vec<_> = (0..8).map(|i| (i * q, 0.0, 0)).collect();
    ctx.named.insert(
        "grid".into(),
        series(
            &quarters,
            Resolution::Min15,
            CurveType::StaircaseStartOfStep,
        ),
    );
    // The ternary keeps the chosen operand's flags: the functional value.
    let p = points(
        &ctx,
        "## = 1 ? @t('lin') : 0\n## = @t('grid') == 0 ? @t('lin') : 0",
    );
    let got = vf(&p);
    same(
        got[..3].to_vec(),
        &[(1.0, 0), (f64::NAN, MISSING), (f64::NAN, MISSING)],
    );
    same(
        got[4..6].to_vec(),
        &[(f64::NAN, NOT_OK | MISSING), (f64::NAN, NOT_OK | MISSING)],
    );
}

#[test]
fn variables_results_and_if() {
    let ctx = Fixed::default();
    assert_eq!(number(&ctx, "x = 2\ny = x * 3\n## = y\n## = y + 1\n"), 7.0);
    assert_eq!(number(&ctx, "## = 1\nIF 0 THEN\n## = 2\nENDIF\n"), 1.0);
    assert_eq!(
        number(
            &ctx,
            "## = 1\nIF (2 > 1) THEN\n## = 2\nIF NaN THEN\n## = 3\nENDIF\nENDIF\n"
        ),
        2.0
    );
    assert_eq!(number(&ctx, "## = 4\n## = ## * 2"), 8.0);
    assert_eq!(run(&ctx, "x = 1\n").unwrap(), None);
    let e = run(&ctx, "## = 1\n## = y + 1").unwrap_err();
    assert_eq!(e.to_string(), "line 2, column 6: unknown variable 'y'");
}

#[test]
fn the_tscalcatt_expectation() {
    // calc notes §6.3: 1000 + raw + NaN = raw + 1000, every flag SUSPECT.
    let ctx = Fixed {
        target: Some(series(
            &[
                (0, 1.0, 0),
                (H, f64::NAN, NOT_OK | MISSING),
                (2 * H, 3.0, 0),
            ],
            Resolution::Hour,
            CurveType::PiecewiseLinear,
        )),
        ..Fixed::default()
    };
    let p = points(&ctx, "## = 1000 + @t() + @SUM(@t('nothing'))\n");
    same(
        vf(&p),
        &[(1001.0, SUSPECT), (1000.0, SUSPECT), (1003.0, SUSPECT)],
    );
    assert_eq!(number(&ctx, "## = @SUM(@t())"), 4.0);
}

#[test]
fn functions_dispatch_by_type_and_name_their_forms() {
    let ctx = two();
    assert_eq!(number(&ctx, "## = @abs(-3)"), 3.0);
    assert_eq!(number(&ctx, "## = @SUM({1, 2, 3.5})"), 6.5);
    assert!(number(&ctx, "## = @SUM({1, NaN})").is_nan());
    let p = points(&ctx, "## = @ABS(-@t('b'))");
    assert_eq!(p[0].value, 10.0);
    let e = run(&ctx, "## = @ABS('x')").unwrap_err();
    assert_eq!(e.to_string(), "line 1, column 6: @ABS takes no arguments of types (s); its forms are ABS(d) -> d, ABS(t) -> t");
    let e = run(&ctx, "## = (1 +\n@NOPE(1))").unwrap_err();
    assert_eq!(e.to_string(), "line 2, column 1: unknown function '@NOPE'");
    // The one-letter lookups are case-sensitive: `@T` is the array form.
    assert!(matches!(
        run(&ctx, "## = @T('a')").unwrap(),
        Some(Value::SeriesArray(a)) if a.len() == 1
    ));
    assert!(run(&ctx, "## = @Ab('a')")
        .unwrap_err()
        .to_string()
        .contains("unknown function '@Ab'"));
    let e = run(&ctx, "## = 'a' + 1").unwrap_err();
    assert!(
        e.to_string()
            .contains("'+' takes numbers (d) and series (t), not a string (s)"),
        "{e}"
    );
    let e = run(&ctx, "IF @t('a') THEN\nENDIF").unwrap_err();
    assert!(
        e.to_string().contains("IF condition must be a number"),
        "{e}"
    );
}

#[test]
fn a_failed_lookup_is_the_empty_series() {
    let ctx = Fixed::default();
    let p = points(&ctx, "## = @t('nothing')");
    same(vf(&p), &[(f64::NAN, MISSING)]);
    assert_eq!(p[0].utc_ms, interval().start_ms);
}

#[test]
fn the_point_budget_is_an_error() {
    let ctx = two();
    let limits = Limits {
        max_points: 20,
        ..Limits::default()
    };
    let e = evaluate(
        "## = @t('a') + @t('b') + @t('a')",
        &ctx,
        interval(),
        &Settings::default(),
        &limits,
    )
    .unwrap_err();
    assert!(matches!(e, EvalError::Limit(_)), "{e}");
    assert!(e.to_string().contains("more than 20 points"), "{e}");
}

#[test]
fn evaluation_at_the_depth_bound_fits_the_stack() {
    let ctx = two();
    // Just inside the bound, over series: the evaluator recurses as deep
    // as the tree and must not overflow an unoptimised test thread.
    let chain = format!("## = @t('a'){}", " + @t('b')".repeat(126));
    let p = points(&ctx, &chain);
    assert_eq!(p[0].value, 2.0 + 126.0 * 10.0);
    let nested = format!("## = {}@t('a'){}", "-(".repeat(63), ")".repeat(63));
    assert_eq!(points(&ctx, &nested)[0].value, -2.0);
    let calls = format!("## = {}-3{}", "@ABS(".repeat(120), ")".repeat(120));
    assert_eq!(number(&ctx, &calls), 3.0);
}

#[test]
fn sum_of_a_series_array_adds_per_step() {
    let ctx = two();
    let p = points(&ctx, "## = @SUM({@t('a'), @t('b'), @t('a') * 0 + 1})");
    same(
        vf(&p),
        &[(13.0, 0), (11.0, SUSPECT), (11.0, SUSPECT), (1.0, SUSPECT)],
    );
}

#[test]
fn suspect_survives_a_chained_sum() {
    let ctx = two();
    // Step 1: NaN + 10 = 10 SUSPECT, then + 1 stays SUSPECT.
    let p = points(&ctx, "## = @t('a') + @t('b') + 1");
    same(
        vf(&p),
        &[(13.0, 0), (11.0, SUSPECT), (11.0, SUSPECT), (1.0, SUSPECT)],
    );
}
