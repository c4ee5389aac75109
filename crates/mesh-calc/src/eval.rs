//! The evaluator: runs a [`Program`] statement by statement over a
//! [`Context`], within a point budget.

use std::collections::HashMap;

use crate::ast::{Expr, ExprKind, Program, Statement, StatementKind, UnaryOp};
use crate::context::{Context, Interval};
use crate::error::EvalError;
use crate::lexer::Span;
use crate::ops::{self, Column};
use crate::value::{Series, Value};
use crate::{functions, parser, Limits};

/// Parses and evaluates `source`: the value last assigned to `##`, or
/// `None` when the program never assigns it.
pub fn evaluate(
    source: &str,
    context: &dyn Context,
    interval: Interval,
    limits: &Limits,
) -> Result<Option<Value>, EvalError> {
    let program = parser::parse(source, limits)?;
    Evaluator::new(context, interval, limits).run(&program)
}

/// The state of one evaluation.
pub struct Evaluator<'a> {
    context: &'a dyn Context,
    interval: Interval,
    max_points: usize,
    points_used: usize,
    /// Variables by name, case-sensitive (docs/decisions.md).
    variables: HashMap<String, Value>,
    result: Option<Value>,
}

impl<'a> Evaluator<'a> {
    /// A fresh evaluation.
    pub fn new(context: &'a dyn Context, interval: Interval, limits: &Limits) -> Self {
        Evaluator {
            context,
            interval,
            max_points: limits.max_points,
            points_used: 0,
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

    /// Charges `points` against the budget before they are made.
    fn charge(&mut self, points: usize, span: Span) -> Result<(), EvalError> {
        self.points_used = self.points_used.saturating_add(points);
        if self.points_used > self.max_points {
            return Err(EvalError::Limit(format!(
                "line {}, column {}: the evaluation needs more than {} points",
                span.line, span.column, self.max_points
            )));
        }
        Ok(())
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
            ExprKind::Call { name, args } => {
                let args = args
                    .iter()
                    .map(|a| self.expr(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let value = functions::call(name, self.context, self.interval, args)
                    .map_err(|m| EvalError::at(e.span, m))?;
                self.charge(value.point_count(), e.span)?;
                Ok(value)
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
