//! `mesh_rs.model_file.v1.ModelFileService` (a mesh-rs extension): a whole
//! model in one file, imported into or exported from the session's model.
//! The format and its rules are `mesh_model::file`'s.

use std::sync::Arc;

use mesh_proto::model_file::model_file_service_server::ModelFileService;
use mesh_proto::model_file::{
    ExportModelFileRequest, ExportModelFileResponse, ImportModelFileRequest,
    ImportModelFileResponse,
};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Identity;
use crate::guid;
use crate::services::model::view;
use crate::services::status::OrStatus;
use crate::session::SessionManager;
use crate::view::{SessionView, ViewError};
use mesh_model::Change;
use mesh_storage::StoreHandle;

/// The model file service over the session manager.
pub struct ModelFileApi {
    sessions: Arc<SessionManager>,
    store: StoreHandle,
}

impl ModelFileApi {
    /// The service.
    pub fn new(sessions: Arc<SessionManager>, store: StoreHandle) -> Self {
        ModelFileApi { sessions, store }
    }
}

#[tonic::async_trait]
impl ModelFileService for ModelFileApi {
    async fn import_model_file(
        &self,
        request: Request<ImportModelFileRequest>,
    ) -> Result<Response<ImportModelFileResponse>, Status> {
        let id = guid::required(request.get_ref().session_id.as_ref(), "session_id")?;
        let lease = self.sessions.acquire(id, &Identity::of(&request))?;
        let request = request.get_ref();
        let session = lease.session();
        let mut workspace = session.workspace().await;
        let committed = &session.model().committed;
        let model = workspace.model.view(committed);
        let name = if request.file_name.is_empty() {
            "model file"
        } else {
            request.file_name.as_str()
        };
        let imported = mesh_model::file::import(&model, name, &request.content, &mut Uuid::new_v4)
            .map_err(|error| Status::invalid_argument(error.to_string()))?;
        // Series the file connects attributes to must exist, as the
        // session sees them: the model does not know the series.
        let view = SessionView::new(self.store.clone(), workspace.changes());
        for change in &imported.changes {
            if let Change::SetTimeseriesAttribute { key: Some(key), .. } = change {
                if *key != 0 && matches!(view.series(*key).await, Err(ViewError::NotFound(_))) {
                    return Err(Status::invalid_argument(format!(
                        "{name}: a time series attribute names time series key {key}, which is not found"
                    )));
                }
            }
        }
        let answer = ImportModelFileResponse {
            model_definitions: imported.model_definitions as i64,
            models: imported.models as i64,
            objects: imported.objects as i64,
        };
        workspace
            .model
            .apply_all(committed, imported.changes)
            .or_status()?;
        Ok(Response::new(answer))
    }

    async fn export_model_file(
        &self,
        request: Request<ExportModelFileRequest>,
    ) -> Result<Response<ExportModelFileResponse>, Status> {
        let id = guid::required(request.get_ref().session_id.as_ref(), "session_id")?;
        let lease = self.sessions.acquire(id, &Identity::of(&request))?;
        let model = view(&lease).await;
        let content = mesh_model::file::export(&model, &request.get_ref().models)
            .map_err(Status::not_found)?;
        Ok(Response::new(ExportModelFileResponse { content }))
    }
}
