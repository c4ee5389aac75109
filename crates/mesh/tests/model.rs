//! The model calls of the SDK end to end, against a real server with real
//! storage in a temporary directory: model definitions, models, objects,
//! attributes, searches, commits, and the errors the server answers.

mod common;

use mesh::chrono::{DateTime, TimeZone, Utc};
use mesh::{
    AttributeValues, AttributeView, Connection, DefinitionKind, Error, NamespaceChild, Session,
    SimpleDefinition, Target, Value, ValueType,
};
use tonic::Code;
use uuid::Uuid;

const REPOSITORY: &str = "Repository/Hydro";
const AREA_DEFINITION: &str = "Repository/Hydro/Area";
const PLANT_DEFINITION: &str = "Repository/Hydro/Plant";
const MODEL: &str = "Model/North";
const AREA: &str = "Model/North/East";
const PLANTS: &str = "Model/North/East.Plants";
const ALTA: &str = "Model/North/East.Plants/Alta";
const ALTA_SHORT: &str = "Model/North/East/Alta";

async fn open(server: &common::TestServer) -> Session {
    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.create_session();
    session.open().await.unwrap();
    session
}

/// The code of a failure the server reported, and its message.
fn status(error: Error) -> (Code, String) {
    match error {
        Error::Status(status) => (status.code(), status.message().to_string()),
        other => panic!("expected a status from the server, got {other:?}"),
    }
}

fn commissioned() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 6, 1, 12, 30, 0).unwrap()
}

/// The definition `Hydro`: areas own plants (up to 10, `Plants`); plants
/// have a capacity, a running flag, an owner name, a commissioning time, a
/// history of up to 5 integers, and at most one `Spare` plant.
async fn build_definition(session: &Session) {
    let repository = session
        .create_model_definition("Hydro", "Hydro power")
        .await
        .unwrap();
    let area = session
        .create_object_definition(repository.id, "Area", "")
        .await
        .unwrap();
    let plant = session
        .create_object_definition(REPOSITORY, "Plant", "A power plant")
        .await
        .unwrap();
    let simple = |name: &'static str, value_type, unit| async move {
        session
            .create_simple_attribute_type(REPOSITORY, name, value_type, unit)
            .await
            .unwrap()
    };
    let capacity = simple("Capacity", ValueType::Double, Some("MW")).await;
    let running = simple("Running", ValueType::Bool, None).await;
    let owner = simple("OwnerName", ValueType::String, None).await;
    let since = simple("Commissioned", ValueType::UtcTime, None).await;
    let history = simple("History", ValueType::Int, None).await;
    let add = |attribute_type: Uuid, definition: SimpleDefinition| async move {
        session
            .add_simple_attribute_definition(PLANT_DEFINITION, attribute_type, &definition)
            .await
            .unwrap()
    };
    add(
        capacity.id,
        SimpleDefinition {
            description: "Installed capacity".into(),
            default: Some(Value::Double(1.0)),
            minimum: Some(Value::Double(0.0)),
            maximum: Some(Value::Double(1000.0)),
            ..SimpleDefinition::default()
        },
    )
    .await;
    add(
        running.id,
        SimpleDefinition {
            default: Some(true.into()),
            ..SimpleDefinition::default()
        },
    )
    .await;
    add(
        owner.id,
        SimpleDefinition {
            default: Some("Statkraft".into()),
            ..SimpleDefinition::default()
        },
    )
    .await;
    add(since.id, SimpleDefinition::default()).await;
    add(
        history.id,
        SimpleDefinition {
            cardinality: 5,
            ..SimpleDefinition::default()
        },
    )
    .await;
    let plants = session
        .create_ownership_relation_attribute_type(REPOSITORY, "Plants", plant.id)
        .await
        .unwrap();
    session
        .add_ownership_relation_attribute_definition(area.id, plants.id, 10)
        .await
        .unwrap();
    let spare = session
        .create_ownership_relation_attribute_type(REPOSITORY, "Spare", PLANT_DEFINITION)
        .await
        .unwrap();
    session
        .add_ownership_relation_attribute_definition(PLANT_DEFINITION, &spare.path, 1)
        .await
        .unwrap();
}

/// The model `North` with the area `East` owning the plants `Alta` and
/// `Bjorn`.
async fn build_model(session: &Session) {
    build_definition(session).await;
    let model = session.create_model("North", REPOSITORY).await.unwrap();
    session
        .create_object(model.id, "East", Some(AREA_DEFINITION.into()))
        .await
        .unwrap();
    session.create_object(PLANTS, "Alta", None).await.unwrap();
    session.create_object(PLANTS, "Bjorn", None).await.unwrap();
}

