//! `volue.mesh.grpc.model_definition.v1alpha.ModelDefinitionService`:
//! namespaces (a namespace without a parent is a model definition), tags,
//! object definitions, attribute types and attribute definitions, and the
//! units of measurement. A thin adapter: requests become [`Change`]s on the
//! session's model (`mesh_model` holds the rules), answers are built by
//! `convert`.

mod convert;
mod requests;
pub mod target;

use std::sync::Arc;

use crate::services::status::OrStatus;
use mesh_model::{Change, Model};
use mesh_proto::model_definition::model_definition_service_server::ModelDefinitionService;
use mesh_proto::model_definition::*;
use mesh_proto::types::Guid;
use prost_types::FieldMask;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Identity;
use crate::guid;
use crate::services::model::{change, stream, view};
use crate::session::{SessionLease, SessionManager};
use mesh_model::units;

/// The model definition service over the session manager.
pub struct ModelDefinitionApi {
    sessions: Arc<SessionManager>,
}

impl ModelDefinitionApi {
    /// The service.
    pub fn new(sessions: Arc<SessionManager>) -> Self {
        ModelDefinitionApi { sessions }
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

/// The paths of an update's field mask, which must name fields the call
/// has; an empty mask changes nothing and is refused as such.
fn update_fields<'a>(mask: Option<&'a FieldMask>, known: &[&str]) -> Result<Vec<&'a str>, Status> {
    let paths: Vec<&str> = mask
        .map(|m| m.paths.iter().map(String::as_str).collect())
        .unwrap_or_default();
    if paths.is_empty() {
        return Err(Status::invalid_argument(
            "nothing is set to be updated: the field mask is empty",
        ));
    }
    if let Some(unknown) = paths.iter().find(|p| !known.contains(p)) {
        return Err(Status::invalid_argument(format!(
            "field_mask: no field '{}' to update here (known: {})",
            mesh_timeseries::echo::echo(unknown),
            known.join(", ")
        )));
    }
    Ok(paths)
}

fn guids(ids: &[Guid], what: &str) -> Result<Vec<Uuid>, Status> {
    ids.iter().map(|g| guid::from_proto(g, what)).collect()
}

/// Applies a change and answers with what `answer` builds from the model
/// afterwards.
async fn create<T>(
    lease: &SessionLease,
    make: impl FnOnce(&Model) -> Result<Change, Status>,
    answer: impl FnOnce(&Model) -> Result<T, Status>,
) -> Result<Response<T>, Status> {
    change(lease, make).await?;
    let model = view(lease).await;
    Ok(Response::new(answer(&model)?))
}

#[tonic::async_trait]
impl ModelDefinitionService for ModelDefinitionApi {
    async fn list_units_of_measurement(
        &self,
        request: Request<ListUnitsOfMeasurementRequest>,
    ) -> Result<Response<ListUnitsOfMeasurementResponse>, Status> {
        // Like every call in a session, it needs an open one of the caller's.
        let _lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        Ok(Response::new(ListUnitsOfMeasurementResponse {
            units_of_measurement: units::catalogue()
                .iter()
                .map(|unit| UnitOfMeasurement {
                    id: Some(guid::to_proto(unit.id)),
                    name: unit.name.to_string(),
                })
                .collect(),
        }))
    }

    // ---- namespaces and model definitions ----

