//! Time specifications and the time functions, the explicit periods, TS
//! and TS_EXPAND.

mod common;

use common::{series, Fixed, H};
use mesh_calc::timespec::{ms_to_ticks, TimeSpec};
use mesh_calc::{evaluate, EvalError, Interval, Limits, Settings, Value};
use mesh_timeseries::flags::{MISSING, SUSPECT};
use mesh_timeseries::{CurveType, Point, Resolution};

/// 2025-01-01T00:00Z.
const Y2025: i64 = 1_735_689_600_000;

fn settings() -> Settings {
    // Now: 2025-03-15T10:20:30Z.
    Settings::new(
        chrono_tz::Europe::Oslo,
        Y2025 + (73 * 24 + 10) * H + 20 * 60_000 + 30_000,
    )
}

fn run(ctx: &Fixed, src: &str, interval: Interval) -> Result<Option<Value>, EvalError> {
    evaluate(src, ctx, interval, &settings(), &Limits::default())
}

fn number(src: &str) -> f64 {
    match run(&Fixed::default(), src, Interval::new(Y2025, Y2025 + 4 * H)).unwrap() {
        Some(Value::Number(x)) => x,
        other => panic!("{src}: {other:?}"),
    }
}

fn ticks(ms: i64) -> f64 {
    ms_to_ticks(ms).unwrap() as f64
}

fn points(ctx: &Fixed, src: &str, interval: Interval) -> (Vec<Point>, Resolution, CurveType) {
    match run(ctx, src, interval).unwrap() {
        Some(Value::Series(s)) => (s.points(), s.resolution(), s.curve()),
        other => panic!("{src}: {other:?}"),
    }
}