#[tokio::test]
async fn model_definitions_are_created_and_read_back() {
    let server = common::start_default().await;
    let session = open(&server).await;
    build_definition(&session).await;

    let definitions = session.list_model_definitions().await.unwrap();
    assert_eq!(definitions.len(), 1);
    let hydro = &definitions[0];
    assert_eq!(
        (hydro.name.as_str(), hydro.path.as_str()),
        ("Hydro", REPOSITORY)
    );
    assert_eq!(hydro.description, "Hydro power");
    assert!(hydro.is_model_definition);
    assert_eq!(hydro.owner, None);
    let plant_definition = session
        .get_object_definition(PLANT_DEFINITION)
        .await
        .unwrap();
    assert!(hydro
        .children
        .contains(&NamespaceChild::ObjectDefinition(mesh::Reference {
            id: plant_definition.id,
            path: PLANT_DEFINITION.to_string(),
        })));

    let sub = session
        .create_namespace(hydro.id, "Thermal", "Thermal units")
        .await
        .unwrap();
    assert_eq!(sub.path, "Repository/Hydro/Thermal");
    assert!(!sub.is_model_definition);
    assert_eq!(sub.owner.as_ref().map(|o| o.id), Some(hydro.id));

    // The object definition, with what was added to it.
    assert_eq!(plant_definition.name, "Plant");
    assert_eq!(plant_definition.description, "A power plant");
    assert_eq!(plant_definition.namespace, "Hydro");
    assert_eq!(plant_definition.instance_count, 0);
    let mut names: Vec<_> = plant_definition
        .attribute_definitions
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Capacity",
            "Commissioned",
            "History",
            "OwnerName",
            "Running",
            "Spare"
        ]
    );
    let definition = |name: &str| {
        plant_definition
            .attribute_definitions
            .iter()
            .find(|d| d.name == name)
            .unwrap()
            .clone()
    };
    let capacity = definition("Capacity");
    assert_eq!(capacity.path, "Repository/Hydro/Plant/Capacity");
    assert_eq!(capacity.description, "Installed capacity");
    assert_eq!(
        (capacity.minimum_cardinality, capacity.maximum_cardinality),
        (1, 1)
    );
    let DefinitionKind::Simple(rules) = &capacity.kind else {
        panic!("Capacity is simple: {:?}", capacity.kind);
    };
    assert_eq!(rules.value_type, ValueType::Double);
    assert_eq!(rules.default, Some(Value::Double(1.0)));
    assert_eq!(rules.minimum, Some(Value::Double(0.0)));
    assert_eq!(rules.maximum, Some(Value::Double(1000.0)));
    assert_eq!(rules.unit.as_ref().map(|u| u.name.as_str()), Some("MW"));
    let history = definition("History");
    assert_eq!(
        (history.minimum_cardinality, history.maximum_cardinality),
        (0, 5)
    );
    assert_eq!(history.type_name, "Int64ArrayAttributeDefinition");
    let DefinitionKind::Simple(since) = &definition("Commissioned").kind else {
        panic!("Commissioned is simple");
    };
    assert_eq!((since.default.clone(), since.minimum.clone()), (None, None));
    let spare = definition("Spare");
    assert_eq!(spare.type_name, "ElementAttributeDefinition");
    match &spare.kind {
        DefinitionKind::OwnershipRelation {
            target_object_type_name,
            target_object_definition,
        } => {
            assert_eq!(target_object_type_name, "Plant");
            assert_eq!(
                target_object_definition.as_ref().map(|d| d.id),
                Some(plant_definition.id)
            );
        }
        other => panic!("Spare is an ownership definition: {other:?}"),
    }

    // Attribute types: units resolved by name, relation targets.
    let capacity_type = session
        .get_attribute_type("Repository/Hydro/Capacity")
        .await
        .unwrap();
    assert_eq!(capacity_type.value_type, ValueType::Double);
    assert_eq!(
        capacity_type.unit.as_ref().map(|u| u.name.as_str()),
        Some("MW")
    );
    assert_eq!(
        Some(capacity_type.id),
        capacity.attribute_type.map(|t| t.id)
    );
    let link = session
        .create_link_relation_attribute_type(sub.id, "Feeds", PLANT_DEFINITION)
        .await
        .unwrap();
    assert_eq!(link.value_type, ValueType::LinkRelation);
    assert_eq!(link.path, "Repository/Hydro/Thermal/Feeds");
    assert_eq!(
        link.target_object_definition.as_ref().map(|d| d.id),
        Some(plant_definition.id)
    );
    assert!(matches!(
        session
            .create_simple_attribute_type(REPOSITORY, "Flow", ValueType::Double, Some("furlongs"))
            .await,
        Err(Error::UnknownUnit { name, .. }) if name == "furlongs"
    ));
    assert!(matches!(
        session
            .create_simple_attribute_type(REPOSITORY, "Ts", ValueType::Timeseries, None)
            .await,
        Err(Error::InvalidArgument(_))
    ));
    let bad_minimum = SimpleDefinition {
        minimum: Some(Value::Bool(false)),
        ..SimpleDefinition::default()
    };
    assert!(matches!(
        session
            .add_simple_attribute_definition(PLANT_DEFINITION, link.id, &bad_minimum)
            .await,
        Err(Error::InvalidArgument(_))
    ));
    let (code, _) = status(
        session
            .create_object_definition(REPOSITORY, "Plant", "again")
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::AlreadyExists);

    // Deleting what nothing uses.
    session.delete_attribute_type(link.id).await.unwrap();
    let (code, _) = status(session.get_attribute_type(link.id).await.unwrap_err());
    assert_eq!(code, Code::NotFound);
    let spare_definition = session
        .create_object_definition(&sub.path, "Spare", "")
        .await
        .unwrap();
    session
        .delete_object_definition(&spare_definition.path)
        .await
        .unwrap();
    let (code, _) = status(
        session
            .get_object_definition(spare_definition.id)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::NotFound);
}

