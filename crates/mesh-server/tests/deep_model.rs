//! Hostile shapes of the model over gRPC, on the real binary: ownership
//! deeper than the model allows is refused wherever a change would make it
//! (CreateObject, UpdateObject moving an owner, CloneObject, model file
//! import); a chain at the limit exports, imports into a fresh server and
//! exports to the same text, and searches and deletes fine; answers past
//! `--max-message-size` are refused with RESOURCE_EXHAUSTED and guidance
//! (a model file export, and any other answer) instead of being sent.

use std::path::Path;
use std::time::Duration;

use mesh_proto::model::model_service_client::ModelServiceClient;
use mesh_proto::model::{
    attribute_value::ValueOneof, AttributeValue, CloneObjectRequest, CreateObjectRequest,
    DeleteObjectRequest, GetObjectRequest, SearchObjectsRequest, UpdateObjectRequest,
    UpdateSimpleAttributeRequest,
};
use mesh_proto::model_file::model_file_service_client::ModelFileServiceClient;
use mesh_proto::model_file::{ExportModelFileRequest, ImportModelFileRequest};
use mesh_proto::types::{Guid, MeshId};
use mesh_testkit::process::ServerProcess;
use mesh_testkit::raw::Clients;
use tonic::transport::Channel;
use tonic::{Code, Status};

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// The server's limit on ownership levels (mesh_model::MAX_OWNERSHIP_DEPTH).
const LIMIT: usize = mesh_model::MAX_OWNERSHIP_DEPTH;

/// `Node`s owning `Node`s (`Kids`, any number), string collections `Note`
/// and `Memo`, and the model `M`.
const DEFINITIONS: &str = r#"{"mesh_model_file": 1,
  "model_definitions": [{"name": "D",
    "attribute_types": [{"name": "Kids", "kind": "ownership", "target": "Node"},
                        {"name": "Note", "kind": "string"},
                        {"name": "Memo", "kind": "string"}],
    "object_definitions": [{"name": "Node", "attributes": [
      {"type": "Kids", "minimum_cardinality": 0, "maximum_cardinality": 0},
      {"type": "Note", "minimum_cardinality": 0, "maximum_cardinality": 0},
      {"type": "Memo", "minimum_cardinality": 0, "maximum_cardinality": 0}]}]}],
  "models": [{"name": "M", "definition": "D"}]}"#;

fn start(data: &Path, args: &[&str]) -> ServerProcess {
    ServerProcess::builder(BINARY)
        .local(data)
        .args(args)
        .startup_timeout(STARTUP_TIMEOUT)
        .start()
}

struct Client {
    clients: Clients,
    objects: ModelServiceClient<Channel>,
    files: ModelFileServiceClient<Channel>,
    session: Guid,
}

async fn connect(server: &ServerProcess) -> Client {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", server.address()))
        .unwrap()
        .timeout(CALL_TIMEOUT)
        .connect()
        .await
        .expect("connecting to mesh-server");
    let clients = Clients::on(channel.clone());
    let session = clients.start_session().await.unwrap();
    Client {
        clients,
        // The client takes whatever the server sends: the server's limit
        // is what is tested.
        objects: ModelServiceClient::new(channel.clone()).max_decoding_message_size(usize::MAX),
        files: ModelFileServiceClient::new(channel)
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX),
        session,
    }
}

fn by_path(path: &str) -> Option<MeshId> {
    Some(MeshId {
        id: None,
        path: Some(path.to_string()),
        timeseries_key: None,
    })
}

impl Client {
    async fn import(&mut self, content: &str) -> Result<(), Status> {
        self.files
            .import_model_file(ImportModelFileRequest {
                session_id: Some(self.session.clone()),
                file_name: "model.json".into(),
                content: content.to_string(),
            })
            .await
            .map(|_| ())
    }

