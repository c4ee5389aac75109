//! Calculations: expressions of the Mesh calculation language evaluated
//! by the server relative to an object, an attribute or a series
//! ([`Session::run_calculation`]), and typed helpers for the common ones
//! ([`Session::transform`], [`Session::sum_of_series`],
//! [`Session::sum_of_points`]), the history ones among them
//! ([`Session::as_of`], [`Session::historical_versions`],
//! [`Session::audit_times`]). Calculated attributes need nothing of
//! their own: [`Session::read_timeseries_points_at`] reads them.

use chrono::{DateTime, Datelike, Utc};
use mesh_proto::calc::calculation_response::CalculationResultOneof;
use mesh_proto::calc::calculation_service_client::CalculationServiceClient;
use mesh_proto::calc::CalculationRequest;
use mesh_proto::types::{MeshId, UtcInterval};
use mesh_timeseries::Resolution;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::guid;
use crate::model::Target;
use crate::session::Session;
use crate::time_series::TimeseriesPoints;

/// What an expression is evaluated relative to: searches in it start at
/// the object (an attribute's owner), and `@t()` is the attribute's or the
/// key's series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelativeTo {
    /// An object or an attribute, by id or path.
    Target(Target),
    /// A series by key.
    Key(i64),
}

impl RelativeTo {
    /// The id as the wire names it (a key, else an id or a path).
    pub(crate) fn to_proto(&self) -> MeshId {
        match self {
            RelativeTo::Target(target) => target.to_proto(),
            RelativeTo::Key(key) => MeshId {
                timeseries_key: Some(*key),
                ..Default::default()
            },
        }
    }
}

impl From<Target> for RelativeTo {
    fn from(target: Target) -> Self {
        RelativeTo::Target(target)
    }
}

impl From<&str> for RelativeTo {
    fn from(path: &str) -> Self {
        RelativeTo::Target(path.into())
    }
}

impl From<String> for RelativeTo {
    fn from(path: String) -> Self {
        RelativeTo::Target(Target::Path(path))
    }
}

impl From<Uuid> for RelativeTo {
    fn from(id: Uuid) -> Self {
        RelativeTo::Target(id.into())
    }
}

impl From<i64> for RelativeTo {
    fn from(key: i64) -> Self {
        RelativeTo::Key(key)
    }
}

/// A series an expression computed: it has no key, id or path.
#[derive(Debug, Clone, PartialEq)]
pub struct CalculatedSeries {
    /// Its resolution.
    pub resolution: Resolution,
    /// Its points.
    pub points: TimeseriesPoints,
}

/// What an expression gave, by the type of its result.
#[derive(Debug, Clone, PartialEq)]
pub enum CalculationResult {
    /// Series (`t` gives one, `T` any number, none included).
    Series(Vec<CalculatedSeries>),
    /// Numbers (`d` gives one, `D` any number).
    Numbers(Vec<f64>),
    /// Texts (`s` gives one, `S` any number).
    Strings(Vec<String>),
    /// The expression never set `##`.
    Nothing,
}

impl CalculationResult {
    /// The one series of the result, or an error saying what it is.
    pub fn into_series(self) -> Result<CalculatedSeries> {
        match self {
            CalculationResult::Series(mut all) if all.len() == 1 => Ok(all.remove(0)),
            other => Err(Error::Protocol(format!(
                "the calculation answered {}, not one series",
                other.describe()
            ))),
        }
    }

    /// The one number of the result, or an error saying what it is.
    pub fn into_number(self) -> Result<f64> {
        match self {
            CalculationResult::Numbers(all) if all.len() == 1 => Ok(all[0]),
            other => Err(Error::Protocol(format!(
                "the calculation answered {}, not one number",
                other.describe()
            ))),
        }
    }

    fn describe(&self) -> String {
        match self {
            CalculationResult::Series(all) => format!("{} series", all.len()),
            CalculationResult::Numbers(all) => format!("{} numbers", all.len()),
            CalculationResult::Strings(all) => format!("{} texts", all.len()),
            CalculationResult::Nothing => "nothing".to_string(),
        }
    }
}

/// How `TRANSFORM` aggregates the points of each new step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The sum of the values.
    Sum,
    /// The integral (value × seconds).
    SumI,
    /// The mean of the values.
    Avg,
    /// The time-weighted mean.
    AvgI,
    /// The first value.
    First,
    /// The last value.
    Last,
    /// The least value.
    Min,
    /// The greatest value.
    Max,
}

