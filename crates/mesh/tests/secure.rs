//! TLS, access tokens, identities, and sessions that belong to their owner:
//! real TLS with certificates made here, tokens signed here with keys made here.

mod common;

use std::time::Duration;

use common::{guid, not_found_message};
use mesh::{Connection, Error};
use mesh_server::{RunningServer, ServerConfig};
use mesh_testkit::{claims, key_set, unsigned_token, CertificateAuthority, KeyKind, TokenKey};
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

const ISSUER: &str = "https://login.example.test";
const AUDIENCE: &str = "mesh-rs";

struct SecureServer {
    server: RunningServer,
    /// `localhost:PORT`: the name the certificate was issued for.
    address: String,
    root_pem: String,
    rsa_key: TokenKey,
    ec_key: TokenKey,
    _dir: tempfile::TempDir,
}

impl SecureServer {
    fn token(&self, subject: &str) -> String {
        self.rsa_key.sign(&claims(ISSUER, AUDIENCE, subject, 3600))
    }

    async fn connect_as(&self, subject: &str) -> Connection {
        Connection::with_external_access_token(
            &self.address,
            Some(self.root_pem.as_bytes()),
            &self.token(subject),
        )
        .await
        .expect("connects")
    }

    /// A plain generated-code channel over TLS, with no SDK in between.
    async fn raw_channel(&self) -> Channel {
        Channel::from_shared(format!("https://{}", self.address))
            .unwrap()
            .tls_config(
                ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&self.root_pem)),
            )
            .unwrap()
            .connect()
            .await
            .unwrap()
    }
}

/// TLS with a certificate of `kind`; tokens required when `auth` is set.
async fn secure_server(kind: KeyKind, auth: bool, session_timeout: Duration) -> SecureServer {
    let dir = tempfile::tempdir().unwrap();
    let ca = CertificateAuthority::new("mesh-rs test CA");
    let certificate = ca.server_certificate(&["localhost", "127.0.0.1"], kind);
    let cert_path = dir.path().join("server.crt");
    let key_path = dir.path().join("server.key");
    std::fs::write(&cert_path, &certificate.cert_pem).unwrap();
    std::fs::write(&key_path, &certificate.key_pem).unwrap();

    let rsa_key = TokenKey::new(KeyKind::Rsa, "rsa-1");
    let ec_key = TokenKey::new(KeyKind::Ec, "ec-1");
    let mut config = ServerConfig::for_tests(dir.path().join("data"));
    config.session_timeout = session_timeout;
    config.tls_cert = Some(cert_path);
    config.tls_key = Some(key_path);
    if auth {
        let jwks_path = dir.path().join("jwks.json");
        std::fs::write(&jwks_path, key_set(&[&rsa_key, &ec_key])).unwrap();
        config.auth_jwks = Some(jwks_path);
        config.auth_issuer = Some(ISSUER.to_string());
        config.auth_audience = Some(AUDIENCE.to_string());
        config.auth_clock_skew = Duration::ZERO;
    }
    let server = RunningServer::start(config).await.unwrap();
    let address = format!("localhost:{}", server.local_addr().port());
    SecureServer {
        server,
        address,
        root_pem: ca.root_pem(),
        rsa_key,
        ec_key,
        _dir: dir,
    }
}

#[tokio::test]
async fn tls_with_the_right_root_connects_for_ecdsa_and_rsa_certificates() {
    for kind in [KeyKind::Ec, KeyKind::Rsa] {
        let server = secure_server(kind, false, Duration::from_secs(300)).await;
        let connection = Connection::with_tls(&server.address, Some(server.root_pem.as_bytes()))
            .await
            .unwrap();
        assert_eq!(
            connection.get_version().await.unwrap().version,
            "2.21.0+100"
        );
        connection
            .with_session(|session| async move { session.commit().await })
            .await
            .unwrap();
        // Without authentication the caller is anonymous.
        assert_eq!(
            connection.get_user_identity().await.unwrap().identifier,
            "anonymous"
        );
        drop(server.server);
    }
}

