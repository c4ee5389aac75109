//! The logical functions: BOOL, NOT, INSIDE, OUTSIDE, POSITIVE, NEGATIVE,
//! MIX, MIX0.

mod common;

use common::{number, points, result, run, same, series, vf, Fixed, H};
use mesh_calc::Series;
use mesh_timeseries::flags::{MISSING, NOT_OK, SUSPECT};
use mesh_timeseries::{CurveType, Resolution};

/// The values of a logical result (all flags must be 0).
fn truths(ctx: &Fixed, src: &str) -> Vec<f64> {
    let s = result(ctx, src);
    assert_eq!(s.curve(), CurveType::StaircaseStartOfStep, "{src}");
    s.points()
        .iter()
        .map(|p| {
            assert_eq!(p.flags, 0, "{src}");
            p.value
        })
        .collect()
}

fn hourly(v: &[(f64, u32)]) -> Series {
    let pts: Vec<_> = v
        .iter()
        .enumerate()
        .map(|(i, &(x, f))| (i as i64 * H, x, f))
        .collect();
    series(&pts, Resolution::Hour, CurveType::StaircaseStartOfStep)
}

/// x = 0, 5, 12, NaN (NOT_OK|MISSING), −3, 20 (SUSPECT), −0 (hourly), and
/// the series of the MIX tests.
fn ctx() -> Fixed {
    let mut ctx = Fixed::default();
    ctx.named.insert(
        "x".into(),
        hourly(&[
            (0.0, 0),
            (5.0, 0),
            (12.0, 0),
            (f64::NAN, NOT_OK | MISSING),
            (-3.0, 0),
            (20.0, SUSPECT),
            (-0.0, 0),
        ]),
    );
    ctx.named.insert(
        "lo".into(),
        series(
            &[(0, 4.0, 0), (4 * H, -5.0, 0)],
            Resolution::Breakpoint,
            CurveType::StaircaseStartOfStep,
        ),
    );
    ctx.named.insert(
        "a".into(),
        hourly(&[
            (1.0, 0),
            (f64::NAN, NOT_OK | MISSING),
            (3.0, 0),
            (f64::NAN, MISSING),
        ]),
    );
    ctx.named.insert(
        "b".into(),
        hourly(&[(10.0, 0), (20.0, SUSPECT), (f64::NAN, MISSING), (40.0, 0)]),
    );
    ctx.named.insert(
        "cond".into(),
        hourly(&[(1.0, 0), (0.0, 0), (f64::NAN, MISSING), (2.0, 0)]),
    );
    ctx.named.insert(
        "idx".into(),
        hourly(&[(1.0, 0), (1.5, 0), (f64::NAN, MISSING), (3.0, 0)]),
    );
    ctx.named.insert(
        "p1".into(),
        series(
            &[(0, 5.0, 0), (2 * H, 6.0, SUSPECT)],
            Resolution::Breakpoint,
            CurveType::StaircaseStartOfStep,
        ),
    );
    ctx.named.insert(
        "a0".into(),
        hourly(&[
            (0.0, SUSPECT),
            (f64::NAN, NOT_OK | MISSING),
            (5.0, 0),
            (0.0, 0),
            (f64::NAN, NOT_OK | MISSING),
        ]),
    );
    ctx.named.insert(
        "b0".into(),
        hourly(&[
            (7.0, 0),
            (0.0, NOT_OK),
            (0.0, 0),
            (0.0, 0),
            (f64::NAN, MISSING),
        ]),
    );
    ctx.named.insert(
        "c0".into(),
        hourly(&[(1.0, 0), (1.0, 0), (1.0, 0), (9.0, 0), (f64::NAN, MISSING)]),
    );
    ctx
}

