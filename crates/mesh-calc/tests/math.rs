//! The mathematical functions: rounding, logarithms, POWER, trigonometry.

mod common;

use common::{number, points, run, same, series, vf, Fixed, H};
use mesh_calc::Value;
use mesh_timeseries::flags::{MISSING, NOT_OK, SUSPECT};
use mesh_timeseries::{CurveType, Resolution};

/// An hourly staircase `x` = 1.5, −1.5, 16.5, NaN (NOT_OK|MISSING), −16.5, 0.
fn ctx() -> Fixed {
    let mut ctx = Fixed::default();
    ctx.named.insert(
        "x".into(),
        series(
            &[
                (0, 1.5, 0),
                (H, -1.5, 0),
                (2 * H, 16.5, 0),
                (3 * H, f64::NAN, NOT_OK | MISSING),
                (4 * H, -16.5, 0),
                (5 * H, 0.0, 0),
            ],
            Resolution::Hour,
            CurveType::StaircaseStartOfStep,
        ),
    );
    ctx.named.insert(
        "n".into(),
        series(
            &[(0, 2.0, 0), (2 * H, f64::NAN, MISSING), (4 * H, 0.5, 0)],
            Resolution::Breakpoint,
            CurveType::StaircaseStartOfStep,
        ),
    );
    ctx
}

const NAN_IN: (f64, u32) = (f64::NAN, NOT_OK | MISSING);

#[test]
fn rounding_of_series_keeps_flags_and_nan() {
    let ctx = ctx();
    let cases: &[(&str, [f64; 5])] = &[
        ("CEIL", [2.0, -1.0, 17.0, -16.0, 0.0]),
        ("FLOOR", [1.0, -2.0, 16.0, -17.0, 0.0]),
        ("INTEGER", [1.0, -1.0, 16.0, -16.0, 0.0]),
        ("ROUND", [2.0, -2.0, 17.0, -17.0, 0.0]),
        ("ROUND_INTEGER", [2.0, -2.0, 17.0, -17.0, 0.0]),
    ];
    for (name, v) in cases {
        same(
            vf(&points(&ctx, &format!("## = @{name}(@t('x'))"))),
            &[
                (v[0], 0),
                (v[1], 0),
                (v[2], 0),
                NAN_IN,
                (v[3], 0),
                (v[4], 0),
            ],
        );
    }
}

#[test]
fn rounding_of_numbers() {
    let ctx = Fixed::default();
    assert_eq!(number(&ctx, "## = @CEIL(1.2)"), 2.0);
    assert_eq!(number(&ctx, "## = @FLOOR(-1.2)"), -2.0);
    assert_eq!(number(&ctx, "## = @INTEGER(-1.8)"), -1.0);
    assert_eq!(number(&ctx, "## = @ROUND(16.5)"), 17.0);
    assert_eq!(number(&ctx, "## = @ROUND(-0.5)"), -1.0);
    assert_eq!(number(&ctx, "## = @ROUND_INTEGER(2.49)"), 2.0);
    // The ROUND page's recipe for one decimal.
    assert_eq!(number(&ctx, "## = @ROUND(3.14159 * 10) / 10"), 3.1);
    assert!(number(&ctx, "## = @ROUND(NaN)").is_nan());
}

#[test]
fn logarithms_are_empty_where_undefined() {
    let ctx = ctx();
    // The pages' examples: LOG(1) = LN(1) = 0.
    assert_eq!(number(&ctx, "## = @LOG(1)"), 0.0);
    assert_eq!(number(&ctx, "## = @LN(1)"), 0.0);
    assert_eq!(number(&ctx, "## = @LOG(1000)"), 3.0);
    assert!(number(&ctx, "## = @LOG(0)").is_nan());
    assert!(number(&ctx, "## = @LN(-1)").is_nan());
    let l = 1.5f64.log10();
    same(
        vf(&points(&ctx, "## = @LOG(@t('x'))")),
        &[
            (l, 0),
            (f64::NAN, MISSING),
            (16.5f64.log10(), 0),
            NAN_IN,
            (f64::NAN, MISSING),
            (f64::NAN, MISSING),
        ],
    );
    let p = points(&ctx, "## = @LN(@t('x'))");
    assert!((p[0].value - 1.5f64.ln()).abs() < 1e-12);
    assert_eq!((p[5].value.is_nan(), p[5].flags), (true, MISSING));
}

