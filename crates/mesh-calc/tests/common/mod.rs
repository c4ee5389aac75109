//! A data port over fixed series, rating curves and XY sets, for the tests.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;

use mesh_calc::{
    Context, ContextError, Interval, LogLevel, RatingCurveVersion, Series, SeriesRef, XySetVersion,
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
