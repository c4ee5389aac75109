//! `ReadTransformedTimeseries`: a read at another resolution, which is
//! `@TRANSFORM` of the series the request names (calc notes §1), so the
//! calculation engine does the work and reads go through the session's
//! view like any calculation's.

use std::sync::Arc;

use mesh_proto::time_series::{
    ReadTimeseriesResponse, ReadTransformedTimeseriesSingleRequest, Timezone, TransformationMethod,
};
use tonic::Status;

use super::{address, convert, Addressed, Use};
use crate::calc::{self, CalcSettings, Target};
use crate::session::SessionLease;
use crate::view::SessionView;

/// One request of the call, checked and addressed.
pub(super) struct Job {
    series: Addressed,
    interval: (i64, i64),
    expression: String,
}

/// Checks one request and finds its series, before anything is streamed:
/// a bad request fails the call as a whole.
pub(super) async fn job(
    lease: &SessionLease,
    single: &ReadTransformedTimeseriesSingleRequest,
    settings: &Arc<CalcSettings>,
) -> Result<Job, Status> {
    let series = address(lease, single.timeseries_id.as_ref(), Use::Read, settings).await?;
    let interval = convert::interval(single.interval.as_ref())?;
    let resolution = convert::resolution(single.resolution.as_ref())?;
    let method = match TransformationMethod::try_from(single.transformation_method) {
        // The proto's IMPLICIT is the language's DEFAULT (docs/decisions.md).
        Ok(TransformationMethod::Unspecified | TransformationMethod::Implicit) => "DEFAULT",
        Ok(m) => m.as_str_name(),
        Err(_) => {
            return Err(Status::invalid_argument(format!(
                "transformation_method {} is not a TransformationMethod",
                single.transformation_method
            )))
        }
    };
    let zone = match Timezone::try_from(single.transformation_timezone) {
        Ok(Timezone::Unspecified | Timezone::Utc) => "UTC",
        Ok(Timezone::Local) => "LOCAL",
        Ok(Timezone::Standard) => "STANDARD",
        Err(_) => {
            return Err(Status::invalid_argument(format!(
                "transformation_timezone {} is not a Timezone",
                single.transformation_timezone
            )))
        }
    };
    let expression = format!(
        "## = @TRANSFORM(@t(), '{}', '{method}', '{zone}')",
        resolution.name()
    );
    Ok(Job {
        series,
        interval,
        expression,
    })
}

/// The answer to one request: the transformed series, named as a read of
/// it would be.
pub(super) async fn run(
    lease: &SessionLease,
    view: &SessionView,
    job: Job,
    settings: Arc<CalcSettings>,
) -> Result<ReadTimeseriesResponse, Status> {
    let model = crate::services::model::view(lease).await;
    let target = match &job.series.through {
        Some((attribute, _)) => Target::Attribute(*attribute),
        None => Target::Key(job.series.key),
    };
    let interval = mesh_calc::Interval::new(job.interval.0, job.interval.1);
    let value = calc::run(
        view,
        model,
        target,
        job.expression,
        job.interval,
        settings.clone(),
    )
    .await?;
    let value = value.ok_or_else(|| Status::internal("the transform answered nothing"))?;
    let series = calc::as_series(value, interval, "the transform")?;
    crate::services::calc::check_size(series.len(), &settings)?;
    let mut answer = crate::services::calc::result_series(&series, interval);
    answer.id = Some(convert::answer_id(
        job.series.key,
        job.series.through.as_ref(),
    ));
    Ok(ReadTimeseriesResponse {
        timeseries: vec![answer],
    })
}
