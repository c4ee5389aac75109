//! The points of a read: [`TimeseriesPoints`], an Arrow record batch with a
//! typed view of its rows.

use arrow_array::{Array, Float64Array, RecordBatch, TimestampMillisecondArray, UInt32Array};
use chrono::{DateTime, Utc};
use mesh_timeseries::{arrow_ipc, Point};

use crate::error::{Error, Result};

/// One point of a read, with its instant as a date-time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UtcPoint {
    /// The point's instant, in whole milliseconds.
    pub time: DateTime<Utc>,
    /// Quality bits; see [`crate::flags`]. Unnamed bits are kept as written.
    pub flags: u32,
    /// Any `f64`; steps without a value read as NaN flagged `MISSING`.
    pub value: f64,
}

/// The points of one series from a read: an Arrow record batch with the
/// columns `utc_time`, `flags` and `value` (in that order, no nulls), and a
/// typed view of it.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeseriesPoints {
    batch: RecordBatch,
}

impl TimeseriesPoints {
    /// Decodes an answer of the server.
    pub(crate) fn from_payload(data: &[u8]) -> Result<TimeseriesPoints> {
        let batch = arrow_ipc::decode_batch(data).map_err(|error| {
            Error::Protocol(format!(
                "the server sent points that cannot be read: {error}"
            ))
        })?;
        TimeseriesPoints::checked(batch)
    }

    pub(super) fn from_points(points: &[Point]) -> Result<TimeseriesPoints> {
        TimeseriesPoints::checked(arrow_ipc::to_batch(points))
    }

    /// Makes sure every instant can be a `DateTime<Utc>`, so that `iter`
    /// never has to fail or invent one. Only a series written by other
    /// means with instants hundreds of thousands of years away could fail.
    fn checked(batch: RecordBatch) -> Result<TimeseriesPoints> {
        let points = TimeseriesPoints { batch };
        if let Some(&utc_ms) = points
            .columns()
            .0
            .iter()
            .find(|&&utc_ms| DateTime::<Utc>::from_timestamp_millis(utc_ms).is_none())
        {
            return Err(Error::Protocol(format!(
                "the server sent a point at {utc_ms} ms since 1970, beyond the dates this SDK can represent"
            )));
        }
        Ok(points)
    }

    /// The points as an Arrow record batch.
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    /// The points as an Arrow record batch, taken out of the view.
    pub fn into_batch(self) -> RecordBatch {
        self.batch
    }

    /// How many points the read gave.
    pub fn len(&self) -> usize {
        self.batch.num_rows()
    }

    /// Whether the read gave no points.
    pub fn is_empty(&self) -> bool {
        self.batch.num_rows() == 0
    }

    /// The points as plain structs, instants in milliseconds.
    pub fn points(&self) -> Vec<Point> {
        let (times, flags, values) = self.columns();
        times
            .iter()
            .zip(flags)
            .zip(values)
            .map(|((&utc_ms, &flags), &value)| Point::new(utc_ms, flags, value))
            .collect()
    }

    /// The points in order, instants as date-times.
    pub fn iter(&self) -> PointsIter<'_> {
        let (times, flags, values) = self.columns();
        PointsIter {
            times,
            flags,
            values,
            next: 0,
        }
    }

    fn columns(&self) -> (&[i64], &[u32], &[f64]) {
        // Every batch here comes from arrow_ipc, which hands out exactly
        // the canonical schema.
        fn column<T: 'static>(batch: &RecordBatch, index: usize) -> &T {
            batch
                .column(index)
                .as_any()
                .downcast_ref::<T>()
                .expect("batches from arrow_ipc have the canonical column types")
        }
        (
            column::<TimestampMillisecondArray>(&self.batch, 0).values(),
            column::<UInt32Array>(&self.batch, 1).values(),
            column::<Float64Array>(&self.batch, 2).values(),
        )
    }
}

impl<'a> IntoIterator for &'a TimeseriesPoints {
    type Item = UtcPoint;
    type IntoIter = PointsIter<'a>;

    fn into_iter(self) -> PointsIter<'a> {
        self.iter()
    }
}

/// Iterator over the points of a [`TimeseriesPoints`].
#[derive(Debug, Clone)]
pub struct PointsIter<'a> {
    times: &'a [i64],
    flags: &'a [u32],
    values: &'a [f64],
    next: usize,
}

impl Iterator for PointsIter<'_> {
    type Item = UtcPoint;

    fn next(&mut self) -> Option<UtcPoint> {
        let index = self.next;
        let utc_ms = *self.times.get(index)?;
        self.next += 1;
        Some(UtcPoint {
            time: DateTime::<Utc>::from_timestamp_millis(utc_ms)
                .expect("instants were checked when the points were received"),
            flags: self.flags[index],
            value: self.values[index],
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.times.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for PointsIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_view_matches_the_batch() {
        let points = [
            Point::new(0, 1, 1.5),
            Point::new(3_600_000, 0x8000_0000, f64::NAN),
        ];
        let read = TimeseriesPoints::from_points(&points).unwrap();
        assert_eq!(read.len(), 2);
        let typed: Vec<UtcPoint> = read.iter().collect();
        assert_eq!(typed[1].time.timestamp(), 3600);
        assert_eq!(typed[1].flags, 0x8000_0000);
        assert!(typed[1].value.is_nan());
        assert_eq!(read.points()[0], points[0]);
        assert_eq!(read.iter().len(), 2);
        assert!(TimeseriesPoints::from_points(&[Point::new(i64::MAX, 0, 0.0)]).is_err());
    }
}
