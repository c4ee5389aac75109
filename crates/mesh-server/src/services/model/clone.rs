//! Cloning an object with everything it owns.

use std::collections::{HashMap, HashSet};

use mesh_model::records::Dirty;
use mesh_model::{Change, Mode, Model, Owner, TypeKind};
use mesh_proto::model::*;
use mesh_proto::types::MeshId;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{change, target, view, ModelApi, Shape};
use crate::services::status::OrStatus;
use crate::session::SessionLease;
use crate::view::SessionEdit;

impl ModelApi {
    pub(super) async fn clone_object_call(
        &self,
        request: Request<CloneObjectRequest>,
    ) -> Result<Response<CloneObjectResponse>, Status> {
        let lease = self.lease(&request, request.get_ref().session_id.as_ref())?;
        let request = request.get_ref();
        let mode = match TimeseriesCopyMode::try_from(request.timeseries_copy_mode) {
            Ok(TimeseriesCopyMode::CopyModeUnspecified) => TimeseriesCopyMode::All,
            Ok(mode) => mode,
            Err(_) => {
                return Err(Status::invalid_argument(format!(
                "timeseries_copy_mode {} is not one of COPY_MODE_UNSPECIFIED, NONE, ALL, INTERNAL",
                request.timeseries_copy_mode
            )))
            }
        };
        let id = Uuid::new_v4();
        let model = view(&lease).await;
        let source = target::object(
            &model,
            request.source_object_id.as_ref(),
            "source_object_id",
        )?;
        let owner = match &request.new_owner_id {
            Some(owner) => Some(new_owner(&model, owner, source)?),
            None => None,
        };
        let clone = Change::CloneObject {
            source,
            id,
            name: request.new_object_name.clone(),
            owner,
            keep_timeseries: mode == TimeseriesCopyMode::All,
        };
        // Checked on a scratch copy first, so that no series is copied
        // for a clone the model refuses.
        let mut scratch = (*model).clone();
        scratch
            .apply(&clone, Mode::Request, &mut Dirty::default())
            .or_status()?;
        let reconnect = if mode == TimeseriesCopyMode::Internal {
            self.copy_internal_series(&lease, &model, source, id, &request.new_object_name)
                .await?
        } else {
            Vec::new()
        };
        change(&lease, |_| Ok(clone)).await?;
        for (attribute, key) in reconnect {
            change(&lease, |_| {
                Ok(Change::SetTimeseriesAttribute {
                    attribute,
                    key: Some(key),
                    local_expression: None,
                })
            })
            .await?;
        }
        let model = view(&lease).await;
        let object = model.find_object(id).or_status()?;
        let new_object = self
            .answer_object(&lease, &model, object, Shape::default())
            .await?;
        Ok(Response::new(CloneObjectResponse {
            new_object: Some(new_object),
        }))
    }
}

impl ModelApi {
    /// For a clone of `source` as `root`: copies each series connected
    /// only to attributes inside the cloned tree into a new series of the
    /// session (at the original's catalogue path, in a folder named after
    /// the clone), and says which attribute of the clone to connect to
    /// which copy. Series also used outside the tree are not copied; the
    /// clone's attributes are left unconnected from them.
    async fn copy_internal_series(
        &self,
        lease: &SessionLease,
        model: &Model,
        source: Uuid,
        root: Uuid,
        name: &str,
    ) -> Result<Vec<(Uuid, i64)>, Status> {
        let tree = model.owned_tree(source);
        let inside: HashSet<Uuid> = tree.iter().copied().collect();
        // Every attribute connected to each series, across the model.
        let mut users: HashMap<i64, Vec<Uuid>> = HashMap::new();
        for object in model.all_objects() {
            for slot in &object.attributes {
                let (key, _) = slot.timeseries();
                if key != 0 {
                    users.entry(key).or_default().push(object.id);
                }
            }
        }
        let mut plan = Vec::new();
        for original in &tree {
            let Some(object) = model.object(*original) else {
                continue;
            };
            for slot in &object.attributes {
                let (key, _) = slot.timeseries();
                let internal = key != 0
                    && users
                        .get(&key)
                        .is_some_and(|objects| objects.iter().all(|o| inside.contains(o)));
                if internal {
                    let copy = mesh_model::copy_id(root, source, *original);
                    plan.push((mesh_model::attribute_id(copy, slot.definition), key));
                }
            }
        }
        let mut workspace = lease.session().workspace().await;
        // All or nothing: a copy that fails leaves the session's series as
        // they were.
        let before = workspace.changes();
        let mut copies: HashMap<i64, i64> = HashMap::new();
        let mut reconnect = Vec::with_capacity(plan.len());
        for (attribute, key) in plan {
            let copied = match copies.get(&key) {
                Some(copied) => *copied,
                None => {
                    let mut edit = SessionEdit::new(&self.store, &mut workspace);
                    match edit.copy_series(key, name).await {
                        Ok(copy) => {
                            copies.insert(key, copy.key);
                            copy.key
                        }
                        Err(error) => {
                            *workspace.changes_mut() = (*before).clone();
                            return Err(error.into());
                        }
                    }
                }
            };
            reconnect.push((attribute, copied));
        }
        Ok(reconnect)
    }
}

/// Where a clone of `source` goes: an ownership attribute as named, or the
/// one ownership attribute of a named object that owns objects of the
/// source's definition.
fn new_owner(model: &Model, id: &MeshId, source: Uuid) -> Result<Owner, Status> {
    if let Ok(owner) = target::owner(model, Some(id), true) {
        return Ok(owner);
    }
    let object = target::object(model, Some(id), "new_owner_id")?;
    let object = model.find_object(object).or_status()?;
    let definition = model.find_object(source).or_status()?.definition;
    let fitting: Vec<Uuid> = model
        .attributes_of(object)
        .filter(|a| {
            matches!(a.attribute_type.kind, TypeKind::OwnershipRelation { target } if target == definition)
        })
        .map(|a| a.definition.id)
        .collect();
    match fitting.as_slice() {
        [attribute] => Ok(Owner {
            object: object.id,
            attribute: Some(*attribute),
        }),
        [] => Err(Status::invalid_argument(format!(
            "object {} has no ownership attribute that owns objects like {}",
            target::describe(id),
            model.object_path(source).or_status()?
        ))),
        _ => Err(Status::invalid_argument(format!(
            "object {} has several ownership attributes that could own the clone; name one of them as new_owner_id",
            target::describe(id)
        ))),
    }
}
