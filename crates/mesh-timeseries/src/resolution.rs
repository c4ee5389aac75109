//! Resolutions, curve types, and the time grid of a series.
//!
//! A series with a fixed resolution may only hold points at the instants of
//! its [`Grid`]:
//!
//! - `MIN`, `MIN5`, `MIN10`, `MIN15`, `MIN30`, `HOUR`: every multiple of the
//!   step length counted from the Unix epoch, in UTC. These never depend on
//!   a time zone.
//! - `DAY`: local midnight in the series' time zone, so a day is 23 or 25
//!   hours long in UTC terms across a daylight saving change.
//! - `WEEK`: local midnight on Mondays (ISO weeks).
//! - `MONTH`: local midnight on the 1st of each month.
//! - `YEAR`: local midnight on January 1st.
//!
//! Without a time zone, the daily and coarser grids follow UTC midnight.
//!
//! **Local midnight that does not exist.** Some zones move their clocks at
//! midnight (America/Santiago, America/Havana, formerly many more), so on
//! that day the local clock jumps from 23:59:59 straight to 01:00. The day
//! then starts at its first instant that does exist, the end of the gap
//! (01:00 local). When midnight occurs twice (clocks set back to 00:00 from
//! 01:00), the day starts at the first of the two. A day skipped entirely
//! (Pacific/Apia leapt over 2011-12-30) has no instant at all and is not on
//! the grid; the grid goes from the day before straight to the day after.
//! The same rules apply to the first day of a week, month or year.
//!
//! Calendar grids work within the dates chrono can represent (about
//! ±262,000 years); an instant beyond that is never on such a grid.

use std::fmt;

use chrono::{DateTime, Datelike, Days, LocalResult, Months, NaiveDate, TimeZone};
use chrono_tz::{GapInfo, Tz};

/// The spacing of the points of a series: the wire's
/// `volue.mesh.grpc.type.Resolution.ResolutionType`, without its two values
/// that no physical series can have (`RESOLUTION_UNSPECIFIED` and
/// `UNDEFINED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resolution {
    /// Points at any instants.
    Breakpoint,
    Min,
    Min5,
    Min10,
    Min15,
    Min30,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Resolution {
    /// Every resolution, finest first.
    pub const ALL: [Resolution; 11] = [
        Resolution::Breakpoint,
        Resolution::Min,
        Resolution::Min5,
        Resolution::Min10,
        Resolution::Min15,
        Resolution::Min30,
        Resolution::Hour,
        Resolution::Day,
        Resolution::Week,
        Resolution::Month,
        Resolution::Year,
    ];

    /// The resolution with this wire number, or `None` for
    /// `RESOLUTION_UNSPECIFIED` (0), `UNDEFINED` (9) and unknown numbers.
    pub fn from_proto(value: i32) -> Option<Resolution> {
        Some(match value {
            1 => Resolution::Breakpoint,
            2 => Resolution::Min15,
            3 => Resolution::Hour,
            4 => Resolution::Day,
            5 => Resolution::Week,
            6 => Resolution::Month,
            7 => Resolution::Year,
            8 => Resolution::Min30,
            10 => Resolution::Min,
            11 => Resolution::Min5,
            12 => Resolution::Min10,
            _ => return None,
        })
    }

    /// The wire number of this resolution.
    pub fn to_proto(self) -> i32 {
        match self {
            Resolution::Breakpoint => 1,
            Resolution::Min15 => 2,
            Resolution::Hour => 3,
            Resolution::Day => 4,
            Resolution::Week => 5,
            Resolution::Month => 6,
            Resolution::Year => 7,
            Resolution::Min30 => 8,
            Resolution::Min => 10,
            Resolution::Min5 => 11,
            Resolution::Min10 => 12,
        }
    }

    /// The name used on the wire (`MIN15`, `DAY`, ...), which is also what
    /// users of the other SDKs know; error messages use it.
    pub fn name(self) -> &'static str {
        match self {
            Resolution::Breakpoint => "BREAKPOINT",
            Resolution::Min => "MIN",
            Resolution::Min5 => "MIN5",
            Resolution::Min10 => "MIN10",
            Resolution::Min15 => "MIN15",
            Resolution::Min30 => "MIN30",
            Resolution::Hour => "HOUR",
            Resolution::Day => "DAY",
            Resolution::Week => "WEEK",
            Resolution::Month => "MONTH",
            Resolution::Year => "YEAR",
        }
    }

    /// The step length in milliseconds of the sub-daily resolutions, whose
    /// steps are all equally long; `None` for `BREAKPOINT` and for the
    /// calendar resolutions, whose steps vary in length.
    pub fn fixed_step_ms(self) -> Option<i64> {
        const MINUTE: i64 = 60_000;
        Some(match self {
            Resolution::Min => MINUTE,
            Resolution::Min5 => 5 * MINUTE,
            Resolution::Min10 => 10 * MINUTE,
            Resolution::Min15 => 15 * MINUTE,
            Resolution::Min30 => 30 * MINUTE,
            Resolution::Hour => 60 * MINUTE,
            _ => return None,
        })
    }

    /// Whether points may sit at any instant (`BREAKPOINT`).
    pub fn is_breakpoint(self) -> bool {
        self == Resolution::Breakpoint
    }

    /// Whether the steps follow the local calendar (`DAY` and coarser), which
    /// are the only resolutions a time zone affects.
    pub fn is_calendar(self) -> bool {
        matches!(
            self,
            Resolution::Day | Resolution::Week | Resolution::Month | Resolution::Year
        )
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How values between two points are read: the wire's
/// `volue.mesh.grpc.type.Curve.CurveType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CurveType {
    /// `UNKNOWN` (0): the creator named no curve. Clients of the reference
    /// server create series with it, so it is kept and reported as given;
    /// reads treat it as [`CurveType::StaircaseStartOfStep`] (see
    /// [`CurveType::reads_as`]).
    Unknown,
    /// A value holds from its point until the next point.
    StaircaseStartOfStep,
    /// Values are interpolated linearly between points.
    PiecewiseLinear,
    /// A value holds from the previous point until its own point.
    Staircase,
}

