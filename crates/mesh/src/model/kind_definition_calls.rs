//! Definition calls on [`Session`] for link relations, XY sets and rating
//! curves.

use mesh_proto::model_definition::{
    AddLinkRelationAttributeDefinitionRequest, AddRatingCurveAttributeDefinitionRequest,
    AddXySetAttributeDefinitionRequest, CreateRatingCurveAttributeTypeRequest,
    CreateXySetAttributeTypeRequest, UnitOfMeasurement, XySetAxis,
};

use super::definitions::{
    attribute_definition, attribute_type, AttributeDefinition, AttributeType,
};
use super::ids::Target;
use crate::error::{Error, Result};
use crate::guid;
use crate::session::Session;

/// One axis of an XY set definition: what it measures and its unit (a
/// unit name as the server lists it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Axis {
    /// Free text.
    pub description: String,
    /// The unit's name, if any.
    pub unit: Option<String>,
}

impl Session {
    /// Adds the link attribute type `attribute_type` to `object_definition`:
    /// a `cardinality` of 0 or 1 links to one object, more to up to that
    /// many; `versioned` links hold a target from a time on.
    pub async fn add_link_relation_attribute_definition(
        &self,
        object_definition: impl Into<Target>,
        attribute_type: impl Into<Target>,
        cardinality: u32,
        versioned: bool,
    ) -> Result<AttributeDefinition> {
        let id = self.open_id()?;
        let answer = self
            .definition_client()
            .add_link_relation_attribute_definition(AddLinkRelationAttributeDefinitionRequest {
                session_id: Some(guid::to_proto(id)),
                attribute_type_id: Some(attribute_type.into().to_proto()),
                object_definition_id: Some(object_definition.into().to_proto()),
                description: String::new(),
                cardinality: i32::try_from(cardinality).unwrap_or(i32::MAX),
                versioned,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        attribute_definition(answer)
    }

    /// Creates an XY set attribute type named `name` in `namespace`.
    pub async fn create_xy_set_attribute_type(
        &self,
        namespace: impl Into<Target>,
        name: &str,
    ) -> Result<AttributeType> {
        self.curve_type(namespace.into(), name, true).await
    }

    /// Adds the XY set attribute type `attribute_type` to
    /// `object_definition`, with its axes (X, Y and optionally Z);
    /// `versioned` sets hold from a time on.
    pub async fn add_xy_set_attribute_definition(
        &self,
        object_definition: impl Into<Target>,
        attribute_type: impl Into<Target>,
        (x, y, z): (Axis, Axis, Option<Axis>),
        versioned: bool,
    ) -> Result<AttributeDefinition> {
        let id = self.open_id()?;
        let mut axes = Vec::new();
        for axis in [Some(x), Some(y), z].into_iter().flatten() {
            let unit_of_measurement = match &axis.unit {
                Some(unit) => Some(UnitOfMeasurement {
                    id: Some(guid::to_proto(self.unit_id(unit).await?)),
                    name: unit.clone(),
                }),
                None => None,
            };
            axes.push(XySetAxis {
                description: axis.description,
                unit_of_measurement,
            });
        }
        let mut axes = axes.into_iter();
        let answer = self
            .definition_client()
            .add_xy_set_attribute_definition(AddXySetAttributeDefinitionRequest {
                session_id: Some(guid::to_proto(id)),
                attribute_type_id: Some(attribute_type.into().to_proto()),
                object_definition_id: Some(object_definition.into().to_proto()),
                description: String::new(),
                x_axis: axes.next(),
                y_axis: axes.next(),
                z_axis: axes.next(),
                versioned,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        attribute_definition(answer)
    }

    /// Creates a rating curve attribute type named `name` in `namespace`.
    pub async fn create_rating_curve_attribute_type(
        &self,
        namespace: impl Into<Target>,
        name: &str,
    ) -> Result<AttributeType> {
        self.curve_type(namespace.into(), name, false).await
    }

    /// An XY set (`xy`) or rating curve attribute type: the two requests
    /// carry the same fields.
    async fn curve_type(&self, namespace: Target, name: &str, xy: bool) -> Result<AttributeType> {
        let id = self.open_id()?;
        let (session_id, name_space_id) = (Some(guid::to_proto(id)), Some(namespace.to_proto()));
        let mut client = self.definition_client();
        let answer = if xy {
            client
                .create_xy_set_attribute_type(CreateXySetAttributeTypeRequest {
                    session_id,
                    name_space_id,
                    name: name.to_string(),
                    ..Default::default()
                })
                .await
        } else {
            client
                .create_rating_curve_attribute_type(CreateRatingCurveAttributeTypeRequest {
                    session_id,
                    name_space_id,
                    name: name.to_string(),
                    ..Default::default()
                })
                .await
        }
        .map_err(|status| Error::from_session_call(status, id))?
        .into_inner();
        attribute_type(answer)
    }

    /// Adds the rating curve attribute type `attribute_type` to
    /// `object_definition`.
    pub async fn add_rating_curve_attribute_definition(
        &self,
        object_definition: impl Into<Target>,
        attribute_type: impl Into<Target>,
    ) -> Result<AttributeDefinition> {
        let id = self.open_id()?;
        let answer = self
            .definition_client()
            .add_rating_curve_attribute_definition(AddRatingCurveAttributeDefinitionRequest {
                session_id: Some(guid::to_proto(id)),
                attribute_type_id: Some(attribute_type.into().to_proto()),
                object_definition_id: Some(object_definition.into().to_proto()),
                description: String::new(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        attribute_definition(answer)
    }
}
