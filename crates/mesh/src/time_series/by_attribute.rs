//! Reading and writing the points of a series through the time series
//! attribute connected to it, named by its path or id, as users of the
//! model do (`Model/Hydro/North/Alta.Production`), without looking up the
//! key first.

use chrono::{DateTime, Utc};
use mesh_proto::time_series::{ReadTimeseriesRequest, Timeseries, WriteTimeseriesRequest};
use mesh_proto::types::UtcInterval;
use mesh_timeseries::{arrow_ipc, Point};

use super::calls::to_ms;
use super::points::TimeseriesPoints;
use super::splitting::POINTS_PER_MESSAGE;
use crate::error::{Error, Result};
use crate::guid;
use crate::model::Target;
use crate::session::Session;

impl Session {
    /// The points in `[start, end)` of the series the time series
    /// attribute `attribute` is connected to, as this session sees them
    /// (see [`Session::read_timeseries_points`]). One call names the
    /// attribute; an answer too large for one message is read in pieces by
    /// the series' key instead.
    pub async fn read_timeseries_points_at(
        &self,
        attribute: impl Into<Target>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<TimeseriesPoints> {
        let id = self.open_id()?;
        let attribute = attribute.into();
        let answer = self
            .timeseries_client()
            .read_timeseries(ReadTimeseriesRequest {
                session_id: Some(guid::to_proto(id)),
                timeseries_id: Some(attribute.to_proto()),
                interval: Some(UtcInterval::from_millis(to_ms(start), to_ms(end))),
            })
            .await;
        match answer {
            Ok(answer) => {
                let series = answer.into_inner().timeseries;
                match series.as_slice() {
                    [one] => TimeseriesPoints::from_payload(&one.data),
                    _ => Err(Error::Protocol(format!(
                        "a read of one time series answered {} series",
                        series.len()
                    ))),
                }
            }
            Err(status) if status.code() == tonic::Code::ResourceExhausted => {
                let key = self.connected_key(attribute).await?;
                self.read_timeseries_points(key, start, end).await
            }
            Err(status) => Err(Error::from_session_call(status, id)),
        }
    }

    /// Replaces `[start, end)` of the series the time series attribute
    /// `attribute` is connected to with `points`, in the session (see
    /// [`Session::write_timeseries_point_slice`]).
    pub async fn write_timeseries_points_at(
        &self,
        attribute: impl Into<Target>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        points: &[Point],
    ) -> Result<()> {
        let id = self.open_id()?;
        let attribute = attribute.into();
        if points.len() > POINTS_PER_MESSAGE {
            let key = self.connected_key(attribute).await?;
            return self
                .write_timeseries_point_slice(key, start, end, points)
                .await;
        }
        self.timeseries_client()
            .write_timeseries(WriteTimeseriesRequest {
                session_id: Some(guid::to_proto(id)),
                timeseries: Some(Timeseries {
                    id: Some(attribute.to_proto()),
                    resolution: None,
                    interval: Some(UtcInterval::from_millis(to_ms(start), to_ms(end))),
                    data: arrow_ipc::encode(points),
                }),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    async fn connected_key(&self, attribute: Target) -> Result<i64> {
        let described = format!("{attribute:?}");
        self.timeseries_key_of(attribute).await?.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "time series attribute {described} is not connected to a physical series"
            ))
        })
    }
}