    async fn list_model_definitions(
        &self,
        request: Request<ListModelDefinitionsRequest>,
    ) -> Result<Response<ListModelDefinitionsResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let mut found: Vec<_> = model
            .all_namespaces()
            .filter(|n| n.parent.is_none())
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Response::new(ListModelDefinitionsResponse {
            model_definitions: found
                .iter()
                .map(|n| convert::namespace(&model, n))
                .collect(),
        }))
    }

    async fn search_namespaces(
        &self,
        request: Request<SearchNamespacesRequest>,
    ) -> Result<Response<BoxStream<Namespace>>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.get_ref();
        let root = target::namespace(&model, request.name_space_id.as_ref())?;
        let found = convert::namespaces_under(&model, root, request.recursive_search);
        Ok(stream(
            found
                .iter()
                .filter_map(|id| model.namespace(*id))
                .map(|n| convert::namespace(&model, n))
                .collect(),
        ))
    }

    async fn get_namespace(
        &self,
        request: Request<GetNamespaceRequest>,
    ) -> Result<Response<Namespace>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let id = target::namespace(&model, request.get_ref().name_space_id.as_ref())?;
        Ok(Response::new(convert::namespace(
            &model,
            model.find_namespace(id).or_status()?,
        )))
    }

    async fn create_namespace(
        &self,
        request: Request<CreateNamespaceRequest>,
    ) -> Result<Response<Namespace>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let id = Uuid::new_v4();
        create(
            &lease,
            |model| {
                let parent = match &request.name_space_id {
                    Some(parent) => Some(target::namespace(model, Some(parent))?),
                    None => None,
                };
                Ok(Change::CreateNamespace {
                    id,
                    parent,
                    name: request.name.clone(),
                    description: request.description.clone(),
                })
            },
            |model| {
                Ok(convert::namespace(
                    model,
                    model.find_namespace(id).or_status()?,
                ))
            },
        )
        .await
    }

    async fn update_namespace(
        &self,
        request: Request<UpdateNamespaceRequest>,
    ) -> Result<Response<UpdateNamespaceResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let fields = update_fields(
            request.field_mask.as_ref(),
            &["new_name", "new_description"],
        )?;
        change(&lease, |model| {
            let id = target::namespace(model, request.name_space_id.as_ref())?;
            Ok(Change::UpdateNamespace {
                id,
                name: fields
                    .contains(&"new_name")
                    .then(|| request.new_name.clone()),
                description: fields
                    .contains(&"new_description")
                    .then(|| request.new_description.clone()),
            })
        })
        .await?;
        Ok(Response::new(UpdateNamespaceResponse {}))
    }

    async fn delete_namespace(
        &self,
        request: Request<DeleteNamespaceRequest>,
    ) -> Result<Response<DeleteNamespaceResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        change(&lease, |model| {
            Ok(Change::DeleteNamespace {
                id: target::namespace(model, request.name_space_id.as_ref())?,
            })
        })
        .await?;
        Ok(Response::new(DeleteNamespaceResponse {}))
    }

    // ---- object definitions ----

    async fn search_object_definitions(
        &self,
        request: Request<SearchObjectDefinitionsRequest>,
    ) -> Result<Response<BoxStream<ObjectDefinition>>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.get_ref();
        let root = target::namespace(&model, request.name_space_id.as_ref())?;
        let mut spaces = convert::namespaces_under(&model, root, request.recursive_search);
        spaces.push(root);
        let mut found: Vec<_> = model
            .all_object_definitions()
            .filter(|d| spaces.contains(&d.namespace))
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        let items = found
            .iter()
            .map(|d| convert::object_definition(&model, d, request.field_mask.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(stream(items))
    }

    async fn get_object_definition(
        &self,
        request: Request<GetObjectDefinitionRequest>,
    ) -> Result<Response<ObjectDefinition>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.get_ref();
        let id = target::object_definition(&model, request.object_definition_id.as_ref())?;
        Ok(Response::new(convert::object_definition(
            &model,
            model.find_object_definition(id).or_status()?,
            request.field_mask.as_ref(),
        )?))
    }

    async fn create_object_definition(
        &self,
        request: Request<CreateObjectDefinitionRequest>,
    ) -> Result<Response<ObjectDefinition>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let id = Uuid::new_v4();
        let tags = guids(&request.tag_ids, "tag_ids")?;
        create(
            &lease,
            |model| {
                Ok(Change::CreateObjectDefinition {
                    id,
                    namespace: target::namespace(model, request.name_space_id.as_ref())?,
                    name: request.name.clone(),
                    description: request.description.clone(),
                    tags,
                })
            },
            |model| {
                convert::object_definition(
                    model,
                    model.find_object_definition(id).or_status()?,
                    None,
                )
            },
        )
        .await
    }

    async fn update_object_definition(
        &self,
        request: Request<UpdateObjectDefinitionRequest>,
    ) -> Result<Response<UpdateObjectDefinitionResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let fields = update_fields(
            request.field_mask.as_ref(),
            &[
                "new_name",
                "new_description",
                "new_tag_ids",
                "new_name_space_id",
            ],
        )?;
        let tags = guids(&request.new_tag_ids, "new_tag_ids")?;
        change(&lease, |model| {
            let namespace = if fields.contains(&"new_name_space_id") {
                Some(target::namespace(
                    model,
                    request.new_name_space_id.as_ref(),
                )?)
            } else {
                None
            };
            Ok(Change::UpdateObjectDefinition {
                id: target::object_definition(model, request.object_definition_id.as_ref())?,
                name: fields
                    .contains(&"new_name")
                    .then(|| request.new_name.clone()),
                description: fields
                    .contains(&"new_description")
                    .then(|| request.new_description.clone()),
                tags: fields.contains(&"new_tag_ids").then_some(tags),
                namespace,
            })
        })
        .await?;
        Ok(Response::new(UpdateObjectDefinitionResponse {}))
    }

    async fn delete_object_definition(
        &self,
        request: Request<DeleteObjectDefinitionRequest>,
    ) -> Result<Response<DeleteObjectDefinitionResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        change(&lease, |model| {
            Ok(Change::DeleteObjectDefinition {
                id: target::object_definition(model, request.object_definition_id.as_ref())?,
            })
        })
        .await?;
        Ok(Response::new(DeleteObjectDefinitionResponse {}))
    }

    // ---- attribute types ----

    async fn search_attribute_types(
        &self,
        request: Request<SearchAttributeTypesRequest>,
    ) -> Result<Response<BoxStream<AttributeType>>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let request = request.get_ref();
        let root = target::namespace(&model, request.name_space_id.as_ref())?;
        let mut spaces = convert::namespaces_under(&model, root, request.recursive_search);
        spaces.push(root);
        let mut found: Vec<_> = model
            .all_attribute_types()
            .filter(|t| spaces.contains(&t.namespace))
            .filter(|t| {
                request
                    .value_type
                    .is_none_or(|v| convert::type_value_type(t) as i32 == v)
            })
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(stream(
            found
                .iter()
                .map(|t| convert::attribute_type(&model, t))
                .collect(),
        ))
    }

    async fn get_attribute_type(
        &self,
        request: Request<GetAttributeTypeRequest>,
    ) -> Result<Response<AttributeType>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let id = target::attribute_type(&model, request.get_ref().attribute_type_id.as_ref())?;
        Ok(Response::new(convert::attribute_type(
            &model,
            model.find_attribute_type(id).or_status()?,
        )))
    }

    async fn create_simple_attribute_type(
        &self,
        request: Request<CreateSimpleAttributeTypeRequest>,
    ) -> Result<Response<AttributeType>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let kind = requests::simple_type(r)?;
        self.create_type(
            &lease,
            r.name_space_id.as_ref(),
            &r.name,
            &r.description,
            &r.tag_ids,
            kind,
        )
        .await
    }

    async fn create_timeseries_attribute_type(
        &self,
        request: Request<CreateTimeseriesAttributeTypeRequest>,
    ) -> Result<Response<AttributeType>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let unit = r
            .unit_of_measurement_id
            .as_ref()
            .map(|g| guid::from_proto(g, "unit_of_measurement_id"))
            .transpose()?;
        self.create_type(
            &lease,
            r.name_space_id.as_ref(),
            &r.name,
            &r.description,
            &r.tag_ids,
            mesh_model::TypeKind::Timeseries { unit },
        )
        .await
    }

    async fn create_ownership_relation_attribute_type(
        &self,
        request: Request<CreateRelationAttributeTypeRequest>,
    ) -> Result<Response<AttributeType>, Status> {
        self.create_relation_type(request, true).await
    }

    async fn create_link_relation_attribute_type(
        &self,
        request: Request<CreateRelationAttributeTypeRequest>,
    ) -> Result<Response<AttributeType>, Status> {
        self.create_relation_type(request, false).await
    }

    async fn create_rating_curve_attribute_type(
        &self,
        request: Request<CreateRatingCurveAttributeTypeRequest>,
    ) -> Result<Response<AttributeType>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        self.create_type(
            &lease,
            r.name_space_id.as_ref(),
            &r.name,
            &r.description,
            &r.tag_ids,
            mesh_model::TypeKind::RatingCurve,
        )
        .await
    }

    async fn create_xy_set_attribute_type(
        &self,
        request: Request<CreateXySetAttributeTypeRequest>,
    ) -> Result<Response<AttributeType>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let kind = mesh_model::TypeKind::XySet {
            expression: r.expression.clone(),
        };
        self.create_type(
            &lease,
            r.name_space_id.as_ref(),
            &r.name,
            &r.description,
            &r.tag_ids,
            kind,
        )
        .await
    }

    async fn update_simple_attribute_type(
        &self,
        request: Request<UpdateSimpleAttributeTypeRequest>,
    ) -> Result<Response<UpdateAttributeTypeResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let fields = update_fields(
            r.field_mask.as_ref(),
            &[
                "new_name",
                "new_description",
                "new_expression",
                "new_unit_of_measurement_id",
                "new_tag_ids",
                "new_name_space_id",
            ],
        )?;
        let unit = if fields.contains(&"new_unit_of_measurement_id") {
            Some(
                r.new_unit_of_measurement_id
                    .as_ref()
                    .map(|g| guid::from_proto(g, "new_unit_of_measurement_id"))
                    .transpose()?,
            )
        } else {
            None
        };
        let update = requests::TypeUpdate {
            unit,
            expression: fields
                .contains(&"new_expression")
                .then(|| r.new_expression.clone()),
            ..requests::TypeUpdate::common(
                &fields,
                r.attribute_type_id.as_ref(),
                &r.new_name,
                &r.new_description,
                &r.new_tag_ids,
                r.new_name_space_id.as_ref(),
            )?
        };
        update.apply(&lease).await?;
        Ok(Response::new(UpdateAttributeTypeResponse {}))
    }

    async fn update_timeseries_attribute_type(
        &self,
        request: Request<UpdateTimeseriesAttributeTypeRequest>,
    ) -> Result<Response<UpdateAttributeTypeResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let fields = update_fields(
            r.field_mask.as_ref(),
            &[
                "new_name",
                "new_description",
                "new_unit_of_measurement_id",
                "new_tag_ids",
                "new_name_space_id",
            ],
        )?;
        let unit = if fields.contains(&"new_unit_of_measurement_id") {
            Some(
                r.new_unit_of_measurement_id
                    .as_ref()
                    .map(|g| guid::from_proto(g, "new_unit_of_measurement_id"))
                    .transpose()?,
            )
        } else {
            None
        };
        let update = requests::TypeUpdate {
            unit,
            expression: None,
            ..requests::TypeUpdate::common(
                &fields,
                r.attribute_type_id.as_ref(),
                &r.new_name,
                &r.new_description,
                &r.new_tag_ids,
                r.new_name_space_id.as_ref(),
            )?
        };
        update.apply(&lease).await?;
        Ok(Response::new(UpdateAttributeTypeResponse {}))
    }

    async fn update_relation_attribute_type(
        &self,
        request: Request<UpdateRelationAttributeTypeRequest>,
    ) -> Result<Response<UpdateAttributeTypeResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let fields = update_fields(
            r.field_mask.as_ref(),
            &[
                "new_name",
                "new_description",
                "new_tag_ids",
                "new_name_space_id",
            ],
        )?;
        requests::TypeUpdate {
            unit: None,
            expression: None,
            ..requests::TypeUpdate::common(
                &fields,
                r.attribute_type_id.as_ref(),
                &r.new_name,
                &r.new_description,
                &r.new_tag_ids,
                r.new_name_space_id.as_ref(),
            )?
        }
        .apply(&lease)
        .await?;
        Ok(Response::new(UpdateAttributeTypeResponse {}))
    }

    async fn update_rating_curve_attribute_type(
        &self,
        request: Request<UpdateRatingCurveAttributeTypeRequest>,
    ) -> Result<Response<UpdateAttributeTypeResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let fields = update_fields(
            r.field_mask.as_ref(),
            &[
                "new_name",
                "new_description",
                "new_tag_ids",
                "new_name_space_id",
            ],
        )?;
        requests::TypeUpdate {
            unit: None,
            expression: None,
            ..requests::TypeUpdate::common(
                &fields,
                r.attribute_type_id.as_ref(),
                &r.new_name,
                &r.new_description,
                &r.new_tag_ids,
                r.new_name_space_id.as_ref(),
            )?
        }
        .apply(&lease)
        .await?;
        Ok(Response::new(UpdateAttributeTypeResponse {}))
    }

    async fn update_xy_set_attribute_type(
        &self,
        request: Request<UpdateXySetAttributeTypeRequest>,
    ) -> Result<Response<UpdateAttributeTypeResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let fields = update_fields(
            r.field_mask.as_ref(),
            &[
                "new_name",
                "new_description",
                "new_expression",
                "new_tag_ids",
                "new_name_space_id",
            ],
        )?;
        requests::TypeUpdate {
            unit: None,
            expression: fields
                .contains(&"new_expression")
                .then(|| r.new_expression.clone()),
            ..requests::TypeUpdate::common(
                &fields,
                r.attribute_type_id.as_ref(),
                &r.new_name,
                &r.new_description,
                &r.new_tag_ids,
                r.new_name_space_id.as_ref(),
            )?
        }
        .apply(&lease)
        .await?;
        Ok(Response::new(UpdateAttributeTypeResponse {}))
    }

    async fn delete_attribute_type(
        &self,
        request: Request<DeleteAttributeTypeRequest>,
    ) -> Result<Response<DeleteAttributeTypeResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        change(&lease, |model| {
            Ok(Change::DeleteAttributeType {
                id: target::attribute_type(model, r.attribute_type_id.as_ref())?,
            })
        })
        .await?;
        Ok(Response::new(DeleteAttributeTypeResponse {}))
    }

    // ---- attribute definitions ----

    async fn search_attribute_definitions(
        &self,
        request: Request<SearchAttributeDefinitionsRequest>,
    ) -> Result<Response<BoxStream<AttributeDefinition>>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let r = request.get_ref();
        let base = target::attribute_type(&model, r.attribute_type_id.as_ref())?;
        let mut found: Vec<_> = model
            .all_attribute_definitions()
            .filter(|d| d.attribute_type == base)
            .map(|d| d.id)
            .collect();
        found.sort();
        let items = found
            .into_iter()
            .map(|id| crate::services::model::convert::attribute_definition(&model, id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(stream(items))
    }

    async fn get_attribute_definition(
        &self,
        request: Request<GetAttributeDefinitionRequest>,
    ) -> Result<Response<AttributeDefinition>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let id = target::attribute_definition(
            &model,
            request.get_ref().attribute_definition_id.as_ref(),
        )?;
        Ok(Response::new(
            crate::services::model::convert::attribute_definition(&model, id)?,
        ))
    }

    async fn add_simple_attribute_definition(
        &self,
        request: Request<AddSimpleAttributeDefinitionRequest>,
    ) -> Result<Response<AttributeDefinition>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let rules = requests::simple_rules(
            r.default_value.as_ref(),
            r.lower_threshold.as_ref(),
            r.upper_threshold.as_ref(),
            &r.allowed_values,
        )?;
        self.add_definition(
            &lease,
            r.attribute_type_id.as_ref(),
            r.object_definition_id.as_ref(),
            &r.description,
            r.cardinality,
            rules,
        )
        .await
    }

    async fn add_timeseries_attribute_definition(
        &self,
        request: Request<AddTimeseriesAttributeDefinitionRequest>,
    ) -> Result<Response<AttributeDefinition>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let rules = mesh_model::DefinitionRules::Timeseries {
            template_expression: r.template_expression.clone(),
        };
        self.add_definition(
            &lease,
            r.attribute_type_id.as_ref(),
            r.object_definition_id.as_ref(),
            &r.description,
            r.cardinality,
            rules,
        )
        .await
    }

    async fn add_ownership_relation_attribute_definition(
        &self,
        request: Request<AddOwnershipRelationAttributeDefinitionRequest>,
    ) -> Result<Response<AttributeDefinition>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let rules = mesh_model::DefinitionRules::OwnershipRelation;
        self.add_definition(
            &lease,
            r.attribute_type_id.as_ref(),
            r.object_definition_id.as_ref(),
            &r.description,
            r.cardinality,
            rules,
        )
        .await
    }

    async fn add_link_relation_attribute_definition(
        &self,
        request: Request<AddLinkRelationAttributeDefinitionRequest>,
    ) -> Result<Response<AttributeDefinition>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let rules = mesh_model::DefinitionRules::LinkRelation {
            versioned: r.versioned,
        };
        self.add_definition(
            &lease,
            r.attribute_type_id.as_ref(),
            r.object_definition_id.as_ref(),
            &r.description,
            r.cardinality,
            rules,
        )
        .await
    }

    async fn add_rating_curve_attribute_definition(
        &self,
        request: Request<AddRatingCurveAttributeDefinitionRequest>,
    ) -> Result<Response<AttributeDefinition>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let rules = mesh_model::DefinitionRules::RatingCurve;
        self.add_definition(
            &lease,
            r.attribute_type_id.as_ref(),
            r.object_definition_id.as_ref(),
            &r.description,
            1,
            rules,
        )
        .await
    }

    async fn add_xy_set_attribute_definition(
        &self,
        request: Request<AddXySetAttributeDefinitionRequest>,
    ) -> Result<Response<AttributeDefinition>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let rules = mesh_model::DefinitionRules::XySet {
            versioned: r.versioned,
            x_axis: requests::axis(r.x_axis.as_ref())?,
            y_axis: requests::axis(r.y_axis.as_ref())?,
            z_axis: r
                .z_axis
                .as_ref()
                .map(|a| requests::axis(Some(a)))
                .transpose()?,
        };
        self.add_definition(
            &lease,
            r.attribute_type_id.as_ref(),
            r.object_definition_id.as_ref(),
            &r.description,
            1,
            rules,
        )
        .await
    }

    async fn update_simple_attribute_definition(
        &self,
        request: Request<UpdateSimpleAttributeDefinitionRequest>,
    ) -> Result<Response<UpdateAttributeDefinitionResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let fields = update_fields(
            r.field_mask.as_ref(),
            &[
                "new_description",
                "new_cardinality",
                "new_default_value",
                "new_upper_threshold",
                "new_lower_threshold",
                "new_allowed_values",
            ],
        )?;
        change(&lease, |model| {
            let id = target::attribute_definition(model, r.attribute_definition_id.as_ref())?;
            let rules = requests::updated_simple_rules(model, id, &fields, r)?;
            Ok(Change::UpdateAttributeDefinition {
                id,
                description: fields
                    .contains(&"new_description")
                    .then(|| r.new_description.clone()),
                cardinality: fields
                    .contains(&"new_cardinality")
                    .then(|| requests::cardinality(r.new_cardinality)),
                rules,
            })
        })
        .await?;
        Ok(Response::new(UpdateAttributeDefinitionResponse {}))
    }

    async fn update_timeseries_attribute_definition(
        &self,
        request: Request<UpdateTimeseriesAttributeDefinitionRequest>,
    ) -> Result<Response<UpdateAttributeDefinitionResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let fields = update_fields(
            r.field_mask.as_ref(),
            &[
                "new_description",
                "new_cardinality",
                "new_template_expression",
            ],
        )?;
        change(&lease, |model| {
            let id = target::attribute_definition(model, r.attribute_definition_id.as_ref())?;
            Ok(Change::UpdateAttributeDefinition {
                id,
                description: fields
                    .contains(&"new_description")
                    .then(|| r.new_description.clone()),
                cardinality: fields
                    .contains(&"new_cardinality")
                    .then(|| requests::cardinality(r.new_cardinality)),
                rules: fields.contains(&"new_template_expression").then(|| {
                    mesh_model::DefinitionRules::Timeseries {
                        template_expression: r.new_template_expression.clone(),
                    }
                }),
            })
        })
        .await?;
        Ok(Response::new(UpdateAttributeDefinitionResponse {}))
    }

    async fn update_relation_attribute_definition(
        &self,
        request: Request<UpdateRelationAttributeDefinitionRequest>,
    ) -> Result<Response<UpdateAttributeDefinitionResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let fields = update_fields(
            r.field_mask.as_ref(),
            &["new_description", "new_cardinality"],
        )?;
        change(&lease, |model| {
            let id = target::attribute_definition(model, r.attribute_definition_id.as_ref())?;
            Ok(Change::UpdateAttributeDefinition {
                id,
                description: fields
                    .contains(&"new_description")
                    .then(|| r.new_description.clone()),
                cardinality: fields
                    .contains(&"new_cardinality")
                    .then(|| requests::cardinality(r.new_cardinality)),
                rules: None,
            })
        })
        .await?;
        Ok(Response::new(UpdateAttributeDefinitionResponse {}))
    }

    async fn update_rating_curve_attribute_definition(
        &self,
        request: Request<UpdateRatingCurveAttributeDefinitionRequest>,
    ) -> Result<Response<UpdateAttributeDefinitionResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        update_fields(r.field_mask.as_ref(), &["new_description"])?;
        change(&lease, |model| {
            let id = target::attribute_definition(model, r.attribute_definition_id.as_ref())?;
            Ok(Change::UpdateAttributeDefinition {
                id,
                description: Some(r.new_description.clone()),
                cardinality: None,
                rules: None,
            })
        })
        .await?;
        Ok(Response::new(UpdateAttributeDefinitionResponse {}))
    }

    async fn update_xy_set_attribute_definition(
        &self,
        request: Request<UpdateXySetAttributeDefinitionRequest>,
    ) -> Result<Response<UpdateAttributeDefinitionResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let fields = update_fields(
            r.field_mask.as_ref(),
            &["new_description", "new_x_axis", "new_y_axis", "new_z_axis"],
        )?;
        change(&lease, |model| {
            let id = target::attribute_definition(model, r.attribute_definition_id.as_ref())?;
            let rules = requests::updated_xy_rules(model, id, &fields, r)?;
            Ok(Change::UpdateAttributeDefinition {
                id,
                description: fields
                    .contains(&"new_description")
                    .then(|| r.new_description.clone()),
                cardinality: None,
                rules,
            })
        })
        .await?;
        Ok(Response::new(UpdateAttributeDefinitionResponse {}))
    }

    async fn delete_attribute_definition(
        &self,
        request: Request<DeleteAttributeDefinitionRequest>,
    ) -> Result<Response<DeleteAttributeDefinitionResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        change(&lease, |model| {
            Ok(Change::DeleteAttributeDefinition {
                id: target::attribute_definition(model, r.attribute_definition_id.as_ref())?,
            })
        })
        .await?;
        Ok(Response::new(DeleteAttributeDefinitionResponse {}))
    }

    // ---- tags ----

    async fn create_tag(
        &self,
        request: Request<CreateTagRequest>,
    ) -> Result<Response<Tag>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let id = Uuid::new_v4();
        create(
            &lease,
            |model| {
                Ok(Change::CreateTag {
                    id,
                    model_definition: target::namespace(model, r.model_definition.as_ref())?,
                    name: r.name.clone(),
                    description: r.description.clone(),
                })
            },
            |model| {
                Ok(crate::services::model::convert::tag(
                    model.find_tag(id).or_status()?,
                ))
            },
        )
        .await
    }

    async fn list_tags(
        &self,
        request: Request<ListTagsRequest>,
    ) -> Result<Response<ListTagsResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let definition = target::namespace(&model, request.get_ref().model_definition.as_ref())?;
        let mut tags: Vec<_> = model
            .all_tags()
            .filter(|t| t.model_definition == definition)
            .collect();
        tags.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Response::new(ListTagsResponse {
            tags: tags
                .into_iter()
                .map(crate::services::model::convert::tag)
                .collect(),
        }))
    }

    async fn get_tag(&self, request: Request<GetTagRequest>) -> Result<Response<Tag>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let id = guid::required(request.get_ref().tag_id.as_ref(), "tag_id")?;
        Ok(Response::new(crate::services::model::convert::tag(
            model.find_tag(id).or_status()?,
        )))
    }

    async fn search_tag_usages(
        &self,
        request: Request<SearchTagUsagesRequest>,
    ) -> Result<Response<BoxStream<TagUsage>>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let r = request.get_ref();
        let id = guid::required(r.tag_id.as_ref(), "tag_id")?;
        model.find_tag(id).or_status()?;
        let mut usages = Vec::new();
        for d in model
            .all_object_definitions()
            .filter(|d| d.tags.contains(&id))
        {
            usages.push(TagUsage {
                usage_oneof: Some(tag_usage::UsageOneof::ObjectDefinition(
                    convert::object_definition(&model, d, r.field_mask.as_ref())?,
                )),
            });
        }
        for t in model.all_attribute_types().filter(|t| t.tags.contains(&id)) {
            usages.push(TagUsage {
                usage_oneof: Some(tag_usage::UsageOneof::AttributeType(
                    convert::attribute_type(&model, t),
                )),
            });
        }
        Ok(stream(usages))
    }

    async fn update_tag(
        &self,
        request: Request<UpdateTagRequest>,
    ) -> Result<Response<UpdateTagResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let fields = update_fields(r.field_mask.as_ref(), &["new_name", "new_description"])?;
        let id = guid::required(r.tag_id.as_ref(), "tag_id")?;
        change(&lease, |_| {
            Ok(Change::UpdateTag {
                id,
                name: fields.contains(&"new_name").then(|| r.new_name.clone()),
                description: fields
                    .contains(&"new_description")
                    .then(|| r.new_description.clone()),
            })
        })
        .await?;
        Ok(Response::new(UpdateTagResponse {}))
    }

    async fn delete_tag(
        &self,
        request: Request<DeleteTagRequest>,
    ) -> Result<Response<DeleteTagResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let id = guid::required(r.tag_id.as_ref(), "tag_id")?;
        change(&lease, |_| {
            Ok(Change::DeleteTag {
                id,
                delete_usages: r.delete_usages,
            })
        })
        .await?;
        Ok(Response::new(DeleteTagResponse {}))
    }

    // ---- extended metadata ----

    async fn get_extended_metadata(
        &self,
        request: Request<GetExtendedMetadataRequest>,
    ) -> Result<Response<GetExtendedMetadataResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let model = view(&lease).await;
        let id = target::any(&model, request.get_ref().id.as_ref())?;
        let metadata = model
            .metadata(id)
            .map(|entries| {
                entries
                    .iter()
                    .map(|(category, json)| requests::metadata_to_proto(category, json))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        Ok(Response::new(GetExtendedMetadataResponse { metadata }))
    }

    async fn set_extended_metadata(
        &self,
        request: Request<SetExtendedMetadataRequest>,
    ) -> Result<Response<SetExtendedMetadataResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let entries = r
            .metadata
            .iter()
            .map(requests::metadata_from_proto)
            .collect::<Result<Vec<_>, _>>()?;
        change(&lease, |model| {
            Ok(Change::SetMetadata {
                id: target::any(model, r.id.as_ref())?,
                entries,
            })
        })
        .await?;
        Ok(Response::new(SetExtendedMetadataResponse {}))
    }
}

