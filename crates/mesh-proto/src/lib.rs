//! Generated Mesh API types, laid out by protobuf package.
//!
//! The module tree mirrors the packages (`volue.mesh.grpc.*`) because the
//! generated code refers to types in other packages by relative path.

#![allow(clippy::all, clippy::pedantic)]

pub mod volue {
    pub mod mesh {
        pub mod grpc {
            pub mod r#type {
                tonic::include_proto!("volue.mesh.grpc.r#type");
            }
            pub mod config {
                pub mod v1alpha {
                    tonic::include_proto!("volue.mesh.grpc.config.v1alpha");
                }
            }
            pub mod session {
                pub mod v1alpha {
                    tonic::include_proto!("volue.mesh.grpc.session.v1alpha");
                }
            }
            pub mod auth {
                pub mod v1alpha {
                    tonic::include_proto!("volue.mesh.grpc.auth.v1alpha");
                }
            }
            pub mod model_definition {
                pub mod v1alpha {
                    tonic::include_proto!("volue.mesh.grpc.model_definition.v1alpha");
                }
            }
            pub mod time_series {
                pub mod v1alpha {
                    tonic::include_proto!("volue.mesh.grpc.time_series.v1alpha");
                }
            }
            /// Model instances: objects and their attribute values.
            pub mod model {
                pub mod v1alpha {
                    tonic::include_proto!("volue.mesh.grpc.model.v1alpha");
                }
            }
            /// Ad-hoc evaluation of calculation expressions.
            pub mod calc {
                pub mod v1alpha {
                    tonic::include_proto!("volue.mesh.grpc.calc.v1alpha");
                }
            }
            /// HydSim hydro simulations and inflow calculations.
            pub mod hydsim {
                pub mod v1alpha {
                    tonic::include_proto!("volue.mesh.grpc.hydsim.v1alpha");
                }
            }
            /// Availability events: revisions and restrictions.
            pub mod availability {
                pub mod v1alpha {
                    tonic::include_proto!("volue.mesh.grpc.availability.v1alpha");
                }
            }
        }
    }
}

/// mesh-rs's own extensions of the API (not part of the Mesh API).
pub mod mesh_rs {
    /// Model files: import and export.
    pub mod model_file {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("mesh_rs.model_file.v1");
        }
    }
    /// Running the server: backups.
    pub mod admin {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("mesh_rs.admin.v1");
        }
    }
    /// A series' history: the committed writes, with who made them.
    pub mod history {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("mesh_rs.history.v1");
        }
    }
}

// Short names for the packages, used throughout mesh-rs.
pub use mesh_rs::admin::v1 as admin;
pub use mesh_rs::history::v1 as history;
pub use mesh_rs::model_file::v1 as model_file;
pub use volue::mesh::grpc::auth::v1alpha as auth;
pub use volue::mesh::grpc::availability::v1alpha as availability;
pub use volue::mesh::grpc::calc::v1alpha as calc;
pub use volue::mesh::grpc::config::v1alpha as config;
pub use volue::mesh::grpc::hydsim::v1alpha as hydsim;
pub use volue::mesh::grpc::model::v1alpha as model;
pub use volue::mesh::grpc::model_definition::v1alpha as model_definition;
pub use volue::mesh::grpc::r#type as types;
pub use volue::mesh::grpc::session::v1alpha as session;
pub use volue::mesh::grpc::time_series::v1alpha as time_series;

/// Encoded `FileDescriptorSet` of every mesh-rs proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("mesh_descriptor");

/// Milliseconds since the Unix epoch as a protobuf timestamp. Instants
/// before 1970 keep their nanoseconds positive, as the type requires.
pub fn timestamp_from_millis(utc_ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: utc_ms.div_euclid(1000),
        nanos: (utc_ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

impl types::UtcInterval {
    /// `[start_ms, end_ms)`, in milliseconds since the Unix epoch.
    pub fn from_millis(start_ms: i64, end_ms: i64) -> types::UtcInterval {
        types::UtcInterval {
            start_time: Some(timestamp_from_millis(start_ms)),
            end_time: Some(timestamp_from_millis(end_ms)),
        }
    }
}

impl types::MeshId {
    /// A time series named by its key (not by a model path or attribute id).
    pub fn by_timeseries_key(key: i64) -> types::MeshId {
        types::MeshId {
            timeseries_key: Some(key),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_before_1970_keep_positive_nanos() {
        assert_eq!(
            timestamp_from_millis(-1),
            prost_types::Timestamp {
                seconds: -1,
                nanos: 999_000_000
            }
        );
        assert_eq!(
            timestamp_from_millis(1_500),
            prost_types::Timestamp {
                seconds: 1,
                nanos: 500_000_000
            }
        );
    }
}
