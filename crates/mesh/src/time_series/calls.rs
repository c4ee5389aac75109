//! The time series calls on [`Session`]: create, get and update a series'
//! resource, write and read its points, and the one-message calls they are
//! made of.

use arrow_array::RecordBatch;
use chrono::{DateTime, Utc};
use mesh_proto::time_series::timeseries_service_client::TimeseriesServiceClient;
use mesh_proto::time_series::{
    CreatePhysicalTimeseriesRequest, GetTimeseriesResourceRequest, ReadTimeseriesRequest,
    ReadTimeseriesStreamRequest, Timeseries, UpdateTimeseriesResourceRequest,
    WriteTimeseriesRequest,
};
use mesh_proto::types::{Curve, MeshId, Resolution as ProtoResolution, UtcInterval};
use mesh_timeseries::{arrow_ipc, CurveType, Point, Resolution};
use uuid::Uuid;

use super::points::TimeseriesPoints;
use super::resource::{resource, ResourceUpdate, TimeseriesResource};
use super::splitting::POINTS_PER_MESSAGE;
use crate::connection::Transport;
use crate::error::{Error, Result};
use crate::guid;
use crate::session::Session;

impl Session {
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
        // Several calls, checked as a whole before the first is sent.
        self.write_in_pieces(id, key, start_ms, end_ms, points)
            .await
    }

    /// The points of series `key` in `[start, end)`, as this session sees
    /// them: for a fixed resolution one point per step (steps without a
    /// value as NaN flagged `MISSING`), for `BREAKPOINT` the stored points.
    /// A `PIECEWISELINEAR` series also gives the point to interpolate
    /// towards up to `end`: with a fixed resolution the step at (or just
    /// after) `end`, filled like the others; with `BREAKPOINT` the first
    /// stored point at or after `end`.
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

    pub(super) fn timeseries_client(&self) -> TimeseriesServiceClient<Transport> {
        // Answers are sized by the server, which keeps them to its own
        // limit; refusing a large one here would only lose a read.
        TimeseriesServiceClient::new(self.connection().transport())
            .max_decoding_message_size(usize::MAX)
    }

    pub(super) async fn write_one(
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

    pub(super) async fn read_one(
        &self,
        id: Uuid,
        key: i64,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Timeseries> {
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
}

fn check_key(series: &Timeseries, key: i64) -> Result<()> {
    match series.id.as_ref().and_then(|id| id.timeseries_key) {
        Some(answered) if answered != key => Err(Error::Protocol(format!(
            "asked for time series {key}, the server answered for {answered}"
        ))),
        _ => Ok(()),
    }
}

/// Whole milliseconds, a sub-millisecond part rounded up as the server does.
pub(super) fn to_ms(time: DateTime<Utc>) -> i64 {
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

    #[test]
    fn sub_millisecond_instants_round_up() {
        let at = |nanos| DateTime::<Utc>::from_timestamp(1, nanos).unwrap();
        assert_eq!(to_ms(at(0)), 1000);
        assert_eq!(to_ms(at(1)), 1001);
        assert_eq!(to_ms(at(999_000_000)), 1999);
        let before_epoch = DateTime::<Utc>::from_timestamp(-1, 500_000).unwrap();
        assert_eq!(to_ms(before_epoch), -999);
    }
}
