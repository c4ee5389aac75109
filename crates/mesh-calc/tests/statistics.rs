//! MEAN, MAX and MIN in their documented forms.

mod common;

use common::{interval, number, points, result, run, same, series, vf, Fixed, H};
use mesh_calc::Series;
use mesh_timeseries::flags::{MISSING, NOT_OK, SUSPECT};
use mesh_timeseries::{CurveType, Resolution};

/// Three hourly staircase series (the MEAN page's 01:00 row is step 1)
/// and a breakpoint one:
/// - a = 1, −1.26, NaN (NOT_OK|MISSING), 4
/// - b = 2, 3.09, NaN (MISSING), −5 (SUSPECT)
/// - c = 3, 8.87, NaN (MISSING), 4 (NOT_OK)
/// - p = 10 @ 00:30, NaN @ 02:00 (breakpoint)
fn ctx() -> Fixed {
    let step = CurveType::StaircaseStartOfStep;
    let mut ctx = Fixed::default();
    let hourly = |v: [(f64, u32); 4]| {
        let pts: Vec<_> = v
            .iter()
            .enumerate()
            .map(|(i, &(x, f))| (i as i64 * H, x, f))
            .collect();
        series(&pts, Resolution::Hour, step)
    };
    ctx.named.insert(
        "a".into(),
        hourly([(1.0, 0), (-1.26, 0), (f64::NAN, NOT_OK | MISSING), (4.0, 0)]),
    );
    ctx.named.insert(
        "b".into(),
        hourly([(2.0, 0), (3.09, 0), (f64::NAN, MISSING), (-5.0, SUSPECT)]),
    );
    ctx.named.insert(
        "c".into(),
        hourly([(3.0, 0), (8.87, 0), (f64::NAN, MISSING), (4.0, NOT_OK)]),
    );
    ctx.named.insert(
        "p".into(),
        series(
            &[(H / 2, 10.0, 0), (2 * H, f64::NAN, MISSING)],
            Resolution::Breakpoint,
            step,
        ),
    );
    ctx
}

#[test]
fn mean_of_numbers_and_of_a_period() {
    let ctx = ctx();
    // The page's example 3.
    assert_eq!(number(&ctx, "## = @MEAN({1, 5, 8, 2.5, 11})"), 5.5);
    assert!(number(&ctx, "## = @MEAN({1, NaN})").is_nan());
    // (t): the period mean of the values read, NaN skipped, as one
    // breakpoint point at the period start.
    let s = result(&ctx, "## = @MEAN(@t('a'))");
    assert_eq!(s.resolution(), Resolution::Breakpoint);
    assert_eq!(s.points()[0].utc_ms, interval().start_ms);
    same(vf(&s.points()), &[((1.0 - 1.26 + 4.0) / 3.0, 0)]);
    // Used in arithmetic it acts as a constant over the period.
    let p = points(&ctx, "## = @t('a') - @MEAN(@t('a'))");
    assert!((p[0].value - (1.0 - 3.74 / 3.0)).abs() < 1e-9);
    // No value read: NaN, MISSING.
    same(
        vf(&points(&ctx, "## = @MEAN(@t('nothing'))")),
        &[(f64::NAN, MISSING)],
    );
}

#[test]
fn mean_of_an_array_per_step() {
    let ctx = ctx();
    let s = result(&ctx, "## = @MEAN({@t('a'), @t('b'), @t('c')})");
    assert_eq!(s.resolution(), Resolution::Hour);
    // Step 1 is the page's example: (−1.26 + 3.09 + 8.87) / 3 = 3.5667.
    // Step 3 carries b's SUSPECT, not c's NOT_OK.
    same(
        vf(&s.points()),
        &[
            (2.0, 0),
            ((-1.26 + 3.09 + 8.87) / 3.0, 0),
            (f64::NAN, MISSING),
            (1.0, SUSPECT),
        ],
    );
    assert_eq!((s.points()[1].value * 100.0).round() / 100.0, 3.57);
}

