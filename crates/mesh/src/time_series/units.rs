//! Units of measurement: listing them, and resolving the names callers give
//! to the ids the server takes, through a list kept per connection.

use std::sync::Arc;

use mesh_proto::model_definition::model_definition_service_client::ModelDefinitionServiceClient;
use mesh_proto::model_definition::ListUnitsOfMeasurementRequest;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::guid;
use crate::session::Session;

/// A unit of measurement the server knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitOfMeasurement {
    /// The id the server knows the unit by; what is sent when a call names
    /// the unit.
    pub id: Uuid,
    /// The name calls take to name the unit (matched exactly), e.g. `MWh`.
    pub name: String,
}

impl Session {
    /// The units of measurement the server knows, asked afresh. Unit names
    /// given to other calls are resolved through a list kept per
    /// connection, asked for once.
    pub async fn list_units_of_measurement(&self) -> Result<Vec<UnitOfMeasurement>> {
        Ok(self.fetch_units().await?.to_vec())
    }

    async fn fetch_units(&self) -> Result<Arc<[UnitOfMeasurement]>> {
        let id = self.open_id()?;
        let listed = ModelDefinitionServiceClient::new(self.connection().transport())
            .list_units_of_measurement(ListUnitsOfMeasurementRequest {
                session_id: Some(guid::to_proto(id)),
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        let units = listed
            .units_of_measurement
            .into_iter()
            .map(|unit| {
                Ok(UnitOfMeasurement {
                    id: guid::from_proto(unit.id.as_ref())?,
                    name: unit.name,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let units: Arc<[UnitOfMeasurement]> = units.into();
        *self
            .connection()
            .inner
            .units
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(units.clone());
        Ok(units)
    }

    /// The id of the unit named `name`: from the connection's list, asking
    /// the server again once if the name is not in it, in case the list
    /// grew since it was fetched.
    pub(crate) async fn unit_id(&self, name: &str) -> Result<Uuid> {
        let cached = self
            .connection()
            .inner
            .units
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if let Some(unit) = cached
            .iter()
            .flat_map(|units| units.iter())
            .find(|u| u.name == name)
        {
            return Ok(unit.id);
        }
        let units = self.fetch_units().await?;
        units
            .iter()
            .find(|unit| unit.name == name)
            .map(|unit| unit.id)
            .ok_or_else(|| Error::UnknownUnit {
                name: name.to_string(),
                known: units.iter().map(|unit| unit.name.clone()).collect(),
            })
    }
}