    async fn export(&mut self) -> Result<String, Status> {
        self.files
            .export_model_file(ExportModelFileRequest {
                session_id: Some(self.session.clone()),
                models: vec![],
            })
            .await
            .map(|answer| answer.into_inner().content)
    }

    /// An object `name` the model `M` owns directly.
    async fn top(&mut self, name: &str) -> Result<(), Status> {
        self.objects
            .create_object(CreateObjectRequest {
                session_id: Some(self.session.clone()),
                name: name.into(),
                owner_id: by_path("Model/M"),
                object_definition_id: by_path("Repository/D/Node"),
            })
            .await
            .map(|_| ())
    }

    async fn create(&mut self, owner: &str, name: &str) -> Result<(), Status> {
        self.objects
            .create_object(CreateObjectRequest {
                session_id: Some(self.session.clone()),
                name: name.into(),
                owner_id: by_path(owner),
                object_definition_id: None,
            })
            .await
            .map(|_| ())
    }

    /// A chain `prefix1` … `prefix<levels>` under `owner` (an ownership
    /// attribute's path); the leaf's path.
    async fn chain(&mut self, owner: &str, prefix: &str, levels: usize) -> String {
        let mut owner = owner.to_string();
        let mut leaf = String::new();
        for level in 1..=levels {
            let name = format!("{prefix}{level}");
            self.create(&format!("{owner}.Kids"), &name).await.unwrap();
            leaf = format!("{owner}/{name}");
            owner = leaf.clone();
        }
        leaf
    }

    async fn search(&mut self, start: &str, query: &str) -> Result<usize, Status> {
        let mut answers = self
            .objects
            .search_objects(SearchObjectsRequest {
                session_id: Some(self.session.clone()),
                start_object_id: by_path(start),
                query: query.into(),
                ..Default::default()
            })
            .await?
            .into_inner();
        let mut found = 0;
        while answers.message().await?.is_some() {
            found += 1;
        }
        Ok(found)
    }
}

fn assert_refused_for_depth(result: Result<(), Status>, name: &str) {
    let status = result.expect_err("past the depth limit");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status
            .message()
            .contains(&format!("at most {LIMIT} levels")),
        "{status:?}"
    );
    assert!(status.message().contains(name), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ownership_deeper_than_the_limit_is_refused_and_a_chain_at_it_round_trips() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), &[]);
    let mut client = connect(&server).await;
    client.import(DEFINITIONS).await.unwrap();
    // The first level is `n0`, owned by the model itself; n1 … n31 below.
    client.top("n0").await.unwrap();
    let top = "Model/M/n0".to_string();
    let leaf = client.chain(&top, "n", LIMIT - 1).await;
    assert_refused_for_depth(
        client.create(&format!("{leaf}.Kids"), "tooDeep").await,
        "tooDeep",
    );
    client.clients.commit(&client.session).await.unwrap();

    // A second chain of 13 under the model: moving it under level 20, or
    // cloning it there, would reach level 33.
    client.top("b1").await.unwrap();
    client.chain("Model/M/b1", "b", 12).await;
    let level20 = (1..20).fold(top.clone(), |path, level| format!("{path}/n{level}"));
    let moved = client
        .objects
        .update_object(UpdateObjectRequest {
            session_id: Some(client.session.clone()),
            object_id: by_path("Model/M/b1"),
            field_mask: Some(prost_types::FieldMask {
                paths: vec!["new_owner_id".into()],
            }),
            new_name: String::new(),
            new_owner_id: by_path(&format!("{level20}.Kids")),
        })
        .await
        .map(|_| ());
    assert_refused_for_depth(moved, "b1");
    let cloned = client
        .objects
        .clone_object(CloneObjectRequest {
            session_id: Some(client.session.clone()),
            source_object_id: by_path("Model/M/b1"),
            new_owner_id: by_path(&format!("{level20}.Kids")),
            new_object_name: "copy".into(),
            timeseries_copy_mode: 0,
        })
        .await
        .map(|_| ());
    assert_refused_for_depth(cloned, "copy");
    client
        .objects
        .delete_object(DeleteObjectRequest {
            session_id: Some(client.session.clone()),
            object_id: by_path("Model/M/b1"),
            recursive_delete: true,
        })
        .await
        .unwrap();
    client.clients.commit(&client.session).await.unwrap();

    // Search goes down and up the whole chain.
    assert_eq!(client.search("Model/M", "{*}").await.unwrap(), 1 + LIMIT);
    assert_eq!(client.search(&leaf, "..{*}").await.unwrap(), 1 + LIMIT);

    // At the limit: exports, imports into a fresh server, exports the same.
    let text = client.export().await.unwrap();
    let other_data = tempfile::tempdir().unwrap();
    let other = start(other_data.path(), &[]);
    let mut fresh = connect(&other).await;
    fresh.import(&text).await.unwrap();
    fresh.clients.commit(&fresh.session).await.unwrap();
    assert_eq!(fresh.export().await.unwrap(), text);

    // A file one level deeper is refused by the import, naming the limit.
    let leaf_name = format!("\"name\": \"n{}\"", LIMIT - 1);
    let deeper = text.replace(
        &leaf_name,
        &format!("{leaf_name}, \"owns\": {{\"Kids\": [{{\"name\": \"tooDeep\"}}]}}"),
    );
    let empty_data = tempfile::tempdir().unwrap();
    let empty_server = start(empty_data.path(), &[]);
    let mut empty = connect(&empty_server).await;
    assert_refused_for_depth(empty.import(&deeper).await, "tooDeep");

    // Deleting the chain works from its top.
    client
        .objects
        .delete_object(DeleteObjectRequest {
            session_id: Some(client.session.clone()),
            object_id: by_path(&top),
            recursive_delete: true,
        })
        .await
        .unwrap();
    client.clients.commit(&client.session).await.unwrap();
    assert_eq!(client.search("Model/M", "{*}").await.unwrap(), 1);
}

