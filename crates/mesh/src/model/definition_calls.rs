//! The model definition calls on [`Session`]: model definitions,
//! namespaces, object definitions, attribute types and attribute
//! definitions. Like everything else, they stay private to the session
//! until [`Session::commit`].

use mesh_proto::model_definition::model_definition_service_client::ModelDefinitionServiceClient;
use mesh_proto::model_definition::{
    AddOwnershipRelationAttributeDefinitionRequest, AddSimpleAttributeDefinitionRequest,
    AddTimeseriesAttributeDefinitionRequest, CreateNamespaceRequest, CreateObjectDefinitionRequest,
    CreateRelationAttributeTypeRequest, CreateSimpleAttributeTypeRequest,
    CreateTimeseriesAttributeTypeRequest, DeleteAttributeTypeRequest,
    DeleteObjectDefinitionRequest, GetAttributeTypeRequest, GetObjectDefinitionRequest,
    ListModelDefinitionsRequest,
};

use super::definitions::{
    attribute_definition, attribute_type, namespace, object_definition, AttributeDefinition,
    AttributeType, Namespace, ObjectDefinition, SimpleDefinition,
};
use super::ids::Target;
use super::values::ValueType;
use crate::connection::Transport;
use crate::error::{Error, Result};
use crate::guid;
use crate::session::Session;

/// A cardinality as the wire carries it.
fn cardinality(cardinality: u32) -> i32 {
    i32::try_from(cardinality).unwrap_or(i32::MAX)
}

