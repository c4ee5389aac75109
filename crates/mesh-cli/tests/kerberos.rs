//! `mesh` signing in with Kerberos: a real MIT KDC (mesh_testkit::kdc), a
//! server over real TLS, and the user's credential cache as `kinit` left it.

use std::process::Command;

use mesh_server::config::ServerConfig;
use mesh_server::server::RunningServer;
use mesh_testkit::kdc::{shared_realm, SERVICE_PRINCIPAL};
use mesh_testkit::{CertificateAuthority, KeyKind};
use serde_json::Value;

const MESH: &str = env!("CARGO_BIN_EXE_mesh");

#[test]
fn whoami_signs_in_with_kerberos_over_tls() {
    // Sets KRB5_CONFIG and KRB5CCNAME, which the `mesh` child inherits.
    let realm = shared_realm();
    let dir = tempfile::tempdir().unwrap();
    let ca = CertificateAuthority::new("mesh-rs test CA");
    let certificate = ca.server_certificate(&["localhost"], KeyKind::Ec);
    let (cert, key, root) = (
        dir.path().join("server.crt"),
        dir.path().join("server.key"),
        dir.path().join("root.pem"),
    );
    std::fs::write(&cert, &certificate.cert_pem).unwrap();
    std::fs::write(&key, &certificate.key_pem).unwrap();
    std::fs::write(&root, ca.root_pem()).unwrap();
    let mut config = ServerConfig::for_tests(dir.path().join("data"));
    config.tls_cert = Some(cert);
    config.tls_key = Some(key);
    config.kerberos_keytab = Some(realm.kdc.service_keytab());
    config.kerberos_service_principal = Some(SERVICE_PRINCIPAL.to_string());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(RunningServer::start(config)).unwrap();
    let address = format!("localhost:{}", server.local_addr().port());

    let run = |extra: &[&str]| {
        Command::new(MESH)
            .args(["--json", "--address", &address, "--tls-root"])
            .arg(&root)
            .args(extra)
            .arg("whoami")
            .output()
            .unwrap()
    };
    let signed_in = run(&["--kerberos-service-principal", SERVICE_PRINCIPAL]);
    assert!(
        signed_in.status.success(),
        "{}",
        String::from_utf8_lossy(&signed_in.stderr)
    );
    let me: Value = serde_json::from_slice(&signed_in.stdout).unwrap();
    assert_eq!(me["source"], "Kerberos");
    assert_eq!(
        me["identifier"],
        format!("alice@{}", mesh_testkit::kdc::REALM)
    );

    // Another user of the cache, named.
    let bob = run(&[
        "--kerberos-service-principal",
        SERVICE_PRINCIPAL,
        "--kerberos-user",
        &format!("bob@{}", mesh_testkit::kdc::REALM),
    ]);
    assert!(
        bob.status.success(),
        "{}",
        String::from_utf8_lossy(&bob.stderr)
    );
    let me: Value = serde_json::from_slice(&bob.stdout).unwrap();
    assert_eq!(
        me["identifier"],
        format!("bob@{}", mesh_testkit::kdc::REALM)
    );

    // Without Kerberos the server wants a token: one clear line, exit 1.
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    drop(server);
}
