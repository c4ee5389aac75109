//! Commands about the server itself: version, whoami, backup.

use mesh::Connection;
use serde_json::json;

use crate::output::Output;

/// `mesh version`.
pub async fn version(connection: &Connection, out: &Output) -> anyhow::Result<()> {
    let server = connection.get_version().await?;
    out.record(&[
        ("server_version", json!(server.version)),
        ("server_name", json!(server.name)),
        ("client_version", json!(env!("CARGO_PKG_VERSION"))),
    ]);
    Ok(())
}

/// `mesh whoami`.
pub async fn whoami(connection: &Connection, out: &Output) -> anyhow::Result<()> {
    let me = connection.get_user_identity().await?;
    out.record(&[
        ("display_name", json!(me.display_name)),
        ("source", json!(me.source)),
        ("identifier", json!(me.identifier)),
    ]);
    Ok(())
}

/// `mesh backup [NAME]`.
pub async fn backup(
    connection: &Connection,
    name: Option<&str>,
    out: &Output,
) -> anyhow::Result<()> {
    let made = connection.backup(name).await?;
    out.record(&[
        ("directory", json!(made.directory)),
        ("bytes", json!(made.bytes)),
        ("series", json!(made.series)),
        ("chunks", json!(made.chunks)),
        ("model_records", json!(made.model_records)),
    ]);
    Ok(())
}
