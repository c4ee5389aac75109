//! DELTA, ACCUMULATE and the gliding windows: the documented examples,
//! reads beyond the period, resets.

mod common;

use common::{series, Fixed, H};
use mesh_calc::{evaluate, EvalError, Interval, Limits, Settings, Value};
use mesh_timeseries::flags::{MISSING, SUSPECT};
use mesh_timeseries::{CurveType, Point, Resolution};

/// 2021-12-31T22:00Z, the first row of fn/delta's tables.
const T0: i64 = 1_640_988_000_000;
const STEP: CurveType = CurveType::StaircaseStartOfStep;

fn run(ctx: &Fixed, src: &str, interval: Interval) -> Result<Option<Value>, EvalError> {
    evaluate(src, ctx, interval, &Settings::default(), &Limits::default())
}

fn points(ctx: &Fixed, src: &str, interval: Interval) -> Vec<Point> {
    match run(ctx, src, interval).unwrap() {
        Some(Value::Series(s)) => s.points(),
        other => panic!("{src}: {other:?}"),
    }
}

fn values(pts: &[Point]) -> Vec<f64> {
    pts.iter().map(|p| p.value).collect()
}

fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g.is_nan() && w.is_nan()) || (g - w).abs() < 1e-9,
            "{got:?} vs {want:?}"
        );
    }
}

fn named(name: &str, s: mesh_calc::Series) -> Fixed {
    let mut ctx = Fixed::default();
    ctx.named.insert(name.into(), s);
    ctx
}

/// fn/delta's hourly series, with 10 at 09:00 and 10:00 (what example 2's
/// last rows imply).
fn h_ts1() -> Fixed {
    let raw = [
        f64::NAN,
        -1.0,
        0.0,
        10.0,
        f64::NAN,
        20000.0,
        12500.0,
        1.0,
        12500.0,
        10.0,
        10.0,
        10.0,
        10.0,
    ];
    let pts: Vec<(i64, f64, u32)> = raw
        .iter()
        .enumerate()
        .map(|(i, &v)| (T0 + i as i64 * H, v, if v.is_nan() { MISSING } else { 0 }))
        .collect();
    named("h", series(&pts, Resolution::Hour, STEP))
}

fn table_period() -> Interval {
    Interval::new(T0, T0 + 11 * H)
}

#[test]
fn delta_examples_one_and_two() {
    let pts = points(&h_ts1(), "## = @DELTA(@t('h'))", table_period());
    close(
        &values(&pts),
        &[
            f64::NAN,
            -1.0,
            1.0,
            10.0,
            -10.0,
            20000.0,
            -7500.0,
            -12499.0,
            12499.0,
            -12490.0,
            0.0,
        ],
    );
    assert_eq!(pts[0].flags, MISSING);
    // A missing value counts as 0, and says so.
    assert_eq!(pts[1].flags, SUSPECT);
    assert_eq!(pts[2].flags, 0);
    let pts = points(&h_ts1(), "## = @DELTA(@t('h'), '+2h')", table_period());
    close(
        &values(&pts),
        &[
            0.0, 11.0, 0.0, 19990.0, 12500.0, -19999.0, 0.0, 9.0, -12490.0, 0.0, 0.0,
        ],
    );
    // A non-zero number: the next step minus this one.
    let pts = points(&h_ts1(), "## = @DELTA(@t('h'), 1)", table_period());
    assert_eq!(pts[1].value, 1.0);
    assert_eq!(pts.len(), 11);
    // '-2h': this one minus two steps back.
    let pts = points(&h_ts1(), "## = @DELTA(@t('h'), '-2h')", table_period());
    assert_eq!(pts[3].value, 11.0);
}

#[test]
fn delta_examples_three_and_four_on_breakpoints() {
    let bp = [
        (T0 + H, 1.0, 0),
        (T0 + 6 * H, 1.5, 0),
        (T0 + 11 * H, 1.2, 0),
        (T0 + 15 * H, 2.0, 0),
    ];
    let ctx = named("bp", series(&bp, Resolution::Breakpoint, STEP));
    let period = Interval::new(T0 + H, T0 + 12 * H);
    let pts = points(&ctx, "## = @DELTA(@t('bp'))", period);
    close(&values(&pts), &[f64::NAN, 0.5, -0.3]);
    let linear = named(
        "bp",
        series(&bp, Resolution::Breakpoint, CurveType::PiecewiseLinear),
    );
    let pts = points(&linear, "## = @DELTA(@t('bp'), '+2h')", period);
    close(&values(&pts)[..3], &[0.2, -0.12, 0.4]);
}

