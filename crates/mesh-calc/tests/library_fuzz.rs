//! The function library under arbitrary arguments: every call of the math,
//! statistics, logic, text, status, validation, correction and hydro
//! functions with arguments of any type and awkward values (NaN, −0, huge
//! numbers, empty series and arrays; curves with NaN, infinite, unsorted,
//! duplicate and unpaired members) gives an answer or an error, never a
//! panic.

mod common;

use common::{interval, series, Fixed, H};
use mesh_calc::{
    evaluate, Limits, RatingCurveVersion, RatingSegment, Series, Settings, XyCurve, XySetVersion,
};
use mesh_timeseries::{CurveType, Resolution};
use proptest::prelude::*;

fn ctx() -> Fixed {
    let mut ctx = Fixed::default();
    let step = CurveType::StaircaseStartOfStep;
    ctx.named.insert(
        "lin".into(),
        series(
            &[
                (0, 1.0, 0),
                (H, f64::NAN, 0x4400_0000),
                (2 * H, -3.0, 0),
                (8 * H, 0.0, 0),
            ],
            Resolution::Hour,
            CurveType::PiecewiseLinear,
        ),
    );
    ctx.named.insert(
        "step".into(),
        series(
            &[(0, -0.0, 0), (H, 1e308, 0), (2 * H, -1e308, 0)],
            Resolution::Hour,
            step,
        ),
    );
    ctx.named.insert(
        "brk".into(),
        series(
            &[(-H, 5.0, 0), (H / 3, 5.0, 0), (7 * H, f64::NAN, 0)],
            Resolution::Breakpoint,
            step,
        ),
    );
    // A series with no points at all.
    ctx.named.insert(
        "empty".into(),
        Series::from_points(&[], Resolution::Hour, step).unwrap(),
    );
    ctx.rating_curve = Some(awkward_rating_curve());
    ctx.xy_sets.insert(".Curve".into(), awkward_xy_sets());
    ctx
}

/// Versions out of order and sharing a start, segments unsorted, with NaN
/// and infinite bounds and factors, negative bases, huge exponents.
fn awkward_rating_curve() -> Vec<RatingCurveVersion> {
    let segment = |x_range_until, factor_a, factor_b, factor_c| RatingSegment {
        x_range_until,
        factor_a,
        factor_b,
        factor_c,
    };
    vec![
        RatingCurveVersion {
            valid_from_ms: 3 * H,
            x_range_from: f64::NAN,
            segments: vec![segment(1.0, 1.0, 0.0, 1.0)],
        },
        RatingCurveVersion {
            valid_from_ms: -H,
            x_range_from: -1e308,
            segments: vec![
                segment(f64::INFINITY, 1e308, 1e308, 1e308),
                segment(f64::NAN, 1.0, 1.0, 1.0),
                segment(0.0, -1.0, -5.0, 0.5),
                segment(0.0, 1.0, 0.0, -1.0),
                segment(-f64::INFINITY, f64::NAN, 0.0, 1.0),
            ],
        },
        RatingCurveVersion {
            valid_from_ms: 3 * H,
            x_range_from: 0.0,
            segments: Vec::new(),
        },
    ]
}

/// Sets with no curves, empty and unpaired curves, NaN and infinite
/// members, equal xs, non-monotonic ys, versions sharing a start.
fn awkward_xy_sets() -> Vec<XySetVersion> {
    let curve = |reference_value, xs: &[f64], ys: &[f64]| XyCurve {
        reference_value,
        xs: xs.to_vec(),
        ys: ys.to_vec(),
    };
    vec![
        XySetVersion {
            valid_from_ms: None,
            curves: vec![curve(
                f64::NAN,
                &[1.0, 1.0, f64::NAN, -1e308, 1e308, f64::INFINITY],
                &[0.0, 1e308, 2.0, -1e308, 3.0],
            )],
        },
        XySetVersion {
            valid_from_ms: Some(H),
            curves: vec![
                curve(1.0, &[0.0, 1.0, 2.0], &[0.0, 1.0, 0.0]),
                curve(1.0, &[], &[]),
            ],
        },
        XySetVersion {
            valid_from_ms: Some(H),
            curves: Vec::new(),
        },
        XySetVersion {
            valid_from_ms: Some(5 * H),
            curves: vec![curve(0.0, &[-0.0, 0.0], &[1e-308, -1e-308])],
        },
    ]
}

