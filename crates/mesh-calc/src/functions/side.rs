//! Side effects: PDLOG, Trace, DisableCache, Parameter.

use super::Function;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[];
