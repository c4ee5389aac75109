//! Curves of the model: RatingCurve, XY, YX, GET_Y_FX.
//!
//! Each maps a series point by point through a curve: the result has the
//! input's instants, resolution and curve type (a linear input stays
//! linear, so between two points the result interpolates the two mapped
//! values, not the curve). The flag rule is the math module's: a point's
//! flags are kept, and a valid input the curve has no value for becomes
//! NaN with MISSING added. The choices the docs leave open are in
//! docs/decisions.md, "Rating curves and XY lookups in expressions".

use arrow_array::{Float64Array, UInt32Array};
use mesh_timeseries::flags::SUSPECT;

use super::lookup::warn_not_found;
use super::math::{finite, lost_to_missing};
use super::{Call, FnError, Function, Signature};
use crate::context::{LogLevel, RatingCurveVersion, RatingSegment, SeriesRef, XySetVersion};
use crate::ops;
use crate::value::{Series, Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[&RATING_CURVE, &XY, &YX, &GET_Y_FX];

/// A form answering a series.
const fn series(params: &'static [V]) -> Signature {
    Signature {
        params,
        returns: V::Series,
    }
}

// --- Shared pieces ------------------------------------------------------------------

/// Values in force from a start until the next one's: the shape of rating
/// curve versions and XY set versions.
struct Versions<T> {
    /// Starts, ascending and unique; `i64::MIN` for "always".
    starts: Vec<i64>,
    /// One value per start.
    values: Vec<T>,
}

impl<T> Versions<T> {
    /// From `(start, value)` pairs in any order; of pairs with the same
    /// start the first given wins (the store keeps starts unique, so this
    /// only guards against a port that does not).
    fn new(mut pairs: Vec<(i64, T)>) -> Versions<T> {
        pairs.sort_by_key(|(start, _)| *start); // stable: the first stays first
        pairs.dedup_by_key(|(start, _)| *start);
        let (starts, values) = pairs.into_iter().unzip();
        Versions { starts, values }
    }

    /// The value in force at `t`: the last one starting at or before it;
    /// `None` before the first.
    fn at(&self, t: i64) -> Option<&T> {
        let after = self.starts.partition_point(|&s| s <= t);
        self.values.get(after.checked_sub(1)?)
    }
}

/// A function `y = f(x)` through points, for XY sets and GET_Y_FX.
///
/// Built from any input: pairs with a NaN or infinite member are dropped,
/// the rest sorted by x, and of equal x values the first given is kept
/// (a table cannot answer two values for one x).
#[derive(Debug, Clone)]
struct Table {
    /// Finite, strictly increasing.
    xs: Vec<f64>,
    /// Finite, one per x.
    ys: Vec<f64>,
}

impl Table {
    /// The table of the pairs `(xs[i], ys[i])`, cleaned as the type says;
    /// members without a partner are ignored.
    fn new(xs: &[f64], ys: &[f64]) -> Table {
        let mut pairs: Vec<(f64, f64)> = xs
            .iter()
            .zip(ys)
            .map(|(&x, &y)| (x, y))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0)); // stable
        pairs.dedup_by(|later, first| later.0 == first.0);
        let (xs, ys) = pairs.into_iter().unzip();
        Table { xs, ys }
    }

    /// The y at `x`: the first y below the first x, the last above the
    /// last (GET_Y_FX's documented rule); between two points the y of the
    /// point at or below `x` (a step), or interpolated linearly. NaN for a
    /// NaN `x` or an empty table.
    fn at(&self, x: f64, interpolate: bool) -> f64 {
        let (Some(&first), Some(&last)) = (self.xs.first(), self.xs.last()) else {
            return f64::NAN;
        };
        if x.is_nan() {
            return f64::NAN;
        }
        if x <= first {
            return self.ys[0];
        }
        if x >= last {
            return self.ys[self.ys.len() - 1];
        }
        // first < x < last: 1 <= above < len.
        let above = self.xs.partition_point(|&p| p <= x);
        let below = above - 1;
        let (x0, y0) = (self.xs[below], self.ys[below]);
        if !interpolate || x0 == x {
            return y0;
        }
        let (x1, y1) = (self.xs[above], self.ys[above]);
        y0 + (y1 - y0) * ((x - x0) / (x1 - x0))
    }

    /// The inverse `x = f⁻¹(y)`, when the ys are strictly monotonic (else
    /// an x is not determined by its y).
    fn inverse(&self) -> Option<Table> {
        let rising = self.ys.windows(2).all(|w| w[0] < w[1]);
        let falling = self.ys.windows(2).all(|w| w[0] > w[1]);
        (rising || falling).then(|| Table::new(&self.ys, &self.xs))
    }
}

