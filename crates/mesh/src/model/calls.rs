//! The model calls on [`Session`]: models, objects and their attributes.
//! Everything changed stays private to the session until
//! [`Session::commit`].

use mesh_proto::model::model_service_client::ModelServiceClient;
use mesh_proto::model::{
    AttributesMasks, CreateModelRequest, CreateObjectRequest, DeleteObjectRequest,
    GetAttributeRequest, GetObjectRequest, ListModelsRequest, SearchAttributesRequest,
    SearchObjectsByDefinitionRequest, SearchObjectsRequest, UpdateObjectRequest,
    UpdateSimpleAttributeRequest, UpdateTimeseriesAttributeRequest,
};
use prost_types::FieldMask;

use super::ids::Target;
use super::objects::{
    attribute, object, Attribute, AttributeValues, AttributeView, Object, BASIC_ATTRIBUTE_FIELDS,
    NO_ATTRIBUTES_OBJECT_FIELDS,
};
use super::values::AttributeUpdate;
use crate::connection::Transport;
use crate::error::{Error, Result};
use crate::guid;
use crate::session::Session;

fn mask(fields: &[&str]) -> FieldMask {
    FieldMask {
        paths: fields.iter().map(|f| f.to_string()).collect(),
    }
}

/// The object and attribute field masks of a view; an absent mask asks
/// for everything.
fn object_masks(view: AttributeView) -> (Option<FieldMask>, Option<FieldMask>) {
    match view {
        AttributeView::Basic => (None, Some(mask(&BASIC_ATTRIBUTE_FIELDS))),
        AttributeView::Full => (None, None),
        AttributeView::NoAttributes => (Some(mask(&NO_ATTRIBUTES_OBJECT_FIELDS)), None),
    }
}

fn attribute_mask(full: bool) -> Option<FieldMask> {
    (!full).then(|| mask(&BASIC_ATTRIBUTE_FIELDS))
}

