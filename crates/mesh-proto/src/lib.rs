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
        }
    }
}

// Short names for the packages, used throughout mesh-rs.
pub use volue::mesh::grpc::auth::v1alpha as auth;
pub use volue::mesh::grpc::config::v1alpha as config;
pub use volue::mesh::grpc::model_definition::v1alpha as model_definition;
pub use volue::mesh::grpc::r#type as types;
pub use volue::mesh::grpc::session::v1alpha as session;
pub use volue::mesh::grpc::time_series::v1alpha as time_series;

/// Encoded `FileDescriptorSet` of every mesh-rs proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("mesh_descriptor");
