//! Time series building blocks shared by the mesh-rs server and SDK.
//!
//! - [`Point`] and its [`flags`]: one value of a series at one UTC instant.
//! - [`arrow_ipc`]: the payload codec. Points travel in `Timeseries.data` as
//!   an Arrow IPC stream with the columns `utc_time`, `flags` and `value`.
//! - [`resolution`]: [`Resolution`], [`CurveType`] and the [`Grid`] of
//!   instants a series with a fixed resolution may hold points at, following
//!   local midnight in the series' IANA time zone for daily and coarser
//!   resolutions.
//! - [`segment`]: validation of a written segment and filling of a read.
//! - [`echo`]: client input quoted in error messages, within a bound.
//!
//! The crate knows nothing of the generated protobuf code: enums go in and
//! out as the plain `i32` numbers of the wire (`from_proto` / `to_proto`), so
//! it builds without `mesh-proto` and both sides map the proto types
//! themselves.

#[cfg(feature = "arrow")]
pub mod arrow_ipc;
pub mod echo;
pub mod resolution;
pub mod segment;
mod time;

#[cfg(feature = "arrow")]
pub use crate::arrow_ipc::PayloadError;
pub use crate::echo::echo;
pub use crate::resolution::{CurveType, Grid, GridError, Resolution, Steps};
pub use crate::segment::{SegmentError, MAX_FILL_STEPS};
pub use crate::time::format_utc_ms;
/// The time zone type of [`Grid`], re-exported so users need not depend on
/// `chrono-tz` themselves.
pub use chrono_tz::Tz;

/// One value of a time series, the one point type of server, store and SDK.
///
/// The fields mirror the three columns of the Arrow payload one to one.
/// `value` may be any `f64`, NaN included; its bit pattern is carried as is.
///
/// Two points are equal when their instants and flags are equal and their
/// values have the same bit pattern: a store must hand back exactly what
/// was written, NaN payloads and the sign of zero included, so comparing
/// bits is the only honest equality (a NaN point equals itself; `0.0` and
/// `-0.0` differ).
#[derive(Debug, Clone, Copy)]
pub struct Point {
    /// The instant, in milliseconds since the Unix epoch (UTC).
    pub utc_ms: i64,
    /// Quality flags, a bit set; see [`flags`]. Bits this crate does not
    /// name are kept exactly as written.
    pub flags: u32,
    /// The value.
    pub value: f64,
}

impl Point {
    /// A point with the given fields.
    pub const fn new(utc_ms: i64, flags: u32, value: f64) -> Self {
        Point {
            utc_ms,
            flags,
            value,
        }
    }

    /// The point a read reports for a step that holds no stored point:
    /// value NaN, flag [`flags::MISSING`].
    pub const fn missing(utc_ms: i64) -> Self {
        Point {
            utc_ms,
            flags: flags::MISSING,
            value: f64::NAN,
        }
    }

    /// Whether the [`flags::MISSING`] bit is set.
    pub const fn is_missing(&self) -> bool {
        self.flags & flags::MISSING != 0
    }
}

impl PartialEq for Point {
    fn eq(&self, other: &Self) -> bool {
        self.utc_ms == other.utc_ms
            && self.flags == other.flags
            && self.value.to_bits() == other.value.to_bits()
    }
}

impl Eq for Point {}

/// The named bits of [`Point::flags`]. Any other bit may be set too and is
/// preserved as written.
pub mod flags {
    /// No bit set: the value is good.
    pub const OK: u32 = 0;
    /// The value is not usable.
    pub const NOT_OK: u32 = 0x4000_0000;
    /// There is no value; reads report such steps with value NaN.
    pub const MISSING: u32 = 0x0400_0000;
    /// The value is doubtful.
    pub const SUSPECT: u32 = 0x0200_0000;
}
