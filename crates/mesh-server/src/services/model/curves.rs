//! XY sets and rating curves: read in an interval, replaced by interval.

use mesh_model::curves::{
    Interval, RatingCurveVersion as Version, RatingSegment, XyCurve as Curve, XySet as Set,
};
use mesh_model::Change;
use mesh_proto::model::*;
use tonic::{Request, Response, Status};

use super::convert::{ticks, timestamp};
use super::relations::optional_interval;
use super::{change, target, view, ModelApi};
use crate::services::status::OrStatus;

impl ModelApi {
    pub(super) async fn get_xy(
        &self,
        request: Request<GetXySetsRequest>,
    ) -> Result<Response<GetXySetsResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.get_ref();
        let interval = optional_interval(request.interval.as_ref())?;
        let attribute = xy_attribute(&model, request.attribute.as_ref())?;
        let sets = model.xy_sets(attribute, interval).or_status()?;
        Ok(Response::new(GetXySetsResponse {
            xy_sets: sets
                .iter()
                .map(|set| xy_set(set, request.versions_only))
                .collect(),
        }))
    }

    pub(super) async fn update_xy(
        &self,
        request: Request<UpdateXySetsRequest>,
    ) -> Result<Response<UpdateXySetsResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let interval = optional_interval(request.interval.as_ref())?;
        let sets = request
            .xy_sets
            .iter()
            .map(|set| {
                Ok(Set {
                    valid_from: set.valid_from_time.as_ref().map(ticks).transpose()?,
                    curves: set
                        .xy_curves
                        .iter()
                        .map(|curve| Curve {
                            reference: curve.reference_value,
                            x: curve.x_values.clone(),
                            y: curve.y_values.clone(),
                        })
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>, Status>>()?;
        change(&lease, |model| {
            Ok(Change::SetXySets {
                attribute: xy_attribute(model, request.attribute.as_ref())?,
                interval,
                sets,
            })
        })
        .await?;
        Ok(Response::new(UpdateXySetsResponse {}))
    }

    pub(super) async fn get_rating_curve(
        &self,
        request: Request<GetRatingCurveVersionsRequest>,
    ) -> Result<Response<GetRatingCurveVersionsResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.get_ref();
        let interval = required_interval(request.interval.as_ref(), "reading")?;
        let attribute = rating_curve_attribute(&model, request.attribute.as_ref())?;
        let versions = model.rating_curve(attribute, interval).or_status()?;
        Ok(Response::new(GetRatingCurveVersionsResponse {
            versions: versions
                .iter()
                .map(|version| rating_curve_version(version, request.versions_only))
                .collect(),
        }))
    }

    pub(super) async fn update_rating_curve(
        &self,
        request: Request<UpdateRatingCurveVersionsRequest>,
    ) -> Result<Response<UpdateRatingCurveVersionsResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let interval = required_interval(request.interval.as_ref(), "updating")?;
        let versions = request
            .versions
            .iter()
            .map(|version| {
                let from = version.from.as_ref().ok_or_else(|| {
                    Status::invalid_argument(
                        "each new rating curve version must have a 'from' timestamp",
                    )
                })?;
                Ok(Version {
                    valid_from: ticks(from)?,
                    x_from: version.x_range_from,
                    segments: version
                        .x_value_segments
                        .iter()
                        .map(|s| RatingSegment {
                            x_until: s.x_range_until,
                            a: s.factor_a,
                            b: s.factor_b,
                            c: s.factor_c,
                        })
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>, Status>>()?;
        change(&lease, |model| {
            Ok(Change::SetRatingCurve {
                attribute: rating_curve_attribute(model, request.attribute.as_ref())?,
                interval,
                versions,
            })
        })
        .await?;
        Ok(Response::new(UpdateRatingCurveVersionsResponse {}))
    }
}

fn xy_attribute(
    model: &mesh_model::Model,
    id: Option<&mesh_proto::types::MeshId>,
) -> Result<uuid::Uuid, Status> {
    target::attribute_of_kind(model, id, "attribute", "an XY set attribute")
}

fn rating_curve_attribute(
    model: &mesh_model::Model,
    id: Option<&mesh_proto::types::MeshId>,
) -> Result<uuid::Uuid, Status> {
    target::attribute_of_kind(model, id, "attribute", "a rating curve attribute")
}

/// The interval rating curve calls require.
fn required_interval(
    interval: Option<&mesh_proto::types::UtcInterval>,
    doing: &str,
) -> Result<Interval, Status> {
    optional_interval(interval)?.ok_or_else(|| {
        Status::invalid_argument(format!(
            "interval must have a value when {doing} a rating curve attribute"
        ))
    })
}

fn xy_set(set: &Set, versions_only: bool) -> XySet {
    XySet {
        valid_from_time: set.valid_from.map(timestamp),
        xy_curves: if versions_only {
            Vec::new()
        } else {
            set.curves
                .iter()
                .map(|curve| XyCurve {
                    reference_value: curve.reference,
                    x_values: curve.x.clone(),
                    y_values: curve.y.clone(),
                })
                .collect()
        },
    }
}

fn rating_curve_version(version: &Version, versions_only: bool) -> RatingCurveVersion {
    RatingCurveVersion {
        from: Some(timestamp(version.valid_from)),
        x_range_from: if versions_only { 0.0 } else { version.x_from },
        x_value_segments: if versions_only {
            Vec::new()
        } else {
            version
                .segments
                .iter()
                .map(|s| RatingCurveSegment {
                    x_range_until: s.x_until,
                    factor_a: s.a,
                    factor_b: s.b,
                    factor_c: s.c,
                })
                .collect()
        },
    }
}
