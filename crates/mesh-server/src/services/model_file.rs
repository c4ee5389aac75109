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
use crate::view::{NewSeries, SessionEdit, SessionView, ViewError};
use mesh_model::file::ExportError;
use mesh_model::Change;
use mesh_storage::StoreHandle;
use mesh_timeseries::{echo, CurveType, Resolution};

/// The model file service over the session manager.
pub struct ModelFileApi {
    sessions: Arc<SessionManager>,
    store: StoreHandle,
    /// The largest message the server sends (`--max-message-size`).
    max_message_size: usize,
}

impl ModelFileApi {
    /// The service; answers are at most `max_message_size` bytes.
    pub fn new(sessions: Arc<SessionManager>, store: StoreHandle, max_message_size: usize) -> Self {
        ModelFileApi {
            sessions,
            store,
            max_message_size,
        }
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
        let virtual_series = imported
            .virtual_series
            .iter()
            .enumerate()
            .map(|(i, entry)| new_virtual_series(name, i, entry))
            .collect::<Result<Vec<_>, _>>()?;
        // The model first: a refused model leaves the session's series as
        // they were. A refused series then undoes nothing of the model, so
        // every series is checked before any is made (names, units, zones,
        // expressions here; free paths when made).
        workspace
            .model
            .apply_all(committed, imported.changes)
            .or_status()?;
        let mut edit = SessionEdit::new(&self.store, &mut workspace);
        for (i, series) in virtual_series.into_iter().enumerate() {
            edit.create_series(series).await.map_err(|e| {
                let status = Status::from(e);
                Status::new(
                    status.code(),
                    format!("{name}: virtual_series[{i}]: {}", status.message()),
                )
            })?;
        }
        Ok(Response::new(answer))
    }

    async fn export_model_file(
        &self,
        request: Request<ExportModelFileRequest>,
    ) -> Result<Response<ExportModelFileResponse>, Status> {
        let id = guid::required(request.get_ref().session_id.as_ref(), "session_id")?;
        let lease = self.sessions.acquire(id, &Identity::of(&request))?;
        let model = view(&lease).await;
        // The answer is the text and a few bytes of framing (a tag and a
        // length of at most five bytes): a text that cannot fit is refused
        // while it is written, before the answer is built.
        let room = self.max_message_size.saturating_sub(6);
        let content = mesh_model::file::export(&model, &request.get_ref().models, room)
            .map_err(|error| match error {
                ExportError::NotFound(message) => Status::not_found(message),
                ExportError::TooDeep(message) => Status::failed_precondition(message),
                ExportError::TooLarge { .. } => Status::resource_exhausted(format!(
                    "the model file is larger than this server's limit of {} bytes per message (--max-message-size); \
                     export fewer models at a time (name them in `models`), or start the server with a larger --max-message-size",
                    self.max_message_size
                )),
                ExportError::Write(message) => Status::internal(message),
            })?;
        Ok(Response::new(ExportModelFileResponse { content }))
    }
}

/// Entry `i` of a file's virtual series as a new series, its names read.
fn new_virtual_series(
    file: &str,
    i: usize,
    entry: &mesh_model::file::VirtualSeriesEntry,
) -> Result<NewSeries, Status> {
    let refuse = |field: &str, reason: String| {
        Status::invalid_argument(format!("{file}: virtual_series[{i}].{field}: {reason}"))
    };
    let resolution = Resolution::ALL
        .into_iter()
        .find(|r| r.name().eq_ignore_ascii_case(&entry.resolution))
        .ok_or_else(|| {
            let names: Vec<&str> = Resolution::ALL.iter().map(|r| r.name()).collect();
            refuse(
                "resolution",
                format!("expected one of {}", names.join(", ")),
            )
        })?;
    let curve_type = [
        CurveType::StaircaseStartOfStep,
        CurveType::PiecewiseLinear,
        CurveType::Staircase,
    ]
    .into_iter()
    .find(|c| c.name().eq_ignore_ascii_case(&entry.curve_type))
    .ok_or_else(|| {
        refuse(
            "curve_type",
            "expected STAIRCASESTARTOFSTEP, PIECEWISELINEAR or STAIRCASE".to_string(),
        )
    })?;
    let unit = mesh_model::units::by_name(&entry.unit).ok_or_else(|| {
        refuse(
            "unit",
            format!(
                "'{}' is no unit of measurement the server lists",
                echo(&entry.unit)
            ),
        )
    })?;
    Ok(NewSeries {
        path: entry.path.clone(),
        name: entry.name.clone(),
        curve_type,
        resolution,
        unit_id: unit.id,
        time_zone: entry.time_zone.clone(),
        virtual_expression: Some(entry.expression.clone()),
    })
}
