//! The budget, the index by type, deep models, hostile and random queries.

use super::model::{date_ticks, hydro, TestModel};
use crate::search::{parse, run, Budget, SearchError, MAX_NESTING};

fn run_with(
    model: &TestModel,
    start: &str,
    query: &str,
    budget: &mut Budget,
) -> Result<Vec<String>, SearchError> {
    let parsed = parse(query).unwrap_or_else(|error| panic!("{query}: {error}"));
    run(model, model.id(start), &parsed, budget).map(|hits| model.describe(&hits))
}

#[test]
fn budget_stops_a_search_that_visits_too_much() {
    let model = hydro();
    let mut budget = Budget::new(5);
    let error = run_with(&model, "Hydro", "{*}", &mut budget).unwrap_err();
    assert_eq!(error, SearchError::TooLarge { limit: 5 });
    assert!(error.to_string().contains("more than 5 objects"), "{error}");
    // The whole model is 14 objects, plus the start.
    let mut budget = Budget::new(15);
    assert_eq!(
        run_with(&model, "Hydro", "{*}", &mut budget).map(|hits| hits.len()),
        Ok(14)
    );
    assert_eq!(budget.used(), 15);
    assert_eq!(budget.limit(), 15);
    // Criteria that search count too.
    let mut budget = Budget::new(15);
    assert!(run_with(&model, "Hydro", "{*}[{*}]", &mut budget).is_err());
}

#[test]
fn budget_ends_repetition_over_every_pair() {
    // Every object's whole subtree from every object: quadratic, bounded.
    let model = hydro();
    let mut budget = Budget::new(100);
    let result = run_with(&model, "Hydro", "({*}/..{*}/{*})*", &mut budget);
    assert_eq!(result, Err(SearchError::TooLarge { limit: 100 }));
}

#[test]
fn budget_ends_a_cycle_in_a_broken_model() {
    // An owner chain that loops (a corrupt model) cannot hang a walk up.
    let mut model = TestModel::default();
    let a = model.root("A", "T");
    let b = model.add(a, "Kids", "B", "T");
    let _ = b;
    let broken = BrokenOwner(model);
    let parsed = parse("..*[.Name=Nowhere]").unwrap_or_else(|error| panic!("{error}"));
    let result = run(&broken, 1, &parsed, &mut Budget::new(1000));
    assert_eq!(result, Err(SearchError::TooLarge { limit: 1000 }));
}

/// A model whose root claims its child as owner.
struct BrokenOwner(TestModel);

impl crate::search::SearchModel for BrokenOwner {
    type Object = usize;
    fn owner(&self, object: usize) -> Option<usize> {
        Some(if object == 0 { 1 } else { 0 })
    }
    fn children(&self, object: usize) -> Vec<usize> {
        self.0.children(object)
    }
    fn name(&self, object: usize) -> &str {
        self.0.name(object)
    }
    fn type_name(&self, object: usize) -> &str {
        self.0.type_name(object)
    }
    fn attribute_names(&self, object: usize) -> Vec<&str> {
        self.0.attribute_names(object)
    }
    fn attribute(
        &self,
        object: usize,
        name: &str,
        ignore_case: bool,
    ) -> Option<crate::search::SearchAttribute<'_, usize>> {
        self.0.attribute(object, name, ignore_case)
    }
}

#[test]
fn type_index_answers_walks_from_a_root_in_walk_order() {
    let plain = hydro();
    let mut indexed = hydro();
    indexed.indexed = true;
    // A second model whose units must not show up.
    let other = indexed.root("Other", "HydroModel");
    let stray = indexed.add(other, "Units", "Stray", "Unit");
    let _ = stray;
    for query in [
        "*[.Type=Unit]",
        "{*}[.Type=Unit]",
        "+[.Type=Unit]",
        "{+}[.Type=Unit]",
        "*[.Type=Unit&&.Capacity>50]",
        "{*}[.Capacity>50&&.Type=Unit]",
        "*[.Type=Plant]",
        "*[.Type=HydroModel]",
        "{*}[.Type=HydroModel]",
        "+[.Type=HydroModel]",
        "*[.Type=Nothing]",
    ] {
        // (On a model this small the index saves nothing: sorting the
        // matches into walk order reads their owners' children.)
        let expected = run_with(&plain, "Hydro", query, &mut Budget::default());
        let calls = indexed.index_calls.get();
        let got = run_with(&indexed, "Hydro", query, &mut Budget::default());
        assert_eq!(got, expected, "query {query}");
        assert_eq!(
            indexed.index_calls.get(),
            calls + 1,
            "query {query} used the index"
        );
    }
    assert_eq!(
        indexed.search("Hydro", "{*}[.Type=Unit]"),
        ["U1", "U2", "U3", "U3a"]
    );
    assert_eq!(indexed.search("Other", "*[.Type=Unit]"), ["Stray"]);
    // Not from a root, with {i}, or without a `.Type=` term: the walk.
    let calls = indexed.index_calls.get();
    assert_eq!(indexed.search("North", "*[.Type=Unit]"), ["U1", "U2", "U3"]);
    assert_eq!(
        indexed.search("Hydro", "*[.type=unit]{i}"),
        ["U1", "U2", "U3"]
    );
    assert_eq!(
        indexed.search("Hydro", "*[.Type=Unit||.Type=Plant]"),
        ["P1", "P2", "p3"]
    );
    assert_eq!(indexed.index_calls.get(), calls);
}

