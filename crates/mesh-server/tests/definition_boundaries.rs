//! References stay inside one model definition, over gRPC: moving an
//! object definition, a simple attribute type or a link type into another
//! model definition is refused with FAILED_PRECONDITION naming what would
//! point across (the model file, which names definitions by their path in
//! one model definition, could not write it back); new references across
//! are refused with INVALID_ARGUMENT; moves inside one model definition
//! work, and what they make exports, imports into a fresh server and
//! exports to the same text.

mod support;

use mesh_proto::model_definition::model_definition_service_client::ModelDefinitionServiceClient;
use mesh_proto::model_definition::{
    AddSimpleAttributeDefinitionRequest, CreateRelationAttributeTypeRequest,
    UpdateObjectDefinitionRequest, UpdateRelationAttributeTypeRequest,
    UpdateSimpleAttributeTypeRequest,
};
use mesh_proto::model_file::model_file_service_client::ModelFileServiceClient;
use mesh_proto::model_file::{ExportModelFileRequest, ImportModelFileRequest};
use mesh_proto::session::session_service_client::SessionServiceClient;
use mesh_proto::types::{Guid, MeshId};
use prost_types::FieldMask;
use support::TestServer;
use tonic::transport::Channel;
use tonic::{Code, Status};

/// `Hydro` (a namespace `Sub`; `Plant` with a `Capacity` and a
/// `Flows_Into` link to plants; a model with two plants linked) and an
/// empty `Other`.
const TWO_DEFINITIONS: &str = r#"{"mesh_model_file": 1,
  "model_definitions": [
    {"name": "Hydro", "namespaces": [{"name": "Sub"}],
     "attribute_types": [{"name": "Capacity", "kind": "double"},
                         {"name": "Flows_Into", "kind": "link", "target": "Plant"}],
     "object_definitions": [{"name": "Plant", "attributes": [
       {"type": "Capacity"},
       {"type": "Flows_Into", "minimum_cardinality": 0}]}]},
    {"name": "Other"}],
  "models": [{"name": "Nordic", "definition": "Hydro", "objects": [
    {"name": "A", "definition": "Plant", "values": {"Capacity": 1.0, "Flows_Into": "Model/Nordic/B"}},
    {"name": "B", "definition": "Plant"}]}]}"#;

struct Client {
    _server: TestServer,
    definitions: ModelDefinitionServiceClient<Channel>,
    files: ModelFileServiceClient<Channel>,
    sessions: SessionServiceClient<Channel>,
    session: Guid,
}

async fn client() -> Client {
    let server = TestServer::start(|_| {}).await;
    let channel = server.channel().await;
    let mut sessions = SessionServiceClient::new(channel.clone());
    let session = sessions
        .start_session(())
        .await
        .unwrap()
        .into_inner()
        .session_id
        .unwrap();
    Client {
        _server: server,
        definitions: ModelDefinitionServiceClient::new(channel.clone()),
        files: ModelFileServiceClient::new(channel),
        sessions,
        session,
    }
}

fn path(path: &str) -> Option<MeshId> {
    Some(MeshId {
        id: None,
        path: Some(path.into()),
        timeseries_key: None,
    })
}

fn to_namespace() -> Option<FieldMask> {
    Some(FieldMask {
        paths: vec!["new_name_space_id".into()],
    })
}

impl Client {
    async fn import(&mut self, content: &str) {
        self.files
            .import_model_file(ImportModelFileRequest {
                session_id: Some(self.session.clone()),
                file_name: "m.json".into(),
                content: content.into(),
            })
            .await
            .unwrap();
    }

    async fn export(&mut self) -> String {
        self.files
            .export_model_file(ExportModelFileRequest {
                session_id: Some(self.session.clone()),
                models: vec![],
            })
            .await
            .unwrap()
            .into_inner()
            .content
    }

    async fn commit(&mut self) {
        self.sessions.commit(self.session.clone()).await.unwrap();
    }

    async fn move_definition(&mut self, namespace: &str) -> Result<(), Status> {
        self.definitions
            .update_object_definition(UpdateObjectDefinitionRequest {
                session_id: Some(self.session.clone()),
                object_definition_id: path("Repository/Hydro/Plant"),
                field_mask: to_namespace(),
                new_name_space_id: path(namespace),
                ..Default::default()
            })
            .await
            .map(|_| ())
    }

