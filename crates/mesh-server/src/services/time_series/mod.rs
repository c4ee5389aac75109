//! `volue.mesh.grpc.time_series.v1alpha.TimeseriesService`: physical time
//! series addressed by key. A thin adapter: requests become calls on the
//! session view (`crate::view`), which holds every rule; answers go back
//! as proto messages.
//!
//! Not served (UNIMPLEMENTED, saying why): transformed reads and copying
//! between objects. Their public descriptions leave too much open to do
//! them right: transformed reads name the server's local time zone and an
//! "implicit" method chosen by series type without saying which; copying
//! matches series by scenario conventions and mapping searches, and copies
//! from expressions, which need calculations.

pub mod convert;
mod transformed;

use std::sync::Arc;

use mesh_proto::time_series::timeseries_service_server::TimeseriesService;
use mesh_proto::time_series::{
    CopyTimeseriesBetweenObjectsRequest, CopyTimeseriesBetweenObjectsResponse,
    CreatePhysicalTimeseriesRequest, GetTimeseriesResourceRequest, ReadTimeseriesRequest,
    ReadTimeseriesResponse, ReadTimeseriesStreamRequest, ReadTransformedTimeseriesRequest,
    Timeseries, TimeseriesResource, UpdateTimeseriesResourceRequest,
    UpdateTimeseriesResourceResponse, WriteTimeseriesRequest, WriteTimeseriesResponse,
};
use mesh_proto::types::MeshId;
use mesh_storage::StoreHandle;
use mesh_timeseries::arrow_ipc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Identity;
use crate::calc::{self, CalcSettings};
use crate::guid;
use crate::services::status::OrStatus;
use crate::session::{SessionLease, SessionManager};
use crate::view::{NewSeries, ReadLimit, SessionEdit, SessionView};

/// Bytes of one point in the Arrow payload, to size answers before building them.
const BYTES_PER_POINT: usize = 20;
/// Room for the message around the points (schema, ids, interval).
const ANSWER_OVERHEAD: usize = 64 * 1024;

/// The most points one answer may carry in `max_message_size` bytes.
pub fn read_limit(max_message_size: usize) -> ReadLimit {
    ReadLimit {
        max_points: max_message_size.saturating_sub(ANSWER_OVERHEAD) / BYTES_PER_POINT,
        message_bytes: max_message_size,
    }
}

/// The time-series service over the session manager and the store.
pub struct TimeseriesApi {
    sessions: Arc<SessionManager>,
    store: StoreHandle,
    /// The most points one answer may carry, and the message they fit in.
    limit: ReadLimit,
    /// Bounds and zones of calculated attributes' reads.
    calc: Arc<CalcSettings>,
}

impl TimeseriesApi {
    /// The service; answers must fit in `max_message_size` bytes.
    pub fn new(
        sessions: Arc<SessionManager>,
        store: StoreHandle,
        max_message_size: usize,
        calc: Arc<CalcSettings>,
    ) -> Self {
        TimeseriesApi {
            sessions,
            store,
            limit: read_limit(max_message_size),
            calc,
        }
    }

    fn lease<T>(
        &self,
        request: &Request<T>,
        session_id: Option<&mesh_proto::types::Guid>,
    ) -> Result<SessionLease, Status> {
        let id = guid::required(session_id, "session_id")?;
        Ok(self.sessions.acquire(id, &Identity::of(request))?)
    }
}

/// One series read as the session sees it, as a proto message: a
/// physical series' points, or a calculated attribute's result.
async fn read_series(
    view: &SessionView,
    series: &Addressed,
    interval: (i64, i64),
    limit: ReadLimit,
    calc: &Arc<CalcSettings>,
) -> Result<Timeseries, Status> {
    if let Some((model, settings)) = &series.calculated {
        let (attribute, path) = series.through.clone().unwrap_or_default();
        let result =
            calc::attribute(view, model.clone(), attribute, interval, settings.clone()).await?;
        crate::services::calc::check_size(result.len(), settings)?;
        let mut answer = crate::services::calc::result_series(
            &result,
            mesh_calc::Interval::new(interval.0, interval.1),
        );
        // Read through the attribute, it is named as a physical read names
        // it (key 0, id and path).
        answer.id = Some(MeshId {
            id: Some(guid::to_proto(attribute)),
            path: Some(path),
            timeseries_key: Some(0),
        });
        return Ok(answer);
    }
    let mut answer = view.read(series.key, interval, limit).await?;
    if let Some(expression) = answer.meta.virtual_expression.clone() {
        let result =
            calc::virtual_series(view, series.key, expression, interval, calc.clone()).await?;
        crate::services::calc::check_size(result.len(), calc)?;
        answer.meta.resolution = result.resolution();
        answer.interval = Some(interval);
        answer.points = result.points();
    }
    Ok(convert::timeseries(
        series.key,
        series.through.as_ref(),
        &answer,
    ))
}