#[test]
fn power_in_all_four_forms() {
    let ctx = ctx();
    // The page's example 4.
    assert_eq!(number(&ctx, "## = @POWER(4, 2)"), 16.0);
    assert!(number(&ctx, "## = @POWER(-8, 0.5)").is_nan());
    assert!(number(&ctx, "## = @POWER(0, -1)").is_nan());
    same(
        vf(&points(&ctx, "## = @POWER(@t('x'), 2)")),
        &[
            (2.25, 0),
            (2.25, 0),
            (272.25, 0),
            (f64::NAN, SUSPECT | MISSING),
            (272.25, 0),
            (0.0, 0),
        ],
    );
    same(
        vf(&points(&ctx, "## = @POWER(2, @t('x'))")),
        &[
            (2f64.powf(1.5), 0),
            (2f64.powf(-1.5), 0),
            (2f64.powf(16.5), 0),
            (f64::NAN, SUSPECT | MISSING),
            (2f64.powf(-16.5), 0),
            (1.0, 0),
        ],
    );
    // A negative base to a fractional power has no real value.
    let p = points(&ctx, "## = @POWER(@t('x'), 0.5)");
    assert_eq!((p[1].value.is_nan(), p[1].flags), (true, MISSING));
    // Two series: the union of their instants, each read by its value.
    let s = match run(&ctx, "## = @POWER(@t('x'), @t('n'))").unwrap() {
        Some(Value::Series(s)) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(s.resolution(), Resolution::Breakpoint);
    same(
        vf(&s.points()),
        &[
            (2.25, 0),
            (2.25, 0),
            (f64::NAN, SUSPECT | MISSING),
            (f64::NAN, SUSPECT | MISSING),
            (f64::NAN, MISSING), // (−16.5)^0.5
            (0.0, 0),
        ],
    );
}

#[test]
fn trigonometry_in_radians() {
    let mut ctx = Fixed::default();
    ctx.named.insert(
        "r".into(),
        series(
            &[
                (0, 0.0, 0),
                (H, std::f64::consts::FRAC_PI_2, SUSPECT),
                (2 * H, 2.0, 0),
                (3 * H, f64::NAN, MISSING),
            ],
            Resolution::Hour,
            CurveType::PiecewiseLinear,
        ),
    );
    let s = match run(&ctx, "## = @SIN(@t('r'))").unwrap() {
        Some(Value::Series(s)) => s,
        other => panic!("{other:?}"),
    };
    // Instants, resolution and curve are the input's.
    assert_eq!(s.curve(), CurveType::PiecewiseLinear);
    assert_eq!(s.resolution(), Resolution::Hour);
    same(
        vf(&s.points()),
        &[
            (0.0, 0),
            (1.0, SUSPECT),
            (2f64.sin(), 0),
            (f64::NAN, MISSING),
        ],
    );
    let c = points(&ctx, "## = @COS(@t('r'))");
    assert_eq!(c[0].value, 1.0);
    let t = points(&ctx, "## = @TAN(@t('r'))");
    assert_eq!(t[0].value, 0.0);
    assert!((t[2].value - 2f64.tan()).abs() < 1e-12);
    same(
        vf(&points(&ctx, "## = @ASIN(@t('r'))")),
        &[
            (0.0, 0),
            (f64::NAN, SUSPECT | MISSING),
            (f64::NAN, MISSING),
            (f64::NAN, MISSING),
        ],
    );
    let a = points(&ctx, "## = @ACOS(@t('r'))");
    assert!((a[0].value - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
    let a = points(&ctx, "## = @ATAN(@t('r'))");
    assert!((a[2].value - 2f64.atan()).abs() < 1e-12);
}

#[test]
fn wrong_argument_types_name_the_forms() {
    let ctx = ctx();
    let e = run(&ctx, "## = @SIN(1)").unwrap_err();
    assert!(e.to_string().contains("its forms are SIN(t) -> t"), "{e}");
    let e = run(&ctx, "## = @CEIL('a')").unwrap_err();
    assert!(
        e.to_string()
            .contains("its forms are CEIL(d) -> d, CEIL(t) -> t"),
        "{e}"
    );
    let e = run(&ctx, "## = @POWER(@t('x'))").unwrap_err();
    assert!(
        e.to_string()
            .contains("POWER(dd) -> d, POWER(td) -> t, POWER(dt) -> t, POWER(tt) -> t"),
        "{e}"
    );
}