#[tokio::test]
async fn models_and_objects_are_created_and_read_in_every_view() {
    let server = common::start_default().await;
    let session = open(&server).await;
    build_definition(&session).await;

    let model = session.create_model("North", REPOSITORY).await.unwrap();
    assert_eq!((model.path.as_str(), model.name.as_str()), (MODEL, "North"));
    assert_eq!(model.type_name, "Hydro");
    assert_eq!(model.owner, None);
    assert_eq!(model.attributes.len(), 1, "a model has one attribute");
    assert_eq!(model.attributes[0].value_type, ValueType::OwnershipRelation);

    let area = session
        .create_object(model.id, "East", Some(AREA_DEFINITION.into()))
        .await
        .unwrap();
    assert_eq!(area.path, AREA);
    assert_eq!(area.type_name, "Area");
    assert_eq!(area.owner.as_ref().map(|o| o.id), Some(model.id));
    let plants = area.attribute("Plants").unwrap();
    assert_eq!(plants.path, PLANTS);
    assert!(plants.collection);

    // Owned through the attribute, named by id this time.
    let alta = session
        .create_object(plants.id, "Alta", None)
        .await
        .unwrap();
    assert_eq!(alta.path, ALTA);
    assert_eq!(alta.type_name, "Plant");
    assert_eq!(
        alta.owner,
        Some(mesh::Reference {
            id: plants.id,
            path: PLANTS.to_string()
        })
    );
    assert_eq!(
        alta.definition.as_ref().map(|d| d.path.as_str()),
        Some(PLANT_DEFINITION)
    );
    // A new object comes with everything: values and definitions.
    let capacity = alta.attribute("Capacity").unwrap();
    assert_eq!(capacity.value(), Some(&Value::Double(1.0)));
    assert!(capacity.definition.is_some());
    assert_eq!(capacity.owner.id, alta.id);
    assert_eq!(
        alta.attribute("Running").unwrap().value(),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        alta.attribute("OwnerName").unwrap().value(),
        Some(&Value::String("Statkraft".into()))
    );
    let history = alta.attribute("History").unwrap();
    assert!(history.collection);
    assert_eq!(history.values, AttributeValues::Simple(vec![]));

    // The three views, by short path, full path and id.
    let basic = session
        .get_object(ALTA_SHORT, AttributeView::Basic)
        .await
        .unwrap();
    assert_eq!((basic.id, basic.path.as_str()), (alta.id, ALTA));
    assert_eq!(basic.attributes.len(), 6);
    assert!(basic.attributes.iter().all(|a| a.definition.is_none()));
    assert_eq!(
        basic.attribute("Capacity").unwrap().path,
        format!("{ALTA}.Capacity")
    );
    let full = session.get_object(ALTA, AttributeView::Full).await.unwrap();
    assert_eq!(full.attributes.len(), 6);
    assert!(full.attributes.iter().all(|a| a.definition.is_some()));
    let bare = session
        .get_object(alta.id, AttributeView::NoAttributes)
        .await
        .unwrap();
    assert!(bare.attributes.is_empty());
    assert_eq!(
        (bare.name.as_str(), bare.type_name.as_str()),
        ("Alta", "Plant")
    );
    assert_eq!(bare.owner, alta.owner);

    // The model lists its first objects.
    let models = session.list_models().await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].id, model.id);
    assert_eq!(models[0].attributes[0].target_ids(), [area.id]);
    let area_again = session
        .get_object(AREA, AttributeView::Basic)
        .await
        .unwrap();
    assert_eq!(
        area_again.attribute("Plants").unwrap().target_ids(),
        [alta.id]
    );

    // Objects of a definition.
    let instances = session
        .search_objects_by_definition(PLANT_DEFINITION, AttributeView::NoAttributes)
        .await
        .unwrap();
    assert_eq!(
        instances.iter().map(|o| o.id).collect::<Vec<_>>(),
        [alta.id]
    );
    assert_eq!(
        session
            .get_object_definition(PLANT_DEFINITION)
            .await
            .unwrap()
            .instance_count,
        1
    );

    // The singular ownership attribute takes one object.
    let spare = session
        .create_object(format!("{ALTA}.Spare"), "Reserve", None)
        .await
        .unwrap();
    assert_eq!(spare.path, format!("{ALTA}.Spare/Reserve"));
    let spare_attribute = session
        .get_attribute(format!("{ALTA}.Spare"), false)
        .await
        .unwrap();
    assert!(!spare_attribute.collection);
    assert_eq!(spare_attribute.target_ids(), [spare.id]);
}

