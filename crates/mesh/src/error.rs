//! The one error type of the SDK.

use uuid::Uuid;

/// What every call of the SDK returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call of the SDK failed. Failures the server reports that none of
/// the other variants covers are [`Error::Status`], with the gRPC code and
/// message as the server sent them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server has no such session: it was closed, timed out, or never
    /// existed (or belongs to another user).
    #[error(
        "session {id} not found on the server: it was closed, it timed out, or it never existed"
    )]
    SessionNotFound {
        /// The session the call named.
        id: Uuid,
    },

    /// The background lifetime extension could not keep the session alive;
    /// the session and its uncommitted changes are gone.
    #[error("session {id} was lost: {reason}")]
    SessionLost {
        /// The session that was lost.
        id: Uuid,
        /// Why the background extension gave up, for people to read.
        reason: String,
    },

    /// The call needs an open session.
    #[error("the session is not open; call open() first")]
    SessionNotOpen,

    /// `open()` on a session that is already open.
    #[error("session {id} is already open")]
    SessionAlreadyOpen {
        /// The session the handle already has open.
        id: Uuid,
    },

    /// The address given to a connect call makes no valid URI (`host:port`
    /// or `scheme://host:port`); no connection was tried.
    #[error("invalid server address {address:?}: {reason}")]
    InvalidAddress {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The connection could not be made; `reason` spells out the whole
    /// chain of causes (e.g. an untrusted certificate).
    #[error("cannot connect to {address}: {reason}")]
    Connect {
        /// The address as given.
        address: String,
        /// The transport error and all its causes, joined by `: `.
        reason: String,
        /// The transport error itself.
        #[source]
        source: tonic::transport::Error,
    },

    /// An access token given to [`Connection::with_external_access_token`]
    /// or [`Connection::update_external_access_token`] is empty (after
    /// trimming whitespace) or holds characters that gRPC metadata cannot
    /// carry; the token in use, if any, stays.
    ///
    /// [`Connection::with_external_access_token`]: crate::Connection::with_external_access_token
    /// [`Connection::update_external_access_token`]: crate::Connection::update_external_access_token
    #[error("invalid access token: {0}")]
    InvalidToken(String),

    /// Signing in with Kerberos failed on this side: the GSSAPI library is
    /// missing, the user has no credential (no `kinit`), the KDC does not
    /// know the service principal, or the exchange broke off. The message
    /// carries the GSSAPI library's own reason. A server that refuses the
    /// ticket answers `UNAUTHENTICATED` instead ([`Error::Status`]).
    #[error("Kerberos sign-in failed: {0}")]
    Kerberos(String),

    /// No unit of measurement of the server has this name. Names are
    /// matched exactly (case-sensitive), as the server lists them.
    #[error(
        "unknown unit of measurement {name:?}: the server knows {}",
        known_list(.known)
    )]
    UnknownUnit {
        /// The name asked for.
        name: String,
        /// Every name the server listed.
        known: Vec<String>,
    },

    /// The points given to a write are not a valid time series table (wrong
    /// columns or types, nulls); nothing was sent.
    #[error("the points cannot be written: {0}")]
    InvalidPoints(#[from] mesh_timeseries::PayloadError),

    /// A write too large for one message broke a rule of the series (order,
    /// interval, time grid). The SDK checks such writes before sending any
    /// part, so that nothing was sent; the message is the one the server
    /// gives for the same mistake.
    #[error("the points cannot be written: {0}")]
    InvalidSegment(#[from] mesh_timeseries::SegmentError),

    /// The arguments of a call cannot be sent as given (e.g. a boolean as
    /// the minimum of an attribute definition); nothing was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The server answered in a way the Mesh API does not allow.
    #[error("the server sent an invalid answer: {0}")]
    Protocol(String),

    /// Any other failure the server reported.
    #[error("the server answered {}: {}", .0.code(), .0.message())]
    Status(#[from] tonic::Status),
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        return "no units at all".to_string();
    }
    known
        .iter()
        .map(|name| format!("{name:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Error {
    pub(crate) fn connect(address: &str, source: tonic::transport::Error) -> Error {
        // tonic's own message is just "transport error"; the cause is deeper.
        let mut reason = source.to_string();
        let mut cause = std::error::Error::source(&source);
        while let Some(inner) = cause {
            reason.push_str(": ");
            reason.push_str(&inner.to_string());
            cause = inner.source();
        }
        Error::Connect {
            address: address.to_string(),
            reason,
            source,
        }
    }

    /// Turns a failed call on session `id` into the error the user should see.
    pub(crate) fn from_session_call(status: tonic::Status, id: Uuid) -> Error {
        if is_missing_session(&status) {
            Error::SessionNotFound { id }
        } else {
            Error::Status(status)
        }
    }
}

/// True for the server's answer to a call naming a session it does not have.
pub(crate) fn is_missing_session(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::NotFound && status.message().starts_with("Session with id")
}
