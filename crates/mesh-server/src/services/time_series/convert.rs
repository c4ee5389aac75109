//! Between the wire types of the time-series API and our own.

use mesh_proto::model_definition::UnitOfMeasurement;
use mesh_proto::time_series::TimeseriesResource;
use mesh_proto::types::{Curve, MeshId, Resolution as ProtoResolution, UtcInterval};
use mesh_storage::SeriesMeta;
use mesh_timeseries::{CurveType, Grid, Resolution};
use tonic::Status;
use uuid::Uuid;

use crate::{guid, units};

/// The time series a MeshId names. Only keys are served: paths and
/// attribute ids need the model.
pub fn series_key(id: Option<&MeshId>) -> Result<i64, Status> {
    let id = id.ok_or_else(|| Status::invalid_argument("the time series id is missing"))?;
    match (id.timeseries_key, &id.path, &id.id) {
        (Some(key), _, _) => Ok(key),
        (None, Some(_), _) | (None, _, Some(_)) => Err(Status::unimplemented(
            "time series addressed by path or attribute id need the model, which mesh-rs does not serve yet; address it by timeseries_key",
        )),
        (None, None, None) => Err(Status::invalid_argument(
            "the time series id names nothing: set timeseries_key",
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

pub fn resolution(value: Option<&ProtoResolution>) -> Result<Resolution, Status> {
    let number = value.map_or(0, |r| r.r#type);
    Resolution::from_proto(number).ok_or_else(|| {
        Status::invalid_argument(format!(
            "resolution {number} is not one a physical time series can have (BREAKPOINT, MIN, MIN5, MIN10, MIN15, MIN30, HOUR, DAY, WEEK, MONTH or YEAR)"
        ))
    })
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

/// The catalogue path of a new series: it begins and ends with `/`, so
/// that path and name join into the full path unambiguously.
pub fn catalogue_path(path: &str) -> Result<(), Status> {
    if !(path.starts_with('/') && path.ends_with('/')) {
        return Err(Status::invalid_argument(format!(
            "the path '{}' must begin and end with '/' (for example '/' or '/Plants/Upper/')",
            mesh_timeseries::echo(path)
        )));
    }
    Ok(())
}

/// The name of a new series: not empty, and without `/`, which separates
/// the catalogues of the full path.
pub fn series_name(name: &str) -> Result<(), Status> {
    if name.trim().is_empty() {
        return Err(Status::invalid_argument("the time series needs a name"));
    }
    if name.contains('/') {
        return Err(Status::invalid_argument(format!(
            "the name '{}' contains '/', which separates catalogues; put catalogues in the path",
            mesh_timeseries::echo(name)
        )));
    }
    Ok(())
}

pub fn unit(id: Option<&mesh_proto::types::Guid>) -> Result<units::Unit, Status> {
    let id = guid::required(id, "unit of measurement id")?;
    units::by_id(id).ok_or_else(|| {
        Status::invalid_argument(format!(
            "unknown unit of measurement {}; ListUnitsOfMeasurement lists the known ones",
            guid::display(id)
        ))
    })
}

/// A time zone for a series: empty means none; only calendar resolutions
/// (DAY and coarser) have one, as finer steps do not depend on it.
pub fn time_zone(zone: Option<&str>, resolution: Resolution) -> Result<Option<String>, Status> {
    let Some(zone) = zone.filter(|zone| !zone.is_empty()) else {
        return Ok(None);
    };
    mesh_timeseries::resolution::parse_time_zone(zone)
        .map_err(|e| Status::invalid_argument(e.to_string()))?;
    if !resolution.is_calendar() {
        // Starts as the reference server's text, which clients match on.
        return Err(Status::invalid_argument(format!(
            "time zone can only be set for a time series with a daily resolution or coarser; \
             this one's resolution is {resolution} (a time zone applies to DAY, WEEK, MONTH and YEAR)"
        )));
    }
    Ok(Some(zone.to_string()))
}

/// The time grid of a stored series.
pub fn grid(meta: &SeriesMeta) -> Result<Grid, Status> {
    let resolution = Resolution::from_proto(meta.resolution).ok_or_else(|| {
        Status::internal(format!(
            "series {} has the invalid resolution {}",
            meta.key, meta.resolution
        ))
    })?;
    Grid::new(resolution, meta.time_zone.as_deref())
        .map_err(|e| Status::internal(format!("series {}: {e}", meta.key)))
}

pub fn resource(meta: &SeriesMeta) -> TimeseriesResource {
    let unit_id = Uuid::from_bytes_le(meta.unit_id);
    TimeseriesResource {
        timeseries_key: meta.key,
        path: resource_path(meta),
        name: meta.name.clone(),
        temporary: false,
        curve_type: Some(Curve {
            r#type: meta.curve_type,
        }),
        resolution: Some(ProtoResolution {
            r#type: meta.resolution,
        }),
        unit_of_measurement: Some(UnitOfMeasurement {
            id: Some(guid::to_proto(unit_id)),
            name: units::by_id(unit_id)
                .map(|u| u.name.to_string())
                .unwrap_or_default(),
        }),
        virtual_timeseries_expression: String::new(),
        time_zone: meta.time_zone.clone(),
    }
}

/// The full resource path clients see: `Resource` followed by the
/// catalogue path and the name (`/Plants/` and `Inflow` give
/// `Resource/Plants/Inflow`).
pub fn resource_path(meta: &SeriesMeta) -> String {
    format!("Resource{}", meta.full_path())
}

/// The id a read answers with: the key it was read by, and a Guid, since
/// clients convert the Guid whenever the id is there. A series read by key
/// has no attribute, so the Guid is the nil one.
pub fn read_id(key: i64) -> MeshId {
    MeshId {
        id: Some(guid::to_proto(Uuid::nil())),
        path: None,
        timeseries_key: Some(key),
    }
}

/// The store has a point type of its own, free of the Arrow and time-zone
/// dependencies; the two have the same fields.
pub fn from_stored(point: mesh_storage::Point) -> mesh_timeseries::Point {
    mesh_timeseries::Point::new(point.utc_ms, point.flags, point.value)
}

pub fn to_stored(point: mesh_timeseries::Point) -> mesh_storage::Point {
    mesh_storage::Point::new(point.utc_ms, point.flags, point.value)
}

/// A path taken by another series, whether committed or created earlier
/// in the same session.
pub fn path_taken(meta: &SeriesMeta, existing: i64) -> Status {
    Status::already_exists(format!(
        "a time series with the path '{}' already exists (key {existing})",
        mesh_timeseries::echo(&resource_path(meta))
    ))
}

pub fn storage_error(error: mesh_storage::StoreError) -> Status {
    tracing::error!(%error, "storage failed");
    Status::internal(format!("storage failed: {error}"))
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