#[test]
fn mean_of_members_of_different_resolutions_is_breakpoint() {
    let ctx = ctx();
    let s = result(&ctx, "## = @MEAN({@t('a'), @t('p')})");
    assert_eq!(s.resolution(), Resolution::Breakpoint);
    let t: Vec<i64> = s.points().iter().map(|p| p.utc_ms).collect();
    assert_eq!(t, [0, H / 2, H, 2 * H, 3 * H]);
    same(
        vf(&s.points()),
        &[
            (1.0, SUSPECT),
            (5.5, 0),
            ((-1.26 + 10.0) / 2.0, 0),
            (f64::NAN, MISSING),
            (4.0, SUSPECT),
        ],
    );
    // The empty array still gives one series.
    same(
        vf(&points(&ctx, "## = @MEAN(@T('nothing'))")),
        &[(f64::NAN, MISSING)],
    );
}

#[test]
fn max_and_min_of_numbers() {
    let ctx = ctx();
    // The pages' examples.
    assert_eq!(number(&ctx, "## = @MAX(8, 2.5)"), 8.0);
    assert_eq!(number(&ctx, "## = @MIN(8, 2.5)"), 2.5);
    assert_eq!(number(&ctx, "## = @MAX({1, 5, 8, 2.5, 11})"), 11.0);
    assert_eq!(number(&ctx, "## = @MIN({1, 5, 8, 2.5, 11})"), 1.0);
    // NaN is ignored unless all are NaN.
    assert_eq!(number(&ctx, "## = @MAX(NaN, 2)"), 2.0);
    assert_eq!(number(&ctx, "## = @MIN({NaN, 3, NaN})"), 3.0);
    assert!(number(&ctx, "## = @MAX({NaN, NaN})").is_nan());
    assert!(number(&ctx, "## = @MIN(NaN, NaN)").is_nan());
}

#[test]
fn max_and_min_over_the_period() {
    let ctx = ctx();
    assert_eq!(number(&ctx, "## = @MAX(@t('a'))"), 4.0);
    assert_eq!(number(&ctx, "## = @MIN(@t('b'))"), -5.0);
    assert!(number(&ctx, "## = @MAX(@t('nothing'))").is_nan());
    // The MIN page's example: the series divided by its minimum.
    let p = points(&ctx, "## = @t('b') / @MIN(@t('b'))");
    assert_eq!(p[0].value, 2.0 / -5.0);
}

#[test]
fn max_and_min_per_step() {
    let ctx = ctx();
    // The chosen member's flags are kept; all NaN gives NaN, MISSING.
    same(
        vf(&points(&ctx, "## = @MAX(@t('a'), @t('b'))")),
        &[(2.0, 0), (3.09, 0), (f64::NAN, MISSING), (4.0, 0)],
    );
    same(
        vf(&points(&ctx, "## = @MIN(@t('a'), @t('b'))")),
        &[(1.0, 0), (-1.26, 0), (f64::NAN, MISSING), (-5.0, SUSPECT)],
    );
    // Ties keep the first member (a's flags 0, not c's NOT_OK).
    same(
        vf(&points(&ctx, "## = @MAX({@t('a'), @t('b'), @t('c')})")),
        &[(3.0, 0), (8.87, 0), (f64::NAN, MISSING), (4.0, 0)],
    );
    same(
        vf(&points(&ctx, "## = @MAX({@t('c'), @t('a')})")),
        &[(3.0, 0), (8.87, 0), (f64::NAN, MISSING), (4.0, NOT_OK)],
    );
    // (T,t), (t,T) and (T,T) behave as one array.
    for src in [
        "## = @MIN({@t('a'), @t('b')}, @t('c'))",
        "## = @MIN(@t('c'), {@t('a'), @t('b')})",
        "## = @MIN({@t('a')}, {@t('b'), @t('c')})",
    ] {
        same(
            vf(&points(&ctx, src)),
            &[(1.0, 0), (-1.26, 0), (f64::NAN, MISSING), (-5.0, SUSPECT)],
        );
    }
}

#[test]
fn max_and_min_with_a_number() {
    let ctx = ctx();
    // The MIN page's example 6: the series against −0.5 per step; the
    // number fills where the series is missing.
    same(
        vf(&points(&ctx, "## = @MIN(@t('a'), -0.5)")),
        &[(-0.5, 0), (-1.26, 0), (-0.5, 0), (-0.5, 0)],
    );
    same(
        vf(&points(&ctx, "## = @MAX(2, @t('b'))")),
        &[(2.0, 0), (3.09, 0), (2.0, 0), (2.0, 0)],
    );
    // A NaN number is ignored: the series as it is.
    same(
        vf(&points(&ctx, "## = @MAX(@t('a'), NaN)")),
        &[(1.0, 0), (-1.26, 0), (f64::NAN, MISSING), (4.0, 0)],
    );
}

