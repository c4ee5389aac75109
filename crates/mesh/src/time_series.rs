//! Physical time series: their resources and their points, always within a
//! session. Everything written stays private to the session until
//! [`Session::commit`]; reads in the same session see it, other sessions do
//! not.
//!
//! Points travel as Arrow record batches with the columns `utc_time`
//! (timestamp\[ms\], no time zone), `flags` (uint32) and `value` (float64);
//! [`Point`] is the same row as a plain struct. Instants are handled in
//! whole milliseconds: a sub-millisecond part of an interval bound is
//! rounded up, as the server does, so that exactly the points of the
//! interval are meant.
//!
//! The server takes at most one message of a few MiB per call (4 MiB by
//! default). Writes and reads larger than that are split here into several
//! calls over consecutive sub-intervals, in the same session, so committing
//! stays all-or-nothing.

use std::collections::VecDeque;
use std::sync::Arc;

use arrow_array::{Array, Float64Array, RecordBatch, TimestampMillisecondArray, UInt32Array};
use chrono::{DateTime, Utc};
use mesh_proto::model_definition::model_definition_service_client::ModelDefinitionServiceClient;
use mesh_proto::model_definition::ListUnitsOfMeasurementRequest;
use mesh_proto::time_series::timeseries_service_client::TimeseriesServiceClient;
use mesh_proto::time_series::{
    CreatePhysicalTimeseriesRequest, GetTimeseriesResourceRequest, ReadTimeseriesRequest,
    ReadTimeseriesStreamRequest, Timeseries, UpdateTimeseriesResourceRequest,
    WriteTimeseriesRequest,
};
use mesh_proto::types::{Curve, MeshId, Resolution as ProtoResolution, UtcInterval};
use mesh_timeseries::{arrow_ipc, segment, CurveType, Grid, Point, Resolution};
use uuid::Uuid;

use crate::connection::Transport;
use crate::error::{Error, Result};
use crate::guid;
use crate::session::Session;

/// The most points the SDK puts in one write, and asks for in one read of a
/// series with a fixed resolution. A point takes 20 bytes in the payload, so
/// a message stays near 3 MB, well under the usual limit of 4 MiB.
pub const POINTS_PER_MESSAGE: usize = 150_000;

/// A unit of measurement the server knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitOfMeasurement {
    pub id: Uuid,
    pub name: String,
}

/// A physical time series as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeseriesResource {
    /// What every call on the series names it by.
    pub timeseries_key: i64,
    pub path: String,
    pub name: String,
    pub temporary: bool,
    pub curve_type: CurveType,
    pub resolution: Resolution,
    /// `None` only if the server sent none.
    pub unit_of_measurement: Option<UnitOfMeasurement>,
    /// IANA name of the zone whose local midnight daily and coarser steps
    /// follow; `None` for UTC.
    pub time_zone: Option<String>,
}

/// What [`Session::update_timeseries_resource_info`] changes; fields left
/// unset stay as they are.
///
/// ```
/// # use mesh::{CurveType, ResourceUpdate};
/// let update = ResourceUpdate::new()
///     .curve_type(CurveType::PiecewiseLinear)
///     .unit("MWh")
///     .clear_time_zone();
/// # let _ = update;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceUpdate {
    curve_type: Option<CurveType>,
    unit: Option<String>,
    /// `Some(None)` removes the zone.
    time_zone: Option<Option<String>>,
}

impl ResourceUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        ResourceUpdate::default()
    }

    pub fn curve_type(mut self, curve_type: CurveType) -> Self {
        self.curve_type = Some(curve_type);
        self
    }

    /// The new unit, by name (as `list_units_of_measurement` gives them).
    pub fn unit(mut self, name: &str) -> Self {
        self.unit = Some(name.to_string());
        self
    }

    /// The new time zone, an IANA name such as `Europe/Oslo`.
    pub fn time_zone(mut self, zone: &str) -> Self {
        self.time_zone = Some(Some(zone.to_string()));
        self
    }

    /// Removes the time zone: steps follow UTC midnight.
    pub fn clear_time_zone(mut self) -> Self {
        self.time_zone = Some(None);
        self
    }

    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self.curve_type.is_none() && self.unit.is_none() && self.time_zone.is_none()
    }
}

