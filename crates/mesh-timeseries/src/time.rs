//! Small helpers for UTC millisecond instants.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats an instant for error messages: RFC 3339 in UTC with milliseconds
/// only when there are some (`2024-03-31T01:00:00Z`,
/// `2024-03-31T01:00:00.250Z`); instants chrono cannot represent are given
/// as raw milliseconds (`-9223372036854775808 ms`) so that no message ever
/// fails to name the instant.
pub fn format_utc_ms(utc_ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(utc_ms) {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => format!("{utc_ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_whole_and_fractional_seconds_and_out_of_range() {
        assert_eq!(format_utc_ms(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc_ms(1_711_846_800_250), "2024-03-31T01:00:00.250Z");
        assert_eq!(format_utc_ms(i64::MIN), "-9223372036854775808 ms");
    }
}
