//! Every construct of the language on the hydro model, with exact result
//! lists (order included).

use super::model::hydro;

fn check(start: &str, query: &str, expected: &[&str]) {
    let model = hydro();
    assert_eq!(
        model.search(start, query),
        expected,
        "query {query:?} from {start}"
    );
}

#[test]
fn self_and_filter() {
    check("Hydro", "@", &["Hydro"]);
    check("Hydro", "@[.Name=Hydro]", &["Hydro"]);
    check("Hydro", "@[.Name=North]", &[]);
    check("P1", "@[.Type=Plant]", &["P1"]);
}

#[test]
fn child_steps() {
    check("Hydro", "[.Type=Area]", &["North", "South"]);
    // Children only: plants are grandchildren.
    check("Hydro", "[.Type=Plant]", &[]);
    check("North", "[.Type=Plant]", &["P1", "P2"]);
    // A child step whose criterion is a search: areas owning plants.
    check("Hydro", "[Plants]", &["North", "South"]);
}

#[test]
fn relation_steps_follow_attributes() {
    check("Hydro", "Areas", &["North", "South"]);
    check("Hydro", "Areas/Plants/Units", &["U1", "U2", "U3"]);
    check("R1", "Downstream", &["P1"]);
    check("P1", "Downstream", &[]);
    check("R1", "To_Production/To_WaterCourses", &["W1", "W2"]);
    check("R1", "To_Production/To_WaterCourses/@[.Name=W2]", &["W2"]);
    // Names outside brackets are compared exactly.
    check("R1", "downstream", &[]);
}

#[test]
fn composition() {
    check("Hydro", "[.Name=North]/[.Type=Plant]", &["P1", "P2"]);
    check(
        "Hydro",
        "[.Type=Area]/[.Type=Plant]/[.Type=Unit]",
        &["U1", "U2", "U3"],
    );
    check("Hydro", "[.Name=Nowhere]/[.Type=Plant]", &[]);
}

#[test]
fn child_walks_without_criteria() {
    check(
        "Hydro",
        "*",
        &["U1", "U2", "U3a", "R1", "W1", "W2", "R2", "p3"],
    );
    check(
        "Hydro",
        "+",
        &["U1", "U2", "U3a", "R1", "W1", "W2", "R2", "p3"],
    );
    check(
        "Hydro",
        "{*}",
        &[
            "Hydro", "North", "P1", "U1", "U2", "P2", "U3", "U3a", "R1", "W1", "W2", "South", "R2",
            "p3",
        ],
    );
    check(
        "Hydro",
        "{+}",
        &[
            "North", "P1", "U1", "U2", "P2", "U3", "U3a", "R1", "W1", "W2", "South", "R2", "p3",
        ],
    );
    // From a leaf: `*` is the leaf itself, `+` nothing.
    check("U1", "*", &["U1"]);
    check("U1", "+", &[]);
    check("U1", "{*}", &["U1"]);
    check("U1", "{+}", &[]);
}

#[test]
fn child_walks_with_criteria_stop_at_the_nearest_match() {
    check("Hydro", "*[.Type=Unit]", &["U1", "U2", "U3"]);
    check("Hydro", "{*}[.Type=Unit]", &["U1", "U2", "U3", "U3a"]);
    check("Hydro", "+[.Type=Unit]", &["U1", "U2", "U3"]);
    check("Hydro", "{+}[.Type=Unit]", &["U1", "U2", "U3", "U3a"]);
    // The input counts for `*` but not for `+`.
    check("U3", "*[.Type=Unit]", &["U3"]);
    check("U3", "+[.Type=Unit]", &["U3a"]);
    check("U3", "{*}[.Type=Unit]", &["U3", "U3a"]);
    check("U3", "{+}[.Type=Unit]", &["U3a"]);
    check("U3a", "+[.Type=Unit]", &[]);
    check("Hydro", "*[.Type=Plant]", &["P1", "P2", "p3"]);
}

