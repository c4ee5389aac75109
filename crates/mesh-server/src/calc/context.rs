//! The engine's data port over one snapshot of what a session sees.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Instant;

use mesh_calc::{
    AsOf, Context, ContextError, EvalError, Interval, LogLevel, ObjectInfo, RatingCurveVersion,
    RatingSegment, Series, SeriesRef, Settings, Value, WriteInfo, XyCurve, XySetVersion,
};
use mesh_model::search::{self, Budget};
use mesh_model::{AttributeRef, DefinitionRules, Held, Model};
use mesh_storage::Undo;
use uuid::Uuid;

use super::{as_series, CalcError, CalcSettings, Target};
use crate::view::{ReadAnswer, SnapshotView, ViewError};

/// The most objects one search of an expression may visit (as for the
/// model service's searches).
const MAX_VISITED: u64 = 10_000_000;

/// How deep calculated attributes may refer to calculated attributes: far
/// beyond real models, and a bound on the evaluator's recursion.
const MAX_NESTING: usize = 16;

/// Model times are 100-ns ticks; the engine counts milliseconds.
const TICKS_PER_MS: i64 = 10_000;

/// What every evaluation of one request shares, nested ones included:
/// one point budget, one deadline, and the calculated attributes being
/// evaluated (to refuse an attribute that depends on itself).
struct Shared {
    points_read: Cell<usize>,
    deadline: Instant,
    active: RefCell<Vec<Uuid>>,
    /// Virtual series being evaluated, by key.
    active_keys: RefCell<Vec<i64>>,
}

/// The data port: series, searches and attribute values as the session
/// sees them, relative to a target.
pub struct SessionContext<'a> {
    snapshot: &'a SnapshotView<'a>,
    model: &'a Model,
    target: Target,
    /// The object searches start from.
    current: Option<Uuid>,
    settings: &'a CalcSettings,
    engine: Settings,
    shared: Rc<Shared>,
}

