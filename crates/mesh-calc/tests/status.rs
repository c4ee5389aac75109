//! RESET_STATUS, STATUS_MASK and STATUS_COUNT: the pages' examples over
//! a series with known flags, the bit table, and the refusals.

mod common;

use common::{flags, number, points, result, run, same_values, series, values, Fixed, H};
use mesh_timeseries::flags::{MISSING, NOT_OK, SUSPECT};
use mesh_timeseries::{CurveType, Resolution};

const STEP: CurveType = CurveType::StaircaseStartOfStep;

/// The bits of docs/decisions.md, "Status bits in expressions".
const MANUAL: u32 = 0x0000_0001;
const ESTIMATED: u32 = 0x0000_0002;
const VALIDATED: u32 = 0x0000_0004;
const V01: u32 = 0x0000_0100;

/// An hourly temperature: OK, missing, manually changed, estimated, not
/// ok, suspect, validated by V01, OK.
fn raw() -> Fixed {
    let pts = [
        (0, 1.0, 0),
        (H, f64::NAN, MISSING),
        (2 * H, 3.0, MANUAL),
        (3 * H, 4.0, ESTIMATED),
        (4 * H, 5.0, NOT_OK),
        (5 * H, 6.0, SUSPECT),
        (6 * H, 7.0, VALIDATED | V01),
        (7 * H, 8.0, 0),
    ];
    let mut ctx = Fixed::default();
    ctx.named
        .insert("raw".into(), series(&pts, Resolution::Hour, STEP));
    ctx
}

#[test]
fn reset_status_clears_everything_or_the_named_bits() {
    let ctx = raw();
    let all = points(&ctx, "## = @RESET_STATUS(@t('raw'))");
    assert!(all.iter().all(|p| p.flags == 0), "{all:?}");
    // Values stay, the missing one included.
    same_values(
        &values(&all),
        &[1.0, f64::NAN, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    );
    // The page's example 2: only "not ok" goes.
    let notok = points(&ctx, "## = @RESET_STATUS(@t('raw'), 'notok')");
    assert_eq!(
        flags(&notok),
        [
            0,
            MISSING,
            MANUAL,
            ESTIMATED,
            0,
            SUSPECT,
            VALIDATED | V01,
            0
        ]
    );
    // Symbols combined with '|', as the page's 'notok|manual|V01'.
    let several = points(&ctx, "## = @RESET_STATUS(@t('raw'), 'notok|manual|V01')");
    assert_eq!(
        flags(&several),
        [0, MISSING, 0, 0, 0, SUSPECT, VALIDATED, 0]
    );
    // The number form clears raw bits.
    let bits = points(&ctx, "## = @RESET_STATUS(@t('raw'), 33554432)");
    assert_eq!(flags(&bits)[5], 0);
    assert_eq!(flags(&bits)[4], NOT_OK);
    let s = result(&ctx, "## = @RESET_STATUS(@t('raw'))");
    assert_eq!(s.resolution(), Resolution::Hour);
}

#[test]
fn reset_status_refuses_bad_bits_and_names() {
    let ctx = raw();
    for bad in ["-1", "0.5", "NaN", "4294967296"] {
        let err = run(&ctx, &format!("## = @RESET_STATUS(@t('raw'), {bad})")).unwrap_err();
        assert!(err.to_string().contains("whole number"), "{err}");
    }
    // Names are case-sensitive: 'NOTOK' is not 'notok'.
    let err = run(&ctx, "## = @RESET_STATUS(@t('raw'), 'NOTOK')").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("'NOTOK'"), "{text}");
    assert!(text.contains("notok, missing"), "{text}");
    let err = run(&ctx, "## = @RESET_STATUS(@t('raw'), 'notok|')").unwrap_err();
    assert!(err.to_string().contains("unknown status ''"), "{err}");
}

