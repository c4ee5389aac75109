//! Checking a written segment and filling a read one.
//!
//! A write replaces everything in `[start, end)` with the points sent, so the
//! points must be strictly increasing, inside the interval and, for a fixed
//! resolution, on the series' grid ([`validate_write`]). A read of a series
//! with a fixed resolution reports every step of the interval, marking steps
//! without a stored point as missing ([`fill`]).
//!
//! Error messages name the offending point by its index in the segment
//! (counting from 0) and its instant in RFC 3339, as they go back to the
//! client verbatim.

use crate::resolution::{Grid, CALENDAR_BOUND_SLACK};
use crate::time::format_utc_ms;
use crate::Point;

/// The most steps [`fill`] produces; a read spanning more is refused. Ten
/// million points are 200 MB as an Arrow payload, beyond what any client
/// usefully asks for at once (100 years of 15-minute values are 3.5 million),
/// while a mistyped interval could otherwise ask for billions.
pub const MAX_FILL_STEPS: usize = 10_000_000;

/// Why a segment was refused. The messages are meant for the client as they
/// are (the server sends them as `INVALID_ARGUMENT`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    /// `start_ms >= end_ms`.
    #[error(
        "the interval start {} is not before its end {}",
        format_utc_ms(*.start_ms),
        format_utc_ms(*.end_ms)
    )]
    InvalidInterval { start_ms: i64, end_ms: i64 },
    /// A point does not come strictly after the one before it.
    #[error(
        "timestamps in the segment are not increasing: the point at index {index} ({}) does not \
         come after the point at index {} ({})",
        format_utc_ms(*.utc_ms),
        .index - 1,
        format_utc_ms(*.previous_ms)
    )]
    NotIncreasing {
        index: usize,
        previous_ms: i64,
        utc_ms: i64,
    },
    /// A point lies outside `[start, end)`.
    #[error(
        "the point at index {index} ({}) is outside the interval [{}, {})",
        format_utc_ms(*.utc_ms),
        format_utc_ms(*.start_ms),
        format_utc_ms(*.end_ms)
    )]
    OutsideInterval {
        index: usize,
        utc_ms: i64,
        start_ms: i64,
        end_ms: i64,
    },
    /// A point of a series with a fixed resolution is between two steps.
    #[error(
        "the point at index {index} ({}) is not on the grid of resolution {grid}{}",
        format_utc_ms(*.utc_ms),
        neighbours(.before, .after)
    )]
    OffGrid {
        index: usize,
        utc_ms: i64,
        grid: Grid,
        /// The grid instants around the point, to show what was meant.
        before: Option<i64>,
        after: Option<i64>,
    },
    /// A read would produce more than the allowed number of steps.
    #[error(
        "the interval [{}, {}) holds more than {limit} steps of resolution {grid}; \
         read a shorter interval",
        format_utc_ms(*.start_ms),
        format_utc_ms(*.end_ms)
    )]
    TooManySteps {
        start_ms: i64,
        end_ms: i64,
        grid: Grid,
        limit: usize,
    },
}

fn neighbours(before: &Option<i64>, after: &Option<i64>) -> String {
    match (before, after) {
        (Some(before), Some(after)) => format!(
            " (the nearest steps are {} and {})",
            format_utc_ms(*before),
            format_utc_ms(*after)
        ),
        _ => String::new(),
    }
}

fn check_interval(start_ms: i64, end_ms: i64) -> Result<(), SegmentError> {
    if start_ms < end_ms {
        Ok(())
    } else {
        Err(SegmentError::InvalidInterval { start_ms, end_ms })
    }
}

/// Checks a segment about to replace `[start_ms, end_ms)` of a series with
/// the grid `grid`: the interval is not empty, the timestamps are strictly
/// increasing, every point lies in the interval and, unless the resolution
/// is `BREAKPOINT`, on the grid. The checks run in that order over the whole
/// segment, so an unsorted segment is always reported as such, even if it
/// also has a point outside the interval. An empty segment is valid (it
/// deletes the interval).
pub fn validate_write(
    points: &[Point],
    start_ms: i64,
    end_ms: i64,
    grid: &Grid,
) -> Result<(), SegmentError> {
    check_interval(start_ms, end_ms)?;

    if let Some(index) = points
        .windows(2)
        .position(|pair| pair[0].utc_ms >= pair[1].utc_ms)
    {
        return Err(SegmentError::NotIncreasing {
            index: index + 1,
            previous_ms: points[index].utc_ms,
            utc_ms: points[index + 1].utc_ms,
        });
    }

    // Sorted now, so only the ends can stray outside; the first point not
    // before the end is the one to name.
    let outside = |index: usize| SegmentError::OutsideInterval {
        index,
        utc_ms: points[index].utc_ms,
        start_ms,
        end_ms,
    };
    if points.first().is_some_and(|p| p.utc_ms < start_ms) {
        return Err(outside(0));
    }
    if points.last().is_some_and(|p| p.utc_ms >= end_ms) {
        return Err(outside(points.partition_point(|p| p.utc_ms < end_ms)));
    }

    if !grid.resolution().is_breakpoint() {
        if let Some(index) = points.iter().position(|p| !grid.is_on_grid(p.utc_ms)) {
            let utc_ms = points[index].utc_ms;
            return Err(SegmentError::OffGrid {
                index,
                utc_ms,
                grid: *grid,
                before: grid.floor(utc_ms),
                after: grid.next_after(utc_ms),
            });
        }
    }
    Ok(())
}

