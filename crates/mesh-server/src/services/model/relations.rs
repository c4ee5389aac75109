//! Link relations: updating plain and versioned links, and finding what
//! links to an object.

use mesh_model::curves::Interval;
use mesh_model::{Change, LinkVersion};
use mesh_proto::model::*;
use mesh_proto::types::UtcInterval;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use super::convert::{mesh_id, ticks};
use super::{change, target, view, ModelApi};
use crate::guid;
use crate::services::status::OrStatus;

impl ModelApi {
    pub(super) async fn update_links(
        &self,
        request: Request<UpdateLinkRelationAttributeRequest>,
    ) -> Result<Response<UpdateLinkRelationAttributeResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let targets = request
            .target_object_ids
            .iter()
            .map(|id| guid::from_proto(id, "target_object_ids"))
            .collect::<Result<Vec<_>, _>>()?;
        change(&lease, |model| {
            let attribute = target::attribute(model, request.attribute.as_ref(), "attribute")?;
            Ok(Change::SetLinks {
                attribute,
                targets,
                append: request.append,
            })
        })
        .await?;
        Ok(Response::new(UpdateLinkRelationAttributeResponse {}))
    }

    pub(super) async fn update_versioned_links(
        &self,
        request: Request<UpdateVersionedLinkRelationAttributeRequest>,
    ) -> Result<Response<UpdateVersionedLinkRelationAttributeResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let interval = optional_interval(request.interval.as_ref())?;
        let entries = request
            .entries
            .iter()
            .map(|entry| {
                entry
                    .versions
                    .iter()
                    .map(|version| {
                        let valid_from = version.valid_from_time.as_ref().ok_or_else(|| {
                            Status::invalid_argument(
                                "each new link relation version must have a 'valid_from_time' timestamp",
                            )
                        })?;
                        Ok(LinkVersion {
                            target: version
                                .target_object_id
                                .as_ref()
                                .map(|id| guid::from_proto(id, "target_object_id"))
                                .transpose()?,
                            valid_from: ticks(valid_from)?,
                        })
                    })
                    .collect::<Result<Vec<_>, Status>>()
            })
            .collect::<Result<Vec<_>, Status>>()?;
        change(&lease, |model| {
            let attribute = target::attribute(model, request.attribute.as_ref(), "attribute")?;
            Ok(Change::SetVersionedLinks {
                attribute,
                interval,
                entries,
            })
        })
        .await?;
        Ok(Response::new(
            UpdateVersionedLinkRelationAttributeResponse {},
        ))
    }

    pub(super) async fn linked_from(
        &self,
        request: Request<SearchLinkedFromRequest>,
    ) -> Result<Response<BoxStream<SearchLinkedFromResponse>>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.get_ref();
        let object = target::object(
            &model,
            request.target_object_id.as_ref(),
            "target_object_id",
        )?;
        // Converted as the client reads them: an object may be linked from
        // every other one.
        let linking: Vec<uuid::Uuid> = model.linked_from(object).collect();
        Ok(super::answers::converted(linking, move |attribute| {
            let found = model.find_attribute(attribute).or_status()?;
            let owner = model.object_path(found.object.id).or_status()?;
            Ok(SearchLinkedFromResponse {
                link_relation_id: Some(mesh_id(
                    attribute,
                    format!("{owner}.{}", found.attribute_type.name),
                )),
            })
        }))
    }
}

/// An interval of a model request, when one is set: both ends needed,
/// start not after end.
pub fn optional_interval(interval: Option<&UtcInterval>) -> Result<Option<Interval>, Status> {
    let Some(interval) = interval else {
        return Ok(None);
    };
    let end_of = |time: Option<&prost_types::Timestamp>, what: &str| {
        time.ok_or_else(|| Status::invalid_argument(format!("the interval's {what} is missing")))
            .and_then(ticks)
    };
    let start = end_of(interval.start_time.as_ref(), "start_time")?;
    let end = end_of(interval.end_time.as_ref(), "end_time")?;
    Interval::new(start, end).map(Some).or_status()
}
