//! History functions: a stored series as it was committed at a time
//! (`@GetTsAsOfTime`), its earlier versions (`@GetTsHistoricalVersions`)
//! and the times it changed (`@GetTsAuditTimes`), from the writes the
//! store keeps with every commit (history notes §1, §3).
//!
//! History is of committed data: a write is "made" when its commit is, so
//! the commit time is its write time, and a session's pending writes have
//! none. The first argument must be a series read as it is stored (`@t`,
//! `%'…'`): a computed series has no history.

use std::collections::BTreeSet;

use mesh_timeseries::flags::MISSING;

use super::{Call, FnError, Function, Signature};
use crate::context::{AsOf, SeriesRef, WriteInfo};
use crate::ops;
use crate::timespec::{ms_to_ticks, ticks_to_ms};
use crate::value::{Series, Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[
    &GET_TS_AS_OF_TIME,
    &GET_TS_HISTORICAL_VERSIONS,
    &GET_TS_AUDIT_TIMES,
];

/// The most times one `@GetTsAsOfTime` array form, and the most versions
/// or audit times one call, may ask for.
const MAX_VERSIONS: usize = 1_000;
/// The most commits one call looks at to find the ones that changed
/// something in the period: a bound on its work whatever the history.
const MAX_COMMITS_EXAMINED: usize = 10_000;

/// `@GetTsAsOfTime(t, when[, mode])`: the series as it was committed at
/// `when` (a time specification, or a time in ticks as `@Time` gives):
/// for every value time the newest write committed at or before `when`
/// covering it; value times none covers are NaN MISSING. With an array of
/// times, one series per time. Modes: `Delta`, the current series minus
/// that one by the language's `-` (a NaN side read as 0, SUSPECT);
/// `DeltaNaNIsNaN`, NaN MISSING where either side is NaN; `ExactTime`,
/// only what the commits at exactly `when` wrote, NaN MISSING elsewhere
/// (meant for `@GetTsAuditTimes`' times).
const GET_TS_AS_OF_TIME: Function = Function {
    name: "GetTsAsOfTime",
    signatures: &[
        Signature::new(&[V::Series, V::String], V::Series),
        Signature::new(&[V::Series, V::Number], V::Series),
        Signature::new(&[V::Series, V::String, V::String], V::Series),
        Signature::new(&[V::Series, V::Number, V::String], V::Series),
        Signature::new(&[V::Series, V::Strings], V::SeriesArray),
        Signature::new(&[V::Series, V::Numbers], V::SeriesArray),
        Signature::new(&[V::Series, V::Strings, V::String], V::SeriesArray),
        Signature::new(&[V::Series, V::Numbers, V::String], V::SeriesArray),
    ],
    body: as_of_time,
    extension: None,
};

/// `@GetTsHistoricalVersions(t, n) -> T`: up to `n` earlier versions,
/// newest first: the series just before each commit that changed it in
/// the period. A version equal to the current series, and the state
/// before the first write (nothing), are not versions.
const GET_TS_HISTORICAL_VERSIONS: Function = Function {
    name: "GetTsHistoricalVersions",
    signatures: &[Signature::new(&[V::Series, V::Number], V::SeriesArray)],
    body: historical_versions,
    extension: None,
};

/// `@GetTsAuditTimes(t, n) -> D`: the commit times (ticks) of the newest
/// `n` commits that changed the series in the period, newest first.
const GET_TS_AUDIT_TIMES: Function = Function {
    name: "GetTsAuditTimes",
    signatures: &[Signature::new(&[V::Series, V::Number], V::Numbers)],
    body: audit_times,
    extension: None,
};

/// What `@GetTsAsOfTime` answers for one time.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    State,
    Delta,
    DeltaNanIsNan,
    ExactTime,
}

fn mode(symbol: Option<&Value>) -> Result<Mode, FnError> {
    let Some(Value::String(symbol)) = symbol else {
        return Ok(Mode::State);
    };
    match symbol.trim().to_ascii_uppercase().as_str() {
        "DELTA" => Ok(Mode::Delta),
        "DELTANANISNAN" => Ok(Mode::DeltaNanIsNan),
        "EXACTTIME" => Ok(Mode::ExactTime),
        _ => Err(FnError::Invalid(format!(
            "@GetTsAsOfTime: unknown mode '{}'; the modes are Delta, DeltaNaNIsNaN and ExactTime",
            crate::error::quote(symbol)
        ))),
    }
}