impl<'a> SessionContext<'a> {
    /// A port relative to `target`.
    pub fn new(
        snapshot: &'a SnapshotView<'a>,
        model: &'a Model,
        target: Target,
        settings: &'a CalcSettings,
    ) -> SessionContext<'a> {
        let shared = Rc::new(Shared {
            points_read: Cell::new(0),
            deadline: Instant::now() + settings.max_duration,
            active: RefCell::new(Vec::new()),
            active_keys: RefCell::new(Vec::new()),
        });
        SessionContext::with_shared(snapshot, model, target, settings, shared)
    }

    fn with_shared(
        snapshot: &'a SnapshotView<'a>,
        model: &'a Model,
        target: Target,
        settings: &'a CalcSettings,
        shared: Rc<Shared>,
    ) -> SessionContext<'a> {
        let current = match target {
            Target::Object(id) => Some(id),
            Target::Attribute(id) => model.attribute(id).map(|a| a.object.id),
            Target::Key(_) | Target::Nothing => None,
        };
        SessionContext {
            snapshot,
            model,
            target,
            current,
            settings,
            engine: settings.engine_settings(),
            shared,
        }
    }

    /// Evaluates `expression` over `interval`, within what is left of the
    /// request's budget and time.
    pub fn evaluate(
        &self,
        expression: &str,
        interval: Interval,
    ) -> Result<Option<Value>, CalcError> {
        let mut limits = self.settings.limits();
        limits.max_duration = self
            .shared
            .deadline
            .saturating_duration_since(Instant::now());
        limits.max_points = limits
            .max_points
            .saturating_sub(self.shared.points_read.get());
        Ok(mesh_calc::evaluate(
            expression,
            self,
            interval,
            &self.engine,
            &limits,
        )?)
    }

    /// What calculated attribute `id` reads as over `interval`.
    pub fn attribute_series(&self, id: Uuid, interval: Interval) -> Result<Series, CalcError> {
        let found = self
            .model
            .attribute(id)
            .ok_or_else(|| CalcError::Invalid(format!("attribute {id} not found")))?;
        let path = self
            .model
            .attribute_path(id)
            .unwrap_or_else(|_| id.to_string());
        let expression = expression_of(&found).unwrap_or_default();
        if expression.trim().is_empty() {
            return Err(CalcError::Invalid(format!(
                "attribute {path} has neither a physical series nor an expression"
            )));
        }
        if self.shared.active.borrow().contains(&id) {
            return Err(CalcError::Invalid(format!(
                "the expression of attribute {path} depends on itself"
            )));
        }
        let depth = self.shared.active.borrow().len() + self.shared.active_keys.borrow().len();
        if depth >= MAX_NESTING {
            return Err(CalcError::Eval(EvalError::Limit(format!(
                "calculated series nest deeper than {MAX_NESTING} at attribute {path}"
            ))));
        }
        self.shared.active.borrow_mut().push(id);
        let nested = SessionContext::with_shared(
            self.snapshot,
            self.model,
            Target::Attribute(id),
            self.settings,
            self.shared.clone(),
        );
        let value = nested.evaluate(&expression, interval);
        self.shared.active.borrow_mut().pop();
        match value? {
            Some(value) => as_series(value, interval, &format!("attribute {path}")),
            None => Ok(Series::empty_at(interval.start_ms)),
        }
    }

    /// What virtual series `key` with `expression` reads as over
    /// `interval`: its expression, evaluated relative to nothing (it may
    /// name other resources, `%'/path'`).
    pub fn virtual_series(
        &self,
        key: i64,
        expression: &str,
        interval: Interval,
    ) -> Result<Series, CalcError> {
        let what = format!("virtual time series {key}");
        if self.shared.active_keys.borrow().contains(&key) {
            return Err(CalcError::Invalid(format!(
                "the expression of {what} depends on itself"
            )));
        }
        let depth = self.shared.active.borrow().len() + self.shared.active_keys.borrow().len();
        if depth >= MAX_NESTING {
            return Err(CalcError::Eval(EvalError::Limit(format!(
                "calculated series nest deeper than {MAX_NESTING} at {what}"
            ))));
        }
        self.shared.active_keys.borrow_mut().push(key);
        let nested = SessionContext::with_shared(
            self.snapshot,
            self.model,
            Target::Nothing,
            self.settings,
            self.shared.clone(),
        );
        let value = nested.evaluate(expression, interval);
        self.shared.active_keys.borrow_mut().pop();
        match value? {
            Some(value) => as_series(value, interval, &what),
            None => Ok(Series::empty_at(interval.start_ms)),
        }
    }

    /// The series of time series attribute `id`: its physical series, or
    /// its expression's result; `None` when it has neither.
    fn series_of_attribute(
        &self,
        found: &AttributeRef<'_>,
        interval: Interval,
    ) -> Result<Option<Series>, ContextError> {
        let (key, _) = found.slot.timeseries();
        if key != 0 {
            return self.read_key(key, interval);
        }
        if expression_of(found).is_none_or(|e| e.trim().is_empty()) {
            return Ok(None);
        }
        self.attribute_series(found.slot.id, interval)
            .map(Some)
            .map_err(|e| {
                let path = self.model.attribute_path(found.slot.id).unwrap_or_default();
                nested_error(&format!("attribute {path}"), e)
            })
    }

    /// Series `key` over `interval`, as reads answer it: a physical
    /// series' points, a virtual series' result.
    fn read_key(&self, key: i64, interval: Interval) -> Result<Option<Series>, ContextError> {
        let answer = match self.snapshot.read(
            key,
            (interval.start_ms, interval.end_ms),
            self.settings.read_limit,
        ) {
            Ok(answer) => answer,
            Err(ViewError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(view_error(e)),
        };
        if let Some(expression) = &answer.meta.virtual_expression {
            return self
                .virtual_series(key, expression, interval)
                .map(Some)
                .map_err(|e| nested_error(&format!("virtual time series {key}"), e));
        }
        self.counted(key, &answer).map(Some)
    }

    /// A read's points as a series, counted against the evaluation's
    /// budget.
    fn counted(&self, key: i64, answer: &ReadAnswer) -> Result<Series, ContextError> {
        self.count_read(answer.points.len())?;
        Series::from_points(
            &answer.points,
            answer.meta.resolution,
            answer.meta.curve_type,
        )
        .map_err(|e| ContextError::Failed(format!("series {key}: {e}")))
    }

    /// Counts `points` read against the evaluation's budget.
    fn count_read(&self, points: usize) -> Result<(), ContextError> {
        let read = self.shared.points_read.get() + points;
        self.shared.points_read.set(read);
        if read > self.settings.max_points {
            return Err(ContextError::Limit(format!(
                "the evaluation reads more than {} points",
                self.settings.max_points
            )));
        }
        Ok(())
    }

    /// What `query` finds from the current object (nothing without one).
    fn hits(&self, query: &str) -> Result<Vec<search::Hit<Uuid>>, ContextError> {
        let Some(start) = self.current else {
            return Ok(Vec::new());
        };
        let refused = |e: &dyn std::fmt::Display| {
            ContextError::Invalid(format!(
                "search '{}': {e}",
                mesh_timeseries::echo::echo(query)
            ))
        };
        let parsed = search::parse(query).map_err(|e| refused(&e))?;
        let mut budget = Budget::new(MAX_VISITED);
        search::run(self.model, start, &parsed, &mut budget).map_err(|e| refused(&e))
    }

    /// The attributes `query` finds from the current object.
    fn found(&self, query: &str) -> Result<Vec<AttributeRef<'a>>, ContextError> {
        let hits = self.hits(query)?;
        let model = self.model;
        Ok(hits
            .into_iter()
            .filter_map(|hit| {
                let name = hit.attribute?;
                let object = model.object(hit.object)?;
                model
                    .attributes_of(object)
                    .find(|a| a.attribute_type.name == name)
            })
            .collect())
    }

    /// The series of every time series attribute `reference` names.
    fn all_series(
        &self,
        reference: &SeriesRef,
        interval: Interval,
        first_only: bool,
    ) -> Result<Option<Vec<Series>>, ContextError> {
        match reference {
            SeriesRef::Target => Ok(self.target_series(interval)?.map(|s| vec![s])),
            SeriesRef::Resource(path) => Ok(self.resource(path, interval)?.map(|s| vec![s])),
            SeriesRef::Search(query) => {
                let mut out = Vec::new();
                for found in self.found(query)? {
                    if !matches!(
                        found.attribute_type.kind,
                        mesh_model::TypeKind::Timeseries { .. }
                    ) {
                        continue;
                    }
                    if let Some(series) = self.series_of_attribute(&found, interval)? {
                        out.push(series);
                        if first_only {
                            break;
                        }
                    }
                }
                Ok((!out.is_empty()).then_some(out))
            }
        }
    }

    fn target_series(&self, interval: Interval) -> Result<Option<Series>, ContextError> {
        match self.target {
            Target::Object(_) | Target::Nothing => Ok(None),
            Target::Key(key) => self.read_key(key, interval),
            Target::Attribute(id) => match self.model.attribute(id) {
                Some(found) => self.series_of_attribute(&found, interval),
                None => Ok(None),
            },
        }
    }

    /// The series resource at `path` (`/catalog/name`; `Resource/…` as
    /// resources are named in answers is accepted too).
    fn resource(&self, path: &str, interval: Interval) -> Result<Option<Series>, ContextError> {
        match self.resource_key(path)? {
            Some(key) => self.read_key(key, interval),
            None => Ok(None),
        }
    }

    /// The key of the series resource at `path`, as [`Self::resource`]
    /// names it.
    fn resource_key(&self, path: &str) -> Result<Option<i64>, ContextError> {
        self.snapshot
            .series_at_path(path.strip_prefix("Resource").unwrap_or(path))
            .map_err(|e| ContextError::Failed(e.to_string()))
    }

    /// The key of the stored (physical) series `reference` names, for
    /// the history functions; `None` when it names nothing. A calculated
    /// attribute or a virtual series has no history of its own: refused.
    fn stored_key(&self, reference: &SeriesRef) -> Result<Option<i64>, ContextError> {
        let calculated = |what: String| {
            ContextError::Invalid(format!(
                "{what} is calculated: history is kept of stored series only"
            ))
        };
        let of_attribute = |found: &AttributeRef<'_>| {
            let (key, _) = found.slot.timeseries();
            if key != 0 {
                Ok(Some(key))
            } else if expression_of(found).is_some_and(|e| !e.trim().is_empty()) {
                let path = self.model.attribute_path(found.slot.id).unwrap_or_default();
                Err(calculated(format!("attribute {path}")))
            } else {
                Ok(None)
            }
        };
        let key = match reference {
            SeriesRef::Target => match self.target {
                Target::Object(_) | Target::Nothing => None,
                Target::Key(key) => Some(key),
                Target::Attribute(id) => match self.model.attribute(id) {
                    Some(found) => of_attribute(&found)?,
                    None => None,
                },
            },
            SeriesRef::Resource(path) => self.resource_key(path)?,
            SeriesRef::Search(query) => {
                let mut first = None;
                for found in self.found(query)? {
                    if matches!(
                        found.attribute_type.kind,
                        mesh_model::TypeKind::Timeseries { .. }
                    ) {
                        if let Some(key) = of_attribute(&found)? {
                            first = Some(key);
                            break;
                        }
                    }
                }
                first
            }
        };
        let Some(key) = key else {
            return Ok(None);
        };
        match self.snapshot.series(key) {
            Ok(meta) if meta.virtual_expression.is_some() => {
                Err(calculated(format!("virtual time series {key}")))
            }
            Ok(_) => Ok(Some(key)),
            Err(ViewError::NotFound(_)) => Ok(None),
            Err(e) => Err(ContextError::Failed(e.to_string())),
        }
    }

    fn object_info(&self, id: Uuid) -> Option<ObjectInfo> {
        let object = self.model.object(id)?;
        Some(ObjectInfo {
            name: object.name.clone(),
            type_name: self
                .model
                .object_definition(object.definition)
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            id: object.id.to_string(),
            path: self.model.object_path(id).unwrap_or_default(),
        })
    }

    /// The first attribute holding `pick`'s kind: the one `query` finds, or
    /// among the current object's own when `query` is `None`.
    fn held<T>(
        &self,
        query: Option<&str>,
        pick: impl Fn(&Held) -> Option<T>,
    ) -> Result<Option<T>, ContextError> {
        let candidates: Vec<AttributeRef<'a>> = match query {
            Some(query) => self.found(query)?,
            None => match self.current.and_then(|id| self.model.object(id)) {
                Some(object) => self.model.attributes_of(object).collect(),
                None => Vec::new(),
            },
        };
        Ok(candidates
            .iter()
            .find_map(|a| a.slot.held.as_deref().and_then(&pick)))
    }
}

