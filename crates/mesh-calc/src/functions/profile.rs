//! Distribution to a finer resolution by a mask or a profile: DISTRIBUTE
//! (R6, R7, Ra7) and TRANS_PROFILE (R8 to Ra11).
//!
//! Both spread each value of the input over the points of a finer series
//! that fall in its step. fn/transform_what_when lists them as one
//! family, and fn/trans_profile says which TRANS_PROFILE form gives what
//! DISTRIBUTE form, so one walk serves both.

use mesh_timeseries::flags::MISSING;
use mesh_timeseries::{CurveType, Grid, Resolution};

use super::{Call, FnError, Function, Signature};
use crate::value::{Series, Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[&DISTRIBUTE, &TRANS_PROFILE];

/// What the parts of one input value add up to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Basis {
    /// The parts sum to the value (`A/N` each before the profile).
    Sum,
    /// The parts average to the value (`A` each before the profile).
    Mean,
}

/// How a profile weighs the parts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Weighting {
    /// No profile: every part alike.
    Even,
    /// Relative: scaled by `Pi/M`; a zero input gives `Pi − M`
    /// (fn/trans_profile, which R7 shares: "the same functionality").
    Relative,
    /// Absolute: `K·(Pi − M)` added, K ≠ 0.
    Absolute(f64),
}

/// One distribution, its arguments sorted out of either function's forms.
struct Spread<'a> {
    input: &'a Series,
    /// The series whose points are the parts: the mask, or (R8, R9) the
    /// profile itself.
    parts: &'a Series,
    /// Which of `parts`' points take a share.
    take: fn(f64) -> bool,
    profile: Option<&'a Series>,
    weighting: Weighting,
    basis: Basis,
}

/// `@DISTRIBUTE(t, t mask)` (R6): each value of the series spread over
/// the mask's true points (non-zero, not NaN) inside its step, `A/N` each
/// (the SUM basis); `@DISTRIBUTE(t, mask, t profile)` (R7): weighted by
/// the profile, `(A/N)·(Pi/M)` with M the profile's mean over those
/// points; `@DISTRIBUTE(d K, t, mask, profile)` (Ra7): `A/N + K·(Pi − M)`,
/// K = 0 being R7 (the page's formulas, checked by its worked numbers).
/// The result has the mask's resolution when every mask point is true,
/// else it is a breakpoint series of the true points. A series' step is
/// from its point to the next step of its resolution (a breakpoint
/// series': to its next point, the last to the period's end).
const DISTRIBUTE: Function = Function {
    name: "DISTRIBUTE",
    signatures: &[
        Signature {
            params: &[V::Series, V::Series],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::Series, V::Series],
            returns: V::Series,
        },
        Signature {
            params: &[V::Number, V::Series, V::Series, V::Series],
            returns: V::Series,
        },
    ],
    body: distribute,
    extension: None,
};

/// A mask point that takes a share: non-zero and not NaN.
fn is_true(v: f64) -> bool {
    v != 0.0 && !v.is_nan()
}

/// A profile point that takes a share (R8, R9): any valid value, zero
/// included (a zero weight is still a part of the period).
fn is_valid(v: f64) -> bool {
    !v.is_nan()
}

/// K as a weighting: 0 is relative (the pages: "behaves like" the form
/// without K).
fn weighting(k: f64) -> Weighting {
    if k == 0.0 {
        Weighting::Relative
    } else {
        Weighting::Absolute(k)
    }
}

fn distribute(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let spread = match args.as_slice() {
        [Value::Series(input), Value::Series(mask)] => Spread {
            input,
            parts: mask,
            take: is_true,
            profile: None,
            weighting: Weighting::Even,
            basis: Basis::Sum,
        },
        [Value::Series(input), Value::Series(mask), Value::Series(profile)] => Spread {
            input,
            parts: mask,
            take: is_true,
            profile: Some(profile),
            weighting: Weighting::Relative,
            basis: Basis::Sum,
        },
        [Value::Number(k), Value::Series(input), Value::Series(mask), Value::Series(profile)] => {
            Spread {
                input,
                parts: mask,
                take: is_true,
                profile: Some(profile),
                weighting: weighting(*k),
                basis: Basis::Sum,
            }
        }
        _ => return Err("@DISTRIBUTE: argument of no declared form".into()),
    };
    Ok(Value::Series(spread.run(call)))
}