/// A series as a request names it: its key, and the attribute it was
/// reached through (id and path), if any; for a calculated attribute (key
/// 0), the model its expression is evaluated in.
pub(crate) struct Addressed {
    /// The series' key; 0 for a calculated attribute.
    pub key: i64,
    /// The attribute it was reached through: id and path.
    pub through: Option<(Uuid, String)>,
    /// For a calculated attribute, the model and settings to evaluate it.
    pub calculated: Option<(Arc<mesh_model::Model>, Arc<CalcSettings>)>,
}

/// What a call does with the series it names.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// Reads it: a calculated attribute is evaluated.
    Read,
    /// Writes it: a physical series is needed.
    Write,
}

/// The series `id` names, through the model as the session sees it when
/// it names a time series attribute.
pub(crate) async fn address(
    lease: &SessionLease,
    id: Option<&MeshId>,
    usage: Use,
    calc: &Arc<CalcSettings>,
) -> Result<Addressed, Status> {
    let attribute = match convert::series_id(id)? {
        convert::SeriesId::Key(key) => {
            return Ok(Addressed {
                key,
                through: None,
                calculated: None,
            })
        }
        convert::SeriesId::Attribute(attribute) => attribute,
    };
    let model = crate::services::model::view(lease).await;
    let found =
        crate::services::model::target::attribute(&model, Some(&attribute), "timeseries_id")?;
    let found = model.find_attribute(found).or_status()?;
    let path = model.attribute_path(found.slot.id).or_status()?;
    if !matches!(
        found.attribute_type.kind,
        mesh_model::TypeKind::Timeseries { .. }
    ) {
        return Err(Status::invalid_argument(format!(
            "Invalid type: attribute {path} is not a time series attribute"
        )));
    }
    let (key, local) = found.slot.timeseries();
    if key != 0 {
        return Ok(Addressed {
            key,
            through: Some((found.slot.id, path)),
            calculated: None,
        });
    }
    // A write needs a physical series, whatever the attribute computes:
    // refused in the reference's words, which the official SDK's tests
    // expect.
    if usage == Use::Write {
        return Err(Status::failed_precondition(format!(
            "target time series is not connected to a physical time series nor marked as session series: attribute {path}"
        )));
    }
    let template = match &found.definition.rules {
        mesh_model::DefinitionRules::Timeseries {
            template_expression,
        } => template_expression.as_str(),
        _ => "",
    };
    if local.is_some_and(|l| !l.trim().is_empty()) || !template.trim().is_empty() {
        let id = found.slot.id;
        return Ok(Addressed {
            key: 0,
            through: Some((id, path)),
            calculated: Some((model.clone(), calc.clone())),
        });
    }
    Err(Status::failed_precondition(format!(
        "attribute {path} is not connected to a time series: connect one with UpdateTimeseriesAttribute"
    )))
}