#[tokio::test]
async fn tls_with_a_wrong_root_fails_clearly() {
    let server = secure_server(KeyKind::Ec, false, Duration::from_secs(300)).await;
    let stranger = CertificateAuthority::new("someone else");
    match Connection::with_tls(&server.address, Some(stranger.root_pem().as_bytes())).await {
        Err(Error::Connect { reason, .. }) => {
            assert!(reason.contains("certificate"), "{reason}");
        }
        Err(other) => panic!("expected a connect error, got {other}"),
        Ok(_) => panic!("trusted a certificate from an unknown CA"),
    }
    // Nor does a plain-text client get through.
    let plain = Connection::insecure(&server.address).await;
    let refused = match plain {
        Err(_) => true,
        Ok(connection) => connection.get_version().await.is_err(),
    };
    assert!(refused, "a plain-text client was served by a TLS server");
}

#[tokio::test]
async fn valid_tokens_identify_the_user() {
    let server = secure_server(KeyKind::Ec, true, Duration::from_secs(300)).await;
    let connection = server.connect_as("alice").await;
    let identity = connection.get_user_identity().await.unwrap();
    assert_eq!(identity.identifier, "alice");
    assert_eq!(identity.source, ISSUER);
    assert_eq!(identity.display_name, "alice (display)");

    // ES256 is accepted as well as RS256.
    let es256 = server.ec_key.sign(&claims(ISSUER, AUDIENCE, "bob", 3600));
    let connection = Connection::with_external_access_token(
        &server.address,
        Some(server.root_pem.as_bytes()),
        &es256,
    )
    .await
    .unwrap();
    assert_eq!(
        connection.get_user_identity().await.unwrap().identifier,
        "bob"
    );
}

#[tokio::test]
async fn bad_tokens_are_refused_each_with_its_reason() {
    let server = secure_server(KeyKind::Ec, true, Duration::from_secs(300)).await;
    let rsa = &server.rsa_key;
    let forger = TokenKey::new(KeyKind::Rsa, "rsa-1");
    let mut not_yet = claims(ISSUER, AUDIENCE, "alice", 3600);
    not_yet["nbf"] = mesh_testkit::serde_json::json!(mesh_testkit::now() + 600);
    let cases = [
        (
            "expired",
            rsa.sign(&claims(ISSUER, AUDIENCE, "alice", -60)),
            "expired",
        ),
        ("not yet valid", rsa.sign(&not_yet), "not valid yet"),
        (
            "wrong issuer",
            rsa.sign(&claims("https://evil.test", AUDIENCE, "alice", 3600)),
            "issuer",
        ),
        (
            "wrong audience",
            rsa.sign(&claims(ISSUER, "another-service", "alice", 3600)),
            "audience",
        ),
        (
            "wrong key",
            forger.sign(&claims(ISSUER, AUDIENCE, "alice", 3600)),
            "signature is not valid",
        ),
        (
            "alg none",
            unsigned_token(&claims(ISSUER, AUDIENCE, "alice", 3600)),
            "alg 'none'",
        ),
        (
            "garbage",
            "not-a-token-at-all".to_string(),
            "malformed access token",
        ),
    ];
    for (case, token, expected) in cases {
        let connection = Connection::with_external_access_token(
            &server.address,
            Some(server.root_pem.as_bytes()),
            &token,
        )
        .await
        .unwrap();
        match connection.open_session().await {
            Err(Error::Status(status)) => {
                assert_eq!(status.code(), tonic::Code::Unauthenticated, "{case}");
                assert!(
                    status.message().contains(expected),
                    "{case}: {}",
                    status.message()
                );
            }
            Err(other) => panic!("{case}: expected UNAUTHENTICATED, got {other}"),
            Ok(_) => panic!("{case}: the token was accepted"),
        }
    }

    // No token at all.
    let connection = Connection::with_tls(&server.address, Some(server.root_pem.as_bytes()))
        .await
        .unwrap();
    match connection.get_version().await {
        Err(Error::Status(status)) => {
            assert_eq!(status.code(), tonic::Code::Unauthenticated);
            assert!(
                status.message().contains("missing access token"),
                "{}",
                status.message()
            );
        }
        other => panic!("expected UNAUTHENTICATED, got {other:?}"),
    }
    assert_eq!(server.open_sessions_as("alice").await, 0);
}

