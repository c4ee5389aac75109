//! What describes a physical time series: [`TimeseriesResource`] as the
//! server sends it, and [`ResourceUpdate`], what an update changes.

use mesh_timeseries::{CurveType, Resolution};

use super::units::UnitOfMeasurement;
use crate::error::{Error, Result};
use crate::guid;

/// A physical time series as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeseriesResource {
    /// What every call on the series names it by.
    pub timeseries_key: i64,
    /// The full path as the server reports it, e.g. `Resource/Plants/Inflow`
    /// for a series created with path `/Plants/` and name `Inflow`.
    pub path: String,
    /// The name given at creation, without the path.
    pub name: String,
    /// The server's `temporary` flag, as it sent it (mesh-server always
    /// sends `false`).
    pub temporary: bool,
    /// How values between points are read.
    pub curve_type: CurveType,
    /// The spacing of the points: a fixed step, or `Breakpoint` for points
    /// at any instants.
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
///
/// [`Session::update_timeseries_resource_info`]: crate::Session::update_timeseries_resource_info
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceUpdate {
    pub(super) curve_type: Option<CurveType>,
    pub(super) unit: Option<String>,
    /// `Some(None)` removes the zone.
    pub(super) time_zone: Option<Option<String>>,
}

impl ResourceUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        ResourceUpdate::default()
    }

    /// The new curve type.
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

pub(super) fn resource(
    proto: mesh_proto::time_series::TimeseriesResource,
) -> Result<TimeseriesResource> {
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
