//! The values of the language (calc notes §2.3): number `d`, string `s`,
//! series `t`, and arrays of each (`D`, `S`, `T`).

use std::fmt;
use std::sync::Arc;

use arrow_array::{Array, Float64Array, Int64Array, UInt32Array};
use mesh_timeseries::{CurveType, Point, Resolution};

use crate::context::SeriesRef;

/// A time series as columns: the shape Arrow kernels compute over.
///
/// Invariants (checked by [`Series::new`]): the three columns have the same
/// length, no nulls, and strictly increasing timestamps. Missing values are
/// NaN (with their flags), never nulls, as on the wire.
///
/// The columns sit behind one `Arc`: a series is passed around by value
/// (variables, arrays, operands) and a clone should cost a count, not
/// three array handles.
#[derive(Debug, Clone)]
pub struct Series {
    inner: Arc<Columns>,
    /// The stored series it was read from, for the functions that look at
    /// a series' history (`@GetTsAsOfTime(@t('.X'), …)`); `None` for
    /// anything computed.
    origin: Option<Arc<SeriesRef>>,
}

/// Series are equal when their points, resolution and curve are: where
/// they were read from is not part of the value.
impl PartialEq for Series {
    fn eq(&self, other: &Series) -> bool {
        self.inner == other.inner
    }
}

#[derive(Debug, PartialEq)]
struct Columns {
    timestamps: Int64Array,
    values: Float64Array,
    flags: UInt32Array,
    resolution: Resolution,
    curve: CurveType,
}

/// Columns that break the invariants of [`Series`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid series: {0}")]
pub struct SeriesError(String);

impl Series {
    /// A series from its columns, checked.
    pub fn new(
        timestamps: Int64Array,
        values: Float64Array,
        flags: UInt32Array,
        resolution: Resolution,
        curve: CurveType,
    ) -> Result<Series, SeriesError> {
        if timestamps.len() != values.len() || timestamps.len() != flags.len() {
            return Err(SeriesError(format!(
                "columns of different lengths ({}, {}, {})",
                timestamps.len(),
                values.len(),
                flags.len()
            )));
        }
        if timestamps.null_count() + values.null_count() + flags.null_count() > 0 {
            return Err(SeriesError("null entries".to_string()));
        }
        if let Some(i) = timestamps.values().windows(2).position(|w| w[0] >= w[1]) {
            return Err(SeriesError(format!(
                "timestamps not strictly increasing at index {}",
                i + 1
            )));
        }
        Ok(Series::from_parts(
            timestamps, values, flags, resolution, curve,
        ))
    }

    /// A series from points (checked as [`Series::new`]).
    pub fn from_points(
        points: &[Point],
        resolution: Resolution,
        curve: CurveType,
    ) -> Result<Series, SeriesError> {
        Series::new(
            points.iter().map(|p| p.utc_ms).collect::<Vec<_>>().into(),
            points.iter().map(|p| p.value).collect::<Vec<_>>().into(),
            points.iter().map(|p| p.flags).collect::<Vec<_>>().into(),
            resolution,
            curve,
        )
    }

    /// Built from columns the caller made consistent itself (same
    /// lengths, no nulls, increasing instants): unchecked in release
    /// builds, for the engine's own results.
    pub fn from_parts(
        timestamps: Int64Array,
        values: Float64Array,
        flags: UInt32Array,
        resolution: Resolution,
        curve: CurveType,
    ) -> Series {
        debug_assert!(timestamps.len() == values.len() && values.len() == flags.len());
        Series {
            origin: None,
            inner: Arc::new(Columns {
                timestamps,
                values,
                flags,
                resolution,
                curve,
            }),
        }
    }

    /// The "empty series" of calc notes §2.4, what a failed lookup gives:
    /// a breakpoint series with one NaN point (MISSING) at `start_ms`.
    pub fn empty_at(start_ms: i64) -> Series {
        Series::from_parts(
            vec![start_ms].into(),
            vec![f64::NAN].into(),
            vec![mesh_timeseries::flags::MISSING].into(),
            Resolution::Breakpoint,
            CurveType::StaircaseStartOfStep,
        )
    }

    /// This series, marked as read from the stored series `reference`
    /// names.
    pub fn with_origin(mut self, reference: SeriesRef) -> Series {
        self.origin = Some(Arc::new(reference));
        self
    }

