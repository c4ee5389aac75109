//! The model on the real binary and its store: model changes commit in one
//! transaction with the session's series, stay private until then, and
//! survive a graceful restart and SIGKILL like series do.

use std::path::Path;
use std::time::Duration;

use mesh_proto::model::model_service_client::ModelServiceClient;
use mesh_proto::model::{
    attribute_value::ValueOneof, AttributeValue, CreateModelRequest, CreateObjectRequest,
    GetObjectRequest, UpdateSimpleAttributeRequest,
};
use mesh_proto::model_definition::{
    AddOwnershipRelationAttributeDefinitionRequest, AddSimpleAttributeDefinitionRequest,
    AttributeDefinitionDefaultValue, AttributeValueType, CreateNamespaceRequest,
    CreateObjectDefinitionRequest, CreateRelationAttributeTypeRequest,
    CreateSimpleAttributeTypeRequest,
};
use mesh_proto::types::{Guid, MeshId};
use mesh_testkit::process::ServerProcess;
use mesh_testkit::raw::Clients;
use tonic::transport::Channel;
use tonic::Code;

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

fn start(data: &Path) -> ServerProcess {
    ServerProcess::builder(BINARY)
        .local(data)
        .startup_timeout(STARTUP_TIMEOUT)
        .start()
}

struct Client {
    clients: Clients,
    objects: ModelServiceClient<Channel>,
}

async fn connect(server: &ServerProcess) -> Client {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", server.address()))
        .unwrap()
        .timeout(CALL_TIMEOUT)
        .connect()
        .await
        .expect("connecting to mesh-server");
    Client {
        clients: Clients::on(channel.clone()),
        objects: ModelServiceClient::new(channel),
    }
}

fn by_path(path: &str) -> Option<MeshId> {
    Some(MeshId {
        id: None,
        path: Some(path.to_string()),
        timeseries_key: None,
    })
}

fn by_id(id: &Guid) -> Option<MeshId> {
    Some(MeshId {
        id: Some(id.clone()),
        path: None,
        timeseries_key: None,
    })
}

