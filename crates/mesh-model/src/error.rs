//! What goes wrong with a model request, by kind, each with a message for
//! the user that names what was asked for.

/// A refused model request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// An id or path that names nothing.
    #[error("{0}")]
    NotFound(String),
    /// A name already taken where names must be unique.
    #[error("{0}")]
    AlreadyExists(String),
    /// A request that is well formed but breaks a rule of the model.
    #[error("{0}")]
    Invalid(String),
    /// Removing something still in use, naming who uses it.
    #[error("{0}")]
    InUse(String),
    /// A commit whose changes no longer fit the committed model, because
    /// another session committed changes in the meantime.
    #[error("{0}")]
    Conflict(String),
}

/// Results of model requests.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
