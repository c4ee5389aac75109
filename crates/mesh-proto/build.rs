//! Compiles `proto/` with protox (pure Rust), so a build needs no `protoc`.

use prost::Message;
use std::path::PathBuf;

const PROTO_ROOT: &str = "../../proto";
const FILES: &[&str] = &[
    "volue/mesh/proto/type/resources.proto",
    "volue/mesh/proto/config/v1alpha/config.proto",
    "volue/mesh/proto/session/v1alpha/session.proto",
    "volue/mesh/proto/auth/v1alpha/auth.proto",
    "volue/mesh/proto/model_definition/v1alpha/resources.proto",
    "volue/mesh/proto/model_definition/v1alpha/model_definition.proto",
    "volue/mesh/proto/time_series/v1alpha/time_series.proto",
    "volue/mesh/proto/model/v1alpha/resources.proto",
    "volue/mesh/proto/model/v1alpha/model.proto",
    "volue/mesh/proto/calc/v1alpha/calc.proto",
    "volue/mesh/proto/hydsim/v1alpha/hydsim.proto",
    "volue/mesh/proto/availability/v1alpha/availability.proto",
    // mesh-rs's own extensions, outside the Mesh API's packages.
    "mesh_rs/model_file/v1/model_file.proto",
    "mesh_rs/admin/v1/admin.proto",
    "mesh_rs/history/v1/history.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    let descriptors = protox::compile(FILES, [PROTO_ROOT])?;

    // Server reflection serves this set, so clients can discover the API.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("mesh_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Calls mesh-rs does not serve yet answer UNIMPLEMENTED.
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
