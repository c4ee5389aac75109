//! Curves of the model: RatingCurve, XY, YX, GET_Y_FX.

use super::Function;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[];