#[test]
fn status_mask_bool_and_boolinv_as_the_page_shows() {
    let ctx = raw();
    // "Sets all the missing and manually changed values to 0."
    let pts = points(
        &ctx,
        "## = @STATUS_MASK(@t('raw'), 'missing|MANUAL', 'BOOL')",
    );
    same_values(&values(&pts), &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
    assert!(pts.iter().all(|p| p.flags == 0));
    // ... and to 1 with BOOLINV; the operation is case-insensitive.
    let pts = points(
        &ctx,
        "## = @STATUS_MASK(@t('raw'), 'missing|MANUAL', 'boolinv')",
    );
    same_values(&values(&pts), &[0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    // 'manual' is both kinds, 'MANUAL' only the changed ones.
    let pts = points(&ctx, "## = @STATUS_MASK(@t('raw'), 'manual', 'BOOLINV')");
    same_values(&values(&pts), &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    let pts = points(&ctx, "## = @STATUS_MASK(@t('raw'), 'V01', 'BOOLINV')");
    same_values(&values(&pts), &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
}

#[test]
fn status_mask_blank_and_remove() {
    let ctx = raw();
    // "Sets all the manually changed values to NaN."
    let pts = points(&ctx, "## = @STATUS_MASK(@t('raw'), 'MANUAL', 'BLANK')");
    same_values(
        &values(&pts),
        &[1.0, f64::NAN, f64::NAN, 4.0, 5.0, 6.0, 7.0, 8.0],
    );
    assert_eq!(pts[2].flags, MANUAL | MISSING);
    assert_eq!(pts[3].flags, ESTIMATED);
    let s = result(&ctx, "## = @STATUS_MASK(@t('raw'), 'MANUAL', 'Blank')");
    assert_eq!(s.resolution(), Resolution::Hour);
    // REMOVE drops the points and answers a breakpoint series.
    let s = result(
        &ctx,
        "## = @STATUS_MASK(@t('raw'), 'missing|notok', 'REMOVE')",
    );
    assert_eq!(s.resolution(), Resolution::Breakpoint);
    let pts = s.points();
    let instants: Vec<i64> = pts.iter().map(|p| p.utc_ms / H).collect();
    assert_eq!(instants, [0, 2, 3, 5, 6, 7]);
    assert_eq!(pts[1].flags, MANUAL);
}

#[test]
fn status_mask_refuses_unknown_statuses_and_operations() {
    let ctx = raw();
    let err = run(
        &ctx,
        "## = @STATUS_MASK(@t('raw'), 'missing|Manual', 'BOOL')",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("unknown status 'Manual'"), "{text}");
    assert!(text.contains("MANUAL, estimated"), "{text}");
    let err = run(&ctx, "## = @STATUS_MASK(@t('raw'), 'missing', 'HIDE')").unwrap_err();
    assert!(
        err.to_string().contains("BOOL, BOOLINV, REMOVE or BLANK"),
        "{err}"
    );
}

#[test]
fn status_count_of_one_series_is_a_number() {
    let ctx = raw();
    // Example 1: missing or manually changed points.
    assert_eq!(
        number(&ctx, "## = @STATUS_COUNT(@t('raw'), 'missing|MANUAL')"),
        2.0
    );
    assert_eq!(number(&ctx, "## = @STATUS_COUNT(@t('raw'), 'manual')"), 2.0);
    assert_eq!(number(&ctx, "## = @STATUS_COUNT(@t('raw'), 'locked')"), 0.0);
}

#[test]
fn status_count_of_an_array_counts_per_step() {
    let mut ctx = Fixed::default();
    let hours = |f: [u32; 3]| -> Vec<(i64, f64, u32)> {
        f.iter()
            .enumerate()
            .map(|(i, &f)| (i as i64 * H, 1.0, f))
            .collect()
    };
    for (name, f) in [
        ("a", [NOT_OK, 0, NOT_OK]),
        ("b", [NOT_OK | SUSPECT, 0, 0]),
        ("c", [0, 0, NOT_OK]),
    ] {
        ctx.named
            .insert(name.into(), series(&hours(f), Resolution::Hour, STEP));
    }
    // Example 2: per instant, the members flagged not OK.
    let s = result(
        &ctx,
        "## = @STATUS_COUNT({@t('a'), @t('b'), @t('c')}, 'notok')",
    );
    same_values(&values(&s.points()), &[2.0, 0.0, 2.0]);
    assert_eq!(s.resolution(), Resolution::Hour);
    assert!(s.points().iter().all(|p| p.flags == 0));
    // An empty array gives the empty series: one NaN point.
    let pts = points(&ctx, "## = @STATUS_COUNT(@T('nothing'), 'notok')");
    assert_eq!(pts.len(), 1);
    assert!(pts[0].value.is_nan());
}

#[test]
fn status_count_of_members_of_different_lengths() {
    // A member with no point yet at an instant counts as missing there.
    let mut ctx = Fixed::default();
    ctx.named.insert(
        "long".into(),
        series(&[(0, 1.0, 0), (H, 1.0, 0)], Resolution::Hour, STEP),
    );
    ctx.named.insert(
        "late".into(),
        series(&[(H, 1.0, 0)], Resolution::Hour, STEP),
    );
    let s = result(
        &ctx,
        "## = @STATUS_COUNT({@t('long'), @t('late')}, 'missing')",
    );
    same_values(&values(&s.points()), &[1.0, 0.0]);
}

#[test]
fn mask_names_alias_and_spacing() {
    let ctx = raw();
    // `novalue` is the MISSING bit, as `missing`; spaces around names go.
    let a = points(&ctx, "## = @STATUS_MASK(@t('raw'), 'novalue', 'BOOLINV')");
    let b = points(&ctx, "## = @STATUS_MASK(@t('raw'), ' missing ', 'BOOLINV')");
    assert_eq!(a, b);
    same_values(&values(&a), &[0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(
        number(&ctx, "## = @STATUS_COUNT(@t('raw'), 'notok | suspect')"),
        2.0
    );
}

#[test]
fn remove_keeps_the_curve_and_counts_are_staircase() {
    let mut ctx = Fixed::default();
    let pts = [(0, 1.0, 0), (H, 2.0, NOT_OK), (2 * H, 3.0, 0)];
    ctx.named.insert(
        "lin".into(),
        series(&pts, Resolution::Hour, CurveType::PiecewiseLinear),
    );
    ctx.named.insert(
        "brk".into(),
        series(&[(H / 2, 1.0, NOT_OK)], Resolution::Breakpoint, STEP),
    );
    let s = result(&ctx, "## = @STATUS_MASK(@t('lin'), 'notok', 'REMOVE')");
    assert_eq!(s.curve(), CurveType::PiecewiseLinear);
    assert_eq!(s.len(), 2);
    // Members of different resolutions: the union of their instants, as a
    // breakpoint series; before its first point a member counts as missing.
    let s = result(&ctx, "## = @STATUS_COUNT({@t('lin'), @t('brk')}, 'notok')");
    assert_eq!(s.resolution(), Resolution::Breakpoint);
    assert_eq!(s.curve(), STEP);
    let at: Vec<(i64, f64)> = s.points().iter().map(|p| (p.utc_ms, p.value)).collect();
    assert_eq!(at, [(0, 0.0), (H / 2, 1.0), (H, 2.0), (2 * H, 1.0)]);
    let s = result(
        &ctx,
        "## = @STATUS_COUNT({@t('lin'), @t('brk')}, 'missing')",
    );
    assert_eq!(s.points()[0].value, 1.0);
    // Removing every point leaves a series with none.
    let s = result(&ctx, "## = @STATUS_MASK(@t('brk'), 'notok', 'REMOVE')");
    assert!(s.is_empty());
}
