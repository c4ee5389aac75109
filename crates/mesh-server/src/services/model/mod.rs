//! `volue.mesh.grpc.model.v1alpha.ModelService`: models, objects and their
//! attributes, in the session. A thin adapter: ids and paths are resolved
//! (`target`), requests become [`Change`]s applied to the session's model
//! (`mesh_model`, which holds every rule), answers are shaped by the
//! request's masks (`convert`).

mod answers;
mod clone;
pub mod convert;
mod curves;
mod relations;
mod search;
pub mod target;

use std::sync::Arc;

use crate::services::status::OrStatus;
use mesh_model::{Change, Model};
use mesh_proto::model::model_service_server::ModelService;
use mesh_proto::model::*;
use mesh_proto::types::Guid;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use self::convert::{AttributeFilter, AttributeSelection, FieldSet, Fields};
use crate::auth::Identity;
use crate::guid;
use crate::session::{Session, SessionLease, SessionManager, Workspace};
use crate::view::SessionView;
use mesh_storage::StoreHandle;

/// The model service over the session manager.
pub struct ModelApi {
    sessions: Arc<SessionManager>,
    store: StoreHandle,
}

impl ModelApi {
    /// The service.
    pub fn new(sessions: Arc<SessionManager>, store: StoreHandle) -> Self {
        ModelApi { sessions, store }
    }

    /// The session's series as it sees them now, for the resources of its
    /// time series attributes.
    async fn series_view(&self, lease: &SessionLease) -> SessionView {
        let changes = lease.session().workspace().await.changes();
        SessionView::new(self.store.clone(), changes)
    }

    /// The resources of series `keys` as the session sees them.
    async fn resources(
        &self,
        lease: &SessionLease,
        keys: Vec<i64>,
    ) -> Result<std::collections::HashMap<i64, mesh_proto::time_series::TimeseriesResource>, Status>
    {
        if keys.is_empty() {
            return Ok(Default::default());
        }
        answers::resources(&self.series_view(lease).await, keys).await
    }

    /// The objects `found` (by id) as `masks` ask, streamed as the client
    /// reads them ([`answers::described`]).
    async fn stream_objects(
        &self,
        lease: &SessionLease,
        model: Arc<Model>,
        found: Vec<Uuid>,
        masks: Masks,
    ) -> Response<BoxStream<Object>> {
        let view = self.series_view(lease).await;
        let keys_model = model.clone();
        answers::described(
            view,
            found,
            move |batch| convert::series_keys(batch.iter().filter_map(|id| keys_model.object(*id))),
            move |id, cache| {
                let Some(object) = model.object(*id) else {
                    return Ok(None);
                };
                let shape = masks.shape();
                convert::object(
                    &model,
                    object,
                    shape.object_fields,
                    shape.filter,
                    shape.attribute_fields,
                    cache,
                )
                .map(Some)
            },
        )
    }

    /// `objects` as the request's masks ask, with the series their
    /// attributes are connected to read first, once for all of them.
    async fn answer_objects(
        &self,
        lease: &SessionLease,
        model: &Model,
        objects: &[&mesh_model::Object],
        shape: Shape<'_>,
    ) -> Result<Vec<Object>, Status> {
        let mut cache = convert::AnswerCache {
            resources: self
                .resources(lease, convert::series_keys(objects.iter().copied()))
                .await?,
            ..Default::default()
        };
        objects
            .iter()
            .map(|object| {
                convert::object(
                    model,
                    object,
                    shape.object_fields,
                    shape.filter,
                    shape.attribute_fields,
                    &mut cache,
                )
            })
            .collect()
    }

    /// One object as [`ModelApi::answer_objects`] gives it.
    async fn answer_object(
        &self,
        lease: &SessionLease,
        model: &Model,
        object: &mesh_model::Object,
        shape: Shape<'_>,
    ) -> Result<Object, Status> {
        self.answer_objects(lease, model, &[object], shape)
            .await?
            .pop()
            .ok_or_else(|| Status::internal("an object's answer went missing"))
    }

