//! How calls name what they act on: [`Target`], an id or a path, and
//! [`Reference`], the id and path the server answers with.

use mesh_proto::types::MeshId;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::guid;

/// What a call acts on: an object, attribute, namespace, definition or
/// type, named by its id or by its path.
///
/// Paths are as the server writes them: objects `Model/<model>/<object>…`
/// (the short form, or the full form naming the owning attribute, e.g.
/// `Model/Hydro/North.Plants/Alta`), attributes the object's path then
/// `.<attribute>`, definitions `Repository/<model definition>/…`.
///
/// ```
/// # use mesh::{Target, Uuid};
/// let by_path: Target = "Model/Hydro/North".into();
/// let by_id: Target = Uuid::nil().into();
/// # let _ = (by_path, by_id);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// By its id.
    Id(Uuid),
    /// By its path.
    Path(String),
}

impl Target {
    pub(crate) fn to_proto(&self) -> MeshId {
        match self {
            Target::Id(id) => MeshId {
                id: Some(guid::to_proto(*id)),
                ..Default::default()
            },
            Target::Path(path) => MeshId {
                path: Some(path.clone()),
                ..Default::default()
            },
        }
    }
}

impl From<Uuid> for Target {
    fn from(id: Uuid) -> Self {
        Target::Id(id)
    }
}

impl From<&str> for Target {
    fn from(path: &str) -> Self {
        Target::Path(path.to_string())
    }
}

impl From<String> for Target {
    fn from(path: String) -> Self {
        Target::Path(path)
    }
}

impl From<&String> for Target {
    fn from(path: &String) -> Self {
        Target::Path(path.clone())
    }
}

impl From<&Target> for Target {
    fn from(target: &Target) -> Self {
        target.clone()
    }
}

/// Something the server named in an answer, with both its id and its path
/// (the path empty if the server sent none).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Its id.
    pub id: Uuid,
    /// Its path.
    pub path: String,
}

impl From<&Reference> for Target {
    fn from(reference: &Reference) -> Self {
        Target::Id(reference.id)
    }
}

impl From<Reference> for Target {
    fn from(reference: Reference) -> Self {
        Target::Id(reference.id)
    }
}

/// A reference the server sent: it must carry an id.
pub(crate) fn reference(id: Option<&MeshId>, what: &str) -> Result<Option<Reference>> {
    let Some(id) = id else {
        return Ok(None);
    };
    if id.id.is_none() {
        return Err(Error::Protocol(format!("{what} has no id")));
    }
    Ok(Some(Reference {
        id: guid::from_proto(id.id.as_ref())?,
        path: id.path.clone().unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_carry_only_what_names_them() {
        let id = Uuid::new_v4();
        let by_id = Target::from(id).to_proto();
        assert_eq!(guid::from_proto(by_id.id.as_ref()).unwrap(), id);
        assert_eq!(by_id.path, None);
        let by_path = Target::from("Model/A").to_proto();
        assert_eq!(by_path.id, None);
        assert_eq!(by_path.path.as_deref(), Some("Model/A"));
    }

    #[test]
    fn a_reference_without_an_id_is_refused() {
        let id = MeshId {
            path: Some("Model/A".into()),
            ..Default::default()
        };
        assert!(matches!(
            reference(Some(&id), "owner_id"),
            Err(Error::Protocol(_))
        ));
        assert_eq!(reference(None, "owner_id").unwrap(), None);
    }
}
