//! Kerberos sign-in against a real MIT KDC (mesh_testkit::kdc): start-up
//! checks of the keytab and principal, the token exchange as a plain gRPC
//! client does it, and the server-issued tokens (revoked, expired, unknown).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mesh_gssapi::{InitContext, Initiated};
use mesh_proto::auth::authentication_service_client::AuthenticationServiceClient;
use mesh_proto::auth::AuthenticateKerberosResponse;
use mesh_server::{RunningServer, ServerConfig};
use mesh_testkit::kdc::{shared_realm, OTHER_SERVICE_PRINCIPAL, SERVICE_PRINCIPAL};
use mesh_testkit::process::{assert_refused, ServerProcess};
use mesh_testkit::{CertificateAuthority, KeyKind};
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic::{Code, Request, Status};

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");

struct KerberosServer {
    server: RunningServer,
    root_pem: String,
    config: ServerConfig,
    _dir: tempfile::TempDir,
}

impl KerberosServer {
    /// Stops the server and starts a new one on the same data.
    async fn restart(self) -> KerberosServer {
        self.server.stop().await.unwrap();
        KerberosServer {
            server: RunningServer::start(self.config.clone()).await.unwrap(),
            ..self
        }
    }

    async fn start(lifetime: Duration) -> KerberosServer {
        let realm = shared_realm();
        let dir = tempfile::tempdir().unwrap();
        let ca = CertificateAuthority::new("mesh-rs test CA");
        let certificate = ca.server_certificate(&["localhost"], KeyKind::Ec);
        let cert = dir.path().join("server.crt");
        let key = dir.path().join("server.key");
        std::fs::write(&cert, &certificate.cert_pem).unwrap();
        std::fs::write(&key, &certificate.key_pem).unwrap();
        let mut config = ServerConfig::for_tests(dir.path().join("data"));
        config.tls_cert = Some(cert);
        config.tls_key = Some(key);
        config.kerberos_keytab = Some(realm.kdc.service_keytab());
        config.kerberos_service_principal = Some(SERVICE_PRINCIPAL.to_string());
        config.access_token_lifetime = lifetime;
        KerberosServer {
            server: RunningServer::start(config.clone()).await.unwrap(),
            root_pem: ca.root_pem(),
            config,
            _dir: dir,
        }
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(format!(
            "https://localhost:{}",
            self.server.local_addr().port()
        ))
        .unwrap()
        .tls_config(ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&self.root_pem)))
        .unwrap()
        .connect()
        .await
        .unwrap()
    }
}

/// The exchange as the official SDK runs it: our first token before
/// reading anything, then one step per answer without an access token.
async fn sign_in(
    channel: &Channel,
    service: &str,
    user: Option<&str>,
) -> Result<AuthenticateKerberosResponse, Status> {
    let mut context = InitContext::new(service, user).expect("a Kerberos context");
    let first = match context.step(None).expect("a first token") {
        Initiated::Continue(token) | Initiated::Complete(token) => token,
    };
    let (requests, outgoing) = tokio::sync::mpsc::channel(1);
    requests.send(first).await.unwrap();
    let mut answers = AuthenticationServiceClient::new(channel.clone())
        .authenticate_kerberos(tokio_stream::wrappers::ReceiverStream::new(outgoing))
        .await?
        .into_inner();
    loop {
        let answer = answers.message().await?.expect("an answer");
        if !answer.bearer_token.is_empty() {
            return Ok(answer);
        }
        match context.step(Some(&answer.kerberos_token)).unwrap() {
            Initiated::Continue(token) | Initiated::Complete(token) => {
                requests.send(token).await.unwrap()
            }
        }
    }
}

/// Sends raw client tokens, for what no GSSAPI library would send.
async fn send_tokens(channel: &Channel, tokens: Vec<Vec<u8>>) -> Status {
    let outcome = async {
        let mut answers = AuthenticationServiceClient::new(channel.clone())
            .authenticate_kerberos(tokio_stream::iter(tokens))
            .await?
            .into_inner();
        while answers.message().await?.is_some() {}
        Ok::<(), Status>(())
    }
    .await;
    outcome.expect_err("the exchange was refused")
}

