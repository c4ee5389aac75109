//! The one error type of the session view, free of gRPC: the services map
//! it to a status in one place (`services::status`).

use mesh_storage::StoreError;

/// Why the view refused or failed a request. Each message is meant for the
/// client as it is; client input in it is quoted within a bound
/// (`mesh_timeseries::echo`).
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The request is wrong in itself (bad values, broken rules).
    #[error("{0}")]
    InvalidArgument(String),
    /// The request names something that does not exist for this session.
    #[error("{0}")]
    NotFound(String),
    /// The request would make a second thing where only one may be.
    #[error("{0}")]
    AlreadyExists(String),
    /// The answer or the request is larger than the server handles at once.
    #[error("{0}")]
    TooLarge(String),
    /// The request does not fit the state of what it names (a write to a
    /// virtual series).
    #[error("{0}")]
    FailedPrecondition(String),
    /// A feature mesh-server does not serve yet.
    #[error("{0}")]
    Unimplemented(String),
    /// The store failed; not the client's fault.
    #[error("storage failed: {0}")]
    Storage(#[source] StoreError),
}

impl From<StoreError> for ViewError {
    fn from(error: StoreError) -> ViewError {
        match error {
            StoreError::PathTaken { path, existing } => ViewError::AlreadyExists(format!(
                "a time series with the path 'Resource{}' was committed by another session (key {existing}) \
                 since this session created its own; nothing was committed and the changes stay in the \
                 session (roll back, or end the session)",
                mesh_timeseries::echo(&path)
            )),
            StoreError::KeysExhausted => ViewError::TooLarge(error.to_string()),
            other => ViewError::Storage(other),
        }
    }
}
