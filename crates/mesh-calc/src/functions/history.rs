//! History and forecast functions: they need every committed write kept,
//! which comes with history support (issue 20). Until then each answers
//! UNIMPLEMENTED saying so, in every form the SDK sends.

use super::{Call, FnError, Function, Signature};
use crate::value::{Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[
    &GET_TS_AS_OF_TIME,
    &GET_TS_HISTORICAL_VERSIONS,
    &GET_TS_AUDIT_TIMES,
    &GET_ALL_FORECASTS,
    &GET_FORECAST,
    &GET_BEST_FORECAST,
    &GET_MERGED_FORECAST,
];

const fn sig(params: &'static [V], returns: V) -> Signature {
    Signature { params, returns }
}

fn not_yet(call: &mut Call<'_>, _: Vec<Value>) -> Result<Value, FnError> {
    let _ = call;
    Err(FnError::Unimplemented(
        "the history and forecast functions are not served yet: they come with history support (every committed write kept)".to_string(),
    ))
}

const GET_TS_AS_OF_TIME: Function = Function {
    name: "GetTsAsOfTime",
    signatures: &[
        sig(&[V::Series, V::String], V::Series),
        sig(&[V::Series, V::Number], V::Series),
        sig(&[V::Series, V::String, V::String], V::Series),
        sig(&[V::Series, V::Number, V::String], V::Series),
        sig(&[V::Series, V::Strings], V::SeriesArray),
        sig(&[V::Series, V::Numbers], V::SeriesArray),
    ],
    body: not_yet,
    extension: None,
};

const GET_TS_HISTORICAL_VERSIONS: Function = Function {
    name: "GetTsHistoricalVersions",
    signatures: &[sig(&[V::Series, V::Number], V::SeriesArray)],
    body: not_yet,
    extension: None,
};

const GET_TS_AUDIT_TIMES: Function = Function {
    name: "GetTsAuditTimes",
    signatures: &[sig(&[V::Series, V::Number], V::Numbers)],
    body: not_yet,
    extension: None,
};

const GET_ALL_FORECASTS: Function = Function {
    name: "GetAllForecasts",
    signatures: &[sig(&[V::Series], V::SeriesArray)],
    body: not_yet,
    extension: None,
};

const GET_FORECAST: Function = Function {
    name: "GetForecast",
    signatures: &[
        sig(&[V::Series], V::Series),
        sig(&[V::Series, V::String], V::Series),
        sig(&[V::Series, V::String, V::String], V::Series),
        sig(&[V::Series, V::String, V::String, V::String], V::Series),
        sig(&[V::Series, V::Number, V::Number], V::Series),
        sig(&[V::Series, V::Number, V::Number, V::Number], V::Series),
    ],
    body: not_yet,
    extension: None,
};

const GET_BEST_FORECAST: Function = Function {
    name: "GetBestForecast",
    signatures: &[sig(&[V::Series], V::Series)],
    body: not_yet,
    extension: None,
};

const GET_MERGED_FORECAST: Function = Function {
    name: "GetMergedForecast",
    signatures: &[sig(&[V::Series], V::Series)],
    body: not_yet,
    extension: None,
};
