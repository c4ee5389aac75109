//! A data port over fixed series, rating curves and XY sets, for the tests.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;

use mesh_calc::{
    evaluate, Context, ContextError, EvalError, Interval, Limits, LogLevel, RatingCurveVersion,
    Series, SeriesRef, Settings, Value, XySetVersion,
};
use mesh_timeseries::{CurveType, Point, Resolution};

pub const H: i64 = 3_600_000;

#[derive(Default)]
pub struct Fixed {
    pub target: Option<Series>,
    pub named: HashMap<String, Series>,
    /// The current object's rating curve, if it has one.
    pub rating_curve: Option<Vec<RatingCurveVersion>>,
    /// XY set attributes by the search that finds them.
    pub xy_sets: HashMap<String, Vec<XySetVersion>>,
    /// The lines the evaluation logged.
    pub logs: RefCell<Vec<(LogLevel, String)>>,
}

impl Context for Fixed {
    fn series(&self, reference: &SeriesRef, _: Interval) -> Result<Option<Series>, ContextError> {
        Ok(match reference {
            SeriesRef::Target => self.target.clone(),
            SeriesRef::Search(q) | SeriesRef::Resource(q) => self.named.get(q).cloned(),
        })
    }

    fn rating_curve(
        &self,
        query: Option<&str>,
        _: Interval,
    ) -> Result<Option<Vec<RatingCurveVersion>>, ContextError> {
        Ok(match query {
            None => self.rating_curve.clone(),
            Some(_) => None,
        })
    }

    fn xy_sets(&self, query: &str, _: Interval) -> Result<Option<Vec<XySetVersion>>, ContextError> {
        Ok(self.xy_sets.get(query).cloned())
    }

    fn log(&self, level: LogLevel, message: &str) {
        self.logs.borrow_mut().push((level, message.to_string()));
    }
}

pub fn series(points: &[(i64, f64, u32)], resolution: Resolution, curve: CurveType) -> Series {
    let points: Vec<Point> = points
        .iter()
        .map(|&(t, v, f)| Point::new(t, f, v))
        .collect();
    Series::from_points(&points, resolution, curve).unwrap()
}

pub fn interval() -> Interval {
    Interval {
        start_ms: 0,
        end_ms: 8 * H,
    }
}

/// Evaluates `src` over [`interval`] with the default settings and limits.
pub fn run(ctx: &Fixed, src: &str) -> Result<Option<Value>, EvalError> {
    evaluate(
        src,
        ctx,
        interval(),
        &Settings::default(),
        &Limits::default(),
    )
}

/// The series `src` evaluates to.
pub fn result(ctx: &Fixed, src: &str) -> Series {
    match run(ctx, src).unwrap() {
        Some(Value::Series(s)) => s,
        other => panic!("{src}: {other:?}"),
    }
}

/// The points of the series `src` evaluates to.
pub fn points(ctx: &Fixed, src: &str) -> Vec<Point> {
    result(ctx, src).points()
}

/// The number `src` evaluates to.
pub fn number(ctx: &Fixed, src: &str) -> f64 {
    match run(ctx, src).unwrap() {
        Some(Value::Number(x)) => x,
        other => panic!("{src}: {other:?}"),
    }
}

/// Values and flags of points.
pub fn vf(p: &[Point]) -> Vec<(f64, u32)> {
    p.iter().map(|p| (p.value, p.flags)).collect()
}

/// Values of points.
pub fn values(pts: &[Point]) -> Vec<f64> {
    pts.iter().map(|p| p.value).collect()
}

/// Flags of points.
pub fn flags(pts: &[Point]) -> Vec<u32> {
    pts.iter().map(|p| p.flags).collect()
}

/// Values and flags equal, NaN equal to NaN.
pub fn same(got: Vec<(f64, u32)>, want: &[(f64, u32)]) {
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g.0.is_nan() && w.0.is_nan()) || g.0 == w.0,
            "{got:?} vs {want:?}"
        );
        assert_eq!(g.1, w.1, "{got:?} vs {want:?}");
    }
}

/// Values equal, NaN equal to NaN.
pub fn same_values(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g.is_nan() && w.is_nan()) || g == w, "{got:?} vs {want:?}");
    }
}

/// Values equal within 1e-9 (relative above 1), NaN equal to NaN.
pub fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-9 * w.abs().max(1.0),
            "{got:?} vs {want:?}"
        );
    }
}