#[tokio::test]
async fn simple_attributes_are_set_and_read_in_every_kind() {
    let server = common::start_default().await;
    let session = open(&server).await;
    build_model(&session).await;
    let capacity = format!("{ALTA}.Capacity");

    session
        .update_simple_attribute(&capacity, 42.5)
        .await
        .unwrap();
    let read = session.get_attribute(&capacity, false).await.unwrap();
    assert_eq!(read.value(), Some(&Value::Double(42.5)));
    assert_eq!(read.value_type, ValueType::Double);
    assert!(read.definition.is_none());
    assert_eq!(read.owner.path, ALTA);
    // An integer for a double attribute is taken as a double; by id too.
    session.update_simple_attribute(read.id, 7).await.unwrap();
    let full = session.get_attribute(read.id, true).await.unwrap();
    assert_eq!(full.value(), Some(&Value::Double(7.0)));
    assert_eq!(
        full.definition.as_ref().map(|d| d.name.as_str()),
        Some("Capacity")
    );
    // The short path names the attribute too.
    session
        .update_simple_attribute(format!("{ALTA_SHORT}.Running"), false)
        .await
        .unwrap();
    session
        .update_simple_attribute(format!("{ALTA}.OwnerName"), "Hafslund")
        .await
        .unwrap();
    let precise = commissioned() + mesh::chrono::Duration::microseconds(1_234_567);
    session
        .update_simple_attribute(format!("{ALTA}.Commissioned"), precise)
        .await
        .unwrap();
    session
        .update_simple_attribute(format!("{ALTA}.History"), vec![3_i64, 1, 2])
        .await
        .unwrap();
    let plant = session
        .get_object(ALTA, AttributeView::Basic)
        .await
        .unwrap();
    let value = |name: &str| plant.attribute(name).unwrap().value().cloned();
    assert_eq!(value("Running"), Some(Value::Bool(false)));
    assert_eq!(value("OwnerName"), Some(Value::String("Hafslund".into())));
    assert_eq!(value("Commissioned"), Some(Value::UtcTime(precise)));
    assert_eq!(
        plant.attribute("History").unwrap().simple_values(),
        [Value::Int(3), Value::Int(1), Value::Int(2)]
    );
    assert_eq!(plant.attribute("History").unwrap().value(), None);

    // An empty list clears a collection.
    session
        .update_simple_attribute(format!("{ALTA}.History"), Vec::<i64>::new())
        .await
        .unwrap();
    let history = session
        .get_attribute(format!("{ALTA}.History"), false)
        .await
        .unwrap();
    assert!(history.simple_values().is_empty());

    // The wrong shape is refused, and nothing changes.
    let (code, message) = status(
        session
            .update_simple_attribute(format!("{ALTA}.History"), 7)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::InvalidArgument);
    assert!(
        message.contains("singular value/collection values"),
        "{message}"
    );
    let (code, _) = status(
        session
            .update_simple_attribute(&capacity, vec![1.0])
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::InvalidArgument);
    assert_eq!(
        session
            .get_attribute(&capacity, false)
            .await
            .unwrap()
            .value(),
        Some(&Value::Double(7.0))
    );
}

