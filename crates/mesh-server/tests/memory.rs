//! What large answers and large sessions cost the server's memory, on the
//! real binary: a search answer of tens of megabytes is streamed (a reader
//! that stalls after one message holds a few megabytes, not the answer),
//! and the pending changes of a large session that expires go back to the
//! system.
//!
//! Memory is the server process's resident set (VmRSS), compared with
//! bounds far from both the fixed and the broken behaviour: the answer
//! here is about 60 MB, a stalled stream may hold 20 MB more than before
//! it started.

use std::time::Duration;

use mesh_proto::model::{
    CreateModelRequest, CreateObjectRequest, GetObjectRequest, SearchObjectsRequest,
    UpdateObjectRequest,
};
use mesh_proto::model_definition::{
    attribute_definition_default_value::ValueOneof as Default_,
    AddSimpleAttributeDefinitionRequest, AttributeDefinitionDefaultValue, AttributeValueType,
    CreateNamespaceRequest, CreateObjectDefinitionRequest, CreateSimpleAttributeTypeRequest,
};
use mesh_proto::types::{Guid, MeshId};
use mesh_testkit::process::ServerProcess;
use mesh_testkit::raw::Clients;
use prost::Message;

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const MB: u64 = 1024 * 1024;

/// String attributes per object, each with a default of [`VALUE_BYTES`].
const ATTRIBUTES: usize = 40;
const VALUE_BYTES: usize = 1_000;
/// Objects in the model: the whole answer is OBJECTS × ATTRIBUTES ×
/// VALUE_BYTES, about 60 MB.
const OBJECTS: usize = 1_500;

fn by_id(id: &Option<Guid>) -> Option<MeshId> {
    Some(MeshId {
        id: id.clone(),
        path: None,
        timeseries_key: None,
    })
}

fn by_path(path: &str) -> Option<MeshId> {
    Some(MeshId {
        id: None,
        path: Some(path.to_string()),
        timeseries_key: None,
    })
}

