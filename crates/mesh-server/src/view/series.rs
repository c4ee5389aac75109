//! Creating series, changing their metadata and writing their points.

use mesh_storage::{Replace, SeriesMeta};
use mesh_timeseries::{echo, segment, CurveType, Grid, Point, Resolution};
use uuid::Uuid;

use super::{SessionEdit, ViewError};
use mesh_model::units;

/// A series to create.
#[derive(Debug, Clone)]
pub struct NewSeries {
    /// Catalogue path; begins and ends with `/`.
    pub path: String,
    /// Name within the catalogue; no `/`.
    pub name: String,
    /// How values between points are read.
    pub curve_type: CurveType,
    /// Spacing of the points.
    pub resolution: Resolution,
    /// A unit of the catalogue (`mesh_model::units`).
    pub unit_id: Uuid,
    /// IANA time zone, for DAY and coarser only; empty means none.
    pub time_zone: Option<String>,
    /// The expression of a virtual series (computed on read, no points
    /// stored); `None` for a physical series.
    pub virtual_expression: Option<String>,
}

/// Changes to a series' metadata; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SeriesUpdate {
    /// A new curve type.
    pub curve_type: Option<CurveType>,
    /// A new unit of the catalogue.
    pub unit_id: Option<Uuid>,
    /// A new time zone; `Some("")` removes it.
    pub time_zone: Option<String>,
}

impl SessionEdit<'_> {
    /// Creates a series in the session. Its full path must be free: not
    /// created earlier in this session, not committed. (A path committed by
    /// another session after this check is caught when this one commits.)
    pub async fn create_series(&mut self, new: NewSeries) -> Result<SeriesMeta, ViewError> {
        series_name(&new.name)?;
        catalogue_path(&new.path)?;
        let unit_id = known_unit(new.unit_id)?;
        let time_zone = time_zone(new.time_zone.as_deref(), new.resolution)?;
        if let Some(expression) = &new.virtual_expression {
            virtual_expression(expression, &new.path, &new.name)?;
        }
        let mut meta = SeriesMeta {
            key: 0,
            path: new.path,
            name: new.name,
            curve_type: new.curve_type,
            resolution: new.resolution,
            unit_id,
            time_zone,
            virtual_expression: new.virtual_expression,
        };
        let full_path = meta.full_path();
        if let Some(existing) = self.workspace.changes().series_at_path(&full_path) {
            return Err(path_taken(&meta, existing));
        }
        let committed = self
            .store
            .read(move |snapshot| -> Result<_, ViewError> {
                Ok(snapshot.series_at_path(&full_path)?)
            })
            .await?;
        if let Some(existing) = committed {
            return Err(path_taken(&meta, existing));
        }
        meta.key = self.store.allocate_key().await?;
        self.workspace.changes_mut().create_series(meta.clone());
        Ok(meta)
    }

    /// Changes the metadata of series `key`. An empty update changes
    /// nothing, but the series must exist.
    pub async fn update_series(&mut self, key: i64, update: SeriesUpdate) -> Result<(), ViewError> {
        let mut meta = self.view().series(key).await?;
        let SeriesUpdate {
            curve_type,
            unit_id,
            time_zone: zone,
        } = update;
        if curve_type.is_none() && unit_id.is_none() && zone.is_none() {
            return Ok(());
        }
        if let Some(curve_type) = curve_type {
            meta.curve_type = curve_type;
        }
        if let Some(unit_id) = unit_id {
            meta.unit_id = known_unit(unit_id)?;
        }
        if let Some(zone) = zone {
            meta.time_zone = time_zone(Some(&zone), meta.resolution)?;
        }
        self.workspace.changes_mut().update_meta(meta);
        Ok(())
    }

    /// Replaces `[start, end)` of series `key` with `points` (none deletes
    /// the interval). `resolution`, when the client sent one, must be the
    /// series' own.
    pub async fn write_points(
        &mut self,
        key: i64,
        (start, end): (i64, i64),
        resolution: Option<Resolution>,
        points: Vec<Point>,
    ) -> Result<(), ViewError> {
        let meta = self.view().series(key).await?;
        if meta.virtual_expression.is_some() {
            return Err(ViewError::FailedPrecondition(format!(
                "time series {key} ('Resource{}') is virtual: its points are computed from its expression, and none can be written",
                mesh_timeseries::echo(&meta.full_path())
            )));
        }
        if let Some(sent) = resolution.filter(|sent| *sent != meta.resolution) {
            return Err(ViewError::InvalidArgument(format!(
                "the request's resolution {sent} is not the series' resolution {}",
                meta.resolution
            )));
        }
        segment::validate_write(&points, start, end, &grid(&meta)?)
            .map_err(|e| ViewError::InvalidArgument(e.to_string()))?;
        self.workspace.changes_mut().replace_points(
            key,
            Replace {
                start_ms: start,
                end_ms: end,
                points,
            },
        );
        Ok(())
    }
}