#[test]
fn parent_steps_and_walks() {
    check("U1", "..", &["P1"]);
    check("U1", "../..", &["North"]);
    check("Hydro", "..", &[]);
    check("U1", "../[.Type=Unit]", &["U1", "U2"]);
    check("U1", "..*", &["Hydro"]);
    check("U1", "..+", &["Hydro"]);
    check("Hydro", "..*", &["Hydro"]);
    check("Hydro", "..+", &[]);
    check("U1", "..{*}", &["U1", "P1", "North", "Hydro"]);
    check("U1", "..{+}", &["P1", "North", "Hydro"]);
    check("U1", "..*[.Type=Area]", &["North"]);
    check("U3a", "..*[.Type=Unit]", &["U3a"]);
    check("U3a", "..+[.Type=Unit]", &["U3"]);
    check("U3a", "..{*}[.Type=Unit]", &["U3a", "U3"]);
    check(
        "U3a",
        "..{+}[.Type=Unit||.Type=HydroModel]",
        &["U3", "Hydro"],
    );
    check("U3a", "..+[.Type=Reservoir]", &[]);
}

#[test]
fn union_and_intersection() {
    check(
        "Hydro",
        "[.Name=South]|[.Name=North]|[.Type=Area]",
        &["South", "North"],
    );
    check(
        "Hydro",
        "{*}[.Type=Plant]&{*}[.Capacity>100]",
        &["P1", "P2"],
    );
    check(
        "Hydro",
        "{*}[.Capacity>100]&{*}[.Type=Plant]",
        &["P1", "P2"],
    );
    check("Hydro", "{*}[.Type=Plant]&{*}[.Type=Unit]", &[]);
    // `/` binds tighter than `&`, which binds tighter than `|`.
    check(
        "Hydro",
        "[.Name=South]/*|[.Name=North]/[.Type=Plant]&{*}[.Name=P2]",
        &["R2", "p3", "P2"],
    );
    check(
        "Hydro",
        "([.Name=South]|[.Name=North])/[.Type=Reservoir]",
        &["R2", "R1"],
    );
}

#[test]
fn repetition_follows_relations_to_the_end() {
    check("R2", "Downstream*", &["P1"]);
    check("R2", "Downstream+", &["P1"]);
    check("R2", "Downstream{*}", &["R2", "R1", "P1"]);
    check("R2", "Downstream{+}", &["R1", "P1"]);
    // Zero applications count for `*` only.
    check("P1", "Downstream*", &["P1"]);
    check("P1", "Downstream+", &[]);
    check("P1", "Downstream{*}", &["P1"]);
    // A cycle ends (each object expanded once) and has no end to output.
    check("U1", "Twin{*}", &["U1", "U2"]);
    check("U1", "Twin{+}", &["U1", "U2"]);
    check("U1", "Twin*", &[]);
    // Repetition of a child step: objects whose name contains 'U', down
    // to where no child has one.
    check("P2", "[.Name~U]*", &["U3a"]);
    check("P2", "[.Name~U]{+}", &["U3", "U3a"]);
    // Plants are where it ends: their children are units.
    check(
        "Hydro",
        "([.Type=Area]|[.Type=Plant])*",
        &["P1", "P2", "p3"],
    );
    // Repeating the parent step climbs to the root.
    check("U3a", "..*", &["Hydro"]);
    check("U3a", "(..)*", &["Hydro"]);
}

