//! `volue.mesh.grpc.time_series.v1alpha.TimeseriesService`: physical time
//! series addressed by key. Every change goes into the calling session's
//! workspace; reads see the session's own changes over the committed state.
//!
//! Not served yet (UNIMPLEMENTED): transformed reads and copying between
//! objects, which need the calculation engine and the model.

mod convert;

use std::sync::Arc;

use mesh_proto::time_series::timeseries_service_server::TimeseriesService;
use mesh_proto::time_series::{
    CreatePhysicalTimeseriesRequest, GetTimeseriesResourceRequest, ReadTimeseriesRequest,
    ReadTimeseriesResponse, ReadTimeseriesStreamRequest, Timeseries, TimeseriesResource,
    UpdateTimeseriesResourceRequest, UpdateTimeseriesResourceResponse, WriteTimeseriesRequest,
    WriteTimeseriesResponse,
};
use mesh_proto::types::{Resolution as ProtoResolution, UtcInterval};
use mesh_storage::{ChangeSet, Replace, SeriesMeta, TimeseriesStore};
use mesh_timeseries::{arrow_ipc, segment, CurveType, Point};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::auth::Identity;
use crate::guid;
use crate::session::{SessionLease, SessionManager};

/// Bytes of one point in the Arrow payload, to size answers before building them.
const BYTES_PER_POINT: usize = 20;
/// Room for the message around the points (schema, ids, interval).
const ANSWER_OVERHEAD: usize = 64 * 1024;

pub struct TimeseriesApi {
    sessions: Arc<SessionManager>,
    store: Arc<dyn TimeseriesStore>,
    /// The largest message a client is expected to accept.
    max_message_size: usize,
}

