//! Time specifications (calc notes §2.5): absolute times, macros relative
//! to a reference time or to the period, calendar prefixes, offsets.
//!
//! A specification is `[calendar][base][offset…]`:
//! - calendar: `UTC`, `LOCAL`, `STANDARD` or `DB` (standard time); none
//!   means standard time, as the sources say;
//! - base: digits `YYYYMMDD[hh[mm[ss[xxx]]]]` (an absolute time in the
//!   calendar), or a macro: `NOW`, `SOP`/`EOP` (the period's start and
//!   end), `YEAR`, `HYDYEAR` (1 September), `MONTH`, `WEEK` (Monday),
//!   `DAY`, `HOUR`, `MIN15`: the start of that unit holding the reference
//!   time; none means the reference time itself;
//! - offsets: `+N` or `-N` followed by a unit letter: `y` years, `m`
//!   months, `w` weeks, `d` days, `h` hours, `x` minutes, `s` seconds.
//!   Years, months, weeks and days move in the calendar's local time.
//!
//! Time points as numbers are .NET ticks (100 ns since 0001-01-01), as the
//! Time function's page says.

use chrono::{DateTime, Datelike, Duration, LocalResult, Months, NaiveDate, TimeZone, Timelike};
use chrono_tz::Tz;

use crate::context::Interval;
use crate::Settings;

/// Ticks between 0001-01-01 and the Unix epoch.
const EPOCH_TICKS: i64 = 621_355_968_000_000_000;
/// Ticks per millisecond.
const TICKS_PER_MS: i64 = 10_000;

/// Milliseconds since the Unix epoch as .NET ticks; `None` out of range.
pub fn ms_to_ticks(ms: i64) -> Option<i64> {
    ms.checked_mul(TICKS_PER_MS)?.checked_add(EPOCH_TICKS)
}

/// .NET ticks as milliseconds since the Unix epoch, to the nearest
/// millisecond; `None` for a number that is no tick count in range.
///
/// Nearest, not truncated: a double holds today's tick counts (about
/// 6.4·10¹⁷) only to 128 ticks, so the ticks of an exact millisecond may
/// come back a little below it, and truncating would give the millisecond
/// before (an as-of read at an audit time would miss that very commit).
pub fn ticks_to_ms(ticks: f64) -> Option<i64> {
    if !ticks.is_finite() || ticks.abs() > 9.2e18 {
        return None;
    }
    let since_epoch = (ticks as i64).checked_sub(EPOCH_TICKS)?;
    Some(
        since_epoch
            .saturating_add(TICKS_PER_MS / 2)
            .div_euclid(TICKS_PER_MS),
    )
}

/// Which calendar a specification reads in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calendar {
    /// UTC.
    Utc,
    /// The server's local zone, daylight saving time included.
    Local,
    /// The local zone's standard offset (also `DB`, and the default).
    Standard,
}

impl Calendar {
    /// The zone the calendar is in.
    pub fn zone(self, settings: &Settings) -> Tz {
        match self {
            Calendar::Utc => Tz::UTC,
            Calendar::Local => settings.local_zone,
            Calendar::Standard => settings.standard_zone,
        }
    }
}

/// The unit a macro rounds down to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Calendar year.
    Year,
    /// Hydrological year, from 1 September.
    HydYear,
    /// Month.
    Month,
    /// ISO week, from Monday.
    Week,
    /// Day.
    Day,
    /// Hour.
    Hour,
    /// Quarter hour.
    Min15,
}

/// What a specification starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// The reference time (also `NOW`).
    Reference,
    /// The period's start.
    StartOfPeriod,
    /// The period's end.
    EndOfPeriod,
    /// The start of the unit holding the reference time.
    Floor(Unit),
    /// A local date and time in the calendar.
    Absolute(chrono::NaiveDateTime),
}

/// One offset: how many of which unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    /// Signed count.
    pub count: i64,
    /// `y m w d h x s`.
    pub unit: char,
}

/// A parsed time specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeSpec {
    /// The calendar prefix, if any.
    pub calendar: Option<Calendar>,
    /// The base.
    pub base: Base,
    /// The offsets, in order.
    pub offsets: Vec<Offset>,
}

