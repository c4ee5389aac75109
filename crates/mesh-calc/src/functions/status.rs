//! Status flag functions: RESET_STATUS, STATUS_MASK, STATUS_COUNT.

use super::Function;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[];
