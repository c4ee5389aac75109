//! The model in the store: one record per entity, keyed by its kind and
//! id, encoded with postcard. The store keeps the records opaque; a commit
//! writes the records of every entity a session changed, in the same
//! transaction as its time series.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

use crate::error::{ModelError, Result};
use crate::model::Model;

/// The format of a record's value, its first byte: a server refuses
/// records of a format it does not know instead of misreading them.
pub const RECORD_FORMAT: u8 = 1;

/// The kinds of record, the first byte of a record's key. Never renumber:
/// stored keys carry these numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum RecordKind {
    /// A [`crate::Namespace`].
    Namespace = 1,
    /// A [`crate::Tag`].
    Tag = 2,
    /// An [`crate::ObjectDefinition`].
    ObjectDefinition = 3,
    /// An [`crate::AttributeType`].
    AttributeType = 4,
    /// An [`crate::AttributeDefinition`].
    AttributeDefinition = 5,
    /// An [`crate::Object`] with its attributes.
    Object = 6,
    /// The extended metadata of an entity.
    Metadata = 7,
}

impl RecordKind {
    fn from_byte(byte: u8) -> Option<RecordKind> {
        Some(match byte {
            1 => RecordKind::Namespace,
            2 => RecordKind::Tag,
            3 => RecordKind::ObjectDefinition,
            4 => RecordKind::AttributeType,
            5 => RecordKind::AttributeDefinition,
            6 => RecordKind::Object,
            7 => RecordKind::Metadata,
            _ => return None,
        })
    }
}

/// A record to write: its store key and the encoded entity, or `None` to
/// delete the record.
pub type Record = (Vec<u8>, Option<Vec<u8>>);

/// The entities a change touched, whose records a commit rewrites (or
/// deletes, when the entity is gone).
#[derive(Debug, Default, Clone)]
pub struct Dirty {
    keys: BTreeSet<(RecordKind, Uuid)>,
}

impl Dirty {
    /// Notes that entity `id` of `kind` changed.
    pub fn mark(&mut self, kind: RecordKind, id: Uuid) {
        self.keys.insert((kind, id));
    }

    /// Adds what `other` marked.
    pub fn merge(&mut self, other: Dirty) {
        // `extend`, not `append`: append rebuilds the whole set, which
        // would make every change cost as much as the session's total.
        self.keys.extend(other.keys);
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The records to write for these changes, as `model` now stands: the
    /// encoded entity, or `None` to delete its record.
    pub fn records(&self, model: &Model) -> Result<Vec<Record>> {
        self.keys
            .iter()
            .map(|&(kind, id)| Ok((record_key(kind, id), encode_entity(model, kind, id)?)))
            .collect()
    }
}

/// The store key of entity `id` of `kind`.
pub fn record_key(kind: RecordKind, id: Uuid) -> Vec<u8> {
    let mut key = Vec::with_capacity(17);
    key.push(kind as u8);
    key.extend_from_slice(id.as_bytes());
    key
}

fn encode_entity(model: &Model, kind: RecordKind, id: Uuid) -> Result<Option<Vec<u8>>> {
    fn enc<T: Serialize>(value: Option<&T>) -> Result<Option<Vec<u8>>> {
        value
            .map(|v| {
                postcard::to_extend(v, vec![RECORD_FORMAT])
                    .map_err(|e| ModelError::Invalid(format!("cannot encode a model record: {e}")))
            })
            .transpose()
    }
    match kind {
        RecordKind::Namespace => enc(model.namespaces.get(&id).map(|v| &**v)),
        RecordKind::Tag => enc(model.tags.get(&id).map(|v| &**v)),
        RecordKind::ObjectDefinition => enc(model.object_definitions.get(&id).map(|v| &**v)),
        RecordKind::AttributeType => enc(model.attribute_types.get(&id).map(|v| &**v)),
        RecordKind::AttributeDefinition => enc(model.attribute_definitions.get(&id).map(|v| &**v)),
        RecordKind::Object => enc(model.objects.get(&id).map(|v| &**v)),
        RecordKind::Metadata => enc(model.metadata.get(&id).map(|v| &**v)),
    }
}

/// Builds the model from every stored record (as the store lists them).
pub fn load<'a>(records: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Result<Model> {
    let mut model = Model::new();
    let mut objects = Vec::new();
    for (key, value) in records {
        let (kind, id) = parse_key(key)?;
        match kind {
            RecordKind::Namespace => {
                model.namespaces.insert(id, Arc::new(dec(kind, id, value)?));
            }
            RecordKind::Tag => {
                model.tags.insert(id, Arc::new(dec(kind, id, value)?));
            }
            RecordKind::ObjectDefinition => {
                model
                    .object_definitions
                    .insert(id, Arc::new(dec(kind, id, value)?));
            }
            RecordKind::AttributeType => {
                model
                    .attribute_types
                    .insert(id, Arc::new(dec(kind, id, value)?));
            }
            RecordKind::AttributeDefinition => {
                model
                    .attribute_definitions
                    .insert(id, Arc::new(dec(kind, id, value)?));
            }
            RecordKind::Object => objects.push(dec(kind, id, value)?),
            RecordKind::Metadata => {
                model.metadata.insert(id, Arc::new(dec(kind, id, value)?));
            }
        }
    }
    // Indexes are not stored: they are rebuilt here from the objects.
    let mut ignored = Dirty::default();
    for object in objects {
        model.put_object(object, &mut ignored);
    }
    Ok(model)
}

fn parse_key(key: &[u8]) -> Result<(RecordKind, Uuid)> {
    let corrupt =
        || ModelError::Invalid(format!("a stored model record has a bad key: {key:02x?}"));
    let (&kind, id) = key.split_first().ok_or_else(corrupt)?;
    let kind = RecordKind::from_byte(kind).ok_or_else(corrupt)?;
    let id = Uuid::from_slice(id).map_err(|_| corrupt())?;
    Ok((kind, id))
}

fn dec<T: DeserializeOwned>(kind: RecordKind, id: Uuid, value: &[u8]) -> Result<T> {
    let Some((&RECORD_FORMAT, value)) = value.split_first() else {
        return Err(ModelError::Invalid(format!(
            "the stored {kind:?} record of {id} is in a format this server does not read (it reads format {RECORD_FORMAT})"
        )));
    };
    postcard::from_bytes(value).map_err(|e| {
        ModelError::Invalid(format!(
            "the stored {kind:?} record of {id} cannot be read: {e}"
        ))
    })
}