/// The stored series `series` was read from.
fn origin<'s>(name: &str, series: &'s Series) -> Result<&'s SeriesRef, FnError> {
    series.origin().ok_or_else(|| {
        FnError::Invalid(format!(
            "@{name}: the first argument must be a series as it is stored (@t, %'…'), whose history is kept; a computed series has none"
        ))
    })
}

/// A time argument in ms: a time specification, or ticks. A time that
/// does not parse, or after now (no commit is from the future), is
/// refused naming it.
fn when(call: &Call<'_>, value: &Value) -> Result<i64, FnError> {
    let ms = match value {
        Value::String(text) => {
            super::time::instant(call, text)
                .ok()
                .flatten()
                .ok_or_else(|| {
                    FnError::Invalid(format!(
                        "@GetTsAsOfTime: the time '{}' does not parse",
                        crate::error::quote(text)
                    ))
                })?
        }
        Value::Number(ticks) => ticks_to_ms(*ticks).ok_or_else(|| {
            FnError::Invalid(format!(
                "@GetTsAsOfTime: the time {ticks} is no time in ticks"
            ))
        })?,
        _ => return Err("@GetTsAsOfTime: argument of no declared form".into()),
    };
    if ms > call.settings.now_ms {
        return Err(FnError::Invalid(format!(
            "@GetTsAsOfTime: the time {} is in the future",
            describe(value)
        )));
    }
    Ok(ms)
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{}'", crate::error::quote(text)),
        Value::Number(ticks) => ticks.to_string(),
        _ => String::new(),
    }
}

/// The series `reference` names with the writes `at` names undone, over
/// the call's period; the empty series when it names nothing stored.
fn read_as_of(call: &Call<'_>, reference: &SeriesRef, at: AsOf) -> Result<Series, FnError> {
    let series = call
        .context
        .series_as_of(reference, call.interval, at)?
        .unwrap_or_else(|| Series::empty_at(call.interval.start_ms));
    call.allow(series.len())?;
    Ok(series)
}

fn as_of_time(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let mut args = args.into_iter();
    let (Some(Value::Series(current)), Some(times)) = (args.next(), args.next()) else {
        return Err("@GetTsAsOfTime: argument of no declared form".into());
    };
    let mode = mode(args.next().as_ref())?;
    let reference = origin("GetTsAsOfTime", &current)?.clone();
    let one = |call: &Call<'_>, time: &Value| -> Result<Series, FnError> {
        let ms = when(call, time)?;
        let then = read_as_of(call, &reference, AsOf::After(ms))?;
        match mode {
            Mode::State => Ok(then),
            Mode::Delta => Ok(delta(&current, &then, false)),
            Mode::DeltaNanIsNan => Ok(delta(&current, &then, true)),
            Mode::ExactTime => exact(call, &reference, then, ms),
        }
    };
    match times {
        Value::Strings(texts) => many(call, texts.into_iter().map(Value::String).collect(), one),
        Value::Numbers(ticks) => many(call, ticks.into_iter().map(Value::Number).collect(), one),
        time => Ok(Value::Series(one(call, &time)?)),
    }
}

