//! The services of the public API that mesh-server registers without
//! serving any of their calls yet: HydSim and availability events.
//!
//! Registering them (rather than leaving them to the router) keeps the
//! whole API discoverable next to reflection, and every call answers
//! `UNIMPLEMENTED` from the generated default stubs; `crate::unserved`
//! names the call in that answer.

use mesh_proto::availability::availability_service_server::AvailabilityService;
use mesh_proto::hydsim::hydsim_service_server::HydsimService;
use mesh_proto::model::model_service_server::ModelService;

/// A service none of whose calls is served yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotServed;

impl ModelService for NotServed {}
impl HydsimService for NotServed {}
impl AvailabilityService for NotServed {}