/// `input` with each point's value replaced by `f(instant, value)`,
/// keeping instants, resolution and curve, with the math module's flag
/// rule (a value lost to the curve gets MISSING; no infinity leaves).
fn map_points(input: &Series, mut f: impl FnMut(i64, f64) -> f64) -> Series {
    let values: Float64Array = input
        .timestamps()
        .values()
        .iter()
        .zip(input.values().values())
        .map(|(&t, &v)| finite(f(t, v)))
        .collect::<Vec<_>>()
        .into();
    let flags = lost_to_missing(input.values(), &values, input.flags());
    input.with_columns(values, flags)
}

/// A search argument without its `NOLOG` prefix, and whether the call may
/// log (XY, YX: the prefix silences the function's log lines).
fn search(query: &str) -> (&str, bool) {
    let query = query.trim_start();
    match query.strip_prefix("NOLOG") {
        Some(rest) => (rest.trim_start(), false),
        None => (query, true),
    }
}

// --- RatingCurve --------------------------------------------------------------------

/// `@RatingCurve(t)`: water levels to discharge through the rating curve
/// of the current object (its first rating curve attribute, the page's
/// "found on the same object"): `Q = a·(h + b)^c` with the factors of the
/// segment covering `h` in the version in force at the point's time. A
/// level below the version's `x_range_from`, at or above its last
/// segment's bound, or at a time before its first version has no
/// discharge (NaN, MISSING), as the modelling docs say of levels outside
/// the curve; so has a negative base under a fractional exponent. An
/// object with no rating curve gives the empty series, as `@t` does.
const RATING_CURVE: Function = Function {
    name: "RatingCurve",
    signatures: &[series(&[V::Series])],
    body: rating_curve,
    extension: None,
};

/// One version ready for lookups: its segments sorted by bound.
struct Rating {
    /// The lowest level covered (`x_range_from`).
    from: f64,
    /// Segments with a bound, sorted by it.
    segments: Vec<RatingSegment>,
}

impl Rating {
    /// `version` ready for lookups.
    fn new(version: &RatingCurveVersion) -> Rating {
        // A NaN bound covers no level; sorting puts the rest in order for
        // the search below (the store sorts them already).
        let mut segments: Vec<RatingSegment> = version
            .segments
            .iter()
            .copied()
            .filter(|s| !s.x_range_until.is_nan())
            .collect();
        segments.sort_by(|a, b| a.x_range_until.total_cmp(&b.x_range_until));
        Rating {
            from: version.x_range_from,
            segments,
        }
    }

    /// The discharge at level `h`; NaN outside the curve (a NaN `h`
    /// included: the comparison fails).
    fn discharge(&self, h: f64) -> f64 {
        if h.is_nan() || self.from.is_nan() || h < self.from {
            return f64::NAN;
        }
        // The segment covering h is the first whose bound lies above it.
        let i = self.segments.partition_point(|s| s.x_range_until <= h);
        match self.segments.get(i) {
            Some(s) => s.factor_a * (h + s.factor_b).powf(s.factor_c),
            None => f64::NAN,
        }
    }
}

