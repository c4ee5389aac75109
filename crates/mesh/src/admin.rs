//! Running the server: online backups (`mesh_rs.admin.v1`, a mesh-rs
//! extension; other Mesh servers answer UNIMPLEMENTED).

use mesh_proto::admin::admin_service_client::AdminServiceClient;
use mesh_proto::admin::BackupRequest;

use crate::connection::Connection;
use crate::error::Result;

/// A backup the server made, as it reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// The backup's directory on the server's machine: a data directory
    /// a server can be started on (`mesh-server --data-dir`).
    pub directory: String,
    /// Size of its database file.
    pub bytes: u64,
    /// Time series in it.
    pub series: u64,
    /// Chunks of points in it.
    pub chunks: u64,
    /// Model records in it.
    pub model_records: u64,
}

impl Connection {
    /// Has the server copy everything committed, as of this call, into a
    /// new directory `name` under its `--backup-dir` (`None`: a name made
    /// of the time), while it goes on serving.
    pub async fn backup(&self, name: Option<&str>) -> Result<Backup> {
        let made = AdminServiceClient::new(self.transport())
            .backup(BackupRequest {
                name: name.unwrap_or_default().to_string(),
            })
            .await?
            .into_inner();
        Ok(Backup {
            directory: made.directory,
            bytes: made.bytes,
            series: made.series,
            chunks: made.chunks,
            model_records: made.model_records,
        })
    }
}
