//! Validation and correction: the Validate* and Correct* functions, TS_IQ_FILL.

use super::Function;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[];
