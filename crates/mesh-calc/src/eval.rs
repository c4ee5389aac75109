//! The evaluator: runs a [`Program`] statement by statement over a
//! [`Context`], within a point budget.

use std::collections::HashMap;
use std::time::Instant;

use crate::ast::{Expr, ExprKind, Program, Statement, StatementKind, UnaryOp};
use crate::context::{Context, Interval, SeriesRef};
use crate::error::EvalError;
use crate::functions::{Call, FnError, Periods};
use crate::lexer::Span;
use crate::ops::{self, Column};
use crate::value::{Series, Value};
use crate::{functions, parser, Limits, Settings};

/// The most periods `@PushExtPeriod` may stack.
const MAX_PUSHED_PERIODS: usize = 64;

/// Parses and evaluates `source` over `interval`: the value last assigned
/// to `##`, or `None` when the program never assigns it.
pub fn evaluate(
    source: &str,
    context: &dyn Context,
    interval: Interval,
    settings: &Settings,
    limits: &Limits,
) -> Result<Option<Value>, EvalError> {
    let program = parser::parse(source, limits)?;
    Evaluator::new(context, interval, settings, limits).run(&program)
}

/// The state of one evaluation.
pub struct Evaluator<'a> {
    context: &'a dyn Context,
    settings: &'a Settings,
    periods: Periods,
    max_points: usize,
    points_used: usize,
    deadline: Instant,
    /// Variables by name, case-sensitive (docs/decisions.md).
    variables: HashMap<String, Value>,
    result: Option<Value>,
}

impl<'a> Evaluator<'a> {
    /// A fresh evaluation.
    pub fn new(
        context: &'a dyn Context,
        interval: Interval,
        settings: &'a Settings,
        limits: &Limits,
    ) -> Self {
        Evaluator {
            context,
            settings,
            periods: Periods::new(interval),
            max_points: limits.max_points,
            points_used: 0,
            deadline: Instant::now() + limits.max_duration,
            variables: HashMap::new(),
            result: None,
        }
    }

    /// Runs `program`; the last value of `##`.
    pub fn run(mut self, program: &Program) -> Result<Option<Value>, EvalError> {
        self.block(&program.statements)?;
        Ok(self.result)
    }

