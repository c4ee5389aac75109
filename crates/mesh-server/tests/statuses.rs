//! Precise statuses for what the client got wrong, on every service the
//! server answers (health and reflection included):
//!
//! - a request that is not valid Protobuf answers INVALID_ARGUMENT with
//!   prost's description of the problem, not INTERNAL;
//! - a call whose deadline (`grpc-timeout`) runs out answers
//!   DEADLINE_EXCEEDED, not CANCELLED, also when the answer is a stream.

mod support;

use support::{call_raw, guarded, Kind, TestServer, UNDECODABLE};
use tonic::Code;

/// At least one method of every service, with each way messages can flow.
const METHODS: &[(&str, Kind)] = &[
    ("/grpc.health.v1.Health/Check", Kind::Unary),
    ("/grpc.health.v1.Health/Watch", Kind::ServerStreaming),
    (
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        Kind::Streaming,
    ),
    (
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        Kind::Streaming,
    ),
    (
        "/volue.mesh.grpc.session.v1alpha.SessionService/StartSession",
        Kind::Unary,
    ),
    (
        "/volue.mesh.grpc.session.v1alpha.SessionService/Commit",
        Kind::Unary,
    ),
    (
        "/volue.mesh.grpc.config.v1alpha.ConfigurationService/GetVersion",
        Kind::Unary,
    ),
    (
        "/volue.mesh.grpc.auth.v1alpha.AuthenticationService/GetUserIdentity",
        Kind::Unary,
    ),
    (
        "/volue.mesh.grpc.time_series.v1alpha.TimeseriesService/ReadTimeseries",
        Kind::Unary,
    ),
    (
        "/volue.mesh.grpc.time_series.v1alpha.TimeseriesService/ReadTimeseriesStream",
        Kind::ServerStreaming,
    ),
    (
        "/volue.mesh.grpc.model_definition.v1alpha.ModelDefinitionService/ListUnitsOfMeasurement",
        Kind::Unary,
    ),
    ("/mesh_rs.history.v1.HistoryService/ListWrites", Kind::Unary),
];

#[tokio::test]
async fn undecodable_requests_answer_invalid_argument_on_every_service() {
    let server = TestServer::start(|_| {}).await;
    let channel = server.channel().await;
    for &(method, kind) in METHODS {
        let answer = guarded(
            method,
            call_raw(&channel, method, kind, UNDECODABLE.to_vec(), 1),
        )
        .await;
        let status = answer.expect_err(method);
        assert_eq!(status.code(), Code::InvalidArgument, "{method}: {status:?}");
        assert!(
            status
                .message()
                .starts_with("failed to decode Protobuf message: "),
            "{method}: {status:?}"
        );
    }
    // And the server still answers well-formed calls on the same connection.
    let version = call_raw(
        &channel,
        "/volue.mesh.grpc.config.v1alpha.ConfigurationService/GetVersion",
        Kind::Unary,
        Vec::new(),
        1,
    )
    .await;
    assert!(version.is_ok(), "{version:?}");
}

#[tokio::test]
async fn a_reflection_stream_with_an_undecodable_request_after_good_ones_answers_invalid_argument()
{
    use prost::Message;
    use tonic_reflection::pb::v1::{
        server_reflection_request::MessageRequest, ServerReflectionRequest,
    };
    let server = TestServer::start(|_| {}).await;
    let channel = server.channel().await;
    let good = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    }
    .encode_to_vec();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let requests = tokio_stream::iter(vec![good.clone(), good, UNDECODABLE.to_vec()]);
    let mut answers = grpc
        .streaming(
            tonic::Request::new(requests),
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
                .parse()
                .unwrap(),
            support::RawCodec,
        )
        .await
        .unwrap()
        .into_inner();
    // The good requests are answered; the bad one ends the stream with its reason.
    let status = guarded("the reflection stream", async {
        loop {
            match answers.message().await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("the stream ended without an error"),
                Err(status) => break status,
            }
        }
    })
    .await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status
            .message()
            .starts_with("failed to decode Protobuf message: "),
        "{status:?}"
    );
}

#[tokio::test]
async fn a_call_whose_deadline_runs_out_answers_deadline_exceeded_on_every_service() {
    let server = TestServer::start(|_| {}).await;
    // A raw HTTP/2 client: tonic's client enforces the deadline itself and
    // would answer CANCELLED before the server gets to answer.
    let mut client = server.h2().await;
    for &(method, _) in METHODS {
        // The request body is never finished, so only the deadline can end
        // the call; for the streaming methods it runs out while the answer
        // is open.
        let (answer, _unfinished) = client.start_call(method, Some("50m")).await;
        let (code, message) = guarded(method, support::grpc_status(answer)).await;
        assert_eq!(code, Code::DeadlineExceeded, "{method}: {message}");
        assert!(message.contains("grpc-timeout 50m"), "{method}: {message}");
    }
}
