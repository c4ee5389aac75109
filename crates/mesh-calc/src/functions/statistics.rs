//! Statistics over series, arrays and periods.

use arrow_arith::boolean;
use arrow_array::{Float64Array, UInt32Array};
use arrow_ord::cmp;
use mesh_timeseries::flags::{MISSING, SUSPECT};
use mesh_timeseries::{CurveType, Resolution};

use super::{Call, FnError, Function, Signature};
use crate::ast::BinaryOp;
use crate::ops;
use crate::value::{Series, Value, ValueType as V};

/// The statistics functions.
pub(super) const FUNCTIONS: &[&Function] = &[&SUM, &MEAN, &MAX, &MIN];

/// `@SUM(t) -> d`: the sum of the non-NaN values read (a linear series'
/// end point included, §7); NaN when there is none. `@SUM(D) -> d`: NaN as
/// soon as a member is NaN or the array is empty (the TsCalcAtt evidence,
/// calc notes §6.3). `@SUM(T) -> t`: per step with the `+` rule (a
/// missing member marks the step SUSPECT, fn/status via §3.4); an empty
/// array gives the empty series, so the answer is still one series.
const SUM: Function = Function {
    name: "SUM",
    signatures: &[
        Signature {
            params: &[V::Series],
            returns: V::Number,
        },
        Signature {
            params: &[V::Numbers],
            returns: V::Number,
        },
        Signature {
            params: &[V::SeriesArray],
            returns: V::Series,
        },
    ],
    body: sum,
    extension: None,
};

/// The body of [`SUM`].
fn sum(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    match args.into_iter().next() {
        Some(Value::Series(s)) => Ok(Value::Number(
            arrow_arith::aggregate::sum(&valid_values(&s)).unwrap_or(f64::NAN),
        )),
        Some(Value::Numbers(d)) => {
            if d.is_empty() {
                return Ok(Value::Number(f64::NAN));
            }
            Ok(Value::Number(d.iter().sum()))
        }
        Some(Value::SeriesArray(members)) => {
            let refs: Vec<&Series> = members.iter().collect();
            if refs.is_empty() {
                return Ok(Value::Series(Series::empty_at(call.interval.start_ms)));
            }
            let axis = ops::axis(&refs);
            call.allow(axis.timestamps.len())?;
            let mut columns = refs.iter().map(|s| ops::read_at(s, &axis.timestamps));
            let first = columns.next().expect("one member at least");
            let total = columns.fold(first, |acc, c| ops::binary(BinaryOp::Add, &acc, &c));
            Ok(Value::Series(ops::series(axis, total)))
        }
        _ => Err("@SUM: argument of no declared form".into()),
    }
}

/// The values of a series that are not NaN, for the period reductions
/// (`(t) -> d`): a missing value is no value, not a zero.
fn valid_values(s: &Series) -> Float64Array {
    s.values()
        .values()
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .map(Some)
        .collect()
}

/// The axis several series are combined on per step: the union of their
/// instants (§3.2, linear if any is). The MEAN, MAX and MIN pages give the
/// resolution: the members' own when they all share one, else breakpoint
/// (not the finer one, as for operators).
pub(super) fn members_axis(call: &Call<'_>, members: &[&Series]) -> Result<ops::Axis, FnError> {
    call.allow(ops::axis_bound(members))?;
    let mut axis = ops::axis(members);
    let first = members.first().map(|s| s.resolution());
    if members.iter().any(|s| Some(s.resolution()) != first) {
        axis.resolution = Resolution::Breakpoint;
    }
    Ok(axis)
}

/// `@MEAN(t) -> t`: the mean of the non-NaN values read for the period (a
/// linear series' end point included, as SUM), answered as a breakpoint
/// series holding that value from the period's start: the page's "repeated
/// throughout the entire result series as a break point series", in one
/// point (NaN, MISSING when no value was read). `@MEAN(T) -> t`: per step,
/// the mean of the members that have a value; SUSPECT where some member is
/// missing (as SUM's `+` rule), NaN MISSING where all are; an empty array
/// gives the empty series. `@MEAN(D) -> d`: the arithmetic mean, NaN for
/// a NaN member or an empty array (as SUM(D)).
const MEAN: Function = Function {
    name: "MEAN",
    signatures: &[
        Signature {
            params: &[V::Series],
            returns: V::Series,
        },
        Signature {
            params: &[V::SeriesArray],
            returns: V::Series,
        },
        Signature {
            params: &[V::Numbers],
            returns: V::Number,
        },
    ],
    body: mean,
    extension: None,
};

