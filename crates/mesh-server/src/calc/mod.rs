//! Calculations over what a session sees: the server's side of the
//! expression language (`mesh-calc`).
//!
//! An evaluation runs on one snapshot of the store under the session's
//! pending changes ([`crate::view::SnapshotView`]), on the store's blocking
//! pool, so every series it reads comes from the same committed state and
//! the session's own writes show. [`context::SessionContext`] is the
//! engine's data port over that snapshot and the session's model;
//! services call [`run`] (an expression relative to a target) and
//! [`attribute`] (what a calculated attribute reads as).

mod context;

use std::sync::Arc;
use std::time::Duration;

use mesh_calc::{EvalError, Interval, Limits, Series, Settings, Value};
use mesh_model::Model;
use uuid::Uuid;

use crate::view::{ReadLimit, SessionView, ViewError};

pub use context::SessionContext;

/// What calculations may use, set at start.
#[derive(Debug, Clone)]
pub struct CalcSettings {
    /// The zone `LOCAL` names; `STANDARD` is its standard offset.
    pub local_zone: chrono_tz::Tz,
    /// Most points one evaluation may read and make.
    pub max_points: usize,
    /// Longest one evaluation may run.
    pub max_duration: Duration,
    /// Bounds of one series read inside an evaluation.
    pub read_limit: ReadLimit,
}

impl CalcSettings {
    /// The engine's bounds.
    pub fn limits(&self) -> Limits {
        Limits {
            max_points: self.max_points,
            max_duration: self.max_duration,
            ..Limits::default()
        }
    }

    /// The engine's zones and clock, now.
    pub fn engine_settings(&self) -> Settings {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Settings::new(self.local_zone, now)
    }
}

/// What an expression is evaluated relative to (`relative_to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An object: searches start there; `@t()` finds nothing.
    Object(Uuid),
    /// A time series attribute: searches start at its owner; `@t()` is
    /// its series.
    Attribute(Uuid),
    /// A series by key: `@t()` is it; searches have no object to start
    /// from and find nothing.
    Key(i64),
    /// Nothing: `@t()` and searches find nothing; resources (`%'…'`) and
    /// everything not looked up still work.
    Nothing,
}

/// Why a calculation failed.
#[derive(Debug, thiserror::Error)]
pub enum CalcError {
    /// The expression failed (parse, types, functions, bounds).
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The store or the session's view failed.
    #[error(transparent)]
    View(#[from] ViewError),
    /// What the request names cannot be calculated.
    #[error("{0}")]
    Invalid(String),
}

/// Evaluates `expression` relative to `target` over `interval`, as the
/// session sees the data: the value of `##`, `None` when it is never set.
pub async fn run(
    view: &SessionView,
    model: Arc<Model>,
    target: Target,
    expression: String,
    interval: (i64, i64),
    settings: Arc<CalcSettings>,
) -> Result<Option<Value>, CalcError> {
    view.with_snapshot(move |snapshot| {
        let context = SessionContext::new(snapshot, &model, target, &settings);
        Ok(context.evaluate(&expression, Interval::new(interval.0, interval.1)))
    })
    .await?
}

/// What the time series attribute `id` (with an expression and no
/// physical series) reads as over `interval`: its expression (local, else
/// its definition's template) evaluated relative to its owner.
pub async fn attribute(
    view: &SessionView,
    model: Arc<Model>,
    id: Uuid,
    interval: (i64, i64),
    settings: Arc<CalcSettings>,
) -> Result<Series, CalcError> {
    view.with_snapshot(move |snapshot| {
        let context = SessionContext::new(snapshot, &model, Target::Attribute(id), &settings);
        Ok(context.attribute_series(id, Interval::new(interval.0, interval.1)))
    })
    .await?
}

/// What virtual series `key` (with `expression`) reads as over
/// `interval`.
pub async fn virtual_series(
    view: &SessionView,
    key: i64,
    expression: String,
    interval: (i64, i64),
    settings: Arc<CalcSettings>,
) -> Result<Series, CalcError> {
    view.with_snapshot(move |snapshot| {
        // Nothing of the model is reached from a virtual series: it is
        // evaluated relative to nothing.
        let model = Model::new();
        let context = SessionContext::new(snapshot, &model, Target::Nothing, &settings);
        Ok(context.virtual_series(key, &expression, Interval::new(interval.0, interval.1)))
    })
    .await?
}

/// A result as a series: series as they are; a number `x` as the
/// breakpoint series of one point `x` at the start of the interval
/// (docs/decisions.md: the sources do not say how a number reads through
/// an attribute).
pub fn as_series(value: Value, interval: Interval, what: &str) -> Result<Series, CalcError> {
    match value {
        Value::Series(s) => Ok(s),
        Value::Number(x) => Ok(Series::from_parts(
            vec![interval.start_ms].into(),
            vec![x].into(),
            vec![if x.is_nan() {
                mesh_timeseries::flags::MISSING
            } else {
                0
            }]
            .into(),
            mesh_timeseries::Resolution::Breakpoint,
            mesh_timeseries::CurveType::StaircaseStartOfStep,
        )),
        other => Err(CalcError::Invalid(format!(
            "the expression of {what} gives a {}, not a series or a number",
            other.value_type()
        ))),
    }
}
