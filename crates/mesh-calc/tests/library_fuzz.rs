//! The function library under arbitrary arguments: every call of the math,
//! statistics, logic, text, status, validation and correction functions
//! with arguments of any type and awkward values (NaN, −0, huge numbers,
//! empty series and arrays) gives an answer or an error, never a panic.

mod common;

use common::{interval, series, Fixed, H};
use mesh_calc::{evaluate, Limits, Series, Settings};
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
    ctx
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
