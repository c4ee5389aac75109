//! Conversions between `volue.mesh.grpc.type.Guid` and `uuid::Uuid`.

use mesh_proto::types::Guid;
use tonic::Status;
use uuid::Uuid;

pub fn to_proto(id: Uuid) -> Guid {
    Guid {
        bytes_le: id.to_bytes_le().to_vec(),
    }
}

/// Reads a Guid the client sent; `what` names the field in the error message.
pub fn from_proto(guid: &Guid, what: &str) -> Result<Uuid, Status> {
    let bytes: [u8; 16] = guid.bytes_le.as_slice().try_into().map_err(|_| {
        Status::invalid_argument(format!(
            "invalid {what}: a Guid carries exactly 16 bytes in bytes_le, got {}",
            guid.bytes_le.len()
        ))
    })?;
    Ok(Uuid::from_bytes_le(bytes))
}

/// Reads an optional Guid field that the call requires.
pub fn required(guid: Option<&Guid>, what: &str) -> Result<Uuid, Status> {
    match guid {
        Some(guid) => from_proto(guid, what),
        None => Err(Status::invalid_argument(format!("{what} is missing"))),
    }
}

/// The form the Mesh server uses in messages: upper case, in braces.
pub fn display(id: Uuid) -> String {
    format!("{{{}}}", id.hyphenated().to_string().to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_microsoft_layout() {
        let id = Uuid::parse_str("123e4567-e89b-12d3-a456-556642440000").unwrap();
        let guid = to_proto(id);
        // First three fields little-endian, the last eight bytes as they are.
        assert_eq!(
            guid.bytes_le,
            [
                0x67, 0x45, 0x3e, 0x12, 0x9b, 0xe8, 0xd3, 0x12, 0xa4, 0x56, 0x55, 0x66, 0x42, 0x44,
                0x00, 0x00
            ]
        );
        assert_eq!(from_proto(&guid, "id").unwrap(), id);
    }

    #[test]
    fn wrong_length_is_invalid_argument() {
        let err = from_proto(
            &Guid {
                bytes_le: vec![1, 2, 3],
            },
            "session id",
        )
        .unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert!(err.message().contains("got 3"), "{}", err.message());
    }

    #[test]
    fn displays_like_the_reference_server() {
        let id = Uuid::parse_str("123e4567-e89b-12d3-a456-556642440000").unwrap();
        assert_eq!(display(id), "{123E4567-E89B-12D3-A456-556642440000}");
    }
}