    async fn move_capacity(&mut self, from: &str, to: &str) -> Result<(), Status> {
        self.definitions
            .update_simple_attribute_type(UpdateSimpleAttributeTypeRequest {
                session_id: Some(self.session.clone()),
                attribute_type_id: path(from),
                field_mask: to_namespace(),
                new_name_space_id: path(to),
                ..Default::default()
            })
            .await
            .map(|_| ())
    }

    async fn move_link(&mut self, to: &str) -> Result<(), Status> {
        self.definitions
            .update_relation_attribute_type(UpdateRelationAttributeTypeRequest {
                session_id: Some(self.session.clone()),
                attribute_type_id: path("Repository/Hydro/Flows_Into"),
                field_mask: to_namespace(),
                new_name_space_id: path(to),
                ..Default::default()
            })
            .await
            .map(|_| ())
    }
}

fn assert_refused(result: Result<(), Status>, code: Code, naming: &[&str]) {
    let status = result.expect_err("refused");
    assert_eq!(status.code(), code, "{status:?}");
    for name in naming {
        assert!(status.message().contains(name), "{name}: {status:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_into_another_model_definition_are_refused_naming_what_would_dangle() {
    let mut c = client().await;
    c.import(TWO_DEFINITIONS).await;
    c.commit().await;

    assert_refused(
        c.move_definition("Repository/Other").await,
        Code::FailedPrecondition,
        &["Plant", "Other", "Capacity", "Flows_Into", "2 object(s)"],
    );
    assert_refused(
        c.move_capacity("Repository/Hydro/Capacity", "Repository/Other")
            .await,
        Code::FailedPrecondition,
        &["Capacity", "Other", "object definition Plant"],
    );
    assert_refused(
        c.move_link("Repository/Other").await,
        Code::FailedPrecondition,
        &[
            "Flows_Into",
            "Other",
            "object definition Plant",
            "targets object definition Plant",
        ],
    );

    // New references across are refused too.
    let across = c
        .definitions
        .create_link_relation_attribute_type(CreateRelationAttributeTypeRequest {
            session_id: Some(c.session.clone()),
            name_space_id: path("Repository/Other"),
            name: "Feeds".into(),
            description: String::new(),
            target_object_definition_id: path("Repository/Hydro/Plant"),
            tag_ids: vec![],
        })
        .await
        .map(|_| ());
    assert_refused(across, Code::InvalidArgument, &["Feeds", "Plant", "Hydro"]);

    // Inside one model definition every move works, and the file says so.
    c.move_definition("Repository/Hydro/Sub").await.unwrap();
    c.move_capacity("Repository/Hydro/Capacity", "Repository/Hydro/Sub")
        .await
        .unwrap();
    c.move_link("Repository/Hydro/Sub").await.unwrap();
    c.commit().await;
    let text = c.export().await;
    assert!(text.contains("\"target\": \"Sub/Plant\""), "{text}");
    let mut fresh = client().await;
    fresh.import(&text).await;
    fresh.commit().await;
    assert_eq!(fresh.export().await, text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unused_definition_may_move_to_another_model_definition() {
    let mut c = client().await;
    c.import(
        r#"{"mesh_model_file": 1, "model_definitions": [
             {"name": "Hydro", "attribute_types": [{"name": "Note", "kind": "string"}],
              "object_definitions": [{"name": "Plant"}]},
             {"name": "Other"}]}"#,
    )
    .await;
    c.move_definition("Repository/Other").await.unwrap();
    // Now it may not use a type of Hydro.
    let added = c
        .definitions
        .add_simple_attribute_definition(AddSimpleAttributeDefinitionRequest {
            session_id: Some(c.session.clone()),
            object_definition_id: path("Repository/Other/Plant"),
            attribute_type_id: path("Repository/Hydro/Note"),
            cardinality: 1,
            ..Default::default()
        })
        .await
        .map(|_| ());
    assert_refused(added, Code::InvalidArgument, &["Plant", "Note", "Hydro"]);
    c.commit().await;
    let text = c.export().await;
    let mut fresh = client().await;
    fresh.import(&text).await;
    assert_eq!(fresh.export().await, text);
}
