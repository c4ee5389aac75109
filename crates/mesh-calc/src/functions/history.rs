//! History and forecast functions, served with the history issue.

use super::Function;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[];
