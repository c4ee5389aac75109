//! Instants as files and options give them: RFC 3339, or epoch milliseconds.

use anyhow::{anyhow, bail};
use mesh::chrono::{DateTime, Utc};

/// Milliseconds since the Unix epoch of `text`: an RFC 3339 time
/// (`2024-01-01T00:00:00Z`, `2024-01-01T01:00:00.250+01:00`) or an integer
/// of epoch milliseconds. A time finer than a millisecond is refused
/// rather than cut.
pub fn parse_utc_ms(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .map_err(|_| format!("{:?} is too large for epoch milliseconds", echo(text)));
    }
    let time = DateTime::parse_from_rfc3339(text).map_err(|error| {
        format!(
            "{:?} is neither an RFC 3339 time (2024-01-01T00:00:00Z) nor epoch milliseconds: {error}",
            echo(text)
        )
    })?;
    if time.timestamp_subsec_nanos() % 1_000_000 != 0 {
        return Err(format!(
            "{:?} is more precise than a millisecond, the precision of points",
            echo(text)
        ));
    }
    Ok(time.timestamp_millis())
}

/// The time an option gives (`--from`, `--as-of`, …), in epoch
/// milliseconds; the error names the option.
pub fn option_ms(option: &str, text: &str) -> anyhow::Result<i64> {
    parse_utc_ms(text).map_err(|reason| anyhow!("{option} {reason}"))
}

/// `--from` and `--to` in epoch milliseconds, the start before the end.
pub fn interval(from: &str, to: &str) -> anyhow::Result<(i64, i64)> {
    checked(option_ms("--from", from)?, option_ms("--to", to)?)
}

/// `[from, to)` if the start is before the end.
pub fn checked(from: i64, to: i64) -> anyhow::Result<(i64, i64)> {
    if from >= to {
        bail!("--from {} is not before --to {}", show(from), show(to));
    }
    Ok((from, to))
}

/// Epoch milliseconds as a UTC time, for the SDK's calls.
pub fn utc(ms: i64) -> anyhow::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| anyhow!("{ms} ms is outside the times this program handles"))
}

/// At most 64 characters of `text`, for messages.
fn echo(text: &str) -> String {
    mesh_timeseries::echo(text).into_owned()
}

/// `ms` as RFC 3339 with milliseconds, in UTC, for messages.
pub fn show(ms: i64) -> String {
    mesh_timeseries::format_utc_ms(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_parse_to_the_same_instant() {
        assert_eq!(parse_utc_ms("2024-01-01T00:00:00Z"), Ok(1_704_067_200_000));
        assert_eq!(
            parse_utc_ms("2024-01-01T01:00:00.250+01:00"),
            Ok(1_704_067_200_250)
        );
        assert_eq!(parse_utc_ms("1704067200000"), Ok(1_704_067_200_000));
        assert_eq!(parse_utc_ms("-1000"), Ok(-1000));
    }

    #[test]
    fn bad_and_too_precise_times_are_refused_with_the_reason() {
        assert!(parse_utc_ms("yesterday").unwrap_err().contains("RFC 3339"));
        assert!(parse_utc_ms("2024-01-01T00:00:00.0001Z")
            .unwrap_err()
            .contains("more precise than a millisecond"));
        assert!(parse_utc_ms("99999999999999999999").is_err());
        assert!(parse_utc_ms("").is_err());
    }
}
