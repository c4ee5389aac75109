//! The README's list of served functions is the library's: every function
//! the engine serves is named there.

use mesh_calc::functions;

#[test]
fn the_readme_names_every_function_served() {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("Served: the lookups")
        .expect("the README has its list of served functions");
    let end = start
        + readme[start..]
            .find("A function not served answers")
            .expect("the list ends with the sentence on functions not served");
    let list = &readme[start..end];
    let words: Vec<&str> = list
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    let missing: Vec<&str> = functions::all()
        .map(|f| f.name)
        .filter(|name| !words.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "served but not in the README: {missing:?}"
    );
}