/// An attribute's expression: its own, else its definition's template.
/// A local expression set to "" does not count: it brings the template
/// back.
fn expression_of(found: &AttributeRef<'_>) -> Option<String> {
    let (_, local) = found.slot.timeseries();
    if let Some(local) = local.filter(|l| !l.trim().is_empty()) {
        return Some(local.to_string());
    }
    match &found.definition.rules {
        DefinitionRules::Timeseries {
            template_expression,
        } if !template_expression.trim().is_empty() => Some(template_expression.clone()),
        _ => None,
    }
}

/// A nested calculated series' failure, as the port reports it.
/// A read's failure as the engine's.
fn view_error(error: ViewError) -> ContextError {
    match error {
        ViewError::TooLarge(m) => ContextError::Limit(m),
        ViewError::InvalidArgument(m) => ContextError::Invalid(m),
        e => ContextError::Failed(e.to_string()),
    }
}

fn nested_error(what: &str, error: CalcError) -> ContextError {
    let message = format!("{what}: {error}");
    match error {
        CalcError::Eval(EvalError::Limit(_) | EvalError::Deadline(_)) => {
            ContextError::Limit(message)
        }
        CalcError::Eval(EvalError::Context {
            error: ContextError::Limit(_),
            ..
        }) => ContextError::Limit(message),
        CalcError::View(_) => ContextError::Failed(message),
        _ => ContextError::Invalid(message),
    }
}

