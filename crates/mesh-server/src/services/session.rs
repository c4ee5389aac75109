//! `volue.mesh.grpc.session.v1alpha.SessionService`.

use std::sync::Arc;

use mesh_model::ModelError;
use mesh_proto::session::session_service_server::SessionService;
use mesh_proto::session::{
    CommitResponse, EndSessionResponse, ExtendSessionResponse, RollbackResponse,
    StartSessionResponse,
};
use mesh_proto::types::Guid;
use mesh_storage::StoreHandle;
use tonic::{Request, Response, Status};

use crate::auth::Identity;
use crate::guid;
use crate::session::{CommitError, SessionLease, SessionManager};
use crate::view::ViewError;

pub struct SessionApi {
    sessions: Arc<SessionManager>,
    store: StoreHandle,
}

impl SessionApi {
    pub fn new(sessions: Arc<SessionManager>, store: StoreHandle) -> Self {
        SessionApi { sessions, store }
    }

    fn lease(&self, request: &Request<Guid>) -> Result<SessionLease, Status> {
        let id = guid::from_proto(request.get_ref(), "session id")?;
        Ok(self.sessions.acquire(id, &Identity::of(request))?)
    }
}

#[tonic::async_trait]
impl SessionService for SessionApi {
    async fn start_session(
        &self,
        request: Request<()>,
    ) -> Result<Response<StartSessionResponse>, Status> {
        let id = self.sessions.start(Identity::of(&request))?;
        Ok(Response::new(StartSessionResponse {
            session_id: Some(guid::to_proto(id)),
        }))
    }

    async fn end_session(
        &self,
        request: Request<Guid>,
    ) -> Result<Response<EndSessionResponse>, Status> {
        let id = guid::from_proto(request.get_ref(), "session id")?;
        self.sessions.end(id, &Identity::of(&request))?;
        Ok(Response::new(EndSessionResponse {}))
    }

    async fn commit(&self, request: Request<Guid>) -> Result<Response<CommitResponse>, Status> {
        let lease = self.lease(&request)?;
        let started = std::time::Instant::now();
        let metrics = self.sessions.metrics();
        let stats = lease
            .session()
            .commit(self.store.clone())
            .await
            .map_err(|error| {
                metrics.commit_failed(started.elapsed());
                tracing::warn!(session = %lease.session().id(), %error, "commit failed; the changes stay in the session");
                commit_failed(lease.session().id(), error)
            })?;
        metrics.committed(stats.points_written, started.elapsed());
        tracing::debug!(session = %lease.session().id(), ?stats, "committed");
        Ok(Response::new(CommitResponse {}))
    }

    async fn rollback(&self, request: Request<Guid>) -> Result<Response<RollbackResponse>, Status> {
        let lease = self.lease(&request)?;
        lease.session().workspace().await.rollback();
        Ok(Response::new(RollbackResponse {}))
    }

    async fn extend_session(
        &self,
        request: Request<Guid>,
    ) -> Result<Response<ExtendSessionResponse>, Status> {
        // Taking and releasing the lease is what restarts the idle timer.
        let _lease = self.lease(&request)?;
        let timeout = self.sessions.settings().timeout;
        Ok(Response::new(ExtendSessionResponse {
            expires_in: Some(prost_types::Duration {
                seconds: timeout.as_secs() as i64,
                nanos: timeout.subsec_nanos() as i32,
            }),
        }))
    }
}

/// A failed commit as the client sees it. Model changes that no longer
/// apply (another session committed changes they contradict) leave the
/// session unable to commit until it rolls back, as the reference says.
fn commit_failed(session: uuid::Uuid, error: CommitError) -> Status {
    match error {
        CommitError::Store(error) => Status::from(ViewError::from(error)),
        CommitError::Model(ModelError::Conflict(reason)) => Status::failed_precondition(format!(
            "session {session} is corrupt due to changes done by some other session, rollback your changes to fix your session: {reason}"
        )),
        CommitError::Model(error) => crate::services::status::model_status(error),
    }
}