fn bearer<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {token}")).unwrap(),
    );
    request
}

async fn identity_with(channel: &Channel, token: &str) -> Result<(String, String), Status> {
    let identity = AuthenticationServiceClient::new(channel.clone())
        .get_user_identity(bearer((), token))
        .await?
        .into_inner();
    Ok((identity.identifier, identity.source))
}

#[tokio::test]
async fn the_exchange_hands_out_a_token_that_identifies_the_kerberos_user() {
    let server = KerberosServer::start(Duration::from_secs(3600)).await;
    let channel = server.channel().await;
    let answer = sign_in(&channel, SERVICE_PRINCIPAL, None).await.unwrap();
    assert!(answer.bearer_token.starts_with("mesh_"));
    let duration = answer.token_duration.unwrap();
    assert_eq!((duration.seconds, duration.nanos), (3600, 0));
    assert_eq!(
        identity_with(&channel, &answer.bearer_token).await.unwrap(),
        ("alice@MESH.TEST".to_string(), "Kerberos".to_string())
    );
    // Another user of the cache collection, by name.
    let bob = sign_in(&channel, SERVICE_PRINCIPAL, Some("bob@MESH.TEST"))
        .await
        .unwrap();
    assert_eq!(
        identity_with(&channel, &bob.bearer_token).await.unwrap().0,
        "bob@MESH.TEST"
    );
    // Without a token, the other calls of the service are still refused.
    let refused = AuthenticationServiceClient::new(channel.clone())
        .get_user_identity(())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn refused_exchanges_say_why() {
    let server = KerberosServer::start(Duration::from_secs(3600)).await;
    let channel = server.channel().await;

    // A ticket for another service (whose key the KDC has, the server not).
    let refused = sign_in(&channel, OTHER_SERVICE_PRINCIPAL, None)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    assert!(
        refused.message().starts_with(
            "Kerberos authentication failed: the token was refused: Unspecified GSS failure: \
             Cannot decrypt ticket for HTTP/other.localhost@MESH.TEST"
        ),
        "{refused:?}"
    );

    // Garbage, and nothing at all.
    let garbage = send_tokens(&channel, vec![b"not a kerberos token".to_vec()]).await;
    assert_eq!(garbage.code(), Code::Unauthenticated, "{garbage:?}");
    assert!(
        garbage
            .message()
            .contains("not a GSSAPI initial context token"),
        "{garbage:?}"
    );
    // GSSAPI framing around garbage gets as far as the library.
    let framed = send_tokens(&channel, vec![b"\x60\x03\x06\x01\x00".to_vec()]).await;
    assert_eq!(framed.code(), Code::Unauthenticated, "{framed:?}");
    assert!(
        framed
            .message()
            .starts_with("Kerberos authentication failed: the token was refused: "),
        "{framed:?}"
    );
    let nothing = send_tokens(&channel, vec![]).await;
    assert_eq!(nothing.code(), Code::Unauthenticated, "{nothing:?}");
    assert!(nothing.message().contains("incomplete"), "{nothing:?}");
}

#[tokio::test]
async fn revoked_expired_and_unknown_tokens_say_which() {
    let server = KerberosServer::start(Duration::from_secs(3600)).await;
    let channel = server.channel().await;
    let token = sign_in(&channel, SERVICE_PRINCIPAL, None)
        .await
        .unwrap()
        .bearer_token;
    let mut auth = AuthenticationServiceClient::new(channel.clone());
    auth.revoke_access_token(bearer(token.clone(), &token))
        .await
        .unwrap();
    let refused = identity_with(&channel, &token).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert_eq!(refused.message(), "access token has been revoked");

    // Revoking an unknown token succeeds (with a valid token to ask with).
    let other = sign_in(&channel, SERVICE_PRINCIPAL, None)
        .await
        .unwrap()
        .bearer_token;
    auth.revoke_access_token(bearer("mesh_unknown".to_string(), &other))
        .await
        .unwrap();
    auth.revoke_access_token(bearer("whatever".to_string(), &other))
        .await
        .unwrap();
    let unknown = identity_with(&channel, "mesh_unknown").await.unwrap_err();
    assert_eq!(unknown.code(), Code::Unauthenticated);
    assert!(unknown.message().contains("sign in again"), "{unknown:?}");

    // A short-lived token: good at first, then refused as expired.
    let short = KerberosServer::start(Duration::from_secs(1)).await;
    let channel = short.channel().await;
    let token = sign_in(&channel, SERVICE_PRINCIPAL, None)
        .await
        .unwrap()
        .bearer_token;
    let expired = loop {
        match identity_with(&channel, &token).await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(status) => break status,
        }
    };
    assert_eq!(expired.code(), Code::Unauthenticated);
    assert_eq!(expired.message(), "access token has expired");
}