    /// The stored series this one was read from, if it was read as it is.
    pub fn origin(&self) -> Option<&SeriesRef> {
        self.origin.as_deref()
    }

    /// The same points under another resolution (TRANSFORM to `VARINT`).
    pub fn with_resolution(&self, resolution: Resolution) -> Series {
        Series::from_parts(
            self.timestamps().clone(),
            self.values().clone(),
            self.flags().clone(),
            resolution,
            self.curve(),
        )
    }

    /// The same points with other values and flags (same length), keeping
    /// instants, resolution and curve: the shape of every per-point
    /// function.
    pub fn with_columns(&self, values: Float64Array, flags: UInt32Array) -> Series {
        assert_eq!(values.len(), self.len(), "one value per point");
        assert_eq!(flags.len(), self.len(), "one flag per point");
        Series::from_parts(
            self.inner.timestamps.clone(),
            values,
            flags,
            self.inner.resolution,
            self.inner.curve,
        )
    }

    /// The same points read with another curve type.
    pub fn with_curve(&self, curve: CurveType) -> Series {
        Series::from_parts(
            self.inner.timestamps.clone(),
            self.inner.values.clone(),
            self.inner.flags.clone(),
            self.inner.resolution,
            curve,
        )
    }

    /// The points, in order.
    pub fn points(&self) -> Vec<Point> {
        (0..self.len())
            .map(|i| {
                Point::new(
                    self.inner.timestamps.value(i),
                    self.inner.flags.value(i),
                    self.inner.values.value(i),
                )
            })
            .collect()
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.inner.timestamps.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.inner.timestamps.is_empty()
    }

    /// Instants, ms since the Unix epoch (UTC).
    pub fn timestamps(&self) -> &Int64Array {
        &self.inner.timestamps
    }

    /// Values; NaN where there is none.
    pub fn values(&self) -> &Float64Array {
        &self.inner.values
    }

    /// Flags (bits of [`mesh_timeseries::flags`]).
    pub fn flags(&self) -> &UInt32Array {
        &self.inner.flags
    }

    /// The resolution.
    pub fn resolution(&self) -> Resolution {
        self.inner.resolution
    }

    /// The curve type.
    pub fn curve(&self) -> CurveType {
        self.inner.curve
    }

    /// Whether values between points are interpolated.
    pub fn is_linear(&self) -> bool {
        self.inner.curve.reads_as() == CurveType::PiecewiseLinear
    }
}

/// The type letters of calc notes §2.3, used in signatures and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `d`
    Number,
    /// `s`
    String,
    /// `t`
    Series,
    /// `D`
    Numbers,
    /// `S`
    Strings,
    /// `T`
    SeriesArray,
}

impl ValueType {
    /// The letter.
    pub fn letter(self) -> char {
        match self {
            ValueType::Number => 'd',
            ValueType::String => 's',
            ValueType::Series => 't',
            ValueType::Numbers => 'D',
            ValueType::Strings => 'S',
            ValueType::SeriesArray => 'T',
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ValueType::Number => "number",
            ValueType::String => "string",
            ValueType::Series => "series",
            ValueType::Numbers => "number array",
            ValueType::Strings => "string array",
            ValueType::SeriesArray => "series array",
        };
        write!(f, "{name} ({})", self.letter())
    }
}

/// A value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `d`
    Number(f64),
    /// `s`
    String(String),
    /// `t`
    Series(Series),
    /// `D`
    Numbers(Vec<f64>),
    /// `S`
    Strings(Vec<String>),
    /// `T`
    SeriesArray(Vec<Series>),
}

impl Value {
    /// Its type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Number(_) => ValueType::Number,
            Value::String(_) => ValueType::String,
            Value::Series(_) => ValueType::Series,
            Value::Numbers(_) => ValueType::Numbers,
            Value::Strings(_) => ValueType::Strings,
            Value::SeriesArray(_) => ValueType::SeriesArray,
        }
    }

    /// Points it holds, for the evaluation's point budget.
    pub fn point_count(&self) -> usize {
        match self {
            Value::Series(s) => s.len(),
            Value::SeriesArray(a) => a.iter().map(Series::len).sum(),
            Value::Numbers(a) => a.len(),
            Value::Strings(a) => a.len(),
            Value::Number(_) | Value::String(_) => 1,
        }
    }
}
