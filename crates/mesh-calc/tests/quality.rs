//! Validation and correction (ValidateAbsLimit, ValidateRepeatValue,
//! CorrectConstantValue, CorrectCopyValue, CorrectInterpolate) and
//! TS_IQ_FILL: the pages' examples as chains of real expressions, the
//! flags they leave, and the refusals.

mod common;

use common::{close, flags, points, run, series, values, Fixed, H};
use mesh_timeseries::flags::{MISSING, NOT_OK, SUSPECT};
use mesh_timeseries::{CurveType, Resolution};

const STEP: CurveType = CurveType::StaircaseStartOfStep;
const LINEAR: CurveType = CurveType::PiecewiseLinear;

/// The bits of docs/decisions.md, "Status bits in expressions".
const VALIDATED: u32 = 0x0000_0004;
const CORRECTED: u32 = 0x0000_0008;
const V01: u32 = 0x0000_0100;
const V04: u32 = 0x0000_0800;
const C01: u32 = 0x0000_1000;
const C02: u32 = 0x0000_2000;
const C03: u32 = 0x0000_4000;

/// What ValidateAbsLimit leaves on a value it checked and passed / failed.
const PASSED: u32 = VALIDATED | V01;
const FAILED: u32 = VALIDATED | V01 | NOT_OK;

/// An hourly series named `name` from 00:00 with these values (NaN
/// flagged MISSING, others with `flags`).
fn hourly(ctx: &mut Fixed, name: &str, values: &[f64], flags: u32, curve: CurveType) {
    let pts: Vec<(i64, f64, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as i64 * H, v, if v.is_nan() { MISSING } else { flags }))
        .collect();
    ctx.named
        .insert(name.into(), series(&pts, Resolution::Hour, curve));
}

/// A water level around the page's limits 207 and 210, first flagged
/// SUSPECT: below, on the lower limit, inside, on the upper limit, above,
/// missing, inside, above.
fn water_level() -> Fixed {
    let mut ctx = Fixed::default();
    let raw = [206.0, 207.0, 208.5, 210.0, 211.0, f64::NAN, 209.0, 212.0];
    hourly(&mut ctx, "raw", &raw, SUSPECT, STEP);
    ctx
}

const NAN: f64 = f64::NAN;

#[test]
fn validate_abs_limit_after_reset_status_as_example_four() {
    let ctx = water_level();
    let pts = points(
        &ctx,
        "## = @ValidateAbsLimit(@RESET_STATUS(@t('raw')), 207, 210)",
    );
    // Values on a limit pass; the NaN is not checked (its flags were reset).
    assert_eq!(
        flags(&pts),
        [FAILED, PASSED, PASSED, PASSED, FAILED, 0, PASSED, FAILED]
    );
    // Values are kept.
    close(
        &values(&pts),
        &[206.0, 207.0, 208.5, 210.0, 211.0, NAN, 209.0, 212.0],
    );
}

#[test]
fn validate_abs_limit_keeps_the_statuses_it_finds() {
    let ctx = water_level();
    let pts = points(&ctx, "## = @ValidateAbsLimit(@t('raw'), 207, 210)");
    assert_eq!(pts[0].flags, FAILED | SUSPECT);
    assert_eq!(pts[1].flags, PASSED | SUSPECT);
    assert_eq!(pts[5].flags, MISSING);
}

#[test]
fn validate_abs_limit_with_series_limits() {
    let mut ctx = water_level();
    // The lower limit rises to 209 from 04:00; the upper limit is missing
    // from 06:00 (so only the lower one is checked there).
    ctx.named.insert(
        "low".into(),
        series(
            &[(0, 207.0, 0), (4 * H, 209.0, 0)],
            Resolution::Breakpoint,
            STEP,
        ),
    );
    hourly(
        &mut ctx,
        "high",
        &[210.0, 210.0, 210.0, 210.0, 210.0, 210.0, NAN, NAN],
        0,
        STEP,
    );
    let src = "## = @ValidateAbsLimit(@RESET_STATUS(@t('raw')), @t('low'), @t('high'))";
    let pts = points(&ctx, src);
    assert_eq!(
        flags(&pts),
        [FAILED, PASSED, PASSED, PASSED, FAILED, 0, PASSED, PASSED]
    );
    // The mixed forms: a series and a number.
    let src = "## = @ValidateAbsLimit(@RESET_STATUS(@t('raw')), @t('low'), 210)";
    assert_eq!(flags(&points(&ctx, src))[6], PASSED);
    assert_eq!(flags(&points(&ctx, src))[7], FAILED);
    let src = "## = @ValidateAbsLimit(@RESET_STATUS(@t('raw')), 209, @t('high'))";
    assert_eq!(
        flags(&points(&ctx, src)),
        [FAILED, FAILED, FAILED, PASSED, FAILED, 0, PASSED, PASSED]
    );
    // With both limits missing a value is not checked.
    let src = "## = @ValidateAbsLimit(@RESET_STATUS(@t('raw')), NaN, NaN)";
    assert!(points(&ctx, src).iter().all(|p| p.flags == 0));
}