/// The longest specification accepted: real ones are a few dozen bytes.
const MAX_SPEC_BYTES: usize = 256;

impl TimeSpec {
    /// Parses `text`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<TimeSpec, String> {
        let spec = text.trim();
        if spec.len() > MAX_SPEC_BYTES {
            return Err(format!(
                "a time specification of {} bytes (at most {MAX_SPEC_BYTES})",
                spec.len()
            ));
        }
        let upper = spec.to_ascii_uppercase();
        let mut rest = upper.as_str();
        let mut calendar = None;
        for (prefix, c) in [
            ("STANDARD", Calendar::Standard),
            ("LOCAL", Calendar::Local),
            ("UTC", Calendar::Utc),
            ("DB", Calendar::Standard),
        ] {
            if let Some(r) = rest.strip_prefix(prefix) {
                calendar = Some(c);
                rest = r;
                break;
            }
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        // Digits then a unit letter are an offset (`0h`, `2d`); digits
        // alone, an absolute time.
        let offset_first = rest[digits..]
            .chars()
            .next()
            .is_some_and(|c| "YMWDHXS".contains(c));
        let base = if digits > 0 && !offset_first {
            let (number, tail) = rest.split_at(digits);
            rest = tail;
            Base::Absolute(absolute(number)?)
        } else {
            let mut found = Base::Reference;
            for (name, base) in [
                ("HYDYEAR", Base::Floor(Unit::HydYear)),
                ("YEAR", Base::Floor(Unit::Year)),
                ("MONTH", Base::Floor(Unit::Month)),
                ("WEEK", Base::Floor(Unit::Week)),
                ("DAY", Base::Floor(Unit::Day)),
                ("HOUR", Base::Floor(Unit::Hour)),
                ("MIN15", Base::Floor(Unit::Min15)),
                ("NOW", Base::Reference),
                ("SOP", Base::StartOfPeriod),
                ("EOP", Base::EndOfPeriod),
            ] {
                if let Some(r) = rest.strip_prefix(name) {
                    found = base;
                    rest = r;
                    break;
                }
            }
            found
        };
        let mut offsets = Vec::new();
        let original = spec;
        while !rest.is_empty() {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ if rest.as_bytes()[0].is_ascii_digit() && offsets.is_empty() => 1,
                _ => return Err(format!("'{original}' is not a time specification")),
            };
            if rest.starts_with(['+', '-']) {
                rest = &rest[1..];
            }
            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 || n > 12 {
                return Err(format!("'{original}': an offset needs a number"));
            }
            let count: i64 = rest[..n]
                .parse()
                .map_err(|_| format!("'{original}': an offset needs a number"))?;
            rest = &rest[n..];
            let unit = rest
                .chars()
                .next()
                .map(|c| c.to_ascii_lowercase())
                .filter(|c| "ymwdhxs".contains(*c))
                .ok_or_else(|| {
                    format!(
                        "'{original}': an offset ends in a unit: y, m, w, d, h, x (minutes) or s"
                    )
                })?;
            rest = &rest[1..];
            offsets.push(Offset {
                count: sign * count,
                unit,
            });
        }
        Ok(TimeSpec {
            calendar,
            base,
            offsets,
        })
    }

    /// Whether the specification is only offsets (`-1d`, `+2h`): a shift
    /// of whatever it is applied to.
    pub fn is_relative(&self) -> bool {
        self.base == Base::Reference && self.calendar.is_none()
    }

    /// The instant (ms) this specification names, with `reference_ms` as
    /// the reference time and `period` as SOP/EOP; `None` out of range.
    pub fn resolve(&self, reference_ms: i64, period: Interval, settings: &Settings) -> Option<i64> {
        let zone = self.calendar.unwrap_or(Calendar::Standard).zone(settings);
        let base = match self.base {
            Base::Reference => reference_ms,
            Base::StartOfPeriod => period.start_ms,
            Base::EndOfPeriod => period.end_ms,
            Base::Floor(unit) => floor(unit, reference_ms, zone)?,
            Base::Absolute(local) => first_instant(zone, local)?,
        };
        self.shift(base, zone)
    }

    /// `t` moved by the offsets, calendar units in `zone`.
    pub fn shift(&self, t: i64, zone: Tz) -> Option<i64> {
        self.offsets
            .iter()
            .try_fold(t, |t, offset| apply(*offset, t, zone))
    }

    /// The zone the offsets' calendar units move in.
    pub fn zone(&self, settings: &Settings) -> Tz {
        self.calendar.unwrap_or(Calendar::Standard).zone(settings)
    }
}