    fn lease<T>(
        &self,
        request: &Request<T>,
        session_id: Option<&Guid>,
    ) -> Result<SessionLease, Status> {
        let id = guid::required(session_id, "session_id")?;
        Ok(self.sessions.acquire(id, &Identity::of(request))?)
    }
}

/// The model as the session of `lease` sees it now.
pub async fn view(lease: &SessionLease) -> Arc<Model> {
    let session = lease.session();
    let mut workspace = session.workspace().await;
    view_of(&mut workspace, session)
}

/// [`view`] for a caller already holding the session's workspace.
pub fn view_of(workspace: &mut Workspace, session: &Session) -> Arc<Model> {
    workspace.model.view(&session.model().committed)
}

/// Applies a change made from the model as the session sees it; `make`
/// resolves the request on that model first.
pub async fn change(
    lease: &SessionLease,
    make: impl FnOnce(&Model) -> Result<Change, Status>,
) -> Result<(), Status> {
    let session = lease.session();
    let mut workspace = session.workspace().await;
    let committed = &session.model().committed;
    let model = workspace.model.view(committed);
    let change = make(&model)?;
    workspace.model.apply(committed, change).or_status()
}

/// Streams `items` to the client, in order.
pub fn stream<T: Send + 'static>(items: Vec<T>) -> Response<BoxStream<T>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(items.len().clamp(1, 64));
    tokio::spawn(async move {
        for item in items {
            if sender.send(Ok(item)).await.is_err() {
                break;
            }
        }
    });
    Response::new(Box::pin(ReceiverStream::new(receiver)))
}

/// How a request asks for objects: which of their fields, which of their
/// attributes, and which fields of those.
#[derive(Clone, Copy, Default)]
struct Shape<'a> {
    object_fields: Fields<'a>,
    filter: AttributeFilter<'a>,
    attribute_fields: Fields<'a>,
}

/// A request's masks, owned and as sets (see [`convert::FieldSet`]), for
/// answers of many objects, also those streamed after the handler has
/// returned.
struct Masks {
    object: FieldSet,
    attributes: AttributeSelection,
    attribute: FieldSet,
}

impl Masks {
    fn of(
        object: Option<&prost_types::FieldMask>,
        attributes: Option<&AttributesMasks>,
        attribute: Option<&prost_types::FieldMask>,
    ) -> Masks {
        Masks {
            object: FieldSet::of(object),
            attributes: AttributeSelection::of(attributes),
            attribute: FieldSet::of(attribute),
        }
    }

    fn shape(&self) -> Shape<'_> {
        Shape {
            object_fields: self.object.fields(),
            filter: self.attributes.filter(),
            attribute_fields: self.attribute.fields(),
        }
    }
}

