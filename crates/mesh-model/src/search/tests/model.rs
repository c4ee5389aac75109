//! A small in-memory model for the search tests, and the hydro-like model
//! most of them run on.

use std::cell::Cell;

use crate::search::{parse, run, Budget, Hit, SearchAttribute, SearchModel, SearchValue};

/// A simple attribute value, owned.
#[derive(Debug, Clone)]
pub enum Value {
    Int(i64),
    Double(f64),
    Bool(bool),
    Text(&'static str),
    Time(i64),
}

#[derive(Debug)]
enum Kind {
    Values(Vec<Value>),
    Owns(Vec<usize>),
    Links(Vec<usize>),
}

#[derive(Debug)]
struct Attribute {
    name: String,
    kind: Kind,
}

#[derive(Debug)]
struct Object {
    name: String,
    type_name: String,
    owner: Option<usize>,
    attributes: Vec<Attribute>,
}

/// Objects are indices into a list.
#[derive(Debug, Default)]
pub struct TestModel {
    objects: Vec<Object>,
    /// Whether `objects_of_type` answers (in reverse order of creation, so
    /// that the search has to sort).
    pub indexed: bool,
    /// How often `objects_of_type` was asked.
    pub index_calls: Cell<usize>,
}

impl TestModel {
    /// A root (a model) of type `type_name`.
    pub fn root(&mut self, name: &str, type_name: &str) -> usize {
        self.objects.push(Object {
            name: name.to_string(),
            type_name: type_name.to_string(),
            owner: None,
            attributes: Vec::new(),
        });
        self.objects.len() - 1
    }

    /// An object owned by `owner` through its ownership attribute `via`.
    pub fn add(&mut self, owner: usize, via: &str, name: &str, type_name: &str) -> usize {
        let id = self.objects.len();
        self.objects.push(Object {
            name: name.to_string(),
            type_name: type_name.to_string(),
            owner: Some(owner),
            attributes: Vec::new(),
        });
        match self.find(owner, via) {
            Some(Kind::Owns(children)) => children.push(id),
            Some(_) => panic!("{via} is not an ownership attribute"),
            None => self.objects[owner].attributes.push(Attribute {
                name: via.to_string(),
                kind: Kind::Owns(vec![id]),
            }),
        }
        id
    }

    fn find(&mut self, object: usize, name: &str) -> Option<&mut Kind> {
        self.objects[object]
            .attributes
            .iter_mut()
            .find(|attribute| attribute.name == name)
            .map(|attribute| &mut attribute.kind)
    }

    /// Sets a simple attribute (a collection when given several values).
    pub fn set(&mut self, object: usize, name: &str, values: Vec<Value>) {
        self.objects[object].attributes.push(Attribute {
            name: name.to_string(),
            kind: Kind::Values(values),
        });
    }

    /// Sets a link relation attribute.
    pub fn link(&mut self, object: usize, name: &str, targets: Vec<usize>) {
        self.objects[object].attributes.push(Attribute {
            name: name.to_string(),
            kind: Kind::Links(targets),
        });
    }

    /// The object named `name` (names are unique in the test models).
    pub fn id(&self, name: &str) -> usize {
        self.objects
            .iter()
            .position(|object| object.name == name)
            .unwrap_or_else(|| panic!("no object {name}"))
    }

    /// Runs `query` from the object named `start` with a default budget and
    /// names the hits: `Object` or `Object.Attribute`.
    pub fn search(&self, start: &str, query: &str) -> Vec<String> {
        let parsed = parse(query).unwrap_or_else(|error| panic!("{query}: {error}"));
        let hits = run(self, self.id(start), &parsed, &mut Budget::default())
            .unwrap_or_else(|error| panic!("{query}: {error}"));
        self.describe(&hits)
    }

    /// Names hits as [`Self::search`] does.
    pub fn describe(&self, hits: &[Hit<usize>]) -> Vec<String> {
        hits.iter()
            .map(|hit| match &hit.attribute {
                Some(attribute) => format!("{}.{attribute}", self.objects[hit.object].name),
                None => self.objects[hit.object].name.clone(),
            })
            .collect()
    }
}

impl SearchModel for TestModel {
    type Object = usize;

