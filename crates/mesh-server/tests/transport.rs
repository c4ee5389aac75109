//! Connections within limits, on a real socket: the stream limit a client
//! is told and held to, connections that say nothing or stop answering are
//! closed, idle ones are let go, and connections over the limit wait their
//! turn while the others are served.
//!
//! Every wait is for an event (an answer, a frame, the end of a
//! connection), bounded by `support::GUARD` only so that a broken server
//! fails the test rather than hangs it. The timeouts configured here are
//! short so that the events come soon; nothing asserts how soon.

mod support;

use std::time::Duration;

use support::{closed_by_server, frame, grpc_frame, guarded, RawH2, TestServer};
use tokio::net::TcpStream;
use tonic::Code;

const GET_VERSION: &str = "/volue.mesh.grpc.config.v1alpha.ConfigurationService/GetVersion";

#[tokio::test]
async fn the_stream_limit_is_advertised_in_settings_and_enforced() {
    let server = TestServer::start(|config| config.max_concurrent_streams = 3).await;

    // A client library learns the limit from the server's SETTINGS (which
    // have surely arrived once a call has been answered).
    let mut client = server.h2().await;
    assert_eq!(client.unary(GET_VERSION, &[]).await.0, Code::Ok);
    assert_eq!(client.send.current_max_send_streams(), 3);

    // A client that ignores it gets the stream beyond the limit refused.
    let mut raw = RawH2::connect(server.addr()).await;
    let settings = raw
        .read_until("the server's SETTINGS", |f| {
            f.kind == frame::SETTINGS && f.flags & frame::ACK == 0
        })
        .await;
    assert!(
        settings
            .settings()
            .contains(&(frame::SETTINGS_MAX_CONCURRENT_STREAMS, 3)),
        "{:?}",
        settings.settings()
    );
    raw.write(frame::SETTINGS, frame::ACK, 0, &[]).await;
    // Three calls whose requests never end hold three streams open.
    for stream in [1, 3, 5] {
        raw.open_call(stream, GET_VERSION).await;
    }
    raw.open_call(7, GET_VERSION).await;
    let refused = raw
        .read_until("a reset of the fourth stream", |f| {
            f.kind == frame::RST_STREAM
        })
        .await;
    assert_eq!(refused.stream, 7, "{refused:?}");
    assert_eq!(refused.error_code(), frame::REFUSED_STREAM, "{refused:?}");

    // The limit is on streams at once: once one ends, another may open.
    raw.write(frame::DATA, frame::END_STREAM, 1, &grpc_frame(&[]))
        .await;
    raw.read_until("the answer on stream 1", |f| {
        f.kind == frame::HEADERS && f.stream == 1 && f.flags & frame::END_STREAM != 0
    })
    .await;
    raw.open_call(9, GET_VERSION).await;
    raw.write(frame::DATA, frame::END_STREAM, 9, &grpc_frame(&[]))
        .await;
    let answer = raw
        .read_until("an answer or a reset on stream 9", |f| {
            f.stream == 9 && (f.kind == frame::HEADERS || f.kind == frame::RST_STREAM)
        })
        .await;
    assert_eq!(answer.kind, frame::HEADERS, "{answer:?}");
}

#[tokio::test]
async fn a_plain_connection_that_sends_no_preface_is_closed_after_the_handshake_timeout() {
    let server =
        TestServer::start(|config| config.handshake_timeout = Duration::from_millis(200)).await;
    let mut silent = TcpStream::connect(server.addr()).await.unwrap();
    closed_by_server("a connection that sends nothing", &mut silent).await;

    // Half a preface is no preface.
    let mut halting = TcpStream::connect(server.addr()).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut halting, b"PRI * HTTP/2.0\r\n")
        .await
        .unwrap();
    closed_by_server("a connection that stops inside the preface", &mut halting).await;

    // A client that speaks HTTP/2 at once is not affected.
    let mut client = server.h2().await;
    assert_eq!(client.unary(GET_VERSION, &[]).await.0, Code::Ok);
}

#[tokio::test]
async fn a_tls_connection_must_finish_its_handshake_and_preface_within_the_handshake_timeout() {
    use std::sync::Arc;
    use tokio_rustls::rustls;

    let dir = tempfile::tempdir().unwrap();
    let ca = mesh_testkit::CertificateAuthority::new("test CA");
    let certificate = ca.server_certificate(&["localhost"], mesh_testkit::KeyKind::Ec);
    let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
    std::fs::write(&cert, &certificate.cert_pem).unwrap();
    std::fs::write(&key, &certificate.key_pem).unwrap();
    let server = TestServer::start(|config| {
        config.tls_cert = Some(cert);
        config.tls_key = Some(key);
        config.handshake_timeout = Duration::from_millis(200);
    })
    .await;

    // Connected, but no handshake.
    let mut silent = TcpStream::connect(server.addr()).await.unwrap();
    closed_by_server("a TLS connection without a handshake", &mut silent).await;

    // A finished handshake, but no HTTP/2 preface after it.
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(ca.root_pem().as_bytes()).unwrap())
        .unwrap();
    let mut tls_config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tls_config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls_config));
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let mut tls = connector
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .expect("the TLS handshake");
    closed_by_server("a TLS connection without an HTTP/2 preface", &mut tls).await;
}