#[test]
fn specifications_resolve_in_their_calendars() {
    let s = settings();
    let period = Interval::new(Y2025, Y2025 + 4 * H);
    let at = |text: &str| {
        TimeSpec::parse(text)
            .unwrap()
            .resolve(s.now_ms, period, &s)
            .unwrap()
    };
    assert_eq!(at("UTC20250101"), Y2025);
    // No prefix: standard time, UTC+1.
    assert_eq!(at("20250101"), Y2025 - H);
    assert_eq!(at("UTC20250101013000500"), Y2025 + H + 30 * 60_000 + 500);
    assert_eq!(at("UTCYEAR"), Y2025);
    assert_eq!(at("UTCDAY+07h"), Y2025 + (73 * 24 + 7) * H);
    assert_eq!(at("UTCMONTH"), Y2025 + (31 + 28) * 24 * H);
    // 2025-03-10 is a Monday.
    assert_eq!(
        at("UTCWEEK+2d+14h-10x"),
        Y2025 + ((68 + 2) * 24 + 14) * H - 10 * 60_000
    );
    assert_eq!(at("UTCHYDYEAR"), Y2025 - (30 + 31 + 30 + 31) * 24 * H);
    assert_eq!(at("SOP"), Y2025);
    assert_eq!(at("EOP-1h"), Y2025 + 3 * H);
    assert_eq!(at("UTCYEAR+1m"), Y2025 + 31 * 24 * H);
    // LOCAL days move in local time: 2025-03-30 has 23 hours in Oslo.
    let march29 = TimeSpec::parse("LOCAL20250329")
        .unwrap()
        .resolve(0, period, &s)
        .unwrap();
    let next = TimeSpec::parse("+1d")
        .unwrap()
        .shift(march29, s.local_zone)
        .unwrap();
    assert_eq!(next - march29, 24 * H);
    let after = TimeSpec::parse("+1d")
        .unwrap()
        .shift(next, s.local_zone)
        .unwrap();
    assert_eq!(after - next, 23 * H);
    for bad in ["2025", "YEAR+1q", "+d", "20251301", "hello"] {
        assert!(TimeSpec::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn time_functions_speak_ticks() {
    assert_eq!(number("## = @Time('UTC20250101')"), ticks(Y2025));
    assert_eq!(number("## = @Time('SOP')"), ticks(Y2025));
    // A reference time instead of now.
    assert_eq!(
        number("## = @Time('UTCYEAR', @Time('UTC20240607'))"),
        ticks(Y2025 - 366 * 24 * H)
    );
    assert_eq!(number("## = @TimeSpan('HOUR')"), (H * 10_000) as f64);
    assert_eq!(number("## = @TimeSpan('MONTH') / @TimeSpan('DAY')"), 30.0);
    // Standard calendar (UTC+1): 23:30 UTC is 00:30 the next day.
    let late = "@Time('UTC20250104233000')";
    assert_eq!(number(&format!("## = @Hour({late})")), 0.0);
    assert_eq!(number(&format!("## = @Minute({late})")), 30.0);
    assert_eq!(number(&format!("## = @Day({late})")), 5.0);
    assert_eq!(number(&format!("## = @WeekDay({late})")), 7.0);
    assert_eq!(number(&format!("## = @Week({late})")), 1.0);
    assert_eq!(number(&format!("## = @Month({late})")), 1.0);
    assert_eq!(number(&format!("## = @Year({late})")), 2025.0);
    assert_eq!(number(&format!("## = @YearDay({late})")), 5.0);
    assert_eq!(number(&format!("## = @IsTimeValid({late})")), 1.0);
    assert_eq!(number("## = @IsTimeValid(NaN)"), 0.0);
    match run(
        &Fixed::default(),
        "## = @TimeToString(@Time('UTC20250104233000'))",
        Interval::new(0, H),
    )
    .unwrap()
    {
        Some(Value::String(s)) => assert_eq!(s, "UTC20250104233000"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pushed_periods_change_what_is_read_until_popped() {
    let hourly: Vec<(i64, f64, u32)> = (0..10).map(|i| (Y2025 + i * H, 1.0, 0)).collect();
    let mut ctx = Fixed::default();
    ctx.named.insert(
        "x".into(),
        series(&hourly, Resolution::Hour, CurveType::StaircaseStartOfStep),
    );
    let period = Interval::new(Y2025 + 2 * H, Y2025 + 4 * H);
    // TS follows the period: two hours, then four with an hour each side.
    let src = "a = @SUM(@TS('HOUR', 1))\n@PushExtPeriod('p', '-1h', '+1h')\nb = @SUM(@TS('HOUR', 1))\n@PopExtPeriod('p')\nc = @SUM(@TS('HOUR', 1))\n## = a * 100 + b * 10 + c";
    match run(&ctx, src, period).unwrap() {
        Some(Value::Number(x)) => assert_eq!(x, 242.0),
        other => panic!("{other:?}"),
    }
    // The value is the seconds added; an invalid period keeps the current.
    match run(&ctx, "## = @PushExtPeriod('p', '-1h', '+1h')", period).unwrap() {
        Some(Value::Number(x)) => assert_eq!(x, 7200.0),
        other => panic!("{other:?}"),
    }
    match run(&ctx, "## = @PushExtPeriod('p', '+5h', '-5h')", period).unwrap() {
        Some(Value::Number(x)) => assert_eq!(x, 0.0),
        other => panic!("{other:?}"),
    }
    let err = run(&ctx, "@PopExtPeriod('never')\n## = 1", period).unwrap_err();
    assert!(
        err.to_string().contains("no period was pushed as 'never'"),
        "{err}"
    );
}

#[test]
fn ts_makes_constants_at_a_resolution() {
    let ctx = Fixed::default();
    let period = Interval::new(Y2025, Y2025 + 4 * H);
    // The SDK's attribute definition test: 4 hourly points of 137.
    let (pts, res, curve) = points(&ctx, "## = @TS('HOUR', 137.0)", period);
    assert_eq!(
        (res, curve),
        (Resolution::Hour, CurveType::StaircaseStartOfStep)
    );
    assert_eq!(
        pts.iter().map(|p| (p.utc_ms, p.value)).collect::<Vec<_>>(),
        (0..4).map(|i| (Y2025 + i * H, 137.0)).collect::<Vec<_>>()
    );
    let (pts, res, _) = points(&ctx, "## = @TS('VARINT')", period);
    assert_eq!(
        (pts.len(), res, pts[0].flags),
        (1, Resolution::Breakpoint, MISSING)
    );
    let (pts, _, curve) = points(&ctx, "## = @TS('HOUR', 'LINEAR', 2)", period);
    assert_eq!((pts.len(), curve), (5, CurveType::PiecewiseLinear));
    // A day in standard time starts at 23:00 UTC.
    let (pts, _, _) = points(&ctx, "## = @TS('DAY', 0)", period);
    assert_eq!(pts[0].utc_ms, Y2025 - H);
    let century = Interval::new(0, 100 * 365 * 24 * H);
    let err = run(&ctx, "## = @TS('MIN', 1)", century).unwrap_err();
    assert!(matches!(err, EvalError::Limit(_)), "{err:?}");
    let err = run(&ctx, "## = @TS('HOUR', 'WIGGLY')", period).unwrap_err();
    assert!(
        err.to_string().contains("unknown curve type 'WIGGLY'"),
        "{err}"
    );
}

#[test]
fn ts_expand_fills_gaps_by_the_curve() {
    let nan = f64::NAN;
    let raw = [nan, 1.0, nan, nan, 4.0, nan];
    let pts: Vec<(i64, f64, u32)> = raw
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as i64 * H, v, if v.is_nan() { MISSING } else { 0 }))
        .collect();
    let ctx = Fixed {
        target: Some(series(
            &pts,
            Resolution::Hour,
            CurveType::StaircaseStartOfStep,
        )),
        ..Fixed::default()
    };
    let period = Interval::new(0, 6 * H);
    let (got, _, _) = points(&ctx, "## = @TS_EXPAND(@t())", period);
    let values: Vec<f64> = got.iter().map(|p| p.value).collect();
    assert!(values[0].is_nan());
    assert_eq!(&values[1..], &[1.0, 1.0, 1.0, 4.0, 4.0]);
    assert_eq!(got[2].flags, SUSPECT);
    assert_eq!(got[1].flags, 0);
    let (got, _, curve) = points(&ctx, "## = @TS_EXPAND(@t(), 'linear')", period);
    assert_eq!(curve, CurveType::PiecewiseLinear);
    let values: Vec<f64> = got.iter().map(|p| p.value).collect();
    assert_eq!(&values[1..], &[1.0, 2.0, 3.0, 4.0, 4.0]);
    // With a resolution: FIRST of each step, then filled.
    let (got, res, _) = points(&ctx, "## = @TS_EXPAND(@t(), 'MIN30')", period);
    assert_eq!((res, got.len()), (Resolution::Min30, 12));
    assert_eq!(got[5].value, 1.0);
}

#[test]
fn time_masks_repeat_per_period() {
    let ctx = Fixed::default();
    let period = Interval::new(Y2025, Y2025 + 2 * H);
    let (pts, res, _) = points(
        &ctx,
        "## = @TIME_MASK('HOUR', {'HOUR','HOUR+15x','HOUR+30x','HOUR+45x'}, {1,2,3,2}, 'MIN15')",
        period,
    );
    assert_eq!(res, Resolution::Min15);
    let values: Vec<f64> = pts.iter().map(|p| p.value).collect();
    assert_eq!(values, vec![1.0, 2.0, 3.0, 2.0, 1.0, 2.0, 3.0, 2.0]);
    let (pts, res, _) = points(
        &ctx,
        "## = @TIME_MASK('DAY', {'DAY','DAY+8h','DAY+16h'}, {1,2,3}, 'VARINT')",
        Interval::new(Y2025 - H, Y2025 + 23 * H),
    );
    assert_eq!(res, Resolution::Breakpoint);
    // Standard time: the day starts at 23:00 UTC.
    let got: Vec<(i64, f64)> = pts.iter().map(|p| (p.utc_ms, p.value)).collect();
    assert_eq!(
        got,
        vec![
            (Y2025 - H, 1.0),
            (Y2025 + 7 * H, 2.0),
            (Y2025 + 15 * H, 3.0)
        ]
    );
    let (pts, _, _) = points(&ctx, "## = @TIME_MASK({'UTC20250101010000'}, {5})", period);
    assert_eq!(
        pts.iter().map(|p| (p.utc_ms, p.value)).collect::<Vec<_>>(),
        vec![(Y2025 + H, 5.0)]
    );
    let err = run(&ctx, "## = @TIME_MASK('HOUR', {'HOUR'}, {1, 2})", period).unwrap_err();
    assert!(err.to_string().contains("one value per time"), "{err}");
}

/// fn/distribute's examples: an hourly value 2 over the quarter hours.
#[test]
fn distribute_spreads_values_over_a_mask() {
    let mut ctx = Fixed::default();
    ctx.named.insert(
        "ts5".into(),
        series(
            &[(Y2025, 2.0, 0)],
            Resolution::Hour,
            CurveType::StaircaseStartOfStep,
        ),
    );
    let period = Interval::new(Y2025, Y2025 + H);
    let mask = "@TIME_MASK('HOUR', {'HOUR','HOUR+15x','HOUR+30x','HOUR+45x'}, {1,2,3,2}, 'MIN15')";
    let values = |src: &str| -> (Vec<f64>, Resolution) {
        let (pts, res, _) = points(&ctx, src, period);
        (pts.iter().map(|p| p.value).collect(), res)
    };
    assert_eq!(
        values(&format!("## = @DISTRIBUTE(@t('ts5'), {mask})")),
        (vec![0.5; 4], Resolution::Min15)
    );
    let (r7, _) = values(&format!("m = {mask}\n## = @DISTRIBUTE(@t('ts5'), m, m)"));
    assert_eq!(r7, vec![0.25, 0.5, 0.75, 0.5]);
    let (ra7, _) = values(&format!("m = {mask}\n## = @DISTRIBUTE(1, @t('ts5'), m, m)"));
    assert_eq!(ra7[0], -0.5);
    let (ra7, _) = values(&format!(
        "m = {mask}\n## = @DISTRIBUTE(10, @t('ts5'), m, m)"
    ));
    assert_eq!(ra7[0], -9.5);
    // A false mask point: three parts, a breakpoint series.
    let holed =
        "@TIME_MASK('HOUR', {'HOUR','HOUR+15x','HOUR+30x','HOUR+45x'}, {1,2,NaN,2}, 'MIN15')";
    let (v, res) = values(&format!("## = @DISTRIBUTE(@t('ts5'), {holed})"));
    assert_eq!((v, res), (vec![2.0 / 3.0; 3], Resolution::Breakpoint));
}

/// fn/trans_profile's forms over fn/distribute's data: an hourly value
/// spread over the quarter hours of the profile {1,2,3,2}.
#[test]
fn trans_profile_spreads_values_by_a_profile() {
    let ctx_with = |value: f64| {
        let mut ctx = Fixed::default();
        ctx.named.insert(
            "ts5".into(),
            series(
                &[(Y2025, value, 0)],
                Resolution::Hour,
                CurveType::StaircaseStartOfStep,
            ),
        );
        ctx
    };
    let ctx = ctx_with(2.0);
    let period = Interval::new(Y2025, Y2025 + H);
    let profile =
        "p = @TIME_MASK('HOUR', {'HOUR','HOUR+15x','HOUR+30x','HOUR+45x'}, {1,2,3,2}, 'MIN15')\n";
    let values = |ctx: &Fixed, src: &str| -> (Vec<f64>, Resolution) {
        let (pts, res, _) = points(ctx, &format!("{profile}{src}"), period);
        (pts.iter().map(|p| p.value).collect(), res)
    };
    // R8 is DISTRIBUTE R7 with a mask true everywhere (the page's note).
    assert_eq!(
        values(&ctx, "## = @TRANS_PROFILE(@t('ts5'), p)"),
        (vec![0.25, 0.5, 0.75, 0.5], Resolution::Min15)
    );
    assert_eq!(
        values(&ctx, "## = @TRANS_PROFILE(@t('ts5'), p)"),
        values(&ctx, "## = @DISTRIBUTE(@t('ts5'), p, p)")
    );
    // Ra8: the absolute forms, as Ra7's numbers.
    assert_eq!(
        values(&ctx, "## = @TRANS_PROFILE(1, @t('ts5'), p)").0[0],
        -0.5
    );
    assert_eq!(
        values(&ctx, "## = @TRANS_PROFILE(10, @t('ts5'), p)").0[0],
        -9.5
    );
    // K = 0 is the relative form.
    assert_eq!(
        values(&ctx, "## = @TRANS_PROFILE(0, @t('ts5'), p)"),
        values(&ctx, "## = @TRANS_PROFILE(@t('ts5'), p)")
    );
    // R9: SUM is R8; MEAN/AVERAGE make the parts average to the value.
    assert_eq!(
        values(&ctx, "## = @TRANS_PROFILE(@t('ts5'), p, 'sum')"),
        values(&ctx, "## = @TRANS_PROFILE(@t('ts5'), p)")
    );
    assert_eq!(
        values(&ctx, "## = @TRANS_PROFILE(@t('ts5'), p, 'MEAN')").0,
        vec![1.0, 2.0, 3.0, 2.0]
    );
    assert_eq!(
        values(&ctx, "## = @TRANS_PROFILE(@t('ts5'), p, 'AVERAGE')").0,
        vec![1.0, 2.0, 3.0, 2.0]
    );
    // Ra9 MEAN: A + K·(Pi − M).
    assert_eq!(
        values(&ctx, "## = @TRANS_PROFILE(10, @t('ts5'), p, 'MEAN')").0,
        vec![-8.0, 2.0, 12.0, 2.0]
    );
    // A zero value gives Pi − M in the relative forms.
    let zero = ctx_with(0.0);
    assert_eq!(
        values(&zero, "## = @TRANS_PROFILE(@t('ts5'), p)").0,
        vec![-1.0, 0.0, 1.0, 0.0]
    );
    assert_eq!(
        values(&zero, "## = @TRANS_PROFILE(@t('ts5'), p, 'MEAN')").0,
        vec![-1.0, 0.0, 1.0, 0.0]
    );
    // R10 / R11: a mask chooses the parts (here three of four), a
    // breakpoint result; the profile's mean is over the chosen points.
    let holed =
        "m = @TIME_MASK('HOUR', {'HOUR','HOUR+15x','HOUR+30x','HOUR+45x'}, {1,1,NaN,1}, 'MIN15')\n";
    let (v, res) = values(
        &ctx,
        &format!("{holed}## = @TRANS_PROFILE(@t('ts5'), p, m)"),
    );
    assert_eq!(res, Resolution::Breakpoint);
    let mean = (1.0 + 2.0 + 2.0) / 3.0;
    let want: Vec<f64> = [1.0, 2.0, 2.0]
        .iter()
        .map(|p| 2.0 / 3.0 * (p / mean))
        .collect();
    assert_eq!(v, want);
    assert_eq!(
        values(
            &ctx,
            &format!("{holed}## = @TRANS_PROFILE(@t('ts5'), p, m, 'SUM')")
        ),
        values(&ctx, &format!("{holed}## = @DISTRIBUTE(@t('ts5'), m, p)"))
    );
    let (v, _) = values(
        &ctx,
        &format!("{holed}## = @TRANS_PROFILE(1, @t('ts5'), p, m, 'MEAN')"),
    );
    assert_eq!(
        v,
        vec![2.0 + (1.0 - mean), 2.0 + (2.0 - mean), 2.0 + (2.0 - mean)]
    );
    let err = run(
        &ctx,
        &format!("{profile}## = @TRANS_PROFILE(@t('ts5'), p, 'MEDIAN')"),
        period,
    )
    .unwrap_err();
    assert!(err.to_string().contains("SUM, MEAN and AVERAGE"), "{err}");
}
