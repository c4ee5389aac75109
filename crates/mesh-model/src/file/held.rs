//! Values of link relation, XY set and rating curve attributes in JSON.
//!
//! - a link: the target's path or id (`null`: none); a one-to-many link an
//!   array of them;
//! - a versioned link: an array of `{"valid_from": T, "target": P}` (target
//!   `null` or left out: none); one-to-many, an array of such arrays;
//! - an XY set: `{"curves": [{"reference": z, "x": [..], "y": [..]}]}`; a
//!   versioned one an array of those, each with `"valid_from": T`;
//! - a rating curve: an array of `{"valid_from": T, "x_from": x,
//!   "segments": [{"x_until": x, "a": a, "b": b, "c": c}]}`.
//!
//! Times are RFC 3339 text, as simple UTC time values.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::values::{from_json, to_json};
use crate::curves::{RatingCurveVersion, RatingSegment, XyCurve, XySet};
use crate::value::{Value, ValueType};

/// A link target as the file names it, resolved once every object of the
/// file exists.
pub type TargetName = String;

/// One version of a versioned link, target unresolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkVersionEntry {
    /// When it starts.
    pub valid_from: String,
    /// The object pointed at from then on; none when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetName>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CurveEntry {
    reference: f64,
    #[serde(default)]
    x: Vec<f64>,
    #[serde(default)]
    y: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct XySetEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_from: Option<String>,
    #[serde(default)]
    curves: Vec<CurveEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentEntry {
    x_until: f64,
    a: f64,
    b: f64,
    c: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RatingCurveEntry {
    valid_from: String,
    x_from: f64,
    segments: Vec<SegmentEntry>,
}

/// A time in the file as ticks.
pub fn time_from_json(text: &str) -> Result<i64, String> {
    match from_json(ValueType::UtcTime, &Json::from(text))? {
        Value::UtcTime(ticks) => Ok(ticks),
        _ => Err(format!("'{text}' is not a time")),
    }
}

/// Ticks as a time in the file.
pub fn time_to_json(ticks: i64) -> String {
    match to_json(&Value::UtcTime(ticks)) {
        Json::String(text) => text,
        other => other.to_string(),
    }
}

/// The targets of a plain link: one name (or `null`) for a one-to-one
/// link, an array for a one-to-many link.
pub fn links_from_json(json: &Json, collection: bool) -> Result<Vec<TargetName>, String> {
    match (collection, json) {
        (false, Json::Null) => Ok(Vec::new()),
        (false, Json::String(name)) => Ok(vec![name.clone()]),
        (true, Json::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{item} is not an object's path or id"))
            })
            .collect(),
        (false, other) => Err(format!(
            "{other} is not a link's target: give the object's path or id, or null"
        )),
        (true, other) => Err(format!(
            "{other} is not a list of link targets: give an array of paths or ids"
        )),
    }
}

/// The entries of a versioned link: one array of versions for a
/// one-to-one link, an array of them for a one-to-many link.
pub fn versioned_links_from_json(
    json: &Json,
    collection: bool,
) -> Result<Vec<Vec<LinkVersionEntry>>, String> {
    let parse = |json: &Json| -> Result<Vec<LinkVersionEntry>, String> {
        serde_json::from_value(json.clone()).map_err(|e| e.to_string())
    };
    if collection {
        match json {
            Json::Array(entries) => entries.iter().map(parse).collect(),
            other => Err(format!(
                "{other} is not a list of versioned link entries: give an array of arrays of versions"
            )),
        }
    } else {
        let versions = parse(json)?;
        Ok(if versions.is_empty() {
            Vec::new()
        } else {
            vec![versions]
        })
    }
}

/// XY sets from the file: one object for an unversioned attribute, an
/// array for a versioned one.
pub fn xy_sets_from_json(json: &Json, versioned: bool) -> Result<Vec<XySet>, String> {
    let entries: Vec<XySetEntry> = if versioned {
        serde_json::from_value(json.clone()).map_err(|e| e.to_string())?
    } else {
        vec![serde_json::from_value(json.clone()).map_err(|e| e.to_string())?]
    };
    entries
        .into_iter()
        .map(|entry| {
            Ok(XySet {
                valid_from: entry
                    .valid_from
                    .as_deref()
                    .map(time_from_json)
                    .transpose()?,
                curves: entry
                    .curves
                    .into_iter()
                    .map(|c| XyCurve {
                        reference: c.reference,
                        x: c.x,
                        y: c.y,
                    })
                    .collect(),
            })
        })
        .collect()
}

/// XY sets as the file holds them.
pub fn xy_sets_to_json(sets: &[XySet], versioned: bool) -> Json {
    let entries: Vec<XySetEntry> = sets
        .iter()
        .map(|set| XySetEntry {
            valid_from: set.valid_from.map(time_to_json),
            curves: set
                .curves
                .iter()
                .map(|c| CurveEntry {
                    reference: c.reference,
                    x: c.x.clone(),
                    y: c.y.clone(),
                })
                .collect(),
        })
        .collect();
    let json = if versioned {
        serde_json::to_value(entries)
    } else {
        serde_json::to_value(entries.into_iter().next())
    };
    json.unwrap_or(Json::Null)
}

/// Rating curve versions from the file.
pub fn rating_curve_from_json(json: &Json) -> Result<Vec<RatingCurveVersion>, String> {
    let entries: Vec<RatingCurveEntry> =
        serde_json::from_value(json.clone()).map_err(|e| e.to_string())?;
    entries
        .into_iter()
        .map(|entry| {
            Ok(RatingCurveVersion {
                valid_from: time_from_json(&entry.valid_from)?,
                x_from: entry.x_from,
                segments: entry
                    .segments
                    .into_iter()
                    .map(|s| RatingSegment {
                        x_until: s.x_until,
                        a: s.a,
                        b: s.b,
                        c: s.c,
                    })
                    .collect(),
            })
        })
        .collect()
}

/// Rating curve versions as the file holds them.
pub fn rating_curve_to_json(versions: &[RatingCurveVersion]) -> Json {
    let entries: Vec<RatingCurveEntry> = versions
        .iter()
        .map(|v| RatingCurveEntry {
            valid_from: time_to_json(v.valid_from),
            x_from: v.x_from,
            segments: v
                .segments
                .iter()
                .map(|s| SegmentEntry {
                    x_until: s.x_until,
                    a: s.a,
                    b: s.b,
                    c: s.c,
                })
                .collect(),
        })
        .collect();
    serde_json::to_value(entries).unwrap_or(Json::Null)
}