/// A model definition `Hydro` with `Area` (owning `Plant`s through
/// `Plants`) and `Plant` (with a double `Capacity`, default 10), the model
/// `Nordic` and its area `North`; all in `session`, uncommitted.
async fn build_model(client: &mut Client, session: &Guid) {
    let models = &mut client.clients.models;
    let definition = models
        .create_namespace(CreateNamespaceRequest {
            session_id: Some(session.clone()),
            name_space_id: None,
            name: "Hydro".into(),
            description: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    let object_definition = |name: &str| CreateObjectDefinitionRequest {
        session_id: Some(session.clone()),
        name_space_id: by_id(definition.as_ref().unwrap()),
        name: name.into(),
        description: String::new(),
        tag_ids: vec![],
    };
    let area = models
        .create_object_definition(object_definition("Area"))
        .await
        .unwrap()
        .into_inner()
        .id;
    let plant = models
        .create_object_definition(object_definition("Plant"))
        .await
        .unwrap()
        .into_inner()
        .id;
    let capacity = models
        .create_simple_attribute_type(CreateSimpleAttributeTypeRequest {
            session_id: Some(session.clone()),
            name_space_id: by_id(definition.as_ref().unwrap()),
            name: "Capacity".into(),
            value_type: AttributeValueType::Double as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    models
        .add_simple_attribute_definition(AddSimpleAttributeDefinitionRequest {
            session_id: Some(session.clone()),
            attribute_type_id: by_id(capacity.as_ref().unwrap()),
            object_definition_id: by_id(plant.as_ref().unwrap()),
            cardinality: 1,
            default_value: Some(AttributeDefinitionDefaultValue {
                value_oneof: Some(
                    mesh_proto::model_definition::attribute_definition_default_value::ValueOneof::DoubleValue(10.0),
                ),
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    let plants = models
        .create_ownership_relation_attribute_type(CreateRelationAttributeTypeRequest {
            session_id: Some(session.clone()),
            name_space_id: by_id(definition.as_ref().unwrap()),
            name: "Plants".into(),
            description: String::new(),
            target_object_definition_id: by_id(plant.as_ref().unwrap()),
            tag_ids: vec![],
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    models
        .add_ownership_relation_attribute_definition(
            AddOwnershipRelationAttributeDefinitionRequest {
                session_id: Some(session.clone()),
                attribute_type_id: by_id(plants.as_ref().unwrap()),
                object_definition_id: by_id(area.as_ref().unwrap()),
                description: String::new(),
                cardinality: 100,
            },
        )
        .await
        .unwrap();
    let model = client
        .objects
        .create_model(CreateModelRequest {
            session_id: Some(session.clone()),
            name: "Nordic".into(),
            model_definition_id: by_id(definition.as_ref().unwrap()),
        })
        .await
        .unwrap()
        .into_inner();
    client
        .objects
        .create_object(CreateObjectRequest {
            session_id: Some(session.clone()),
            name: "North".into(),
            owner_id: by_id(model.id.as_ref().unwrap()),
            object_definition_id: by_id(area.as_ref().unwrap()),
        })
        .await
        .unwrap();
}

/// Creates `Model/Nordic/North/<name>` (owner by attribute path, no
/// definition: as the official SDK does) and sets its capacity.
async fn create_plant(client: &mut Client, session: &Guid, name: &str, capacity: f64) {
    client
        .objects
        .create_object(CreateObjectRequest {
            session_id: Some(session.clone()),
            name: name.into(),
            owner_id: by_path("Model/Nordic/North.Plants"),
            object_definition_id: None,
        })
        .await
        .unwrap();
    client
        .objects
        .update_simple_attribute(UpdateSimpleAttributeRequest {
            session_id: Some(session.clone()),
            attribute_id: by_path(&format!("Model/Nordic/North/{name}.Capacity")),
            new_singular_value: Some(AttributeValue {
                value_oneof: Some(ValueOneof::DoubleValue(capacity)),
            }),
            new_collection_values: vec![],
        })
        .await
        .unwrap();
}

/// The capacity of plant `name` as a new session sees it; `None` when the
/// plant does not exist.
async fn capacity(client: &mut Client, name: &str) -> Option<f64> {
    let session = client.clients.start_session().await.unwrap();
    let answer = client
        .objects
        .get_object(GetObjectRequest {
            session_id: Some(session.clone()),
            object_id: by_path(&format!("Model/Nordic/North/{name}")),
            ..Default::default()
        })
        .await;
    client.clients.end_session(&session).await.unwrap();
    let object = match answer {
        Ok(object) => object.into_inner(),
        Err(status) if status.code() == Code::NotFound => return None,
        Err(status) => panic!("GetObject failed: {status}"),
    };
    assert_eq!(object.path, format!("Model/Nordic/North.Plants/{name}"));
    let attribute = object
        .attributes
        .iter()
        .find(|a| a.name == "Capacity")
        .unwrap();
    match attribute.values[0].value_oneof {
        Some(ValueOneof::DoubleValue(v)) => Some(v),
        ref other => panic!("Capacity holds {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_commits_with_series_and_survives_restart_and_sigkill() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path());
    let mut client = connect(&server).await;
    let session = client.clients.start_session().await.unwrap();
    build_model(&mut client, &session).await;
    create_plant(&mut client, &session, "Alta", 150.0).await;
    let unit = client.clients.any_unit(&session).await.unwrap();
    let key = client
        .clients
        .create_breakpoint_series(&session, &unit, "/Nordic/", "AltaProduction")
        .await
        .unwrap();
    // Private until committed.
    assert_eq!(capacity(&mut client, "Alta").await, None);
    client.clients.commit(&session).await.unwrap();
    assert_eq!(capacity(&mut client, "Alta").await, Some(150.0));

    // Uncommitted at a graceful stop: gone after the restart.
    create_plant(&mut client, &session, "Rana", 500.0).await;
    let mut server = server;
    server.signal("-TERM");
    let status = server.wait_for_exit(Duration::from_secs(15)).await;
    assert!(
        status.success(),
        "SIGTERM stops the server cleanly, got {status}"
    );
    let server = start(data.path());
    let mut client = connect(&server).await;
    assert_eq!(capacity(&mut client, "Alta").await, Some(150.0));
    assert_eq!(capacity(&mut client, "Rana").await, None);

    // Committed then SIGKILL: kept, with the series of the same commit.
    let session = client.clients.start_session().await.unwrap();
    create_plant(&mut client, &session, "Rana", 500.0).await;
    client.clients.commit(&session).await.unwrap();
    server.kill().unwrap();
    let server = start(data.path());
    let mut client = connect(&server).await;
    assert_eq!(capacity(&mut client, "Rana").await, Some(500.0));
    assert_eq!(capacity(&mut client, "Alta").await, Some(150.0));
    let session = client.clients.start_session().await.unwrap();
    let series = client
        .clients
        .series
        .clone()
        .get_timeseries_resource(mesh_proto::time_series::GetTimeseriesResourceRequest {
            session_id: Some(session),
            timeseries_resource_key: key,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(series.name, "AltaProduction");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_whose_series_fail_keeps_its_model_changes_out() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path());
    let mut client = connect(&server).await;
    let setup = client.clients.start_session().await.unwrap();
    build_model(&mut client, &setup).await;
    client.clients.commit(&setup).await.unwrap();
    let unit = client.clients.any_unit(&setup).await.unwrap();

    // Session A creates a plant and a series; session B takes the series'
    // path first. A's commit must fail whole: no plant either.
    let a = client.clients.start_session().await.unwrap();
    create_plant(&mut client, &a, "Alta", 150.0).await;
    client
        .clients
        .create_breakpoint_series(&a, &unit, "/Nordic/", "Taken")
        .await
        .unwrap();
    let b = client.clients.start_session().await.unwrap();
    client
        .clients
        .create_breakpoint_series(&b, &unit, "/Nordic/", "Taken")
        .await
        .unwrap();
    client.clients.commit(&b).await.unwrap();
    let refused = client.clients.commit(&a).await.unwrap_err();
    assert_eq!(refused.code(), Code::AlreadyExists, "{refused:?}");
    assert_eq!(capacity(&mut client, "Alta").await, None);

    // Still pending in A: its own view has the plant; after a rollback,
    // nothing is left to commit.
    let seen = client
        .objects
        .get_object(GetObjectRequest {
            session_id: Some(a.clone()),
            object_id: by_path("Model/Nordic/North/Alta"),
            ..Default::default()
        })
        .await;
    assert!(seen.is_ok(), "{seen:?}");
    client
        .clients
        .sessions
        .clone()
        .rollback(a.clone())
        .await
        .unwrap();
    client.clients.commit(&a).await.unwrap();
    assert_eq!(capacity(&mut client, "Alta").await, None);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_file_imports_in_a_session_and_exports_the_same_after_a_restart() {
    use mesh_proto::model_file::model_file_service_client::ModelFileServiceClient;
    use mesh_proto::model_file::{ExportModelFileRequest, ImportModelFileRequest};

    let example = include_str!("../../../examples/hydro-model.json");
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path());
    let client = connect(&server).await;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", server.address()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut files = ModelFileServiceClient::new(channel);
    let session = client.clients.start_session().await.unwrap();

    // A refused file changes nothing, and says where it is wrong.
    let refused = files
        .import_model_file(ImportModelFileRequest {
            session_id: Some(session.clone()),
            file_name: "hydro.json".into(),
            content: example.replace("\"Units\": 4", "\"Units\": 40"),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        refused.message(),
        "hydro.json: models[0].objects[0].owns.Plants[1].values.Units: value 40 of attribute Units is above its maximum 20"
    );
    let empty = files
        .export_model_file(ExportModelFileRequest {
            session_id: Some(session.clone()),
            models: vec![],
        })
        .await
        .unwrap()
        .into_inner()
        .content;
    assert!(!empty.contains("Hydro"), "{empty}");

    let counts = files
        .import_model_file(ImportModelFileRequest {
            session_id: Some(session.clone()),
            file_name: "hydro.json".into(),
            content: example.to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (counts.model_definitions, counts.models, counts.objects),
        (1, 1, 5)
    );
    let exported = files
        .export_model_file(ExportModelFileRequest {
            session_id: Some(session.clone()),
            models: vec![],
        })
        .await
        .unwrap()
        .into_inner()
        .content;
    client.clients.commit(&session).await.unwrap();

    // After a SIGKILL and restart the model exports to the same text, with
    // the file's ids.
    server.kill().unwrap();
    let server = start(data.path());
    let mut client = connect(&server).await;
    assert_eq!(capacity(&mut client, "Alta").await, Some(150.0));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", server.address()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut files = ModelFileServiceClient::new(channel);
    let session = client.clients.start_session().await.unwrap();
    let again = files
        .export_model_file(ExportModelFileRequest {
            session_id: Some(session),
            models: vec!["Nordic".into()],
        })
        .await
        .unwrap()
        .into_inner()
        .content;
    assert_eq!(again, exported);
    assert!(again.contains("5b1f5e0c-3a61-4f0e-9a1c-0d6f1a2b3c42"));
}

/// Adds a time series attribute `Production` (template `##= 1`, when
/// `template`) to `Plant`, in `session`.
async fn add_production(client: &mut Client, session: &Guid, template: &str) {
    use mesh_proto::model_definition::{
        AddTimeseriesAttributeDefinitionRequest, CreateTimeseriesAttributeTypeRequest,
    };
    let unit = client.clients.any_unit(session).await.unwrap();
    client
        .clients
        .models
        .create_timeseries_attribute_type(CreateTimeseriesAttributeTypeRequest {
            session_id: Some(session.clone()),
            name_space_id: by_path("Repository/Hydro"),
            name: "Production".into(),
            description: String::new(),
            unit_of_measurement_id: Some(unit),
            tag_ids: vec![],
        })
        .await
        .unwrap();
    client
        .clients
        .models
        .add_timeseries_attribute_definition(AddTimeseriesAttributeDefinitionRequest {
            session_id: Some(session.clone()),
            attribute_type_id: by_path("Repository/Hydro/Production"),
            object_definition_id: by_path("Repository/Hydro/Plant"),
            description: String::new(),
            cardinality: 1,
            template_expression: template.into(),
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_series_attributes_connect_to_series_read_and_written_by_path() {
    use mesh_proto::model::{GetAttributeRequest, UpdateTimeseriesAttributeRequest};
    use mesh_proto::time_series::{ReadTimeseriesRequest, Timeseries, WriteTimeseriesRequest};
    use mesh_proto::types::UtcInterval;
    use mesh_timeseries::{arrow_ipc, Point};

    let data = tempfile::tempdir().unwrap();
    let server = start(data.path());
    let mut client = connect(&server).await;
    let session = client.clients.start_session().await.unwrap();
    build_model(&mut client, &session).await;
    add_production(&mut client, &session, "").await;
    create_plant(&mut client, &session, "Alta", 150.0).await;
    let unit = client.clients.any_unit(&session).await.unwrap();
    let key = client
        .clients
        .create_breakpoint_series(&session, &unit, "/Nordic/", "AltaProduction")
        .await
        .unwrap();
    const ATTRIBUTE: &str = "Model/Nordic/North/Alta.Production";
    let update = |key: Option<i64>, expression: Option<&str>, mask: Vec<&str>| {
        UpdateTimeseriesAttributeRequest {
            session_id: Some(session.clone()),
            attribute_id: by_path(ATTRIBUTE),
            field_mask: Some(prost_types::FieldMask {
                paths: mask.into_iter().map(String::from).collect(),
            }),
            new_timeseries_resource_key: key.unwrap_or_default(),
            new_local_expression: expression.unwrap_or_default().into(),
        }
    };
    let get = |client: &mut Client| {
        let mut objects = client.objects.clone();
        let session = session.clone();
        async move {
            let attribute = objects
                .get_attribute(GetAttributeRequest {
                    session_id: Some(session),
                    attribute_id: by_path(ATTRIBUTE),
                    field_mask: None,
                })
                .await
                .unwrap()
                .into_inner();
            match attribute.values.as_slice() {
                [AttributeValue {
                    value_oneof: Some(ValueOneof::TimeseriesValue(value)),
                }] => value.clone(),
                other => panic!("a time series attribute answers one value, got {other:?}"),
            }
        }
    };

    // Unconnected, no expression: one value, no resource; reads refused.
    let value = get(&mut client).await;
    assert_eq!(
        (
            value.time_series_resource,
            value.expression.as_str(),
            value.is_local_expression
        ),
        (None, "", false)
    );
    let read = |key_or_path: MeshId| ReadTimeseriesRequest {
        session_id: Some(session.clone()),
        timeseries_id: Some(key_or_path),
        interval: Some(UtcInterval::from_millis(0, 10_000)),
    };
    let attribute_id = MeshId {
        id: None,
        path: Some(ATTRIBUTE.into()),
        timeseries_key: None,
    };
    let refused = client
        .clients
        .series
        .clone()
        .read_timeseries(read(attribute_id.clone()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");

    // Bad updates.
    let nothing = client
        .objects
        .update_timeseries_attribute(update(None, None, vec![]))
        .await
        .unwrap_err();
    assert_eq!(nothing.code(), Code::InvalidArgument);
    assert!(nothing
        .message()
        .starts_with("nothing is set to be updated"));
    let missing = client
        .objects
        .update_timeseries_attribute(update(
            Some(123456),
            None,
            vec!["new_timeseries_resource_key"],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (missing.code(), missing.message()),
        (Code::NotFound, "time series key: 123456 not found")
    );
    let not_series = client
        .objects
        .update_timeseries_attribute(UpdateTimeseriesAttributeRequest {
            attribute_id: by_path("Model/Nordic/North/Alta.Capacity"),
            ..update(Some(key), None, vec!["new_timeseries_resource_key"])
        })
        .await
        .unwrap_err();
    assert!(
        not_series.message().contains("Invalid type"),
        "{not_series:?}"
    );

    // Connected: the attribute shows the resource; points written and read
    // through the attribute are the series' own.
    client
        .objects
        .update_timeseries_attribute(update(Some(key), None, vec!["new_timeseries_resource_key"]))
        .await
        .unwrap();
    let value = get(&mut client).await;
    assert_eq!(
        value
            .time_series_resource
            .as_ref()
            .map(|r| r.timeseries_key),
        Some(key)
    );
    let points = vec![Point::new(1_000, 0, 4.5), Point::new(2_000, 0, 5.5)];
    client
        .clients
        .series
        .clone()
        .write_timeseries(WriteTimeseriesRequest {
            session_id: Some(session.clone()),
            timeseries: Some(Timeseries {
                id: Some(attribute_id.clone()),
                resolution: None,
                interval: Some(UtcInterval::from_millis(0, 10_000)),
                data: arrow_ipc::encode(&points),
            }),
        })
        .await
        .unwrap();
    assert_eq!(
        client
            .clients
            .read(&session, key, (0, 10_000))
            .await
            .unwrap(),
        points
    );
    let through = client
        .clients
        .series
        .clone()
        .read_timeseries(read(attribute_id.clone()))
        .await
        .unwrap()
        .into_inner();
    let answer = &through.timeseries[0];
    let id = answer.id.as_ref().unwrap();
    assert_eq!(
        (id.timeseries_key, id.path.as_deref()),
        (Some(0), Some("Model/Nordic/North.Plants/Alta.Production"))
    );
    assert_eq!(arrow_ipc::decode(&answer.data).unwrap(), points);

    // A local expression is kept beside the connection and reported.
    client
        .objects
        .update_timeseries_attribute(update(None, Some("##= 2"), vec!["new_local_expression"]))
        .await
        .unwrap();
    let value = get(&mut client).await;
    assert_eq!(
        (value.expression.as_str(), value.is_local_expression),
        ("##= 2", true)
    );
    assert_eq!(
        value.time_series_resource.map(|r| r.timeseries_key),
        Some(key)
    );
    client.clients.commit(&session).await.unwrap();

    // Kept across a restart; disconnecting leaves the expression, and a
    // read through it needs calculations.
    server.kill().unwrap();
    let server = start(data.path());
    let mut client = connect(&server).await;
    let session = client.clients.start_session().await.unwrap();
    let update = |key: Option<i64>, mask: Vec<&str>| UpdateTimeseriesAttributeRequest {
        session_id: Some(session.clone()),
        attribute_id: by_path(ATTRIBUTE),
        field_mask: Some(prost_types::FieldMask {
            paths: mask.into_iter().map(String::from).collect(),
        }),
        new_timeseries_resource_key: key.unwrap_or_default(),
        new_local_expression: String::new(),
    };
    let attribute = client
        .objects
        .get_attribute(GetAttributeRequest {
            session_id: Some(session.clone()),
            attribute_id: by_path(ATTRIBUTE),
            field_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    let Some(ValueOneof::TimeseriesValue(value)) = attribute.values[0].value_oneof.clone() else {
        panic!()
    };
    assert_eq!(
        value.time_series_resource.map(|r| r.timeseries_key),
        Some(key)
    );
    client
        .objects
        .update_timeseries_attribute(update(Some(0), vec!["new_timeseries_resource_key"]))
        .await
        .unwrap();
    let read = ReadTimeseriesRequest {
        session_id: Some(session.clone()),
        timeseries_id: Some(attribute_id),
        interval: Some(UtcInterval::from_millis(0, 10_000)),
    };
    // Disconnected, the attribute reads as its local expression `##= 2`
    // (over the template `##= 1`): a number, one breakpoint point at the
    // interval's start (docs/decisions.md).
    let calculated = client
        .clients
        .series
        .clone()
        .read_timeseries(read)
        .await
        .unwrap()
        .into_inner();
    let [one] = calculated.timeseries.as_slice() else {
        panic!("{calculated:?}");
    };
    assert_eq!(one.id.as_ref().and_then(|id| id.timeseries_key), Some(0));
    let points = mesh_timeseries::arrow_ipc::decode(&one.data).unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!((points[0].utc_ms, points[0].value), (0, 2.0));
}