    fn owner(&self, object: usize) -> Option<usize> {
        self.objects.get(object)?.owner
    }

    fn children(&self, object: usize) -> Vec<usize> {
        let Some(object) = self.objects.get(object) else {
            return Vec::new();
        };
        object
            .attributes
            .iter()
            .flat_map(|attribute| match &attribute.kind {
                Kind::Owns(children) => children.clone(),
                _ => Vec::new(),
            })
            .collect()
    }

    fn name(&self, object: usize) -> &str {
        &self.objects[object].name
    }

    fn type_name(&self, object: usize) -> &str {
        &self.objects[object].type_name
    }

    fn attribute_names(&self, object: usize) -> Vec<&str> {
        self.objects[object]
            .attributes
            .iter()
            .map(|attribute| attribute.name.as_str())
            .collect()
    }

    fn attribute(
        &self,
        object: usize,
        name: &str,
        ignore_case: bool,
    ) -> Option<SearchAttribute<'_, usize>> {
        let attribute = self.objects[object].attributes.iter().find(|attribute| {
            if ignore_case {
                attribute.name.eq_ignore_ascii_case(name)
            } else {
                attribute.name == name
            }
        })?;
        let (values, targets) = match &attribute.kind {
            Kind::Values(values) => (
                values
                    .iter()
                    .map(|value| match value {
                        Value::Int(v) => SearchValue::Int(*v),
                        Value::Double(v) => SearchValue::Double(*v),
                        Value::Bool(v) => SearchValue::Bool(*v),
                        Value::Text(v) => SearchValue::String(v),
                        Value::Time(v) => SearchValue::UtcTime(*v),
                    })
                    .collect(),
                Vec::new(),
            ),
            Kind::Owns(targets) | Kind::Links(targets) => (Vec::new(), targets.clone()),
        };
        Some(SearchAttribute {
            name: &attribute.name,
            values,
            targets,
        })
    }

    fn objects_of_type(&self, type_name: &str) -> Option<Vec<usize>> {
        if !self.indexed {
            return None;
        }
        self.index_calls.set(self.index_calls.get() + 1);
        Some(
            (0..self.objects.len())
                .rev()
                .filter(|&object| self.objects[object].type_name == type_name)
                .collect(),
        )
    }
}

/// 100-nanosecond ticks of a date at midnight UTC (for the test values).
pub fn date_ticks(text: &str) -> i64 {
    crate::search::compare::parse_time(text).unwrap_or_else(|| panic!("bad date {text}"))
}

