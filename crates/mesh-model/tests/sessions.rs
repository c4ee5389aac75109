//! Sessions over one committed model: private changes, replay of changes on
//! commits of others, conflicts, and the records a commit writes, read back.

use mesh_model::{
    Change, Committed, DefinitionRules, Model, ModelError, Owner, TypeKind, Value, ValueType,
    Workspace,
};
use uuid::Uuid;

struct Ids {
    definition: Uuid,
    area: Uuid,
    plants: Uuid,
    capacity: Uuid,
    model: Uuid,
    north: Uuid,
}

/// A model definition with `Area` owning `Plant`s through `Plants`, plant
/// capacity a double in 0..=1000; model `Nordic` with area `North`.
fn setup() -> (Committed, Ids) {
    let ids = Ids {
        definition: Uuid::new_v4(),
        area: Uuid::new_v4(),
        plants: Uuid::new_v4(),
        capacity: Uuid::new_v4(),
        model: Uuid::new_v4(),
        north: Uuid::new_v4(),
    };
    let plant = Uuid::new_v4();
    let (plants_type, capacity_type) = (Uuid::new_v4(), Uuid::new_v4());
    let changes = vec![
        Change::CreateNamespace {
            id: ids.definition,
            parent: None,
            name: "Hydro".into(),
            description: String::new(),
        },
        Change::CreateObjectDefinition {
            id: ids.area,
            namespace: ids.definition,
            name: "Area".into(),
            description: String::new(),
            tags: vec![],
        },
        Change::CreateObjectDefinition {
            id: plant,
            namespace: ids.definition,
            name: "Plant".into(),
            description: String::new(),
            tags: vec![],
        },
        Change::CreateAttributeType {
            id: capacity_type,
            namespace: ids.definition,
            name: "Capacity".into(),
            description: String::new(),
            tags: vec![],
            kind: TypeKind::Simple {
                value_type: ValueType::Double,
                unit: None,
                expression: String::new(),
            },
        },
        Change::AddAttributeDefinition {
            id: ids.capacity,
            object_definition: plant,
            attribute_type: capacity_type,
            description: String::new(),
            minimum_cardinality: 1,
            maximum_cardinality: 1,
            rules: DefinitionRules::Simple {
                default: Some(Value::Double(10.0)),
                minimum: Some(Value::Double(0.0)),
                maximum: Some(Value::Double(1000.0)),
                allowed: vec![],
            },
        },
        Change::CreateAttributeType {
            id: plants_type,
            namespace: ids.definition,
            name: "Plants".into(),
            description: String::new(),
            tags: vec![],
            kind: TypeKind::OwnershipRelation { target: plant },
        },
        Change::AddAttributeDefinition {
            id: ids.plants,
            object_definition: ids.area,
            attribute_type: plants_type,
            description: String::new(),
            minimum_cardinality: 0,
            maximum_cardinality: 100,
            rules: DefinitionRules::OwnershipRelation,
        },
        Change::CreateModel {
            id: ids.model,
            name: "Nordic".into(),
            model_definition: ids.definition,
        },
        Change::CreateObject {
            id: ids.north,
            name: "North".into(),
            owner: Owner {
                object: ids.model,
                attribute: None,
            },
            definition: Some(ids.area),
            attribute_ids: vec![],
        },
    ];
    let committed = Committed::new(Model::new());
    commit(&committed, changes).unwrap();
    (committed, ids)
}

fn commit(committed: &Committed, changes: Vec<Change>) -> Result<(), ModelError> {
    let mut workspace = Workspace::new();
    for change in changes {
        workspace.apply(committed, change)?;
    }
    if let Some(prepared) = workspace.prepare(committed)? {
        committed.publish(prepared);
    }
    Ok(())
}

fn new_plant(ids: &Ids, id: Uuid, name: &str) -> Change {
    Change::CreateObject {
        id,
        name: name.into(),
        owner: Owner {
            object: ids.north,
            attribute: Some(ids.plants),
        },
        definition: None,
        attribute_ids: vec![],
    }
}

#[test]
fn changes_are_private_until_committed_and_others_commits_reach_sessions() {
    let (committed, ids) = setup();
    let mut a = Workspace::new();
    let mut b = Workspace::new();
    let alta = Uuid::new_v4();
    a.apply(&committed, new_plant(&ids, alta, "Alta")).unwrap();
    assert!(a.view(&committed).object(alta).is_some());
    assert!(b.view(&committed).object(alta).is_none());
    committed.publish(a.prepare(&committed).unwrap().unwrap());
    a.clear();
    // B has no changes: it sees the commit at once, and a second "Alta"
    // is refused right away.
    assert!(b.view(&committed).object(alta).is_some());
    let clash = b
        .apply(&committed, new_plant(&ids, Uuid::new_v4(), "Alta"))
        .unwrap_err();
    assert_eq!(
        clash,
        ModelError::AlreadyExists(
            "An element named Alta already exists in the Plants element array".into()
        )
    );
    let path = committed.current().1.object_path(alta).unwrap();
    assert_eq!(path, "Model/Nordic/North.Plants/Alta");
    assert_eq!(
        committed
            .current()
            .1
            .resolve_path("Model/Nordic/North/Alta")
            .unwrap(),
        mesh_model::PathTarget::Object(alta)
    );
}