/// The body of [`MEAN`].
fn mean(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    match args.into_iter().next() {
        Some(Value::Series(s)) => {
            let valid = valid_values(&s);
            let total = arrow_arith::aggregate::sum(&valid);
            let (value, flags) = match total {
                Some(t) if !valid.is_empty() => (t / valid.len() as f64, 0),
                _ => (f64::NAN, MISSING),
            };
            Ok(Value::Series(Series::from_parts(
                vec![call.interval.start_ms].into(),
                vec![value].into(),
                vec![flags].into(),
                Resolution::Breakpoint,
                CurveType::StaircaseStartOfStep,
            )))
        }
        Some(Value::SeriesArray(members)) => {
            let refs: Vec<&Series> = members.iter().collect();
            if refs.is_empty() {
                return Ok(Value::Series(Series::empty_at(call.interval.start_ms)));
            }
            let axis = members_axis(call, &refs)?;
            let columns: Vec<ops::Column> = refs
                .iter()
                .map(|s| ops::read_at(s, &axis.timestamps))
                .collect();
            Ok(Value::Series(ops::series(axis, mean_columns(&columns))))
        }
        Some(Value::Numbers(d)) => {
            if d.is_empty() {
                return Ok(Value::Number(f64::NAN));
            }
            Ok(Value::Number(d.iter().sum::<f64>() / d.len() as f64))
        }
        _ => Err("@MEAN: argument of no declared form".into()),
    }
}

/// The per-step mean of aligned columns (at least one): sum and count of
/// the valid values as column kernels, then the flags of the `+` rule:
/// SUSPECT where a member is missing (or was SUSPECT), MISSING where all
/// are.
fn mean_columns(columns: &[ops::Column]) -> ops::Column {
    let len = columns.first().map_or(0, |c| c.values.len());
    let mut total = Float64Array::from_value(0.0, len);
    let mut count = Float64Array::from_value(0.0, len);
    let mut suspect = UInt32Array::from_value(0, len);
    for c in columns {
        let nan = ops::nan_mask_of(&c.values);
        let zeroed = ops::zip_f64(&nan, &Float64Array::new_scalar(0.0), &c.values);
        total = arrow_arith::arity::binary(&total, &zeroed, |a, b| a + b).expect("same length");
        let one = ops::zip_f64(
            &nan,
            &Float64Array::new_scalar(0.0),
            &Float64Array::new_scalar(1.0),
        );
        count = arrow_arith::arity::binary(&count, &one, |a, b| a + b).expect("same length");
        // A missing member, or one already SUSPECT, makes the step SUSPECT.
        let own = ops::zip_u32(&nan, &UInt32Array::new_scalar(SUSPECT), &c.flags);
        suspect = arrow_arith::arity::binary(&suspect, &own, |a, b| a | (b & SUSPECT))
            .expect("same length");
    }
    let none = cmp::eq(&count, &Float64Array::new_scalar(0.0)).expect("same type");
    let values: Float64Array =
        arrow_arith::arity::binary(&total, &count, |t, n| t / n).expect("same length");
    ops::Column {
        values: ops::zip_f64(&none, &Float64Array::new_scalar(f64::NAN), &values),
        flags: ops::zip_u32(&none, &UInt32Array::new_scalar(MISSING), &suspect),
    }
}

/// Which extreme MAX and MIN look for.
#[derive(Clone, Copy, PartialEq)]
enum Extreme {
    /// The highest value.
    Max,
    /// The lowest value.
    Min,
}

impl Extreme {
    /// The function's name, for messages.
    fn name(self) -> &'static str {
        match self {
            Extreme::Max => "MAX",
            Extreme::Min => "MIN",
        }
    }

    /// The better of two numbers, NaN ignored unless both are.
    fn of(self, a: f64, b: f64) -> f64 {
        match self {
            Extreme::Max => a.max(b),
            Extreme::Min => a.min(b),
        }
    }
}

/// The forms of MAX and MIN (the MIN page's list; MAX's lacks `(d,t)`,
/// served as well since `(t,d)` is and the two are the same function).
const EXTREME_FORMS: &[Signature] = &[
    Signature {
        params: &[V::SeriesArray],
        returns: V::Series,
    },
    Signature {
        params: &[V::Numbers],
        returns: V::Number,
    },
    Signature {
        params: &[V::Series],
        returns: V::Number,
    },
    Signature {
        params: &[V::Series, V::Series],
        returns: V::Series,
    },
    Signature {
        params: &[V::SeriesArray, V::Series],
        returns: V::Series,
    },
    Signature {
        params: &[V::Series, V::SeriesArray],
        returns: V::Series,
    },
    Signature {
        params: &[V::Series, V::Number],
        returns: V::Series,
    },
    Signature {
        params: &[V::Number, V::Series],
        returns: V::Series,
    },
    Signature {
        params: &[V::Number, V::Number],
        returns: V::Number,
    },
    Signature {
        params: &[V::SeriesArray, V::SeriesArray],
        returns: V::Series,
    },
];