impl CurveType {
    /// The curve type with this wire number, or `None` for numbers the wire
    /// does not define.
    pub fn from_proto(value: i32) -> Option<CurveType> {
        Some(match value {
            0 => CurveType::Unknown,
            1 => CurveType::StaircaseStartOfStep,
            2 => CurveType::PiecewiseLinear,
            3 => CurveType::Staircase,
            _ => return None,
        })
    }

    /// The wire number of this curve type.
    pub fn to_proto(self) -> i32 {
        match self {
            CurveType::Unknown => 0,
            CurveType::StaircaseStartOfStep => 1,
            CurveType::PiecewiseLinear => 2,
            CurveType::Staircase => 3,
        }
    }

    /// The name used on the wire.
    pub fn name(self) -> &'static str {
        match self {
            CurveType::Unknown => "UNKNOWN",
            CurveType::StaircaseStartOfStep => "STAIRCASESTARTOFSTEP",
            CurveType::PiecewiseLinear => "PIECEWISELINEAR",
            CurveType::Staircase => "STAIRCASE",
        }
    }

    /// The curve a read applies: `UNKNOWN` reads as
    /// `STAIRCASESTARTOFSTEP`, the most common curve and the one that
    /// needs no point beyond the interval; every other curve as itself.
    pub fn reads_as(self) -> CurveType {
        match self {
            CurveType::Unknown => CurveType::StaircaseStartOfStep,
            known => known,
        }
    }
}

impl fmt::Display for CurveType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A time zone that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    /// The name is not in the IANA time zone database this crate carries.
    /// The text starts as the reference server's does, since clients match
    /// on it; the name is quoted within [`crate::echo`]'s bound.
    #[error(
        "invalid time zone specified: '{0}'; expected an IANA time zone name such as 'Europe/Oslo' \
         (names are case-sensitive)"
    )]
    UnknownTimeZone(String),
}

/// Parses an IANA time zone name (`Europe/Oslo`, `UTC`). Names are matched
/// exactly, as in the IANA database.
pub fn parse_time_zone(name: &str) -> Result<Tz, GridError> {
    name.parse::<Tz>()
        .map_err(|_| GridError::UnknownTimeZone(crate::echo(name).into_owned()))
}

/// How far [`Grid::step_count_bound`] may exceed the true count for a
/// calendar resolution.
pub const CALENDAR_BOUND_SLACK: u64 = 4;

/// The instants a series of a given resolution and time zone may hold points
/// at. See the [module documentation](self) for the rules.
///
/// A time zone only shapes `DAY` and coarser grids. Given with a sub-daily
/// resolution it is checked (an unknown name is still an error, as it is
/// always a mistake) and then ignored: those grids are fixed steps from the
/// Unix epoch, and a zone that is legal on the resource must not make its
/// series unusable. Whether to refuse such a resource is left to whoever
/// creates it ([`Resolution::is_calendar`] tells).
///
/// `BREAKPOINT` has no grid: every instant is acceptable
/// ([`Grid::is_on_grid`] is always true), and [`Grid::floor`],
/// [`Grid::ceil`], [`Grid::next_after`] answer `None` and [`Grid::steps`]
/// yields nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grid {
    resolution: Resolution,
    /// Only ever set for calendar resolutions; `None` there means UTC.
    zone: Option<Tz>,
}

