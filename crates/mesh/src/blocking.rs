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
    Attribute, AttributeDefinition, AttributeType, AttributeUpdate, AttributeView, CurveType,
    Namespace, Object, ObjectDefinition, Opened, Point, Resolution, ResourceUpdate,
    SimpleDefinition, Target, TimeseriesPoints, TimeseriesResource, UnitOfMeasurement,
    UserIdentity, ValueType, VersionInfo,
};
use crate::{LinkVersion, RatingCurveVersion, Reference, TimeseriesCopyMode, XySet};

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

    /// See [`crate::Connection::with_kerberos`].
    pub fn with_kerberos(
        address: &str,
        root_pem: Option<&[u8]>,
        service_principal: &str,
        user_principal: Option<&str>,
    ) -> Result<Connection> {
        Connection::on_own_runtime(|| {
            crate::Connection::with_kerberos(address, root_pem, service_principal, user_principal)
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

    /// See [`crate::Connection::revoke_access_token`].
    pub fn revoke_access_token(&self) -> Result<()> {
        self.runtime.block_on(self.inner.revoke_access_token())
    }

    /// See [`crate::Connection::refresh_access_token`].
    pub fn refresh_access_token(&self) -> Result<()> {
        self.runtime.block_on(self.inner.refresh_access_token())
    }

    /// See [`crate::Connection::get_user_identity`].
    pub fn get_user_identity(&self) -> Result<UserIdentity> {
        self.runtime.block_on(self.inner.get_user_identity())
    }

    /// See [`crate::Connection::get_version`].
    pub fn get_version(&self) -> Result<VersionInfo> {
        self.runtime.block_on(self.inner.get_version())
    }

    /// See [`crate::Connection::backup`].
    pub fn backup(&self, name: Option<&str>) -> Result<crate::Backup> {
        self.runtime.block_on(self.inner.backup(name))
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

    /// See [`crate::Session::import_model_file`].
    pub fn import_model_file(&self, file_name: &str, content: &str) -> Result<crate::Imported> {
        self.runtime
            .block_on(self.inner.import_model_file(file_name, content))
    }

    /// See [`crate::Session::import_model_file_from`].
    pub fn import_model_file_from(
        &self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<crate::Imported> {
        self.runtime
            .block_on(self.inner.import_model_file_from(path))
    }

    /// See [`crate::Session::export_model_file`].
    pub fn export_model_file(&self, models: &[&str]) -> Result<String> {
        self.runtime.block_on(self.inner.export_model_file(models))
    }

    /// See [`crate::Session::create_timeseries_attribute_type`].
    pub fn create_timeseries_attribute_type(
        &self,
        namespace: impl Into<Target>,
        name: &str,
        unit: Option<&str>,
    ) -> Result<crate::AttributeType> {
        self.runtime.block_on(
            self.inner
                .create_timeseries_attribute_type(namespace, name, unit),
        )
    }

    /// See [`crate::Session::add_timeseries_attribute_definition`].
    pub fn add_timeseries_attribute_definition(
        &self,
        object_definition: impl Into<Target>,
        attribute_type: impl Into<Target>,
        template_expression: &str,
    ) -> Result<crate::AttributeDefinition> {
        self.runtime
            .block_on(self.inner.add_timeseries_attribute_definition(
                object_definition,
                attribute_type,
                template_expression,
            ))
    }

    /// See [`crate::Session::update_timeseries_attribute`].
    pub fn update_timeseries_attribute(
        &self,
        target: impl Into<Target>,
        new_timeseries_key: Option<i64>,
        new_local_expression: Option<&str>,
    ) -> Result<()> {
        self.runtime
            .block_on(self.inner.update_timeseries_attribute(
                target,
                new_timeseries_key,
                new_local_expression,
            ))
    }

    /// See [`crate::Session::timeseries_key_of`].
    pub fn timeseries_key_of(&self, target: impl Into<Target>) -> Result<Option<i64>> {
        self.runtime.block_on(self.inner.timeseries_key_of(target))
    }

    /// See [`crate::Session::list_models`].
    pub fn list_models(&self) -> Result<Vec<Object>> {
        self.runtime.block_on(self.inner.list_models())
    }

    /// See [`crate::Session::get_object`].
    pub fn get_object(&self, target: impl Into<Target>, view: AttributeView) -> Result<Object> {
        self.runtime.block_on(self.inner.get_object(target, view))
    }

    /// See [`crate::Session::search_objects`].
    pub fn search_objects(
        &self,
        start: impl Into<Target>,
        query: &str,
        view: AttributeView,
    ) -> Result<Vec<Object>> {
        self.runtime
            .block_on(self.inner.search_objects(start, query, view))
    }

    /// See [`crate::Session::search_objects_by_definition`].
    pub fn search_objects_by_definition(
        &self,
        definition: impl Into<Target>,
        view: AttributeView,
    ) -> Result<Vec<Object>> {
        self.runtime
            .block_on(self.inner.search_objects_by_definition(definition, view))
    }

    /// See [`crate::Session::create_model`].
    pub fn create_model(&self, name: &str, model_definition: impl Into<Target>) -> Result<Object> {
        self.runtime
            .block_on(self.inner.create_model(name, model_definition))
    }

    /// See [`crate::Session::create_object`].
    pub fn create_object(
        &self,
        owner: impl Into<Target>,
        name: &str,
        object_definition: Option<Target>,
    ) -> Result<Object> {
        self.runtime
            .block_on(self.inner.create_object(owner, name, object_definition))
    }

    /// See [`crate::Session::update_object`].
    pub fn update_object(
        &self,
        target: impl Into<Target>,
        new_name: Option<&str>,
        new_owner: Option<Target>,
    ) -> Result<()> {
        self.runtime
            .block_on(self.inner.update_object(target, new_name, new_owner))
    }

    /// See [`crate::Session::delete_object`].
    pub fn delete_object(&self, target: impl Into<Target>, recursive: bool) -> Result<()> {
        self.runtime
            .block_on(self.inner.delete_object(target, recursive))
    }

    /// See [`crate::Session::get_attribute`].
    pub fn get_attribute(&self, target: impl Into<Target>, full: bool) -> Result<Attribute> {
        self.runtime
            .block_on(self.inner.get_attribute(target, full))
    }

    /// See [`crate::Session::search_attributes`].
    pub fn search_attributes(
        &self,
        start: impl Into<Target>,
        query: &str,
        full: bool,
    ) -> Result<Vec<Attribute>> {
        self.runtime
            .block_on(self.inner.search_attributes(start, query, full))
    }

    /// See [`crate::Session::update_simple_attribute`].
    pub fn update_simple_attribute(
        &self,
        target: impl Into<Target>,
        value: impl Into<AttributeUpdate>,
    ) -> Result<()> {
        self.runtime
            .block_on(self.inner.update_simple_attribute(target, value))
    }

    /// See [`crate::Session::list_model_definitions`].
    pub fn list_model_definitions(&self) -> Result<Vec<Namespace>> {
        self.runtime.block_on(self.inner.list_model_definitions())
    }

    /// See [`crate::Session::create_model_definition`].
    pub fn create_model_definition(&self, name: &str, description: &str) -> Result<Namespace> {
        self.runtime
            .block_on(self.inner.create_model_definition(name, description))
    }

    /// See [`crate::Session::create_namespace`].
    pub fn create_namespace(
        &self,
        parent: impl Into<Target>,
        name: &str,
        description: &str,
    ) -> Result<Namespace> {
        self.runtime
            .block_on(self.inner.create_namespace(parent, name, description))
    }

    /// See [`crate::Session::create_object_definition`].
    pub fn create_object_definition(
        &self,
        namespace: impl Into<Target>,
        name: &str,
        description: &str,
    ) -> Result<ObjectDefinition> {
        self.runtime.block_on(
            self.inner
                .create_object_definition(namespace, name, description),
        )
    }

    /// See [`crate::Session::get_object_definition`].
    pub fn get_object_definition(&self, target: impl Into<Target>) -> Result<ObjectDefinition> {
        self.runtime
            .block_on(self.inner.get_object_definition(target))
    }

    /// See [`crate::Session::delete_object_definition`].
    pub fn delete_object_definition(&self, target: impl Into<Target>) -> Result<()> {
        self.runtime
            .block_on(self.inner.delete_object_definition(target))
    }

    /// See [`crate::Session::create_simple_attribute_type`].
    pub fn create_simple_attribute_type(
        &self,
        namespace: impl Into<Target>,
        name: &str,
        value_type: ValueType,
        unit: Option<&str>,
    ) -> Result<AttributeType> {
        self.runtime.block_on(
            self.inner
                .create_simple_attribute_type(namespace, name, value_type, unit),
        )
    }

    /// See [`crate::Session::create_ownership_relation_attribute_type`].
    pub fn create_ownership_relation_attribute_type(
        &self,
        namespace: impl Into<Target>,
        name: &str,
        target_definition: impl Into<Target>,
    ) -> Result<AttributeType> {
        self.runtime
            .block_on(self.inner.create_ownership_relation_attribute_type(
                namespace,
                name,
                target_definition,
            ))
    }

    /// See [`crate::Session::create_link_relation_attribute_type`].
    pub fn create_link_relation_attribute_type(
        &self,
        namespace: impl Into<Target>,
        name: &str,
        target_definition: impl Into<Target>,
    ) -> Result<AttributeType> {
        self.runtime
            .block_on(self.inner.create_link_relation_attribute_type(
                namespace,
                name,
                target_definition,
            ))
    }

    /// See [`crate::Session::get_attribute_type`].
    pub fn get_attribute_type(&self, target: impl Into<Target>) -> Result<AttributeType> {
        self.runtime.block_on(self.inner.get_attribute_type(target))
    }

    /// See [`crate::Session::delete_attribute_type`].
    pub fn delete_attribute_type(&self, target: impl Into<Target>) -> Result<()> {
        self.runtime
            .block_on(self.inner.delete_attribute_type(target))
    }

    /// See [`crate::Session::add_simple_attribute_definition`].
    pub fn add_simple_attribute_definition(
        &self,
        object_definition: impl Into<Target>,
        attribute_type: impl Into<Target>,
        definition: &SimpleDefinition,
    ) -> Result<AttributeDefinition> {
        self.runtime
            .block_on(self.inner.add_simple_attribute_definition(
                object_definition,
                attribute_type,
                definition,
            ))
    }

    /// See [`crate::Session::add_ownership_relation_attribute_definition`].
    pub fn add_ownership_relation_attribute_definition(
        &self,
        object_definition: impl Into<Target>,
        attribute_type: impl Into<Target>,
        cardinality: u32,
    ) -> Result<AttributeDefinition> {
        self.runtime
            .block_on(self.inner.add_ownership_relation_attribute_definition(
                object_definition,
                attribute_type,
                cardinality,
            ))
    }

    /// See [`crate::Session::run_calculation`].
    pub fn run_calculation(
        &self,
        expression: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        relative_to: impl Into<crate::calc::RelativeTo>,
    ) -> Result<crate::calc::CalculationResult> {
        self.runtime.block_on(
            self.inner
                .run_calculation(expression, start, end, relative_to),
        )
    }

    /// See [`crate::Session::transform`].
    pub fn transform(
        &self,
        relative_to: impl Into<crate::calc::RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        transform: &crate::calc::Transform,
    ) -> Result<crate::calc::CalculatedSeries> {
        self.runtime
            .block_on(self.inner.transform(relative_to, start, end, transform))
    }

    /// See [`crate::Session::sum_of_series`].
    pub fn sum_of_series(
        &self,
        relative_to: impl Into<crate::calc::RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        query: Option<&str>,
    ) -> Result<crate::calc::CalculatedSeries> {
        self.runtime
            .block_on(self.inner.sum_of_series(relative_to, start, end, query))
    }

    /// See [`crate::Session::sum_of_points`].
    pub fn sum_of_points(
        &self,
        relative_to: impl Into<crate::calc::RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<f64> {
        self.runtime
            .block_on(self.inner.sum_of_points(relative_to, start, end))
    }

    /// See [`crate::Session::as_of`].
    pub fn as_of(
        &self,
        relative_to: impl Into<crate::calc::RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        time: DateTime<Utc>,
    ) -> Result<crate::calc::CalculatedSeries> {
        self.runtime
            .block_on(self.inner.as_of(relative_to, start, end, time))
    }

    /// See [`crate::Session::historical_versions`].
    pub fn historical_versions(
        &self,
        relative_to: impl Into<crate::calc::RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        n: u32,
    ) -> Result<Vec<crate::calc::CalculatedSeries>> {
        self.runtime
            .block_on(self.inner.historical_versions(relative_to, start, end, n))
    }

    /// See [`crate::Session::audit_times`].
    pub fn audit_times(
        &self,
        relative_to: impl Into<crate::calc::RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        n: u32,
    ) -> Result<Vec<DateTime<Utc>>> {
        self.runtime
            .block_on(self.inner.audit_times(relative_to, start, end, n))
    }

    /// See [`crate::Session::list_writes`].
    pub fn list_writes(
        &self,
        series: impl Into<crate::calc::RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        max: u32,
    ) -> Result<crate::WriteHistory> {
        self.runtime
            .block_on(self.inner.list_writes(series, start, end, max))
    }

    /// See [`crate::Session::read_timeseries_points_at`].
    pub fn read_timeseries_points_at(
        &self,
        attribute: impl Into<Target>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<TimeseriesPoints> {
        self.runtime
            .block_on(self.inner.read_timeseries_points_at(attribute, start, end))
    }

    /// See [`crate::Session::write_timeseries_points_at`].
    pub fn write_timeseries_points_at(
        &self,
        attribute: impl Into<Target>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        points: &[Point],
    ) -> Result<()> {
        self.runtime.block_on(
            self.inner
                .write_timeseries_points_at(attribute, start, end, points),
        )
    }

    /// See [`crate::Session::update_link_relation_attribute`].
    pub fn update_link_relation_attribute(
        &self,
        target: impl Into<Target>,
        objects: &[Uuid],
        append: bool,
    ) -> Result<()> {
        self.runtime.block_on(
            self.inner
                .update_link_relation_attribute(target, objects, append),
        )
    }

    /// See [`crate::Session::update_versioned_one_to_one_link_relation_attribute`].
    pub fn update_versioned_one_to_one_link_relation_attribute(
        &self,
        target: impl Into<Target>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        versions: &[LinkVersion],
    ) -> Result<()> {
        self.runtime.block_on(
            self.inner
                .update_versioned_one_to_one_link_relation_attribute(target, start, end, versions),
        )
    }

    /// See [`crate::Session::update_versioned_one_to_many_link_relation_attribute`].
    pub fn update_versioned_one_to_many_link_relation_attribute(
        &self,
        target: impl Into<Target>,
        entries: &[Vec<LinkVersion>],
    ) -> Result<()> {
        self.runtime.block_on(
            self.inner
                .update_versioned_one_to_many_link_relation_attribute(target, entries),
        )
    }

    /// See [`crate::Session::search_linked_from`].
    pub fn search_linked_from(&self, target: impl Into<Target>) -> Result<Vec<Reference>> {
        self.runtime.block_on(self.inner.search_linked_from(target))
    }

    /// See [`crate::Session::clone_object`].
    pub fn clone_object(
        &self,
        source: impl Into<Target>,
        new_owner: Option<Target>,
        name: &str,
        timeseries: TimeseriesCopyMode,
    ) -> Result<Object> {
        self.runtime
            .block_on(self.inner.clone_object(source, new_owner, name, timeseries))
    }

    /// See [`crate::Session::get_xy_sets`].
    pub fn get_xy_sets(
        &self,
        target: impl Into<Target>,
        interval: Option<(DateTime<Utc>, DateTime<Utc>)>,
        versions_only: bool,
    ) -> Result<Vec<XySet>> {
        self.runtime
            .block_on(self.inner.get_xy_sets(target, interval, versions_only))
    }

    /// See [`crate::Session::update_xy_sets`].
    pub fn update_xy_sets(
        &self,
        target: impl Into<Target>,
        interval: Option<(DateTime<Utc>, DateTime<Utc>)>,
        sets: &[XySet],
    ) -> Result<()> {
        self.runtime
            .block_on(self.inner.update_xy_sets(target, interval, sets))
    }

    /// See [`crate::Session::get_rating_curve_versions`].
    pub fn get_rating_curve_versions(
        &self,
        target: impl Into<Target>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        versions_only: bool,
    ) -> Result<Vec<RatingCurveVersion>> {
        self.runtime.block_on(self.inner.get_rating_curve_versions(
            target,
            start,
            end,
            versions_only,
        ))
    }

    /// See [`crate::Session::update_rating_curve_versions`].
    pub fn update_rating_curve_versions(
        &self,
        target: impl Into<Target>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        versions: &[RatingCurveVersion],
    ) -> Result<()> {
        self.runtime.block_on(
            self.inner
                .update_rating_curve_versions(target, start, end, versions),
        )
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