/// A virtual series' expression must be a program of the language: a
/// mistake is found when the series is made, not on every read.
fn virtual_expression(expression: &str, path: &str, name: &str) -> Result<(), ViewError> {
    if expression.trim().is_empty() {
        return Err(ViewError::InvalidArgument(format!(
            "virtual time series '{}{}' has an empty expression",
            mesh_timeseries::echo(path),
            mesh_timeseries::echo(name)
        )));
    }
    mesh_calc::parser::parse(expression, &mesh_calc::Limits::default())
        .map(|_| ())
        .map_err(|e| {
            ViewError::InvalidArgument(format!(
                "the expression of virtual time series '{}{}': {e}",
                mesh_timeseries::echo(path),
                mesh_timeseries::echo(name)
            ))
        })
}

/// The time grid of a series. Its metadata was checked when it was
/// written, so a failure here is damage, not the client's fault.
pub(super) fn grid(meta: &SeriesMeta) -> Result<Grid, ViewError> {
    Grid::new(meta.resolution, meta.time_zone.as_deref()).map_err(|e| {
        ViewError::Storage(mesh_storage::StoreError::CorruptMeta {
            key: meta.key,
            reason: e.to_string(),
        })
    })
}

/// The catalogue path of a new series: it begins and ends with `/`, so
/// that path and name join into the full path unambiguously.
fn catalogue_path(path: &str) -> Result<(), ViewError> {
    if !(path.starts_with('/') && path.ends_with('/')) {
        return Err(ViewError::InvalidArgument(format!(
            "the path '{}' must begin and end with '/' (for example '/' or '/Plants/Upper/')",
            echo(path)
        )));
    }
    Ok(())
}

/// The name of a new series: not empty, and without `/`, which separates
/// the catalogues of the full path.
fn series_name(name: &str) -> Result<(), ViewError> {
    if name.trim().is_empty() {
        return Err(ViewError::InvalidArgument(
            "the time series needs a name".into(),
        ));
    }
    if name.contains('/') {
        return Err(ViewError::InvalidArgument(format!(
            "the name '{}' contains '/', which separates catalogues; put catalogues in the path",
            echo(name)
        )));
    }
    Ok(())
}

fn known_unit(id: Uuid) -> Result<Uuid, ViewError> {
    units::by_id(id).map(|unit| unit.id).ok_or_else(|| {
        ViewError::InvalidArgument(format!(
            "unknown unit of measurement {}; ListUnitsOfMeasurement lists the known ones",
            crate::guid::display(id)
        ))
    })
}

/// A time zone for a series: empty means none; only calendar resolutions
/// (DAY and coarser) have one, as finer steps do not depend on it.
fn time_zone(zone: Option<&str>, resolution: Resolution) -> Result<Option<String>, ViewError> {
    let Some(zone) = zone.filter(|zone| !zone.is_empty()) else {
        return Ok(None);
    };
    mesh_timeseries::resolution::parse_time_zone(zone)
        .map_err(|e| ViewError::InvalidArgument(e.to_string()))?;
    if !resolution.is_calendar() {
        // Starts as the reference server's text, which clients match on.
        return Err(ViewError::InvalidArgument(format!(
            "time zone can only be set for a time series with a daily resolution or coarser; \
             this one's resolution is {resolution} (a time zone applies to DAY, WEEK, MONTH and YEAR)"
        )));
    }
    Ok(Some(zone.to_string()))
}

/// A full path taken by another series.
fn path_taken(meta: &SeriesMeta, existing: i64) -> ViewError {
    ViewError::AlreadyExists(format!(
        "a time series with the path 'Resource{}' already exists (key {existing})",
        echo(&meta.full_path())
    ))
}
