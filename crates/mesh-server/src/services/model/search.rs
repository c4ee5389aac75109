//! The search language over the session's model: a query from a start
//! object gives objects, or attributes when it ends by naming them.

use mesh_model::search::{self, Budget};
use mesh_model::Model;
use tonic::Status;
use uuid::Uuid;

use super::target::{Readable, MODEL_ATTRIBUTE};

/// The most objects one search may visit; a larger search is refused
/// rather than left to run without end.
pub const MAX_VISITED: u64 = 10_000_000;

fn run(model: &Model, start: Uuid, query: &str) -> Result<Vec<search::Hit<Uuid>>, Status> {
    let query = search::parse(query).map_err(|e| Status::invalid_argument(e.to_string()))?;
    let mut budget = Budget::new(MAX_VISITED);
    search::run(model, start, &query, &mut budget)
        .map_err(|e| Status::invalid_argument(e.to_string()))
}

/// The objects a query finds.
pub fn objects(model: &Model, start: Uuid, query: &str) -> Result<Vec<Uuid>, Status> {
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    for hit in run(model, start, query)? {
        if seen.insert(hit.object) {
            found.push(hit.object);
        }
    }
    Ok(found)
}

/// The attributes a query names, on the objects it finds (a model's
/// `Objects` included).
pub fn attributes(model: &Model, start: Uuid, query: &str) -> Result<Vec<Readable>, Status> {
    let mut found = Vec::new();
    for hit in run(model, start, query)? {
        let Some(name) = &hit.attribute else { continue };
        let Some(object) = model.object(hit.object) else {
            continue;
        };
        if object.is_model() && name == MODEL_ATTRIBUTE {
            found.push(Readable::ModelObjects(object.id));
        } else if let Some(attribute) = model
            .attributes_of(object)
            .find(|a| a.attribute_type.name == *name)
        {
            found.push(Readable::Attribute(attribute.slot.id));
        }
    }
    Ok(found)
}
