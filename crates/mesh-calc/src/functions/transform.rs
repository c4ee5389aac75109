//! TRANSFORM and the resolution changes built on it (TS_EXPAND, DISTRIBUTE, TRANS_PROFILE).

use super::Function;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[];
