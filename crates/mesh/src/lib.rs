//! Rust SDK for Mesh servers.
//!
//! ```no_run
//! # async fn example() -> mesh::Result<()> {
//! let connection = mesh::Connection::insecure("localhost:50051").await?;
//! connection
//!     .with_session(|session| async move {
//!         // ... work in the session ...
//!         session.commit().await
//!     })
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! Time series are created, written and read in a session:
//!
//! ```no_run
//! # async fn example(session: mesh::Session) -> mesh::Result<()> {
//! use mesh::chrono::{TimeZone, Utc};
//! use mesh::{flags, CurveType, Point, Resolution};
//!
//! let series = session
//!     .create_physical_timeseries("/", "Inflow", CurveType::PiecewiseLinear, Resolution::Hour, "m3/s", None)
//!     .await?;
//! let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
//! let end = Utc.with_ymd_and_hms(2024, 1, 2, 0, 0, 0).unwrap();
//! let points = [Point::new(start.timestamp_millis(), flags::OK, 12.5)];
//! session.write_timeseries_point_slice(series.timeseries_key, start, end, &points).await?;
//! for point in &session.read_timeseries_points(series.timeseries_key, start, end).await? {
//!     println!("{} {} {}", point.time, point.flags, point.value);
//! }
//! session.commit().await?;
//! # Ok(())
//! # }
//! ```
//!
//! The model too: definitions, models made from them, objects and their
//! attributes, named by id or by path ([`Target`]):
//!
//! ```no_run
//! # async fn example(session: mesh::Session) -> mesh::Result<()> {
//! use mesh::{AttributeView, Value};
//!
//! session
//!     .update_simple_attribute("Model/Hydro/North/Alta.Capacity", 150.0)
//!     .await?;
//! let plant = session.get_object("Model/Hydro/North/Alta", AttributeView::Basic).await?;
//! assert_eq!(plant.attribute("Capacity").and_then(|a| a.value()), Some(&Value::Double(150.0)));
//! for found in session.search_objects("Model/Hydro", "*[.Type=Plant]", AttributeView::NoAttributes).await? {
//!     println!("{} ({})", found.path, found.type_name);
//! }
//! session.commit().await?;
//! # Ok(())
//! # }
//! ```
//!
//! For programs without an async runtime, [`blocking`] offers the same calls.

#![deny(missing_docs)]

mod admin;
pub mod blocking;
pub mod calc;
mod connection;
mod credentials;
mod error;
mod guid;
mod history;
mod keep_alive;
mod kerberos;
mod model;
mod session;
mod time_series;

pub use admin::Backup;
pub use connection::{Connection, UserIdentity, VersionInfo};
pub use error::{Error, Result};
pub use history::{CommittedWrite, WriteHistory, MAX_LISTED_WRITES};
pub use model::{
    Attribute, AttributeDefinition, AttributeType, AttributeUpdate, AttributeValues, AttributeView,
    Axis, DefinitionKind, Imported, LinkVersion, Namespace, NamespaceChild, Object,
    ObjectDefinition, RatingCurveSegment, RatingCurveVersion, Reference, SimpleDefinition,
    SimpleDefinitionInfo, Tag, Target, TimeseriesCopyMode, Value, ValueType, XyCurve, XySet,
};
pub use session::{Opened, Session};
pub use time_series::{
    PointsIter, ResourceUpdate, TimeseriesPoints, TimeseriesResource, UnitOfMeasurement, UtcPoint,
    POINTS_PER_MESSAGE,
};
pub use uuid::Uuid;

/// Points and their vocabulary, so that no other crate is needed to use the
/// SDK's time series calls.
pub use mesh_timeseries::{flags, CurveType, Point, Resolution};

/// The Arrow table type points travel in; the crates themselves are
/// re-exported too, for building or taking apart batches with the version
/// the SDK uses.
pub use arrow_array::RecordBatch;
pub use {arrow_array, arrow_schema, chrono};