/// A model `Big` of [`OBJECTS`] plants `P0`.. directly under it, each with
/// [`ATTRIBUTES`] string attributes holding their long default; committed.
async fn build_big_model(clients: &mut Clients) {
    let session = clients.start_session().await.unwrap();
    let s = || Some(session.clone());
    let definition = clients
        .models
        .create_namespace(CreateNamespaceRequest {
            session_id: s(),
            name_space_id: None,
            name: "Heavy".into(),
            description: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    let plant = clients
        .models
        .create_object_definition(CreateObjectDefinitionRequest {
            session_id: s(),
            name_space_id: by_id(&definition),
            name: "Plant".into(),
            description: String::new(),
            tag_ids: vec![],
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    let long_text = "x".repeat(VALUE_BYTES);
    for index in 0..ATTRIBUTES {
        let note = clients
            .models
            .create_simple_attribute_type(CreateSimpleAttributeTypeRequest {
                session_id: s(),
                name_space_id: by_id(&definition),
                name: format!("Note{index}"),
                value_type: AttributeValueType::String as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .id;
        clients
            .models
            .add_simple_attribute_definition(AddSimpleAttributeDefinitionRequest {
                session_id: s(),
                attribute_type_id: by_id(&note),
                object_definition_id: by_id(&plant),
                cardinality: 1,
                default_value: Some(AttributeDefinitionDefaultValue {
                    value_oneof: Some(Default_::StringValue(long_text.clone())),
                }),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let model = clients
        .objects
        .create_model(CreateModelRequest {
            session_id: s(),
            name: "Big".into(),
            model_definition_id: by_id(&definition),
        })
        .await
        .unwrap()
        .into_inner();
    for index in 0..OBJECTS {
        clients
            .objects
            .create_object(CreateObjectRequest {
                session_id: s(),
                name: format!("P{index}"),
                owner_id: by_id(&model.id),
                object_definition_id: by_id(&plant),
            })
            .await
            .unwrap();
    }
    clients.commit(&session).await.unwrap();
    clients.end_session(&session).await.unwrap();
}

fn search_all(session: &Guid) -> SearchObjectsRequest {
    SearchObjectsRequest {
        session_id: Some(session.clone()),
        start_object_id: by_path("Model/Big"),
        query: "{*}".into(),
        ..Default::default()
    }
}

/// The server binary on `data` with `args`, and clients connected to it.
async fn start(data: &std::path::Path, args: &[&str]) -> (ServerProcess, Clients) {
    let server = ServerProcess::builder(BINARY)
        .local(data)
        .args(args)
        .startup_timeout(STARTUP_TIMEOUT)
        .start();
    let clients = Clients::connect(server.address(), CALL_TIMEOUT)
        .await
        .unwrap();
    (server, clients)
}

fn rss(server: &ServerProcess) -> u64 {
    server.rss_bytes().expect("the server's VmRSS")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_answer_is_streamed_and_a_stalled_reader_holds_little() {
    let data = tempfile::tempdir().unwrap();
    let (server, mut clients) = start(data.path(), &[]).await;
    build_big_model(&mut clients).await;
    let session = clients.start_session().await.unwrap();

    // The whole answer, read at once: every object, with its long values.
    let mut answer = clients
        .objects
        .search_objects(search_all(&session))
        .await
        .unwrap()
        .into_inner();
    let (mut count, mut bytes) = (0, 0);
    while let Some(object) = answer.message().await.unwrap() {
        count += 1;
        bytes += object.encoded_len();
    }
    // `{*}` finds the model too.
    assert_eq!(count, OBJECTS + 1);
    let answer_mb = bytes as u64 / MB;
    assert!(answer_mb >= 50, "the answer is {answer_mb} MB");

    // Four readers take one message each and stall, each on a connection
    // of its own (so that HTTP/2 flow control stops the server's writes).
    let before = rss(&server);
    let mut stalled = Vec::new();
    for _ in 0..4 {
        let mut reader = Clients::connect(server.address(), CALL_TIMEOUT)
            .await
            .unwrap();
        let mut answer = reader
            .objects
            .search_objects(search_all(&session))
            .await
            .unwrap()
            .into_inner();
        assert!(answer.message().await.unwrap().is_some());
        stalled.push((reader, answer));
    }
    let during = rss(&server);
    let held = during.saturating_sub(before) / MB;
    assert!(
        held < 4 * 20,
        "four stalled readers of a {answer_mb} MB answer made the server hold {held} MB more \
         ({} MB → {} MB)",
        before / MB,
        during / MB
    );
    drop(stalled);

    // The server goes on answering, and a reader that reads on gets all.
    let mut answer = clients
        .objects
        .search_objects(search_all(&session))
        .await
        .unwrap()
        .into_inner();
    let mut count = 0;
    while answer.message().await.unwrap().is_some() {
        count += 1;
    }
    assert_eq!(count, OBJECTS + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_of_a_large_expired_session_goes_back_to_the_system() {
    let data = tempfile::tempdir().unwrap();
    let (server, mut clients) = start(data.path(), &["--session-timeout", "500ms"]).await;
    build_big_model(&mut clients).await;
    let before = rss(&server);

    // A session renames every object (each answer carries the object's
    // long values), then is abandoned: it expires with its changes.
    let session = clients.start_session().await.unwrap();
    for index in 0..OBJECTS {
        clients
            .objects
            .update_object(UpdateObjectRequest {
                session_id: Some(session.clone()),
                object_id: by_path(&format!("Model/Big/P{index}")),
                field_mask: Some(prost_types::FieldMask {
                    paths: vec!["new_name".into()],
                }),
                new_name: format!("Renamed{index}"),
                new_owner_id: None,
            })
            .await
            .unwrap();
    }
    let loaded = rss(&server);
    eprintln!(
        "VmRSS: {} MB before, {} MB with the renames pending",
        before / MB,
        loaded / MB
    );

    // Expired once a call on it is refused. Each call restarts its idle
    // time, so the calls are a second apart, twice the timeout.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let answer = clients
            .objects
            .get_object(GetObjectRequest {
                session_id: Some(session.clone()),
                object_id: by_path("Model/Big"),
                ..Default::default()
            })
            .await;
        if answer.is_err() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the session never expired"
        );
    }
    let bound = before + 10 * MB;
    let now = server
        .rss_settled_at_most(bound, Duration::from_secs(30))
        .await
        .expect("the server's VmRSS");
    assert!(
        now <= bound,
        "after the session expired the server still holds {} MB ({} MB before it, {} MB with \
         its changes)",
        now / MB,
        before / MB,
        loaded / MB
    );
}

/// Writes about 40 MB of incompressible points into one committed series.
async fn fill_store(clients: &Clients) {
    let session = clients.start_session().await.unwrap();
    let unit = clients.any_unit(&session).await.unwrap();
    let key = clients
        .create_breakpoint_series(&session, &unit, "/Heavy/", "Noise")
        .await
        .unwrap();
    let mut random = mesh_testkit::rng::SplitMix64::new(7);
    const PER_WRITE: i64 = 200_000;
    for write in 0..20 {
        let start = write * PER_WRITE * 1_000;
        let points: Vec<mesh_timeseries::Point> = (0..PER_WRITE)
            .map(|i| {
                let value = f64::from_bits(random.next_u64() >> 2);
                mesh_timeseries::Point::new(start + i * 1_000, 0, value)
            })
            .collect();
        clients
            .write(&session, key, (start, start + PER_WRITE * 1_000), &points)
            .await
            .unwrap();
        clients.commit(&session).await.unwrap();
    }
    clients.end_session(&session).await.unwrap();
}

/// A server on `data` with a store cache larger than its file, once it
/// answers; its VmRSS then.
async fn started_rss(data: &std::path::Path) -> (ServerProcess, u64) {
    let (server, clients) = start(data, &["--store-cache-mb", "256"]).await;
    let session = clients.start_session().await.unwrap();
    clients.end_session(&session).await.unwrap();
    let rss = rss(&server);
    (server, rss)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_started_after_a_crash_holds_no_more_than_after_a_clean_stop() {
    let data = tempfile::tempdir().unwrap();
    let (server, _) = started_rss(data.path()).await;
    let clients = Clients::connect(server.address(), CALL_TIMEOUT)
        .await
        .unwrap();
    fill_store(&clients).await;
    let file = std::fs::metadata(data.path().join("timeseries.redb"))
        .unwrap()
        .len();
    assert!(file >= 30 * MB, "the store holds {} MB", file / MB);

    // A clean stop and start: the store's cache starts empty.
    let mut server = server;
    server.signal("-TERM");
    server.wait_for_exit(Duration::from_secs(30)).await;
    let (server, clean) = started_rss(data.path()).await;

    // A crash (the store was opened for writing): the start recovers the
    // file, which reads all of it.
    server.kill().unwrap();
    let (_server, recovered) = started_rss(data.path()).await;
    eprintln!(
        "store file {} MB; VmRSS after a clean stop {} MB, after a crash {} MB",
        file / MB,
        clean / MB,
        recovered / MB
    );
    assert!(
        recovered <= clean + 10 * MB,
        "after a crash the server holds {} MB, after a clean stop {} MB (store file {} MB)",
        recovered / MB,
        clean / MB,
        file / MB
    );
}
