//! Tests of mesh-storage against real files in temporary directories.

mod backup;
mod common;
mod crash;
mod history;
mod model;
mod paths_and_limits;
mod replace;
mod roundtrip;
mod size;
mod tokens;