impl Session {
    /// Every model definition (namespace without owner), as this session
    /// sees them, by name.
    pub async fn list_model_definitions(&self) -> Result<Vec<Namespace>> {
        let id = self.open_id()?;
        let answer = self
            .definition_client()
            .list_model_definitions(ListModelDefinitionsRequest {
                session_id: Some(guid::to_proto(id)),
                field_mask: None,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        answer
            .model_definitions
            .into_iter()
            .map(namespace)
            .collect()
    }

    /// Creates a model definition named `name`; its path becomes
    /// `Repository/<name>`.
    pub async fn create_model_definition(
        &self,
        name: &str,
        description: &str,
    ) -> Result<Namespace> {
        self.new_namespace(None, name, description).await
    }

    /// Creates a namespace named `name` in the namespace (or model
    /// definition) `parent`.
    pub async fn create_namespace(
        &self,
        parent: impl Into<Target>,
        name: &str,
        description: &str,
    ) -> Result<Namespace> {
        self.new_namespace(Some(parent.into()), name, description)
            .await
    }

    async fn new_namespace(
        &self,
        parent: Option<Target>,
        name: &str,
        description: &str,
    ) -> Result<Namespace> {
        let id = self.open_id()?;
        let answer = self
            .definition_client()
            .create_namespace(CreateNamespaceRequest {
                session_id: Some(guid::to_proto(id)),
                name_space_id: parent.as_ref().map(Target::to_proto),
                name: name.to_string(),
                description: description.to_string(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        namespace(answer)
    }

    /// Creates an object definition named `name` in the namespace (or
    /// model definition) `namespace`.
    pub async fn create_object_definition(
        &self,
        namespace: impl Into<Target>,
        name: &str,
        description: &str,
    ) -> Result<ObjectDefinition> {
        let id = self.open_id()?;
        let answer = self
            .definition_client()
            .create_object_definition(CreateObjectDefinitionRequest {
                session_id: Some(guid::to_proto(id)),
                name_space_id: Some(namespace.into().to_proto()),
                name: name.to_string(),
                description: description.to_string(),
                tag_ids: Vec::new(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        object_definition(answer)
    }

    /// The object definition `target` names, with its attribute
    /// definitions.
    pub async fn get_object_definition(
        &self,
        target: impl Into<Target>,
    ) -> Result<ObjectDefinition> {
        let id = self.open_id()?;
        let answer = self
            .definition_client()
            .get_object_definition(GetObjectDefinitionRequest {
                session_id: Some(guid::to_proto(id)),
                object_definition_id: Some(target.into().to_proto()),
                field_mask: None,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        object_definition(answer)
    }

    /// Deletes the object definition `target`.
    pub async fn delete_object_definition(&self, target: impl Into<Target>) -> Result<()> {
        let id = self.open_id()?;
        self.definition_client()
            .delete_object_definition(DeleteObjectDefinitionRequest {
                session_id: Some(guid::to_proto(id)),
                object_definition_id: Some(target.into().to_proto()),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// Creates a simple attribute type named `name` in `namespace`, holding
    /// values of `value_type` (int, double, bool, string or UTC time),
    /// measured in `unit` if given: the unit's name as the server lists it
    /// (exact, case-sensitive); an unknown name is [`Error::UnknownUnit`].
    pub async fn create_simple_attribute_type(
        &self,
        namespace: impl Into<Target>,
        name: &str,
        value_type: ValueType,
        unit: Option<&str>,
    ) -> Result<AttributeType> {
        let id = self.open_id()?;
        if !value_type.is_simple() {
            return Err(Error::InvalidArgument(format!(
                "a simple attribute type holds int, double, bool, string or UTC time values, not {value_type:?}"
            )));
        }
        let unit_of_measurement_id = match unit {
            Some(unit) => Some(guid::to_proto(self.unit_id(unit).await?)),
            None => None,
        };
        let answer = self
            .definition_client()
            .create_simple_attribute_type(CreateSimpleAttributeTypeRequest {
                session_id: Some(guid::to_proto(id)),
                name_space_id: Some(namespace.into().to_proto()),
                name: name.to_string(),
                value_type: value_type.to_proto(),
                unit_of_measurement_id,
                ..Default::default()
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        attribute_type(answer)
    }

    /// Creates an ownership attribute type named `name` in `namespace`: its
    /// attributes own objects of the object definition `target_definition`.
    pub async fn create_ownership_relation_attribute_type(
        &self,
        namespace: impl Into<Target>,
        name: &str,
        target_definition: impl Into<Target>,
    ) -> Result<AttributeType> {
        self.relation_type(namespace.into(), name, target_definition.into(), true)
            .await
    }

    /// Creates a link attribute type named `name` in `namespace`: its
    /// attributes link to objects of the object definition
    /// `target_definition`.
    pub async fn create_link_relation_attribute_type(
        &self,
        namespace: impl Into<Target>,
        name: &str,
        target_definition: impl Into<Target>,
    ) -> Result<AttributeType> {
        self.relation_type(namespace.into(), name, target_definition.into(), false)
            .await
    }

    async fn relation_type(
        &self,
        namespace: Target,
        name: &str,
        target_definition: Target,
        ownership: bool,
    ) -> Result<AttributeType> {
        let id = self.open_id()?;
        let request = CreateRelationAttributeTypeRequest {
            session_id: Some(guid::to_proto(id)),
            name_space_id: Some(namespace.to_proto()),
            name: name.to_string(),
            description: String::new(),
            target_object_definition_id: Some(target_definition.to_proto()),
            tag_ids: Vec::new(),
        };
        let mut client = self.definition_client();
        let answer = if ownership {
            client
                .create_ownership_relation_attribute_type(request)
                .await
        } else {
            client.create_link_relation_attribute_type(request).await
        }
        .map_err(|status| Error::from_session_call(status, id))?
        .into_inner();
        attribute_type(answer)
    }

    /// The attribute type `target` names.
    pub async fn get_attribute_type(&self, target: impl Into<Target>) -> Result<AttributeType> {
        let id = self.open_id()?;
        let answer = self
            .definition_client()
            .get_attribute_type(GetAttributeTypeRequest {
                session_id: Some(guid::to_proto(id)),
                attribute_type_id: Some(target.into().to_proto()),
                field_mask: None,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        attribute_type(answer)
    }

    /// Deletes the attribute type `target`.
    pub async fn delete_attribute_type(&self, target: impl Into<Target>) -> Result<()> {
        let id = self.open_id()?;
        self.definition_client()
            .delete_attribute_type(DeleteAttributeTypeRequest {
                session_id: Some(guid::to_proto(id)),
                attribute_type_id: Some(target.into().to_proto()),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// Adds the simple attribute type `attribute_type` to the object
    /// definition `object_definition`, with the rules of `definition`:
    /// every object of the definition gets the attribute. A minimum or
    /// maximum other than an integer, double or time, or an allowed value
    /// other than an integer, double or string, is
    /// [`Error::InvalidArgument`].
    pub async fn add_simple_attribute_definition(
        &self,
        object_definition: impl Into<Target>,
        attribute_type: impl Into<Target>,
        definition: &SimpleDefinition,
    ) -> Result<AttributeDefinition> {
        let id = self.open_id()?;
        let request = AddSimpleAttributeDefinitionRequest {
            session_id: Some(guid::to_proto(id)),
            attribute_type_id: Some(attribute_type.into().to_proto()),
            object_definition_id: Some(object_definition.into().to_proto()),
            description: definition.description.clone(),
            cardinality: cardinality(definition.cardinality),
            default_value: definition.default_proto(),
            lower_threshold: SimpleDefinition::threshold_proto(
                definition.minimum.as_ref(),
                "minimum",
            )?,
            upper_threshold: SimpleDefinition::threshold_proto(
                definition.maximum.as_ref(),
                "maximum",
            )?,
            allowed_values: definition.allowed_proto()?,
        };
        let answer = self
            .definition_client()
            .add_simple_attribute_definition(request)
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        attribute_definition(answer)
    }

    /// Adds the ownership attribute type `attribute_type` to the object
    /// definition `object_definition`. A `cardinality` of 0 or 1 makes
    /// each attribute own at most one object; more, up to that many.
    pub async fn add_ownership_relation_attribute_definition(
        &self,
        object_definition: impl Into<Target>,
        attribute_type: impl Into<Target>,
        cardinality: u32,
    ) -> Result<AttributeDefinition> {
        let id = self.open_id()?;
        let answer = self
            .definition_client()
            .add_ownership_relation_attribute_definition(
                AddOwnershipRelationAttributeDefinitionRequest {
                    session_id: Some(guid::to_proto(id)),
                    attribute_type_id: Some(attribute_type.into().to_proto()),
                    object_definition_id: Some(object_definition.into().to_proto()),
                    description: String::new(),
                    cardinality: self::cardinality(cardinality),
                },
            )
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        attribute_definition(answer)
    }

    /// Creates a time series attribute type named `name` in `namespace`,
    /// its series measured in `unit` (a unit name as the server lists it).
    pub async fn create_timeseries_attribute_type(
        &self,
        namespace: impl Into<Target>,
        name: &str,
        unit: Option<&str>,
    ) -> Result<AttributeType> {
        let id = self.open_id()?;
        let unit_of_measurement_id = match unit {
            Some(unit) => Some(guid::to_proto(self.unit_id(unit).await?)),
            None => None,
        };
        let answer = self
            .definition_client()
            .create_timeseries_attribute_type(CreateTimeseriesAttributeTypeRequest {
                session_id: Some(guid::to_proto(id)),
                name_space_id: Some(namespace.into().to_proto()),
                name: name.to_string(),
                description: String::new(),
                unit_of_measurement_id,
                tag_ids: Vec::new(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        attribute_type(answer)
    }

    /// Adds a time series attribute of type `attribute_type` to
    /// `object_definition`, with `template_expression` for attributes that
    /// have no expression of their own (kept verbatim).
    pub async fn add_timeseries_attribute_definition(
        &self,
        object_definition: impl Into<Target>,
        attribute_type: impl Into<Target>,
        template_expression: &str,
    ) -> Result<AttributeDefinition> {
        let id = self.open_id()?;
        let answer = self
            .definition_client()
            .add_timeseries_attribute_definition(AddTimeseriesAttributeDefinitionRequest {
                session_id: Some(guid::to_proto(id)),
                attribute_type_id: Some(attribute_type.into().to_proto()),
                object_definition_id: Some(object_definition.into().to_proto()),
                description: String::new(),
                cardinality: 1,
                template_expression: template_expression.to_string(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        attribute_definition(answer)
    }

    pub(super) fn definition_client(&self) -> ModelDefinitionServiceClient<Transport> {
        ModelDefinitionServiceClient::new(self.connection().transport())
            .max_decoding_message_size(usize::MAX)
    }
}
