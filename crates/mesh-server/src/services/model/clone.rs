//! Cloning an object with everything it owns.

use mesh_model::{Change, Model, Owner, TypeKind};
use mesh_proto::model::*;
use mesh_proto::types::MeshId;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{change, target, view, ModelApi, Shape};
use crate::services::status::OrStatus;

impl ModelApi {
    pub(super) async fn clone_object_call(
        &self,
        request: Request<CloneObjectRequest>,
    ) -> Result<Response<CloneObjectResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let keep_timeseries = match TimeseriesCopyMode::try_from(request.timeseries_copy_mode) {
            Ok(TimeseriesCopyMode::CopyModeUnspecified | TimeseriesCopyMode::All) => true,
            Ok(TimeseriesCopyMode::None) => false,
            Ok(TimeseriesCopyMode::Internal) => {
                return Err(Status::unimplemented(
                    "timeseries_copy_mode INTERNAL (copying the series of the cloned tree) is not served yet; use ALL or NONE",
                ))
            }
            Err(_) => {
                return Err(Status::invalid_argument(format!(
                    "timeseries_copy_mode {} is not one of COPY_MODE_UNSPECIFIED, NONE, ALL, INTERNAL",
                    request.timeseries_copy_mode
                )))
            }
        };
        let id = Uuid::new_v4();
        change(&lease, |model| {
            let source =
                target::object(model, request.source_object_id.as_ref(), "source_object_id")?;
            let owner = match &request.new_owner_id {
                Some(owner) => Some(new_owner(model, owner, source)?),
                None => None,
            };
            Ok(Change::CloneObject {
                source,
                id,
                name: request.new_object_name.clone(),
                owner,
                keep_timeseries,
            })
        })
        .await?;
        let model = view(&lease).await;
        let object = model.find_object(id).or_status()?;
        let new_object = self
            .answer_object(&lease, &model, object, Shape::default())
            .await?;
        Ok(Response::new(CloneObjectResponse {
            new_object: Some(new_object),
        }))
    }
}

/// Where a clone of `source` goes: an ownership attribute as named, or the
/// one ownership attribute of a named object that owns objects of the
/// source's definition.
fn new_owner(model: &Model, id: &MeshId, source: Uuid) -> Result<Owner, Status> {
    if let Ok(owner) = target::owner(model, Some(id), true) {
        return Ok(owner);
    }
    let object = target::object(model, Some(id), "new_owner_id")?;
    let object = model.find_object(object).or_status()?;
    let definition = model.find_object(source).or_status()?.definition;
    let fitting: Vec<Uuid> = model
        .attributes_of(object)
        .filter(|a| {
            matches!(a.attribute_type.kind, TypeKind::OwnershipRelation { target } if target == definition)
        })
        .map(|a| a.definition.id)
        .collect();
    match fitting.as_slice() {
        [attribute] => Ok(Owner {
            object: object.id,
            attribute: Some(*attribute),
        }),
        [] => Err(Status::invalid_argument(format!(
            "object {} has no ownership attribute that owns objects like {}",
            target::describe(id),
            model.object_path(source).or_status()?
        ))),
        _ => Err(Status::invalid_argument(format!(
            "object {} has several ownership attributes that could own the clone; name one of them as new_owner_id",
            target::describe(id)
        ))),
    }
}
