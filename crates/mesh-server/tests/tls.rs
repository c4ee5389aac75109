//! TLS as operators use it: refusing to start on bad configuration, and
//! rotating the certificate on SIGHUP without dropping connections.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mesh_proto::config::configuration_service_client::ConfigurationServiceClient;
use mesh_testkit::process::{assert_refused, ServerProcess};
use mesh_testkit::{CertificateAuthority, KeyKind, ServerCertificate};
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");

fn write_pair(dir: &Path, certificate: &ServerCertificate) -> (PathBuf, PathBuf) {
    let cert = dir.join("server.crt");
    let key = dir.join("server.key");
    std::fs::write(&cert, &certificate.cert_pem).unwrap();
    std::fs::write(&key, &certificate.key_pem).unwrap();
    (cert, key)
}

fn start(args: &[&std::ffi::OsStr], data: &Path) -> ServerProcess {
    ServerProcess::builder(BINARY)
        .local(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .start()
}

async fn connect(port: u16, root_pem: &str) -> Result<Channel, tonic::transport::Error> {
    Channel::from_shared(format!("https://localhost:{port}"))
        .unwrap()
        .tls_config(ClientTlsConfig::new().ca_certificate(Certificate::from_pem(root_pem)))
        .unwrap()
        .connect()
        .await
}

async fn version(channel: &Channel) -> Result<String, tonic::Status> {
    Ok(ConfigurationServiceClient::new(channel.clone())
        .get_version(())
        .await?
        .into_inner()
        .version)
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_rotates_the_certificate_without_dropping_connections() {
    let dir = tempfile::tempdir().unwrap();
    let old_ca = CertificateAuthority::new("old CA");
    let (cert, key) = write_pair(
        dir.path(),
        &old_ca.server_certificate(&["localhost"], KeyKind::Ec),
    );
    let server = start(
        &[
            "--tls-cert".as_ref(),
            cert.as_os_str(),
            "--tls-key".as_ref(),
            key.as_os_str(),
        ],
        &dir.path().join("data"),
    );
    let old_connection = connect(server.port(), &old_ca.root_pem()).await.unwrap();
    version(&old_connection).await.unwrap();

    // Rotate to a certificate from another CA (and an RSA key), then SIGHUP.
    let new_ca = CertificateAuthority::new("new CA");
    write_pair(
        dir.path(),
        &new_ca.server_certificate(&["localhost"], KeyKind::Rsa),
    );
    server.signal("-HUP");

    // New handshakes get the new certificate once the signal is handled.
    let deadline = Instant::now() + Duration::from_secs(20);
    let new_connection = loop {
        if let Ok(channel) = connect(server.port(), &new_ca.root_pem()).await {
            break channel;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    version(&new_connection).await.unwrap();
    // The connection made before the rotation is still served.
    version(&old_connection).await.unwrap();
    // And the old certificate is no longer offered to newcomers.
    assert!(connect(server.port(), &old_ca.root_pem()).await.is_err());
}

#[test]
fn bad_tls_or_auth_configuration_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let ca = CertificateAuthority::new("CA");
    let (cert, key) = write_pair(
        dir.path(),
        &ca.server_certificate(&["localhost"], KeyKind::Ec),
    );
    let other_key = dir.path().join("other.key");
    std::fs::write(
        &other_key,
        ca.server_certificate(&["localhost"], KeyKind::Ec).key_pem,
    )
    .unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "this is not PEM").unwrap();
    let missing = dir.path().join("missing.pem");
    let jwks = dir.path().join("jwks.json");
    std::fs::write(
        &jwks,
        mesh_testkit::key_set(&[&mesh_testkit::TokenKey::new(KeyKind::Ec, "k")]),
    )
    .unwrap();

    let p = |path: &Path| path.to_str().unwrap().to_string();
    let auth = |extra: &[&str]| {
        let mut args = vec![
            "--auth-jwks".to_string(),
            p(&jwks),
            "--auth-issuer".into(),
            "iss".into(),
            "--auth-audience".into(),
            "aud".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--tls-cert".into(), p(&cert)], "--tls-key"),
        (vec!["--tls-key".into(), p(&key)], "--tls-cert"),
        (
            vec![
                "--tls-cert".into(),
                p(&missing),
                "--tls-key".into(),
                p(&key),
            ],
            "missing.pem",
        ),
        (
            vec![
                "--tls-cert".into(),
                p(&garbage),
                "--tls-key".into(),
                p(&key),
            ],
            "holds no PEM certificate",
        ),
        (
            vec![
                "--tls-cert".into(),
                p(&cert),
                "--tls-key".into(),
                p(&garbage),
            ],
            "garbage.pem",
        ),
        (
            vec![
                "--tls-cert".into(),
                p(&cert),
                "--tls-key".into(),
                p(&other_key),
            ],
            "does not belong to the certificate",
        ),
        (auth(&[]), "--allow-insecure-auth"),
        (vec!["--auth-jwks".into(), p(&jwks)], "--auth-issuer"),
        (
            {
                let mut args = auth(&["--allow-insecure-auth"]);
                args[1] = p(&garbage);
                args
            },
            "is not a JSON Web Key Set",
        ),
    ];
    for (args, expected) in cases {
        assert_refused(
            Command::new(BINARY)
                .args(["--listen", "127.0.0.1:0", "--data-dir"])
                .arg(dir.path().join("data"))
                .args(&args),
            &args,
            expected,
        );
    }

    // With the explicit opt-in, tokens over plain text are allowed.
    let server = start(
        &auth(&["--allow-insecure-auth"])
            .iter()
            .map(std::ffi::OsStr::new)
            .collect::<Vec<_>>(),
        &dir.path().join("data"),
    );
    assert_ne!(server.port(), 0);
}