#[test]
fn correct_constant_value_replaces_the_errors_as_the_page_shows() {
    let ctx = water_level();
    let src =
        "## = @CorrectConstantValue(@ValidateAbsLimit(@RESET_STATUS(@t('raw')), 207, 210), 208)";
    let pts = points(&ctx, src);
    close(
        &values(&pts),
        &[208.0, 207.0, 208.5, 210.0, 208.0, 208.0, 209.0, 208.0],
    );
    let fixed = (FAILED & !NOT_OK) | CORRECTED | C01;
    assert_eq!(
        flags(&pts),
        [
            fixed,
            PASSED,
            PASSED,
            PASSED,
            fixed,
            CORRECTED | C01,
            PASSED,
            fixed
        ]
    );
    let err = run(&ctx, "## = @CorrectConstantValue(@t('raw'), NaN)").unwrap_err();
    assert!(err.to_string().contains("not NaN"), "{err}");
}

/// 00:00 valid, a run of one error, valid, a run of four errors, valid.
fn with_runs() -> Fixed {
    let mut ctx = Fixed::default();
    let pts = [
        (0, 1.0, 0),
        (H, 99.0, NOT_OK),
        (2 * H, 3.0, 0),
        (3 * H, 99.0, NOT_OK),
        (4 * H, NAN, MISSING),
        (5 * H, 99.0, NOT_OK),
        (6 * H, 99.0, NOT_OK),
        (7 * H, 8.0, 0),
    ];
    ctx.named
        .insert("v".into(), series(&pts, Resolution::Hour, STEP));
    ctx
}

#[test]
fn correct_copy_value_copies_at_most_n_times() {
    let ctx = with_runs();
    // The page's example: at most 3 copies.
    let pts = points(&ctx, "## = @CorrectCopyValue(@t('v'), 3, 'TRUE')");
    close(&values(&pts), &[1.0, 1.0, 3.0, 3.0, 3.0, 3.0, 99.0, 8.0]);
    let copied = CORRECTED | C02;
    assert_eq!(
        flags(&pts),
        [0, copied, 0, copied, copied, copied, NOT_OK, 0]
    );
    let none = points(&ctx, "## = @CorrectCopyValue(@t('v'), 0, 'TRUE')");
    assert_eq!(flags(&none)[1], NOT_OK);
}

#[test]
fn corrected_values_are_sources_only_when_allowed() {
    // The 02:00 source was corrected by an earlier step (a constant).
    let mut ctx = Fixed::default();
    let pts = [
        (0, 1.0, 0),
        (H, 5.0, CORRECTED | C01),
        (2 * H, 99.0, NOT_OK),
        (3 * H, 7.0, 0),
    ];
    ctx.named
        .insert("v".into(), series(&pts, Resolution::Hour, STEP));
    let pts = points(&ctx, "## = @CorrectCopyValue(@t('v'), 3, 'FALSE')");
    assert_eq!(pts[2].flags, NOT_OK);
    let pts = points(&ctx, "## = @CorrectCopyValue(@t('v'), 3, 'true')");
    assert_eq!((pts[2].value, pts[2].flags), (5.0, CORRECTED | C02));
    let pts = points(&ctx, "## = @CorrectInterpolate(@t('v'), 3, 'FALSE')");
    assert_eq!(pts[2].flags, NOT_OK);
    let pts = points(&ctx, "## = @CorrectInterpolate(@t('v'), 3, 'TRUE')");
    assert_eq!((pts[2].value, pts[2].flags), (6.0, CORRECTED | C03));
}

