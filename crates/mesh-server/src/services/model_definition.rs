//! `volue.mesh.grpc.model_definition.v1alpha.ModelDefinitionService`.
//!
//! Serves the catalogue of units of measurement, which clients need to
//! create time series. The rest answers UNIMPLEMENTED until the model is
//! served.

use std::sync::Arc;

use mesh_proto::model_definition::model_definition_service_server::ModelDefinitionService;
use mesh_proto::model_definition::{
    ListUnitsOfMeasurementRequest, ListUnitsOfMeasurementResponse, UnitOfMeasurement,
};
use tonic::{Request, Response, Status};

use crate::auth::Identity;
use crate::session::SessionManager;
use crate::{guid, units};

pub struct ModelDefinitionApi {
    sessions: Arc<SessionManager>,
}

impl ModelDefinitionApi {
    pub fn new(sessions: Arc<SessionManager>) -> Self {
        ModelDefinitionApi { sessions }
    }
}

#[tonic::async_trait]
impl ModelDefinitionService for ModelDefinitionApi {
    async fn list_units_of_measurement(
        &self,
        request: Request<ListUnitsOfMeasurementRequest>,
    ) -> Result<Response<ListUnitsOfMeasurementResponse>, Status> {
        // Like every call in a session, it needs an open one of the caller's.
        let id = guid::required(request.get_ref().session_id.as_ref(), "session_id")?;
        let _lease = self.sessions.acquire(id, &Identity::of(&request))?;
        Ok(Response::new(ListUnitsOfMeasurementResponse {
            units_of_measurement: units::catalogue()
                .iter()
                .map(|unit| UnitOfMeasurement {
                    id: Some(guid::to_proto(unit.id)),
                    name: unit.name.to_string(),
                })
                .collect(),
        }))
    }
}