impl TimeseriesApi {
    pub fn new(
        sessions: Arc<SessionManager>,
        store: Arc<dyn TimeseriesStore>,
        max_message_size: usize,
    ) -> Self {
        TimeseriesApi {
            sessions,
            store,
            max_message_size,
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

/// The series as this session sees it: its own pending metadata, else the committed.
async fn series(
    store: &Arc<dyn TimeseriesStore>,
    changes: &Arc<ChangeSet>,
    key: i64,
) -> Result<SeriesMeta, Status> {
    let (store, changes) = (store.clone(), changes.clone());
    tokio::task::spawn_blocking(move || {
        mesh_storage::series_overlay(&*store, changes.get(key), key)
    })
    .await
    .map_err(|e| Status::internal(format!("lookup failed: {e}")))?
    .map_err(convert::storage_error)?
    .ok_or_else(|| Status::not_found(format!("time series with key {key} not found")))
}

/// Reads one series in `[start, end)` as the session sees it: one point per
/// step for fixed resolutions (missing steps as NaN flagged MISSING), stored
/// points for breakpoint series, and for piecewise linear curves also the
/// first point at or after `end`, to interpolate up to `end`.
async fn read_series(
    store: &Arc<dyn TimeseriesStore>,
    changes: &Arc<ChangeSet>,
    key: i64,
    (start, end): (i64, i64),
    max_message_size: usize,
) -> Result<Timeseries, Status> {
    let meta = series(store, changes, key).await?;
    let grid = convert::grid(&meta)?;
    let piecewise_linear = CurveType::from_proto(meta.curve_type).map(CurveType::reads_as)
        == Some(CurveType::PiecewiseLinear);
    let limit = max_message_size.saturating_sub(ANSWER_OVERHEAD) / BYTES_PER_POINT;
    let (store, changes) = (store.clone(), changes.clone());
    let breakpoint = grid.resolution().is_breakpoint();
    // A piecewise linear read also answers the point it interpolates up to
    // `end` towards: for a fixed resolution the step at (or just after)
    // `end`, filled like any other step; for breakpoints the first point
    // at or after `end`, wherever it is.
    let filled_end = match (piecewise_linear, grid.ceil(end)) {
        (true, Some(step)) => step.saturating_add(1),
        _ => end,
    };
    let points = tokio::task::spawn_blocking(move || -> Result<Vec<Point>, Status> {
        let pending = changes.get(key);
        if !breakpoint {
            // Refuse before reading: the bound may exceed the real count by a
            // few steps for calendar resolutions, hence the slack.
            let steps = grid.step_count_bound(start, filled_end);
            if steps > limit as u64 + mesh_timeseries::resolution::CALENDAR_BOUND_SLACK {
                return Err(too_large(steps, max_message_size));
            }
        }
        // Stored points are counted as they are read, so an answer too
        // large to send is refused before it is loaded whole.
        let stored: Vec<Point> =
            mesh_storage::read_overlay_at_most(&*store, pending, key, start, filled_end, limit)
                .map_err(convert::storage_error)?
                .ok_or_else(|| too_large_at_least(limit, max_message_size))?
                .into_iter()
                .map(convert::from_stored)
                .collect();
        let mut points = segment::fill(&stored, start, filled_end, &grid)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        if piecewise_linear && breakpoint {
            if let Some(next) = mesh_storage::first_at_or_after_overlay(&*store, pending, key, end)
                .map_err(convert::storage_error)?
            {
                points.push(convert::from_stored(next));
            }
        }
        if points.len() > limit {
            return Err(too_large(points.len() as u64, max_message_size));
        }
        Ok(points)
    })
    .await
    .map_err(|e| Status::internal(format!("read failed: {e}")))??;
    // A breakpoint read that found nothing has no interval of points to
    // report; clients take an absent interval to mean exactly that.
    let interval = (!(grid.resolution().is_breakpoint() && points.is_empty()))
        .then(|| UtcInterval::from_millis(start, end));
    Ok(Timeseries {
        id: Some(convert::read_id(key)),
        resolution: Some(ProtoResolution {
            r#type: meta.resolution,
        }),
        interval,
        data: arrow_ipc::encode(&points),
    })
}

fn too_large(points: u64, max_message_size: usize) -> Status {
    too_large_answer(&points.to_string(), max_message_size)
}

fn too_large_at_least(limit: usize, max_message_size: usize) -> Status {
    too_large_answer(&format!("more than {limit}"), max_message_size)
}

fn too_large_answer(points: &str, max_message_size: usize) -> Status {
    Status::resource_exhausted(format!(
        "the answer would hold {points} points, more than fit in one message of {max_message_size} bytes; read a shorter interval (the Rust SDK splits reads by itself)"
    ))
}

#[tonic::async_trait]
impl TimeseriesService for TimeseriesApi {
    async fn create_physical_timeseries(
        &self,
        request: Request<CreatePhysicalTimeseriesRequest>,
    ) -> Result<Response<TimeseriesResource>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let wanted = request.into_inner();
        convert::series_name(&wanted.name)?;
        convert::catalogue_path(&wanted.path)?;
        let curve = convert::curve_type(wanted.curve_type.as_ref())?;
        let resolution = convert::resolution(wanted.resolution.as_ref())?;
        let unit = convert::unit(wanted.unit_of_measurement_id.as_ref())?;
        let time_zone = convert::time_zone(wanted.time_zone.as_deref(), resolution)?;
        let mut meta = SeriesMeta {
            key: 0,
            path: wanted.path,
            name: wanted.name,
            curve_type: curve.to_proto(),
            resolution: resolution.to_proto(),
            unit_id: unit.id.to_bytes_le(),
            time_zone,
        };
        let mut workspace = lease.session().workspace().await;
        // No two series share a full path: not two in this session, nor one
        // here and one committed. (A path committed by another session after
        // this check is caught when this session commits.)
        let full_path = meta.full_path();
        if let Some(existing) = workspace.changes().series_at_path(&full_path) {
            return Err(convert::path_taken(&meta, existing));
        }
        let store = self.store.clone();
        let committed = tokio::task::spawn_blocking(move || store.series_at_path(&full_path))
            .await
            .map_err(|e| Status::internal(format!("lookup failed: {e}")))?
            .map_err(convert::storage_error)?;
        if let Some(existing) = committed {
            return Err(convert::path_taken(&meta, existing));
        }
        meta.key = self.store.allocate_key();
        workspace.changes_mut().create_series(meta.clone());
        Ok(Response::new(convert::resource(&meta)))
    }

    async fn get_timeseries_resource(
        &self,
        request: Request<GetTimeseriesResourceRequest>,
    ) -> Result<Response<TimeseriesResource>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let changes = lease.session().workspace().await.changes();
        let meta = series(
            &self.store,
            &changes,
            request.get_ref().timeseries_resource_key,
        )
        .await?;
        Ok(Response::new(convert::resource(&meta)))
    }

    async fn update_timeseries_resource(
        &self,
        request: Request<UpdateTimeseriesResourceRequest>,
    ) -> Result<Response<UpdateTimeseriesResourceResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let update = request.into_inner();
        // An empty mask changes nothing: the official SDK sends one when asked
        // to update nothing. The series must still exist.
        let paths = update.field_mask.map(|mask| mask.paths).unwrap_or_default();
        let mut workspace = lease.session().workspace().await;
        let mut meta = series(
            &self.store,
            &workspace.changes(),
            update.timeseries_resource_key,
        )
        .await?;
        if paths.is_empty() {
            return Ok(Response::new(UpdateTimeseriesResourceResponse {}));
        }
        let resolution = convert::resolution(Some(&ProtoResolution {
            r#type: meta.resolution,
        }))?;
        for path in &paths {
            match path.as_str() {
                "new_curve_type" => meta.curve_type = convert::curve_type(update.new_curve_type.as_ref())?.to_proto(),
                "new_unit_of_measurement_id" => {
                    meta.unit_id = convert::unit(update.new_unit_of_measurement_id.as_ref())?.id.to_bytes_le()
                }
                "new_time_zone" => meta.time_zone = convert::time_zone(Some(&update.new_time_zone), resolution)?,
                other => {
                    return Err(Status::invalid_argument(format!(
                        "field_mask path '{}' cannot be updated; use new_curve_type, new_unit_of_measurement_id or new_time_zone",
                        mesh_timeseries::echo(other)
                    )))
                }
            }
        }
        workspace.changes_mut().update_meta(meta);
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
        let key = convert::series_key(series_in.id.as_ref())?;
        let (start, end) = convert::interval(series_in.interval.as_ref())?;
        let points = arrow_ipc::decode(&series_in.data)
            .map_err(|e| Status::invalid_argument(format!("the points cannot be read: {e}")))?;

        let mut workspace = lease.session().workspace().await;
        let meta = series(&self.store, &workspace.changes(), key).await?;
        if let Some(sent) = series_in.resolution.filter(|r| r.r#type != 0) {
            if sent.r#type != meta.resolution {
                return Err(Status::invalid_argument(format!(
                    "the request's resolution {} is not the series' resolution {}",
                    convert::resolution(Some(&sent))
                        .map(|r| r.to_string())
                        .unwrap_or_else(|_| sent.r#type.to_string()),
                    convert::resolution(Some(&ProtoResolution {
                        r#type: meta.resolution
                    }))?
                )));
            }
        }
        segment::validate_write(&points, start, end, &convert::grid(&meta)?)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        workspace.changes_mut().replace_points(
            key,
            Replace {
                start_ms: start,
                end_ms: end,
                points: points.into_iter().map(convert::to_stored).collect(),
            },
        );
        Ok(Response::new(WriteTimeseriesResponse {}))
    }

    async fn read_timeseries(
        &self,
        request: Request<ReadTimeseriesRequest>,
    ) -> Result<Response<ReadTimeseriesResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let key = convert::series_key(request.get_ref().timeseries_id.as_ref())?;
        let interval = convert::interval(request.get_ref().interval.as_ref())?;
        let workspace = lease.session().workspace().await;
        let series = read_series(
            &self.store,
            &workspace.changes(),
            key,
            interval,
            self.max_message_size,
        )
        .await?;
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
        let keys = wanted
            .timeseries_ids
            .iter()
            .map(|id| convert::series_key(Some(id)))
            .collect::<Result<Vec<_>, _>>()?;
        let interval = convert::interval(wanted.interval.as_ref())?;
        let (store, max_message_size) = (self.store.clone(), self.max_message_size);
        // One answer per series, produced as the client takes them; the
        // lease keeps the session alive until the last one is sent.
        let (sender, receiver) = tokio::sync::mpsc::channel(2);
        tokio::spawn(async move {
            for key in keys {
                let changes = lease.session().workspace().await.changes();
                let answer = read_series(&store, &changes, key, interval, max_message_size)
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
}
