//! Deep models: ownership is bounded at MAX_OWNERSHIP_DEPTH levels where a
//! change would pass it (create, move, clone, import), a model at the limit
//! round-trips through the model file, and a model deeper than the limit
//! (a store written before it) breaks nothing: export refuses it clearly,
//! paths, search, clone and delete work, none of them recursing.

use mesh_model::file::{export, import, ExportError};
use mesh_model::records::{self, record_key, RecordKind, RECORD_FORMAT};
use mesh_model::search::{parse, run, Budget};
use mesh_model::{
    attribute_id, AttributeSlot, Change, Committed, Mode, Model, ModelError, Object, Owner,
    PathTarget, MAX_NAMESPACE_DEPTH, MAX_OWNERSHIP_DEPTH,
};
use uuid::Uuid;

/// A model definition whose `Node`s own `Node`s (`Kids`, no limit), and a
/// model `M` of it.
const DEFINITIONS: &str = r#"{"mesh_model_file": 1,
  "model_definitions": [{"name": "D",
    "attribute_types": [{"name": "Kids", "kind": "ownership", "target": "Node"}],
    "object_definitions": [{"name": "Node", "attributes": [
      {"type": "Kids", "minimum_cardinality": 0, "maximum_cardinality": 0}]}]}],
  "models": [{"name": "M", "definition": "D"}]}"#;

struct Fixture {
    model: Model,
    records: Vec<records::Record>,
    node: Uuid,
    kids: Uuid,
    root: Uuid,
}

fn ids() -> impl FnMut() -> Uuid {
    let mut n = 0u128;
    move || {
        n += 1;
        Uuid::from_u128(0xabcd_0000_0000_0000_0000_0000_0000_0000 | n)
    }
}

fn fixture() -> Fixture {
    let mut model = Model::new();
    let mut dirty = records::Dirty::default();
    let imported = import(&model, "d.json", DEFINITIONS, &mut ids()).unwrap();
    for change in &imported.changes {
        model.apply(change, Mode::Request, &mut dirty).unwrap();
    }
    let node = model.all_object_definitions().next().unwrap().id;
    let kids = model.object_definition(node).unwrap().attributes[0];
    let root = model.model_named("M").unwrap().id;
    let records = dirty.records(&model).unwrap();
    Fixture {
        model,
        records,
        node,
        kids,
        root,
    }
}

fn under(object: Uuid, kids: Uuid) -> Owner {
    Owner {
        object,
        attribute: Some(kids),
    }
}

fn create(model: &mut Model, name: &str, owner: Owner, node: Uuid) -> Result<Uuid, ModelError> {
    let id = Uuid::new_v4();
    let definition = owner.attribute.is_none().then_some(node);
    model.apply(
        &Change::CreateObject {
            id,
            name: name.to_string(),
            owner,
            definition,
            attribute_ids: vec![],
        },
        Mode::Request,
        &mut records::Dirty::default(),
    )?;
    Ok(id)
}

/// A chain of `levels` objects under `owner` (the model when `None`), named
/// `prefix1`, `prefix2`, …; the ids, top first.
fn chain(f: &mut Fixture, owner: Option<Owner>, prefix: &str, levels: usize) -> Vec<Uuid> {
    let mut made = Vec::new();
    let mut owner = owner.unwrap_or_else(|| top(f));
    for level in 1..=levels {
        let id = create(&mut f.model, &format!("{prefix}{level}"), owner, f.node).unwrap();
        made.push(id);
        owner = under(id, f.kids);
    }
    made
}

fn top(f: &Fixture) -> Owner {
    Owner {
        object: f.root,
        attribute: None,
    }
}

#[test]
fn create_is_refused_past_the_limit_naming_it_and_the_object() {
    let mut f = fixture();
    let made = chain(&mut f, None, "n", MAX_OWNERSHIP_DEPTH);
    let leaf = *made.last().unwrap();
    assert_eq!(f.model.ownership_depth(leaf), MAX_OWNERSHIP_DEPTH);
    let error = create(&mut f.model, "TooDeep", under(leaf, f.kids), f.node).unwrap_err();
    let ModelError::Invalid(message) = error else {
        panic!("{error:?}")
    };
    assert!(message.contains("'TooDeep'"), "{message}");
    assert!(message.contains("level 33"), "{message}");
    assert!(
        message.contains(&format!("at most {MAX_OWNERSHIP_DEPTH} levels")),
        "{message}"
    );
}