impl Session {
    /// Every model, as this session sees them, each with its one attribute
    /// (`Objects`, owning the model's first objects).
    pub async fn list_models(&self) -> Result<Vec<Object>> {
        let id = self.open_id()?;
        let answer = self
            .model_client()
            .list_models(ListModelsRequest {
                session_id: Some(guid::to_proto(id)),
                ..Default::default()
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        answer.models.into_iter().map(object).collect()
    }

    /// The object `target` names (by id, or by its short or full path),
    /// with its attributes as `view` asks.
    pub async fn get_object(
        &self,
        target: impl Into<Target>,
        view: AttributeView,
    ) -> Result<Object> {
        let id = self.open_id()?;
        let (object_field_mask, attribute_field_mask) = object_masks(view);
        let answer = self
            .model_client()
            .get_object(GetObjectRequest {
                session_id: Some(guid::to_proto(id)),
                object_id: Some(target.into().to_proto()),
                object_field_mask,
                attributes_masks: Some(AttributesMasks::default()),
                attribute_field_mask,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        object(answer)
    }

    /// The objects `query` (the Mesh search language, e.g.
    /// `*[.Type=Plant]`) finds from the object `start`, in no fixed order,
    /// with their attributes as `view` asks.
    pub async fn search_objects(
        &self,
        start: impl Into<Target>,
        query: &str,
        view: AttributeView,
    ) -> Result<Vec<Object>> {
        let id = self.open_id()?;
        let (object_field_mask, attribute_field_mask) = object_masks(view);
        let mut stream = self
            .model_client()
            .search_objects(SearchObjectsRequest {
                session_id: Some(guid::to_proto(id)),
                start_object_id: Some(start.into().to_proto()),
                query: query.to_string(),
                object_field_mask,
                attributes_masks: Some(AttributesMasks::default()),
                attribute_field_mask,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        let mut found = Vec::new();
        while let Some(next) = stream
            .message()
            .await
            .map_err(|status| Error::from_session_call(status, id))?
        {
            found.push(object(next)?);
        }
        Ok(found)
    }

    /// Every object of the object definition `definition`, with their
    /// attributes as `view` asks.
    pub async fn search_objects_by_definition(
        &self,
        definition: impl Into<Target>,
        view: AttributeView,
    ) -> Result<Vec<Object>> {
        let id = self.open_id()?;
        let (object_field_mask, attribute_field_mask) = object_masks(view);
        let mut stream = self
            .model_client()
            .search_objects_by_definition(SearchObjectsByDefinitionRequest {
                session_id: Some(guid::to_proto(id)),
                object_definition_id: Some(definition.into().to_proto()),
                object_field_mask,
                attributes_masks: Some(AttributesMasks::default()),
                attribute_field_mask,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        let mut found = Vec::new();
        while let Some(next) = stream
            .message()
            .await
            .map_err(|status| Error::from_session_call(status, id))?
        {
            found.push(object(next)?);
        }
        Ok(found)
    }

    /// Creates a model named `name` (its path becomes `Model/<name>`) from
    /// the model definition `model_definition`, and answers it with its
    /// attributes.
    pub async fn create_model(
        &self,
        name: &str,
        model_definition: impl Into<Target>,
    ) -> Result<Object> {
        let id = self.open_id()?;
        let answer = self
            .model_client()
            .create_model(CreateModelRequest {
                session_id: Some(guid::to_proto(id)),
                name: name.to_string(),
                model_definition_id: Some(model_definition.into().to_proto()),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        object(answer)
    }

    /// Creates an object named `name` and answers it with its attributes
    /// (their default values and definitions).
    ///
    /// `owner` is an ownership attribute, which also gives the object its
    /// definition (then `object_definition` is `None`), or a model (or its
    /// `Objects` attribute), whose first objects need their
    /// `object_definition`.
    pub async fn create_object(
        &self,
        owner: impl Into<Target>,
        name: &str,
        object_definition: Option<Target>,
    ) -> Result<Object> {
        let id = self.open_id()?;
        let answer = self
            .model_client()
            .create_object(CreateObjectRequest {
                session_id: Some(guid::to_proto(id)),
                name: name.to_string(),
                owner_id: Some(owner.into().to_proto()),
                object_definition_id: object_definition.as_ref().map(Target::to_proto),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        object(answer)
    }

    /// Renames the object `target`, moves it to the ownership attribute
    /// `new_owner`, or both; with neither, nothing is sent.
    pub async fn update_object(
        &self,
        target: impl Into<Target>,
        new_name: Option<&str>,
        new_owner: Option<Target>,
    ) -> Result<()> {
        let id = self.open_id()?;
        if new_name.is_none() && new_owner.is_none() {
            return Ok(());
        }
        let mut paths = Vec::new();
        if new_owner.is_some() {
            paths.push("new_owner_id".to_string());
        }
        if new_name.is_some() {
            paths.push("new_name".to_string());
        }
        self.model_client()
            .update_object(UpdateObjectRequest {
                session_id: Some(guid::to_proto(id)),
                object_id: Some(target.into().to_proto()),
                field_mask: Some(FieldMask { paths }),
                new_name: new_name.unwrap_or_default().to_string(),
                new_owner_id: new_owner.as_ref().map(Target::to_proto),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// Deletes the object `target`. Without `recursive`, an object owning
    /// objects in collections is refused (objects in singular ownership
    /// attributes go with their owner); with it, everything it owns goes.
    pub async fn delete_object(&self, target: impl Into<Target>, recursive: bool) -> Result<()> {
        let id = self.open_id()?;
        self.model_client()
            .delete_object(DeleteObjectRequest {
                session_id: Some(guid::to_proto(id)),
                object_id: Some(target.into().to_proto()),
                recursive_delete: recursive,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// The attribute `target` names (by id, or by path: the object's path,
    /// `.`, the attribute's name), with its definition if `full`.
    pub async fn get_attribute(&self, target: impl Into<Target>, full: bool) -> Result<Attribute> {
        let id = self.open_id()?;
        let answer = self
            .model_client()
            .get_attribute(GetAttributeRequest {
                session_id: Some(guid::to_proto(id)),
                attribute_id: Some(target.into().to_proto()),
                field_mask: attribute_mask(full),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        attribute(answer)
    }

    /// The attributes `query` (the Mesh search language, e.g.
    /// `{*}.Capacity`) finds from the object `start`, in no fixed order,
    /// with their definitions if `full`.
    pub async fn search_attributes(
        &self,
        start: impl Into<Target>,
        query: &str,
        full: bool,
    ) -> Result<Vec<Attribute>> {
        let id = self.open_id()?;
        let mut stream = self
            .model_client()
            .search_attributes(SearchAttributesRequest {
                session_id: Some(guid::to_proto(id)),
                start_object_id: Some(start.into().to_proto()),
                query: query.to_string(),
                field_mask: attribute_mask(full),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        let mut found = Vec::new();
        while let Some(next) = stream
            .message()
            .await
            .map_err(|status| Error::from_session_call(status, id))?
        {
            found.push(attribute(next)?);
        }
        Ok(found)
    }

    /// Sets the value of the simple attribute `target`: one value for a
    /// singular attribute, the whole list for a collection (see
    /// [`AttributeUpdate`]; plain values and vectors convert). An integer
    /// is taken for a double attribute.
    pub async fn update_simple_attribute(
        &self,
        target: impl Into<Target>,
        value: impl Into<AttributeUpdate>,
    ) -> Result<()> {
        let id = self.open_id()?;
        let mut request = UpdateSimpleAttributeRequest {
            session_id: Some(guid::to_proto(id)),
            attribute_id: Some(target.into().to_proto()),
            ..Default::default()
        };
        match value.into() {
            AttributeUpdate::Singular(value) => request.new_singular_value = Some(value.to_proto()),
            AttributeUpdate::Collection(values) => {
                request.new_collection_values = values.iter().map(|v| v.to_proto()).collect()
            }
        }
        self.model_client()
            .update_simple_attribute(request)
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// Connects the time series attribute `target` to the physical series
    /// `key` (0 disconnects) and/or sets its own expression; what is
    /// `None` stays as it is. At least one must be given.
    pub async fn update_timeseries_attribute(
        &self,
        target: impl Into<Target>,
        new_timeseries_key: Option<i64>,
        new_local_expression: Option<&str>,
    ) -> Result<()> {
        let id = self.open_id()?;
        let mut paths = Vec::new();
        if new_local_expression.is_some() {
            paths.push("new_local_expression");
        }
        if new_timeseries_key.is_some() {
            paths.push("new_timeseries_resource_key");
        }
        self.model_client()
            .update_timeseries_attribute(UpdateTimeseriesAttributeRequest {
                session_id: Some(guid::to_proto(id)),
                attribute_id: Some(target.into().to_proto()),
                field_mask: Some(mask(&paths)),
                new_timeseries_resource_key: new_timeseries_key.unwrap_or_default(),
                new_local_expression: new_local_expression.unwrap_or_default().to_string(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// The key of the physical series the time series attribute `target`
    /// is connected to, as this session sees it; `None` when it has none.
    /// [`Session::read_timeseries_points`] and the writes take it.
    pub async fn timeseries_key_of(&self, target: impl Into<Target>) -> Result<Option<i64>> {
        let attribute = self.get_attribute(target, false).await?;
        match attribute.values {
            AttributeValues::Timeseries { timeseries_key, .. } => Ok(timeseries_key),
            _ => Err(Error::InvalidArgument(format!(
                "attribute {} is not a time series attribute",
                attribute.path
            ))),
        }
    }

    pub(super) fn model_client(&self) -> ModelServiceClient<Transport> {
        // Models are sized by the server, which keeps answers to its own
        // limit.
        ModelServiceClient::new(self.connection().transport()).max_decoding_message_size(usize::MAX)
    }
}
