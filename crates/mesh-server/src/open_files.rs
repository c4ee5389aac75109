//! The limit on open files, which bounds the connections the server can hold.
//!
//! Every connection is a file descriptor. Many systems start programs with
//! a soft limit of 1,024 while allowing far more (the hard limit), which a
//! busy server reaches with ordinary load; so the binary raises the soft
//! limit to the hard one at start ([`raise_to_hard_limit`]), and the server
//! serves at most as many connections as the limit leaves room for beside
//! its own files ([`connection_room`]).

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Descriptors kept free of connections for the server's own files: the
/// store, the listener, the standard streams, the runtime's event queues,
/// the TLS files when they are re-read.
pub const RESERVED: u64 = 64;

/// Raises the soft limit of open files to the hard limit. Returns the soft
/// limit now in force, `None` meaning unlimited.
pub fn raise_to_hard_limit() -> std::io::Result<Option<u64>> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            },
        )?;
    }
    Ok(getrlimit(Resource::Nofile).current)
}

/// How many connections the current soft limit leaves room for beside
/// [`RESERVED`]; `None` when there is no limit.
pub fn connection_room() -> Option<u64> {
    getrlimit(Resource::Nofile)
        .current
        .map(|limit| limit.saturating_sub(RESERVED).max(1))
}