const FUNCTIONS: &[&str] = &[
    "ABS",
    "CEIL",
    "FLOOR",
    "INTEGER",
    "ROUND",
    "ROUND_INTEGER",
    "LOG",
    "LN",
    "POWER",
    "SIN",
    "COS",
    "TAN",
    "ASIN",
    "ACOS",
    "ATAN",
    "SUM",
    "MEAN",
    "MAX",
    "MIN",
    "BOOL",
    "NOT",
    "INSIDE",
    "OUTSIDE",
    "POSITIVE",
    "NEGATIVE",
    "MIX",
    "MIX0",
    "Compare",
    "Concatenate",
    "ToString",
    "Size",
    "AT",
    "RESET_STATUS",
    "STATUS_MASK",
    "STATUS_COUNT",
    "ValidateAbsLimit",
    "ValidateRepeatValue",
    "CorrectConstantValue",
    "CorrectCopyValue",
    "CorrectInterpolate",
    "TS_IQ_FILL",
    "RatingCurve",
    "XY",
    "YX",
    "GET_Y_FX",
];

const ARGS: &[&str] = &[
    "1",
    "-0",
    "NaN",
    "1e308",
    "-1e308",
    "0.5",
    "-2",
    "'LOHI'",
    "'COMPRESS'",
    "'BOOL_COMPRESS'",
    "'x'",
    "'.Curve'",
    "'NOLOG.Curve'",
    "'INTERPOL,NOHOLD'",
    "'nohold'",
    "''",
    "@t('lin')",
    "@t('step')",
    "@t('brk')",
    "@t('empty')",
    "@t('nothing')",
    "@T('nothing')",
    "{@t('lin'), @t('brk'), @t('empty')}",
    "{@t('empty')}",
    "{1, NaN, -0}",
    "{5, 5, -1e308}",
    "{2, -1}",
    "{'a', 'b'}",
    "'notok|MANUAL|V01'",
    "'missing'",
    "'REMOVE'",
    "'BOOLINV'",
    "'BLANK'",
    "'TRUE'",
];

fn call(name: &str, args: &[usize]) -> String {
    let args: Vec<&str> = args.iter().map(|&i| ARGS[i]).collect();
    format!("## = @{name}({})", args.join(", "))
}

fn eval(src: &str) {
    let limits = Limits {
        max_points: 10_000,
        ..Limits::default()
    };
    let _ = evaluate(src, &ctx(), interval(), &Settings::default(), &limits);
}

#[test]
fn every_call_of_up_to_two_arguments_answers() {
    for name in FUNCTIONS {
        eval(&format!("## = @{name}()"));
        for a in 0..ARGS.len() {
            eval(&call(name, &[a]));
            for b in 0..ARGS.len() {
                eval(&call(name, &[a, b]));
            }
        }
    }
}

/// The documented forms of three and four arguments of the status,
/// validation and correction functions, over every awkward series,
/// number and symbol (the random calls below seldom hit a form exactly).
#[test]
fn every_status_and_quality_form_answers() {
    let series = [
        "@t('lin')",
        "@t('step')",
        "@t('brk')",
        "@t('empty')",
        "@t('nothing')",
    ];
    let numbers = ["1", "-0", "NaN", "1e308", "-1e308", "0.5", "-2"];
    let limits: Vec<&str> = series.iter().chain(numbers.iter()).copied().collect();
    for t in series {
        for lo in &limits {
            for hi in &limits {
                eval(&format!("## = @ValidateAbsLimit({t}, {lo}, {hi})"));
            }
        }
        for max in series {
            for d in numbers {
                for e in numbers {
                    eval(&format!("## = @ValidateRepeatValue({t}, {max}, {d}, {e})"));
                }
            }
        }
        for n in numbers {
            for sym in ["'TRUE'", "'false'", "'x'", "''"] {
                eval(&format!("## = @CorrectCopyValue({t}, {n}, {sym})"));
                eval(&format!("## = @CorrectInterpolate({t}, {n}, {sym})"));
            }
        }
        for mask in ["'notok|MANUAL|V01'", "'missing'", "'x'", "''", "'|'"] {
            for op in ["'BOOL'", "'boolinv'", "'REMOVE'", "'BLANK'", "'x'"] {
                eval(&format!("## = @STATUS_MASK({t}, {mask}, {op})"));
            }
        }
    }
}

#[test]
fn every_get_y_fx_of_three_arguments_answers() {
    // The random calls above rarely hit GET_Y_FX's (t, D, D[, s]) forms:
    // anything first, then arrays, series and lookups (right and wrong
    // types) for the table.
    let tables: Vec<&str> = ARGS
        .iter()
        .copied()
        .filter(|a| a.starts_with('{') || a.starts_with('@'))
        .collect();
    for a in ARGS {
        for b in &tables {
            for c in &tables {
                let args = [*a, *b, *c].join(", ");
                eval(&format!("## = @GET_Y_FX({args})"));
                for options in ["'INTERPOL'", "'NOHOLD,INTERPOL'", "''", "'x'"] {
                    eval(&format!("## = @GET_Y_FX({args}, {options})"));
                }
            }
        }
    }
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(512);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn calls_of_three_and_four_arguments_answer(
        name in 0..FUNCTIONS.len(),
        args in proptest::collection::vec(0..ARGS.len(), 3..=4),
    ) {
        eval(&call(FUNCTIONS[name], &args));
    }
}
