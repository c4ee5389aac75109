//! The SDK for programs without an async runtime, in the manner of
//! `reqwest::blocking`: the same calls, each waiting for its answer.
//!
//! A blocking connection runs a small runtime of its own, on which session
//! lifetimes are extended in the background. Do not use these types from
//! inside an async runtime; use the async ones there.

use std::sync::Arc;
use std::time::Duration;

use arrow_array::RecordBatch;
use chrono::{DateTime, Utc};
use tokio::runtime::Runtime;
use uuid::Uuid;

use crate::error::Result;
use crate::{
    CurveType, Opened, Point, Resolution, ResourceUpdate, TimeseriesPoints, TimeseriesResource,
    UnitOfMeasurement, UserIdentity, VersionInfo,
};

/// A blocking connection to a Mesh server. Cheap to clone.
#[derive(Clone)]
pub struct Connection {
    inner: crate::Connection,
    runtime: Arc<Runtime>,
}

impl Connection {
    /// See [`crate::Connection::insecure`].
    pub fn insecure(address: &str) -> Result<Connection> {
        Connection::on_own_runtime(|| crate::Connection::insecure(address))
    }

    /// See [`crate::Connection::with_tls`].
    pub fn with_tls(address: &str, root_pem: Option<&[u8]>) -> Result<Connection> {
        Connection::on_own_runtime(|| crate::Connection::with_tls(address, root_pem))
    }

    /// See [`crate::Connection::with_external_access_token`].
    pub fn with_external_access_token(
        address: &str,
        root_pem: Option<&[u8]>,
        token: &str,
    ) -> Result<Connection> {
        Connection::on_own_runtime(|| {
            crate::Connection::with_external_access_token(address, root_pem, token)
        })
    }

    fn on_own_runtime<F, Fut>(connect: F) -> Result<Connection>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<crate::Connection>>,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("mesh-sdk")
            .enable_all()
            .build()
            .map_err(|error| {
                crate::Error::Protocol(format!("cannot start the SDK runtime: {error}"))
            })?;
        // Connected on its own runtime, so that sessions spawn their
        // background work there.
        let inner = runtime.block_on(connect())?;
        Ok(Connection {
            inner,
            runtime: Arc::new(runtime),
        })
    }

    /// See [`crate::Connection::update_external_access_token`].
    pub fn update_external_access_token(&self, token: &str) -> Result<()> {
        self.inner.update_external_access_token(token)
    }

    /// See [`crate::Connection::get_user_identity`].
    pub fn get_user_identity(&self) -> Result<UserIdentity> {
        self.runtime.block_on(self.inner.get_user_identity())
    }

    /// See [`crate::Connection::get_version`].
    pub fn get_version(&self) -> Result<VersionInfo> {
        self.runtime.block_on(self.inner.get_version())
    }

    /// See [`crate::Connection::create_session`].
    pub fn create_session(&self) -> Session {
        self.wrap(self.inner.create_session())
    }

    /// See [`crate::Connection::connect_to_session`].
    pub fn connect_to_session(&self, id: Uuid) -> Session {
        self.wrap(self.inner.connect_to_session(id))
    }

    /// Creates and opens a session; dropping it closes it.
    pub fn open_session(&self) -> Result<Session> {
        let session = self.create_session();
        session.open()?;
        Ok(session)
    }

    /// Opens a session, runs `work` with it, and closes it afterwards,
    /// whether `work` succeeded or not.
    pub fn with_session<T>(&self, work: impl FnOnce(&Session) -> Result<T>) -> Result<T> {
        let session = self.open_session()?;
        let outcome = work(&session);
        let closed = session.close();
        let value = outcome?;
        closed?;
        Ok(value)
    }

    fn wrap(&self, session: crate::Session) -> Session {
        Session {
            inner: session,
            runtime: self.runtime.clone(),
        }
    }
}

/// A blocking session handle. Dropping an open session closes it on the
/// server before the drop returns.
pub struct Session {
    inner: crate::Session,
    runtime: Arc<Runtime>,
}

