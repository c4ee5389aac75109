//! Queries outside the language: where the parser stops and what it says.

use crate::search::{parse, ParseError, MAX_NESTING, MAX_QUERY_BYTES};

fn error(query: &str) -> ParseError {
    match parse(query) {
        Ok(parsed) => panic!("{query:?} parsed as {parsed:?}"),
        Err(error) => error,
    }
}

fn check(query: &str, position: usize, expected: &str, found: &str) {
    let error = error(query);
    assert_eq!(
        (
            error.position,
            error.expected.as_str(),
            error.found.as_str()
        ),
        (position, expected, found),
        "query {query:?}"
    );
}

const STEP: &str = "a search: '@', '[', '*', '+', '{*}', '{+}', '..', '(', '.' or a name";
const AFTER_TRAVERSAL: &str = "'/', '&', '|', '.', a repetition or end of query";

#[test]
fn display_names_position_expectation_and_finding() {
    assert_eq!(
        error("*[.Name=X").to_string(),
        "search query: at position 9: expected ']' but found end of query"
    );
}

#[test]
fn positions_and_expectations() {
    check("", 0, STEP, "end of query");
    check("   ", 3, STEP, "end of query");
    check("a/", 2, STEP, "end of query");
    check("[.Name=X]]", 9, AFTER_TRAVERSAL, "']'");
    check("@ @", 2, AFTER_TRAVERSAL, "'@'");
    check("[]", 1, STEP, "']'");
    check(
        "[.Name=]",
        7,
        "a literal (write \"\" for empty text)",
        "']'",
    );
    check("[.Name=X", 8, "']'", "end of query");
    check("[.Name=X)", 8, "']'", "')'");
    check("[.A .B]", 4, "']'", "'.'");
    check(".A,", 3, "an attribute name", "end of query");
    check(".A.B", 2, "',' or end of query", "'.'");
    check(".", 1, "an attribute name", "end of query");
    check("{x}", 1, "'*', '+' or 'i' after '{'", "'x'");
    check("{*", 2, "'}'", "end of query");
    check(
        "\"x\"",
        0,
        "a name, '@', '[', '*', '+', '..' or '('",
        "'\"'",
    );
    check(
        "[.Name=\"abc]",
        12,
        "the closing \" of the literal started at position 7",
        "end of query",
    );
    check("[.Name=ab\\", 10, "a character after '\\'", "end of query");
    check("(@", 2, "')'", "end of query");
    check("[(.A=1]", 6, "')'", "']'");
    // One repetition per step.
    check("@**", 2, AFTER_TRAVERSAL, "'*'");
    check("[.A]*[.B]", 5, AFTER_TRAVERSAL, "'['");
    // Positions count characters, not bytes.
    check("[.Name=Ø", 8, "']'", "end of query");
    check("ÆØÅ/]", 4, STEP, "']'");
}

#[test]
fn invalid_regular_expressions_are_reported_where_they_start() {
    let unclosed = error("@[.Name#(]");
    assert_eq!(
        (unclosed.position, unclosed.expected.as_str()),
        (8, "a valid regular expression")
    );
    assert!(unclosed.found.starts_with("'('"), "{}", unclosed.found);
    // Unbalanced on its own, even if wrapping it would balance it.
    assert_eq!(error("@[.Name#\"a)|(b\"]").position, 8);
}

#[test]
fn length_is_bounded() {
    let query = "@".repeat(MAX_QUERY_BYTES + 10);
    let error = error(&query);
    assert_eq!(error.position, MAX_QUERY_BYTES);
    assert_eq!(
        error.expected,
        format!("a query of at most {MAX_QUERY_BYTES} bytes")
    );
    assert_eq!(
        error.found,
        format!("a query of {} bytes", MAX_QUERY_BYTES + 10)
    );
    // Long but flat is fine.
    let chain = vec!["@"; 20_000].join("/");
    assert!(parse(&chain).is_ok());
}

#[test]
fn nesting_is_bounded() {
    let ok = format!("{}@{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert!(parse(&ok).is_ok());
    let deep = format!(
        "{}@{}",
        "(".repeat(MAX_NESTING + 1),
        ")".repeat(MAX_NESTING + 1)
    );
    check(
        &deep,
        MAX_NESTING,
        &format!("at most {MAX_NESTING} levels of nesting"),
        "deeper nesting",
    );
    // Brackets, `!` and parentheses all count.
    let mixed = format!("{}{}", "[!(".repeat(30), "]".repeat(30));
    assert_eq!(
        error(&mixed).expected,
        format!("at most {MAX_NESTING} levels of nesting")
    );
    // Far too deep is the same error, not a stack overflow.
    let hostile = "[".repeat(MAX_QUERY_BYTES);
    assert_eq!(error(&hostile).position, MAX_NESTING);
}