/// One point of a read, with its instant as a date-time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UtcPoint {
    pub time: DateTime<Utc>,
    /// Quality bits; see [`crate::flags`]. Unnamed bits are kept as written.
    pub flags: u32,
    /// Any `f64`; steps without a value read as NaN flagged `MISSING`.
    pub value: f64,
}

/// The points of one series from a read: an Arrow record batch with the
/// columns `utc_time`, `flags` and `value` (in that order, no nulls), and a
/// typed view of it.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeseriesPoints {
    batch: RecordBatch,
}

impl TimeseriesPoints {
    /// Decodes an answer of the server.
    fn from_payload(data: &[u8]) -> Result<TimeseriesPoints> {
        let batch = arrow_ipc::decode_batch(data).map_err(|error| {
            Error::Protocol(format!(
                "the server sent points that cannot be read: {error}"
            ))
        })?;
        TimeseriesPoints::checked(batch)
    }

    fn from_points(points: &[Point]) -> Result<TimeseriesPoints> {
        TimeseriesPoints::checked(arrow_ipc::to_batch(points))
    }

    /// Makes sure every instant can be a `DateTime<Utc>`, so that `iter`
    /// never has to fail or invent one. Only a series written by other
    /// means with instants hundreds of thousands of years away could fail.
    fn checked(batch: RecordBatch) -> Result<TimeseriesPoints> {
        let points = TimeseriesPoints { batch };
        if let Some(&utc_ms) = points
            .columns()
            .0
            .iter()
            .find(|&&utc_ms| DateTime::<Utc>::from_timestamp_millis(utc_ms).is_none())
        {
            return Err(Error::Protocol(format!(
                "the server sent a point at {utc_ms} ms since 1970, beyond the dates this SDK can represent"
            )));
        }
        Ok(points)
    }

    /// The points as an Arrow record batch.
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    pub fn into_batch(self) -> RecordBatch {
        self.batch
    }

    pub fn len(&self) -> usize {
        self.batch.num_rows()
    }

    pub fn is_empty(&self) -> bool {
        self.batch.num_rows() == 0
    }

    /// The points as plain structs, instants in milliseconds.
    pub fn points(&self) -> Vec<Point> {
        let (times, flags, values) = self.columns();
        times
            .iter()
            .zip(flags)
            .zip(values)
            .map(|((&utc_ms, &flags), &value)| Point::new(utc_ms, flags, value))
            .collect()
    }

    /// The points in order, instants as date-times.
    pub fn iter(&self) -> PointsIter<'_> {
        let (times, flags, values) = self.columns();
        PointsIter {
            times,
            flags,
            values,
            next: 0,
        }
    }

    fn columns(&self) -> (&[i64], &[u32], &[f64]) {
        // Every batch here comes from arrow_ipc, which hands out exactly
        // the canonical schema.
        fn column<T: 'static>(batch: &RecordBatch, index: usize) -> &T {
            batch
                .column(index)
                .as_any()
                .downcast_ref::<T>()
                .expect("batches from arrow_ipc have the canonical column types")
        }
        (
            column::<TimestampMillisecondArray>(&self.batch, 0).values(),
            column::<UInt32Array>(&self.batch, 1).values(),
            column::<Float64Array>(&self.batch, 2).values(),
        )
    }
}

impl<'a> IntoIterator for &'a TimeseriesPoints {
    type Item = UtcPoint;
    type IntoIter = PointsIter<'a>;

    fn into_iter(self) -> PointsIter<'a> {
        self.iter()
    }
}

/// Iterator over the points of a [`TimeseriesPoints`].
#[derive(Debug, Clone)]
pub struct PointsIter<'a> {
    times: &'a [i64],
    flags: &'a [u32],
    values: &'a [f64],
    next: usize,
}

