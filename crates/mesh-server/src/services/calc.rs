//! `volue.mesh.grpc.calc.v1alpha.CalculationService`: expressions
//! evaluated relative to an object, an attribute or a series. A thin
//! adapter over [`crate::calc`]; the answer's shape follows the result's
//! type (series, numbers, texts), as the official SDK reads it.

use std::sync::Arc;

use mesh_calc::{Interval, Series, Value};
use mesh_model::Model;
use mesh_proto::calc::calculation_response::CalculationResultOneof;
use mesh_proto::calc::calculation_service_server::CalculationService;
use mesh_proto::calc::{CalculationRequest, CalculationResponse, NumericResults, StringResults};
use mesh_proto::time_series::{ReadTimeseriesResponse, Timeseries};
use mesh_proto::types::{MeshId, Resolution as ProtoResolution, UtcInterval};
use mesh_storage::StoreHandle;
use mesh_timeseries::arrow_ipc;
use tonic::{Request, Response, Status};

use crate::auth::Identity;
use crate::calc::{self, CalcSettings, Target};
use crate::guid;
use crate::services::model::target;
use crate::services::time_series::convert;
use crate::session::SessionManager;
use crate::view::SessionView;

/// The calculation service over the session manager and the store.
pub struct CalculationApi {
    sessions: Arc<SessionManager>,
    store: StoreHandle,
    settings: Arc<CalcSettings>,
}

impl CalculationApi {
    /// The service, evaluating within `settings`.
    pub fn new(
        sessions: Arc<SessionManager>,
        store: StoreHandle,
        settings: Arc<CalcSettings>,
    ) -> Self {
        CalculationApi {
            sessions,
            store,
            settings,
        }
    }
}

/// What `relative_to` names: a series key, else an object or an
/// attribute of the session's model; absent (or naming nothing), nothing
/// (docs/decisions.md).
pub fn relative_to(model: &Model, id: Option<&MeshId>) -> Result<Target, Status> {
    let Some(id) = id else {
        return Ok(Target::Nothing);
    };
    if let Some(key) = id.timeseries_key.filter(|k| *k != 0) {
        return Ok(Target::Key(key));
    }
    if id.id.is_none() && id.path.is_none() {
        return Ok(Target::Nothing);
    }
    match target::object(model, Some(id), "relative_to") {
        Ok(object) => Ok(Target::Object(object)),
        Err(_) => target::attribute(model, Some(id), "relative_to").map(Target::Attribute),
    }
}

/// A calculated series as the SDK recognises one: no id (so it is known
/// as a calculation result), the points as Arrow data.
pub fn result_series(series: &Series, interval: Interval) -> Timeseries {
    Timeseries {
        id: None,
        resolution: Some(ProtoResolution {
            r#type: series.resolution().to_proto(),
        }),
        interval: Some(UtcInterval::from_millis(interval.start_ms, interval.end_ms)),
        data: arrow_ipc::encode(&series.points()),
    }
}

/// Refuses an answer of more points than one message carries, before it
/// is encoded.
pub fn check_size(points: usize, settings: &CalcSettings) -> Result<(), Status> {
    let limit = settings.read_limit;
    if points > limit.max_points {
        return Err(Status::resource_exhausted(format!(
            "the result holds {points} points, more than fit in one message of {} bytes; calculate over a shorter interval",
            limit.message_bytes
        )));
    }
    Ok(())
}

fn response(
    value: Option<Value>,
    interval: Interval,
    settings: &CalcSettings,
) -> Result<CalculationResponse, Status> {
    let series = |all: &[Series]| -> Result<CalculationResultOneof, Status> {
        check_size(all.iter().map(Series::len).sum(), settings)?;
        Ok(CalculationResultOneof::TimeseriesResults(
            ReadTimeseriesResponse {
                timeseries: all.iter().map(|s| result_series(s, interval)).collect(),
            },
        ))
    };
    let result = match value {
        // No `##`: nothing to answer, which clients read as no series.
        None => None,
        Some(Value::Series(s)) => Some(series(std::slice::from_ref(&s))?),
        Some(Value::SeriesArray(all)) => Some(series(&all)?),
        Some(Value::Number(x)) => Some(CalculationResultOneof::NumericResults(NumericResults {
            value: vec![x],
        })),
        Some(Value::Numbers(value)) => {
            check_size(value.len(), settings)?;
            Some(CalculationResultOneof::NumericResults(NumericResults {
                value,
            }))
        }
        Some(Value::String(s)) => Some(CalculationResultOneof::StringResults(StringResults {
            value: vec![s],
        })),
        Some(Value::Strings(value)) => {
            check_size(value.len(), settings)?;
            Some(CalculationResultOneof::StringResults(StringResults {
                value,
            }))
        }
    };
    Ok(CalculationResponse {
        calculation_result_oneof: result,
    })
}

#[tonic::async_trait]
impl CalculationService for CalculationApi {
    async fn run_calculation(
        &self,
        request: Request<CalculationRequest>,
    ) -> Result<Response<CalculationResponse>, Status> {
        let id = guid::required(request.get_ref().session_id.as_ref(), "session_id")?;
        let lease = self.sessions.acquire(id, &Identity::of(&request))?;
        let wanted = request.into_inner();
        let (start, end) = convert::interval(wanted.interval.as_ref())?;
        // One request of a session at a time: the workspace stays locked
        // while the expression reads what the session sees.
        let session = lease.session();
        let mut workspace = session.workspace().await;
        let model = crate::services::model::view_of(&mut workspace, session);
        let target = relative_to(&model, wanted.relative_to.as_ref())?;
        let view = SessionView::new(self.store.clone(), workspace.changes());
        let value = calc::run(
            &view,
            model,
            target,
            wanted.expression,
            (start, end),
            self.settings.clone(),
        )
        .await?;
        drop(workspace);
        Ok(Response::new(response(
            value,
            Interval::new(start, end),
            &self.settings,
        )?))
    }
}
