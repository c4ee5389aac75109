//! TRANSFORM (calc notes §4.1): the SDK's expectations, the documented
//! worked example, calendar steps in zones, integrals, limits.

mod common;

use common::{series, Fixed, H};
use mesh_calc::{evaluate, EvalError, Interval, Limits, Settings, Value};
use mesh_timeseries::flags::{MISSING, NOT_OK, SUSPECT};
use mesh_timeseries::{CurveType, Point, Resolution};

/// 2016-01-01T00:00Z, the day of the SDK's test data.
const DAY0: i64 = 1_451_606_400_000;
const MIN15: i64 = 15 * 60_000;

fn run(ctx: &Fixed, src: &str, interval: Interval) -> Result<Option<Value>, EvalError> {
    evaluate(src, ctx, interval, &Settings::default(), &Limits::default())
}

fn points(ctx: &Fixed, src: &str, interval: Interval) -> (Vec<Point>, Resolution, CurveType) {
    match run(ctx, src, interval).unwrap() {
        Some(Value::Series(s)) => (s.points(), s.resolution(), s.curve()),
        other => panic!("{src}: {other:?}"),
    }
}

/// The SDK's `TsRawAtt`: hourly, linear, 1…9 at 01:00…09:00, 04:00 NaN
/// NOT_OK|MISSING.
fn sdk_raw() -> Fixed {
    let pts: Vec<(i64, f64, u32)> = (1..=9)
        .map(|h| {
            if h == 4 {
                (DAY0 + h * H, f64::NAN, NOT_OK | MISSING)
            } else {
                (DAY0 + h * H, h as f64, 0)
            }
        })
        .collect();
    Fixed {
        target: Some(series(&pts, Resolution::Hour, CurveType::PiecewiseLinear)),
        ..Fixed::default()
    }
}

fn sdk_interval() -> Interval {
    Interval {
        start_ms: DAY0 + H,
        end_ms: DAY0 + 9 * H,
    }
}

const METHODS: [&str; 8] = ["SUM", "SUMI", "AVG", "AVGI", "FIRST", "LAST", "MIN", "MAX"];
const ZONES: [Option<&str>; 4] = [None, Some("LOCAL"), Some("STANDARD"), Some("UTC")];

fn expression(resolution: &str, method: &str, zone: Option<&str>) -> String {
    match zone {
        Some(z) => format!("## = @TRANSFORM(@t(), '{resolution}', '{method}', '{z}')\n"),
        None => format!("## = @TRANSFORM(@t(), '{resolution}', '{method}')\n"),
    }
}

/// The SDK's matrix to finer resolutions: every step from 01:00 to 09:00
/// inclusive (a linear result answers the end), flags by position
/// relative to the NaN point, AVG values interpolated.
#[test]
fn finer_resolutions_answer_every_step_and_the_end_as_the_sdk_expects() {
    let ctx = sdk_raw();
    for (resolution, step, count) in [("MIN15", MIN15, 33), ("MIN30", 2 * MIN15, 17)] {
        for method in METHODS {
            for zone in ZONES {
                let src = expression(resolution, method, zone);
                let (pts, res, curve) = points(&ctx, &src, sdk_interval());
                assert_eq!(pts.len(), count, "{src}");
                assert_eq!(curve, CurveType::PiecewiseLinear, "{src}");
                assert_eq!(res.name(), resolution);
                for (i, p) in pts.iter().enumerate() {
                    let t = DAY0 + H + i as i64 * step;
                    assert_eq!(p.utc_ms, t, "{src}");
                    let (three, four, five) = (DAY0 + 3 * H, DAY0 + 4 * H, DAY0 + 5 * H);
                    if t <= three || t >= five {
                        assert_eq!(p.flags, 0, "{src} at {i}");
                        assert!(!p.value.is_nan(), "{src} at {i}");
                    } else if t < four {
                        assert_eq!(p.flags, MISSING, "{src} at {i}");
                        assert!(p.value.is_nan());
                    } else {
                        assert_eq!(p.flags, NOT_OK | MISSING, "{src} at {i}");
                        assert!(p.value.is_nan());
                    }
                    if method == "AVG" && step == MIN15 && p.flags == 0 {
                        assert_eq!(p.value, 1.0 + 0.25 * i as f64, "{src} at {i}");
                    }
                }
            }
        }
    }
}