#[test]
fn correct_interpolate_fills_short_runs_between_valid_values() {
    let ctx = with_runs();
    // The page's example: at most 3 points in error; the run of four stays.
    let pts = points(&ctx, "## = @CorrectInterpolate(@t('v'), 3, 'FALSE')");
    close(&values(&pts), &[1.0, 2.0, 3.0, 99.0, NAN, 99.0, 99.0, 8.0]);
    assert_eq!(pts[1].flags, CORRECTED | C03);
    assert_eq!(pts[3].flags, NOT_OK);
    let pts = points(&ctx, "## = @CorrectInterpolate(@t('v'), 4, 'FALSE')");
    close(&values(&pts), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
    // By time, not by index: a breakpoint series with uneven gaps.
    let mut ctx = Fixed::default();
    let pts = [(0, 0.0, 0), (H, 0.0, NOT_OK), (4 * H, 8.0, 0)];
    ctx.named
        .insert("b".into(), series(&pts, Resolution::Breakpoint, STEP));
    let pts = points(&ctx, "## = @CorrectInterpolate(@t('b'), 1, 'FALSE')");
    close(&values(&pts), &[0.0, 2.0, 8.0]);
}

#[test]
fn a_run_at_an_end_has_nothing_to_copy_or_interpolate_from() {
    let mut ctx = Fixed::default();
    let pts = [(0, NAN, MISSING), (H, 2.0, 0), (2 * H, 9.0, NOT_OK)];
    ctx.named
        .insert("e".into(), series(&pts, Resolution::Hour, STEP));
    let pts = points(&ctx, "## = @CorrectCopyValue(@t('e'), 5, 'TRUE')");
    assert_eq!(flags(&pts), [MISSING, 0, CORRECTED | C02]);
    let pts = points(&ctx, "## = @CorrectInterpolate(@t('e'), 5, 'TRUE')");
    assert_eq!(flags(&pts), [MISSING, 0, NOT_OK]);
}

#[test]
fn corrections_refuse_bad_counts_and_symbols() {
    let ctx = with_runs();
    for f in ["CorrectCopyValue", "CorrectInterpolate"] {
        for bad in ["-1", "1.5", "NaN"] {
            let err = run(&ctx, &format!("## = @{f}(@t('v'), {bad}, 'TRUE')")).unwrap_err();
            assert!(err.to_string().contains("whole number"), "{err}");
        }
        let err = run(&ctx, &format!("## = @{f}(@t('v'), 1, 'MAYBE')")).unwrap_err();
        assert!(err.to_string().contains("'TRUE' or 'FALSE'"), "{err}");
    }
}

#[test]
fn validate_repeat_value_as_the_page_describes() {
    // Repeats within 0.01 of a run's first value; 0.0 is an exception; at
    // most 2 repeats (the page builds the limit with TS('VARINT', ...)).
    let mut ctx = Fixed::default();
    let level = [5.0, 5.005, 5.0, 5.0, 6.0, 0.0, 0.0, 0.0];
    hourly(&mut ctx, "level", &level, 0, STEP);
    let src = "## = @ValidateRepeatValue(@RESET_STATUS(@t('level')), @TS('VARINT', 2), 0.01, 0.0)";
    let pts = points(&ctx, src);
    let ok = VALIDATED | V04;
    assert_eq!(flags(&pts), [ok, ok, ok, ok | NOT_OK, ok, ok, ok, ok]);
    close(&values(&pts), &level);
    // Without the exception the zeros fail too; a NaN ends a run.
    let src = "## = @ValidateRepeatValue(@t('level'), @TS('VARINT', 1), 0.01, NaN)";
    let pts = points(&ctx, src);
    assert_eq!(
        flags(&pts),
        [ok, ok, ok | NOT_OK, ok | NOT_OK, ok, ok, ok, ok | NOT_OK]
    );
    let mut gap = Fixed::default();
    hourly(&mut gap, "g", &[3.0, 3.0, NAN, 3.0, 3.0], 0, STEP);
    let src = "## = @ValidateRepeatValue(@t('g'), @TS('VARINT', 1), 0, NaN)";
    assert_eq!(flags(&points(&gap, src)), [ok, ok, MISSING, ok, ok]);
    // Zero repeats allowed: every repeat fails.
    let src = "## = @ValidateRepeatValue(@t('g'), @TS('VARINT', 0), 0, NaN)";
    assert_eq!(
        flags(&points(&gap, src)),
        [ok, ok | NOT_OK, MISSING, ok, ok | NOT_OK]
    );
    let err = run(
        &gap,
        "## = @ValidateRepeatValue(@t('g'), @TS('VARINT', 1), -0.5, 0)",
    )
    .unwrap_err();
    assert!(err.to_string().contains("at least 0"), "{err}");
}

#[test]
fn ts_iq_fill_examples_step_and_linear() {
    // Example 1 (step): 5 is held up to the next value, 10; the gap before
    // the first value takes it; the last value is kept to the end.
    let mut ctx = Fixed::default();
    let raw = [NAN, 5.0, NAN, NAN, NAN, NAN, 10.0, NAN];
    hourly(&mut ctx, "TS10S", &raw, 0, STEP);
    hourly(&mut ctx, "TS10L", &raw, 0, LINEAR);
    let pts = points(&ctx, "## = @TS_IQ_FILL(%'TS10S')");
    close(&values(&pts), &[5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 10.0, 10.0]);
    assert_eq!(
        flags(&pts),
        [SUSPECT, 0, SUSPECT, SUSPECT, SUSPECT, SUSPECT, 0, SUSPECT]
    );
    // Example 2 (linear): (10 − 5) / 5 steps = 1 per step.
    let pts = points(&ctx, "## = @TS_IQ_FILL(%'TS10L')");
    close(
        &values(&pts[..8]),
        &[5.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 10.0],
    );
    // A series with no value stays as it is.
    let mut empty = Fixed::default();
    hourly(&mut empty, "n", &[NAN, NAN], 0, STEP);
    let pts = points(&empty, "## = @TS_IQ_FILL(@t('n'))");
    assert_eq!(flags(&pts), [MISSING, MISSING]);
}

#[test]
fn repeat_limits_are_rounded_down_and_a_missing_limit_checks_nothing() {
    let mut ctx = Fixed::default();
    hourly(&mut ctx, "g", &[3.0, 3.0, 3.0], 0, STEP);
    let ok = VALIDATED | V04;
    // 1.7 allows one repeat, −3 none.
    let src = "## = @ValidateRepeatValue(@t('g'), @TS('VARINT', 1.7), 0, NaN)";
    assert_eq!(flags(&points(&ctx, src)), [ok, ok, ok | NOT_OK]);
    let src = "## = @ValidateRepeatValue(@t('g'), @TS('VARINT', -3), 0, NaN)";
    assert_eq!(flags(&points(&ctx, src)), [ok, ok | NOT_OK, ok | NOT_OK]);
    // The limit is missing from 01:00: those values are not checked.
    ctx.named.insert(
        "max".into(),
        series(
            &[(0, 0.0, 0), (H, NAN, MISSING)],
            Resolution::Breakpoint,
            STEP,
        ),
    );
    let src = "## = @ValidateRepeatValue(@t('g'), @t('max'), 0, NaN)";
    assert_eq!(flags(&points(&ctx, src)), [ok, 0, 0]);
}

#[test]
fn a_linear_limit_is_read_by_interpolation() {
    // The upper limit runs from 200 at 00:00 to 214 at 07:00: 2 per hour.
    let mut ctx = water_level();
    ctx.named.insert(
        "up".into(),
        series(
            &[(0, 200.0, 0), (7 * H, 214.0, 0)],
            Resolution::Breakpoint,
            LINEAR,
        ),
    );
    let src = "## = @ValidateAbsLimit(@RESET_STATUS(@t('raw')), 0, @t('up'))";
    // 206 > 200, 207 > 202, 208.5 > 204, 210 > 206, 211 > 208, NaN, 209 ≤ 212, 212 ≤ 214.
    assert_eq!(
        flags(&points(&ctx, src)),
        [FAILED, FAILED, FAILED, FAILED, FAILED, 0, PASSED, PASSED]
    );
}