#[test]
fn a_move_or_clone_that_would_pass_the_limit_is_refused() {
    let mut f = fixture();
    let first = chain(&mut f, None, "a", 20);
    let second = chain(&mut f, None, "b", 13);
    let mut dirty = records::Dirty::default();
    // 20 + 13 = 33 levels: one too many.
    let error = f
        .model
        .apply(
            &Change::UpdateObject {
                id: second[0],
                name: None,
                owner: Some(under(first[19], f.kids)),
            },
            Mode::Request,
            &mut dirty,
        )
        .unwrap_err();
    assert!(
        matches!(&error, ModelError::Invalid(m) if m.contains("moving object 'b1'") && m.contains("level 33") && m.contains("at most 32 levels")),
        "{error:?}"
    );
    let error = f
        .model
        .apply(
            &Change::CloneObject {
                source: second[0],
                id: Uuid::new_v4(),
                name: "copy".into(),
                owner: Some(under(first[19], f.kids)),
                keep_timeseries: false,
            },
            Mode::Request,
            &mut dirty,
        )
        .unwrap_err();
    assert!(
        matches!(&error, ModelError::Invalid(m) if m.contains("cloning object 'copy'") && m.contains("level 33")),
        "{error:?}"
    );
    // One level less fits, for both.
    f.model
        .apply(
            &Change::UpdateObject {
                id: second[1],
                name: None,
                owner: Some(under(first[19], f.kids)),
            },
            Mode::Request,
            &mut dirty,
        )
        .unwrap();
    f.model
        .apply(
            &Change::CloneObject {
                source: second[1],
                id: Uuid::new_v4(),
                name: "copy".into(),
                owner: Some(under(first[18], f.kids)),
                keep_timeseries: false,
            },
            Mode::Request,
            &mut dirty,
        )
        .unwrap();
}

#[test]
fn a_chain_at_the_limit_round_trips_and_past_it_the_import_says_why() {
    let mut f = fixture();
    chain(&mut f, None, "n", MAX_OWNERSHIP_DEPTH);
    let text = export(&f.model, &[], usize::MAX).unwrap();
    let committed = Committed::new(Model::new());
    let mut workspace = mesh_model::Workspace::new();
    let imported = import(&workspace.view(&committed), "deep.json", &text, &mut ids()).unwrap();
    workspace.apply_all(&committed, imported.changes).unwrap();
    let again = workspace.view(&committed);
    assert_eq!(export(&again, &[], usize::MAX).unwrap(), text);

    // One more level in the file: refused by the limit, at its place.
    let leaf = "\"name\": \"n32\"";
    let deeper = text.replace(
        leaf,
        &format!("{leaf}, \"owns\": {{\"Kids\": [{{\"name\": \"n33\"}}]}}"),
    );
    let error = import(&Model::new(), "deeper.json", &deeper, &mut ids()).unwrap_err();
    assert!(error.place.ends_with(".owns.Kids[0]"), "{error}");
    assert!(error.reason.contains("at most 32 levels"), "{error}");

    // Nested past what JSON readers take: the reason says what the limits are.
    let mut nested = String::from("{\"name\": \"x\"}");
    for _ in 0..60 {
        nested = format!("{{\"name\": \"x\", \"owns\": {{\"Kids\": [{nested}]}}}}");
    }
    let text = format!(
        "{{\"mesh_model_file\": 1, \"models\": [{{\"name\": \"M\", \"definition\": \"D\", \"objects\": [{nested}]}}]}}"
    );
    let error = import(&Model::new(), "nested.json", &text, &mut ids()).unwrap_err();
    assert!(error.reason.contains("recursion limit exceeded"), "{error}");
    assert!(error.reason.contains("32 levels of ownership"), "{error}");
}

#[test]
fn namespaces_nest_at_most_to_their_limit() {
    let f = fixture();
    let mut model = f.model;
    let mut parent = model.all_namespaces().next().unwrap().id;
    let mut dirty = records::Dirty::default();
    for level in 2..=MAX_NAMESPACE_DEPTH + 1 {
        let id = Uuid::new_v4();
        let result = model.apply(
            &Change::CreateNamespace {
                id,
                parent: Some(parent),
                name: format!("ns{level}"),
                description: String::new(),
            },
            Mode::Request,
            &mut dirty,
        );
        if level <= MAX_NAMESPACE_DEPTH {
            result.unwrap();
            parent = id;
        } else {
            let error = result.unwrap_err();
            assert!(
                matches!(&error, ModelError::Invalid(m) if m.contains("'ns33'") && m.contains("at most 32 levels")),
                "{error:?}"
            );
        }
    }
    // At the limit the file still reads back.
    let text = export(&model, &[], usize::MAX).unwrap();
    import(&Model::new(), "ns.json", &text, &mut ids()).unwrap();
}

