//! Precise statuses for what the client got wrong, on every service the
//! server answers (health and reflection included): a call whose deadline
//! (`grpc-timeout`) runs out answers DEADLINE_EXCEEDED, not CANCELLED, also
//! when the answer is a stream.

mod support;

use support::{guarded, Kind, TestServer};
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
];

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