#[tokio::test]
async fn searches_find_objects_and_attributes() {
    let server = common::start_default().await;
    let session = open(&server).await;
    build_model(&session).await;

    let mut plants = session
        .search_objects(MODEL, "*[.Type=Plant]", AttributeView::Basic)
        .await
        .unwrap();
    plants.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        plants.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        ["Alta", "Bjorn"]
    );
    assert!(plants.iter().all(|p| p.attributes.len() == 6));
    assert!(plants
        .iter()
        .flat_map(|p| &p.attributes)
        .all(|a| a.definition.is_none() && a.owner.path.starts_with(PLANTS)));
    let model = session
        .get_object(MODEL, AttributeView::NoAttributes)
        .await
        .unwrap();
    let bare = session
        .search_objects(model.id, "*[.Name=Bjorn]", AttributeView::NoAttributes)
        .await
        .unwrap();
    assert_eq!(bare.len(), 1);
    assert!(bare[0].attributes.is_empty());

    let capacities = session
        .search_attributes(AREA, "{*}.Capacity", false)
        .await
        .unwrap();
    assert_eq!(capacities.len(), 2);
    assert!(capacities.iter().all(|a| a.definition.is_none()));
    let mut owners: Vec<_> = capacities.iter().map(|a| a.owner.path.clone()).collect();
    owners.sort();
    assert_eq!(owners, [ALTA.to_string(), format!("{PLANTS}/Bjorn")]);
    let full = session
        .search_attributes(MODEL, "*[.Name=Alta].Capacity,Running", true)
        .await
        .unwrap();
    assert_eq!(full.len(), 2);
    assert!(full.iter().all(|a| a.definition.is_some()));

    let nothing = session
        .search_objects(MODEL, "*[.Type=Turbine]", AttributeView::Basic)
        .await
        .unwrap();
    assert!(nothing.is_empty());
    for failure in [
        session
            .search_objects(MODEL, "*[.Name=Alta", AttributeView::Basic)
            .await
            .unwrap_err(),
        session
            .search_attributes(MODEL, "*[.Name=Alta", false)
            .await
            .unwrap_err(),
    ] {
        assert_eq!(status(failure).0, Code::InvalidArgument);
    }
}

#[tokio::test]
async fn objects_are_renamed_moved_and_deleted() {
    let server = common::start_default().await;
    let session = open(&server).await;
    build_model(&session).await;
    // A model's `Objects` attribute names the model as owner too.
    let west = session
        .create_object(
            format!("{MODEL}.Objects"),
            "West",
            Some(AREA_DEFINITION.into()),
        )
        .await
        .unwrap();
    assert_eq!(west.path, "Model/North/West");
    assert_eq!(west.owner.as_ref().map(|o| o.path.as_str()), Some(MODEL));
    let west_plants = west.attribute("Plants").unwrap().clone();
    let alta = session
        .get_object(ALTA, AttributeView::NoAttributes)
        .await
        .unwrap();

    // Neither a name nor an owner: nothing happens.
    session.update_object(alta.id, None, None).await.unwrap();
    session
        .update_object(ALTA, Some("Alta2"), None)
        .await
        .unwrap();
    let renamed = session
        .get_object(alta.id, AttributeView::NoAttributes)
        .await
        .unwrap();
    assert_eq!(renamed.path, format!("{PLANTS}/Alta2"));
    session
        .update_object(
            alta.id,
            Some("Alta3"),
            Some(Target::from(&west_plants.path)),
        )
        .await
        .unwrap();
    let moved = session
        .get_object(alta.id, AttributeView::NoAttributes)
        .await
        .unwrap();
    assert_eq!(moved.path, "Model/North/West.Plants/Alta3");
    assert_eq!(moved.owner.as_ref().map(|o| o.id), Some(west_plants.id));
    assert_eq!(
        session
            .get_attribute(west_plants.id, false)
            .await
            .unwrap()
            .target_ids(),
        [alta.id]
    );

    // An area owning plants is deleted only recursively.
    let (code, message) = status(session.delete_object(AREA, false).await.unwrap_err());
    assert_eq!(code, Code::FailedPrecondition);
    assert!(message.contains("has child objects"), "{message}");
    session.delete_object(AREA, true).await.unwrap();
    for gone in [AREA.to_string(), format!("{PLANTS}/Bjorn")] {
        let (code, _) = status(
            session
                .get_object(gone.as_str(), AttributeView::Basic)
                .await
                .unwrap_err(),
        );
        assert_eq!(code, Code::NotFound, "{gone}");
    }
    session
        .delete_object(moved.path.as_str(), false)
        .await
        .unwrap();
    let (code, _) = status(
        session
            .get_object(alta.id, AttributeView::Basic)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::NotFound);
}

