//! The blocking facade, used from plain threads as a program without an
//! async runtime would.

mod common;

use std::time::Duration;

use mesh::blocking::Connection;
use mesh::{Error, Opened};

/// A server on a runtime of its own, apart from the SDK's.
fn server(timeout: Duration) -> (tokio::runtime::Runtime, common::TestServer) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::start(timeout, 100));
    (runtime, server)
}

#[test]
fn blocking_sessions_work_like_async_ones() {
    let (runtime, server) = server(Duration::from_secs(300));
    let connection = Connection::insecure(&server.address).unwrap();
    assert_eq!(connection.get_version().unwrap().version, "2.21.0+100");

    let session = connection.create_session();
    let id = match session.open().unwrap() {
        Opened::Created(id) => id,
        Opened::Attached(_) => panic!("a new session cannot be attached"),
    };
    session.commit().unwrap();
    session.rollback().unwrap();
    assert!(session.extend_lifetime().unwrap() == Duration::from_secs(300));
    session.close().unwrap();
    assert!(matches!(session.commit(), Err(Error::SessionNotOpen)));

    let attached = connection.connect_to_session(id);
    assert!(matches!(attached.open().unwrap(), Opened::Created(new) if new != id));
    drop(attached);
    assert_eq!(runtime.block_on(server.open_sessions()), 0);
}

#[test]
fn blocking_scoped_session_and_drop_close_the_session() {
    let (runtime, server) = server(Duration::from_secs(300));
    let connection = Connection::insecure(&server.address).unwrap();

    let failed: mesh::Result<()> = connection.with_session(|session| {
        session.commit()?;
        Err(Error::Protocol("failed on purpose".to_string()))
    });
    assert!(failed.is_err());
    assert_eq!(runtime.block_on(server.open_sessions()), 0);

    let session = connection.open_session().unwrap();
    assert_eq!(runtime.block_on(server.open_sessions()), 1);
    // The drop closes it before returning.
    drop(session);
    assert_eq!(runtime.block_on(server.open_sessions()), 0);
}

#[test]
fn blocking_sessions_are_kept_alive_in_the_background() {
    let timeout = Duration::from_secs(1);
    let (_runtime, server) = server(timeout);
    let connection = Connection::insecure(&server.address).unwrap();
    let session = connection.open_session().unwrap();
    std::thread::sleep(timeout * 4);
    session.commit().unwrap();
}