impl ModelDefinitionApi {
    async fn create_type(
        &self,
        lease: &SessionLease,
        namespace: Option<&mesh_proto::types::MeshId>,
        name: &str,
        description: &str,
        tag_ids: &[Guid],
        kind: mesh_model::TypeKind,
    ) -> Result<Response<AttributeType>, Status> {
        let id = Uuid::new_v4();
        let tags = guids(tag_ids, "tag_ids")?;
        create(
            lease,
            |model| {
                Ok(Change::CreateAttributeType {
                    id,
                    namespace: target::namespace(model, namespace)?,
                    name: name.to_string(),
                    description: description.to_string(),
                    tags,
                    kind,
                })
            },
            |model| {
                Ok(convert::attribute_type(
                    model,
                    model.find_attribute_type(id).or_status()?,
                ))
            },
        )
        .await
    }

    async fn create_relation_type(
        &self,
        request: Request<CreateRelationAttributeTypeRequest>,
        ownership: bool,
    ) -> Result<Response<AttributeType>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let r = request.get_ref();
        let target = {
            let model = view(&lease).await;
            target::object_definition(&model, r.target_object_definition_id.as_ref())?
        };
        let kind = if ownership {
            mesh_model::TypeKind::OwnershipRelation { target }
        } else {
            mesh_model::TypeKind::LinkRelation { target }
        };
        self.create_type(
            &lease,
            r.name_space_id.as_ref(),
            &r.name,
            &r.description,
            &r.tag_ids,
            kind,
        )
        .await
    }

    async fn add_definition(
        &self,
        lease: &SessionLease,
        attribute_type: Option<&mesh_proto::types::MeshId>,
        object_definition: Option<&mesh_proto::types::MeshId>,
        description: &str,
        cardinality: i32,
        rules: mesh_model::DefinitionRules,
    ) -> Result<Response<AttributeDefinition>, Status> {
        let id = Uuid::new_v4();
        let (minimum_cardinality, maximum_cardinality) = requests::cardinality(cardinality);
        create(
            lease,
            |model| {
                Ok(Change::AddAttributeDefinition {
                    id,
                    object_definition: target::object_definition(model, object_definition)?,
                    attribute_type: target::attribute_type(model, attribute_type)?,
                    description: description.to_string(),
                    minimum_cardinality,
                    maximum_cardinality,
                    rules,
                })
            },
            |model| crate::services::model::convert::attribute_definition(model, id),
        )
        .await
    }
}
