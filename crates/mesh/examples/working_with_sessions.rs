//! Three ways of working with sessions, as in the user's own description:
//! open and close by hand, a scoped session, and attaching to a session by id.
//!
//! Run against a server: `cargo run -p mesh --example working_with_sessions -- localhost:50051`

use mesh::{Connection, Opened, Uuid};

#[tokio::main]
async fn main() -> mesh::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "localhost:50051".to_string());
    // In production, connect with TLS and credentials instead.
    let connection = Connection::insecure(&address).await?;

    // 1. Create a session, open it and close it.
    let session = connection.create_session();
    session.open().await?;
    println!("1. You now have a new open session");
    session.close().await?;

    // 2. A scoped session: opened before the closure runs, closed after it,
    //    also when the closure fails.
    connection
        .with_session(|_session| async move {
            println!("2. You now have a new open session");
            Ok(())
        })
        .await?;

    // 3. Attach to a session that may be open, by its id. If the server has
    //    no such session, open() starts a new one, and says so.
    let session_id = Uuid::parse_str("123e4567-e89b-12d3-a456-556642440000").expect("a valid id");
    println!("3. Session id you want to connect to: {session_id}");
    let session = connection.connect_to_session(session_id);
    match session.open().await? {
        Opened::Attached(id) => println!("3. You are now attached to the open session {id}"),
        Opened::Created(id) => {
            println!("3. That session was not open; a new one was started: {id}")
        }
    }
    println!(
        "3. Session id you are connected to: {}",
        session.session_id().expect("an open session has an id")
    );
    session.close().await?;
    Ok(())
}