#[tokio::test]
async fn an_idle_connection_is_closed_gracefully_after_the_idle_timeout() {
    let server = TestServer::start(|config| config.idle_timeout = Duration::from_millis(200)).await;
    let mut client = server.h2().await;
    assert_eq!(client.unary(GET_VERSION, &[]).await.0, Code::Ok);
    // The client still holds the connection; the server ends it, with a
    // GOAWAY (no error), which the h2 client takes as a clean end.
    let ended = guarded("the idle connection's end", client.closed()).await;
    assert!(ended.is_ok(), "{ended:?}");

    // The raw view: a GOAWAY with NO_ERROR, then the end.
    let mut raw = RawH2::connect(server.addr()).await;
    let goaway = raw
        .read_until("a GOAWAY", |f| f.kind == frame::GOAWAY)
        .await;
    assert_eq!(&goaway.payload[4..8], &[0, 0, 0, 0], "{goaway:?}");
    raw.until_closed("the idle connection").await;
}

/// A TCP relay between a client and the server that reports each time the
/// server ends a connection: something a client library does not tell.
async fn relay(server: std::net::SocketAddr) -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (ended, ends) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = TcpStream::connect(server).await.unwrap();
            let ended = ended.clone();
            tokio::spawn(async move {
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = upstream.into_split();
                let up = tokio::io::copy(&mut client_read, &mut server_write);
                let down = async {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                    let _ = tokio::io::AsyncWriteExt::shutdown(&mut client_write).await;
                    let _ = ended.send(());
                };
                let _ = tokio::join!(up, down);
            });
        }
    });
    (address, ends)
}

#[tokio::test]
async fn a_grpc_client_connects_again_after_its_idle_connection_is_closed() {
    use mesh_proto::config::configuration_service_client::ConfigurationServiceClient;
    let server = TestServer::start(|config| config.idle_timeout = Duration::from_millis(200)).await;
    let (address, mut ends) = relay(server.addr()).await;
    let mut client = ConfigurationServiceClient::connect(format!("http://{address}"))
        .await
        .unwrap();
    client.get_version(()).await.unwrap();
    guarded("the server ending the idle connection", ends.recv()).await;
    // The channel notices, and the next call goes over a new connection.
    client.get_version(()).await.unwrap();
}

#[tokio::test]
async fn a_peer_that_does_not_answer_keepalive_pings_is_dropped() {
    let server = TestServer::start(|config| {
        config.keepalive_interval = Duration::from_millis(100);
        config.keepalive_timeout = Duration::from_millis(100);
    })
    .await;
    let mut raw = RawH2::connect(server.addr()).await;
    raw.read_until("the server's SETTINGS", |f| {
        f.kind == frame::SETTINGS && f.flags & frame::ACK == 0
    })
    .await;
    raw.write(frame::SETTINGS, frame::ACK, 0, &[]).await;
    // A call in progress: the connection is not idle, only silent.
    raw.open_call(1, GET_VERSION).await;
    raw.read_until("a keep-alive PING", |f| {
        f.kind == frame::PING && f.flags & frame::ACK == 0
    })
    .await;
    // No answer to it: the server must give up on this peer.
    closed_by_server("a connection whose peer ignores pings", &mut raw.tcp).await;
}

#[tokio::test]
async fn connections_over_the_limit_wait_and_are_served_once_one_closes() {
    let server = TestServer::start(|config| config.max_connections = 2).await;
    let mut first = server.h2().await;
    let mut second = server.h2().await;
    assert_eq!(first.unary(GET_VERSION, &[]).await.0, Code::Ok);
    assert_eq!(second.unary(GET_VERSION, &[]).await.0, Code::Ok);

    // The third connects (the kernel queues it) and sends its call...
    let mut third = server.h2().await;
    let waiting = tokio::spawn(async move {
        let status = third.unary(GET_VERSION, &[]).await;
        (status, third)
    });
    // ...which is not answered while the first two are served.
    for _ in 0..10 {
        assert_eq!(first.unary(GET_VERSION, &[]).await.0, Code::Ok);
        assert_eq!(second.unary(GET_VERSION, &[]).await.0, Code::Ok);
    }
    assert!(
        !waiting.is_finished(),
        "a third connection was served beyond --max-connections 2"
    );

    // Once one of the two goes away, the third is served.
    first.abort();
    let (status, _third) = guarded("the third connection's answer", waiting)
        .await
        .unwrap();
    assert_eq!(status.0, Code::Ok, "{status:?}");
    assert_eq!(second.unary(GET_VERSION, &[]).await.0, Code::Ok);
}

#[tokio::test]
async fn the_server_keeps_serving_while_silent_connections_are_dropped() {
    let server = TestServer::start(|config| {
        config.max_connections = 4;
        config.handshake_timeout = Duration::from_millis(300);
    })
    .await;
    // Twice as many silent connections as there are places, ahead of a
    // real client in the queue.
    let mut silent = Vec::new();
    for _ in 0..8 {
        silent.push(TcpStream::connect(server.addr()).await.unwrap());
    }
    let mut client = server.h2().await;
    let status = guarded(
        "a real client behind silent ones",
        client.unary(GET_VERSION, &[]),
    )
    .await;
    assert_eq!(status.0, Code::Ok, "{status:?}");
    for tcp in &mut silent {
        closed_by_server("a silent connection", tcp).await;
    }
    assert_eq!(client.unary(GET_VERSION, &[]).await.0, Code::Ok);
}