#[tonic::async_trait]
impl TimeseriesService for TimeseriesApi {
    async fn create_physical_timeseries(
        &self,
        request: Request<CreatePhysicalTimeseriesRequest>,
    ) -> Result<Response<TimeseriesResource>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let wanted = request.into_inner();
        let new = NewSeries {
            curve_type: convert::curve_type(wanted.curve_type.as_ref())?,
            resolution: convert::resolution(wanted.resolution.as_ref())?,
            unit_id: guid::required(
                wanted.unit_of_measurement_id.as_ref(),
                "unit of measurement id",
            )?,
            time_zone: wanted.time_zone,
            virtual_expression: None,
            path: wanted.path,
            name: wanted.name,
        };
        let mut workspace = lease.session().workspace().await;
        let meta = SessionEdit::new(&self.store, &mut workspace)
            .create_series(new)
            .await?;
        Ok(Response::new(convert::resource(&meta)))
    }

    async fn get_timeseries_resource(
        &self,
        request: Request<GetTimeseriesResourceRequest>,
    ) -> Result<Response<TimeseriesResource>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let changes = lease.session().workspace().await.changes();
        let meta = SessionView::new(self.store.clone(), changes)
            .series(request.get_ref().timeseries_resource_key)
            .await?;
        Ok(Response::new(convert::resource(&meta)))
    }

    async fn update_timeseries_resource(
        &self,
        request: Request<UpdateTimeseriesResourceRequest>,
    ) -> Result<Response<UpdateTimeseriesResourceResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let update = request.into_inner();
        let key = update.timeseries_resource_key;
        let changes = convert::series_update(update)?;
        let mut workspace = lease.session().workspace().await;
        SessionEdit::new(&self.store, &mut workspace)
            .update_series(key, changes)
            .await?;
        Ok(Response::new(UpdateTimeseriesResourceResponse {}))
    }

    async fn write_timeseries(
        &self,
        request: Request<WriteTimeseriesRequest>,
    ) -> Result<Response<WriteTimeseriesResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let series_in = request
            .into_inner()
            .timeseries
            .ok_or_else(|| Status::invalid_argument("the request carries no time series"))?;
        let key = address(&lease, series_in.id.as_ref(), Use::Write, &self.calc)
            .await?
            .key;
        let interval = convert::interval(series_in.interval.as_ref())?;
        let resolution = convert::sent_resolution(series_in.resolution.as_ref())?;
        // Decoded before the session is locked: the payload is the client's
        // alone, and decoding it is the costly part.
        let points = arrow_ipc::decode(&series_in.data)
            .map_err(|e| Status::invalid_argument(format!("the points cannot be read: {e}")))?;
        let mut workspace = lease.session().workspace().await;
        SessionEdit::new(&self.store, &mut workspace)
            .write_points(key, interval, resolution, points)
            .await?;
        Ok(Response::new(WriteTimeseriesResponse {}))
    }

    async fn read_timeseries(
        &self,
        request: Request<ReadTimeseriesRequest>,
    ) -> Result<Response<ReadTimeseriesResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let series = address(
            &lease,
            request.get_ref().timeseries_id.as_ref(),
            Use::Read,
            &self.calc,
        )
        .await?;
        let interval = convert::interval(request.get_ref().interval.as_ref())?;
        // Requests of one session run one at a time, reads included: the
        // workspace stays locked until the answer is built.
        let workspace = lease.session().workspace().await;
        let view = SessionView::new(self.store.clone(), workspace.changes());
        let series = read_series(&view, &series, interval, self.limit, &self.calc).await?;
        drop(workspace);
        Ok(Response::new(ReadTimeseriesResponse {
            timeseries: vec![series],
        }))
    }

    async fn read_timeseries_stream(
        &self,
        request: Request<ReadTimeseriesStreamRequest>,
    ) -> Result<Response<tonic::codegen::BoxStream<ReadTimeseriesResponse>>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let wanted = request.into_inner();
        let mut keys = Vec::with_capacity(wanted.timeseries_ids.len());
        for id in &wanted.timeseries_ids {
            keys.push(address(&lease, Some(id), Use::Read, &self.calc).await?);
        }
        let interval = convert::interval(wanted.interval.as_ref())?;
        let (store, limit, calc) = (self.store.clone(), self.limit, self.calc.clone());
        // One answer per series, produced as the client takes them; the
        // lease keeps the session alive until the last one is sent.
        let (sender, receiver) = tokio::sync::mpsc::channel(2);
        tokio::spawn(async move {
            for series in keys {
                let changes = lease.session().workspace().await.changes();
                let view = SessionView::new(store.clone(), changes);
                let answer = read_series(&view, &series, interval, limit, &calc)
                    .await
                    .map(|series| ReadTimeseriesResponse {
                        timeseries: vec![series],
                    });
                let failed = answer.is_err();
                if sender.send(answer).await.is_err() || failed {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn read_transformed_timeseries(
        &self,
        request: Request<ReadTransformedTimeseriesRequest>,
    ) -> Result<Response<tonic::codegen::BoxStream<ReadTimeseriesResponse>>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let wanted = request.into_inner();
        let mut jobs = Vec::with_capacity(wanted.requests.len());
        for single in &wanted.requests {
            jobs.push(transformed::job(&lease, single, &self.calc).await?);
        }
        let (store, calc) = (self.store.clone(), self.calc.clone());
        // As ReadTimeseriesStream: one answer per request, produced as the
        // client takes them.
        let (sender, receiver) = tokio::sync::mpsc::channel(2);
        tokio::spawn(async move {
            for job in jobs {
                let changes = lease.session().workspace().await.changes();
                let view = SessionView::new(store.clone(), changes);
                let answer = transformed::run(&lease, &view, job, calc.clone()).await;
                let failed = answer.is_err();
                if sender.send(answer).await.is_err() || failed {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn copy_timeseries_between_objects(
        &self,
        _request: Request<CopyTimeseriesBetweenObjectsRequest>,
    ) -> Result<Response<CopyTimeseriesBetweenObjectsResponse>, Status> {
        Err(Status::unimplemented(
            "CopyTimeseriesBetweenObjects is not served: its matching of series (scenario conventions, mapping searches) is not described fully, and copying from expressions needs calculations, which are not served yet",
        ))
    }
}
