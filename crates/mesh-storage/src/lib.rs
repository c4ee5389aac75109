//! mesh-storage: durable storage of committed time series.
//!
//! - [`Store`]: the contract between the server and whatever keeps committed
//!   state: consistent [`Snapshot`]s, atomic commits of a [`ChangeSet`],
//!   keys from an allocator; [`StoreHandle`] runs it from async code.
//! - [`RedbStore`]: the embedded store, a single redb file with points kept
//!   in compressed chunks per series (layout in [`redb_store`]'s docs,
//!   encoding in `codec`).
//! - [`ChangeSet`]: a session's uncommitted changes, handed to
//!   [`Store::commit`].
//! - [`read_overlay`], [`first_at_or_after_overlay`], [`series_overlay`]:
//!   what a session sees, its pending changes on top of the committed state.

mod codec;
mod error;
mod history;
mod keys;
mod overlay;
pub mod redb_store;
mod store;
mod types;

pub use error::{Result, StoreError};
pub use history::{as_of, Undo};
pub use overlay::{first_at_or_after_overlay, read_overlay, read_overlay_at_most, series_overlay};
pub use redb_store::{BackupStats, ChunkInfo, RedbStore, SpaceUsage, StoreOptions};
pub use store::{Snapshot, Store, StoreHandle};
pub use types::{
    ChangeSet, CommitStats, Point, Replace, SeriesChange, SeriesMeta, TokenRow, Write,
};
