//! The function library's entry point: names, signatures, dispatch by
//! argument types.
//!
//! Every function has one or more signatures (calc notes §2.3); a call
//! runs the first whose parameter types equal the argument types. Only
//! the core's needs are here yet: `@t` (the lookup), `@ABS`, `@SUM`.

mod basic;

use crate::context::{Context, Interval};
use crate::value::{Value, ValueType};

/// One form of a function.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// Parameter types in order.
    pub params: &'static [ValueType],
    /// The result type.
    pub returns: ValueType,
}

/// What a function body may use.
pub struct Call<'a> {
    /// The data port.
    pub context: &'a dyn Context,
    /// The requested interval.
    pub interval: Interval,
    /// Index of the matched signature in [`Function::signatures`].
    pub form: usize,
}

/// A function body: arguments (of the matched form's types) to a value, or
/// a message.
pub type Body = fn(&Call<'_>, Vec<Value>) -> Result<Value, String>;

/// A function of the library.
pub struct Function {
    /// The name as documented (`SUM`).
    pub name: &'static str,
    /// Its forms.
    pub signatures: &'static [Signature],
    /// Its body.
    pub body: Body,
}

impl Function {
    /// `ABS(d) -> d, ABS(t) -> t`, for messages.
    pub fn forms(&self) -> String {
        self.signatures
            .iter()
            .map(|s| {
                let params: String = s.params.iter().map(|p| p.letter()).collect();
                format!("{}({params}) -> {}", self.name, s.returns.letter())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const LIBRARY: &[&Function] = &[&basic::LOOKUP_T, &basic::ABS, &basic::SUM];

/// The function called `name`. The one-letter lookups (`t`, `T`, `d`,
/// …) are distinct functions by case (§2.2), so they match exactly; all
/// other names match in any case (the docs write them in mixed case).
pub fn lookup(name: &str) -> Option<&'static Function> {
    LIBRARY.iter().copied().find(|f| {
        if f.name.len() == 1 {
            f.name == name
        } else {
            f.name.eq_ignore_ascii_case(name)
        }
    })
}

/// Runs `name` on `args`: the message names the function and its forms
/// when no form fits, or says the function is unknown.
pub fn call(
    name: &str,
    context: &dyn Context,
    interval: Interval,
    args: Vec<Value>,
) -> Result<Value, String> {
    let function =
        lookup(name).ok_or_else(|| format!("unknown function '@{}'", crate::error::quote(name)))?;
    let types: Vec<ValueType> = args.iter().map(Value::value_type).collect();
    let form = function
        .signatures
        .iter()
        .position(|s| s.params == types.as_slice())
        .ok_or_else(|| {
            let given: String = types.iter().map(|t| t.letter()).collect();
            format!(
                "@{} takes no arguments of types ({given}); its forms are {}",
                function.name,
                function.forms()
            )
        })?;
    (function.body)(
        &Call {
            context,
            interval,
            form,
        },
        args,
    )
}