fn absolute(number: &str) -> Result<chrono::NaiveDateTime, String> {
    let bad = || format!("'{number}' is not a time: YYYYMMDD[hh[mm[ss[xxx]]]] is expected");
    if ![8, 10, 12, 14, 17].contains(&number.len()) {
        return Err(bad());
    }
    let field = |from: usize, len: usize| -> u32 {
        number
            .get(from..from + len)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    };
    let date =
        NaiveDate::from_ymd_opt(field(0, 4) as i32, field(4, 2), field(6, 2)).ok_or_else(bad)?;
    date.and_hms_milli_opt(field(8, 2), field(10, 2), field(12, 2), field(14, 3))
        .ok_or_else(bad)
}

/// The first instant of a local time in `zone` (the end of a gap when the
/// local time falls in one).
fn first_instant(zone: Tz, local: chrono::NaiveDateTime) -> Option<i64> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.timestamp_millis()),
        LocalResult::Ambiguous(a, _) => Some(a.timestamp_millis()),
        LocalResult::None => {
            // A gap is at most a few hours: the first local time after it.
            (1..=24 * 4).find_map(|q| {
                let later = local + Duration::minutes(15 * q);
                zone.from_local_datetime(&later)
                    .earliest()
                    .map(|t| t.timestamp_millis())
            })
        }
    }
}

fn local(zone: Tz, t: i64) -> Option<DateTime<Tz>> {
    zone.timestamp_millis_opt(t).single()
}

/// The start of `unit` holding `t` in `zone`.
pub fn floor(unit: Unit, t: i64, zone: Tz) -> Option<i64> {
    let here = local(zone, t)?.naive_local();
    let date = here.date();
    let start = match unit {
        Unit::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1)?.and_hms_opt(0, 0, 0)?,
        Unit::HydYear => {
            let year = if date.month() >= 9 {
                date.year()
            } else {
                date.year() - 1
            };
            NaiveDate::from_ymd_opt(year, 9, 1)?.and_hms_opt(0, 0, 0)?
        }
        Unit::Month => {
            NaiveDate::from_ymd_opt(date.year(), date.month(), 1)?.and_hms_opt(0, 0, 0)?
        }
        Unit::Week => {
            let back = i64::from(date.weekday().num_days_from_monday());
            (date - Duration::days(back)).and_hms_opt(0, 0, 0)?
        }
        Unit::Day => date.and_hms_opt(0, 0, 0)?,
        Unit::Hour => date.and_hms_opt(here.hour(), 0, 0)?,
        Unit::Min15 => date.and_hms_opt(here.hour(), here.minute() / 15 * 15, 0)?,
    };
    first_instant(zone, start)
}

fn apply(offset: Offset, t: i64, zone: Tz) -> Option<i64> {
    let fixed = |unit_ms: i64| t.checked_add(offset.count.checked_mul(unit_ms)?);
    match offset.unit {
        'h' => fixed(3_600_000),
        'x' => fixed(60_000),
        's' => fixed(1_000),
        unit => {
            let here = local(zone, t)?.naive_local();
            let moved = match unit {
                'd' => here.checked_add_signed(Duration::try_days(offset.count)?)?,
                'w' => here.checked_add_signed(Duration::try_weeks(offset.count)?)?,
                'm' | 'y' => {
                    let months = if unit == 'y' {
                        offset.count.checked_mul(12)?
                    } else {
                        offset.count
                    };
                    let magnitude = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
                    if months >= 0 {
                        here.checked_add_months(magnitude)?
                    } else {
                        here.checked_sub_months(magnitude)?
                    }
                }
                _ => return None,
            };
            first_instant(zone, moved)
        }
    }
}