impl Grid {
    /// The grid of `resolution` in the time zone named `time_zone` (an IANA
    /// name). `None` or an empty name means no zone, i.e. UTC; an empty name
    /// is accepted because it is what an unset string looks like on the wire.
    pub fn new(resolution: Resolution, time_zone: Option<&str>) -> Result<Grid, GridError> {
        let zone = match time_zone {
            None | Some("") => None,
            Some(name) => Some(parse_time_zone(name)?),
        };
        Ok(match zone {
            Some(zone) => Grid::with_zone(resolution, zone),
            None => Grid::utc(resolution),
        })
    }

    /// The grid of `resolution` without a time zone: calendar steps at UTC
    /// midnight.
    pub fn utc(resolution: Resolution) -> Grid {
        Grid {
            resolution,
            zone: None,
        }
    }

    /// The grid of `resolution` in `zone`; the zone is dropped for
    /// resolutions finer than `DAY` (see the type's documentation).
    pub fn with_zone(resolution: Resolution, zone: Tz) -> Grid {
        Grid {
            resolution,
            zone: resolution.is_calendar().then_some(zone),
        }
    }

    /// The resolution.
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// The time zone the grid follows: `None` for UTC, and always `None` for
    /// resolutions finer than `DAY`.
    pub fn time_zone(&self) -> Option<Tz> {
        self.zone
    }

    /// Whether a point may sit at `utc_ms`.
    pub fn is_on_grid(&self, utc_ms: i64) -> bool {
        match self.kind() {
            Kind::Breakpoint => true,
            Kind::Fixed(step) => utc_ms.rem_euclid(step) == 0,
            Kind::Calendar(_, _) => self.floor(utc_ms) == Some(utc_ms),
        }
    }

    /// The last grid instant at or before `utc_ms`; `None` for `BREAKPOINT`
    /// and when there is none within the representable range.
    pub fn floor(&self, utc_ms: i64) -> Option<i64> {
        match self.kind() {
            Kind::Breakpoint => None,
            Kind::Fixed(step) => utc_ms.checked_sub(utc_ms.rem_euclid(step)),
            Kind::Calendar(unit, zone) => {
                let here = unit.period_of(local_date(zone, utc_ms)?);
                // Normally the period holding the instant's local date starts
                // at or before it; the next one is looked at in case a clock
                // set back across midnight brought the previous date back
                // after the next period had begun, and earlier ones in case
                // a period has no instant of its own.
                let mut period = unit.next(here).unwrap_or(here);
                for _ in 0..4 {
                    if let Some(start) = period_start(zone, period) {
                        if start <= utc_ms {
                            return Some(start);
                        }
                    }
                    period = unit.previous(period)?;
                }
                None
            }
        }
    }

    /// The first grid instant strictly after `utc_ms`; `None` for
    /// `BREAKPOINT` and beyond the representable range.
    pub fn next_after(&self, utc_ms: i64) -> Option<i64> {
        match self.kind() {
            Kind::Breakpoint => None,
            Kind::Fixed(step) => self.floor(utc_ms)?.checked_add(step),
            Kind::Calendar(unit, zone) => {
                let mut period = unit.period_of(local_date(zone, utc_ms)?);
                // The instant's own period is looked at first only for the
                // unusual zone history that makes a period begin after some
                // of its instants (see `floor`); a skipped period shares its
                // start with the next one, hence a few steps.
                for _ in 0..4 {
                    if let Some(start) = period_start(zone, period) {
                        if start > utc_ms {
                            return Some(start);
                        }
                    }
                    period = unit.next(period)?;
                }
                None
            }
        }
    }

    /// The first grid instant at or after `utc_ms`; `None` for `BREAKPOINT`
    /// and beyond the representable range.
    pub fn ceil(&self, utc_ms: i64) -> Option<i64> {
        match self.kind() {
            Kind::Breakpoint => None,
            Kind::Fixed(step) => match utc_ms.rem_euclid(step) {
                0 => Some(utc_ms),
                rest => utc_ms.checked_add(step - rest),
            },
            Kind::Calendar(_, _) if self.floor(utc_ms) == Some(utc_ms) => Some(utc_ms),
            Kind::Calendar(_, _) => self.next_after(utc_ms),
        }
    }

    /// Every grid instant in `[start_ms, end_ms)`, ascending. Empty for
    /// `BREAKPOINT` and when `start_ms >= end_ms`.
    pub fn steps(&self, start_ms: i64, end_ms: i64) -> Steps {
        let next = if start_ms < end_ms {
            self.ceil(start_ms)
        } else {
            None
        };
        Steps {
            grid: *self,
            next,
            end_ms,
        }
    }

