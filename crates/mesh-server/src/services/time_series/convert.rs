//! Between the wire types of the time-series API and the session view's:
//! wire numbers, Guids, timestamps and field masks in; proto messages out.
//! No rule lives here beyond what the wire itself demands.

use mesh_proto::model_definition::UnitOfMeasurement;
use mesh_proto::time_series::{Timeseries, TimeseriesResource, UpdateTimeseriesResourceRequest};
use mesh_proto::types::{Curve, MeshId, Resolution as ProtoResolution, UtcInterval};
use mesh_storage::SeriesMeta;
use mesh_timeseries::{arrow_ipc, echo, CurveType, Resolution};
use tonic::Status;
use uuid::Uuid;

use crate::guid;
use crate::view::{ReadAnswer, SeriesUpdate};
use mesh_model::units;

/// How a request names a time series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeriesId {
    /// By key.
    Key(i64),
    /// By a time series attribute of the model (its id, its path, or both).
    Attribute(MeshId),
}

/// How `id` names a time series: a key wins when both are set.
pub fn series_id(id: Option<&MeshId>) -> Result<SeriesId, Status> {
    let id = id.ok_or_else(|| Status::invalid_argument("the time series id is missing"))?;
    match (id.timeseries_key, &id.path, &id.id) {
        (Some(key), _, _) => Ok(SeriesId::Key(key)),
        (None, Some(_), _) | (None, _, Some(_)) => Ok(SeriesId::Attribute(id.clone())),
        (None, None, None) => Err(Status::invalid_argument(
            "the time series id names nothing: set timeseries_key, or the id or path of a time series attribute",
        )),
    }
}

/// `[start, end)` in whole milliseconds. Instants between two milliseconds
/// round up on both ends, which keeps exactly the points of the interval.
pub fn interval(interval: Option<&UtcInterval>) -> Result<(i64, i64), Status> {
    let interval = interval.ok_or_else(|| Status::invalid_argument("the interval is missing"))?;
    let start = millis(interval.start_time.as_ref(), "start_time")?;
    let end = millis(interval.end_time.as_ref(), "end_time")?;
    if start >= end {
        return Err(Status::invalid_argument(format!(
            "the interval is empty: start_time {} is not before end_time {}",
            mesh_timeseries::format_utc_ms(start),
            mesh_timeseries::format_utc_ms(end)
        )));
    }
    Ok((start, end))
}

fn millis(time: Option<&prost_types::Timestamp>, what: &str) -> Result<i64, Status> {
    let time =
        time.ok_or_else(|| Status::invalid_argument(format!("the interval's {what} is missing")))?;
    if !(0..1_000_000_000).contains(&time.nanos) {
        return Err(Status::invalid_argument(format!(
            "the interval's {what} has nanos {} outside 0..1e9",
            time.nanos
        )));
    }
    time.seconds
        .checked_mul(1000)
        .and_then(|ms| ms.checked_add(i64::from((time.nanos as u32).div_ceil(1_000_000))))
        .ok_or_else(|| Status::invalid_argument(format!("the interval's {what} is out of range")))
}

