//! The function library: names, signatures, dispatch by argument types.
//!
//! Every function has one or more signatures (calc notes §2.3); a call
//! runs the first whose parameter types equal the argument types. The
//! library is cut by subject, one module each; every module exports its
//! `FUNCTIONS`, and [`lookup`] searches them all.

mod availability;
mod forecast;
mod history;
mod hydro;
mod logic;
mod lookup;
mod math;
mod profile;
mod quality;
mod shift;
mod side;
mod statistics;
mod status;
mod text;
mod time;
mod transform;

use crate::context::{Context, Interval};
use crate::error::ContextError;
use crate::value::{Value, ValueType};
use crate::Settings;

/// One form of a function.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// Parameter types in order.
    pub params: &'static [ValueType],
    /// The result type.
    pub returns: ValueType,
}

impl Signature {
    /// The form taking `params` and answering `returns`.
    pub const fn new(params: &'static [ValueType], returns: ValueType) -> Signature {
        Signature { params, returns }
    }
}

/// The periods an evaluation reads over: the requested interval, and the
/// ones `@PushExtPeriod` put on top of it (calc notes §3.3).
#[derive(Debug, Clone)]
pub struct Periods {
    requested: Interval,
    pushed: Vec<(String, Interval)>,
}

impl Periods {
    /// Only the requested interval.
    pub fn new(requested: Interval) -> Periods {
        Periods {
            requested,
            pushed: Vec::new(),
        }
    }

    /// The interval the request asked for.
    pub fn requested(&self) -> Interval {
        self.requested
    }

    /// The period reads use now: the last one pushed, else the requested.
    pub fn current(&self) -> Interval {
        self.pushed.last().map_or(self.requested, |(_, i)| *i)
    }

    /// Makes `interval` current under `name`.
    pub fn push(&mut self, name: String, interval: Interval) {
        self.pushed.push((name, interval));
    }

    /// Drops the period pushed under `name` (and those pushed after it);
    /// whether there was one.
    pub fn pop(&mut self, name: &str) -> bool {
        match self.pushed.iter().rposition(|(n, _)| n == name) {
            Some(i) => {
                self.pushed.truncate(i);
                true
            }
            None => false,
        }
    }

    /// How many periods are pushed (bounded by the evaluator).
    pub fn depth(&self) -> usize {
        self.pushed.len()
    }
}

/// What a function body may use.
pub struct Call<'a> {
    /// The data port.
    pub context: &'a dyn Context,
    /// The period this call reads and answers over.
    pub interval: Interval,
    /// Zones and the clock.
    pub settings: &'a Settings,
    /// The periods stack, for `@PushExtPeriod` / `@PopExtPeriod`.
    pub periods: &'a mut Periods,
    /// Index of the matched signature in [`Function::signatures`].
    pub form: usize,
    /// Points the evaluation may still make: a body that allocates a
    /// result of its own size (TRANSFORM to a finer resolution, TS)
    /// checks it first with [`Call::allow`].
    pub points_left: usize,
}

impl Call<'_> {
    /// Refuses a result of `points` points beyond the evaluation's budget,
    /// before it is allocated.
    pub fn allow(&self, points: usize) -> Result<(), FnError> {
        if points > self.points_left {
            return Err(FnError::Limit(format!(
                "the result would hold {points} points, more than the {} the evaluation may still make",
                self.points_left
            )));
        }
        Ok(())
    }
}

/// Why a function call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum FnError {
    /// The arguments are wrong (a bad symbol, an out-of-range number).
    Invalid(String),
    /// The function exists in the language but is not served.
    Unimplemented(String),
    /// The call would exceed the point budget.
    Limit(String),
    /// The data port failed.
    Context(ContextError),
}

impl From<String> for FnError {
    fn from(message: String) -> Self {
        FnError::Invalid(message)
    }
}

impl From<&str> for FnError {
    fn from(message: &str) -> Self {
        FnError::Invalid(message.to_string())
    }
}

impl From<ContextError> for FnError {
    fn from(error: ContextError) -> Self {
        FnError::Context(error)
    }
}

/// A function body: arguments (of the matched form's types) to a value.
pub type Body = fn(&mut Call<'_>, Vec<Value>) -> Result<Value, FnError>;

/// Given the arguments as read over the call's period, the wider period
/// they must be read over (calc notes §3.3: DELTA needs the step before,
/// gliding windows their half width); `None` when the period suffices.
/// The evaluator then reads the arguments again over that period and runs
/// the body with [`Call::interval`] still the call's own period.
pub type Extension = fn(&Call<'_>, &[Value]) -> Option<Interval>;

/// A function of the library.
pub struct Function {
    /// The name as documented (`SUM`).
    pub name: &'static str,
    /// Its forms.
    pub signatures: &'static [Signature],
    /// Its body.
    pub body: Body,
    /// Its need for data outside the period, if any.
    pub extension: Option<Extension>,
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

    /// The index of the form taking `types`, or the message saying which
    /// forms there are.
    pub fn form(&self, types: &[ValueType]) -> Result<usize, FnError> {
        self.signatures
            .iter()
            .position(|s| s.params == types)
            .ok_or_else(|| {
                let given: String = types.iter().map(|t| t.letter()).collect();
                FnError::Invalid(format!(
                    "@{} takes no arguments of types ({given}); its forms are {}",
                    self.name,
                    self.forms()
                ))
            })
    }
}

/// Every module's functions.
const LIBRARY: &[&[&Function]] = &[
    availability::FUNCTIONS,
    forecast::FUNCTIONS,
    history::FUNCTIONS,
    hydro::FUNCTIONS,
    logic::FUNCTIONS,
    lookup::FUNCTIONS,
    math::FUNCTIONS,
    profile::FUNCTIONS,
    quality::FUNCTIONS,
    shift::FUNCTIONS,
    side::FUNCTIONS,
    statistics::FUNCTIONS,
    status::FUNCTIONS,
    text::FUNCTIONS,
    time::FUNCTIONS,
    transform::FUNCTIONS,
];

/// Every function served, for listings (tests/readme.rs checks the README's
/// list against it).
pub fn all() -> impl Iterator<Item = &'static Function> {
    LIBRARY.iter().flat_map(|m| m.iter().copied())
}

/// The function called `name`. The one-letter lookups (`t`, `T`, `d`,
/// …) are distinct functions by case (§2.2), so they match exactly; all
/// other names match in any case (the docs write them in mixed case).
pub fn lookup(name: &str) -> Option<&'static Function> {
    all().find(|f| {
        if f.name.len() == 1 {
            f.name == name
        } else {
            f.name.eq_ignore_ascii_case(name)
        }
    })
}
