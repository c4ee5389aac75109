//! Tests of the search language: a test model, the constructs one by one,
//! the Python SDK's queries, parse errors, limits and random input.

mod language;
mod limits;
mod model;
mod parse_errors;
mod sdk;
