//! Copying a series, points and all, into a new series of the session (for
//! clones of model objects that take their series along).

use mesh_storage::SeriesMeta;

use super::series::NewSeries;
use super::{SessionEdit, ViewError};

/// The most points one copy takes into a session: a session holds its
/// changes in memory until it commits, so a copy beyond this is refused
/// rather than allowed to grow without bound.
pub const MAX_COPIED_POINTS: usize = 10_000_000;

impl SessionEdit<'_> {
    /// Creates a series like `key` (curve type, resolution, unit, time
    /// zone, name) in the folder `folder` beside it (`/A/` gives
    /// `/A/<folder>/`), holding the points `key` holds as this session sees
    /// them.
    pub async fn copy_series(&mut self, key: i64, folder: &str) -> Result<SeriesMeta, ViewError> {
        let original = self.view().series(key).await?;
        let changes = self.workspace.changes();
        let points = self
            .store
            .read(move |snapshot| -> Result<_, ViewError> {
                let pending = changes.get(key);
                let Some(first) =
                    mesh_storage::first_at_or_after_overlay(snapshot, pending, key, i64::MIN)?
                else {
                    return Ok(Vec::new());
                };
                mesh_storage::read_overlay_at_most(
                    snapshot,
                    pending,
                    key,
                    first.utc_ms,
                    i64::MAX,
                    MAX_COPIED_POINTS,
                )?
                .ok_or_else(|| {
                    ViewError::TooLarge(format!(
                        "time series {key} holds more than {MAX_COPIED_POINTS} points, more than one copy takes into a session"
                    ))
                })
            })
            .await?;
        let copy = self
            .create_series(NewSeries {
                path: format!("{}{folder}/", original.path),
                name: original.name.clone(),
                curve_type: original.curve_type,
                resolution: original.resolution,
                unit_id: original.unit_id,
                time_zone: original.time_zone.clone(),
                virtual_expression: original.virtual_expression.clone(),
            })
            .await?;
        if let (Some(first), Some(last)) = (points.first(), points.last()) {
            let interval = (first.utc_ms, last.utc_ms.saturating_add(1));
            self.workspace.changes_mut().replace_points(
                copy.key,
                mesh_storage::Replace {
                    start_ms: interval.0,
                    end_ms: interval.1,
                    points,
                },
            );
        }
        Ok(copy)
    }
}