impl Iterator for PointsIter<'_> {
    type Item = UtcPoint;

    fn next(&mut self) -> Option<UtcPoint> {
        let index = self.next;
        let utc_ms = *self.times.get(index)?;
        self.next += 1;
        Some(UtcPoint {
            time: DateTime::<Utc>::from_timestamp_millis(utc_ms)
                .expect("instants were checked when the points were received"),
            flags: self.flags[index],
            value: self.values[index],
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.times.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for PointsIter<'_> {}

impl Session {
    /// The units of measurement the server knows, asked afresh. Unit names
    /// given to other calls are resolved through a list kept per
    /// connection, asked for once.
    pub async fn list_units_of_measurement(&self) -> Result<Vec<UnitOfMeasurement>> {
        Ok(self.fetch_units().await?.to_vec())
    }

    /// Creates a physical time series in this session (visible to others
    /// after `commit`). `unit` is the unit's name as the server lists it
    /// (exact, case-sensitive); an unknown name is [`Error::UnknownUnit`].
    /// `time_zone`, an IANA name, is for `DAY` and coarser resolutions.
    pub async fn create_physical_timeseries(
        &self,
        path: &str,
        name: &str,
        curve_type: CurveType,
        resolution: Resolution,
        unit: &str,
        time_zone: Option<&str>,
    ) -> Result<TimeseriesResource> {
        let id = self.open_id()?;
        let unit_id = self.unit_id(unit).await?;
        let created = self
            .timeseries_client()
            .create_physical_timeseries(CreatePhysicalTimeseriesRequest {
                session_id: Some(guid::to_proto(id)),
                path: path.to_string(),
                name: name.to_string(),
                curve_type: Some(Curve {
                    r#type: curve_type.to_proto(),
                }),
                resolution: Some(ProtoResolution {
                    r#type: resolution.to_proto(),
                }),
                unit_of_measurement_id: Some(guid::to_proto(unit_id)),
                time_zone: time_zone.map(str::to_string),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        resource(created)
    }

    /// The series with key `key`, as this session sees it.
    pub async fn get_timeseries_resource_info(&self, key: i64) -> Result<TimeseriesResource> {
        let id = self.open_id()?;
        let found = self
            .timeseries_client()
            .get_timeseries_resource(GetTimeseriesResourceRequest {
                session_id: Some(guid::to_proto(id)),
                timeseries_resource_key: key,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        resource(found)
    }

    /// Changes what `update` names, and only that, of the series `key`. An
    /// update that names nothing is not sent.
    pub async fn update_timeseries_resource_info(
        &self,
        key: i64,
        update: &ResourceUpdate,
    ) -> Result<()> {
        let id = self.open_id()?;
        if update.is_empty() {
            return Ok(());
        }
        let mut paths = Vec::new();
        let mut request = UpdateTimeseriesResourceRequest {
            session_id: Some(guid::to_proto(id)),
            timeseries_resource_key: key,
            ..Default::default()
        };
        if let Some(curve_type) = update.curve_type {
            paths.push("new_curve_type".to_string());
            request.new_curve_type = Some(Curve {
                r#type: curve_type.to_proto(),
            });
        }
        if let Some(unit) = &update.unit {
            paths.push("new_unit_of_measurement_id".to_string());
            request.new_unit_of_measurement_id = Some(guid::to_proto(self.unit_id(unit).await?));
        }
        if let Some(zone) = &update.time_zone {
            // On the wire an empty zone is no zone.
            paths.push("new_time_zone".to_string());
            request.new_time_zone = zone.clone().unwrap_or_default();
        }
        request.field_mask = Some(prost_types::FieldMask { paths });
        self.timeseries_client()
            .update_timeseries_resource(request)
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// Replaces the points of series `key` in `[start, end)` with `points`
    /// (columns `utc_time`, `flags`, `value`; see [`TimeseriesPoints`]):
    /// stored points in the interval that are not sent are removed, so an
    /// empty batch deletes the interval. Points must be strictly increasing,
    /// inside the interval and, unless the series is `BREAKPOINT`, on its
    /// time grid.
    ///
    /// More than [`POINTS_PER_MESSAGE`] points go in several calls, each
    /// replacing the stretch from its first point to the next call's first
    /// point (the first from `start`, the last up to `end`). Such a write is
    /// checked as a whole before anything is sent ([`Error::InvalidSegment`]);
    /// should a later call still fail, the earlier ones are in the session:
    /// roll back or write again.
    ///
    /// Two sessions writing the same interval do not conflict: each commit
    /// applies its session's writes over what is committed at that moment,
    /// so the session that commits last wins.
    pub async fn write_timeseries_points(
        &self,
        key: i64,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        points: &RecordBatch,
    ) -> Result<()> {
        let points = arrow_ipc::from_batch(points)?;
        self.write_timeseries_point_slice(key, start, end, &points)
            .await
    }

    /// [`Session::write_timeseries_points`] with the points as a slice.
    pub async fn write_timeseries_point_slice(
        &self,
        key: i64,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        points: &[Point],
    ) -> Result<()> {
        let id = self.open_id()?;
        let (start_ms, end_ms) = (to_ms(start), to_ms(end));
        if points.len() <= POINTS_PER_MESSAGE {
            // One call: the server checks it and applies all or nothing.
            return self.write_one(id, key, start_ms, end_ms, points).await;
        }
        // Several calls: find any mistake before the first is sent, with the
        // server's own rules.
        let info = self.get_timeseries_resource_info(key).await?;
        let grid = Grid::new(info.resolution, info.time_zone.as_deref())
            // A zone this SDK does not know: the server checks the grid.
            .unwrap_or_else(|_| Grid::utc(Resolution::Breakpoint));
        segment::validate_write(points, start_ms, end_ms, &grid)?;
        let chunks: Vec<&[Point]> = points.chunks(POINTS_PER_MESSAGE).collect();
        for (index, chunk) in chunks.iter().enumerate() {
            let from = if index == 0 {
                start_ms
            } else {
                chunk[0].utc_ms
            };
            let to = chunks.get(index + 1).map_or(end_ms, |next| next[0].utc_ms);
            self.write_one(id, key, from, to, chunk).await?;
        }
        Ok(())
    }

    /// The points of series `key` in `[start, end)`, as this session sees
    /// them: for a fixed resolution one point per step (steps without a
    /// value as NaN flagged `MISSING`), for `BREAKPOINT` the stored points.
    /// A `PIECEWISELINEAR` series also gives the first point at or after
    /// `end`, to interpolate up to `end`.
    ///
    /// Reads too large for one message are split: series with a fixed
    /// resolution by their step count beforehand, others by halving the
    /// interval whenever the server finds an answer too large.
    pub async fn read_timeseries_points(
        &self,
        key: i64,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<TimeseriesPoints> {
        let id = self.open_id()?;
        let info = self.get_timeseries_resource_info(key).await?;
        self.read_in_pieces(id, &info, to_ms(start), to_ms(end))
            .await
    }

    /// The points of several series in `[start, end)`, in one streamed call,
    /// in the order of `keys`; each as [`Session::read_timeseries_points`]
    /// gives it. A series too large for one message is read in pieces on
    /// its own, and the stream resumes after it.
    pub async fn read_timeseries_points_many(
        &self,
        keys: &[i64],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<(i64, TimeseriesPoints)>> {
        let id = self.open_id()?;
        let (start_ms, end_ms) = (to_ms(start), to_ms(end));
        let mut results = Vec::with_capacity(keys.len());
        let mut rest = keys;
        while !rest.is_empty() {
            let (received, failure) = self
                .stream_series(id, rest, (start_ms, end_ms), &mut results)
                .await?;
            match failure {
                None if received == rest.len() => rest = &[],
                None => {
                    return Err(Error::Protocol(format!(
                        "the server answered for {received} of {} series and then ended the stream",
                        rest.len()
                    )))
                }
                Some(status)
                    if status.code() == tonic::Code::ResourceExhausted && received < rest.len() =>
                {
                    let key = rest[received];
                    tracing::debug!(
                        key,
                        "series too large for one message; reading it in pieces"
                    );
                    let info = self.get_timeseries_resource_info(key).await?;
                    results.push((key, self.read_in_pieces(id, &info, start_ms, end_ms).await?));
                    rest = &rest[received + 1..];
                }
                Some(status) => return Err(Error::from_session_call(status, id)),
            }
        }
        Ok(results)
    }

    /// One ReadTimeseriesStream call for `keys`, appending each answer to
    /// `results`. The server answers series by series and stops at the
    /// first that fails: returns how many were answered, and the failure
    /// of the next one, if any.
    async fn stream_series(
        &self,
        id: Uuid,
        keys: &[i64],
        (start_ms, end_ms): (i64, i64),
        results: &mut Vec<(i64, TimeseriesPoints)>,
    ) -> Result<(usize, Option<tonic::Status>)> {
        let request = ReadTimeseriesStreamRequest {
            session_id: Some(guid::to_proto(id)),
            timeseries_ids: keys
                .iter()
                .map(|&key| MeshId::by_timeseries_key(key))
                .collect(),
            interval: Some(UtcInterval::from_millis(start_ms, end_ms)),
        };
        let mut stream = match self
            .timeseries_client()
            .read_timeseries_stream(request)
            .await
        {
            Ok(response) => response.into_inner(),
            Err(status) => return Ok((0, Some(status))),
        };
        let mut received = 0;
        loop {
            let answer = match stream.message().await {
                Ok(Some(answer)) => answer,
                Ok(None) => return Ok((received, None)),
                Err(status) => return Ok((received, Some(status))),
            };
            for series in answer.timeseries {
                let key = *keys.get(received).ok_or_else(|| {
                    Error::Protocol(format!(
                        "the server answered more than the {} series asked for",
                        keys.len()
                    ))
                })?;
                check_key(&series, key)?;
                results.push((key, TimeseriesPoints::from_payload(&series.data)?));
                received += 1;
            }
        }
    }

    fn timeseries_client(&self) -> TimeseriesServiceClient<Transport> {
        // Answers are sized by the server, which keeps them to its own
        // limit; refusing a large one here would only lose a read.
        TimeseriesServiceClient::new(self.connection().transport())
            .max_decoding_message_size(usize::MAX)
    }

    async fn fetch_units(&self) -> Result<Arc<[UnitOfMeasurement]>> {
        let id = self.open_id()?;
        let listed = ModelDefinitionServiceClient::new(self.connection().transport())
            .list_units_of_measurement(ListUnitsOfMeasurementRequest {
                session_id: Some(guid::to_proto(id)),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        let units = listed
            .units_of_measurement
            .into_iter()
            .map(|unit| {
                Ok(UnitOfMeasurement {
                    id: guid::from_proto(unit.id.as_ref())?,
                    name: unit.name,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let units: Arc<[UnitOfMeasurement]> = units.into();
        *self
            .connection()
            .inner
            .units
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(units.clone());
        Ok(units)
    }

    /// The id of the unit named `name`: from the connection's list, asking
    /// the server again once if the name is not in it, in case the list
    /// grew since it was fetched.
    async fn unit_id(&self, name: &str) -> Result<Uuid> {
        let cached = self
            .connection()
            .inner
            .units
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if let Some(unit) = cached
            .iter()
            .flat_map(|units| units.iter())
            .find(|u| u.name == name)
        {
            return Ok(unit.id);
        }
        let units = self.fetch_units().await?;
        units
            .iter()
            .find(|unit| unit.name == name)
            .map(|unit| unit.id)
            .ok_or_else(|| Error::UnknownUnit {
                name: name.to_string(),
                known: units.iter().map(|unit| unit.name.clone()).collect(),
            })
    }

    async fn write_one(
        &self,
        id: Uuid,
        key: i64,
        start_ms: i64,
        end_ms: i64,
        points: &[Point],
    ) -> Result<()> {
        self.timeseries_client()
            .write_timeseries(WriteTimeseriesRequest {
                session_id: Some(guid::to_proto(id)),
                timeseries: Some(Timeseries {
                    id: Some(MeshId::by_timeseries_key(key)),
                    resolution: None,
                    interval: Some(UtcInterval::from_millis(start_ms, end_ms)),
                    data: arrow_ipc::encode(points),
                }),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    async fn read_one(&self, id: Uuid, key: i64, start_ms: i64, end_ms: i64) -> Result<Timeseries> {
        let answer = self
            .timeseries_client()
            .read_timeseries(ReadTimeseriesRequest {
                session_id: Some(guid::to_proto(id)),
                timeseries_id: Some(MeshId::by_timeseries_key(key)),
                interval: Some(UtcInterval::from_millis(start_ms, end_ms)),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        let mut series = answer.timeseries;
        if series.len() != 1 {
            return Err(Error::Protocol(format!(
                "a read of one time series answered {} series",
                series.len()
            )));
        }
        let series = series.remove(0);
        check_key(&series, key)?;
        Ok(series)
    }

    /// Reads `[start_ms, end_ms)` of a series in as many calls as needed.
    async fn read_in_pieces(
        &self,
        id: Uuid,
        info: &TimeseriesResource,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<TimeseriesPoints> {
        let key = info.timeseries_key;
        let mut pending: VecDeque<(i64, i64)> = plan_read(info, start_ms, end_ms).into();
        if pending.len() == 1 {
            // The common case: one call, its batch handed on as it is.
            match self.read_one(id, key, start_ms, end_ms).await {
                Ok(series) => return TimeseriesPoints::from_payload(&series.data),
                Err(error) if can_split(&error, start_ms, end_ms) => {
                    pending = split(start_ms, end_ms).into();
                }
                Err(error) => return Err(error),
            }
        }
        let mut points = Vec::new();
        while let Some((from, to)) = pending.pop_front() {
            match self.read_one(id, key, from, to).await {
                Ok(series) => {
                    let piece = arrow_ipc::decode(&series.data).map_err(|error| {
                        Error::Protocol(format!(
                            "the server sent points that cannot be read: {error}"
                        ))
                    })?;
                    // A piecewise linear series answers each piece with the
                    // point after it too; only the whole read's end keeps it.
                    points.extend(piece.into_iter().filter(|p| to == end_ms || p.utc_ms < to));
                }
                Err(error) if can_split(&error, from, to) => {
                    let [first, second] = split(from, to);
                    pending.push_front(second);
                    pending.push_front(first);
                }
                Err(error) => return Err(error),
            }
        }
        TimeseriesPoints::from_points(&points)
    }
}

/// Whether a failed read of `[from, to)` was too large and can be halved.
fn can_split(error: &Error, from: i64, to: i64) -> bool {
    matches!(error, Error::Status(status) if status.code() == tonic::Code::ResourceExhausted)
        && to - from > 1
}

fn split(from: i64, to: i64) -> [(i64, i64); 2] {
    let middle = from + (to - from) / 2;
    [(from, middle), (middle, to)]
}

/// The sub-intervals to read: for a fixed resolution, pieces of at most
/// [`POINTS_PER_MESSAGE`] steps; otherwise the whole (its size is unknown).
fn plan_read(info: &TimeseriesResource, start_ms: i64, end_ms: i64) -> Vec<(i64, i64)> {
    let whole = vec![(start_ms, end_ms)];
    if info.resolution.is_breakpoint() {
        return whole;
    }
    let Ok(grid) = Grid::new(info.resolution, info.time_zone.as_deref()) else {
        // A zone this SDK does not know: halving on demand still works.
        return whole;
    };
    if grid.step_count_bound(start_ms, end_ms) <= POINTS_PER_MESSAGE as u64 {
        return whole;
    }
    let mut pieces = Vec::new();
    let mut from = start_ms;
    for boundary in grid
        .steps(start_ms, end_ms)
        .step_by(POINTS_PER_MESSAGE)
        .skip(1)
    {
        pieces.push((from, boundary));
        from = boundary;
    }
    pieces.push((from, end_ms));
    pieces
}

fn check_key(series: &Timeseries, key: i64) -> Result<()> {
    match series.id.as_ref().and_then(|id| id.timeseries_key) {
        Some(answered) if answered != key => Err(Error::Protocol(format!(
            "asked for time series {key}, the server answered for {answered}"
        ))),
        _ => Ok(()),
    }
}

fn resource(proto: mesh_proto::time_series::TimeseriesResource) -> Result<TimeseriesResource> {
    let key = proto.timeseries_key;
    let curve = proto.curve_type.map_or(0, |c| c.r#type);
    let curve_type = CurveType::from_proto(curve).ok_or_else(|| {
        Error::Protocol(format!(
            "time series {key} has curve type {curve}, which a physical time series cannot have"
        ))
    })?;
    let resolution_number = proto.resolution.map_or(0, |r| r.r#type);
    let resolution = Resolution::from_proto(resolution_number).ok_or_else(|| {
        Error::Protocol(format!(
            "time series {key} has resolution {resolution_number}, which a physical time series cannot have"
        ))
    })?;
    let unit_of_measurement = match proto.unit_of_measurement {
        Some(unit) => Some(UnitOfMeasurement {
            id: guid::from_proto(unit.id.as_ref())?,
            name: unit.name,
        }),
        None => None,
    };
    Ok(TimeseriesResource {
        timeseries_key: key,
        path: proto.path,
        name: proto.name,
        temporary: proto.temporary,
        curve_type,
        resolution,
        unit_of_measurement,
        time_zone: proto.time_zone.filter(|zone| !zone.is_empty()),
    })
}

/// Whole milliseconds, a sub-millisecond part rounded up as the server does.
fn to_ms(time: DateTime<Utc>) -> i64 {
    let ms = time.timestamp_millis();
    if !time.timestamp_subsec_nanos().is_multiple_of(1_000_000) {
        ms + 1
    } else {
        ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(resolution: Resolution, time_zone: Option<&str>) -> TimeseriesResource {
        TimeseriesResource {
            timeseries_key: 1,
            path: String::new(),
            name: "x".into(),
            temporary: false,
            curve_type: CurveType::PiecewiseLinear,
            resolution,
            unit_of_measurement: None,
            time_zone: time_zone.map(str::to_string),
        }
    }

    #[test]
    fn sub_millisecond_instants_round_up() {
        let at = |nanos| DateTime::<Utc>::from_timestamp(1, nanos).unwrap();
        assert_eq!(to_ms(at(0)), 1000);
        assert_eq!(to_ms(at(1)), 1001);
        assert_eq!(to_ms(at(999_000_000)), 1999);
        let before_epoch = DateTime::<Utc>::from_timestamp(-1, 500_000).unwrap();
        assert_eq!(to_ms(before_epoch), -999);
    }

    #[test]
    fn fixed_reads_are_planned_in_pieces_of_whole_steps() {
        const HOUR: i64 = 3_600_000;
        let steps = POINTS_PER_MESSAGE as i64;
        // Exactly one message's worth, off-grid start: one piece.
        assert_eq!(
            plan_read(&info(Resolution::Hour, None), 1, steps * HOUR),
            vec![(1, steps * HOUR)]
        );
        let end = (2 * steps + 5) * HOUR;
        let pieces = plan_read(&info(Resolution::Hour, None), -30, end);
        assert_eq!(
            pieces,
            vec![
                (-30, steps * HOUR),
                (steps * HOUR, 2 * steps * HOUR),
                (2 * steps * HOUR, end)
            ]
        );
        assert_eq!(
            plan_read(&info(Resolution::Breakpoint, None), 0, i64::MAX),
            vec![(0, i64::MAX)]
        );
        // Calendar grids split at local midnights.
        let days = plan_read(
            &info(Resolution::Day, Some("Europe/Oslo")),
            0,
            400 * 365 * 24 * HOUR,
        );
        assert!(days.len() == 1);
        let days = plan_read(
            &info(Resolution::Day, Some("Europe/Oslo")),
            0,
            500 * 365 * 24 * HOUR,
        );
        assert_eq!(days.len(), 2);
        let grid = Grid::new(Resolution::Day, Some("Europe/Oslo")).unwrap();
        assert!(grid.is_on_grid(days[0].1));
    }

    #[test]
    fn the_typed_view_matches_the_batch() {
        let points = [
            Point::new(0, 1, 1.5),
            Point::new(3_600_000, 0x8000_0000, f64::NAN),
        ];
        let read = TimeseriesPoints::from_points(&points).unwrap();
        assert_eq!(read.len(), 2);
        let typed: Vec<UtcPoint> = read.iter().collect();
        assert_eq!(typed[1].time.timestamp(), 3600);
        assert_eq!(typed[1].flags, 0x8000_0000);
        assert!(typed[1].value.is_nan());
        assert_eq!(read.points()[0], points[0]);
        assert_eq!(read.iter().len(), 2);
        assert!(TimeseriesPoints::from_points(&[Point::new(i64::MAX, 0, 0.0)]).is_err());
    }
}
