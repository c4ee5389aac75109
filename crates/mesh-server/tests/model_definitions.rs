//! ModelDefinitionService over a real server: namespaces and model
//! definitions, object definitions, attribute types and definitions, tags
//! and extended metadata, with the statuses and messages of every rule.

mod support;

use mesh_proto::model::model_service_client::ModelServiceClient;
use mesh_proto::model::{CreateModelRequest, CreateObjectRequest, GetObjectRequest};
use mesh_proto::model_definition::model_definition_service_client::ModelDefinitionServiceClient;
use mesh_proto::model_definition::*;
use mesh_proto::session::session_service_client::SessionServiceClient;
use mesh_proto::types::{Guid, MeshId};
use prost_types::FieldMask;
use support::TestServer;
use tonic::transport::Channel;
use tonic::Code;

struct Fixture {
    _server: TestServer,
    definitions: ModelDefinitionServiceClient<Channel>,
    objects: ModelServiceClient<Channel>,
    session: Guid,
}

async fn fixture() -> Fixture {
    let server = TestServer::start(|_| {}).await;
    let channel = server.channel().await;
    let session = SessionServiceClient::new(channel.clone())
        .start_session(())
        .await
        .unwrap()
        .into_inner()
        .session_id
        .unwrap();
    Fixture {
        _server: server,
        definitions: ModelDefinitionServiceClient::new(channel.clone()),
        objects: ModelServiceClient::new(channel),
        session,
    }
}

fn id(guid: &Option<Guid>) -> Option<MeshId> {
    Some(MeshId {
        id: guid.clone(),
        path: None,
        timeseries_key: None,
    })
}