/// `TRANSFORM HOUR SUM STANDARD` of the hourly series: eight steps, no
/// end point (an aggregate is a staircase).
#[test]
fn the_same_resolution_answers_one_point_per_step() {
    let (pts, res, curve) = points(
        &sdk_raw(),
        &expression("HOUR", "SUM", Some("STANDARD")),
        sdk_interval(),
    );
    assert_eq!(pts.len(), 8);
    assert_eq!(res, Resolution::Hour);
    assert_eq!(curve, CurveType::StaircaseStartOfStep);
    let values: Vec<f64> = pts.iter().map(|p| p.value).collect();
    assert_eq!(&values[..3], &[1.0, 2.0, 3.0]);
    assert!(values[3].is_nan());
    assert_eq!(pts[3].flags, MISSING);
    assert_eq!(&values[4..], &[5.0, 6.0, 7.0, 8.0]);
}

/// Coarser calendar steps: the step holding the period's start, at the
/// zone's midnight (standard time is UTC+1 on the default server).
#[test]
fn calendar_steps_start_at_the_zones_midnight() {
    let ctx = sdk_raw();
    for method in METHODS {
        for (zone, start) in [
            (None, DAY0 - H),
            (Some("STANDARD"), DAY0 - H),
            (Some("LOCAL"), DAY0 - H),
            (Some("UTC"), DAY0),
        ] {
            for resolution in ["DAY", "WEEK", "MONTH", "YEAR"] {
                let src = expression(resolution, method, zone);
                let (pts, _, _) = points(&ctx, &src, sdk_interval());
                assert_eq!(pts.len(), 1, "{src}");
                if resolution != "WEEK" {
                    assert_eq!(pts[0].utc_ms, start, "{src}");
                }
                // Every method finds valid values in the step, and one NaN.
                assert!(!pts[0].value.is_nan(), "{src}");
            }
        }
    }
    let (pts, _, _) = points(&ctx, &expression("DAY", "SUM", Some("UTC")), sdk_interval());
    // 1+2+3+5+6+7+8+9: the point at 09:00 is inside the day.
    assert_eq!(pts[0].value, 41.0);
    assert_eq!(pts[0].flags, SUSPECT);
}

/// The documented figures: 15-minute values to hours.
#[test]
fn the_documented_quarter_hour_example() {
    let values = [
        1.0, -2.0, 6.0, 1.0, 1.0, 2.0, 4.0, 8.0, 8.0, 10.0, -12.0, -4.0,
    ];
    let pts: Vec<(i64, f64, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as i64 * MIN15, v, 0))
        .collect();
    let ctx = Fixed {
        target: Some(series(
            &pts,
            Resolution::Min15,
            CurveType::StaircaseStartOfStep,
        )),
        ..Fixed::default()
    };
    let interval = Interval {
        start_ms: 0,
        end_ms: 3 * H,
    };
    for (method, expected) in [
        ("SUM", [6.0, 15.0, 2.0]),
        ("MEAN", [1.5, 3.75, 0.5]),
        ("AVG", [1.5, 3.75, 0.5]),
        ("MIN", [-2.0, 1.0, -12.0]),
        ("MAX", [6.0, 8.0, 10.0]),
        ("FIRST", [1.0, 1.0, 8.0]),
        ("LAST", [1.0, 8.0, -4.0]),
        ("AVGI", [1.5, 3.75, 0.5]),
        ("SUMI", [1.5 * 3600.0, 3.75 * 3600.0, 0.5 * 3600.0]),
    ] {
        let (got, _, _) = points(&ctx, &expression("HOUR", method, Some("UTC")), interval);
        let got: Vec<(i64, f64, u32)> = got.iter().map(|p| (p.utc_ms, p.value, p.flags)).collect();
        assert_eq!(
            got,
            vec![
                (0, expected[0], 0),
                (H, expected[1], 0),
                (2 * H, expected[2], 0)
            ],
            "{method}"
        );
    }
}

fn hourly(count: i64, start: i64, value: impl Fn(i64) -> f64) -> Fixed {
    let pts: Vec<(i64, f64, u32)> = (0..count).map(|i| (start + i * H, value(i), 0)).collect();
    Fixed {
        target: Some(series(
            &pts,
            Resolution::Hour,
            CurveType::StaircaseStartOfStep,
        )),
        ..Fixed::default()
    }
}

