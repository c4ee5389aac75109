//! Shifts in time and windows over it: DELTA, TS_OFFSET, ACCUMULATE, the gliding averages and medians.

use super::Function;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[];
