//! Time specifications and the time functions (Time, TimeSpan, the time-point family, TIME_MASK), and the period functions (PushExtPeriod, PopExtPeriod).

use super::Function;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[];