/// Two days of hours summed per UTC day.
#[test]
fn daily_sums_of_hours() {
    let ctx = hourly(48, DAY0, |i| i as f64);
    let interval = Interval {
        start_ms: DAY0,
        end_ms: DAY0 + 48 * H,
    };
    let (pts, res, _) = points(&ctx, &expression("DAY", "SUM", Some("UTC")), interval);
    assert_eq!(res, Resolution::Day);
    let got: Vec<(i64, f64)> = pts.iter().map(|p| (p.utc_ms, p.value)).collect();
    let first: f64 = (0..24).map(|i| i as f64).sum();
    let second: f64 = (24..48).map(|i| i as f64).sum();
    assert_eq!(got, vec![(DAY0, first), (DAY0 + 24 * H, second)]);
}

/// The local day of the spring change has 23 hours, the autumn one 25;
/// AVGI weighs by time, SUMI integrates in value·seconds.
#[test]
fn local_days_follow_daylight_saving_time() {
    // 2016-03-26T23:00Z is local midnight of the short day in Oslo.
    let spring = 1_459_033_200_000;
    let ctx = hourly(23, spring, |_| 2.0);
    let day = Interval {
        start_ms: spring,
        end_ms: spring + 23 * H,
    };
    let (pts, _, _) = points(&ctx, &expression("DAY", "SUM", Some("LOCAL")), day);
    assert_eq!(
        (pts[0].utc_ms, pts[0].value, pts[0].flags),
        (spring, 46.0, 0)
    );
    let (pts, _, _) = points(&ctx, &expression("DAY", "AVGI", Some("LOCAL")), day);
    assert_eq!((pts[0].value, pts[0].flags), (2.0, 0));
    let (pts, _, _) = points(&ctx, &expression("DAY", "SUMI", Some("LOCAL")), day);
    assert_eq!(pts[0].value, 2.0 * 23.0 * 3600.0);
    // Standard time (UTC+1 all year) has the same midnight here, and the
    // 23 hours fit in its day; in UTC they span two days.
    let (pts, _, _) = points(&ctx, &expression("DAY", "SUM", Some("STANDARD")), day);
    assert_eq!((pts.len(), pts[0].value), (1, 46.0));
    let (pts, _, _) = points(&ctx, &expression("DAY", "SUM", Some("UTC")), day);
    assert_eq!(pts.len(), 2);
    assert_eq!(pts[0].value + pts[1].value, 46.0);
}

/// To finer: SUM splits a step's value over its parts, AVG keeps it.
#[test]
fn splitting_to_a_finer_resolution() {
    let ctx = hourly(2, 0, |i| 4.0 * (i + 1) as f64);
    let interval = Interval {
        start_ms: 0,
        end_ms: 2 * H,
    };
    let (pts, res, curve) = points(&ctx, &expression("MIN15", "SUM", None), interval);
    assert_eq!(
        (res, curve),
        (Resolution::Min15, CurveType::StaircaseStartOfStep)
    );
    let values: Vec<f64> = pts.iter().map(|p| p.value).collect();
    assert_eq!(values, vec![1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]);
    let (pts, _, _) = points(&ctx, &expression("MIN30", "AVG", None), interval);
    let values: Vec<f64> = pts.iter().map(|p| p.value).collect();
    assert_eq!(values, vec![4.0, 4.0, 8.0, 8.0]);
}

/// To VARINT the points stay, NaN steps included.
#[test]
fn to_breakpoint_keeps_the_points() {
    let ctx = sdk_raw();
    let (pts, res, _) = points(&ctx, &expression("VARINT", "SUM", None), sdk_interval());
    assert_eq!(res, Resolution::Breakpoint);
    assert_eq!(pts.len(), 9);
    assert!(pts[3].value.is_nan());
}

/// A breakpoint staircase averaged over time.
#[test]
fn breakpoint_series_by_time() {
    // 0 from 00:00, 10 from 00:30, 4 from 01:15.
    let ctx = Fixed {
        target: Some(series(
            &[(0, 0.0, 0), (2 * MIN15, 10.0, 0), (5 * MIN15, 4.0, 0)],
            Resolution::Breakpoint,
            CurveType::StaircaseStartOfStep,
        )),
        ..Fixed::default()
    };
    let interval = Interval {
        start_ms: 0,
        end_ms: 2 * H,
    };
    let (pts, _, _) = points(&ctx, &expression("HOUR", "AVGI", None), interval);
    let values: Vec<f64> = pts.iter().map(|p| p.value).collect();
    assert_eq!(values, vec![5.0, 5.5]);
    let (pts, _, _) = points(&ctx, &expression("HOUR", "DEFAULT", None), interval);
    assert_eq!(pts[0].value, 5.0);
    // FIRST is the value holding at the step's start.
    let (pts, _, _) = points(&ctx, &expression("HOUR", "FIRST", None), interval);
    let values: Vec<f64> = pts.iter().map(|p| p.value).collect();
    assert_eq!(values, vec![0.0, 10.0]);
}