#[test]
fn bool_turns_only_nan_false() {
    let ctx = ctx();
    // The page's example 1.
    assert_eq!(number(&ctx, "## = @BOOL(NaN)"), 0.0);
    assert_eq!(number(&ctx, "## = @BOOL(0)"), 1.0);
    assert_eq!(
        truths(&ctx, "## = @BOOL(@t('x'))"),
        [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    );
    // (t,d): the number is false too (−0 is 0).
    assert_eq!(
        truths(&ctx, "## = @BOOL(@t('x'), 0)"),
        [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    );
    // COMPRESS has no effect on a fixed-interval series.
    assert_eq!(result(&ctx, "## = @BOOL(@t('x'), 0, 'COMPRESS')").len(), 7);
    assert_eq!(
        result(&ctx, "## = @BOOL(@t('x'))").resolution(),
        Resolution::Hour
    );
}

#[test]
fn bool_compress_drops_repeats_of_a_breakpoint_series() {
    // The page's example 4: 12, 15, 15, 0, 20 at :00, :15, :30, :40, :50.
    let m = 60_000;
    let mut ctx = Fixed::default();
    ctx.named.insert(
        "brp".into(),
        series(
            &[
                (0, 12.0, 0),
                (15 * m, 15.0, 0),
                (30 * m, 15.0, 0),
                (40 * m, 0.0, 0),
                (50 * m, 20.0, 0),
            ],
            Resolution::Breakpoint,
            CurveType::StaircaseStartOfStep,
        ),
    );
    let p = points(&ctx, "## = @BOOL(@t('brp'), 0, 'COMPRESS')");
    let got: Vec<(i64, f64)> = p.iter().map(|p| (p.utc_ms, p.value)).collect();
    assert_eq!(got, [(0, 1.0), (40 * m, 0.0), (50 * m, 1.0)]);
    let e = run(&ctx, "## = @BOOL(@t('brp'), 0, 'SQUEEZE')").unwrap_err();
    assert!(e.to_string().contains("must be 'COMPRESS'"), "{e}");
}

#[test]
fn not_is_true_for_zero_and_nan() {
    let ctx = ctx();
    assert_eq!(
        truths(&ctx, "## = @NOT(@t('x'))"),
        [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    );
}

#[test]
fn inside_with_every_option() {
    let ctx = ctx();
    let cases: &[(&str, [f64; 7])] = &[
        ("", [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
        (", 'LOHI'", [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]),
        (", 'LOW'", [0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]),
        (", 'HIGH'", [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]),
        (", 'lohi'", [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]),
    ];
    for (option, want) in cases {
        let src = format!("## = @INSIDE(0, @t('x'), 12{option})");
        assert_eq!(truths(&ctx, &src), want, "{src}");
    }
}

#[test]
fn outside_with_every_option() {
    let ctx = ctx();
    // The page's table; NaN is always false.
    let cases: &[(&str, [f64; 7])] = &[
        ("", [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0]),
        (", 'LOHI'", [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0]),
        (", 'LOW'", [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]),
        (", 'HIGH'", [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]),
    ];
    for (option, want) in cases {
        let src = format!("## = @OUTSIDE(0, @t('x'), 12{option})");
        assert_eq!(truths(&ctx, &src), want, "{src}");
    }
    let e = run(&ctx, "## = @OUTSIDE(0, @t('x'), 12, 'MID')").unwrap_err();
    assert!(
        e.to_string()
            .contains("the option must be 'LOHI', 'LOW' or 'HIGH', not 'MID'"),
        "{e}"
    );
}

#[test]
fn range_limits_may_be_series() {
    let ctx = ctx();
    // lo = 4 until 04:00, then −5 (breakpoint): aligned on the union.
    let s = result(&ctx, "## = @INSIDE(@t('lo'), @t('x'), 12)");
    assert_eq!(s.resolution(), Resolution::Breakpoint);
    assert_eq!(
        truths(&ctx, "## = @INSIDE(@t('lo'), @t('x'), 12)"),
        [0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0]
    );
    assert_eq!(
        truths(
            &ctx,
            "## = @OUTSIDE(@t('lo'), @t('x'), @t('lo') + 10, 'LOHI')"
        ),
        [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    );
    // A missing limit makes the step false.
    assert_eq!(
        truths(&ctx, "## = @INSIDE(-100, @t('x'), @t('nothing'))"),
        [0.0; 7]
    );
}

#[test]
fn positive_and_negative_pick_values() {
    let ctx = ctx();
    // Zero is positive; dropped values are NaN MISSING, NaN keeps its flags.
    same(
        vf(&points(&ctx, "## = @POSITIVE(@t('x'))")),
        &[
            (0.0, 0),
            (5.0, 0),
            (12.0, 0),
            (f64::NAN, NOT_OK | MISSING),
            (f64::NAN, MISSING),
            (20.0, SUSPECT),
            (0.0, 0),
        ],
    );
    // POSITIVE's argument 0 moves zero to the negative side; 1 does not.
    same(
        vf(&points(&ctx, "## = @POSITIVE(@t('x'), 0)"))[..1].to_vec(),
        &[(f64::NAN, MISSING)],
    );
    assert_eq!(points(&ctx, "## = @POSITIVE(@t('x'), 1)")[0].value, 0.0);
    same(
        vf(&points(&ctx, "## = @NEGATIVE(@t('x'))")),
        &[
            (f64::NAN, MISSING),
            (f64::NAN, MISSING),
            (f64::NAN, MISSING),
            (f64::NAN, NOT_OK | MISSING),
            (-3.0, 0),
            (f64::NAN, MISSING),
            (f64::NAN, MISSING),
        ],
    );
    // NEGATIVE's argument 1 moves zero to the negative side.
    let p = points(&ctx, "## = @NEGATIVE(@t('x'), 1)");
    assert_eq!((p[0].value, p[6].value), (0.0, 0.0));
    assert!(points(&ctx, "## = @NEGATIVE(@t('x'), 0)")[0].value.is_nan());
}

#[test]
fn positive_and_negative_as_truths() {
    let ctx = ctx();
    assert_eq!(
        truths(&ctx, "## = @POSITIVE(@t('x'), 1, 'BOOL')"),
        [1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]
    );
    let s = result(&ctx, "## = @POSITIVE(@t('x'), 1, 'BOOL_COMPRESS')");
    assert_eq!(s.resolution(), Resolution::Breakpoint);
    let got: Vec<(i64, f64)> = s.points().iter().map(|p| (p.utc_ms, p.value)).collect();
    assert_eq!(got, [(0, 1.0), (3 * H, 0.0), (5 * H, 1.0)]);
    // Options are not case-sensitive; VALUE is the default.
    assert_eq!(
        points(&ctx, "## = @NEGATIVE(@t('x'), 1, 'value')")[4].value,
        -3.0
    );
    let e = run(&ctx, "## = @NEGATIVE(@t('x'), 1, 'NUMBERS')").unwrap_err();
    assert!(
        e.to_string().contains("'VALUE', 'BOOL' or 'BOOL_COMPRESS'"),
        "{e}"
    );
}

#[test]
fn mix_takes_the_first_where_it_has_values() {
    let ctx = ctx();
    same(
        vf(&points(&ctx, "## = @MIX(@t('a'), @t('b'))")),
        &[(1.0, 0), (20.0, SUSPECT), (3.0, 0), (40.0, 0)],
    );
    // if-then-else: a NaN condition is false.
    same(
        vf(&points(&ctx, "## = @MIX(@t('cond'), @t('a'), @t('b'))")),
        &[
            (1.0, 0),
            (20.0, SUSPECT),
            (f64::NAN, MISSING),
            (f64::NAN, MISSING),
        ],
    );
}

#[test]
fn mix_with_a_symbol() {
    let ctx = ctx();
    same(
        vf(&points(&ctx, "## = @MIX(@t('a'), @t('b'), 'MERGE')")),
        &[(1.0, 0), (20.0, SUSPECT), (3.0, 0), (40.0, 0)],
    );
    // MERGE_ADD: the second where it has a value.
    same(
        vf(&points(&ctx, "## = @MIX(@t('a'), @t('b'), 'merge_add')")),
        &[(10.0, 0), (20.0, SUSPECT), (3.0, 0), (40.0, 0)],
    );
    // MERGE_POINTS: the first only at its own points, not its held value.
    same(
        vf(&points(
            &ctx,
            "## = @MIX(@t('p1'), @t('b'), 'MERGE_POINTS')",
        )),
        &[(5.0, 0), (20.0, SUSPECT), (6.0, SUSPECT), (40.0, 0)],
    );
    same(
        vf(&points(&ctx, "## = @MIX(@t('p1'), @t('b'))")),
        &[(5.0, 0), (5.0, 0), (6.0, SUSPECT), (6.0, SUSPECT)],
    );
    // END: the first up to its last point, the second after it.
    same(
        vf(&points(&ctx, "## = @MIX(@t('p1'), @t('b'), 'END')")),
        &[(5.0, 0), (5.0, 0), (6.0, SUSPECT), (40.0, 0)],
    );
    // A time macro: the first before the instant, the second from it.
    same(
        vf(&points(
            &ctx,
            "## = @MIX(@t('a'), @t('b'), 'UTC19700101020000')",
        )),
        &[
            (1.0, 0),
            (f64::NAN, NOT_OK | MISSING),
            (f64::NAN, MISSING),
            (40.0, 0),
        ],
    );
    let e = run(&ctx, "## = @MIX(@t('a'), @t('b'), 'NEVER')").unwrap_err();
    assert!(
        e.to_string()
            .contains("'NEVER' is none of END, MERGE, MERGE_ADD, MERGE_POINTS, and no time macro"),
        "{e}"
    );
}

#[test]
fn mix_selects_from_an_array_by_index() {
    let ctx = ctx();
    // Index 1 → a, 1.5 rounds to 2 → b, NaN and 3 are out of range.
    same(
        vf(&points(&ctx, "## = @MIX(@t('idx'), {@t('a'), @t('b')})")),
        &[
            (1.0, 0),
            (20.0, SUSPECT),
            (f64::NAN, MISSING),
            (f64::NAN, MISSING),
        ],
    );
    same(
        vf(&points(
            &ctx,
            "## = @MIX(@t('idx'), {@t('a'), @t('b')}, @t('cond'))",
        )),
        &[(1.0, 0), (20.0, SUSPECT), (f64::NAN, MISSING), (2.0, 0)],
    );
    // The page's example 3: members may be expressions.
    same(
        vf(&points(
            &ctx,
            "## = @MIX(@t('idx'), {@t('b') * 2, @t('b') + 1, @t('b') * 0})",
        )),
        &[(20.0, 0), (21.0, SUSPECT), (f64::NAN, MISSING), (0.0, 0)],
    );
    // An empty array: every step takes the default.
    same(
        vf(&points(
            &ctx,
            "## = @MIX(@t('idx'), @T('nothing'), @t('b'))",
        )),
        &[(10.0, 0), (20.0, SUSPECT), (f64::NAN, MISSING), (40.0, 0)],
    );
}

#[test]
fn mix0_takes_the_first_non_zero() {
    let ctx = ctx();
    same(
        vf(&points(&ctx, "## = @MIX0(@t('a0'), @t('b0'))")),
        &[
            (7.0, 0),
            (0.0, NOT_OK),
            (5.0, 0),
            (0.0, 0),
            (f64::NAN, MISSING),
        ],
    );
    same(
        vf(&points(&ctx, "## = @MIX0({@t('a0'), @t('b0'), @t('c0')})")),
        &[(7.0, 0), (1.0, 0), (5.0, 0), (9.0, 0), (f64::NAN, MISSING)],
    );
    same(
        vf(&points(&ctx, "## = @MIX0(@T('nothing'))")),
        &[(f64::NAN, MISSING)],
    );
}

#[test]
fn wrong_argument_types_name_the_forms() {
    let ctx = ctx();
    let e = run(&ctx, "## = @NOT(1)").unwrap_err();
    assert!(e.to_string().contains("its forms are NOT(t) -> t"), "{e}");
    let e = run(&ctx, "## = @MIX(@t('a'))").unwrap_err();
    assert!(
        e.to_string().contains(
            "its forms are MIX(tt) -> t, MIX(ttt) -> t, MIX(tts) -> t, MIX(tT) -> t, MIX(tTt) -> t"
        ),
        "{e}"
    );
    let e = run(&ctx, "## = @INSIDE(@t('x'), 0, 12)").unwrap_err();
    assert!(e.to_string().contains("INSIDE(dtd) -> t"), "{e}");
    let e = run(&ctx, "## = @BOOL('x')").unwrap_err();
    assert!(e.to_string().contains("BOOL(tds) -> t"), "{e}");
    let e = run(&ctx, "## = @MIX0(1, 2)").unwrap_err();
    assert!(e.to_string().contains("MIX0(tt) -> t, MIX0(T) -> t"), "{e}");
}
