//! Physical time series: their resources and their points, always within a
//! session. Everything written stays private to the session until
//! [`Session::commit`](crate::Session::commit); reads in the same session see it, other sessions do
//! not.
//!
//! Points travel as Arrow record batches with the columns `utc_time`
//! (timestamp\[ms\], no time zone), `flags` (uint32) and `value` (float64);
//! [`Point`](crate::Point) is the same row as a plain struct. Instants are handled in
//! whole milliseconds: a sub-millisecond part of an interval bound is
//! rounded up, as the server does, so that exactly the points of the
//! interval are meant.
//!
//! The server takes at most one message of a few MiB per call (4 MiB by
//! default). Writes and reads larger than that are split here into several
//! calls over consecutive sub-intervals, in the same session, so committing
//! stays all-or-nothing.

mod by_attribute;
mod calls;
mod points;
mod resource;
mod splitting;
mod units;

pub use points::{PointsIter, TimeseriesPoints, UtcPoint};
pub use resource::{ResourceUpdate, TimeseriesResource};
pub use splitting::POINTS_PER_MESSAGE;
pub use units::UnitOfMeasurement;