/// The array forms: one series per time, at most [`MAX_VERSIONS`].
fn many(
    call: &Call<'_>,
    times: Vec<Value>,
    one: impl Fn(&Call<'_>, &Value) -> Result<Series, FnError>,
) -> Result<Value, FnError> {
    if times.len() > MAX_VERSIONS {
        return Err(FnError::Limit(format!(
            "@GetTsAsOfTime: {} times asked for, more than the {MAX_VERSIONS} one call answers",
            times.len()
        )));
    }
    let all = times
        .iter()
        .map(|t| one(call, t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::SeriesArray(all))
}

/// `current − then` on their common axis; with `nan_is_nan`, NaN MISSING
/// where either is NaN instead of the `-` rule.
fn delta(current: &Series, then: &Series, nan_is_nan: bool) -> Series {
    let axis = ops::axis(&[current, then]);
    let (a, b) = (
        ops::read_at(current, &axis.timestamps),
        ops::read_at(then, &axis.timestamps),
    );
    let column = if nan_is_nan {
        ops::binary_nan_is_nan(crate::ast::BinaryOp::Sub, &a, &b)
    } else {
        ops::binary(crate::ast::BinaryOp::Sub, &a, &b)
    };
    ops::series(axis, column)
}

/// `then` kept only inside the intervals the commits at exactly `ms`
/// wrote; NaN MISSING elsewhere.
fn exact(call: &Call<'_>, reference: &SeriesRef, then: Series, ms: i64) -> Result<Series, FnError> {
    let writes = call
        .context
        .writes(reference, call.interval)?
        .unwrap_or_default();
    let written: Vec<&WriteInfo> = writes.iter().filter(|w| w.commit_ms == ms).collect();
    let inside = |t: i64| written.iter().any(|w| w.start_ms <= t && t < w.end_ms);
    let (values, flags): (Vec<f64>, Vec<u32>) = then
        .timestamps()
        .values()
        .iter()
        .zip(
            then.values()
                .values()
                .iter()
                .zip(then.flags().values().iter()),
        )
        .map(|(&t, (&v, &f))| {
            if inside(t) {
                (v, f)
            } else {
                (f64::NAN, MISSING)
            }
        })
        .unzip();
    Ok(then.with_columns(values.into(), flags.into()))
}

/// The count argument: a whole number of at least 0, at most
/// [`MAX_VERSIONS`].
fn count(name: &str, n: Option<&Value>) -> Result<usize, FnError> {
    match n {
        Some(Value::Number(n)) if *n >= 0.0 && n.is_finite() => {
            let n = n.trunc() as usize;
            if n > MAX_VERSIONS {
                return Err(FnError::Limit(format!(
                    "@{name}: {n} asked for, more than the {MAX_VERSIONS} one call answers"
                )));
            }
            Ok(n)
        }
        Some(Value::Number(n)) => Err(FnError::Invalid(format!(
            "@{name}: the count must be a number of at least 0, not {n}"
        ))),
        _ => Err(format!("@{name}: argument of no declared form").into()),
    }
}

/// A commit that changed the series in the period: its number, its time,
/// and the series just before it.
struct Change {
    commit_ms: i64,
    before: Series,
}

/// The newest commits that changed the series in the period, newest
/// first, until `wanted` are found. A commit changed it when the series
/// before it differs from the series after it.
fn changes(
    call: &Call<'_>,
    name: &str,
    reference: &SeriesRef,
    wanted: usize,
) -> Result<Vec<Change>, FnError> {
    let writes = call
        .context
        .writes(reference, call.interval)?
        .unwrap_or_default();
    let commits: BTreeSet<(u64, i64)> = writes.iter().map(|w| (w.seq, w.commit_ms)).collect();
    let mut found = Vec::new();
    let mut after: Option<Series> = None;
    for (examined, &(seq, commit_ms)) in commits.iter().rev().enumerate() {
        if found.len() >= wanted {
            break;
        }
        if examined >= MAX_COMMITS_EXAMINED {
            return Err(FnError::Limit(format!(
                "@{name}: the series changed in more than {MAX_COMMITS_EXAMINED} commits in the period; ask for a shorter period"
            )));
        }
        let later = match after.take() {
            Some(series) => series,
            None => read_as_of(call, reference, AsOf::Before(seq + 1))?,
        };
        let before = read_as_of(call, reference, AsOf::Before(seq))?;
        if before != later {
            found.push(Change {
                commit_ms,
                before: before.clone(),
            });
        }
        after = Some(before);
    }
    Ok(found)
}

/// Whether `series` holds no value: what the period was before any write.
fn never_written(series: &Series) -> bool {
    series.values().values().iter().all(|v| v.is_nan())
}

fn historical_versions(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let name = "GetTsHistoricalVersions";
    let Some(Value::Series(current)) = args.first() else {
        return Err(format!("@{name}: argument of no declared form").into());
    };
    let wanted = count(name, args.get(1))?;
    let reference = origin(name, current)?.clone();
    // One more than asked: the oldest change's "before" may be the empty
    // state, which is no version.
    let versions: Vec<Series> = changes(call, name, &reference, wanted.saturating_add(1))?
        .into_iter()
        .map(|c| c.before)
        .filter(|before| !never_written(before) && before != current)
        .take(wanted)
        .collect();
    Ok(Value::SeriesArray(versions))
}

fn audit_times(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let name = "GetTsAuditTimes";
    let Some(Value::Series(current)) = args.first() else {
        return Err(format!("@{name}: argument of no declared form").into());
    };
    let wanted = count(name, args.get(1))?;
    let reference = origin(name, current)?.clone();
    let times = changes(call, name, &reference, wanted)?
        .into_iter()
        .map(|c| ms_to_ticks(c.commit_ms).map_or(f64::NAN, |t| t as f64))
        .collect();
    Ok(Value::Numbers(times))
}
