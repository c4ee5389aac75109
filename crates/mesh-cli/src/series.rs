//! `mesh series create|info|update`, and how commands name a series.

use anyhow::{bail, Context};
use mesh::{Connection, ResourceUpdate, Session, TimeseriesResource};
use serde_json::json;

use crate::args::SeriesCommand;
use crate::output::Output;

/// Runs a `mesh series` command.
pub async fn run(
    connection: &Connection,
    command: SeriesCommand,
    out: &Output,
) -> anyhow::Result<()> {
    let series = match command {
        SeriesCommand::Create {
            path,
            name,
            curve_type,
            resolution,
            unit,
            time_zone,
        } => {
            connection
                .with_session(|session| async move {
                    let created = session
                        .create_physical_timeseries(
                            &path,
                            &name,
                            curve_type,
                            resolution,
                            &unit,
                            time_zone.as_deref(),
                        )
                        .await?;
                    session.commit().await?;
                    Ok(created)
                })
                .await?
        }
        SeriesCommand::Info { series } => {
            let session = connection.open_session().await?;
            let outcome = async {
                let key = key_of(&session, &series).await?;
                Ok::<_, anyhow::Error>(session.get_timeseries_resource_info(key).await?)
            }
            .await;
            session.close().await?;
            outcome?
        }
        SeriesCommand::Update {
            series,
            curve_type,
            unit,
            time_zone,
            clear_time_zone,
        } => {
            let mut update = ResourceUpdate::new();
            if let Some(curve_type) = curve_type {
                update = update.curve_type(curve_type);
            }
            if let Some(unit) = &unit {
                update = update.unit(unit);
            }
            if let Some(zone) = &time_zone {
                update = update.time_zone(zone);
            }
            if clear_time_zone {
                update = update.clear_time_zone();
            }
            if update.is_empty() {
                bail!("nothing to update: give --curve-type, --unit, --time-zone or --clear-time-zone");
            }
            let session = connection.open_session().await?;
            let outcome = async {
                let key = key_of(&session, &series).await?;
                session
                    .update_timeseries_resource_info(key, &update)
                    .await?;
                session.commit().await?;
                Ok::<_, anyhow::Error>(session.get_timeseries_resource_info(key).await?)
            }
            .await;
            session.close().await?;
            outcome?
        }
    };
    print_series(&series, out);
    Ok(())
}

/// The key of the series `series` names: a key, or the path or id of a
/// time series attribute connected to one.
pub async fn key_of(session: &Session, series: &str) -> anyhow::Result<i64> {
    if let Ok(key) = series.parse::<i64>() {
        return Ok(key);
    }
    session
        .timeseries_key_of(series)
        .await
        .with_context(|| format!("{series} is no series key, nor a time series attribute"))?
        .with_context(|| {
            format!("time series attribute {series} is connected to no physical series")
        })
}

fn print_series(series: &TimeseriesResource, out: &Output) {
    out.record(&[
        ("key", json!(series.timeseries_key)),
        ("path", json!(series.path)),
        ("name", json!(series.name)),
        ("curve_type", json!(series.curve_type.name())),
        ("resolution", json!(series.resolution.name())),
        (
            "unit",
            json!(series
                .unit_of_measurement
                .as_ref()
                .map(|unit| unit.name.clone())),
        ),
        ("time_zone", json!(series.time_zone)),
    ]);
}
