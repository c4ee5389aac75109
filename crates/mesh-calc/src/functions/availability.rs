//! Availability functions: Revision and Restriction read the availability
//! events of the model's objects, which come with the availability issue
//! (issue 22). Until then each answers UNIMPLEMENTED saying so, in every
//! documented form, rather than "unknown function".

use super::{Call, FnError, Function, Signature};
use crate::value::{Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[&REVISION, &RESTRICTION];

fn not_yet(call: &mut Call<'_>, _: Vec<Value>) -> Result<Value, FnError> {
    let _ = call;
    Err(FnError::Unimplemented(
        "the availability functions are not served yet: they come with availability events (revisions and restrictions)".to_string(),
    ))
}

/// `@Revision(s status[, s search])`: 1 during revisions, else 0.
const REVISION: Function = Function {
    name: "Revision",
    signatures: &[
        Signature::new(&[V::String], V::Series),
        Signature::new(&[V::String, V::String], V::Series),
    ],
    body: not_yet,
    extension: None,
};

/// `@Restriction(s category, s status, d|t default, s merge[, s search])`:
/// the restrictions' values as a breakpoint series.
const RESTRICTION: Function = Function {
    name: "Restriction",
    signatures: &[
        Signature::new(&[V::String, V::String, V::Number, V::String], V::Series),
        Signature::new(&[V::String, V::String, V::Series, V::String], V::Series),
        Signature::new(
            &[V::String, V::String, V::Number, V::String, V::String],
            V::Series,
        ),
        Signature::new(
            &[V::String, V::String, V::Series, V::String, V::String],
            V::Series,
        ),
    ],
    body: not_yet,
    extension: None,
};