#[test]
fn max_of_different_resolutions_is_breakpoint() {
    let ctx = ctx();
    let s = result(&ctx, "## = @MAX(@t('a'), @t('p'))");
    assert_eq!(s.resolution(), Resolution::Breakpoint);
    same(
        vf(&s.points()),
        &[
            (1.0, 0),
            (10.0, 0),
            (10.0, 0),
            (f64::NAN, MISSING),
            (4.0, 0),
        ],
    );
    // Same resolutions keep it.
    assert_eq!(
        result(&ctx, "## = @MAX(@t('a'), @t('b'))").resolution(),
        Resolution::Hour
    );
}

#[test]
fn wrong_argument_types_name_the_forms() {
    let ctx = ctx();
    let e = run(&ctx, "## = @MEAN(1)").unwrap_err();
    assert!(
        e.to_string()
            .contains("its forms are MEAN(t) -> t, MEAN(T) -> t, MEAN(D) -> d"),
        "{e}"
    );
    let e = run(&ctx, "## = @MAX('a', 1)").unwrap_err();
    assert!(
        e.to_string()
            .contains("@MAX takes no arguments of types (sd)"),
        "{e}"
    );
    assert!(e.to_string().contains("MAX(dt) -> t"), "{e}");
    let e = run(&ctx, "## = @MIN(1)").unwrap_err();
    assert!(e.to_string().contains("MIN(TT) -> t"), "{e}");
}

/// Breakpoint linear series that cross: u rises 0 → 10, w falls 10 → 0
/// over two hours; c is a staircase 7 (SUSPECT).
fn crossing() -> Fixed {
    let mut ctx = Fixed::default();
    let lin = CurveType::PiecewiseLinear;
    let brk = Resolution::Breakpoint;
    ctx.named.insert(
        "u".into(),
        series(&[(0, 0.0, 0), (2 * H, 10.0, 0)], brk, lin),
    );
    ctx.named.insert(
        "w".into(),
        series(&[(0, 10.0, 0), (2 * H, 0.0, 0)], brk, lin),
    );
    ctx.named.insert(
        "c".into(),
        series(&[(0, 7.0, SUSPECT)], brk, CurveType::StaircaseStartOfStep),
    );
    ctx.named.insert(
        "h".into(),
        series(
            &[(0, 0.0, 0), (H, 10.0, 0), (2 * H, 0.0, 0)],
            Resolution::Hour,
            lin,
        ),
    );
    ctx.named.insert(
        "g".into(),
        series(
            &[(0, 10.0, 0), (H, 0.0, 0), (2 * H, 10.0, 0)],
            Resolution::Hour,
            lin,
        ),
    );
    ctx
}

fn tvf(s: &Series) -> Vec<(i64, f64, u32)> {
    s.points()
        .iter()
        .map(|p| (p.utc_ms, p.value, p.flags))
        .collect()
}

#[test]
fn linear_breakpoint_extremes_add_crossing_points() {
    let ctx = crossing();
    let s = result(&ctx, "## = @MAX(@t('u'), @t('w'))");
    assert_eq!(s.curve(), CurveType::PiecewiseLinear);
    assert_eq!(tvf(&s), [(0, 10.0, 0), (H, 5.0, 0), (2 * H, 10.0, 0)]);
    let s = result(&ctx, "## = @MIN({@t('u'), @t('w')})");
    assert_eq!(tvf(&s), [(0, 0.0, 0), (H, 5.0, 0), (2 * H, 0.0, 0)]);
    // A rising segment overtakes a flat one at 7: 1.4 h in.
    let s = result(&ctx, "## = @MAX(@t('u'), @t('c'))");
    assert_eq!(
        tvf(&s),
        [(0, 7.0, SUSPECT), (7 * H / 5, 7.0, 0), (2 * H, 10.0, 0)]
    );
    // Fixed-interval results keep their steps: no crossing points.
    let s = result(&ctx, "## = @MAX(@t('h'), @t('g'))");
    assert_eq!(s.resolution(), Resolution::Hour);
    assert_eq!(s.len(), 3);
}
