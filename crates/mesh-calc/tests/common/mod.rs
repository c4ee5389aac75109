//! A data port over fixed series, for the tests.
#![allow(dead_code)]

use std::collections::HashMap;

use mesh_calc::{Context, ContextError, Interval, Series, SeriesRef};
use mesh_timeseries::{CurveType, Point, Resolution};

pub const H: i64 = 3_600_000;

#[derive(Default)]
pub struct Fixed {
    pub target: Option<Series>,
    pub named: HashMap<String, Series>,
}

impl Context for Fixed {
    fn series(&self, reference: &SeriesRef, _: Interval) -> Result<Option<Series>, ContextError> {
        Ok(match reference {
            SeriesRef::Target => self.target.clone(),
            SeriesRef::Search(q) | SeriesRef::Resource(q) => self.named.get(q).cloned(),
        })
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
