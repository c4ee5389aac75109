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

/// How the open-files room beside [`RESERVED`] is shared between the
/// metrics endpoint and the gRPC port: connections each may serve at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shares {
    /// The gRPC port's connections.
    pub grpc: u64,
    /// The metrics endpoint's connections (0 when it is not served).
    pub metrics: u64,
}

/// Splits `room` (from [`connection_room`]; `None` is unlimited) between
/// `metrics` connections (`None`: no metrics endpoint) and the gRPC port's
/// `grpc`. The metrics endpoint's share is taken first, as a small fixed
/// cap, so that however many scrapers connect they never take a descriptor
/// the gRPC port was counted on; it gets at most half the room, so that a
/// tiny open-files limit still leaves gRPC clients the larger part. Both
/// shares are at least one.
pub fn share_room(room: Option<u64>, grpc: u64, metrics: Option<u64>) -> Shares {
    let Some(room) = room else {
        return Shares {
            grpc,
            metrics: metrics.unwrap_or(0),
        };
    };
    let metrics = metrics.map_or(0, |wanted| wanted.min(room / 2).max(1));
    Shares {
        grpc: grpc.min(room.saturating_sub(metrics)).max(1),
        metrics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_limit_both_get_what_they_ask() {
        assert_eq!(
            share_room(None, 1_000, Some(64)),
            Shares {
                grpc: 1_000,
                metrics: 64
            }
        );
        assert_eq!(share_room(None, 1_000, None).metrics, 0);
    }

    #[test]
    fn the_metrics_share_comes_out_of_the_room_first() {
        // 1,024 descriptors less 64 reserved: 960 of room.
        assert_eq!(
            share_room(Some(960), 1_000, Some(64)),
            Shares {
                grpc: 896,
                metrics: 64
            }
        );
        assert_eq!(share_room(Some(960), 100, Some(64)).grpc, 100);
        assert_eq!(share_room(Some(960), 1_000, None).grpc, 960);
    }

    #[test]
    fn a_small_room_leaves_grpc_at_least_half() {
        assert_eq!(
            share_room(Some(40), 1_000, Some(64)),
            Shares {
                grpc: 20,
                metrics: 20
            }
        );
        assert_eq!(
            share_room(Some(1), 1_000, Some(64)),
            Shares {
                grpc: 1,
                metrics: 1
            }
        );
    }
}
