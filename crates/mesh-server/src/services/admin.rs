//! `mesh_rs.admin.v1.AdminService` (a mesh-rs extension): online backups
//! into the directory given with `--backup-dir`. The copy itself is the
//! store's ([`mesh_storage::Store::backup`]); one at a time, and only with
//! room for it ([`crate::backups`]).

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use mesh_proto::admin::admin_service_server::AdminService;
use mesh_proto::admin::{BackupRequest, BackupResponse};
use mesh_storage::{StoreError, StoreHandle};
use tonic::{Request, Response, Status};

use crate::backups::{self, BackupGate, NoRoom};

/// The admin service over the store.
pub struct AdminApi {
    store: StoreHandle,
    /// `--backup-dir`; without it backups are refused.
    backup_dir: Option<PathBuf>,
    /// `--backup-min-free-mb`.
    min_free_mb: u64,
    gate: BackupGate,
}

impl AdminApi {
    /// The service; backups go under `backup_dir`, and are refused when they
    /// would leave less than `min_free_mb` MiB free there.
    pub fn new(store: StoreHandle, backup_dir: Option<PathBuf>, min_free_mb: u64) -> Self {
        AdminApi {
            store,
            backup_dir,
            min_free_mb,
            gate: BackupGate::default(),
        }
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    async fn backup(
        &self,
        request: Request<BackupRequest>,
    ) -> Result<Response<BackupResponse>, Status> {
        let Some(root) = &self.backup_dir else {
            return Err(Status::failed_precondition(
                "this server makes no backups: start it with --backup-dir DIR",
            ));
        };
        let name = match request.get_ref().name.as_str() {
            "" => default_name(),
            name => checked_name(name)?.to_string(),
        };
        // A name taken, by a backup made or one in progress (or left
        // unfinished), is the answer whatever else is going on.
        let dir = root.join(&name);
        let partial = root.join(format!("{name}.partial"));
        if dir.exists() || partial.exists() {
            return Err(Status::already_exists(
                StoreError::BackupExists { path: dir }.to_string(),
            ));
        }
        // Held to the end of the call: the next backup may start then.
        let _turn = self
            .gate
            .try_begin()
            .map_err(|busy| Status::aborted(busy.to_string()))?;
        std::fs::create_dir_all(root).map_err(|error| {
            Status::internal(format!(
                "cannot create the backup directory {}: {error}",
                root.display()
            ))
        })?;
        let store_bytes = self.store.store().disk_bytes().unwrap_or(0);
        backups::check_room(root, store_bytes, self.min_free_mb).map_err(|refused| {
            tracing::warn!(%refused, "backup refused");
            match refused {
                NoRoom::TooLittle { .. } => Status::resource_exhausted(refused.to_string()),
                NoRoom::Unreadable { .. } => Status::failed_precondition(refused.to_string()),
            }
        })?;
        // Answers name the directory wherever the server was started from.
        let dir = std::fs::canonicalize(root).map_or(dir, |root| root.join(&name));
        let started = std::time::Instant::now();
        let stats = self
            .store
            .backup(dir.clone())
            .await
            .map_err(|error| match error {
                // The caller's choice of name, not a fault of the server.
                StoreError::BackupExists { .. } => Status::already_exists(error.to_string()),
                StoreError::Backup { .. } => {
                    tracing::error!(%error, "backup failed");
                    Status::failed_precondition(error.to_string())
                }
                StoreError::Unsupported(_) => Status::unimplemented(error.to_string()),
                _ => {
                    tracing::error!(%error, "backup failed");
                    Status::internal(error.to_string())
                }
            })?;
        tracing::info!(
            directory = %dir.display(),
            bytes = stats.bytes,
            series = stats.series,
            took = ?started.elapsed(),
            "backup made"
        );
        Ok(Response::new(BackupResponse {
            directory: dir.display().to_string(),
            bytes: stats.bytes,
            series: stats.series,
            chunks: stats.chunks,
            model_records: stats.model_records,
        }))
    }
}

/// `name` if it is one plain directory name: it cannot reach outside
/// `--backup-dir`, whatever the caller sends.
fn checked_name(name: &str) -> Result<&str, Status> {
    let plain = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        Ok(name)
    } else {
        Err(Status::invalid_argument(format!(
            "backup name {}: use letters, digits, '-', '_' and '.' (not first), at most 100",
            mesh_timeseries::echo(name)
        )))
    }
}

/// `backup-YYYYMMDDTHHMMSSZ`, now, in UTC.
fn default_name() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64);
    match chrono::DateTime::from_timestamp(seconds, 0) {
        Some(now) => format!("backup-{}", now.format("%Y%m%dT%H%M%SZ")),
        None => format!("backup-{seconds}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_the_backup_directory() {
        for good in ["nightly", "2026-11-26", "a.b_c-1"] {
            assert!(checked_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "/abs",
            ".hidden",
            &"x".repeat(101),
        ] {
            assert!(checked_name(bad).is_err(), "{bad}");
        }
        assert!(default_name().starts_with("backup-20"));
    }
}
