//! Forecast functions, answered as a server with no forecast sets answers
//! them (history notes §2): nothing in the public API creates a forecast
//! set, so `@GetAllForecasts` finds none (an empty array) and every
//! `@GetForecast` form finds no forecast (a NaN series on the input's
//! steps). Ordinary series have no forecasts: the SDK's tests expect an
//! empty array for a series written long ago.

use mesh_timeseries::flags::MISSING;

use super::{Call, FnError, Function, Signature};
use crate::value::{Series, Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[
    &GET_ALL_FORECASTS,
    &GET_FORECAST,
    &GET_BEST_FORECAST,
    &GET_MERGED_FORECAST,
];

/// `@GetAllForecasts(t) -> T`: the forecasts of the series' set: none.
const GET_ALL_FORECASTS: Function = Function {
    name: "GetAllForecasts",
    signatures: &[Signature::new(&[V::Series], V::SeriesArray)],
    body: |_, _| Ok(Value::SeriesArray(Vec::new())),
    extension: None,
};

/// `@GetForecast(t[, start window and write time…]) -> t`: the forecast
/// chosen by the window, none here: NaN (MISSING) at the input's points.
/// The page's form (t, d|s, d|s[, d|s]) and the SDK's (t) and (t, s).
const GET_FORECAST: Function = Function {
    name: "GetForecast",
    signatures: &[
        Signature::new(&[V::Series], V::Series),
        Signature::new(&[V::Series, V::String], V::Series),
        Signature::new(&[V::Series, V::Number], V::Series),
        Signature::new(&[V::Series, V::String, V::String], V::Series),
        Signature::new(&[V::Series, V::Number, V::Number], V::Series),
        Signature::new(&[V::Series, V::String, V::String, V::String], V::Series),
        Signature::new(&[V::Series, V::Number, V::Number, V::Number], V::Series),
        Signature::new(&[V::Series, V::String, V::String, V::Number], V::Series),
        Signature::new(&[V::Series, V::Number, V::Number, V::String], V::Series),
    ],
    body: no_forecast,
    extension: None,
};

/// `@GetBestForecast(t) -> t`: for each time the newest forecast: none.
const GET_BEST_FORECAST: Function = Function {
    name: "GetBestForecast",
    signatures: &[Signature::new(&[V::Series], V::Series)],
    body: no_forecast,
    extension: None,
};

/// `@GetMergedForecast(t) -> t`: slices of the forecasts: none.
const GET_MERGED_FORECAST: Function = Function {
    name: "GetMergedForecast",
    signatures: &[Signature::new(&[V::Series], V::Series)],
    body: no_forecast,
    extension: None,
};

/// The input's points, each NaN and MISSING: no forecast covers them.
fn no_forecast(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let Some(Value::Series(input)) = args.into_iter().next() else {
        return Err("the forecast functions take a series first".into());
    };
    Ok(Value::Series(missing_like(&input)))
}

/// `series`' instants, resolution and curve, every value NaN MISSING.
pub(super) fn missing_like(series: &Series) -> Series {
    let n = series.len();
    series.with_columns(vec![f64::NAN; n].into(), vec![MISSING; n].into())
}