#[test]
fn delta_refuses_an_absolute_time() {
    let err = run(
        &h_ts1(),
        "## = @DELTA(@t('h'), 'UTC20220101')",
        table_period(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not a relative time"), "{err}");
}

fn hours(n: i64, start: i64, value: impl Fn(i64) -> f64) -> Fixed {
    let pts: Vec<(i64, f64, u32)> = (0..n).map(|i| (start + i * H, value(i), 0)).collect();
    named("x", series(&pts, Resolution::Hour, STEP))
}

#[test]
fn accumulate_from_a_start_with_factors() {
    let ctx = hours(6, 0, |_| 1.0);
    let period = Interval::new(0, 6 * H);
    // From 02:00 UTC: 5 + 10·1 + 1 per point.
    let pts = points(
        &ctx,
        "## = @ACCUMULATE(5, 'UTC19700101020000', @t('x'), 10, 1)",
        period,
    );
    close(&values(&pts), &[f64::NAN, f64::NAN, 16.0, 27.0, 38.0, 49.0]);
    assert_eq!(pts[0].flags, MISSING);
}

#[test]
fn accumulate_resets_per_day_forwards_and_backwards() {
    // Two UTC days of ones, asked from noon of the first: the sum starts at
    // midnight (read before the period), and resets at the next.
    let ctx = hours(48, 0, |_| 1.0);
    let period = Interval::new(12 * H, 36 * H);
    let pts = points(&ctx, "## = @ACCUMULATE(@t('x'), 'UTCDAY')", period);
    assert_eq!(pts.len(), 24);
    assert_eq!((pts[0].utc_ms, pts[0].value), (12 * H, 13.0));
    assert_eq!(pts[11].value, 24.0);
    assert_eq!(pts[12].value, 1.0);
    let pts = points(&ctx, "## = @ACCUMULATE(@t('x'), '<', 'UTCDAY')", period);
    assert_eq!(pts[0].value, 12.0);
    assert_eq!(pts[12].value, 24.0);
    // Every three points.
    let pts = points(
        &ctx,
        "## = @ACCUMULATE(@t('x'), '>', 3)",
        Interval::new(0, 6 * H),
    );
    close(&values(&pts), &[1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    let err = run(&ctx, "## = @ACCUMULATE(@t('x'), 'FORTNIGHT')", period).unwrap_err();
    assert!(err.to_string().contains("'FORTNIGHT'"), "{err}");
}

#[test]
fn gliding_windows_read_beyond_the_period() {
    let ctx = hours(10, 0, |i| i as f64);
    let period = Interval::new(2 * H, 8 * H);
    let pts = points(&ctx, "## = @TS_GLIDING_AVERAGE(@t('x'), 3)", period);
    close(&values(&pts), &[2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
    assert!(pts.iter().all(|p| p.flags == 0));
    let squares = hours(10, 0, |i| (i * i) as f64);
    let pts = points(&squares, "## = @TS_GLIDING_MEDIAN(@t('x'), 5)", period);
    close(&values(&pts), &[4.0, 9.0, 16.0, 25.0, 36.0, 49.0]);
    // At the data's end the window is short: SUSPECT.
    let pts = points(
        &ctx,
        "## = @TS_GLIDING_AVERAGE(@t('x'), 5)",
        Interval::new(8 * H, 10 * H),
    );
    close(&values(&pts), &[7.5, 8.0]);
    assert_eq!(pts[0].flags, SUSPECT);
    for bad in ["4", "0", "1e9"] {
        let err = run(
            &ctx,
            &format!("## = @TS_GLIDING_AVERAGE(@t('x'), {bad})"),
            period,
        )
        .unwrap_err();
        assert!(err.to_string().contains("odd whole number"), "{err}");
    }
}
