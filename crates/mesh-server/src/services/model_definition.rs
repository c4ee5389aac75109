//! `volue.mesh.grpc.model_definition.v1alpha.ModelDefinitionService`.
//!
//! Registered so that clients and reflection see the whole API; every call
//! answers UNIMPLEMENTED until the model is served.

use mesh_proto::model_definition::model_definition_service_server::ModelDefinitionService;

pub struct ModelDefinitionApi;

impl ModelDefinitionService for ModelDefinitionApi {}