#[tokio::test]
async fn wrong_targets_answer_the_servers_status() {
    let server = common::start_default().await;
    let session = open(&server).await;
    build_model(&session).await;

    let (code, message) = status(
        session
            .get_object("Model/North/Nowhere", AttributeView::Basic)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::NotFound);
    assert!(message.contains("object not found"), "{message}");
    let (code, _) = status(
        session
            .get_object(Uuid::new_v4(), AttributeView::Basic)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::NotFound);
    // An attribute is not an object, nor an object an attribute.
    assert!(session
        .get_object(PLANTS, AttributeView::Basic)
        .await
        .is_err());
    let (code, _) = status(session.get_attribute(ALTA, false).await.unwrap_err());
    assert_eq!(code, Code::NotFound);
    let (code, _) = status(
        session
            .update_simple_attribute(format!("{ALTA}.Nothing"), 1.0)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::NotFound);
    let (code, message) = status(
        session
            .create_object(PLANTS, "Alta", None)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::AlreadyExists);
    assert!(
        message.contains("An element named Alta already exists"),
        "{message}"
    );
    let (code, _) = status(
        session
            .create_object("Model/North/Nowhere.Plants", "X", None)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::NotFound);
    let (code, _) = status(
        session
            .delete_object("Model/North/Nowhere", true)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::NotFound);
    let (code, _) = status(
        session
            .create_model("South", "Repository/Nothing")
            .await
            .unwrap_err(),
    );
    assert_eq!(code, Code::NotFound);

    // A closed session is named as such.
    let id = session.session_id().unwrap();
    let stale = Connection::insecure(&server.address)
        .await
        .unwrap()
        .connect_to_session(id);
    session.close().await.unwrap();
    assert!(matches!(
        session.list_models().await,
        Err(Error::SessionNotOpen)
    ));
    // Attaching finds the session gone and starts another, which sees no
    // uncommitted model.
    assert!(matches!(
        stale.open().await.unwrap(),
        mesh::Opened::Created(_)
    ));
    assert!(stale.list_models().await.unwrap().is_empty());
}

#[tokio::test]
async fn model_changes_are_private_until_commit() {
    let server = common::start_default().await;
    let writer = open(&server).await;
    let reader = open(&server).await;
    build_model(&writer).await;

    assert!(reader.list_models().await.unwrap().is_empty());
    assert!(reader.list_model_definitions().await.unwrap().is_empty());
    writer.commit().await.unwrap();
    let models = reader.list_models().await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].path, MODEL);

    writer
        .update_simple_attribute(format!("{ALTA}.Capacity"), 99.0)
        .await
        .unwrap();
    writer.rollback().await.unwrap();
    let seen = writer
        .get_attribute(format!("{ALTA}.Capacity"), false)
        .await
        .unwrap();
    assert_eq!(seen.value(), Some(&Value::Double(1.0)));

    writer
        .update_simple_attribute(format!("{ALTA}.Capacity"), 55.5)
        .await
        .unwrap();
    assert_eq!(
        reader
            .get_attribute(format!("{ALTA}.Capacity"), false)
            .await
            .unwrap()
            .value(),
        Some(&Value::Double(1.0))
    );
    writer.commit().await.unwrap();
    assert_eq!(
        reader
            .get_attribute(format!("{ALTA}.Capacity"), false)
            .await
            .unwrap()
            .value(),
        Some(&Value::Double(55.5))
    );

    // Committed models survive a restart of the server.
    drop((writer, reader));
    let server = server.restart().await;
    let session = open(&server).await;
    let alta = session
        .get_object(ALTA, AttributeView::Basic)
        .await
        .unwrap();
    assert_eq!(
        alta.attribute("Capacity").unwrap().value(),
        Some(&Value::Double(55.5))
    );
}