fn refused_start(args: &[&str], keytab: &Path, principal: &str, expected: &str) {
    let realm = shared_realm();
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(BINARY);
    command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--kerberos-keytab")
        .arg(keytab)
        .args(["--kerberos-service-principal", principal])
        .args(args)
        .env("KRB5_CONFIG", realm.kdc.krb5_config());
    assert_refused(&mut command, (args, keytab, principal), expected);
}

#[test]
fn bad_kerberos_configuration_is_refused_at_start() {
    let realm = shared_realm();
    let insecure = ["--allow-insecure-auth"];
    let missing = realm.kdc.path("missing.keytab");
    refused_start(
        &insecure,
        &missing,
        SERVICE_PRINCIPAL,
        &format!("cannot read the keytab {}: No such file", missing.display()),
    );
    // A keytab without the principal's key.
    let other = realm.kdc.other_keytab();
    refused_start(
        &insecure,
        &other,
        SERVICE_PRINCIPAL,
        &format!(
            "no usable key for {SERVICE_PRINCIPAL} in the keytab {}: ",
            other.display()
        ),
    );
    // A file that is no keytab.
    let garbage = realm.kdc.path("garbage.keytab");
    std::fs::write(&garbage, "not a keytab").unwrap();
    refused_start(
        &insecure,
        &garbage,
        SERVICE_PRINCIPAL,
        &format!("in the keytab {}: ", garbage.display()),
    );
    // Kerberos hands out tokens: not over plain text unless allowed.
    refused_start(
        &[],
        &realm.kdc.service_keytab(),
        SERVICE_PRINCIPAL,
        "--allow-insecure-auth",
    );
    // Each flag needs the other.
    let lone = Command::new(BINARY)
        .args(["--listen", "127.0.0.1:0", "--kerberos-keytab", "x.keytab"])
        .output()
        .unwrap();
    assert!(!lone.status.success());
    assert!(String::from_utf8_lossy(&lone.stderr).contains("--kerberos-service-principal"));

    // With the opt-in, a server without TLS starts.
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::builder(BINARY)
        .local(dir.path().join("data"))
        .arg("--kerberos-keytab")
        .arg(realm.kdc.service_keytab())
        .args(["--kerberos-service-principal", SERVICE_PRINCIPAL])
        .arg("--allow-insecure-auth")
        .env("KRB5_CONFIG", realm.kdc.krb5_config())
        .env("RUST_LOG", "warn")
        .start();
    assert_ne!(server.port(), 0);
}

#[tokio::test]
async fn issued_tokens_and_revocations_survive_a_restart() {
    let server = KerberosServer::start(Duration::from_secs(3600)).await;
    let channel = server.channel().await;
    let alice = sign_in(&channel, SERVICE_PRINCIPAL, None).await.unwrap();
    let bob = sign_in(&channel, SERVICE_PRINCIPAL, Some("bob@MESH.TEST"))
        .await
        .unwrap();
    AuthenticationServiceClient::new(channel.clone())
        .revoke_access_token(bearer(bob.bearer_token.clone(), &alice.bearer_token))
        .await
        .unwrap();
    drop(channel);

    // The table is in the store: the restarted server knows both tokens.
    let server = server.restart().await;
    let channel = server.channel().await;
    let (name, source) = identity_with(&channel, &alice.bearer_token).await.unwrap();
    assert_eq!(
        (name.as_str(), source.as_str()),
        ("alice@MESH.TEST", "Kerberos")
    );
    let refused = identity_with(&channel, &bob.bearer_token)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert_eq!(refused.message(), "access token has been revoked");
}