    /// An upper bound of the number of grid instants in `[start_ms, end_ms)`,
    /// exact for sub-daily resolutions; for calendar ones (within chrono's
    /// dates) at most [`CALENDAR_BOUND_SLACK`] too many: two for the periods
    /// the ends cut into, and around a skipped day two more; 0 for
    /// `BREAKPOINT`. Cheap, so a caller can refuse an
    /// absurd range before walking it.
    pub fn step_count_bound(&self, start_ms: i64, end_ms: i64) -> u64 {
        if start_ms >= end_ms {
            return 0;
        }
        let span = i128::from(end_ms) - i128::from(start_ms);
        let count = match self.kind() {
            Kind::Breakpoint => 0,
            Kind::Fixed(step) => match self.ceil(start_ms) {
                Some(first) if first < end_ms => {
                    (i128::from(end_ms) - 1 - i128::from(first)) / i128::from(step) + 1
                }
                _ => 0,
            },
            Kind::Calendar(unit, zone) => {
                match (local_date(zone, start_ms), local_date(zone, end_ms)) {
                    // Every step starts a period from the one holding the
                    // start's local date to the one holding the end's; one
                    // more allows for a clock set back across a period start.
                    (Some(first), Some(last)) => {
                        let (first, last) = (unit.period_of(first), unit.period_of(last));
                        i128::from(unit.periods_between(first, last)) + 2
                    }
                    // Beyond chrono's dates: consecutive starts are at least
                    // the shortest period apart in local time, and in UTC
                    // closer only by a change of offset, which stays well
                    // within 48 hours.
                    _ => {
                        const SLACK_MS: i128 = 48 * 3_600_000;
                        (span + SLACK_MS) / unit.shortest_ms() + 1
                    }
                }
            }
        };
        u64::try_from(count).unwrap_or(u64::MAX)
    }

    fn kind(&self) -> Kind {
        if let Some(step) = self.resolution.fixed_step_ms() {
            return Kind::Fixed(step);
        }
        let zone = self.zone.unwrap_or(Tz::UTC);
        match self.resolution {
            Resolution::Day => Kind::Calendar(Unit::Day, zone),
            Resolution::Week => Kind::Calendar(Unit::Week, zone),
            Resolution::Month => Kind::Calendar(Unit::Month, zone),
            Resolution::Year => Kind::Calendar(Unit::Year, zone),
            _ => Kind::Breakpoint,
        }
    }
}

impl fmt::Display for Grid {
    /// `HOUR`, `DAY in UTC`, `DAY in time zone Europe/Oslo`: how messages
    /// name the grid a point missed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.resolution.is_calendar(), self.zone) {
            (true, Some(zone)) => write!(f, "{} in time zone {}", self.resolution, zone.name()),
            (true, None) => write!(f, "{} in UTC", self.resolution),
            (false, _) => write!(f, "{}", self.resolution),
        }
    }
}

/// The grid instants of a range, from [`Grid::steps`].
#[derive(Debug, Clone)]
pub struct Steps {
    grid: Grid,
    next: Option<i64>,
    end_ms: i64,
}

impl Iterator for Steps {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        let current = self.next.filter(|&t| t < self.end_ms)?;
        self.next = match self.grid.resolution.fixed_step_ms() {
            Some(step) => current.checked_add(step),
            None => self.grid.next_after(current),
        };
        Some(current)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.next.filter(|&t| t < self.end_ms) {
            None => (0, Some(0)),
            Some(next) => {
                let bound = usize::try_from(self.grid.step_count_bound(next, self.end_ms)).ok();
                match self.grid.resolution.fixed_step_ms() {
                    Some(_) => (bound.unwrap_or(usize::MAX), bound),
                    None => (1, bound),
                }
            }
        }
    }
}

/// What a grid is made of, resolved once per call.
enum Kind {
    Breakpoint,
    Fixed(i64),
    Calendar(Unit, Tz),
}

/// The calendar periods; a period is named by the local date of its first
/// day.
#[derive(Clone, Copy)]
enum Unit {
    Day,
    Week,
    Month,
    Year,
}