/// RatingCurve's body: the current object's rating curve over the levels.
fn rating_curve(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let Some(Value::Series(levels)) = args.first() else {
        return Err("@RatingCurve: argument of no declared form".into());
    };
    let Some(found) = call.context.rating_curve(None, call.interval)? else {
        call.context.log(
            LogLevel::Warning,
            "@RatingCurve found no rating curve on the current object; the empty series is used",
        );
        return Ok(Value::Series(Series::empty_at(call.interval.start_ms)));
    };
    let versions = Versions::new(
        found
            .iter()
            .map(|v| (v.valid_from_ms, Rating::new(v)))
            .collect(),
    );
    Ok(Value::Series(map_points(levels, |t, h| {
        versions.at(t).map_or(f64::NAN, |r| r.discharge(h))
    })))
}

// --- XY and YX ----------------------------------------------------------------------

/// `@XY(t, s)`: x values to y through the XY set attribute the search
/// finds (`NOLOG` before the search silences the log lines): the version
/// in force at the point's time (an unversioned set always), its first
/// curve (lowest reference value), interpolated linearly between its
/// points and held at its ends, as GET_Y_FX documents for its tables. No
/// version in force or an empty curve gives NaN (MISSING); an attribute
/// not found gives the empty series, as `@t` does.
const XY: Function = Function {
    name: "XY",
    signatures: &[series(&[V::Series, V::String])],
    body: |call, args| xy_lookup(call, args, Direction::Forward),
    extension: None,
};

/// `@YX(t, s)`: y values back to x through the same curve as `@XY`. The
/// curve must be strictly monotonic in y to have an inverse; a version
/// whose curve is not gives NaN (MISSING), with a warning.
const YX: Function = Function {
    name: "YX",
    signatures: &[series(&[V::Series, V::String])],
    body: |call, args| xy_lookup(call, args, Direction::Inverse),
    extension: None,
};

/// Which way XY/YX read the curve.
#[derive(Clone, Copy, PartialEq)]
enum Direction {
    /// x to y (`@XY`).
    Forward,
    /// y to x (`@YX`).
    Inverse,
}

impl Direction {
    /// The function's name, for messages.
    fn name(self) -> &'static str {
        match self {
            Direction::Forward => "XY",
            Direction::Inverse => "YX",
        }
    }
}

/// The table a version answers through: its first curve, forward or
/// inverted; `None` when it has none (no curves, or YX over a curve with
/// no inverse).
fn version_table(version: &XySetVersion, direction: Direction) -> Option<Table> {
    let curve = version
        .curves
        .iter()
        .min_by(|a, b| a.reference_value.total_cmp(&b.reference_value))?;
    let table = Table::new(&curve.xs, &curve.ys);
    match direction {
        Direction::Forward => Some(table),
        Direction::Inverse => table.inverse(),
    }
}

/// XY's and YX's body: the XY set the search finds over the input.
fn xy_lookup(
    call: &mut Call<'_>,
    args: Vec<Value>,
    direction: Direction,
) -> Result<Value, FnError> {
    let name = direction.name();
    let (Some(Value::Series(input)), Some(Value::String(query))) = (args.first(), args.get(1))
    else {
        return Err(format!("@{name}: argument of no declared form").into());
    };
    let (query, may_log) = search(query);
    let Some(found) = call.context.xy_sets(query, call.interval)? else {
        if may_log {
            warn_not_found(call, name, &SeriesRef::Search(query.to_string()));
        }
        return Ok(Value::Series(Series::empty_at(call.interval.start_ms)));
    };
    let tables: Vec<(i64, Option<Table>)> = found
        .iter()
        .map(|v| {
            (
                v.valid_from_ms.unwrap_or(i64::MIN),
                version_table(v, direction),
            )
        })
        .collect();
    let unusable = tables.iter().any(|(_, table)| table.is_none());
    if may_log && direction == Direction::Inverse && unusable {
        call.context.log(
            LogLevel::Warning,
            &format!(
                "@YX('{}'): a version has no curve strictly monotonic in y; its points are NaN",
                crate::error::quote(query)
            ),
        );
    }
    let versions = Versions::new(tables);
    Ok(Value::Series(map_points(input, |t, x| {
        match versions.at(t) {
            Some(Some(table)) => table.at(x, true),
            _ => f64::NAN,
        }
    })))
}