/// `@MAX`: the highest value. `(t) -> d` over the values read for the
/// period; `(D) -> d` and `(d,d) -> d` over the numbers; every other form
/// per step over the series (the arguments taken as one array, as the
/// page says of `(t,T)`, `(T,t)`, `(T,T)`), a number acting as a constant
/// series on the other's axis. NaN is ignored unless all are NaN (then
/// NaN, MISSING); the chosen member's flags are kept (MAX selects a value,
/// it does not compute one). A linear breakpoint result also gets the
/// points where linear segments cross (see `with_crossings`).
const MAX: Function = Function {
    name: "MAX",
    signatures: EXTREME_FORMS,
    body: |call, args| extreme(call, args, Extreme::Max),
    extension: None,
};

/// `@MIN`: the lowest value, in the forms and with the rules of [`MAX`].
const MIN: Function = Function {
    name: "MIN",
    signatures: EXTREME_FORMS,
    body: |call, args| extreme(call, args, Extreme::Min),
    extension: None,
};

/// The body of [`MAX`] and [`MIN`].
fn extreme(call: &mut Call<'_>, args: Vec<Value>, which: Extreme) -> Result<Value, FnError> {
    let mut args = args.into_iter();
    let (first, second) = (args.next(), args.next());
    match (first, second) {
        (Some(Value::Series(s)), None) => {
            let valid = valid_values(&s);
            let found = match which {
                Extreme::Max => arrow_arith::aggregate::max(&valid),
                Extreme::Min => arrow_arith::aggregate::min(&valid),
            };
            Ok(Value::Number(found.unwrap_or(f64::NAN)))
        }
        (Some(Value::Numbers(d)), None) => Ok(Value::Number(
            d.iter().copied().fold(f64::NAN, |a, b| which.of(a, b)),
        )),
        (Some(Value::Number(a)), Some(Value::Number(b))) => Ok(Value::Number(which.of(a, b))),
        // A number with a series: the series' own axis, the number
        // broadcast as a constant with no flags.
        (Some(Value::Series(s)), Some(Value::Number(d)))
        | (Some(Value::Number(d)), Some(Value::Series(s))) => {
            let c = extreme_columns(&[ops::column_of(&s), ops::broadcast(d, s.len())], which);
            Ok(Value::Series(s.with_columns(c.values, c.flags)))
        }
        (Some(a), b) => {
            let mut members = Vec::new();
            for v in std::iter::once(a).chain(b) {
                match v {
                    Value::Series(s) => members.push(s),
                    Value::SeriesArray(many) => members.extend(many),
                    _ => {
                        return Err(
                            format!("@{}: argument of no declared form", which.name()).into()
                        )
                    }
                }
            }
            let refs: Vec<&Series> = members.iter().collect();
            if refs.is_empty() {
                return Ok(Value::Series(Series::empty_at(call.interval.start_ms)));
            }
            let axis = members_axis(call, &refs)?;
            let columns: Vec<ops::Column> = refs
                .iter()
                .map(|s| ops::read_at(s, &axis.timestamps))
                .collect();
            let best = extreme_columns(&columns, which);
            // Irregular linear results gain the instants where the leading
            // member changes between two axis instants (the MAX page's
            // figure); fixed-interval results keep their steps.
            if axis.resolution == Resolution::Breakpoint && axis.curve == CurveType::PiecewiseLinear
            {
                let linear: Vec<bool> = refs.iter().map(|s| s.is_linear()).collect();
                let ts = axis.timestamps.values();
                let (t, column) =
                    with_crossings(ts, &columns, &linear, best, which, call.points_left)?;
                let axis = ops::Axis {
                    timestamps: t.into(),
                    ..axis
                };
                return Ok(Value::Series(ops::series(axis, column)));
            }
            Ok(Value::Series(ops::series(axis, best)))
        }
        (None, _) => Err(format!("@{}: argument of no declared form", which.name()).into()),
    }
}