#[test]
fn numeric_boolean_and_time_comparisons() {
    check("Hydro", "{*}[.Capacity>100]", &["P1", "P2", "U3"]);
    check("Hydro", "{*}[.Capacity>=300]", &["P2", "U3"]);
    check("Hydro", "{*}[.Capacity<=60.5]", &["U1", "U2", "U3a", "p3"]);
    check("Hydro", "{*}[.Capacity<60.5]", &["U1", "U3a", "p3"]);
    check("Hydro", "{*}[.Capacity=120.5]", &["P1"]);
    check("Hydro", "{*}[.UnitCount=2]", &["P1"]);
    check("Hydro", "{*}[.UnitCount>1.5]", &["P1"]);
    check("Hydro", "{*}[.UnitCount<1]", &["p3"]);
    // A literal that is no number matches no number.
    check("Hydro", "{*}[.UnitCount=abc]", &[]);
    check("Hydro", "{*}[.Active=true]", &["P1", "p3"]);
    check("Hydro", "{*}[.Active=FALSE]", &["P2"]);
    check("Hydro", "{*}[.Active=yes]", &[]);
    check("Hydro", "{*}[.Commissioned>=2010-01-01]", &["P2"]);
    check(
        "Hydro",
        "{*}[.Commissioned<2015-10-20T08:30:00.0000001Z]",
        &["P1", "P2"],
    );
    check("Hydro", "{*}[.Commissioned<2015-10-20T08:30:00Z]", &["P1"]);
    check("Hydro", "{*}[.Commissioned=\"2001-05-01\"]", &["P1"]);
    // `~` and `#` are about text only.
    check("Hydro", "{*}[.Capacity~1]", &[]);
}

#[test]
fn text_comparisons() {
    check("Hydro", "{*}[.Code<O]", &["North"]);
    check("Hydro", "{*}[.Code>=S]", &["South"]);
    check("Hydro", "{*}[.Name~3]", &["U3", "U3a", "p3"]);
    // Any value of a collection will do.
    check("Hydro", "{*}[.Tags=old]", &["P1"]);
    check("Hydro", "{*}[.Tags~river]", &["P1"]);
    check("Hydro", "{*}[.Name=\"U3a\"]", &["U3a"]);
    check("Hydro", "{*}[.Name='U3a']", &["U3a"]);
    // Whitespace around a bare literal is not part of it.
    check("Hydro", "{*}[ .Name = U1 ]", &["U1"]);
    check("Hydro", "{*}[.Type=Unit && .Name~2]", &["U2"]);
}

#[test]
fn regular_expressions_match_whole_values() {
    check("Hydro", "{*}[.Name#U[0-9]]", &["U1", "U2", "U3"]);
    check("Hydro", "{*}[.Name#U]", &[]);
    check("Hydro", "{*}[.Name#.*a]", &["U3a"]);
    check("Hydro", "{*}[.Name#(P|R)1]", &["P1", "R1"]);
    check("Hydro", "{*}[.Name#\"[PR]\\d\"]", &["P1", "P2", "R1", "R2"]);
    check("Hydro", "{*}[.Name#[PR]\\d]", &["P1", "P2", "R1", "R2"]);
    check("Hydro", "{*}[.Name#p.*]{i}", &["P1", "P2", "p3"]);
    check("Hydro", "{*}[.Name#p.*]", &["p3"]);
    // The documented way to end a range before more pattern.
    check(
        "Hydro",
        "{*}[.Name#[N-S\\\\].*]",
        &["North", "P1", "P2", "R1", "South", "R2"],
    );
    check("Hydro", "{*}[.Tags#run-.*]", &["P1"]);
    check("Hydro", "{*}[.Capacity#.*]", &[]);
}

#[test]
fn case_insensitive_criteria() {
    check("Hydro", "{*}[.Name=P3]", &[]);
    check("Hydro", "{*}[.Name=P3]{i}", &["p3"]);
    check("Hydro", "{*}[.type=plant]{i}", &["P1", "P2", "p3"]);
    check("Hydro", "{*}[.type=plant]", &[]);
    check("Hydro", "{*}[.capacity>200]{i}", &["P2", "U3"]);
    check("Hydro", "{*}[.capacity>200]", &[]);
    check("Hydro", "{*}[.Tags~RIVER]{I}", &["P1"]);
    check("Hydro", "{*}[downstream=r1]{i}", &["R2"]);
    // `{i}` belongs to its bracket: the nested one compares exactly.
    check(
        "Hydro",
        "{*}[.type=area&&[.Type=Reservoir]]{i}",
        &["North", "South"],
    );
    check("Hydro", "{*}[.type=area&&[.type=reservoir]]{i}", &[]);
    check(
        "Hydro",
        "{*}[.type=area&&[.type=reservoir]{i}]{i}",
        &["North", "South"],
    );
}

