//! Logical functions: BOOL, NOT, INSIDE, OUTSIDE, POSITIVE, NEGATIVE, MIX, MIX0.

use super::Function;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[];
