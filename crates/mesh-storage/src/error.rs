//! Errors of the storage layer.

use std::path::PathBuf;

/// Result type of the storage layer.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Why a storage operation failed.
///
/// The variants describe the problem in terms of series and chunks rather
/// than of the embedded database, so that another store (a shared networked
/// one, say) can report the same conditions; the database's own errors are
/// carried as the source of [`StoreError::Backend`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store's directory or file could not be prepared.
    #[error("cannot open the time series store at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The file was written by a newer or unknown version of the layout.
    #[error("the time series store at {path} has layout version {found}; this build reads version {supported}")]
    UnsupportedLayout {
        path: PathBuf,
        found: u64,
        supported: u64,
    },

    /// Points were written to a series that exists neither in the store nor
    /// in the same change set.
    #[error("time series {key} does not exist")]
    UnknownSeries { key: i64 },

    /// A commit would give a second series a full path that another
    /// committed series has ([`crate::SeriesMeta::full_path`]).
    #[error("a time series with the path {path} already exists (key {existing})")]
    PathTaken { path: String, existing: i64 },

    /// No series key is left to hand out.
    #[error("the store has no series key left to hand out")]
    KeysExhausted,

    /// A change breaks the rules of a change set (for instance unordered
    /// points or metadata filed under another key).
    #[error("invalid change to time series {key}: {reason}")]
    InvalidChange { key: i64, reason: String },

    /// A stored chunk of points failed to decode or its checksum.
    #[error(
        "corrupted data in time series {key}, chunk starting at {chunk_start_ms} ms: {reason}"
    )]
    CorruptChunk {
        key: i64,
        chunk_start_ms: i64,
        reason: String,
    },

    /// A stored metadata record failed to decode.
    #[error("corrupted metadata of time series {key}: {reason}")]
    CorruptMeta { key: i64, reason: String },

    /// A backup is already at `path`, or one is being made there (its
    /// `.partial` directory exists: in progress, or left by a backup that
    /// was interrupted); nothing was touched.
    #[error(
        "a backup at {} already exists, or is being made ({}.partial exists: \
         a backup in progress, or one interrupted, which may be removed)",
        .path.display(),
        .path.display()
    )]
    BackupExists { path: PathBuf },

    /// A backup could not be made at `path` (it cannot be written);
    /// nothing was left there.
    #[error("cannot back up the store to {path}: {reason}")]
    Backup { path: PathBuf, reason: String },

    /// The store cannot do what was asked (a backup, say).
    #[error("this store cannot {0}")]
    Unsupported(&'static str),

    /// The underlying database failed (I/O, a full disk, ...).
    #[error("time series store failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

// The embedded database reports failures through several error types, one
// per kind of operation; all of them are backend failures to our callers.
macro_rules! backend_error {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Backend(Box::new(redb::Error::from(e)))
            }
        })*
    };
}

backend_error!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
);