#[tonic::async_trait]
impl ModelService for ModelApi {
    async fn list_models(
        &self,
        request: Request<ListModelsRequest>,
    ) -> Result<Response<ListModelsResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.get_ref();
        let definition = match &request.model_definition_id {
            Some(id) => Some(definition_namespace(&model, id)?),
            None => None,
        };
        let found: Vec<&mesh_model::Object> = model
            .models()
            .filter(|m| definition.is_none_or(|d| m.definition == d))
            .collect();
        let masks = Masks::of(request.object_field_mask.as_ref(), None, None);
        let models = self
            .answer_objects(&lease, &model, &found, masks.shape())
            .await?;
        Ok(Response::new(ListModelsResponse { models }))
    }

    async fn get_object(
        &self,
        request: Request<GetObjectRequest>,
    ) -> Result<Response<Object>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.get_ref();
        let id = target::object(&model, request.object_id.as_ref(), "object_id")?;
        let object = model.find_object(id).or_status()?;
        let masks = Masks::of(
            request.object_field_mask.as_ref(),
            request.attributes_masks.as_ref(),
            request.attribute_field_mask.as_ref(),
        );
        Ok(Response::new(
            self.answer_object(&lease, &model, object, masks.shape())
                .await?,
        ))
    }

    async fn search_objects(
        &self,
        request: Request<SearchObjectsRequest>,
    ) -> Result<Response<BoxStream<Object>>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.into_inner();
        let start = target::object(&model, request.start_object_id.as_ref(), "start_object_id")?;
        let found = search::objects(&model, start, &request.query)?;
        let masks = Masks::of(
            request.object_field_mask.as_ref(),
            request.attributes_masks.as_ref(),
            request.attribute_field_mask.as_ref(),
        );
        Ok(self.stream_objects(&lease, model, found, masks).await)
    }

    async fn search_objects_by_definition(
        &self,
        request: Request<SearchObjectsByDefinitionRequest>,
    ) -> Result<Response<BoxStream<Object>>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.into_inner();
        let definition = crate::services::model_definition::target::object_definition(
            &model,
            request.object_definition_id.as_ref(),
        )?;
        let found: Vec<Uuid> = model.instances(definition).collect();
        let masks = Masks::of(
            request.object_field_mask.as_ref(),
            request.attributes_masks.as_ref(),
            request.attribute_field_mask.as_ref(),
        );
        Ok(self.stream_objects(&lease, model, found, masks).await)
    }

    async fn create_object(
        &self,
        request: Request<CreateObjectRequest>,
    ) -> Result<Response<Object>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let id = Uuid::new_v4();
        change(&lease, |model| {
            let owner = target::owner(model, request.owner_id.as_ref(), false)?;
            let definition = match &request.object_definition_id {
                Some(d) => Some(
                    crate::services::model_definition::target::object_definition(model, Some(d))?,
                ),
                None => None,
            };
            Ok(Change::CreateObject {
                id,
                name: request.name.clone(),
                owner,
                definition,
                attribute_ids: Vec::new(),
            })
        })
        .await?;
        let model = view(&lease).await;
        let object = model.find_object(id).or_status()?;
        Ok(Response::new(
            self.answer_object(&lease, &model, object, Shape::default())
                .await?,
        ))
    }

    async fn create_model(
        &self,
        request: Request<CreateModelRequest>,
    ) -> Result<Response<Object>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let id = Uuid::new_v4();
        change(&lease, |model| {
            let definition = definition_namespace(
                model,
                request
                    .model_definition_id
                    .as_ref()
                    .ok_or_else(|| Status::invalid_argument("model_definition_id is missing"))?,
            )?;
            Ok(Change::CreateModel {
                id,
                name: request.name.clone(),
                model_definition: definition,
            })
        })
        .await?;
        let model = view(&lease).await;
        let object = model.find_object(id).or_status()?;
        Ok(Response::new(
            self.answer_object(&lease, &model, object, Shape::default())
                .await?,
        ))
    }

    async fn update_object(
        &self,
        request: Request<UpdateObjectRequest>,
    ) -> Result<Response<UpdateObjectResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let field_set = FieldSet::of(request.field_mask.as_ref());
        let fields = field_set.fields();
        let paths = request
            .field_mask
            .as_ref()
            .map(|m| m.paths.as_slice())
            .unwrap_or_default();
        if let Some(unknown) = paths
            .iter()
            .find(|p| !["new_name", "new_owner_id"].contains(&p.as_str()))
        {
            return Err(Status::invalid_argument(format!(
                "field_mask: UpdateObject has no field '{}' to update (new_name, new_owner_id)",
                mesh_timeseries::echo::echo(unknown)
            )));
        }
        if paths.is_empty() {
            // Nothing to change: the empty mask the SDK sends then.
            return Ok(Response::new(UpdateObjectResponse {}));
        }
        change(&lease, |model| {
            let id = target::object(model, request.object_id.as_ref(), "object_id")?;
            let owner = if fields.has("new_owner_id") {
                Some(target::owner(model, request.new_owner_id.as_ref(), true)?)
            } else {
                None
            };
            let name = fields.has("new_name").then(|| request.new_name.clone());
            Ok(Change::UpdateObject { id, name, owner })
        })
        .await?;
        Ok(Response::new(UpdateObjectResponse {}))
    }

    async fn delete_object(
        &self,
        request: Request<DeleteObjectRequest>,
    ) -> Result<Response<DeleteObjectResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        change(&lease, |model| {
            let id = target::object(model, request.object_id.as_ref(), "object_id")?;
            Ok(Change::DeleteObject {
                id,
                recursive: request.recursive_delete,
            })
        })
        .await?;
        Ok(Response::new(DeleteObjectResponse {}))
    }

    async fn get_attribute(
        &self,
        request: Request<GetAttributeRequest>,
    ) -> Result<Response<Attribute>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.get_ref();
        let found =
            target::readable_attribute(&model, request.attribute_id.as_ref(), "attribute_id")?;
        let mut cache = convert::AnswerCache {
            resources: self
                .resources(&lease, series_keys_of(&model, &[found]))
                .await?,
            ..Default::default()
        };
        Ok(Response::new(readable(
            &model,
            found,
            FieldSet::of(request.field_mask.as_ref()).fields(),
            &mut cache,
        )?))
    }

    async fn search_attributes(
        &self,
        request: Request<SearchAttributesRequest>,
    ) -> Result<Response<BoxStream<Attribute>>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.into_inner();
        let start = target::object(&model, request.start_object_id.as_ref(), "start_object_id")?;
        let found = search::attributes(&model, start, &request.query)?;
        let view = self.series_view(&lease).await;
        let fields = FieldSet::of(request.field_mask.as_ref());
        let keys_model = model.clone();
        Ok(answers::described(
            view,
            found,
            move |batch| series_keys_of(&keys_model, batch),
            move |found, cache| readable(&model, *found, fields.fields(), cache).map(Some),
        ))
    }

    async fn update_timeseries_attribute(
        &self,
        request: Request<UpdateTimeseriesAttributeRequest>,
    ) -> Result<Response<UpdateTimeseriesAttributeResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let paths: Vec<&str> = request
            .field_mask
            .as_ref()
            .map(|m| m.paths.iter().map(String::as_str).collect())
            .unwrap_or_default();
        if paths.is_empty() {
            return Err(Status::invalid_argument(
                "nothing is set to be updated: list new_local_expression and/or new_timeseries_resource_key in the field mask",
            ));
        }
        if let Some(unknown) = paths
            .iter()
            .find(|p| !["new_local_expression", "new_timeseries_resource_key"].contains(p))
        {
            return Err(Status::invalid_argument(format!(
                "field_mask: UpdateTimeseriesAttribute has no field '{}' to update (new_local_expression, new_timeseries_resource_key)",
                mesh_timeseries::echo::echo(unknown)
            )));
        }
        let key = paths
            .contains(&"new_timeseries_resource_key")
            .then_some(request.new_timeseries_resource_key);
        if let Some(key) = key.filter(|k| *k != 0) {
            // The series must exist as the session sees it (its own new
            // series included).
            if self.resources(&lease, vec![key]).await?.is_empty() {
                return Err(Status::not_found(format!(
                    "time series key: {key} not found"
                )));
            }
        }
        let local_expression = paths
            .contains(&"new_local_expression")
            .then(|| request.new_local_expression.clone());
        change(&lease, |model| {
            let attribute =
                target::attribute(model, request.attribute_id.as_ref(), "attribute_id")?;
            Ok(Change::SetTimeseriesAttribute {
                attribute,
                key,
                local_expression,
            })
        })
        .await?;
        Ok(Response::new(UpdateTimeseriesAttributeResponse {}))
    }

    async fn update_simple_attribute(
        &self,
        request: Request<UpdateSimpleAttributeRequest>,
    ) -> Result<Response<UpdateSimpleAttributeResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let (values, as_collection) = match &request.new_singular_value {
            Some(value) => {
                if !request.new_collection_values.is_empty() {
                    return Err(Status::invalid_argument(
                        "set either new_singular_value or new_collection_values, not both",
                    ));
                }
                (vec![convert::value_from_proto(value)?], false)
            }
            None => (
                request
                    .new_collection_values
                    .iter()
                    .map(convert::value_from_proto)
                    .collect::<Result<Vec<_>, _>>()?,
                true,
            ),
        };
        change(&lease, |model| {
            let attribute =
                target::attribute(model, request.attribute_id.as_ref(), "attribute_id")?;
            Ok(Change::SetSimpleAttribute {
                attribute,
                values,
                as_collection,
            })
        })
        .await?;
        Ok(Response::new(UpdateSimpleAttributeResponse {}))
    }

    async fn update_link_relation_attribute(
        &self,
        request: Request<UpdateLinkRelationAttributeRequest>,
    ) -> Result<Response<UpdateLinkRelationAttributeResponse>, Status> {
        self.update_links(request).await
    }

    async fn update_versioned_link_relation_attribute(
        &self,
        request: Request<UpdateVersionedLinkRelationAttributeRequest>,
    ) -> Result<Response<UpdateVersionedLinkRelationAttributeResponse>, Status> {
        self.update_versioned_links(request).await
    }

    async fn search_linked_from(
        &self,
        request: Request<SearchLinkedFromRequest>,
    ) -> Result<Response<BoxStream<SearchLinkedFromResponse>>, Status> {
        self.linked_from(request).await
    }

    async fn get_xy_sets(
        &self,
        request: Request<GetXySetsRequest>,
    ) -> Result<Response<GetXySetsResponse>, Status> {
        self.get_xy(request).await
    }

    async fn update_xy_sets(
        &self,
        request: Request<UpdateXySetsRequest>,
    ) -> Result<Response<UpdateXySetsResponse>, Status> {
        self.update_xy(request).await
    }

    async fn get_rating_curve_versions(
        &self,
        request: Request<GetRatingCurveVersionsRequest>,
    ) -> Result<Response<GetRatingCurveVersionsResponse>, Status> {
        self.get_rating_curve(request).await
    }

    async fn update_rating_curve_versions(
        &self,
        request: Request<UpdateRatingCurveVersionsRequest>,
    ) -> Result<Response<UpdateRatingCurveVersionsResponse>, Status> {
        self.update_rating_curve(request).await
    }

    async fn clone_object(
        &self,
        request: Request<CloneObjectRequest>,
    ) -> Result<Response<CloneObjectResponse>, Status> {
        self.clone_object_call(request).await
    }
}

/// The series the attributes in `found` are connected to.
fn series_keys_of(model: &Model, found: &[target::Readable]) -> Vec<i64> {
    let mut keys: Vec<i64> = found
        .iter()
        .filter_map(|f| match f {
            target::Readable::Attribute(id) => model.attribute(*id).map(|a| a.slot.timeseries().0),
            target::Readable::ModelObjects(_) => None,
        })
        .filter(|key| *key != 0)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// An attribute to read as a proto message.
fn readable(
    model: &Model,
    found: target::Readable,
    fields: Fields<'_>,
    cache: &mut convert::AnswerCache,
) -> Result<Attribute, Status> {
    match found {
        target::Readable::Attribute(id) => {
            convert::attribute(model, &model.find_attribute(id).or_status()?, fields, cache)
        }
        target::Readable::ModelObjects(id) => {
            let object = model.find_object(id).or_status()?;
            let path = model.object_path(id).or_status()?;
            Ok(convert::model_attribute(model, object, &path, fields))
        }
    }
}

/// The model definition `id` names.
fn definition_namespace(model: &Model, id: &mesh_proto::types::MeshId) -> Result<Uuid, Status> {
    crate::services::model_definition::target::namespace(model, Some(id))
}