/// The per-step extreme of aligned columns (at least one) as kernels: a
/// member replaces the running best where it has a value and the best has
/// none or is beaten; ties keep the earlier member. Steps where no member
/// has a value are NaN, MISSING.
fn extreme_columns(columns: &[ops::Column], which: Extreme) -> ops::Column {
    let Some((first, rest)) = columns.split_first() else {
        return ops::Column {
            values: Float64Array::from(Vec::<f64>::new()),
            flags: UInt32Array::from(Vec::<u32>::new()),
        };
    };
    let mut best = ops::Column {
        values: first.values.clone(),
        flags: first.flags.clone(),
    };
    for c in rest {
        // Arrow orders NaN above every number, so the NaN cases are masked
        // explicitly rather than left to the comparison.
        let beats = match which {
            Extreme::Max => cmp::gt(&c.values, &best.values),
            Extreme::Min => cmp::lt(&c.values, &best.values),
        }
        .expect("same type");
        let best_nan = ops::nan_mask_of(&best.values);
        let c_nan = ops::nan_mask_of(&c.values);
        let wanted = boolean::or(&best_nan, &beats).expect("same length");
        let take = boolean::and_not(&wanted, &c_nan).expect("same length");
        best = ops::Column {
            values: ops::zip_f64(&take, &c.values, &best.values),
            flags: ops::zip_u32(&take, &c.flags, &best.flags),
        };
    }
    let none = ops::nan_mask_of(&best.values);
    ops::Column {
        values: best.values,
        flags: ops::zip_u32(&none, &UInt32Array::new_scalar(MISSING), &best.flags),
    }
}

/// `best` (the per-step extreme on `ts`) with the crossing points of
/// linear segments added: between two axis instants every member is a
/// straight segment (a staircase member a flat one), and the extreme of
/// segments changes hands where the leading one is overtaken. Each
/// crossing is a point with the leader's value and the new leader's flags.
/// A member missing at either end of an interval takes no part in it. At
/// most `limit` points are made, else the call fails with a limit error.
fn with_crossings(
    ts: &[i64],
    columns: &[ops::Column],
    linear: &[bool],
    best: ops::Column,
    which: Extreme,
    limit: usize,
) -> Result<(Vec<i64>, ops::Column), FnError> {
    // MIN is MAX of the negated values.
    let k = if which == Extreme::Max { 1.0 } else { -1.0 };
    let (bv, bf) = (best.values.values(), best.flags.values());
    let mut t_out = Vec::with_capacity(ts.len());
    let mut v_out = Vec::with_capacity(ts.len());
    let mut f_out = Vec::with_capacity(ts.len());
    for i in 0..ts.len() {
        t_out.push(ts[i]);
        v_out.push(bv[i]);
        f_out.push(bf[i]);
        let Some(&t1) = ts.get(i + 1) else { break };
        let t0 = ts[i];
        // Each taking part: (start, slope per unit of the interval, member).
        let segments: Vec<(f64, f64, usize)> = columns
            .iter()
            .enumerate()
            .filter_map(|(m, c)| {
                let v0 = c.values.values()[i];
                let v1 = if linear[m] {
                    c.values.values()[i + 1]
                } else {
                    v0
                };
                (!v0.is_nan() && !v1.is_nan()).then_some((k * v0, k * (v1 - v0), m))
            })
            .collect();
        // The leader just after t0: the highest start, the steeper on a tie.
        let Some(mut leader) = segments.iter().copied().reduce(|a, b| {
            if b.0 > a.0 || (b.0 == a.0 && b.1 > a.1) {
                b
            } else {
                a
            }
        }) else {
            continue;
        };
        let mut at = 0.0;
        // Each change of leader moves to a strictly steeper segment, so
        // there are fewer changes than segments.
        loop {
            let next = segments
                .iter()
                .filter(|s| s.1 > leader.1)
                .map(|s| ((leader.0 - s.0) / (s.1 - leader.1), *s))
                .filter(|(x, _)| *x > at && *x < 1.0)
                .min_by(|a, b| a.0.total_cmp(&b.0));
            let Some((x, s)) = next else { break };
            let t = t0 + ((t1 - t0) as f64 * x).round() as i64;
            if t > t_out.last().copied().unwrap_or(i64::MIN) && t < t1 {
                if t_out.len() >= limit {
                    return Err(FnError::Limit(format!(
                        "@{}: the crossing points would make more than the {limit} points the evaluation may still make",
                        which.name()
                    )));
                }
                t_out.push(t);
                v_out.push(k * (leader.0 + leader.1 * x));
                f_out.push(columns[s.2].flags.values()[i]);
            }
            leader = s;
            at = x;
        }
    }
    Ok((
        t_out,
        ops::Column {
            values: v_out.into(),
            flags: f_out.into(),
        },
    ))
}
