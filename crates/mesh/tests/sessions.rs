//! Sessions end to end: the SDK against a real server on a real socket.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{guid, not_found_message, uuid_of};
use mesh::{Connection, Error, Opened, Uuid};
use mesh_proto::types::Guid;

#[tokio::test]
async fn open_and_close() {
    let server = common::start_default().await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.create_session();
    assert_eq!(session.session_id(), None);

    let opened = session.open().await.unwrap();
    let id = session.session_id().unwrap();
    assert_eq!(opened, Opened::Created(id));
    assert!(session.is_open());
    assert!(session.is_extended_automatically());
    assert_eq!(server.open_sessions().await, 1);

    session.commit().await.unwrap();
    session.rollback().await.unwrap();
    session.close().await.unwrap();
    assert!(!session.is_open());
    assert_eq!(server.open_sessions().await, 0);

    // The server really dropped it.
    let status = server
        .raw_sessions()
        .await
        .extend_session(guid(id))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn calls_on_a_session_that_is_not_open_fail_clearly() {
    let server = common::start_default().await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.create_session();
    assert!(matches!(session.commit().await, Err(Error::SessionNotOpen)));
    session.open().await.unwrap();
    let id = session.session_id().unwrap();
    assert!(
        matches!(session.open().await, Err(Error::SessionAlreadyOpen { id: open }) if open == id)
    );
}

#[tokio::test]
async fn two_sessions_differ() {
    let server = common::start_default().await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let first = connection.open_session().await.unwrap();
    let second = connection.open_session().await.unwrap();
    assert_ne!(first.session_id(), second.session_id());
    assert_eq!(server.open_sessions().await, 2);

    // Closing one leaves the other usable.
    first.close().await.unwrap();
    second.commit().await.unwrap();
}

#[tokio::test]
async fn scoped_session_closes_on_success_and_on_error() {
    let server = common::start_default().await;
    let connection = Connection::insecure(&server.address).await.unwrap();

    let id = connection
        .with_session(|session| async move {
            session.commit().await?;
            Ok(session.session_id().unwrap())
        })
        .await
        .unwrap();
    assert_eq!(server.open_sessions().await, 0);

    let failed: mesh::Result<()> = connection
        .with_session(|_session| async move {
            Err(Error::Protocol("the user's work failed".to_string()))
        })
        .await;
    assert!(matches!(failed, Err(Error::Protocol(message)) if message == "the user's work failed"));
    assert_eq!(server.open_sessions().await, 0);

    let status = server
        .raw_sessions()
        .await
        .commit(guid(id))
        .await
        .unwrap_err();
    assert_eq!(status.message(), not_found_message(id));
}

#[tokio::test]
async fn missing_session_answers_not_found_with_the_exact_message() {
    let server = common::start_default().await;
    let mut raw = server.raw_sessions().await;
    let id = Uuid::parse_str("123e4567-e89b-12d3-a456-556642440000").unwrap();

    let expected = "Session with id {123E4567-E89B-12D3-A456-556642440000} not found.";
    for status in [
        raw.end_session(guid(id)).await.unwrap_err(),
        raw.commit(guid(id)).await.unwrap_err(),
        raw.rollback(guid(id)).await.unwrap_err(),
        raw.extend_session(guid(id)).await.unwrap_err(),
    ] {
        assert_eq!(status.code(), tonic::Code::NotFound);
        assert_eq!(status.message(), expected);
    }

    // An ended session is missing too.
    let started = raw.start_session(()).await.unwrap().into_inner();
    let id = uuid_of(started.session_id);
    raw.end_session(guid(id)).await.unwrap();
    let status = raw.commit(guid(id)).await.unwrap_err();
    assert_eq!(status.message(), not_found_message(id));

    // The SDK turns it into its own variant, carrying the id.
    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.open_session().await.unwrap();
    let sdk_id = session.session_id().unwrap();
    raw.end_session(guid(sdk_id)).await.unwrap();
    assert!(matches!(session.rollback().await, Err(Error::SessionNotFound { id }) if id == sdk_id));
}

#[tokio::test]
async fn malformed_guid_is_invalid_argument() {
    let server = common::start_default().await;
    let mut raw = server.raw_sessions().await;
    for bytes in [vec![], vec![1, 2, 3], vec![0; 17]] {
        let status = raw
            .extend_session(Guid {
                bytes_le: bytes.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{bytes:?}");
        assert!(
            status.message().contains(&format!("got {}", bytes.len())),
            "{}",
            status.message()
        );
    }
}

#[tokio::test]
async fn max_sessions_is_enforced() {
    let server = common::start(Duration::from_secs(300), 3).await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let mut sessions = Vec::new();
    for _ in 0..3 {
        sessions.push(connection.open_session().await.unwrap());
    }
    match connection.open_session().await {
        Err(Error::Status(status)) => {
            assert_eq!(status.code(), tonic::Code::ResourceExhausted);
            assert!(
                status.message().contains("maximum of 3"),
                "{}",
                status.message()
            );
        }
        Err(other) => panic!("expected RESOURCE_EXHAUSTED, got {other}"),
        Ok(_) => panic!("a fourth session was admitted"),
    }
    sessions.pop().unwrap().close().await.unwrap();
    sessions.push(connection.open_session().await.unwrap());
}

#[tokio::test]
async fn dropping_an_open_session_closes_it_on_the_server() {
    let server = common::start_default().await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.open_session().await.unwrap();
    let clone = session.clone();
    drop(session);
    // A clone still holds it open.
    clone.commit().await.unwrap();
    drop(clone);
    server.wait_for_open_sessions(0).await;
}

#[tokio::test]
async fn detached_session_stays_open_for_someone_else() {
    let server = common::start_default().await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.open_session().await.unwrap();
    let id = session.detach().unwrap();

    let attached = connection.connect_to_session(id);
    assert_eq!(attached.session_id(), Some(id));
    assert_eq!(attached.open().await.unwrap(), Opened::Attached(id));
    assert!(!attached.is_extended_automatically());
    assert!(attached.extend_lifetime().await.unwrap() > Duration::ZERO);
    attached.close().await.unwrap();
    assert_eq!(server.open_sessions().await, 0);
}

#[tokio::test]
async fn connect_to_a_missing_session_starts_a_new_one_and_says_so() {
    let server = common::start_default().await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let wanted = Uuid::parse_str("123e4567-e89b-12d3-a456-556642440000").unwrap();
    let session = connection.connect_to_session(wanted);
    match session.open().await.unwrap() {
        Opened::Created(id) => {
            assert_ne!(id, wanted);
            assert_eq!(session.session_id(), Some(id));
        }
        Opened::Attached(_) => panic!("attached to a session that never existed"),
    }
    // This handle started it, so it owns it and keeps it alive.
    assert!(session.is_extended_automatically());
}

#[tokio::test]
async fn idle_session_expires_and_not_before_its_timeout() {
    let timeout = Duration::from_millis(300);
    let server = common::start(timeout, 100).await;
    let mut raw = server.raw_sessions().await;

    let before_last_request = Instant::now();
    let id = uuid_of(raw.start_session(()).await.unwrap().into_inner().session_id);
    server.wait_for_open_sessions(0).await;
    // The last request completed after `before_last_request`, and the
    // timeout counts from that completion.
    assert!(
        before_last_request.elapsed() >= timeout,
        "expired after {:?}, before its timeout of {timeout:?}",
        before_last_request.elapsed()
    );
    let status = raw.extend_session(guid(id)).await.unwrap_err();
    assert_eq!(status.message(), not_found_message(id));
}

#[tokio::test]
async fn session_in_use_outlives_its_timeout() {
    let timeout = Duration::from_millis(500);
    let server = common::start(timeout, 100).await;
    let mut raw = server.raw_sessions().await;
    let id = uuid_of(raw.start_session(()).await.unwrap().into_inner().session_id);

    // Use the session for six timeouts; it must survive every call whose
    // gap since the previous one was shorter than the timeout.
    let started = Instant::now();
    let mut previous_answer = Instant::now();
    while started.elapsed() < timeout * 6 {
        tokio::time::sleep(timeout / 10).await;
        let sent = Instant::now();
        let outcome = raw.commit(guid(id)).await;
        if sent.duration_since(previous_answer) < timeout {
            outcome.unwrap_or_else(|status| panic!("a session in use expired: {status}"));
        } else if outcome.is_err() {
            panic!("the test machine stalled for a whole timeout; nothing was tested");
        }
        previous_answer = Instant::now();
    }
}

#[tokio::test]
async fn automatic_extension_keeps_an_idle_session_alive() {
    let timeout = Duration::from_secs(1);
    let server = common::start(timeout, 100).await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.open_session().await.unwrap();

    // No user calls for four timeouts; the SDK extends in the background.
    tokio::time::sleep(timeout * 4).await;
    assert!(session.is_extended_automatically());
    session.commit().await.unwrap();
    session.close().await.unwrap();
}

#[tokio::test]
async fn attached_session_is_not_extended_automatically() {
    let timeout = Duration::from_millis(300);
    let server = common::start(timeout, 100).await;
    let mut raw = server.raw_sessions().await;
    let id = uuid_of(raw.start_session(()).await.unwrap().into_inner().session_id);

    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.connect_to_session(id);
    assert_eq!(session.open().await.unwrap(), Opened::Attached(id));
    assert!(!session.is_extended_automatically());

    server.wait_for_open_sessions(0).await;
    assert!(
        matches!(session.commit().await, Err(Error::SessionNotFound { id: lost }) if lost == id)
    );
}

#[tokio::test]
async fn lost_session_is_reported_on_the_next_call() {
    let timeout = Duration::from_millis(300);
    let server = common::start(timeout, 100).await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let session = connection.open_session().await.unwrap();
    let id = session.session_id().unwrap();

    // Someone else ends it; the background extension finds out.
    server
        .raw_sessions()
        .await
        .end_session(guid(id))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while session.is_extended_automatically() {
        assert!(Instant::now() < deadline, "the keep-alive never noticed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    match session.commit().await {
        Err(Error::SessionLost { id: lost, reason }) => {
            assert_eq!(lost, id);
            assert!(reason.contains("no longer has it"), "{reason}");
        }
        other => panic!("expected SessionLost, got {other:?}"),
    }
    // Closing a lost session is not an error: there is nothing left to close.
    session.close().await.unwrap();
}

#[tokio::test]
async fn a_thousand_concurrent_sessions() {
    let server = common::start_default().await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let connection = connection.clone();
            tokio::spawn(async move {
                let session = connection.open_session().await?;
                session.commit().await?;
                let id = session.session_id().unwrap();
                Ok::<_, Error>((id, session))
            })
        })
        .collect();
    let mut sessions = Vec::new();
    for task in tasks {
        sessions.push(task.await.unwrap().unwrap());
    }
    let ids: HashSet<Uuid> = sessions.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 1000);
    assert_eq!(server.open_sessions().await, 1000);

    let closes: Vec<_> = sessions
        .into_iter()
        .map(|(_, session)| tokio::spawn(async move { session.close().await }))
        .collect();
    for close in closes {
        close.await.unwrap().unwrap();
    }
    assert_eq!(server.open_sessions().await, 0);
}

#[tokio::test]
async fn get_version_names_the_server_and_an_accepted_api_level() {
    let server = common::start_default().await;
    let connection = Connection::insecure(&server.address).await.unwrap();
    let version = connection.get_version().await.unwrap();
    assert_eq!(version.version, "2.21.0+100");
    assert!(version.name.starts_with("mesh-rs"), "{}", version.name);
}

#[tokio::test]
async fn unreachable_server_is_a_clear_connect_error() {
    // Bind then drop a listener: the port is free and nothing answers.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    match Connection::insecure(&format!("127.0.0.1:{port}")).await {
        Err(Error::Connect { address, .. }) => assert_eq!(address, format!("127.0.0.1:{port}")),
        Err(other) => panic!("expected a connect error, got {other}"),
        Ok(_) => panic!("connected to nothing"),
    }
}