fn path(path: &str) -> Option<MeshId> {
    Some(MeshId {
        id: None,
        path: Some(path.into()),
        timeseries_key: None,
    })
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

impl Fixture {
    fn s(&self) -> Option<Guid> {
        Some(self.session.clone())
    }

    async fn namespace(
        &mut self,
        parent: Option<MeshId>,
        name: &str,
    ) -> Result<Namespace, tonic::Status> {
        let request = CreateNamespaceRequest {
            session_id: self.s(),
            name_space_id: parent,
            name: name.into(),
            description: String::new(),
        };
        self.definitions
            .create_namespace(request)
            .await
            .map(|r| r.into_inner())
    }

    async fn object_definition(&mut self, namespace: &str, name: &str) -> ObjectDefinition {
        let request = CreateObjectDefinitionRequest {
            session_id: self.s(),
            name_space_id: path(namespace),
            name: name.into(),
            ..Default::default()
        };
        self.definitions
            .create_object_definition(request)
            .await
            .unwrap()
            .into_inner()
    }

    async fn double_type(
        &mut self,
        namespace: &str,
        name: &str,
        unit: Option<Guid>,
    ) -> AttributeType {
        let request = CreateSimpleAttributeTypeRequest {
            session_id: self.s(),
            name_space_id: path(namespace),
            name: name.into(),
            value_type: AttributeValueType::Double as i32,
            unit_of_measurement_id: unit,
            ..Default::default()
        };
        self.definitions
            .create_simple_attribute_type(request)
            .await
            .unwrap()
            .into_inner()
    }

    async fn unit(&mut self, name: &str) -> Option<Guid> {
        let units = self
            .definitions
            .list_units_of_measurement(ListUnitsOfMeasurementRequest {
                session_id: self.s(),
            })
            .await
            .unwrap()
            .into_inner()
            .units_of_measurement;
        units
            .into_iter()
            .find(|u| u.name == name)
            .and_then(|u| u.id)
    }
}

fn double(v: f64) -> Option<AttributeDefinitionThresholdValue> {
    Some(AttributeDefinitionThresholdValue {
        value_oneof: Some(attribute_definition_threshold_value::ValueOneof::DoubleValue(v)),
    })
}

#[tokio::test]
async fn namespaces_nest_clash_and_are_found_by_path() {
    let mut f = fixture().await;
    let hydro = f.namespace(None, "Hydro").await.unwrap();
    assert!(hydro.is_model_definition);
    assert_eq!(hydro.path, "Repository/Hydro");
    let thermal = f.namespace(id(&hydro.id), "Thermal").await.unwrap();
    assert!(!thermal.is_model_definition);
    assert_eq!(thermal.owner_id.unwrap().path.unwrap(), "Repository/Hydro");

    let clash = f
        .namespace(path("Repository/Hydro"), "Thermal")
        .await
        .unwrap_err();
    assert_eq!(clash.code(), Code::AlreadyExists);
    assert_eq!(
        clash.message(),
        "a namespace in Hydro named 'Thermal' already exists"
    );
    let bad = f.namespace(None, "a/b").await.unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(
        bad.message().starts_with("invalid namespace name 'a/b'"),
        "{}",
        bad.message()
    );

    let got = f
        .definitions
        .get_namespace(GetNamespaceRequest {
            session_id: f.s(),
            name_space_id: path("Repository/Hydro/Thermal"),
            field_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.id, thermal.id);
    let listed = f
        .definitions
        .list_model_definitions(ListModelDefinitionsRequest {
            session_id: f.s(),
            field_mask: None,
        })
        .await
        .unwrap()
        .into_inner()
        .model_definitions;
    assert_eq!(
        listed.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["Hydro"]
    );

    let empty = f
        .definitions
        .update_namespace(UpdateNamespaceRequest {
            session_id: f.s(),
            name_space_id: id(&thermal.id),
            field_mask: None,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);
    assert!(empty.message().starts_with("nothing is set to be updated"));
    f.definitions
        .update_namespace(UpdateNamespaceRequest {
            session_id: f.s(),
            name_space_id: id(&thermal.id),
            field_mask: mask(&["new_name"]),
            new_name: "Gas".into(),
            new_description: "ignored: not in the mask".into(),
        })
        .await
        .unwrap();
    let renamed = f
        .definitions
        .get_namespace(GetNamespaceRequest {
            session_id: f.s(),
            name_space_id: path("Repository/Hydro/Gas"),
            field_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (renamed.name.as_str(), renamed.description.as_str()),
        ("Gas", "")
    );

    f.object_definition("Repository/Hydro/Gas", "Turbine").await;
    let in_use = f
        .definitions
        .delete_namespace(DeleteNamespaceRequest {
            session_id: f.s(),
            name_space_id: id(&thermal.id),
        })
        .await
        .unwrap_err();
    assert_eq!(in_use.code(), Code::FailedPrecondition);
    assert_eq!(
        in_use.message(),
        "namespace Hydro/Gas is in use by object definition Turbine"
    );
}

#[tokio::test]
async fn a_type_renamed_or_given_another_unit_changes_every_definition_based_on_it() {
    let mut f = fixture().await;
    f.namespace(None, "Hydro").await.unwrap();
    let plant = f.object_definition("Repository/Hydro", "Plant").await;
    let mw = f.unit("MW").await;
    let capacity = f.double_type("Repository/Hydro", "Capacity", mw).await;
    assert_eq!(capacity.unit_of_measurement.as_ref().unwrap().name, "MW");
    let added = f
        .definitions
        .add_simple_attribute_definition(AddSimpleAttributeDefinitionRequest {
            session_id: f.s(),
            attribute_type_id: id(&capacity.id),
            object_definition_id: id(&plant.id),
            cardinality: 1,
            lower_threshold: double(0.0),
            upper_threshold: double(100.0),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.path, "Repository/Hydro/Plant/Capacity");
    assert_eq!(added.type_name, "DoubleAttributeDefinition");

    let kw = f.unit("kW").await;
    f.definitions
        .update_simple_attribute_type(UpdateSimpleAttributeTypeRequest {
            session_id: f.s(),
            attribute_type_id: id(&capacity.id),
            field_mask: mask(&["new_name", "new_unit_of_measurement_id"]),
            new_name: "Power".into(),
            new_unit_of_measurement_id: kw,
            ..Default::default()
        })
        .await
        .unwrap();
    let definition = f
        .definitions
        .get_attribute_definition(GetAttributeDefinitionRequest {
            session_id: f.s(),
            attribute_definition_id: path("Repository/Hydro/Plant/Power"),
            field_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(definition.name, "Power");
    let Some(attribute_definition::DefinitionTypeOneof::DoubleDefinition(d)) =
        definition.definition_type_oneof
    else {
        panic!("not a double definition")
    };
    assert_eq!(d.unit_of_measurement.unwrap().name, "kW");
    assert_eq!((d.minimum_value, d.maximum_value), (0.0, 100.0));

    // A default outside the range is refused, naming the rule.
    let other = f.double_type("Repository/Hydro", "Head", None).await;
    let refused = f
        .definitions
        .add_simple_attribute_definition(AddSimpleAttributeDefinitionRequest {
            session_id: f.s(),
            attribute_type_id: id(&other.id),
            object_definition_id: id(&plant.id),
            cardinality: 1,
            default_value: Some(AttributeDefinitionDefaultValue {
                value_oneof: Some(attribute_definition_default_value::ValueOneof::DoubleValue(
                    -5.0,
                )),
            }),
            lower_threshold: double(0.0),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(refused.message(), "value -5 of attribute Head is below its minimum 0 (as the default value of its definition)");

    // In use: the type by its definition, the object definition by its
    // instances.
    let in_use = f
        .definitions
        .delete_attribute_type(DeleteAttributeTypeRequest {
            session_id: f.s(),
            attribute_type_id: id(&capacity.id),
        })
        .await
        .unwrap_err();
    assert_eq!(in_use.code(), Code::FailedPrecondition);
    assert_eq!(
        in_use.message(),
        "attribute type Power is in use by object definition Plant"
    );
}

#[tokio::test]
async fn instances_gain_new_attributes_and_keep_their_definition_alive() {
    let mut f = fixture().await;
    let hydro = f.namespace(None, "Hydro").await.unwrap();
    let plant = f.object_definition("Repository/Hydro", "Plant").await;
    let model = f
        .objects
        .create_model(CreateModelRequest {
            session_id: f.s(),
            name: "Nordic".into(),
            model_definition_id: id(&hydro.id),
        })
        .await
        .unwrap()
        .into_inner();
    f.objects
        .create_object(CreateObjectRequest {
            session_id: f.s(),
            name: "Alta".into(),
            owner_id: id(&model.id),
            object_definition_id: id(&plant.id),
        })
        .await
        .unwrap();
    let head = f.double_type("Repository/Hydro", "Head", None).await;
    f.definitions
        .add_simple_attribute_definition(AddSimpleAttributeDefinitionRequest {
            session_id: f.s(),
            attribute_type_id: id(&head.id),
            object_definition_id: id(&plant.id),
            cardinality: 1,
            default_value: Some(AttributeDefinitionDefaultValue {
                value_oneof: Some(attribute_definition_default_value::ValueOneof::DoubleValue(
                    42.0,
                )),
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    let alta = f
        .objects
        .get_object(GetObjectRequest {
            session_id: f.s(),
            object_id: path("Model/Nordic/Alta"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // The model's one attribute lists what it owns, by id or path, in
    // GetAttribute and SearchAttributes alike; it cannot be set.
    let objects = f
        .objects
        .get_attribute(mesh_proto::model::GetAttributeRequest {
            session_id: f.s(),
            attribute_id: path("Model/Nordic.Objects"),
            field_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(objects.path, "Model/Nordic.Objects");
    assert_eq!(
        objects.values[0].value_oneof,
        Some(
            mesh_proto::model::attribute_value::ValueOneof::OwnershipRelationValue(
                mesh_proto::model::OwnershipRelationAttributeValue {
                    target_object_id: alta.id.clone()
                }
            )
        )
    );
    let by_id = f
        .objects
        .get_attribute(mesh_proto::model::GetAttributeRequest {
            session_id: f.s(),
            attribute_id: id(&objects.id),
            field_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_id, objects);
    let mut searched = f
        .objects
        .search_attributes(mesh_proto::model::SearchAttributesRequest {
            session_id: f.s(),
            start_object_id: path("Model/Nordic"),
            query: "@.Objects".into(),
            field_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(searched.message().await.unwrap(), Some(objects));
    let fixed = f
        .objects
        .update_simple_attribute(mesh_proto::model::UpdateSimpleAttributeRequest {
            session_id: f.s(),
            attribute_id: path("Model/Nordic.Objects"),
            new_singular_value: None,
            new_collection_values: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(fixed.code(), Code::InvalidArgument);

    let head_attribute = alta.attributes.iter().find(|a| a.name == "Head").unwrap();
    assert_eq!(
        head_attribute.values[0].value_oneof,
        Some(mesh_proto::model::attribute_value::ValueOneof::DoubleValue(
            42.0
        ))
    );
    let counted = f
        .definitions
        .get_object_definition(GetObjectDefinitionRequest {
            session_id: f.s(),
            object_definition_id: id(&plant.id),
            field_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counted.instance_count, 1);
    let in_use = f
        .definitions
        .delete_object_definition(DeleteObjectDefinitionRequest {
            session_id: f.s(),
            object_definition_id: id(&plant.id),
        })
        .await
        .unwrap_err();
    assert_eq!(in_use.code(), Code::FailedPrecondition);
    assert_eq!(
        in_use.message(),
        "object definition Plant is in use by object Model/Nordic/Alta"
    );
}

#[tokio::test]
async fn tags_and_extended_metadata() {
    let mut f = fixture().await;
    let hydro = f.namespace(None, "Hydro").await.unwrap();
    let tag = f
        .definitions
        .create_tag(CreateTagRequest {
            session_id: f.s(),
            model_definition: id(&hydro.id),
            name: "Planning".into(),
            description: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let typed = f
        .definitions
        .create_simple_attribute_type(CreateSimpleAttributeTypeRequest {
            session_id: f.s(),
            name_space_id: id(&hydro.id),
            name: "Capacity".into(),
            value_type: AttributeValueType::Double as i32,
            tag_ids: vec![tag.id.clone().unwrap()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(typed.tags[0].name, "Planning");
    let refused = f
        .definitions
        .delete_tag(DeleteTagRequest {
            session_id: f.s(),
            tag_id: tag.id.clone(),
            delete_usages: false,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(
        refused.message(),
        "tag Planning is in use by attribute type Capacity"
    );
    f.definitions
        .delete_tag(DeleteTagRequest {
            session_id: f.s(),
            tag_id: tag.id.clone(),
            delete_usages: true,
        })
        .await
        .unwrap();
    let untagged = f
        .definitions
        .get_attribute_type(GetAttributeTypeRequest {
            session_id: f.s(),
            attribute_type_id: id(&typed.id),
            field_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(untagged.tags.is_empty());

    let plant = f.object_definition("Repository/Hydro", "Plant").await;
    let entry = |category: &str, text: &str| ExtendedMetadata {
        category: category.into(),
        metadata: Some(prost_types::Struct {
            fields: [(
                "note".to_string(),
                prost_types::Value {
                    kind: Some(prost_types::value::Kind::StringValue(text.into())),
                },
            )]
            .into(),
        }),
    };
    f.definitions
        .set_extended_metadata(SetExtendedMetadataRequest {
            session_id: f.s(),
            id: id(&plant.id),
            metadata: vec![entry("ui", "blue")],
        })
        .await
        .unwrap();
    let got = f
        .definitions
        .get_extended_metadata(GetExtendedMetadataRequest {
            session_id: f.s(),
            id: path("Repository/Hydro/Plant"),
        })
        .await
        .unwrap()
        .into_inner()
        .metadata;
    assert_eq!(got, vec![entry("ui", "blue")]);
    let twice = f
        .definitions
        .set_extended_metadata(SetExtendedMetadataRequest {
            session_id: f.s(),
            id: id(&plant.id),
            metadata: vec![entry("ui", "a"), entry("ui", "b")],
        })
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists);
    let long = f
        .definitions
        .set_extended_metadata(SetExtendedMetadataRequest {
            session_id: f.s(),
            id: id(&plant.id),
            metadata: vec![entry("ui", &"x".repeat(4000))],
        })
        .await
        .unwrap_err();
    assert_eq!(long.code(), Code::InvalidArgument);
    assert!(
        long.message().contains("at most 4000 are allowed"),
        "{}",
        long.message()
    );
}