const MESSAGE_LIMIT: usize = 64 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_past_the_message_limit_are_refused_with_guidance() {
    let data = tempfile::tempdir().unwrap();
    let limit = MESSAGE_LIMIT.to_string();
    let server = start(data.path(), &["--max-message-size", &limit]);
    let mut client = connect(&server).await;
    client.import(DEFINITIONS).await.unwrap();

    // One object with two attributes of 40 KB each, set one per request:
    // every request fits, the object's answer does not.
    client.top("big").await.unwrap();
    for attribute in ["Note", "Memo"] {
        client
            .objects
            .update_simple_attribute(UpdateSimpleAttributeRequest {
                session_id: Some(client.session.clone()),
                attribute_id: by_path(&format!("Model/M/big.{attribute}")),
                new_singular_value: None,
                new_collection_values: vec![AttributeValue {
                    value_oneof: Some(ValueOneof::StringValue("x".repeat(40_000))),
                }],
            })
            .await
            .unwrap();
    }
    let status = client
        .objects
        .get_object(GetObjectRequest {
            session_id: Some(client.session.clone()),
            object_id: by_path("Model/M/big"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status.message().contains("the answer is")
            && status.message().contains(&format!(
                "limit of {MESSAGE_LIMIT} bytes per message (--max-message-size)"
            )),
        "{status:?}"
    );

    // The model file of it: refused while it is written, saying what to do.
    let status = client.export().await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status
            .message()
            .contains(&format!("limit of {MESSAGE_LIMIT} bytes")),
        "{status:?}"
    );
    assert!(
        status.message().contains("export fewer models"),
        "{status:?}"
    );

    // The server goes on answering on the same connection, and a smaller
    // model exports.
    client
        .objects
        .delete_object(DeleteObjectRequest {
            session_id: Some(client.session.clone()),
            object_id: by_path("Model/M/big"),
            recursive_delete: true,
        })
        .await
        .unwrap();
    assert!(client.export().await.unwrap().contains("\"Memo\""));
}

/// A data directory whose store holds `DEFINITIONS` and a chain of `levels`
/// objects under `M`, written as a server before the depth limit could
/// have: records made by the model crate, the chain's encoded by hand.
fn deep_store(dir: &Path, levels: usize) {
    use mesh_model::records::{self, record_key, RecordKind, RECORD_FORMAT};
    use mesh_model::{attribute_id, AttributeSlot, Mode, Model, Object, Owner};
    use mesh_storage::{ChangeSet, RedbStore, Store};

    let mut model = Model::new();
    let mut dirty = records::Dirty::default();
    let mut n = 0u128;
    let mut ids = || {
        n += 1;
        uuid::Uuid::from_u128(0xdeed_0000_0000_0000_0000_0000_0000_0000 | n)
    };
    let imported = mesh_model::file::import(&model, "d.json", DEFINITIONS, &mut ids).unwrap();
    for change in &imported.changes {
        model.apply(change, Mode::Request, &mut dirty).unwrap();
    }
    let node = model.all_object_definitions().next().unwrap();
    let mut changes = ChangeSet::new();
    changes.records = dirty.records(&model).unwrap().into_iter().collect();
    let mut owner = Owner {
        object: model.model_named("M").unwrap().id,
        attribute: None,
    };
    let kids = node.attributes[0];
    for level in 1..=levels {
        let id = uuid::Uuid::from_u128(0x5000_0000 + level as u128);
        let object = Object {
            id,
            name: format!("n{level}"),
            definition: node.id,
            owner: Some(owner),
            attributes: node
                .attributes
                .iter()
                .map(|definition| AttributeSlot {
                    id: attribute_id(id, *definition),
                    definition: *definition,
                    values: vec![],
                    held: None,
                })
                .collect(),
        };
        let value = postcard::to_extend(&object, vec![RECORD_FORMAT]).unwrap();
        changes
            .records
            .insert(record_key(RecordKind::Object, id), Some(value));
        owner = Owner {
            object: id,
            attribute: Some(kids),
        };
    }
    RedbStore::open(dir).unwrap().commit(&changes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_deeper_than_the_limit_is_served_and_its_export_refused_clearly() {
    const LEVELS: usize = 2000;
    let data = tempfile::tempdir().unwrap();
    deep_store(data.path(), LEVELS);
    let server = start(data.path(), &[]);
    let mut client = connect(&server).await;

    // The export names the first object past the limit, and the server
    // lives on.
    let status = client.export().await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(
        status.message().contains("n33") && status.message().contains("level 33"),
        "{status:?}"
    );

    // Read, searched down and up, by path at the bottom.
    let leaf = (1..=LEVELS).fold("Model/M".to_string(), |path, level| {
        format!("{path}/n{level}")
    });
    let object = client
        .objects
        .get_object(GetObjectRequest {
            session_id: Some(client.session.clone()),
            object_id: by_path(&leaf),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(object.name, format!("n{LEVELS}"));
    assert_eq!(client.search("Model/M", "{*}").await.unwrap(), 1 + LEVELS);
    assert_eq!(client.search(&leaf, "..{*}").await.unwrap(), 1 + LEVELS);

    // Growing it further is refused; deleting what is too deep works, and
    // then the model exports.
    assert_refused_for_depth(client.create(&format!("{leaf}.Kids"), "more").await, "more");
    let level33 = (1..=33).fold("Model/M".to_string(), |path, level| {
        format!("{path}/n{level}")
    });
    client
        .objects
        .delete_object(DeleteObjectRequest {
            session_id: Some(client.session.clone()),
            object_id: by_path(&level33),
            recursive_delete: true,
        })
        .await
        .unwrap();
    client.clients.commit(&client.session).await.unwrap();
    assert_eq!(client.search("Model/M", "{*}").await.unwrap(), 1 + LIMIT);
    client.export().await.unwrap();
}