impl Method {
    /// The symbol the language spells it with.
    pub fn symbol(self) -> &'static str {
        match self {
            Method::Sum => "SUM",
            Method::SumI => "SUMI",
            Method::Avg => "AVG",
            Method::AvgI => "AVGI",
            Method::First => "FIRST",
            Method::Last => "LAST",
            Method::Min => "MIN",
            Method::Max => "MAX",
        }
    }
}

/// The calendar `TRANSFORM` steps in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// UTC.
    Utc,
    /// The server's local zone, daylight saving time included.
    Local,
    /// The server's standard offset, all year.
    Standard,
}

impl Zone {
    /// The symbol the language spells it with.
    pub fn symbol(self) -> &'static str {
        match self {
            Zone::Utc => "UTC",
            Zone::Local => "LOCAL",
            Zone::Standard => "STANDARD",
        }
    }
}

/// What a [`Session::transform`] computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    /// The new resolution (a fixed one).
    pub resolution: Resolution,
    /// How each new step aggregates the points in it.
    pub method: Method,
    /// Whose calendar steps follow; `None`: the server's standard offset.
    pub zone: Option<Zone>,
    /// The series to transform, found from the target by this search;
    /// `None`: the target's own series.
    pub query: Option<String>,
}

impl Transform {
    /// `method` to `resolution`, in the server's standard calendar, of
    /// the target's own series.
    pub fn new(resolution: Resolution, method: Method) -> Transform {
        Transform {
            resolution,
            method,
            zone: None,
            query: None,
        }
    }

    /// The same in `zone`'s calendar.
    pub fn in_zone(mut self, zone: Zone) -> Transform {
        self.zone = Some(zone);
        self
    }

    /// The same of the series `query` finds.
    pub fn of(mut self, query: &str) -> Transform {
        self.query = Some(query.to_string());
        self
    }

    /// The expression, as the official SDK writes it.
    pub fn expression(&self) -> Result<String> {
        let series = lookup('t', self.query.as_deref())?;
        let resolution = resolution_symbol(self.resolution)?;
        let method = self.method.symbol();
        Ok(match self.zone {
            Some(zone) => format!(
                "## = @TRANSFORM({series}, '{resolution}', '{method}', '{}')\n",
                zone.symbol()
            ),
            None => format!("## = @TRANSFORM({series}, '{resolution}', '{method}')\n"),
        })
    }
}

/// The resolution's symbol in the language: its wire name, for the fixed
/// resolutions a series can be transformed to.
fn resolution_symbol(resolution: Resolution) -> Result<&'static str> {
    if resolution == Resolution::Breakpoint {
        return Err(Error::InvalidArgument(
            "a series cannot be transformed to BREAKPOINT: name a fixed resolution".to_string(),
        ));
    }
    Ok(resolution.name())
}

/// `@t()` for the target itself, else `@t('query')` (or `@T`): quoted with
/// whichever quote the query does not hold, since the language has no
/// escapes.
fn lookup(function: char, query: Option<&str>) -> Result<String> {
    let Some(query) = query else {
        return Ok(format!("@{function}()"));
    };
    if query.contains('\n') {
        return Err(Error::InvalidArgument(
            "a search query cannot span lines".to_string(),
        ));
    }
    match (query.contains('\''), query.contains('"')) {
        (false, _) => Ok(format!("@{function}('{query}')")),
        (true, false) => Ok(format!("@{function}(\"{query}\")")),
        (true, true) => Err(Error::InvalidArgument(
            "a search query with both kinds of quotes cannot be written in an expression"
                .to_string(),
        )),
    }
}

