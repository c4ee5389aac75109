//! Access tokens the server must refuse with UNAUTHENTICATED and a reason,
//! over a real socket: tokens marking extensions critical (RFC 7515
//! §4.1.11), and tokens far larger than usual.

use mesh_proto::config::configuration_service_client::ConfigurationServiceClient;
use mesh_server::config::ServerConfig;
use mesh_server::server::RunningServer;
use mesh_testkit::{claims, key_set, KeyKind, TokenKey};
use tonic::metadata::MetadataValue;

const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "mesh";

/// A server accepting tokens signed by `key`, over plain TCP.
async fn server(dir: &tempfile::TempDir, key: &TokenKey) -> RunningServer {
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, key_set(&[key])).unwrap();
    let mut config = ServerConfig::for_tests(dir.path().join("data"));
    config.auth_jwks = Some(jwks);
    config.auth_issuer = Some(ISSUER.to_string());
    config.auth_audience = Some(AUDIENCE.to_string());
    config.allow_insecure_auth = true;
    RunningServer::start(config).await.unwrap()
}

/// GetVersion with `authorization: Bearer <token>`.
async fn version_with(server: &RunningServer, token: &str) -> Result<String, tonic::Status> {
    let mut client = ConfigurationServiceClient::connect(server.url())
        .await
        .unwrap();
    let mut request = tonic::Request::new(());
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {token}")).unwrap(),
    );
    Ok(client.get_version(request).await?.into_inner().version)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_with_a_critical_extension_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = TokenKey::new(KeyKind::Ec, "k1");
    let server = server(&dir, &key).await;
    let claims = claims(ISSUER, AUDIENCE, "alice", 600);
    // The same claims and key without `crit` are accepted.
    version_with(&server, &key.sign(&claims)).await.unwrap();

    let refused = version_with(&server, &key.sign_with_critical(&claims, &["exp-ext"]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    for needle in ["crit", "exp-ext"] {
        assert!(
            refused.message().contains(needle),
            "{needle:?} not in {}",
            refused.message()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_token_answers_unauthenticated_not_a_transport_error() {
    let dir = tempfile::tempdir().unwrap();
    let key = TokenKey::new(KeyKind::Ec, "k1");
    let server = server(&dir, &key).await;
    // Bogus tokens the size of large real ones (Entra tokens with many
    // groups) and beyond.
    for size in [20 * 1024, 32 * 1024] {
        let bogus = format!("eyJ{}", "A".repeat(size));
        let refused = version_with(&server, &bogus).await.unwrap_err();
        assert_eq!(
            refused.code(),
            tonic::Code::Unauthenticated,
            "{size} bytes: {refused:?}"
        );
        assert!(
            refused.message().contains("access token"),
            "{}",
            refused.message()
        );
    }
}