    fn block(&mut self, statements: &[Statement]) -> Result<(), EvalError> {
        for statement in statements {
            self.charge(0, statement.span)?;
            match &statement.kind {
                StatementKind::SetResult(e) => self.result = Some(self.expr(e)?),
                StatementKind::Assign { name, value } => {
                    let v = self.expr(value)?;
                    self.variables.insert(name.clone(), v);
                }
                StatementKind::Call(e) => {
                    self.expr(e)?;
                }
                StatementKind::If { condition, body } => {
                    // A number condition holds when non-zero and not NaN;
                    // series conditions are not defined by the sources.
                    match self.expr(condition)? {
                        Value::Number(x) => {
                            if x != 0.0 && !x.is_nan() {
                                self.block(body)?;
                            }
                        }
                        other => {
                            return Err(EvalError::at(
                                condition.span,
                                format!(
                                    "an IF condition must be a number (d), not a {}",
                                    other.value_type()
                                ),
                            ))
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Charges `points` against the budget before they are made, and
    /// checks the clock.
    fn charge(&mut self, points: usize, span: Span) -> Result<(), EvalError> {
        self.points_used = self.points_used.saturating_add(points);
        if self.points_used > self.max_points {
            return Err(EvalError::Limit(format!(
                "line {}, column {}: the evaluation needs more than {} points",
                span.line, span.column, self.max_points
            )));
        }
        if Instant::now() > self.deadline {
            return Err(EvalError::Deadline(format!(
                "line {}, column {}: the evaluation ran out of time",
                span.line, span.column
            )));
        }
        Ok(())
    }

    /// Runs function `name` at `span`: arguments read over the current
    /// period, again over a wider one when the function needs it (calc
    /// notes §3.3), then its body.
    fn call(
        &mut self,
        name: &str,
        args: &[crate::ast::Expr],
        span: Span,
    ) -> Result<Value, EvalError> {
        let function = functions::lookup(name).ok_or_else(|| {
            EvalError::at(
                span,
                format!("unknown function '@{}'", crate::error::quote(name)),
            )
        })?;
        let mut values = self.arguments(args)?;
        let types: Vec<_> = values.iter().map(Value::value_type).collect();
        let form = function.form(&types).map_err(|e| self.fn_error(e, span))?;
        let interval = self.periods.current();
        if let Some(extension) = function.extension {
            let wider = extension(&self.call_state(interval, form), &values);
            if let Some(wider) = wider.filter(|w| *w != interval) {
                self.periods
                    .push(format!("@{}", function.name), wider.union(interval));
                let again = self.arguments(args);
                self.periods.pop(&format!("@{}", function.name));
                values = again?;
                let types: Vec<_> = values.iter().map(Value::value_type).collect();
                if function.form(&types) != Ok(form) {
                    return Err(EvalError::at(
                        span,
                        format!(
                            "@{}: the arguments changed type when read over a wider period",
                            function.name
                        ),
                    ));
                }
            }
        }
        let mut call = self.call_state(interval, form);
        let value = (function.body)(&mut call, values).map_err(|e| self.fn_error(e, span))?;
        if self.periods.depth() > MAX_PUSHED_PERIODS {
            return Err(EvalError::Limit(format!(
                "line {}, column {}: more than {MAX_PUSHED_PERIODS} periods pushed",
                span.line, span.column
            )));
        }
        self.charge(value.point_count(), span)?;
        Ok(value)
    }

    fn arguments(&mut self, args: &[crate::ast::Expr]) -> Result<Vec<Value>, EvalError> {
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn call_state(&mut self, interval: Interval, form: usize) -> Call<'_> {
        Call {
            context: self.context,
            interval,
            settings: self.settings,
            periods: &mut self.periods,
            form,
            points_left: self.max_points.saturating_sub(self.points_used),
        }
    }

    fn fn_error(&self, error: FnError, span: Span) -> EvalError {
        match error {
            FnError::Invalid(message) => EvalError::at(span, message),
            FnError::Unimplemented(message) => EvalError::Unimplemented { span, message },
            FnError::Limit(message) => EvalError::Limit(format!(
                "line {}, column {}: {message}",
                span.line, span.column
            )),
            FnError::Context(error) => EvalError::Context { span, error },
        }
    }

    fn expr(&mut self, e: &Expr) -> Result<Value, EvalError> {
        match &e.kind {
            ExprKind::Number(n) => Ok(Value::Number(*n)),
            ExprKind::Str(s) => Ok(Value::String(s.clone())),
            ExprKind::Var(name) => self.variables.get(name).cloned().ok_or_else(|| {
                EvalError::at(
                    e.span,
                    format!("unknown variable '{}'", crate::error::quote(name)),
                )
            }),
            ExprKind::Result => self
                .result
                .clone()
                .ok_or_else(|| EvalError::at(e.span, "'##' read before it is assigned")),
            ExprKind::Array(members) => {
                let values = members
                    .iter()
                    .map(|m| self.expr(m))
                    .collect::<Result<Vec<_>, _>>()?;
                array(values, e.span)
            }
            ExprKind::Call { name, args } => self.call(name, args, e.span),
            ExprKind::Resource(path) => {
                let reference = SeriesRef::Resource(path.clone());
                let found = self
                    .context
                    .series(&reference, self.periods.current())
                    .map_err(|error| EvalError::Context {
                        span: e.span,
                        error,
                    })?;
                let series = match found {
                    Some(series) => series.with_origin(reference),
                    None => Series::empty_at(self.periods.current().start_ms),
                };
                self.charge(series.len(), e.span)?;
                Ok(Value::Series(series))
            }
            ExprKind::Unary(op, x) => {
                let x = self.expr(x)?;
                self.unary(*op, x, e.span)
            }
            ExprKind::Binary(op, a, b) => {
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                self.elementwise(e.span, op.symbol(), &[a, b], |c| {
                    ops::binary(*op, &c[0], &c[1])
                })
            }
            ExprKind::Ternary(c, a, b) => {
                let c = self.expr(c)?;
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                if let Value::Number(x) = c {
                    // A number condition picks a whole operand, whatever
                    // its type; NaN counts as false, as in IF.
                    return Ok(if x != 0.0 && !x.is_nan() { a } else { b });
                }
                self.elementwise(e.span, "?:", &[c, a, b], |c| {
                    ops::select(&c[0], &c[1], &c[2])
                })
            }
        }
    }

    fn unary(&mut self, op: UnaryOp, x: Value, span: Span) -> Result<Value, EvalError> {
        let symbol = match op {
            UnaryOp::Neg => "-",
            UnaryOp::Not => "!",
        };
        self.elementwise(span, symbol, &[x], |c| match op {
            UnaryOp::Neg => ops::negate(&c[0]),
            UnaryOp::Not => ops::not(&c[0]),
        })
    }

    /// Runs a column operator on numbers and series: all numbers give a
    /// number (the same rules, on one-step columns, flags dropped); with a
    /// series, every operand is read on the common axis.
    fn elementwise(
        &mut self,
        span: Span,
        symbol: &str,
        operands: &[Value],
        op: impl Fn(&[Column]) -> Column,
    ) -> Result<Value, EvalError> {
        let mut series: Vec<&Series> = Vec::new();
        for v in operands {
            match v {
                Value::Number(_) => {}
                Value::Series(s) => series.push(s),
                other => {
                    return Err(EvalError::at(
                        span,
                        format!(
                            "'{symbol}' takes numbers (d) and series (t), not a {}",
                            other.value_type()
                        ),
                    ))
                }
            }
        }
        if series.is_empty() {
            let columns: Vec<Column> = operands
                .iter()
                .map(|v| match v {
                    Value::Number(x) => ops::broadcast(*x, 1),
                    _ => ops::broadcast(f64::NAN, 1),
                })
                .collect();
            return Ok(Value::Number(op(&columns).values.value(0)));
        }
        // Budget first: the axis is at most the sum of the inputs.
        let bound = ops::axis_bound(&series);
        self.charge(bound.saturating_mul(operands.len() + 1), span)?;
        let axis = ops::axis(&series);
        let columns: Vec<Column> = operands
            .iter()
            .map(|v| match v {
                Value::Series(s) => ops::read_at(s, &axis.timestamps),
                Value::Number(x) => ops::broadcast(*x, axis.timestamps.len()),
                _ => ops::broadcast(f64::NAN, axis.timestamps.len()),
            })
            .collect();
        let column = op(&columns);
        Ok(Value::Series(ops::series(axis, column)))
    }
}

/// An array literal: all members of one of the types d, s, t.
fn array(values: Vec<Value>, span: Span) -> Result<Value, EvalError> {
    let first = values
        .first()
        .map(Value::value_type)
        .ok_or_else(|| EvalError::at(span, "an array needs at least one member"))?;
    let mismatch = |v: &Value| {
        EvalError::at(
            span,
            format!(
                "array members must all be of one type: {} and {}",
                first,
                v.value_type()
            ),
        )
    };
    match values[0] {
        Value::Number(_) => values
            .iter()
            .map(|v| {
                if let Value::Number(x) = v {
                    Ok(*x)
                } else {
                    Err(mismatch(v))
                }
            })
            .collect::<Result<_, _>>()
            .map(Value::Numbers),
        Value::String(_) => values
            .iter()
            .map(|v| {
                if let Value::String(x) = v {
                    Ok(x.clone())
                } else {
                    Err(mismatch(v))
                }
            })
            .collect::<Result<_, _>>()
            .map(Value::Strings),
        Value::Series(_) => values
            .into_iter()
            .map(|v| {
                if let Value::Series(x) = v {
                    Ok(x)
                } else {
                    Err(mismatch(&v))
                }
            })
            .collect::<Result<_, _>>()
            .map(Value::SeriesArray),
        _ => Err(EvalError::at(
            span,
            format!("arrays of arrays do not exist, found a {first}"),
        )),
    }
}
