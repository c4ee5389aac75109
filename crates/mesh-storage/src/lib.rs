//! mesh-storage: durable storage of committed time series.
//!
//! - [`TimeseriesStore`]: the narrow interface the server uses, so that a
//!   shared networked store can be added next to the embedded one.
//! - [`RedbStore`]: the embedded store, a single redb file with points kept
//!   in compressed chunks per series (layout in [`redb_store`]'s docs,
//!   encoding in `codec`).
//! - [`ChangeSet`]: a session's uncommitted changes, handed to
//!   [`TimeseriesStore::commit`].
//! - [`read_overlay`], [`first_at_or_after_overlay`], [`series_overlay`]:
//!   what a session sees, its pending changes on top of the committed state.

mod codec;
mod error;
mod overlay;
pub mod redb_store;
mod store;
mod types;

pub use error::{Result, StoreError};
pub use overlay::{first_at_or_after_overlay, read_overlay, read_overlay_at_most, series_overlay};
pub use redb_store::{ChunkInfo, RedbStore, SpaceUsage, StoreOptions};
pub use store::TimeseriesStore;
pub use types::{ChangeSet, CommitStats, Point, Replace, SeriesChange, SeriesMeta};