// --- GET_Y_FX -----------------------------------------------------------------------

/// `@GET_Y_FX(t, D xs, D ys[, s options])`: each x value to the y of the
/// table `xs → ys`, held at the table's ends (fn/getyfx). Without
/// `INTERPOL` the y of the table point at or below x; with it, linear
/// between the two points around x. Without `NOHOLD` a NaN x repeats the
/// last y computed (SUSPECT: it is not this point's), NaN before any;
/// with it a NaN x gives NaN. Options are comma-separated, in any case;
/// xs and ys must pair up. Empty arrays (a failed `@D`) give NaN points.
const GET_Y_FX: Function = Function {
    name: "GET_Y_FX",
    signatures: &[
        series(&[V::Series, V::Numbers, V::Numbers]),
        series(&[V::Series, V::Numbers, V::Numbers, V::String]),
    ],
    body: get_y_fx,
    extension: None,
};

/// GET_Y_FX's options.
#[derive(Debug, Default, Clone, Copy)]
struct Options {
    /// `INTERPOL`: linear between table points, else a step.
    interpolate: bool,
    /// `NOHOLD`: a NaN x gives NaN, else the last y.
    no_hold: bool,
}

/// GET_Y_FX's options from their text (`'INTERPOL,NOHOLD'`).
fn options(text: &str) -> Result<Options, FnError> {
    let mut options = Options::default();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match word.to_ascii_uppercase().as_str() {
            "INTERPOL" => options.interpolate = true,
            "NOHOLD" => options.no_hold = true,
            _ => {
                return Err(FnError::Invalid(format!(
                    "@GET_Y_FX: unknown option '{}'; expected INTERPOL, NOHOLD or both",
                    crate::error::quote(word)
                )))
            }
        }
    }
    Ok(options)
}

/// GET_Y_FX's body: the table of the arguments over the input.
fn get_y_fx(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let (Some(Value::Series(input)), Some(Value::Numbers(xs)), Some(Value::Numbers(ys))) =
        (args.first(), args.get(1), args.get(2))
    else {
        return Err("@GET_Y_FX: argument of no declared form".into());
    };
    let options = match args.get(3) {
        Some(Value::String(text)) => options(text)?,
        _ => Options::default(),
    };
    if xs.len() != ys.len() {
        return Err(FnError::Invalid(format!(
            "@GET_Y_FX: {} x values and {} y values; they must pair up",
            xs.len(),
            ys.len()
        )));
    }
    let table = Table::new(xs, ys);
    let mut last = f64::NAN;
    let output = map_points(input, |_, x| {
        if x.is_nan() {
            return if options.no_hold { f64::NAN } else { last };
        }
        let y = table.at(x, options.interpolate);
        if !y.is_nan() {
            last = y;
        }
        y
    });
    Ok(Value::Series(mark_held(input, output)))
}

/// `output` with SUSPECT as the flags of every point held from an earlier
/// one: where the input had no value and the output has one.
fn mark_held(input: &Series, output: Series) -> Series {
    let held = arrow_arith::boolean::and_not(
        &ops::nan_mask_of(input.values()),
        &ops::nan_mask_of(output.values()),
    )
    .unwrap_or_else(|_| vec![false; output.len()].into());
    if held.true_count() == 0 {
        return output;
    }
    let flags: UInt32Array = ops::zip_u32(&held, &UInt32Array::new_scalar(SUSPECT), output.flags());
    output.with_columns(output.values().clone(), flags)
}
