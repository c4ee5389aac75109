//! `mesh_rs.history.v1.HistoryService` (a mesh-rs extension): the
//! committed writes of a series, with who made each, which no call of the
//! Mesh API answers. A thin adapter: the listing and its rules are
//! [`SessionView::list_writes`]'s.

use std::sync::Arc;

use mesh_proto::history::history_service_server::HistoryService;
use mesh_proto::history::{ListWritesRequest, ListWritesResponse, Write};
use mesh_proto::types::UtcInterval;
use mesh_storage::StoreHandle;
use tonic::{Request, Response, Status};

use crate::auth::Identity;
use crate::calc::CalcSettings;
use crate::guid;
use crate::services::time_series::{address, convert, Use};
use crate::session::SessionManager;
use crate::view::{ListedWrite, SessionView, MAX_LISTED_WRITES};

/// The history service over the session manager and the store.
pub struct HistoryApi {
    sessions: Arc<SessionManager>,
    store: StoreHandle,
    /// Only to address series as the time series service does (a
    /// calculated attribute is named, then refused: it has no history).
    calc: Arc<CalcSettings>,
}

impl HistoryApi {
    /// The service.
    pub fn new(sessions: Arc<SessionManager>, store: StoreHandle, calc: Arc<CalcSettings>) -> Self {
        HistoryApi {
            sessions,
            store,
            calc,
        }
    }
}

#[tonic::async_trait]
impl HistoryService for HistoryApi {
    async fn list_writes(
        &self,
        request: Request<ListWritesRequest>,
    ) -> Result<Response<ListWritesResponse>, Status> {
        let id = guid::required(request.get_ref().session_id.as_ref(), "session_id")?;
        let lease = self.sessions.acquire(id, &Identity::of(&request))?;
        let wanted = request.get_ref();
        let interval = convert::interval(wanted.interval.as_ref())?;
        let max = match wanted.max_writes {
            0 => MAX_LISTED_WRITES,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let series = address(&lease, wanted.series.as_ref(), Use::Read, &self.calc).await?;
        if series.calculated.is_some() {
            let path = series.through.map(|(_, path)| path).unwrap_or_default();
            return Err(Status::invalid_argument(format!(
                "attribute {path} is calculated: history is kept of stored series only"
            )));
        }
        // Requests of one session run one at a time: the workspace stays
        // locked until the answer is built, as for reads.
        let workspace = lease.session().workspace().await;
        let view = SessionView::new(self.store.clone(), workspace.changes());
        let listing = view.list_writes(series.key, interval, max).await?;
        drop(workspace);
        Ok(Response::new(ListWritesResponse {
            writes: listing.writes.into_iter().map(to_proto).collect(),
            more: listing.more,
        }))
    }
}

fn to_proto(listed: ListedWrite) -> Write {
    let write = listed.write;
    Write {
        commit_seq: write.seq,
        part: write.part,
        commit_time: Some(mesh_proto::timestamp_from_millis(write.commit_ms)),
        author: listed.author.unwrap_or_default(),
        interval: Some(UtcInterval::from_millis(write.start_ms, write.end_ms)),
        points_written: listed.points,
    }
}
