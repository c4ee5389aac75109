//! Model files on [`Session`]: a whole model in one JSON file (the format
//! is `docs/model-file.md`), through mesh-rs's `ModelFileService`.

use std::path::Path;

use mesh_proto::model_file::model_file_service_client::ModelFileServiceClient;
use mesh_proto::model_file::{ExportModelFileRequest, ImportModelFileRequest};

use crate::connection::Transport;
use crate::error::{Error, Result};
use crate::guid;
use crate::session::Session;

/// What an import made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// Model definitions made.
    pub model_definitions: i64,
    /// Models made.
    pub models: i64,
    /// Objects made (models not counted).
    pub objects: i64,
}

impl Session {
    /// Makes everything the model file `content` describes in this session,
    /// keeping the ids it gives: all of it, or (refused, with the place in
    /// the file and the reason, named after `file_name`) none of it.
    /// [`Session::commit`] keeps it.
    pub async fn import_model_file(&self, file_name: &str, content: &str) -> Result<Imported> {
        let id = self.open_id()?;
        let answer = self
            .model_file_client()
            .import_model_file(ImportModelFileRequest {
                session_id: Some(guid::to_proto(id)),
                file_name: file_name.to_string(),
                content: content.to_string(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        Ok(Imported {
            model_definitions: answer.model_definitions,
            models: answer.models,
            objects: answer.objects,
        })
    }

    /// [`Session::import_model_file`] of the file at `path`.
    pub async fn import_model_file_from(&self, path: impl AsRef<Path>) -> Result<Imported> {
        let path = path.as_ref().to_path_buf();
        let name = path.display().to_string();
        // Read off the async workers: a file may sit on a slow disk.
        let content = tokio::task::spawn_blocking(move || std::fs::read_to_string(&path))
            .await
            .map_err(|e| Error::InvalidArgument(format!("cannot read {name}: {e}")))?
            .map_err(|e| Error::InvalidArgument(format!("cannot read {name}: {e}")))?;
        self.import_model_file(&name, &content).await
    }

    /// The model file of the models named (every model and model
    /// definition when `models` is empty), as this session sees them.
    pub async fn export_model_file(&self, models: &[&str]) -> Result<String> {
        let id = self.open_id()?;
        let answer = self
            .model_file_client()
            .export_model_file(ExportModelFileRequest {
                session_id: Some(guid::to_proto(id)),
                models: models.iter().map(|m| m.to_string()).collect(),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        Ok(answer.content)
    }

    fn model_file_client(&self) -> ModelFileServiceClient<Transport> {
        // A whole model in one answer; the server bounds it by its own limit.
        ModelFileServiceClient::new(self.connection().transport())
            .max_decoding_message_size(usize::MAX)
    }
}