impl Session {
    /// See [`crate::Session::session_id`].
    pub fn session_id(&self) -> Option<Uuid> {
        self.inner.session_id()
    }

    /// See [`crate::Session::is_open`].
    pub fn is_open(&self) -> bool {
        self.inner.is_open()
    }

    /// See [`crate::Session::is_extended_automatically`].
    pub fn is_extended_automatically(&self) -> bool {
        self.inner.is_extended_automatically()
    }

    /// See [`crate::Session::open`].
    pub fn open(&self) -> Result<Opened> {
        self.runtime.block_on(self.inner.open())
    }

    /// See [`crate::Session::close`].
    pub fn close(&self) -> Result<()> {
        self.runtime.block_on(self.inner.close())
    }

    /// See [`crate::Session::commit`].
    pub fn commit(&self) -> Result<()> {
        self.runtime.block_on(self.inner.commit())
    }

    /// See [`crate::Session::rollback`].
    pub fn rollback(&self) -> Result<()> {
        self.runtime.block_on(self.inner.rollback())
    }

    /// See [`crate::Session::extend_lifetime`].
    pub fn extend_lifetime(&self) -> Result<Duration> {
        self.runtime.block_on(self.inner.extend_lifetime())
    }

    /// See [`crate::Session::list_units_of_measurement`].
    pub fn list_units_of_measurement(&self) -> Result<Vec<UnitOfMeasurement>> {
        self.runtime
            .block_on(self.inner.list_units_of_measurement())
    }

    /// See [`crate::Session::create_physical_timeseries`].
    pub fn create_physical_timeseries(
        &self,
        path: &str,
        name: &str,
        curve_type: CurveType,
        resolution: Resolution,
        unit: &str,
        time_zone: Option<&str>,
    ) -> Result<TimeseriesResource> {
        self.runtime.block_on(
            self.inner
                .create_physical_timeseries(path, name, curve_type, resolution, unit, time_zone),
        )
    }

    /// See [`crate::Session::get_timeseries_resource_info`].
    pub fn get_timeseries_resource_info(&self, key: i64) -> Result<TimeseriesResource> {
        self.runtime
            .block_on(self.inner.get_timeseries_resource_info(key))
    }

    /// See [`crate::Session::update_timeseries_resource_info`].
    pub fn update_timeseries_resource_info(&self, key: i64, update: &ResourceUpdate) -> Result<()> {
        self.runtime
            .block_on(self.inner.update_timeseries_resource_info(key, update))
    }

    /// See [`crate::Session::write_timeseries_points`].
    pub fn write_timeseries_points(
        &self,
        key: i64,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        points: &RecordBatch,
    ) -> Result<()> {
        self.runtime
            .block_on(self.inner.write_timeseries_points(key, start, end, points))
    }

    /// See [`crate::Session::write_timeseries_point_slice`].
    pub fn write_timeseries_point_slice(
        &self,
        key: i64,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        points: &[Point],
    ) -> Result<()> {
        self.runtime.block_on(
            self.inner
                .write_timeseries_point_slice(key, start, end, points),
        )
    }

    /// See [`crate::Session::read_timeseries_points`].
    pub fn read_timeseries_points(
        &self,
        key: i64,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<TimeseriesPoints> {
        self.runtime
            .block_on(self.inner.read_timeseries_points(key, start, end))
    }

    /// See [`crate::Session::read_timeseries_points_many`].
    pub fn read_timeseries_points_many(
        &self,
        keys: &[i64],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<(i64, TimeseriesPoints)>> {
        self.runtime
            .block_on(self.inner.read_timeseries_points_many(keys, start, end))
    }

    /// See [`crate::Session::detach`].
    pub fn detach(self) -> Option<Uuid> {
        let inner = self.inner.clone();
        drop(self);
        inner.detach()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Close here rather than in the background: the runtime may be shut
        // down right after, when the program drops its connection.
        if Arc::strong_count(&self.inner.inner) == 1 && self.inner.is_open() {
            if let Err(error) = self.runtime.block_on(self.inner.close()) {
                tracing::warn!(%error, "could not close a dropped session");
            }
        }
    }
}
