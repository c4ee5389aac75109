//! Strings, arrays and meta functions: AT, Size, Valid, IsValid, Compare, Concatenate, ToString, MeshID, Linear, TS, SET_TS_VALUNIT.

use super::Function;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[];
