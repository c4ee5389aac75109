//! `volue.mesh.grpc.type.Guid` ⇄ `Uuid`, in the Microsoft byte layout.

use mesh_proto::types::Guid;
use uuid::Uuid;

use crate::error::{Error, Result};

pub(crate) fn to_proto(id: Uuid) -> Guid {
    Guid {
        bytes_le: id.to_bytes_le().to_vec(),
    }
}

pub(crate) fn from_proto(guid: Option<&Guid>) -> Result<Uuid> {
    let guid = guid.ok_or_else(|| Error::Protocol("a required id is missing".to_string()))?;
    let bytes: [u8; 16] = guid.bytes_le.as_slice().try_into().map_err(|_| {
        Error::Protocol(format!(
            "an id has {} bytes instead of 16",
            guid.bytes_le.len()
        ))
    })?;
    Ok(Uuid::from_bytes_le(bytes))
}