impl Unit {
    /// The first day of the period holding `date`.
    fn period_of(self, date: NaiveDate) -> NaiveDate {
        match self {
            Unit::Day => date,
            // Going back at most six days from a representable date can only
            // fail at the very start of chrono's range; staying on the date
            // there keeps the function total.
            Unit::Week => date
                .checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday())))
                .unwrap_or(date),
            Unit::Month => date.with_day(1).unwrap_or(date),
            Unit::Year => date.with_ordinal(1).unwrap_or(date),
        }
    }

    fn next(self, first: NaiveDate) -> Option<NaiveDate> {
        match self {
            Unit::Day => first.checked_add_days(Days::new(1)),
            Unit::Week => first.checked_add_days(Days::new(7)),
            Unit::Month => first.checked_add_months(Months::new(1)),
            Unit::Year => first.checked_add_months(Months::new(12)),
        }
    }

    fn previous(self, first: NaiveDate) -> Option<NaiveDate> {
        match self {
            Unit::Day => first.checked_sub_days(Days::new(1)),
            Unit::Week => first.checked_sub_days(Days::new(7)),
            Unit::Month => first.checked_sub_months(Months::new(1)),
            Unit::Year => first.checked_sub_months(Months::new(12)),
        }
    }

    /// How many periods `last` (a period's first day) lies after `first`.
    fn periods_between(self, first: NaiveDate, last: NaiveDate) -> i64 {
        let months = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
        match self {
            Unit::Day => (last - first).num_days(),
            Unit::Week => (last - first).num_days() / 7,
            Unit::Month => months(last) - months(first),
            Unit::Year => i64::from(last.year()) - i64::from(first.year()),
        }
    }

    /// The shortest length of a period in local time, in milliseconds.
    fn shortest_ms(self) -> i128 {
        const DAY: i128 = 86_400_000;
        match self {
            Unit::Day => DAY,
            Unit::Week => 7 * DAY,
            Unit::Month => 28 * DAY,
            Unit::Year => 365 * DAY,
        }
    }
}

/// The local calendar date of an instant in `zone`.
fn local_date(zone: Tz, utc_ms: i64) -> Option<NaiveDate> {
    let utc = DateTime::from_timestamp_millis(utc_ms)?;
    Some(utc.with_timezone(&zone).date_naive())
}

