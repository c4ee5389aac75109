//! The points the time-series benchmark writes, and the checks of what it
//! reads back.
//!
//! Every value is a pure function of (series ordinal, hour index), so any
//! point read back can be checked without keeping what was written, and a
//! run writes the same bytes every time (the bytes-per-point figure is then
//! comparable between runs).

use mesh_timeseries::{flags, Point};

pub const HOUR_MS: i64 = 3_600_000;

/// 2000-01-01T00:00:00Z: a realistic start; 10 million hours later is still
/// far inside what the server's time handling accepts.
pub const START_MS: i64 = 946_684_800_000;

/// The instant of hour `index` of every series.
pub fn utc_ms(index: u64) -> i64 {
    START_MS + index as i64 * HOUR_MS
}

/// SplitMix64: a small, well-mixed hash, used both for the values' noise
/// and as the benchmark's seeded random generator (so no crate is needed
/// and runs are reproducible).
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded pseudo-random sequence.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(mix(seed))
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is negligible for the
    /// ranges used here (far below 2^64).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(1);
        mix(self.0) % n
    }
}

/// Value of `series` at hour `index`: a price with two decimals (cents as
/// an integer divided by 100, so the value is exactly the decimal it looks
/// like), made of a per-series level, a daily shape and up to ±3.00 of
/// noise. Such data is what the store's decimal encoding is built for;
/// noisy binary fractions would cost several bytes more per point.
pub fn value(series: u64, index: u64) -> f64 {
    let level = 4_000 + (series % 50) as i64 * 40;
    let hour_of_day = (index % 24) as f64;
    let daily = (1_500.0 * (hour_of_day * std::f64::consts::TAU / 24.0).sin()).round() as i64;
    let noise = (mix(series << 40 ^ index) % 601) as i64 - 300;
    (level + daily + noise) as f64 / 100.0
}

/// Hours `first..first + count` of `series`, all flagged OK.
pub fn points(series: u64, first: u64, count: u64) -> Vec<Point> {
    (first..first + count)
        .map(|i| Point::new(utc_ms(i), flags::OK, value(series, i)))
        .collect()
}

/// Checks points read back as hours `first..first + expected` of `series`:
/// the count, that no point is flagged (a hole would come back as a
/// MISSING step), and the timestamp and exact value bits at `probes`
/// positions spread over the answer (ends included). Cheap enough to run
/// inside a timed read.
pub fn check(
    series: u64,
    first: u64,
    expected: u64,
    got: &[Point],
    probes: u64,
) -> Result<(), String> {
    if got.len() as u64 != expected {
        return Err(format!(
            "series #{series}: expected {expected} points from hour {first}, got {}",
            got.len()
        ));
    }
    if let Some(at) = got.iter().position(|p| p.flags != flags::OK) {
        return Err(format!(
            "series #{series}: point {at} of a read from hour {first} has flags {:#x}",
            got[at].flags
        ));
    }
    if expected == 0 {
        return Ok(());
    }
    let last = expected - 1;
    let mut rng = Rng::new(series ^ first.rotate_left(20));
    let positions = [0, last]
        .into_iter()
        .chain((0..probes.saturating_sub(2)).map(|_| rng.below(expected)));
    for at in positions {
        let point = got[at as usize];
        let hour = first + at;
        let want = value(series, hour);
        if point.utc_ms != utc_ms(hour) || point.value.to_bits() != want.to_bits() {
            return Err(format!(
                "series #{series}, hour {hour}: expected ({} ms, {want}), got ({} ms, {})",
                utc_ms(hour),
                point.utc_ms,
                point.value
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_two_decimal_prices() {
        for series in [0, 7, 10_000] {
            for index in [0, 1, 23, 9_999_999] {
                let v = value(series, index);
                let cents = (v * 100.0).round();
                assert_eq!((cents / 100.0).to_bits(), v.to_bits());
                assert!((10.0..=80.0).contains(&v), "{v}");
            }
        }
    }

    #[test]
    fn written_points_pass_their_own_check() {
        let p = points(3, 1_000, 168);
        assert_eq!(p[0].utc_ms, START_MS + 1_000 * HOUR_MS);
        assert!(check(3, 1_000, 168, &p, 8).is_ok());
        assert!(check(3, 1_000, 169, &p, 8).is_err());
        assert!(check(4, 1_000, 168, &p, 168).is_err());
        let mut holed = p.clone();
        holed[5] = Point::missing(holed[5].utc_ms);
        assert!(check(3, 1_000, 168, &holed, 2).is_err());
    }

    #[test]
    fn rng_stays_in_range() {
        let mut rng = Rng::new(1);
        assert!((0..1_000).all(|_| rng.below(7) < 7));
    }
}