#[test]
fn type_index_saves_visits() {
    // A wide model with few objects of the sought type.
    let mut model = TestModel::default();
    let root = model.root("Root", "M");
    for i in 0..50 {
        let area = model.add(root, "Areas", &format!("A{i}"), "Area");
        for j in 0..20 {
            model.add(area, "Things", &format!("T{i}_{j}"), "Thing");
        }
    }
    let area = model.id("A7");
    model.add(area, "Gates", "Gate", "Gate");
    let mut walked = Budget::default();
    assert_eq!(
        run_with(&model, "Root", "*[.Type=Gate]", &mut walked),
        Ok(vec!["Gate".to_string()])
    );
    model.indexed = true;
    let mut looked_up = Budget::default();
    assert_eq!(
        run_with(&model, "Root", "*[.Type=Gate]", &mut looked_up),
        Ok(vec!["Gate".to_string()])
    );
    assert!(walked.used() > 1000, "{walked:?}");
    assert!(looked_up.used() < 100, "{looked_up:?}");
}

#[test]
fn deep_models_do_not_overflow_the_stack() {
    let mut model = TestModel::default();
    let mut last = model.root("N0", "Node");
    for i in 1..100_000 {
        last = model.add(last, "Next", &format!("N{i}"), "Node");
    }
    let _ = last;
    assert_eq!(model.search("N0", "*"), ["N99999"]);
    assert_eq!(model.search("N99999", "..*"), ["N0"]);
    assert_eq!(model.search("N0", "*[.Name=N99998]"), ["N99998"]);
    assert_eq!(model.search("N0", "Next*"), ["N99999"]);
    assert_eq!(model.search("N99999", "..{*}").len(), 100_000);
}

#[test]
fn the_deepest_query_runs() {
    let model = hydro();
    let criteria = format!(
        "{}.Name=U1{}",
        "[".repeat(MAX_NESTING / 2 - 1),
        "]".repeat(MAX_NESTING / 2 - 1)
    );
    let query = format!("{{*}}[!!{criteria}]");
    // Grandchildren of grandchildren… exist nowhere this deep.
    assert_eq!(model.search("Hydro", &query), Vec::<String>::new());
    let nested = format!("{}@{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert_eq!(model.search("Hydro", &nested), ["Hydro"]);
}

#[test]
fn time_literals() {
    assert_eq!(date_ticks("1970-01-01"), 0);
    assert_eq!(date_ticks("1970-01-02"), 86_400 * 10_000_000);
    assert_eq!(
        date_ticks("2024-01-31T12:00:00Z"),
        1_706_702_400 * 10_000_000
    );
    assert_eq!(date_ticks("2024-02-29 00:00"), 1_709_164_800 * 10_000_000);
    assert_eq!(date_ticks("1969-12-31T23:59:59.9"), -1_000_000);
    assert_eq!(
        date_ticks("2000-03-01T00:00:00.0000001Z"),
        951_868_800 * 10_000_000 + 1
    );
    for bad in [
        "2023-02-29",
        "2024-13-01",
        "2024-1-01",
        "2024-01-01T24:00",
        "2024-01-01T10:00.5",
        "x",
        "",
    ] {
        assert_eq!(crate::search::compare::parse_time(bad), None, "{bad}");
    }
}

/// Random queries from the language's own characters: parsing never panics,
/// and whatever parses runs to an answer or to the budget's end.
#[test]
fn random_queries_never_panic() {
    const PIECES: &[&str] = &[
        "[",
        "]",
        "(",
        ")",
        "@",
        "*",
        "+",
        "{*}",
        "{+}",
        "{i}",
        "{",
        "}",
        ".",
        "..",
        "/",
        "&",
        "&&",
        "|",
        "||",
        "!",
        ",",
        "=",
        "~",
        "#",
        "<",
        "<=",
        ">",
        ">=",
        "\"",
        "'",
        "\\",
        " ",
        "Name",
        "Type",
        "Capacity",
        "Downstream",
        "Twin",
        "Units",
        "U1",
        "1",
        "2.5",
        "true",
        "2001-05-01",
        ".*",
        "Ø",
    ];
    let model = hydro();
    let mut state: u64 = 0x5eed_1234_abcd_0001;
    let mut next = move || {
        // xorshift64*: cheap, deterministic, good enough to pick pieces.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut parsed = 0;
    for _ in 0..20_000 {
        let length = (next() % 12) as usize;
        let query: String = (0..length)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        match parse(&query) {
            Ok(query) => {
                parsed += 1;
                let _ = run(&model, 0, &query, &mut Budget::new(5_000));
            }
            Err(error) => {
                assert!(
                    error.position <= query.chars().count(),
                    "{query:?}: {error}"
                );
                assert!(error.to_string().starts_with("search query: at position "));
            }
        }
    }
    assert!(parsed > 100, "only {parsed} random queries parsed");
}