/// The points a read of `[start_ms, end_ms)` reports, from the stored points
/// of the series (ascending, as storage keeps them), allowing at most
/// [`MAX_FILL_STEPS`] steps. See [`fill_with_limit`].
pub fn fill(
    stored: &[Point],
    start_ms: i64,
    end_ms: i64,
    grid: &Grid,
) -> Result<Vec<Point>, SegmentError> {
    fill_with_limit(stored, start_ms, end_ms, grid, MAX_FILL_STEPS)
}

/// The points a read of `[start_ms, end_ms)` reports.
///
/// - `BREAKPOINT`: the stored points inside the interval, unchanged.
/// - Fixed resolutions: one point per grid step in the interval; the stored
///   point at that instant if there is one, else [`Point::missing`] (value
///   NaN, flag `MISSING`). Stored points between steps cannot have been
///   written through [`validate_write`] and are not reported.
///
/// Points outside the interval are never reported; a caller that wants the
/// point after the interval (a piecewise linear read) adds it itself. A
/// range of more than `max_steps` steps is refused before anything is
/// allocated for it, as is an empty interval.
pub fn fill_with_limit(
    stored: &[Point],
    start_ms: i64,
    end_ms: i64,
    grid: &Grid,
    max_steps: usize,
) -> Result<Vec<Point>, SegmentError> {
    check_interval(start_ms, end_ms)?;
    if grid.resolution().is_breakpoint() {
        return Ok(stored
            .iter()
            .filter(|p| (start_ms..end_ms).contains(&p.utc_ms))
            .copied()
            .collect());
    }

    let too_many = || SegmentError::TooManySteps {
        start_ms,
        end_ms,
        grid: *grid,
        limit: max_steps,
    };
    // The bound is exact for fixed steps and over by a few at most for
    // calendar steps, so refuse at once only when it is certainly too many;
    // a borderline calendar range is counted while walking.
    let bound = grid.step_count_bound(start_ms, end_ms);
    let max = u64::try_from(max_steps).unwrap_or(u64::MAX);
    if bound > max.saturating_add(CALENDAR_BOUND_SLACK)
        || (bound > max && grid.resolution().fixed_step_ms().is_some())
    {
        return Err(too_many());
    }

    let capacity = usize::try_from(bound).map_or(max_steps, |bound| bound.min(max_steps));
    let mut filled = Vec::with_capacity(capacity);
    let mut stored = stored.iter().skip_while(|p| p.utc_ms < start_ms).peekable();
    for step in grid.steps(start_ms, end_ms) {
        if filled.len() == max_steps {
            return Err(too_many());
        }
        while stored.next_if(|p| p.utc_ms < step).is_some() {}
        filled.push(match stored.next_if(|p| p.utc_ms == step) {
            Some(point) => *point,
            None => Point::missing(step),
        });
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags;
    use crate::resolution::Resolution;

    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    /// 2024-01-01T00:00:00Z.
    const T0: i64 = 1_704_067_200_000;

    fn hourly() -> Grid {
        Grid::utc(Resolution::Hour)
    }

    fn at(offsets_in_hours: &[i64]) -> Vec<Point> {
        offsets_in_hours
            .iter()
            .map(|&h| Point::new(T0 + h * HOUR, flags::OK, h as f64))
            .collect()
    }

    fn refusal(points: &[Point], start: i64, end: i64, grid: &Grid) -> String {
        validate_write(points, start, end, grid)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_good_segment_passes() {
        validate_write(&at(&[0, 1, 5, 23]), T0, T0 + 24 * HOUR, &hourly()).unwrap();
        validate_write(&[], T0, T0 + 1, &hourly()).unwrap();
        let odd = [Point::new(T0 + 1, 0, 1.0), Point::new(T0 + 7, 0, 2.0)];
        validate_write(&odd, T0, T0 + 8, &Grid::utc(Resolution::Breakpoint)).unwrap();
    }

    #[test]
    fn an_empty_or_reversed_interval_is_refused_naming_both_ends() {
        assert_eq!(
            refusal(&[], T0, T0, &hourly()),
            "the interval start 2024-01-01T00:00:00Z is not before its end 2024-01-01T00:00:00Z"
        );
        assert_eq!(
            refusal(&[], T0 + HOUR, T0, &hourly()),
            "the interval start 2024-01-01T01:00:00Z is not before its end 2024-01-01T00:00:00Z"
        );
        assert_eq!(
            fill(&[], T0, T0 - 1, &hourly()).unwrap_err(),
            SegmentError::InvalidInterval {
                start_ms: T0,
                end_ms: T0 - 1
            }
        );
    }

    #[test]
    fn unsorted_and_repeated_timestamps_are_refused_saying_where() {
        assert_eq!(
            refusal(&at(&[0, 2, 1, 3]), T0, T0 + 24 * HOUR, &hourly()),
            "timestamps in the segment are not increasing: the point at index 2 \
             (2024-01-01T01:00:00Z) does not come after the point at index 1 (2024-01-01T02:00:00Z)"
        );
        let repeated = refusal(&at(&[0, 1, 1]), T0, T0 + 24 * HOUR, &hourly());
        assert!(
            repeated
                .starts_with("timestamps in the segment are not increasing: the point at index 2"),
            "{repeated}"
        );
        // Reported as unsorted even though a point is also outside.
        let both = refusal(&at(&[-5, 3, 2]), T0, T0 + 24 * HOUR, &hourly());
        assert!(
            both.contains("timestamps in the segment are not increasing"),
            "{both}"
        );
        // Breakpoint series are no exception.
        let breakpoint = Grid::utc(Resolution::Breakpoint);
        let points = [Point::new(5, 0, 0.0), Point::new(5, 0, 0.0)];
        assert!(refusal(&points, 0, 10, &breakpoint)
            .contains("timestamps in the segment are not increasing"));
    }

    #[test]
    fn points_outside_the_interval_are_refused_naming_the_point() {
        assert_eq!(
            refusal(&at(&[-1, 0, 1]), T0, T0 + 2 * HOUR, &hourly()),
            "the point at index 0 (2023-12-31T23:00:00Z) is outside the interval \
             [2024-01-01T00:00:00Z, 2024-01-01T02:00:00Z)"
        );
        // The end is exclusive; the first point at or after it is named.
        assert_eq!(
            refusal(&at(&[0, 1, 2, 3]), T0, T0 + 2 * HOUR, &hourly()),
            "the point at index 2 (2024-01-01T02:00:00Z) is outside the interval \
             [2024-01-01T00:00:00Z, 2024-01-01T02:00:00Z)"
        );
    }

    #[test]
    fn points_off_the_grid_are_refused_naming_point_and_resolution() {
        let mut points = at(&[0, 1, 2]);
        points[1].utc_ms += 15 * MINUTE;
        assert_eq!(
            refusal(&points, T0, T0 + 3 * HOUR, &hourly()),
            "the point at index 1 (2024-01-01T01:15:00Z) is not on the grid of resolution HOUR \
             (the nearest steps are 2024-01-01T01:00:00Z and 2024-01-01T02:00:00Z)"
        );
        let min15 = Grid::utc(Resolution::Min15);
        let points = [Point::new(T0 + 7 * MINUTE + 500, 0, 1.0)];
        assert_eq!(
            refusal(&points, T0, T0 + HOUR, &min15),
            "the point at index 0 (2024-01-01T00:07:00.500Z) is not on the grid of resolution MIN15 \
             (the nearest steps are 2024-01-01T00:00:00Z and 2024-01-01T00:15:00Z)"
        );
        // A day in Oslo starts at 23:00 UTC in winter, not at UTC midnight.
        let oslo = Grid::new(Resolution::Day, Some("Europe/Oslo")).unwrap();
        let points = [Point::new(T0 - HOUR, 0, 1.0), Point::new(T0, 0, 2.0)];
        assert_eq!(
            refusal(&points, T0 - HOUR, T0 + 48 * HOUR, &oslo),
            "the point at index 1 (2024-01-01T00:00:00Z) is not on the grid of resolution DAY in \
             time zone Europe/Oslo (the nearest steps are 2023-12-31T23:00:00Z and 2024-01-01T23:00:00Z)"
        );
        validate_write(&points[..1], T0 - HOUR, T0, &oslo).unwrap();
    }

    #[test]
    fn fill_reports_every_step_with_gaps_missing() {
        let stored = vec![
            Point::new(T0 - HOUR, flags::OK, -1.0), // before the interval
            Point::new(T0 + HOUR, flags::SUSPECT | 0x10, 1.0),
            Point::new(T0 + HOUR + 1, flags::OK, 99.0), // between steps
            Point::new(
                T0 + 3 * HOUR,
                flags::NOT_OK,
                f64::from_bits(0x7ff8_0000_0000_0042),
            ),
            Point::new(T0 + 4 * HOUR, flags::OK, 4.0), // at the end, excluded
        ];
        let filled = fill(&stored, T0, T0 + 4 * HOUR, &hourly()).unwrap();
        assert_eq!(filled.len(), 4);
        assert!(filled[0].is_missing() && filled[0].value.is_nan());
        assert_eq!(filled[0].utc_ms, T0);
        assert_eq!(filled[0].flags, flags::MISSING);
        assert_eq!(filled[1], stored[1]);
        assert_eq!(filled[2].utc_ms, T0 + 2 * HOUR);
        assert_eq!(filled[2].flags, flags::MISSING);
        assert!(filled[2].value.is_nan());
        assert_eq!(filled[3].utc_ms, T0 + 3 * HOUR);
        assert_eq!(filled[3].flags, flags::NOT_OK);
        assert_eq!(filled[3].value.to_bits(), 0x7ff8_0000_0000_0042);

        // An interval starting between steps begins at the next step.
        let filled = fill(&stored, T0 + 1, T0 + 2 * HOUR, &hourly()).unwrap();
        assert_eq!(filled, vec![stored[1]]);
        // Nothing stored: all missing.
        let filled = fill(&[], T0, T0 + HOUR, &Grid::utc(Resolution::Min15)).unwrap();
        assert_eq!(filled.len(), 4);
        assert!(filled.iter().all(Point::is_missing));
    }

    #[test]
    fn fill_follows_local_days() {
        let oslo = Grid::new(Resolution::Day, Some("Europe/Oslo")).unwrap();
        // 2024-03-30T23:00Z and 2024-03-31T22:00Z start 31 March and 1 April.
        let day_31 = 1_711_839_600_000;
        let day_01 = 1_711_922_400_000;
        let stored = [Point::new(day_01, 0, 7.0)];
        let filled = fill(&stored, day_31, day_01 + 24 * HOUR, &oslo).unwrap();
        assert_eq!(filled.len(), 2);
        assert_eq!(filled[0].utc_ms, day_31);
        assert!(filled[0].is_missing());
        assert_eq!(filled[1], stored[0]);
    }

    #[test]
    fn breakpoint_fill_returns_the_stored_points_in_the_interval() {
        let breakpoint = Grid::utc(Resolution::Breakpoint);
        let stored = [
            Point::new(1, 0, 1.0),
            Point::new(5, flags::SUSPECT, 5.0),
            Point::new(7, 0, f64::NAN),
            Point::new(10, 0, 10.0),
        ];
        let filled = fill(&stored, 2, 10, &breakpoint).unwrap();
        assert_eq!(filled.len(), 2);
        assert_eq!(filled[0], stored[1]);
        assert_eq!(filled[1].utc_ms, 7);
        assert!(filled[1].value.is_nan());
        // No step limit applies: nothing is invented.
        assert_eq!(
            fill_with_limit(&stored, i64::MIN, i64::MAX, &breakpoint, 0)
                .unwrap()
                .len(),
            4
        );
    }

    #[test]
    fn absurd_reads_are_refused_before_allocating() {
        let err = fill(&[], 0, i64::MAX, &Grid::utc(Resolution::Min)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the interval [1970-01-01T00:00:00Z, 9223372036854775807 ms) holds more than 10000000 \
             steps of resolution MIN; read a shorter interval"
        );
        let day = Grid::utc(Resolution::Day);
        assert!(fill(&[], i64::MIN, i64::MAX, &day).is_err());

        // Exactly at the limit is fine, one more is not; fixed and calendar.
        let hour = hourly();
        assert_eq!(
            fill_with_limit(&[], T0, T0 + 24 * HOUR, &hour, 24)
                .unwrap()
                .len(),
            24
        );
        assert!(fill_with_limit(&[], T0, T0 + 24 * HOUR + 1, &hour, 24).is_err());
        let start = T0;
        let ten_days = T0 + 10 * 24 * HOUR;
        assert_eq!(
            fill_with_limit(&[], start, ten_days, &day, 10)
                .unwrap()
                .len(),
            10
        );
        for limit in [7, 8, 9] {
            assert!(matches!(
                fill_with_limit(&[], start, ten_days, &day, limit),
                Err(SegmentError::TooManySteps { limit: l, .. }) if l == limit
            ));
        }
    }
}