#[test]
fn a_change_that_no_longer_applies_breaks_the_session_until_rollback() {
    let (committed, ids) = setup();
    let mut a = Workspace::new();
    let mut b = Workspace::new();
    a.apply(&committed, new_plant(&ids, Uuid::new_v4(), "Alta"))
        .unwrap();
    b.apply(&committed, new_plant(&ids, Uuid::new_v4(), "Alta"))
        .unwrap();
    committed.publish(a.prepare(&committed).unwrap().unwrap());
    let broken = b.prepare(&committed).unwrap_err();
    assert!(
        matches!(&broken, ModelError::Conflict(m) if m.contains("An element named Alta")),
        "{broken:?}"
    );
    b.clear();
    assert!(b.prepare(&committed).unwrap().is_none());

    // An owner deleted by another session: "Missing owner".
    let mut c = Workspace::new();
    let mut d = Workspace::new();
    c.apply(&committed, new_plant(&ids, Uuid::new_v4(), "Rana"))
        .unwrap();
    d.apply(
        &committed,
        Change::DeleteObject {
            id: ids.north,
            recursive: true,
        },
    )
    .unwrap();
    committed.publish(d.prepare(&committed).unwrap().unwrap());
    let missing = c.prepare(&committed).unwrap_err();
    assert!(
        matches!(&missing, ModelError::Conflict(m) if m.starts_with("Missing owner")),
        "{missing:?}"
    );
}

#[test]
fn the_later_commit_wins_per_attribute_and_deleting_twice_is_no_conflict() {
    let (committed, ids) = setup();
    let alta = Uuid::new_v4();
    commit(&committed, vec![new_plant(&ids, alta, "Alta")]).unwrap();
    let capacity = mesh_model::attribute_id(alta, ids.capacity);
    let set = |v: f64| Change::SetSimpleAttribute {
        attribute: capacity,
        values: vec![Value::Double(v)],
        as_collection: false,
    };
    let (mut a, mut b) = (Workspace::new(), Workspace::new());
    a.apply(&committed, set(100.0)).unwrap();
    b.apply(&committed, set(200.0)).unwrap();
    committed.publish(b.prepare(&committed).unwrap().unwrap());
    committed.publish(a.prepare(&committed).unwrap().unwrap());
    let model = committed.current().1;
    assert_eq!(
        model.attribute(capacity).unwrap().slot.values,
        vec![Value::Double(100.0)]
    );

    let (mut a, mut b) = (Workspace::new(), Workspace::new());
    a.apply(
        &committed,
        Change::DeleteObject {
            id: alta,
            recursive: false,
        },
    )
    .unwrap();
    b.apply(
        &committed,
        Change::DeleteObject {
            id: alta,
            recursive: false,
        },
    )
    .unwrap();
    committed.publish(a.prepare(&committed).unwrap().unwrap());
    committed.publish(b.prepare(&committed).unwrap().unwrap());
    assert!(committed.current().1.object(alta).is_none());
}

#[test]
fn values_outside_the_rules_are_refused_naming_the_rule() {
    let (committed, ids) = setup();
    let alta = Uuid::new_v4();
    commit(&committed, vec![new_plant(&ids, alta, "Alta")]).unwrap();
    let capacity = mesh_model::attribute_id(alta, ids.capacity);
    let mut a = Workspace::new();
    let set = |v: Value, as_collection| Change::SetSimpleAttribute {
        attribute: capacity,
        values: vec![v],
        as_collection,
    };
    let above = a
        .apply(&committed, set(Value::Double(2000.0), false))
        .unwrap_err();
    assert_eq!(
        above,
        ModelError::Invalid("value 2000 of attribute Capacity is above its maximum 1000".into())
    );
    let wrong = a
        .apply(&committed, set(Value::String("x".into()), false))
        .unwrap_err();
    assert!(
        matches!(&wrong, ModelError::Invalid(m) if m.contains("holds double values")),
        "{wrong:?}"
    );
    let shape = a
        .apply(&committed, set(Value::Double(1.0), true))
        .unwrap_err();
    assert!(
        matches!(&shape, ModelError::Invalid(m) if m.contains("Check if you correctly applied the singular value/collection values"))
    );
    // An integer for a double is taken as a double.
    a.apply(&committed, set(Value::Int(13), false)).unwrap();
    assert_eq!(
        a.view(&committed).attribute(capacity).unwrap().slot.values,
        vec![Value::Double(13.0)]
    );
    assert!(a.changes().len() == 1, "refused changes are not recorded");
}

#[test]
fn committed_records_load_back_into_the_same_model() {
    let mut store = std::collections::BTreeMap::new();
    let (setup_committed, ids) = setup();
    // A commit's records, applied to a map as a store would, load back
    // into the entities the commit made.
    let mut workspace = Workspace::new();
    let alta = Uuid::new_v4();
    workspace
        .apply(&setup_committed, new_plant(&ids, alta, "Alta"))
        .unwrap();
    let prepared = workspace.prepare(&setup_committed).unwrap().unwrap();
    for (key, value) in &prepared.records {
        match value {
            Some(v) => store.insert(key.clone(), v.clone()),
            None => store.remove(key),
        };
    }
    setup_committed.publish(prepared);
    let model = setup_committed.current().1;
    let loaded =
        mesh_model::records::load(store.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))).unwrap();
    // Only Alta's record was in this commit: it loads, owner and all.
    let object = loaded.object(alta).unwrap();
    assert_eq!(object, model.object(alta).unwrap());
}