#[test]
fn bad_symbols_and_budgets_are_refused() {
    let ctx = sdk_raw();
    let err = run(&ctx, &expression("FORTNIGHT", "SUM", None), sdk_interval()).unwrap_err();
    assert!(
        err.to_string().contains("unknown resolution 'FORTNIGHT'"),
        "{err}"
    );
    let err = run(&ctx, &expression("DAY", "MEDIAN", None), sdk_interval()).unwrap_err();
    assert!(err.to_string().contains("unknown method 'MEDIAN'"), "{err}");
    let err = run(&ctx, &expression("DAY", "GSUM", None), sdk_interval()).unwrap_err();
    assert!(matches!(err, EvalError::Unimplemented { .. }), "{err:?}");
    let err = run(&ctx, "## = @TRANSFORM(@t(), 'DAY')", sdk_interval()).unwrap_err();
    assert!(err.to_string().contains("its forms are"), "{err}");
    // A century of minutes is refused before anything is allocated.
    let century = Interval {
        start_ms: 0,
        end_ms: 100 * 365 * 24 * H,
    };
    let err = run(&ctx, &expression("MIN", "AVG", None), century).unwrap_err();
    assert!(matches!(err, EvalError::Limit(_)), "{err:?}");
}

/// R2 and R3: periods of a points series, or of a number of seconds.
#[test]
fn periods_of_points_and_of_seconds() {
    let ctx = {
        let mut ctx = hourly(12, 0, |i| i as f64);
        let marks = series(
            &[(0, 1.0, 0), (3 * H, 1.0, 0), (8 * H, 1.0, 0)],
            Resolution::Breakpoint,
            CurveType::StaircaseStartOfStep,
        );
        ctx.named.insert("marks".into(), marks);
        ctx
    };
    let period = Interval {
        start_ms: 0,
        end_ms: 12 * H,
    };
    let (pts, res, _) = points(&ctx, "## = @TRANSFORM(@t(), @t('marks'), 'SUM')", period);
    assert_eq!(res, Resolution::Breakpoint);
    let got: Vec<(i64, f64)> = pts.iter().map(|p| (p.utc_ms, p.value)).collect();
    assert_eq!(got, vec![(0, 3.0), (3 * H, 25.0), (8 * H, 38.0)]);
    let (pts, _, _) = points(&ctx, "## = @TRANSFORM(@t(), 14400, 'MAX')", period);
    let got: Vec<(i64, f64)> = pts.iter().map(|p| (p.utc_ms, p.value)).collect();
    assert_eq!(got, vec![(0, 3.0), (4 * H, 7.0), (8 * H, 11.0)]);
    let err = run(&ctx, "## = @TRANSFORM(@t(), 0, 'MAX')", period).unwrap_err();
    assert!(err.to_string().contains("at least 1"), "{err}");
}

/// A fixed series' AVG divides by the steps of the period, valid or not
/// (fn/transform: 24 for hours to a day); AVGI by the time covered.
#[test]
fn avg_counts_every_step_of_the_period() {
    let ctx = hourly(24, 0, |i| if i == 5 { f64::NAN } else { 2.0 });
    let day = Interval {
        start_ms: 0,
        end_ms: 24 * H,
    };
    let (pts, _, _) = points(&ctx, &expression("DAY", "AVG", Some("UTC")), day);
    assert_eq!((pts[0].value, pts[0].flags), (46.0 / 24.0, SUSPECT));
    let (pts, _, _) = points(&ctx, &expression("DAY", "AVGI", Some("UTC")), day);
    assert_eq!((pts[0].value, pts[0].flags), (2.0, SUSPECT));
    // To finer, SUMI is SUM (fn/transform: a name with SUM in it splits).
    let (pts, _, _) = points(&ctx, &expression("MIN30", "SUMI", Some("UTC")), day);
    assert_eq!(pts[0].value, 1.0);
}