#[tokio::test]
async fn health_check_needs_no_token() {
    let server = secure_server(KeyKind::Ec, true, Duration::from_secs(300)).await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.raw_channel().await);
    let answer = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

#[tokio::test]
async fn token_update_takes_effect_mid_session_including_background_extension() {
    let timeout = Duration::from_secs(1);
    let server = secure_server(KeyKind::Ec, true, timeout).await;
    // A token that expires in two seconds, replaced at once by a long one.
    let short = server.rsa_key.sign(&claims(ISSUER, AUDIENCE, "alice", 2));
    let connection = Connection::with_external_access_token(
        &server.address,
        Some(server.root_pem.as_bytes()),
        &short,
    )
    .await
    .unwrap();
    let session = connection.open_session().await.unwrap();
    connection
        .update_external_access_token(&server.token("alice"))
        .unwrap();

    // Past the short token's expiry and several session timeouts: only
    // extensions sent with the new token keep the session alive.
    tokio::time::sleep(Duration::from_secs(4)).await;
    session.commit().await.unwrap();

    // An expired token is refused from the next call on...
    let expired = server.rsa_key.sign(&claims(ISSUER, AUDIENCE, "alice", -60));
    connection.update_external_access_token(&expired).unwrap();
    match session.rollback().await {
        Err(Error::Status(status)) => assert_eq!(status.code(), tonic::Code::Unauthenticated),
        other => panic!("expected UNAUTHENTICATED, got {other:?}"),
    }
    // ...and a good one works again, on the same session.
    connection
        .update_external_access_token(&server.token("alice"))
        .unwrap();
    session.rollback().await.unwrap();
    session.close().await.unwrap();

    assert!(matches!(
        connection.update_external_access_token("line\nbreak"),
        Err(Error::InvalidToken(_))
    ));
}

#[tokio::test]
async fn a_session_is_invisible_to_another_user() {
    let server = secure_server(KeyKind::Ec, true, Duration::from_secs(300)).await;
    let alice = server.connect_as("alice").await;
    let session = alice.open_session().await.unwrap();
    let id = session.session_id().unwrap();

    // Bob, with a valid token of his own, cannot tell the session exists.
    let mut bob =
        mesh_proto::session::session_service_client::SessionServiceClient::with_interceptor(
            server.raw_channel().await,
            bearer(server.token("bob")),
        );
    let expected = not_found_message(id);
    for status in [
        bob.commit(guid(id)).await.unwrap_err(),
        bob.rollback(guid(id)).await.unwrap_err(),
        bob.extend_session(guid(id)).await.unwrap_err(),
        bob.end_session(guid(id)).await.unwrap_err(),
    ] {
        assert_eq!(status.code(), tonic::Code::NotFound);
        assert_eq!(status.message(), expected);
    }
    // Nor can he use it for data: every time series and model call on it
    // answers exactly as for a session that does not exist.
    let series = session
        .create_physical_timeseries(
            "/",
            "alice's",
            mesh::CurveType::Staircase,
            mesh::Resolution::Hour,
            "MW",
            None,
        )
        .await
        .unwrap();
    let key = series.timeseries_key;
    let unit_id = guid(series.unit_of_measurement.clone().unwrap().id);
    for status in bob_data_calls(&server, id, key, unit_id).await {
        assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
        assert_eq!(status.message(), expected);
    }
    assert_eq!(
        session.get_timeseries_resource_info(key).await.unwrap(),
        series
    );

    // Bob attaching through the SDK gets a session of his own.
    let bob_sdk = server.connect_as("bob").await;
    let attempt = bob_sdk.connect_to_session(id);
    assert!(matches!(attempt.open().await.unwrap(), mesh::Opened::Created(other) if other != id));

    // Alice's session is untouched.
    session.commit().await.unwrap();
    session.close().await.unwrap();
}