/// A resolution a physical series can have.
pub fn resolution(value: Option<&ProtoResolution>) -> Result<Resolution, Status> {
    let number = value.map_or(0, |r| r.r#type);
    Resolution::from_proto(number).ok_or_else(|| {
        Status::invalid_argument(format!(
            "resolution {number} is not one a physical time series can have (BREAKPOINT, MIN, MIN5, MIN10, MIN15, MIN30, HOUR, DAY, WEEK, MONTH or YEAR)"
        ))
    })
}

/// The resolution a write names, if it names one (0 or absent: none).
pub fn sent_resolution(value: Option<&ProtoResolution>) -> Result<Option<Resolution>, Status> {
    match value.filter(|r| r.r#type != 0) {
        None => Ok(None),
        Some(sent) => resolution(Some(sent)).map(Some),
    }
}

/// A curve type; `UNKNOWN` (0, also what an absent curve means) is one:
/// clients of the reference server create series with it.
pub fn curve_type(value: Option<&Curve>) -> Result<CurveType, Status> {
    let number = value.map_or(0, |c| c.r#type);
    CurveType::from_proto(number).ok_or_else(|| {
        Status::invalid_argument(format!(
            "curve type {number} is not one a time series can have (UNKNOWN, STAIRCASESTARTOFSTEP, PIECEWISELINEAR or STAIRCASE)"
        ))
    })
}

/// The changes a field mask names. An empty mask names none (the official
/// SDK sends one when asked to change nothing).
pub fn series_update(request: UpdateTimeseriesResourceRequest) -> Result<SeriesUpdate, Status> {
    let mut update = SeriesUpdate::default();
    for path in request
        .field_mask
        .map(|mask| mask.paths)
        .unwrap_or_default()
    {
        match path.as_str() {
            "new_curve_type" => update.curve_type = Some(curve_type(request.new_curve_type.as_ref())?),
            "new_unit_of_measurement_id" => {
                update.unit_id = Some(guid::required(
                    request.new_unit_of_measurement_id.as_ref(),
                    "unit of measurement id",
                )?)
            }
            "new_time_zone" => update.time_zone = Some(request.new_time_zone.clone()),
            other => {
                return Err(Status::invalid_argument(format!(
                    "field_mask path '{}' cannot be updated; use new_curve_type, new_unit_of_measurement_id or new_time_zone",
                    echo(other)
                )))
            }
        }
    }
    Ok(update)
}

/// A series' metadata as clients see it; its path is the full resource
/// path, `Resource` followed by the catalogue path and the name.
pub fn resource(meta: &SeriesMeta) -> TimeseriesResource {
    TimeseriesResource {
        timeseries_key: meta.key,
        path: format!("Resource{}", meta.full_path()),
        name: meta.name.clone(),
        temporary: false,
        curve_type: Some(Curve {
            r#type: meta.curve_type.to_proto(),
        }),
        resolution: Some(ProtoResolution {
            r#type: meta.resolution.to_proto(),
        }),
        unit_of_measurement: Some(UnitOfMeasurement {
            id: Some(guid::to_proto(meta.unit_id)),
            name: units::by_id(meta.unit_id)
                .map(|u| u.name.to_string())
                .unwrap_or_default(),
        }),
        virtual_timeseries_expression: meta.virtual_expression.clone().unwrap_or_default(),
        time_zone: meta.time_zone.clone(),
    }
}

/// A read's answer, named by [`answer_id`].
pub fn timeseries(key: i64, through: Option<&(Uuid, String)>, answer: &ReadAnswer) -> Timeseries {
    Timeseries {
        id: Some(answer_id(key, through)),
        resolution: Some(ProtoResolution {
            r#type: answer.meta.resolution.to_proto(),
        }),
        interval: answer
            .interval
            .map(|(start, end)| UtcInterval::from_millis(start, end)),
        data: arrow_ipc::encode(&answer.points),
    }
}

/// How an answer names the series it carries. Read through an attribute
/// (`through`: its id and path), it names the attribute with key 0, as the
/// reference does. Read by key, it carries the key and a Guid, since
/// clients convert the Guid whenever the id is there; such a series has no
/// attribute, so the Guid is the nil one.
pub fn answer_id(key: i64, through: Option<&(Uuid, String)>) -> MeshId {
    match through {
        Some((attribute, path)) => MeshId {
            id: Some(guid::to_proto(*attribute)),
            path: Some(path.clone()),
            timeseries_key: Some(0),
        },
        None => MeshId {
            id: Some(guid::to_proto(Uuid::nil())),
            path: None,
            timeseries_key: Some(key),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_millisecond_instants_round_up() {
        let at = |seconds, nanos| Some(prost_types::Timestamp { seconds, nanos });
        let interval = UtcInterval {
            start_time: at(1, 500_000),
            end_time: at(2, 0),
        };
        assert_eq!(super::interval(Some(&interval)).unwrap(), (1001, 2000));
    }
}