#[test]
fn blocking_model_calls_work_like_async_ones() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::start_default());
    let connection = mesh::blocking::Connection::insecure(&server.address).unwrap();
    let session = connection.open_session().unwrap();

    let repository = session.create_model_definition("Hydro", "").unwrap();
    assert_eq!(session.list_model_definitions().unwrap().len(), 1);
    let namespace = session.create_namespace(repository.id, "Sub", "").unwrap();
    assert_eq!(namespace.path, "Repository/Hydro/Sub");
    let area = session
        .create_object_definition(REPOSITORY, "Area", "")
        .unwrap();
    let plant = session
        .create_object_definition(REPOSITORY, "Plant", "")
        .unwrap();
    let capacity = session
        .create_simple_attribute_type(REPOSITORY, "Capacity", ValueType::Double, Some("MW"))
        .unwrap();
    let definition = session
        .add_simple_attribute_definition(plant.id, capacity.id, &SimpleDefinition::default())
        .unwrap();
    assert_eq!(definition.path, "Repository/Hydro/Plant/Capacity");
    let plants = session
        .create_ownership_relation_attribute_type(REPOSITORY, "Plants", plant.id)
        .unwrap();
    session
        .add_ownership_relation_attribute_definition(area.id, plants.id, 10)
        .unwrap();
    let link = session
        .create_link_relation_attribute_type(namespace.id, "Feeds", plant.id)
        .unwrap();
    assert_eq!(session.get_attribute_type(link.id).unwrap().name, "Feeds");
    session.delete_attribute_type(link.id).unwrap();
    let spare = session
        .create_object_definition(REPOSITORY, "Spare", "")
        .unwrap();
    session.delete_object_definition(spare.id).unwrap();
    assert_eq!(
        session
            .get_object_definition(AREA_DEFINITION)
            .unwrap()
            .attribute_definitions
            .len(),
        1
    );

    let model = session.create_model("North", REPOSITORY).unwrap();
    session
        .create_object(model.id, "East", Some(AREA_DEFINITION.into()))
        .unwrap();
    let alta = session.create_object(PLANTS, "Alta", None).unwrap();
    session
        .update_simple_attribute(format!("{ALTA}.Capacity"), 12.0)
        .unwrap();
    assert_eq!(
        session
            .get_attribute(format!("{ALTA}.Capacity"), true)
            .unwrap()
            .value(),
        Some(&Value::Double(12.0))
    );
    assert_eq!(
        session
            .search_attributes(MODEL, "{*}.Capacity", false)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        session
            .search_objects(MODEL, "*[.Type=Plant]", AttributeView::Basic)
            .unwrap()[0]
            .id,
        alta.id
    );
    assert_eq!(
        session
            .search_objects_by_definition(plant.id, AttributeView::Full)
            .unwrap()
            .len(),
        1
    );
    session.update_object(alta.id, Some("Alta2"), None).unwrap();
    assert_eq!(
        session
            .get_object(alta.id, AttributeView::NoAttributes)
            .unwrap()
            .name,
        "Alta2"
    );
    assert_eq!(session.list_models().unwrap().len(), 1);
    session.delete_object(alta.id, false).unwrap();
    assert!(matches!(
        session.get_object(alta.id, AttributeView::Basic),
        Err(Error::Status(status)) if status.code() == Code::NotFound
    ));
    session.commit().unwrap();
    drop(session);
    drop(connection);
    drop(server);
}