/// Bob's attempts at every data call in session `id`, each otherwise valid
/// (the series `key` and the unit exist in that session); the refusals.
async fn bob_data_calls(
    server: &SecureServer,
    id: mesh::Uuid,
    key: i64,
    unit_id: mesh_proto::types::Guid,
) -> Vec<tonic::Status> {
    use mesh_proto::model_definition::model_definition_service_client::ModelDefinitionServiceClient;
    use mesh_proto::model_definition::ListUnitsOfMeasurementRequest;
    use mesh_proto::time_series::timeseries_service_client::TimeseriesServiceClient;
    use mesh_proto::time_series::{
        CreatePhysicalTimeseriesRequest, GetTimeseriesResourceRequest, ReadTimeseriesRequest,
        ReadTimeseriesStreamRequest, Timeseries, UpdateTimeseriesResourceRequest,
        WriteTimeseriesRequest,
    };
    use mesh_proto::types::{Curve, Resolution};
    use mesh_proto::types::{MeshId, UtcInterval};

    let mut series = TimeseriesServiceClient::with_interceptor(
        server.raw_channel().await,
        bearer(server.token("bob")),
    );
    let mut model = ModelDefinitionServiceClient::with_interceptor(
        server.raw_channel().await,
        bearer(server.token("bob")),
    );
    let session_id = Some(guid(id));
    let series_id = Some(MeshId::by_timeseries_key(key));
    let interval = Some(UtcInterval::from_millis(
        1_704_067_200_000,
        1_704_070_800_000,
    ));
    let stream = series
        .read_timeseries_stream(ReadTimeseriesStreamRequest {
            session_id: session_id.clone(),
            timeseries_ids: series_id.clone().into_iter().collect(),
            interval,
        })
        .await;
    let stream_status = match stream {
        Err(status) => status,
        Ok(answers) => answers
            .into_inner()
            .message()
            .await
            .expect_err("no answer for another user's session"),
    };
    vec![
        series
            .create_physical_timeseries(CreatePhysicalTimeseriesRequest {
                session_id: session_id.clone(),
                path: "/".into(),
                name: "bob's".into(),
                curve_type: Some(Curve { r#type: 3 }),
                resolution: Some(Resolution { r#type: 3 }),
                unit_of_measurement_id: Some(unit_id.clone()),
                time_zone: None,
            })
            .await
            .unwrap_err(),
        series
            .write_timeseries(WriteTimeseriesRequest {
                session_id: session_id.clone(),
                timeseries: Some(Timeseries {
                    id: series_id.clone(),
                    resolution: None,
                    interval,
                    data: mesh_timeseries::arrow_ipc::encode(&[]),
                }),
            })
            .await
            .unwrap_err(),
        series
            .read_timeseries(ReadTimeseriesRequest {
                session_id: session_id.clone(),
                timeseries_id: series_id.clone(),
                interval,
            })
            .await
            .unwrap_err(),
        stream_status,
        series
            .get_timeseries_resource(GetTimeseriesResourceRequest {
                session_id: session_id.clone(),
                timeseries_resource_key: key,
            })
            .await
            .unwrap_err(),
        series
            .update_timeseries_resource(UpdateTimeseriesResourceRequest {
                session_id: session_id.clone(),
                timeseries_resource_key: key,
                field_mask: Some(prost_types::FieldMask {
                    paths: vec!["new_curve_type".into()],
                }),
                new_curve_type: Some(Curve { r#type: 2 }),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        model
            .list_units_of_measurement(ListUnitsOfMeasurementRequest { session_id })
            .await
            .unwrap_err(),
    ]
}

fn bearer(token: String) -> impl tonic::service::Interceptor {
    let header: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
    move |mut request: tonic::Request<()>| {
        request
            .metadata_mut()
            .insert("authorization", header.clone());
        Ok(request)
    }
}

impl SecureServer {
    /// Sessions the server holds, asked with a token of `subject`.
    async fn open_sessions_as(&self, subject: &str) -> u64 {
        let mut config = mesh_proto::config::configuration_service_client::ConfigurationServiceClient::with_interceptor(
            self.raw_channel().await,
            bearer(self.token(subject)),
        );
        let health = config.get_health_status(()).await.unwrap().into_inner();
        common::open_sessions_in(&health)
    }
}