#[test]
fn logic_and_existence() {
    check("Hydro", "{*}[.Volume]", &["R1", "R2"]);
    check("Hydro", "{*}[.Volume&&!.Level]", &["R2"]);
    check(
        "Hydro",
        "{*}[!.Capacity]",
        &["Hydro", "North", "R1", "W1", "W2", "South", "R2"],
    );
    // `&&` binds tighter than `||`.
    check(
        "Hydro",
        "{*}[.Type=Plant||.Type=Reservoir&&.Volume<100]",
        &["P1", "P2", "R2", "p3"],
    );
    check(
        "Hydro",
        "{*}[(.Type=Plant||.Type=Reservoir)&&.Name~2]",
        &["P2", "R2"],
    );
    check(
        "Hydro",
        "{*}[!(.Type=Unit||.Type=Plant)&&.Name~1]",
        &["R1", "W1"],
    );
    check("Hydro", "{*}[!!.Volume]", &["R1", "R2"]);
    // `...Attr` is the owner's attribute.
    check("Hydro", "{*}[...Code=S]", &["R2", "p3"]);
    check("Hydro", "{*}[.Type=Unit&&!...UnitCount]", &["U3a"]);
    // Nested child criteria: areas with a large reservoir.
    check("Hydro", "[.Type=Area&&[.Volume>100]]", &["North"]);
    // `.Name` and `.Type` always exist.
    check("Hydro", "[.Name]", &["North", "South"]);
}

#[test]
fn relations_inside_criteria() {
    check("Hydro", "{*}[Downstream.Name=P1]", &["R1"]);
    check("Hydro", "{*}[Downstream.Type=Reservoir]", &["R2"]);
    // A search with no attribute compares the names of what it finds.
    check("Hydro", "{*}[Downstream=R1]", &["R2"]);
    // A relation attribute's values are its targets' names.
    check("Hydro", "{*}[.Downstream=P1]", &["R1"]);
    check("Hydro", "{*}[Downstream]", &["R1", "R2"]);
    check("Hydro", "{*}[Downstream/Downstream]", &["R2"]);
    check("Hydro", "{*}[Twin.Capacity>60.2]", &["U1"]);
    check("Hydro", "{*}[Units.Capacity>=300]", &["P2"]);
}

#[test]
fn attribute_selection() {
    check(
        "Hydro",
        "{*}.Capacity",
        &[
            "P1.Capacity",
            "U1.Capacity",
            "U2.Capacity",
            "P2.Capacity",
            "U3.Capacity",
            "U3a.Capacity",
            "p3.Capacity",
        ],
    );
    check(
        "Hydro",
        "*[.Name=P1].Capacity,Missing,UnitCount,Capacity",
        &["P1.Capacity", "P1.UnitCount"],
    );
    check("Hydro", "[.Type=Area].Code", &["North.Code", "South.Code"]);
    check("North", ".Code", &["North.Code"]);
    check("R1", "To_Production.Capacity", &["P1.Capacity"]);
    check(
        "Hydro",
        "{*}[.Type=Reservoir].Volume,Level",
        &["R1.Volume", "R1.Level", "R2.Volume"],
    );
    // Relations are attributes too.
    check(
        "Hydro",
        "{*}.Downstream",
        &["R1.Downstream", "R2.Downstream"],
    );
    // Selection is of real attributes, compared exactly.
    check("Hydro", "{*}.Name", &[]);
    check("Hydro", "{*}.capacity", &[]);
}