fn to_ms(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// Ticks (100 ns since 0001-01-01) between 0001-01-01 and the Unix epoch.
const EPOCH_TICKS: i64 = 621_355_968_000_000_000;
/// Ticks per millisecond.
const TICKS_PER_MS: i64 = 10_000;

/// `time` as the time specification the official SDK writes, `UTC` and
/// the digits of the time to the millisecond (commit times are kept in
/// milliseconds): the form every Mesh server reads. Years 1 to 9999, the
/// ones the language has times for.
fn time_spec(time: DateTime<Utc>) -> Result<String> {
    if !(1..=9999).contains(&time.year()) {
        return Err(Error::InvalidArgument(format!(
            "{time} is outside the years 1 to 9999 the calculation language has times for"
        )));
    }
    Ok(time.format("'UTC%Y%m%d%H%M%S%3f'").to_string())
}

/// A time number the server answered (ticks) as a UTC time, to the
/// nearest millisecond: a double holds today's tick counts only to 128
/// ticks, so truncating could give the millisecond before (and an as-of
/// read at that time would miss the very commit).
fn from_ticks(ticks: f64) -> Result<DateTime<Utc>> {
    let refused = || Error::Protocol(format!("the server answered {ticks}, no time in ticks"));
    if !ticks.is_finite() || ticks.abs() > 9.2e18 {
        return Err(refused());
    }
    let since_epoch = (ticks as i64)
        .checked_sub(EPOCH_TICKS)
        .ok_or_else(refused)?;
    let ms = since_epoch
        .saturating_add(TICKS_PER_MS / 2)
        .div_euclid(TICKS_PER_MS);
    DateTime::from_timestamp_millis(ms).ok_or_else(refused)
}

impl Session {
    fn calculation_client(&self) -> CalculationServiceClient<crate::connection::Transport> {
        CalculationServiceClient::new(self.connection().transport())
            .max_decoding_message_size(usize::MAX)
    }

    /// Evaluates `expression` (statements one per line, the result
    /// assigned to `##`) over `[start, end)` relative to `relative_to`, as
    /// this session sees the data.
    pub async fn run_calculation(
        &self,
        expression: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        relative_to: impl Into<RelativeTo>,
    ) -> Result<CalculationResult> {
        let id = self.open_id()?;
        let reply = self
            .calculation_client()
            .run_calculation(CalculationRequest {
                session_id: Some(guid::to_proto(id)),
                expression: expression.to_string(),
                interval: Some(UtcInterval::from_millis(to_ms(start), to_ms(end))),
                relative_to: Some(relative_to.into().to_proto()),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        Ok(match reply.calculation_result_oneof {
            None => CalculationResult::Nothing,
            Some(CalculationResultOneof::NumericResults(n)) => CalculationResult::Numbers(n.value),
            Some(CalculationResultOneof::StringResults(s)) => CalculationResult::Strings(s.value),
            Some(CalculationResultOneof::TimeseriesResults(all)) => CalculationResult::Series(
                all.timeseries
                    .iter()
                    .map(|series| {
                        let number = series.resolution.map_or(0, |r| r.r#type);
                        Ok(CalculatedSeries {
                            resolution: Resolution::from_proto(number)
                                .unwrap_or(Resolution::Breakpoint),
                            points: TimeseriesPoints::from_payload(&series.data)?,
                        })
                    })
                    .collect::<Result<_>>()?,
            ),
        })
    }

    /// The series of `relative_to` (or the one the transform's query
    /// finds from it) over `[start, end)` transformed as `transform` says.
    pub async fn transform(
        &self,
        relative_to: impl Into<RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        transform: &Transform,
    ) -> Result<CalculatedSeries> {
        let expression = transform.expression()?;
        self.run_calculation(&expression, start, end, relative_to)
            .await?
            .into_series()
    }

    /// The step-by-step sum of the series `query` finds from
    /// `relative_to` (or of `relative_to`'s own series when `None`).
    pub async fn sum_of_series(
        &self,
        relative_to: impl Into<RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        query: Option<&str>,
    ) -> Result<CalculatedSeries> {
        let expression = format!("## = @SUM({})\n", lookup('T', query)?);
        self.run_calculation(&expression, start, end, relative_to)
            .await?
            .into_series()
    }

    /// The sum of the values of `relative_to`'s series in `[start, end)`
    /// (a linear series' end point included, missing values skipped).
    pub async fn sum_of_points(
        &self,
        relative_to: impl Into<RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<f64> {
        self.run_calculation("## = @SUM(@t())\n", start, end, relative_to)
            .await?
            .into_number()
    }

    /// `relative_to`'s series over `[start, end)` as it was committed at
    /// `time` (`@GetTsAsOfTime`): at every value time the newest write
    /// committed at or before `time` (to the millisecond); value times no
    /// write covered then are NaN MISSING. History is of committed data:
    /// this session's pending writes are not in it. The server refuses a
    /// time in the future, and a target that is no stored series (a
    /// calculated attribute has no history).
    pub async fn as_of(
        &self,
        relative_to: impl Into<RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        time: DateTime<Utc>,
    ) -> Result<CalculatedSeries> {
        let expression = format!("## = @GetTsAsOfTime(@t(), {})\n", time_spec(time)?);
        self.run_calculation(&expression, start, end, relative_to)
            .await?
            .into_series()
    }

    /// Up to `n` earlier versions of `relative_to`'s series over
    /// `[start, end)`, newest first (`@GetTsHistoricalVersions`): the
    /// series just before each commit that changed it in the period. The
    /// state before the first write, and a version equal to the current
    /// series, are no versions; a series written once has none. The
    /// server answers at most 1,000.
    pub async fn historical_versions(
        &self,
        relative_to: impl Into<RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        n: u32,
    ) -> Result<Vec<CalculatedSeries>> {
        let expression = format!("## = @GetTsHistoricalVersions(@t(), {n})\n");
        match self
            .run_calculation(&expression, start, end, relative_to)
            .await?
        {
            CalculationResult::Series(all) => Ok(all),
            // A server may leave the result unset for an empty array, as
            // the official SDK expects.
            CalculationResult::Nothing => Ok(Vec::new()),
            other => Err(unexpected(&other, "series")),
        }
    }

    /// The commit times of the newest `n` commits that changed
    /// `relative_to`'s series in `[start, end)`, newest first
    /// (`@GetTsAuditTimes`): each one, given to [`Session::as_of`], reads
    /// the series as that commit left it. The server answers at most
    /// 1,000.
    pub async fn audit_times(
        &self,
        relative_to: impl Into<RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        n: u32,
    ) -> Result<Vec<DateTime<Utc>>> {
        let expression = format!("## = @GetTsAuditTimes(@t(), {n})\n");
        match self
            .run_calculation(&expression, start, end, relative_to)
            .await?
        {
            CalculationResult::Numbers(all) => all.into_iter().map(from_ticks).collect(),
            CalculationResult::Nothing => Ok(Vec::new()),
            other => Err(unexpected(&other, "numbers")),
        }
    }
}

/// The error for a result of another type than the call's.
fn unexpected(result: &CalculationResult, wanted: &str) -> Error {
    Error::Protocol(format!(
        "the calculation answered {}, not {wanted}",
        result.describe()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_quoted_with_the_quote_they_do_not_hold() {
        assert_eq!(lookup('t', None).unwrap(), "@t()");
        assert_eq!(lookup('T', Some(".A")).unwrap(), "@T('.A')");
        assert_eq!(
            lookup('t', Some("[.Name='x'].A")).unwrap(),
            "@t(\"[.Name='x'].A\")"
        );
        assert!(lookup('t', Some("'\"")).is_err());
        assert!(lookup('t', Some("a\nb")).is_err());
    }

    #[test]
    fn times_are_written_as_specifications_and_read_from_ticks() {
        let time = DateTime::from_timestamp_millis(1_704_067_200_123).unwrap();
        assert_eq!(time_spec(time).unwrap(), "'UTC20240101000000123'");
        let early = DateTime::from_timestamp_millis(-62_000_000_000_000).unwrap();
        assert_eq!(time_spec(early).unwrap(), "'UTC00050419094640000'");
        let late = DateTime::from_timestamp_millis(253_402_300_800_000).unwrap();
        assert!(time_spec(late).is_err());
        let ticks: i64 = 638_396_640_001_230_000;
        // The double the server answers is a little off: still that ms.
        assert_eq!(from_ticks(ticks as f64 - 60.0).unwrap(), time);
        assert_eq!(from_ticks(ticks as f64).unwrap(), time);
        assert!(from_ticks(f64::NAN).is_err());
        assert!(from_ticks(1e300).is_err());
    }

    #[test]
    fn transforms_are_written_as_the_official_sdk_writes_them() {
        let day = Transform::new(Resolution::Day, Method::Sum);
        assert_eq!(
            day.expression().unwrap(),
            "## = @TRANSFORM(@t(), 'DAY', 'SUM')\n"
        );
        assert_eq!(
            day.in_zone(Zone::Local).of(".A").expression().unwrap(),
            "## = @TRANSFORM(@t('.A'), 'DAY', 'SUM', 'LOCAL')\n"
        );
        assert!(Transform::new(Resolution::Breakpoint, Method::Avg)
            .expression()
            .is_err());
    }
}