/// `@TRANS_PROFILE(t, t profile[, s method])` (R8, R9): each value spread
/// over the profile's valid points in its step, weighted by them; the
/// profile gives the result's resolution. `@TRANS_PROFILE(t, profile, t
/// mask[, s method])` (R10, R11): over the mask's true points, as
/// `@DISTRIBUTE(t, mask, profile)`. A leading number K (Ra8 to Ra11)
/// makes the profile absolute: `base + K·(Pi − M)`. The method is `SUM`
/// (the parts sum to the value: base `A/N`) or `MEAN`/`AVERAGE` (they
/// average to it: base `A`); relative profiles scale the base by `Pi/M`,
/// and a zero value gives `Pi − M`, as the page says.
const TRANS_PROFILE: Function = Function {
    name: "TRANS_PROFILE",
    signatures: &[
        Signature {
            params: &[V::Series, V::Series],
            returns: V::Series,
        },
        Signature {
            params: &[V::Number, V::Series, V::Series],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::Series, V::String],
            returns: V::Series,
        },
        Signature {
            params: &[V::Number, V::Series, V::Series, V::String],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::Series, V::Series],
            returns: V::Series,
        },
        Signature {
            params: &[V::Number, V::Series, V::Series, V::Series],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::Series, V::Series, V::String],
            returns: V::Series,
        },
        Signature {
            params: &[V::Number, V::Series, V::Series, V::Series, V::String],
            returns: V::Series,
        },
    ],
    body: trans_profile,
    extension: None,
};

/// The distribution method symbol of R9, R11 and their absolute forms.
fn basis(symbol: &str) -> Result<Basis, FnError> {
    match symbol.to_ascii_uppercase().as_str() {
        "SUM" => Ok(Basis::Sum),
        "MEAN" | "AVERAGE" => Ok(Basis::Mean),
        _ => Err(FnError::Invalid(format!(
            "@TRANS_PROFILE: unknown distribution method '{symbol}'; the methods are SUM, MEAN and AVERAGE"
        ))),
    }
}

fn trans_profile(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    // A leading number is K; a trailing string the method.
    let (k, rest) = match args.split_first() {
        Some((Value::Number(k), rest)) => (weighting(*k), rest),
        _ => (Weighting::Relative, args.as_slice()),
    };
    let (method, rest) = match rest.split_last() {
        Some((Value::String(m), rest)) => (basis(m)?, rest),
        _ => (Basis::Sum, rest),
    };
    let spread = match rest {
        [Value::Series(input), Value::Series(profile)] => Spread {
            input,
            parts: profile,
            take: is_valid,
            profile: Some(profile),
            weighting: k,
            basis: method,
        },
        [Value::Series(input), Value::Series(profile), Value::Series(mask)] => Spread {
            input,
            parts: mask,
            take: is_true,
            profile: Some(profile),
            weighting: k,
            basis: method,
        },
        _ => return Err("@TRANS_PROFILE: argument of no declared form".into()),
    };
    Ok(Value::Series(spread.run(call)))
}

impl Spread<'_> {
    /// The distributed series over the call's period. It has at most as
    /// many points as `parts` has in the period, which the evaluation has
    /// already counted, so it needs no budget check of its own.
    fn run(&self, call: &Call<'_>) -> Series {
        let interval = call.interval;
        let parts = crate::functions::shift::cut(self.parts, interval);
        let pts = parts.timestamps().values();
        let taken: Vec<bool> = parts
            .values()
            .values()
            .iter()
            .map(|v| (self.take)(*v))
            .collect();
        let weights: Vec<f64> = match self.profile {
            Some(p) => crate::ops::read_at(p, parts.timestamps())
                .values
                .values()
                .to_vec(),
            None => vec![1.0; pts.len()],
        };
        let its = self.input.timestamps().values();
        let ivs = self.input.values().values();
        let grid = Grid::with_zone(self.input.resolution(), call.settings.standard_zone);
        let mut out_t = Vec::new();
        let mut out_v = Vec::new();
        let mut out_f = Vec::new();
        let mut m = 0usize;
        for (i, (&a, &value)) in its.iter().zip(ivs.iter()).enumerate() {
            let next = its.get(i + 1).copied().unwrap_or(interval.end_ms);
            let b = if self.input.resolution().is_breakpoint() {
                next
            } else {
                grid.next_after(a).unwrap_or(next)
            };
            m = crate::ops::first_not_before(pts, m, a);
            let end = crate::ops::first_not_before(pts, m, b);
            let chosen: Vec<usize> = (m..end).filter(|&j| taken[j]).collect();
            m = end;
            if chosen.is_empty() {
                continue;
            }
            let n = chosen.len() as f64;
            let mean = chosen.iter().map(|&j| weights[j]).sum::<f64>() / n;
            for &j in &chosen {
                let v = self.part(value, n, weights[j], mean);
                out_t.push(pts[j]);
                out_v.push(v);
                out_f.push(if v.is_nan() { MISSING } else { 0 });
            }
        }
        let resolution = if taken.iter().all(|t| *t) {
            parts.resolution()
        } else {
            Resolution::Breakpoint
        };
        Series::from_parts(
            out_t.into(),
            out_v.into(),
            out_f.into(),
            resolution,
            CurveType::StaircaseStartOfStep,
        )
    }

    /// The share of input value `a` at a part of weight `p`, among `n`
    /// parts of mean weight `mean`.
    fn part(&self, a: f64, n: f64, p: f64, mean: f64) -> f64 {
        let base = match self.basis {
            Basis::Sum => a / n,
            Basis::Mean => a,
        };
        match self.weighting {
            Weighting::Even => base,
            Weighting::Relative if a == 0.0 => p - mean,
            Weighting::Relative => base * (p / mean),
            Weighting::Absolute(k) => base + k * (p - mean),
        }
    }
}