#[tokio::test]
async fn a_model_file_is_imported_whole_or_not_at_all_and_exported_back() {
    let server = common::start_default().await;
    let session = open(&server).await;
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/hydro-model.json"
    );
    let refused = session
        .import_model_file(
            "broken.json",
            "{\"mesh_model_file\": 1, \"models\": [{\"name\": \"X\", \"definition\": \"Nope\"}]}",
        )
        .await
        .unwrap_err();
    assert_eq!(
        status(refused),
        (
            Code::InvalidArgument,
            "broken.json: models[0]: no model definition named 'Nope'".to_string()
        )
    );
    assert!(session.list_models().await.unwrap().is_empty());

    let imported = session.import_model_file_from(example).await.unwrap();
    assert_eq!(
        (
            imported.model_definitions,
            imported.models,
            imported.objects
        ),
        (1, 1, 5)
    );
    let alta = session
        .get_object("Model/Nordic/North/Alta", AttributeView::Basic)
        .await
        .unwrap();
    assert_eq!(
        alta.id,
        Uuid::parse_str("5b1f5e0c-3a61-4f0e-9a1c-0d6f1a2b3c42").unwrap()
    );
    let exported = session.export_model_file(&["Nordic"]).await.unwrap();
    session.commit().await.unwrap();

    // Into a second server: the same ids, and the same file back.
    let other = common::start_default().await;
    let elsewhere = open(&other).await;
    elsewhere
        .import_model_file("exported.json", &exported)
        .await
        .unwrap();
    elsewhere.commit().await.unwrap();
    assert_eq!(elsewhere.export_model_file(&[]).await.unwrap(), exported);
    let moved = elsewhere
        .get_object(alta.id, AttributeView::Basic)
        .await
        .unwrap();
    assert_eq!(moved.path, "Model/Nordic/North.Plants/Alta");
}

#[tokio::test]
async fn time_series_attributes_connect_and_lead_to_their_series() {
    use mesh::{CurveType, Point, Resolution};

    let server = common::start_default().await;
    let session = open(&server).await;
    let hydro = session.create_model_definition("Hydro", "").await.unwrap();
    let plant = session
        .create_object_definition(hydro.id, "Plant", "")
        .await
        .unwrap();
    let production = session
        .create_timeseries_attribute_type(hydro.id, "Production", Some("MW"))
        .await
        .unwrap();
    let definition = session
        .add_timeseries_attribute_definition(plant.id, production.id, "##= 1")
        .await
        .unwrap();
    assert_eq!(definition.name, "Production");
    let model = session.create_model("Nordic", hydro.id).await.unwrap();
    session
        .create_object(model.id, "Alta", Some(plant.id.into()))
        .await
        .unwrap();
    const ATTRIBUTE: &str = "Model/Nordic/Alta.Production";

    let attribute = session.get_attribute(ATTRIBUTE, false).await.unwrap();
    assert!(matches!(
        attribute.values,
        AttributeValues::Timeseries { timeseries_key: None, ref expression, is_local_expression: false } if expression == "##= 1"
    ));
    assert_eq!(session.timeseries_key_of(ATTRIBUTE).await.unwrap(), None);
    let nothing = session
        .update_timeseries_attribute(ATTRIBUTE, None, None)
        .await
        .unwrap_err();
    assert_eq!(status(nothing).0, Code::InvalidArgument);

    let series = session
        .create_physical_timeseries(
            "/Nordic/",
            "AltaProduction",
            CurveType::StaircaseStartOfStep,
            Resolution::Breakpoint,
            "MW",
            None,
        )
        .await
        .unwrap();
    session
        .update_timeseries_attribute(ATTRIBUTE, Some(series.timeseries_key), Some("##= 2"))
        .await
        .unwrap();
    let attribute = session.get_attribute(ATTRIBUTE, false).await.unwrap();
    assert!(matches!(
        attribute.values,
        AttributeValues::Timeseries { timeseries_key: Some(key), ref expression, is_local_expression: true }
            if key == series.timeseries_key && expression == "##= 2"
    ));
    let key = session.timeseries_key_of(ATTRIBUTE).await.unwrap().unwrap();
    let (start, end) = (
        commissioned(),
        commissioned() + mesh::chrono::Duration::hours(2),
    );
    session
        .write_timeseries_point_slice(
            key,
            start,
            end,
            &[Point::new(start.timestamp_millis(), 0, 7.0)],
        )
        .await
        .unwrap();
    let points = session
        .read_timeseries_points(key, start, end)
        .await
        .unwrap();
    assert_eq!(points.len(), 1);
    session
        .update_timeseries_attribute(ATTRIBUTE, Some(0), None)
        .await
        .unwrap();
    assert_eq!(session.timeseries_key_of(ATTRIBUTE).await.unwrap(), None);
    let missing = session
        .update_timeseries_attribute(ATTRIBUTE, Some(123_456), None)
        .await
        .unwrap_err();
    assert_eq!(
        status(missing),
        (
            Code::NotFound,
            "time series key: 123456 not found".to_string()
        )
    );
}