/// The first instant of the local day `date` in `zone`, in UTC milliseconds:
/// local midnight, or the first of two local midnights, or the end of the
/// gap when the clocks skip midnight. A day skipped entirely gets the start
/// of the following day, so it has zero length and [`Steps`] and
/// [`Grid::next_after`] pass over it.
fn period_start(zone: Tz, date: NaiveDate) -> Option<i64> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    match zone.from_local_datetime(&midnight) {
        LocalResult::Single(start) => Some(start.timestamp_millis()),
        LocalResult::Ambiguous(first, _) => Some(first.timestamp_millis()),
        LocalResult::None => GapInfo::new(&midnight, &zone)?
            .end
            .map(|end| end.timestamp_millis()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UTC milliseconds of a UTC date and time.
    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    const HOUR_MS: i64 = 3_600_000;

    fn zoned(resolution: Resolution, zone: &str) -> Grid {
        Grid::new(resolution, Some(zone)).unwrap()
    }

    #[test]
    fn proto_numbers_round_trip_and_reject_unusable_values() {
        for resolution in Resolution::ALL {
            assert_eq!(
                Resolution::from_proto(resolution.to_proto()),
                Some(resolution)
            );
        }
        let expected = [
            (1, "BREAKPOINT"),
            (2, "MIN15"),
            (3, "HOUR"),
            (4, "DAY"),
            (5, "WEEK"),
            (6, "MONTH"),
            (7, "YEAR"),
            (8, "MIN30"),
            (10, "MIN"),
            (11, "MIN5"),
            (12, "MIN10"),
        ];
        for (number, name) in expected {
            assert_eq!(Resolution::from_proto(number).unwrap().name(), name);
        }
        for invalid in [0, 9, 13, -1, i32::MAX] {
            assert_eq!(Resolution::from_proto(invalid), None, "{invalid}");
        }

        for (number, curve) in [
            (0, CurveType::Unknown),
            (1, CurveType::StaircaseStartOfStep),
            (2, CurveType::PiecewiseLinear),
            (3, CurveType::Staircase),
        ] {
            assert_eq!(CurveType::from_proto(number), Some(curve));
            assert_eq!(curve.to_proto(), number);
        }
        assert_eq!(CurveType::from_proto(4), None);
        assert_eq!(CurveType::from_proto(-1), None);
        assert_eq!(
            CurveType::Unknown.reads_as(),
            CurveType::StaircaseStartOfStep
        );
        assert_eq!(CurveType::Staircase.reads_as(), CurveType::Staircase);
    }

    #[test]
    fn fixed_resolutions_are_aligned_to_the_epoch() {
        let hour = Grid::utc(Resolution::Hour);
        let t = utc(2024, 5, 17, 13, 0);
        assert!(hour.is_on_grid(t));
        assert!(!hour.is_on_grid(t + 1));
        assert!(!hour.is_on_grid(t + 15 * 60_000));
        assert_eq!(hour.floor(t + 59 * 60_000), Some(t));
        assert_eq!(hour.next_after(t), Some(t + HOUR_MS));
        assert_eq!(hour.ceil(t + 1), Some(t + HOUR_MS));
        assert_eq!(hour.ceil(t), Some(t));

        // Before the epoch too: floor goes down, not towards zero.
        assert!(hour.is_on_grid(-HOUR_MS));
        assert_eq!(hour.floor(-1), Some(-HOUR_MS));

        let min15 = Grid::utc(Resolution::Min15);
        let steps: Vec<i64> = min15.steps(t + 1, t + HOUR_MS + 1).collect();
        assert_eq!(
            steps,
            vec![
                t + 15 * 60_000,
                t + 30 * 60_000,
                t + 45 * 60_000,
                t + HOUR_MS
            ]
        );
        for (resolution, minutes) in [
            (Resolution::Min, 1),
            (Resolution::Min5, 5),
            (Resolution::Min10, 10),
            (Resolution::Min30, 30),
        ] {
            let grid = Grid::utc(resolution);
            assert_eq!(grid.steps(t, t + HOUR_MS).count(), 60 / minutes);
            assert!(!grid.is_on_grid(t + 30_000));
        }
    }

    #[test]
    fn a_zone_on_a_sub_daily_resolution_is_checked_then_ignored() {
        // Asia/Kolkata is UTC+05:30; honouring it would shift hours by half.
        let grid = zoned(Resolution::Hour, "Asia/Kolkata");
        assert_eq!(grid.time_zone(), None);
        assert_eq!(grid, Grid::utc(Resolution::Hour));
        assert!(grid.is_on_grid(utc(2024, 1, 1, 5, 0)));
        assert_eq!(
            Grid::new(Resolution::Hour, Some("Asia/Kolkatta")).unwrap_err(),
            GridError::UnknownTimeZone("Asia/Kolkatta".into())
        );
    }

    #[test]
    fn unknown_zone_names_are_refused_with_the_name() {
        let err = Grid::new(Resolution::Day, Some("Europe/Olso")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid time zone specified: 'Europe/Olso'; expected an IANA time zone name such as \
             'Europe/Oslo' (names are case-sensitive)"
        );
        // A huge name is quoted only in part, so the message stays small.
        let huge = "x".repeat(100_000);
        let err = Grid::new(Resolution::Day, Some(&huge)).unwrap_err();
        assert!(err.to_string().len() < 300, "{err}");
        assert!(err.to_string().contains("more characters"), "{err}");
        assert!(Grid::new(Resolution::Day, Some("europe/oslo")).is_err());
        // An empty name is what an unset wire string looks like: UTC.
        assert_eq!(
            Grid::new(Resolution::Day, Some("")).unwrap(),
            Grid::utc(Resolution::Day)
        );
        assert_eq!(
            zoned(Resolution::Day, "Europe/Oslo").time_zone(),
            Some(Tz::Europe__Oslo)
        );
    }

    #[test]
    fn days_in_oslo_follow_local_midnight_across_both_dst_changes_of_2024() {
        let grid = zoned(Resolution::Day, "Europe/Oslo");
        // Spring: clocks go from 02:00 to 03:00 on Sunday 31 March, so that
        // day lasts 23 hours. Midnight is 23:00 UTC before, 22:00 UTC after.
        let spring: Vec<i64> = grid
            .steps(utc(2024, 3, 29, 23, 0), utc(2024, 4, 2, 22, 0))
            .collect();
        assert_eq!(
            spring,
            vec![
                utc(2024, 3, 29, 23, 0),
                utc(2024, 3, 30, 23, 0),
                utc(2024, 3, 31, 22, 0),
                utc(2024, 4, 1, 22, 0),
            ]
        );
        assert_eq!(spring[2] - spring[1], 23 * HOUR_MS);
        assert_eq!(spring[3] - spring[2], 24 * HOUR_MS);

        // Autumn: clocks go from 03:00 back to 02:00 on Sunday 27 October,
        // so that day lasts 25 hours.
        let autumn: Vec<i64> = grid
            .steps(utc(2024, 10, 25, 22, 0), utc(2024, 10, 28, 23, 0) + 1)
            .collect();
        assert_eq!(
            autumn,
            vec![
                utc(2024, 10, 25, 22, 0),
                utc(2024, 10, 26, 22, 0),
                utc(2024, 10, 27, 23, 0),
                utc(2024, 10, 28, 23, 0),
            ]
        );
        assert_eq!(autumn[2] - autumn[1], 25 * HOUR_MS);

        assert!(grid.is_on_grid(utc(2024, 3, 31, 22, 0)));
        assert!(!grid.is_on_grid(utc(2024, 3, 31, 23, 0)));
        assert!(!grid.is_on_grid(utc(2024, 3, 31, 0, 0)));
        assert_eq!(
            grid.floor(utc(2024, 10, 27, 22, 59)),
            Some(utc(2024, 10, 26, 22, 0))
        );
        assert_eq!(
            grid.next_after(utc(2024, 10, 26, 22, 0)),
            Some(utc(2024, 10, 27, 23, 0))
        );
        assert_eq!(
            grid.ceil(utc(2024, 3, 31, 0, 0)),
            Some(utc(2024, 3, 31, 22, 0))
        );
    }

    #[test]
    fn days_without_a_zone_are_utc_midnights() {
        let grid = Grid::utc(Resolution::Day);
        assert!(grid.is_on_grid(utc(2024, 3, 31, 0, 0)));
        assert!(!grid.is_on_grid(utc(2024, 3, 30, 23, 0)));
        assert_eq!(
            grid.steps(utc(2024, 2, 28, 0, 0), utc(2024, 3, 1, 0, 0))
                .count(),
            2
        );
    }

    #[test]
    fn a_missing_local_midnight_starts_the_day_at_the_end_of_the_gap() {
        // Santiago: on Sunday 8 September 2024 the clocks went from 24:00
        // (-04) to 01:00 (-03): the day starts at 01:00 local, 04:00 UTC.
        let santiago = zoned(Resolution::Day, "America/Santiago");
        let days: Vec<i64> = santiago
            .steps(utc(2024, 9, 7, 4, 0), utc(2024, 9, 10, 0, 0))
            .collect();
        assert_eq!(
            days,
            vec![
                utc(2024, 9, 7, 4, 0),
                utc(2024, 9, 8, 4, 0),
                utc(2024, 9, 9, 3, 0),
            ]
        );
        assert_eq!(days[2] - days[1], 23 * HOUR_MS);

        // Havana: on 10 March 2024 from 00:00 (-05) to 01:00 (-04).
        let havana = zoned(Resolution::Day, "America/Havana");
        assert!(havana.is_on_grid(utc(2024, 3, 10, 5, 0)));
        assert!(!havana.is_on_grid(utc(2024, 3, 10, 4, 0)));
        assert_eq!(
            havana.next_after(utc(2024, 3, 9, 5, 0)),
            Some(utc(2024, 3, 10, 5, 0))
        );
        assert_eq!(
            havana.next_after(utc(2024, 3, 10, 5, 0)),
            Some(utc(2024, 3, 11, 4, 0))
        );
        // Havana, 3 November 2024: from 01:00 (-04) back to 00:00 (-05), so
        // midnight happens twice; the day starts at the first (04:00 UTC).
        let days: Vec<i64> = havana
            .steps(utc(2024, 11, 2, 4, 0), utc(2024, 11, 5, 0, 0))
            .collect();
        assert_eq!(
            days,
            vec![
                utc(2024, 11, 2, 4, 0),
                utc(2024, 11, 3, 4, 0),
                utc(2024, 11, 4, 5, 0),
            ]
        );
        assert!(!havana.is_on_grid(utc(2024, 11, 3, 5, 0)));
        assert_eq!(
            havana.floor(utc(2024, 11, 3, 5, 30)),
            Some(utc(2024, 11, 3, 4, 0))
        );
    }

    #[test]
    fn a_day_skipped_entirely_is_not_on_the_grid() {
        // Apia went from UTC-10 to UTC+14 by skipping Friday 30 December
        // 2011: local 29 December began at 10:00 UTC on the 29th and lasted
        // its 24 hours; local 31 December began at 10:00 UTC on the 30th.
        let grid = zoned(Resolution::Day, "Pacific/Apia");
        let days: Vec<i64> = grid
            .steps(utc(2011, 12, 28, 0, 0), utc(2012, 1, 1, 0, 0))
            .collect();
        assert_eq!(
            days,
            vec![
                utc(2011, 12, 28, 10, 0),
                utc(2011, 12, 29, 10, 0),
                utc(2011, 12, 30, 10, 0),
                utc(2011, 12, 31, 10, 0),
            ]
        );
        assert_eq!(days[2] - days[1], 24 * HOUR_MS);
    }

    #[test]
    fn weeks_start_at_local_midnight_on_mondays() {
        let grid = zoned(Resolution::Week, "Europe/Oslo");
        // Monday 25 March 2024 (CET, +01) and Monday 1 April (CEST, +02).
        let weeks: Vec<i64> = grid
            .steps(utc(2024, 3, 20, 0, 0), utc(2024, 4, 10, 0, 0))
            .collect();
        assert_eq!(
            weeks,
            vec![
                utc(2024, 3, 24, 23, 0),
                utc(2024, 3, 31, 22, 0),
                utc(2024, 4, 7, 22, 0),
            ]
        );
        assert_eq!(weeks[1] - weeks[0], (7 * 24 - 1) * HOUR_MS);
        // Sunday midnight is not a week start.
        assert!(!grid.is_on_grid(utc(2024, 3, 30, 23, 0)));
        // The epoch was a Thursday: UTC weeks are not epoch-aligned.
        let utc_weeks = Grid::utc(Resolution::Week);
        assert!(!utc_weeks.is_on_grid(0));
        assert_eq!(utc_weeks.floor(0), Some(utc(1969, 12, 29, 0, 0)));
    }

    #[test]
    fn months_and_years_start_at_local_midnight_on_the_first() {
        let months = zoned(Resolution::Month, "Europe/Oslo");
        let starts: Vec<i64> = months
            .steps(utc(2024, 1, 15, 0, 0), utc(2024, 5, 1, 0, 0))
            .collect();
        assert_eq!(
            starts,
            vec![
                utc(2024, 1, 31, 23, 0),
                utc(2024, 2, 29, 23, 0),
                utc(2024, 3, 31, 22, 0),
                utc(2024, 4, 30, 22, 0),
            ]
        );
        assert_eq!(
            months.floor(utc(2024, 3, 31, 21, 59)),
            Some(utc(2024, 2, 29, 23, 0))
        );

        let years = zoned(Resolution::Year, "America/New_York");
        let starts: Vec<i64> = years
            .steps(utc(2023, 6, 1, 0, 0), utc(2026, 1, 1, 5, 0) + 1)
            .collect();
        assert_eq!(
            starts,
            vec![
                utc(2024, 1, 1, 5, 0),
                utc(2025, 1, 1, 5, 0),
                utc(2026, 1, 1, 5, 0)
            ]
        );
        assert!(!years.is_on_grid(utc(2024, 1, 1, 0, 0)));
        assert!(Grid::utc(Resolution::Year).is_on_grid(utc(2024, 1, 1, 0, 0)));
    }

    #[test]
    fn breakpoint_accepts_every_instant_and_has_no_steps() {
        let grid = Grid::utc(Resolution::Breakpoint);
        assert!(grid.is_on_grid(1));
        assert!(grid.is_on_grid(i64::MIN));
        assert_eq!(grid.floor(5), None);
        assert_eq!(grid.steps(0, 1_000).count(), 0);
        assert_eq!(grid.step_count_bound(0, 1_000), 0);
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        for resolution in Resolution::ALL {
            let grid = zoned(resolution, "Europe/Oslo");
            for t in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX] {
                grid.is_on_grid(t);
                grid.floor(t);
                grid.ceil(t);
                grid.next_after(t);
                grid.steps(t, i64::MAX).take(3).count();
                grid.step_count_bound(i64::MIN, t);
            }
        }
        assert_eq!(Grid::utc(Resolution::Hour).next_after(i64::MAX), None);
        assert_eq!(Grid::utc(Resolution::Day).floor(i64::MAX), None);
    }

    #[test]
    fn step_count_bound_is_exact_for_fixed_and_close_for_calendar() {
        let hour = Grid::utc(Resolution::Hour);
        let t = utc(2024, 1, 1, 0, 0);
        assert_eq!(hour.step_count_bound(t, t + 24 * HOUR_MS), 24);
        assert_eq!(hour.step_count_bound(t + 1, t + 24 * HOUR_MS + 1), 24);
        assert_eq!(hour.step_count_bound(t, t), 0);
        assert_eq!(
            hour.step_count_bound(0, i64::MAX),
            ((i64::MAX - 1) / 3_600_000 + 1) as u64
        );
        assert!(hour.step_count_bound(i64::MIN, i64::MAX) >= u64::MAX / 3_600_000);
        for resolution in [
            Resolution::Day,
            Resolution::Week,
            Resolution::Month,
            Resolution::Year,
        ] {
            for zone in [
                "Europe/Oslo",
                "America/Santiago",
                "America/Havana",
                "Pacific/Apia",
                "Asia/Kolkata",
                "UTC",
            ] {
                let grid = zoned(resolution, zone);
                // Starts on and off steps, around DST changes and the Apia
                // skip, over spans from a few hours to a decade.
                for start in [
                    utc(2011, 12, 29, 10, 0),
                    utc(2011, 12, 30, 9, 0),
                    utc(2024, 3, 31, 0, 30),
                    utc(2024, 9, 7, 4, 0),
                    utc(2024, 11, 3, 4, 30),
                ] {
                    for hours in [1, 23, 25, 24 * 7 + 1, 24 * 40, 24 * 400, 24 * 3653] {
                        let end = start + hours * HOUR_MS;
                        let exact = grid.steps(start, end).count() as u64;
                        let bound = grid.step_count_bound(start, end);
                        assert!(
                            exact <= bound && bound <= exact + CALENDAR_BOUND_SLACK,
                            "{grid} from {start} for {hours} h: {exact} steps, bound {bound}"
                        );
                    }
                }
            }
        }
    }
}