#[test]
fn an_export_past_its_size_is_refused_before_it_is_written_whole() {
    let mut f = fixture();
    chain(&mut f, None, "n", 10);
    let whole = export(&f.model, &[], usize::MAX).unwrap();
    assert_eq!(
        export(&f.model, &[], whole.len()).unwrap(),
        whole,
        "exactly the limit fits"
    );
    assert_eq!(
        export(&f.model, &[], whole.len() - 1).unwrap_err(),
        ExportError::TooLarge {
            limit: whole.len() - 1
        }
    );
}

/// A store written before the limit: a chain of 2,000 objects, loaded from
/// its records as the server loads at start.
fn deep_store(levels: usize) -> (Model, Fixture, Vec<Uuid>) {
    let f = fixture();
    let mut records: Vec<(Vec<u8>, Vec<u8>)> = f
        .records
        .iter()
        .filter_map(|(key, value)| Some((key.clone(), value.clone()?)))
        .collect();
    let mut owner = top(&f);
    let mut chain = Vec::new();
    for level in 1..=levels {
        let id = Uuid::from_u128(0x5000_0000 + level as u128);
        let object = Object {
            id,
            name: format!("n{level}"),
            definition: f.node,
            owner: Some(owner),
            attributes: vec![AttributeSlot {
                id: attribute_id(id, f.kids),
                definition: f.kids,
                values: vec![],
                held: None,
            }],
        };
        let value = postcard::to_extend(&object, vec![RECORD_FORMAT]).unwrap();
        records.push((record_key(RecordKind::Object, id), value));
        chain.push(id);
        owner = under(id, f.kids);
    }
    let model = records::load(records.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))).unwrap();
    (model, f, chain)
}

#[test]
fn a_store_deeper_than_the_limit_breaks_nothing() {
    let (mut model, f, chain) = deep_store(2000);
    let leaf = *chain.last().unwrap();
    assert_eq!(model.ownership_depth(leaf), 2000);
    assert_eq!(model.ownership_height(chain[0]), 2000);

    // Export: a clear refusal naming the first object past the limit.
    let ExportError::TooDeep(message) = export(&model, &[], usize::MAX).unwrap_err() else {
        panic!()
    };
    assert!(
        message.contains(&chain[MAX_OWNERSHIP_DEPTH].to_string()),
        "{message}"
    );
    assert!(message.contains("level 33"), "{message}");

    // Paths both ways.
    let path = model.object_path(leaf).unwrap();
    assert_eq!(model.resolve_path(&path).unwrap(), PathTarget::Object(leaf));

    // Search down and up the whole chain.
    let mut budget = Budget::default();
    let hits = run(&model, f.root, &parse("{*}").unwrap(), &mut budget).unwrap();
    assert_eq!(hits.len(), 2001);
    let hits = run(&model, leaf, &parse("..{*}").unwrap(), &mut budget).unwrap();
    assert_eq!(hits.len(), 2001);

    // Clone refused (it would copy the chain past the limit), moves deeper
    // refused, the whole model cloned as a model refused.
    let mut dirty = records::Dirty::default();
    let error = model
        .apply(
            &Change::CloneObject {
                source: chain[0],
                id: Uuid::new_v4(),
                name: "copy".into(),
                owner: None,
                keep_timeseries: false,
            },
            Mode::Request,
            &mut dirty,
        )
        .unwrap_err();
    assert!(matches!(error, ModelError::Invalid(_)), "{error:?}");
    let error = model
        .apply(
            &Change::CloneObject {
                source: f.root,
                id: Uuid::new_v4(),
                name: "M2".into(),
                owner: None,
                keep_timeseries: false,
            },
            Mode::Request,
            &mut dirty,
        )
        .unwrap_err();
    assert!(
        matches!(&error, ModelError::Invalid(m) if m.contains("level 33")),
        "{error:?}"
    );

    // Moving the lower part up makes it exportable again.
    model
        .apply(
            &Change::UpdateObject {
                id: chain[MAX_OWNERSHIP_DEPTH],
                name: None,
                owner: Some(top(&f)),
            },
            Mode::Request,
            &mut dirty,
        )
        .unwrap_err();
    // (still 1,968 levels: refused) — delete it instead, recursively.
    model
        .apply(
            &Change::DeleteObject {
                id: chain[MAX_OWNERSHIP_DEPTH],
                recursive: true,
            },
            Mode::Request,
            &mut dirty,
        )
        .unwrap();
    assert_eq!(model.object_count(), 1 + MAX_OWNERSHIP_DEPTH);
    export(&model, &[], usize::MAX).unwrap();
}