/// The hydro-like model most tests use:
///
/// ```text
/// Hydro (HydroModel)
///   Areas: North (Area) Code=N
///     Plants: P1 (Plant) Capacity=120.5 UnitCount=2 Active Commissioned=2001-05-01
///                        Tags=[run-of-river, old] To_WaterCourses->[W1, W2]
///               Units: U1 (Unit) Capacity=60 Twin->U2
///                      U2 (Unit) Capacity=60.5 Twin->U1
///             P2 (Plant) Capacity=300 UnitCount=1 !Active Commissioned=2015-10-20T08:30Z
///               Units: U3 (Unit) Capacity=300
///                        Units: U3a (Unit) Capacity=5
///     Reservoirs: R1 (Reservoir) Volume=1000 Level=450.25 Downstream->P1 To_Production->P1
///     WaterCourses: W1, W2 (WaterCourse)
///   Areas: South (Area) Code=S
///     Reservoirs: R2 (Reservoir) Volume=50 Downstream->R1
///     Plants: p3 (Plant) Capacity=10 UnitCount=0 Active
/// ```
pub fn hydro() -> TestModel {
    use Value::*;
    let mut m = TestModel::default();
    let root = m.root("Hydro", "HydroModel");
    let north = m.add(root, "Areas", "North", "Area");
    m.set(north, "Code", vec![Text("N")]);
    let p1 = m.add(north, "Plants", "P1", "Plant");
    m.set(p1, "Capacity", vec![Double(120.5)]);
    m.set(p1, "UnitCount", vec![Int(2)]);
    m.set(p1, "Active", vec![Bool(true)]);
    m.set(p1, "Commissioned", vec![Time(date_ticks("2001-05-01"))]);
    m.set(p1, "Tags", vec![Text("run-of-river"), Text("old")]);
    let u1 = m.add(p1, "Units", "U1", "Unit");
    m.set(u1, "Capacity", vec![Double(60.0)]);
    let u2 = m.add(p1, "Units", "U2", "Unit");
    m.set(u2, "Capacity", vec![Double(60.5)]);
    m.link(u1, "Twin", vec![u2]);
    m.link(u2, "Twin", vec![u1]);
    let p2 = m.add(north, "Plants", "P2", "Plant");
    m.set(p2, "Capacity", vec![Double(300.0)]);
    m.set(p2, "UnitCount", vec![Int(1)]);
    m.set(p2, "Active", vec![Bool(false)]);
    m.set(
        p2,
        "Commissioned",
        vec![Time(date_ticks("2015-10-20T08:30:00Z"))],
    );
    let u3 = m.add(p2, "Units", "U3", "Unit");
    m.set(u3, "Capacity", vec![Double(300.0)]);
    let u3a = m.add(u3, "Units", "U3a", "Unit");
    m.set(u3a, "Capacity", vec![Double(5.0)]);
    let r1 = m.add(north, "Reservoirs", "R1", "Reservoir");
    m.set(r1, "Volume", vec![Double(1000.0)]);
    m.set(r1, "Level", vec![Double(450.25)]);
    m.link(r1, "Downstream", vec![p1]);
    m.link(r1, "To_Production", vec![p1]);
    let w1 = m.add(north, "WaterCourses", "W1", "WaterCourse");
    let w2 = m.add(north, "WaterCourses", "W2", "WaterCourse");
    m.link(p1, "To_WaterCourses", vec![w1, w2]);
    let south = m.add(root, "Areas", "South", "Area");
    m.set(south, "Code", vec![Text("S")]);
    let r2 = m.add(south, "Reservoirs", "R2", "Reservoir");
    m.set(r2, "Volume", vec![Double(50.0)]);
    m.link(r2, "Downstream", vec![r1]);
    let p3 = m.add(south, "Plants", "p3", "Plant");
    m.set(p3, "Capacity", vec![Double(10.0)]);
    m.set(p3, "UnitCount", vec![Int(0)]);
    m.set(p3, "Active", vec![Bool(true)]);
    m
}

/// The shape of the Python SDK's test model (SimpleThermalTestModel) as far
/// as its search tests depend on it: a thermal component owning two plants,
/// the first owning two chimneys.
pub fn thermal() -> TestModel {
    use Value::*;
    let mut m = TestModel::default();
    let root = m.root("SimpleThermalTestModel", "ThermalModelDefinition");
    let component = m.add(
        root,
        "ThermalComponent",
        "ThermalComponent",
        "ThermalComponentType",
    );
    let plant1 = m.add(
        component,
        "ThermalPowerToPlantRef",
        "SomePowerPlant1",
        "PlantElementType",
    );
    for name in ["DblAtt", "TsRawAtt", "TsCalcAtt"] {
        let value = if name == "DblAtt" {
            vec![Double(1.5)]
        } else {
            Vec::new()
        };
        m.set(plant1, name, value);
    }
    m.set(plant1, "Int64Att", vec![Int(42)]);
    let chimney1 = m.add(
        plant1,
        "PlantToChimneyRef",
        "SomePowerPlantChimney1",
        "ChimneyElementType",
    );
    let chimney2 = m.add(
        plant1,
        "PlantToChimneyRef",
        "SomePowerPlantChimney2",
        "ChimneyElementType",
    );
    for chimney in [chimney1, chimney2] {
        m.set(chimney, "DblAtt", vec![Double(2.5)]);
        m.set(chimney, "TsRawAtt", Vec::new());
        m.set(chimney, "TsCalcAtt", Vec::new());
    }
    m.link(chimney1, "ChimneyToChimneyRef", vec![chimney2]);
    let plant2 = m.add(
        component,
        "ThermalPowerToPlantRef",
        "SomePowerPlant2",
        "PlantElementType",
    );
    m.set(plant2, "Int64Att", vec![Int(7)]);
    m
}