fn ms(ticks: i64) -> i64 {
    ticks.div_euclid(TICKS_PER_MS)
}

impl Context for SessionContext<'_> {
    fn series(
        &self,
        reference: &SeriesRef,
        interval: Interval,
    ) -> Result<Option<Series>, ContextError> {
        Ok(self
            .all_series(reference, interval, true)?
            .and_then(|mut all| (!all.is_empty()).then(|| all.swap_remove(0))))
    }

    fn series_array(
        &self,
        reference: &SeriesRef,
        interval: Interval,
    ) -> Result<Option<Vec<Series>>, ContextError> {
        self.all_series(reference, interval, false)
    }

    fn numbers(&self, query: &str) -> Result<Option<Vec<f64>>, ContextError> {
        let numbers: Vec<f64> = self
            .found(query)?
            .iter()
            .flat_map(|a| a.slot.values.iter())
            .filter_map(|v| match v {
                mesh_model::Value::Double(x) => Some(*x),
                mesh_model::Value::Int(i) => Some(*i as f64),
                mesh_model::Value::Bool(b) => Some(f64::from(u8::from(*b))),
                _ => None,
            })
            .collect();
        Ok((!numbers.is_empty()).then_some(numbers))
    }

    fn strings(&self, query: &str) -> Result<Option<Vec<String>>, ContextError> {
        let texts: Vec<String> = self
            .found(query)?
            .iter()
            .flat_map(|a| a.slot.values.iter())
            .filter_map(|v| match v {
                mesh_model::Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        Ok((!texts.is_empty()).then_some(texts))
    }

    fn rating_curve(
        &self,
        query: Option<&str>,
        _interval: Interval,
    ) -> Result<Option<Vec<RatingCurveVersion>>, ContextError> {
        self.held(query, |held| match held {
            Held::RatingCurve(versions) => Some(
                versions
                    .iter()
                    .map(|v| RatingCurveVersion {
                        valid_from_ms: ms(v.valid_from),
                        x_range_from: v.x_from,
                        segments: v
                            .segments
                            .iter()
                            .map(|s| RatingSegment {
                                x_range_until: s.x_until,
                                factor_a: s.a,
                                factor_b: s.b,
                                factor_c: s.c,
                            })
                            .collect(),
                    })
                    .collect(),
            ),
            _ => None,
        })
    }

    fn xy_sets(
        &self,
        query: &str,
        _interval: Interval,
    ) -> Result<Option<Vec<XySetVersion>>, ContextError> {
        self.held(Some(query), |held| match held {
            Held::XySets(sets) => Some(
                sets.iter()
                    .map(|set| XySetVersion {
                        valid_from_ms: set.valid_from.map(ms),
                        curves: set
                            .curves
                            .iter()
                            .map(|c| XyCurve {
                                reference_value: c.reference,
                                xs: c.x.clone(),
                                ys: c.y.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            ),
            _ => None,
        })
    }

    fn object(&self, query: Option<&str>) -> Result<Option<ObjectInfo>, ContextError> {
        let Some(query) = query else {
            return Ok(self.current.and_then(|id| self.object_info(id)));
        };
        Ok(self
            .hits(query)?
            .first()
            .and_then(|hit| self.object_info(hit.object)))
    }

    fn writes(
        &self,
        reference: &SeriesRef,
        interval: Interval,
    ) -> Result<Option<Vec<WriteInfo>>, ContextError> {
        let Some(key) = self.stored_key(reference)? else {
            return Ok(None);
        };
        let writes = self
            .snapshot
            .writes(key, (interval.start_ms, interval.end_ms))
            .map_err(|e| ContextError::Failed(e.to_string()))?;
        Ok(Some(
            writes
                .into_iter()
                .map(|w| WriteInfo {
                    seq: w.seq,
                    commit_ms: w.commit_ms,
                    start_ms: w.start_ms,
                    end_ms: w.end_ms,
                })
                .collect(),
        ))
    }

    fn series_as_of(
        &self,
        reference: &SeriesRef,
        interval: Interval,
        at: AsOf,
    ) -> Result<Option<Series>, ContextError> {
        let Some(key) = self.stored_key(reference)? else {
            return Ok(None);
        };
        let undo = match at {
            AsOf::After(ms) => Undo::After(ms),
            AsOf::Before(seq) => Undo::From(seq),
        };
        let answer = self
            .snapshot
            .read_as_of(
                key,
                (interval.start_ms, interval.end_ms),
                self.settings.read_limit,
                undo,
            )
            .map_err(view_error)?;
        self.counted(key, &answer).map(Some)
    }

    fn log(&self, level: LogLevel, message: &str) {
        let message = mesh_timeseries::echo::echo(message);
        match level {
            LogLevel::Info => tracing::info!(target: "mesh::calc", "{message}"),
            LogLevel::Warning => tracing::warn!(target: "mesh::calc", "{message}"),
            LogLevel::Error => tracing::error!(target: "mesh::calc", "{message}"),
        }
    }
}
