//! Values that hold from a time on: versions of links, XY sets and rating
//! curves.

use chrono::{DateTime, Utc};
use mesh_proto::model as pb;
use uuid::Uuid;

use super::values::{from_timestamp, timestamp};
use crate::error::Result;
use crate::guid;

/// One version of a versioned link: from `valid_from` on, the attribute
/// points at `target`, or at nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkVersion {
    /// The object pointed at; `None` for nothing from then on.
    pub target: Option<Uuid>,
    /// When the version starts.
    pub valid_from: DateTime<Utc>,
}

impl LinkVersion {
    /// A version pointing at `target` from `valid_from` on.
    pub fn new(target: Option<Uuid>, valid_from: DateTime<Utc>) -> LinkVersion {
        LinkVersion { target, valid_from }
    }

    pub(crate) fn to_proto(self) -> pb::LinkRelationVersion {
        pb::LinkRelationVersion {
            target_object_id: self.target.map(guid::to_proto),
            valid_from_time: Some(timestamp(self.valid_from)),
        }
    }

    pub(crate) fn from_proto(proto: &pb::LinkRelationVersion) -> Result<LinkVersion> {
        Ok(LinkVersion {
            target: proto
                .target_object_id
                .as_ref()
                .map(|id| guid::from_proto(Some(id)))
                .transpose()?,
            valid_from: from_timestamp(proto.valid_from_time.as_ref().ok_or_else(|| {
                crate::Error::Protocol("a link version came without its start".into())
            })?)?,
        })
    }
}

/// One curve of an XY set: pairs of x and y for one reference value.
#[derive(Debug, Clone, PartialEq)]
pub struct XyCurve {
    /// The reference (z) value, unique in its set.
    pub reference: f64,
    /// The x values, ascending.
    pub x: Vec<f64>,
    /// One y value per x value.
    pub y: Vec<f64>,
}

/// An XY set: curves, sorted by reference value when the server answers.
#[derive(Debug, Clone, PartialEq)]
pub struct XySet {
    /// When the set starts to hold (versioned attributes only).
    pub valid_from: Option<DateTime<Utc>>,
    /// Its curves.
    pub curves: Vec<XyCurve>,
}

impl XySet {
    pub(crate) fn to_proto(&self) -> pb::XySet {
        pb::XySet {
            valid_from_time: self.valid_from.map(timestamp),
            xy_curves: self
                .curves
                .iter()
                .map(|c| pb::XyCurve {
                    reference_value: c.reference,
                    x_values: c.x.clone(),
                    y_values: c.y.clone(),
                })
                .collect(),
        }
    }

    pub(crate) fn from_proto(proto: pb::XySet) -> Result<XySet> {
        Ok(XySet {
            valid_from: proto
                .valid_from_time
                .as_ref()
                .map(from_timestamp)
                .transpose()?,
            curves: proto
                .xy_curves
                .into_iter()
                .map(|c| XyCurve {
                    reference: c.reference_value,
                    x: c.x_values,
                    y: c.y_values,
                })
                .collect(),
        })
    }
}

/// One piece of a rating curve: up to `x_until`, f(x) = a·(x + b)^c.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatingCurveSegment {
    /// Where the segment ends.
    pub x_until: f64,
    /// Factor a.
    pub a: f64,
    /// Factor b.
    pub b: f64,
    /// Factor c.
    pub c: f64,
}

/// A rating curve valid from a time on.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingCurveVersion {
    /// When it starts.
    pub valid_from: DateTime<Utc>,
    /// Where its first segment starts.
    pub x_from: f64,
    /// Its segments, sorted by `x_until` when the server answers.
    pub segments: Vec<RatingCurveSegment>,
}

impl RatingCurveVersion {
    pub(crate) fn to_proto(&self) -> pb::RatingCurveVersion {
        pb::RatingCurveVersion {
            from: Some(timestamp(self.valid_from)),
            x_range_from: self.x_from,
            x_value_segments: self
                .segments
                .iter()
                .map(|s| pb::RatingCurveSegment {
                    x_range_until: s.x_until,
                    factor_a: s.a,
                    factor_b: s.b,
                    factor_c: s.c,
                })
                .collect(),
        }
    }

    pub(crate) fn from_proto(proto: pb::RatingCurveVersion) -> Result<RatingCurveVersion> {
        Ok(RatingCurveVersion {
            valid_from: from_timestamp(proto.from.as_ref().ok_or_else(|| {
                crate::Error::Protocol("a rating curve version came without its start".into())
            })?)?,
            x_from: proto.x_range_from,
            segments: proto
                .x_value_segments
                .into_iter()
                .map(|s| RatingCurveSegment {
                    x_until: s.x_range_until,
                    a: s.factor_a,
                    b: s.factor_b,
                    c: s.factor_c,
                })
                .collect(),
        })
    }
}

/// What happens to time series connections when an object is cloned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeseriesCopyMode {
    /// The copies keep the originals' connections and local expressions.
    #[default]
    All,
    /// The copies are connected to nothing (local expressions stay).
    None,
    /// Series connected only to attributes inside the cloned tree are
    /// copied, points and all, into new series (in a folder named after
    /// the clone, beside the original), and the copies connected to them;
    /// other connections are dropped.
    Internal,
}
