//! The rules of XY sets and rating curves.

use uuid::Uuid;

use crate::curves::{
    check_rating_curve, check_starts, check_xy_set, in_force, replace_in, Interval,
    RatingCurveVersion, XySet,
};
use crate::definitions::{DefinitionRules, TypeKind};
use crate::error::{ModelError, Result};
use crate::model::Model;
use crate::objects::Held;
use crate::records::Dirty;

impl Model {
    /// The XY sets of attribute `attribute`: the one set of an unversioned
    /// attribute (empty when never set; `interval` must then be `None`),
    /// or those of a versioned one in force during `interval` (required).
    pub fn xy_sets(&self, attribute: Uuid, interval: Option<Interval>) -> Result<Vec<XySet>> {
        let found = self.find_attribute(attribute)?;
        let name = &found.attribute_type.name;
        let versioned = xy_versioned(&found.attribute_type.kind, &found.definition.rules, name)?;
        let present = match found.slot.held.as_deref() {
            Some(Held::XySets(present)) => present.as_slice(),
            _ => &[],
        };
        match (versioned, interval) {
            (true, Some(interval)) => Ok(in_force(present, interval)),
            (true, None) => Err(ModelError::Invalid(format!(
                "interval must have a value when reading XYZSeriesAttribute {name}"
            ))),
            (false, None) => Ok(vec![present.first().cloned().unwrap_or(XySet {
                valid_from: None,
                curves: Vec::new(),
            })]),
            (false, Some(interval)) => Err(ModelError::Invalid(format!(
                "interval must be empty when reading XYSetAttribute {name} (it is {interval}): it holds one XY set, without versions"
            ))),
        }
    }

    /// The rating curve versions of attribute `attribute` in force during
    /// `interval`.
    pub fn rating_curve(
        &self,
        attribute: Uuid,
        interval: Interval,
    ) -> Result<Vec<RatingCurveVersion>> {
        let found = self.find_attribute(attribute)?;
        rating_curve_attribute(&found.attribute_type.kind, &found.attribute_type.name)?;
        match found.slot.held.as_deref() {
            Some(Held::RatingCurve(present)) => Ok(in_force(present, interval)),
            _ => Ok(Vec::new()),
        }
    }

    pub(super) fn set_xy_sets(
        &mut self,
        attribute: Uuid,
        interval: Option<Interval>,
        sets: &[XySet],
        dirty: &mut Dirty,
    ) -> Result<()> {
        let found = self.find_attribute(attribute)?;
        let name = found.attribute_type.name.clone();
        let versioned = xy_versioned(&found.attribute_type.kind, &found.definition.rules, &name)?;
        let mut sets = sets.to_vec();
        for set in &mut sets {
            check_xy_set(set, &name)?;
        }
        let held = if versioned {
            let interval = interval.ok_or_else(|| {
                ModelError::Invalid(format!(
                    "interval must have a value when updating XYZSeriesAttribute {name}"
                ))
            })?;
            if let Some(position) = sets.iter().position(|s| s.valid_from.is_none()) {
                return Err(ModelError::Invalid(format!(
                    "XY set {position} of the update must have a valid_from_time when updating XYZSeriesAttribute {name}"
                )));
            }
            check_starts(&sets, interval, "XY sets", "duplicate timestamps")?;
            let present = match found.slot.held.as_deref() {
                Some(Held::XySets(present)) => present.clone(),
                _ => Vec::new(),
            };
            let merged = replace_in(&present, interval, sets);
            (!merged.is_empty()).then_some(Held::XySets(merged))
        } else {
            if let Some(interval) = interval {
                return Err(ModelError::Invalid(format!(
                    "interval must be empty when updating XYSetAttribute {name} (it is {interval}): it holds one XY set, without versions"
                )));
            }
            if sets.len() > 1 {
                return Err(ModelError::Invalid(format!(
                    "xy_sets must have zero or one element when updating XYSetAttribute {name}; {} were given",
                    sets.len()
                )));
            }
            if sets.iter().any(|s| s.valid_from.is_some()) {
                return Err(ModelError::Invalid(format!(
                    "valid_from_time cannot be set when updating unversioned XY set attribute {name}"
                )));
            }
            sets.pop()
                .filter(|set| !set.curves.is_empty())
                .map(|set| Held::XySets(vec![set]))
        };
        self.put_held(attribute, held, dirty)
    }

    pub(super) fn set_rating_curve(
        &mut self,
        attribute: Uuid,
        interval: Interval,
        versions: &[RatingCurveVersion],
        dirty: &mut Dirty,
    ) -> Result<()> {
        let found = self.find_attribute(attribute)?;
        let name = found.attribute_type.name.clone();
        rating_curve_attribute(&found.attribute_type.kind, &name)?;
        if let Some(pair) = versions
            .windows(2)
            .find(|pair| pair[0].valid_from > pair[1].valid_from)
        {
            return Err(ModelError::Invalid(format!(
                "new rating curve versions are not sorted by valid_from_time: {} comes before {}",
                crate::curves::show_time(pair[0].valid_from),
                crate::curves::show_time(pair[1].valid_from)
            )));
        }
        check_starts(
            versions,
            interval,
            "rating curve versions",
            "duplicate valid_from_time timestamps",
        )?;
        let mut versions = versions.to_vec();
        for version in &mut versions {
            check_rating_curve(version)?;
        }
        let present = match found.slot.held.as_deref() {
            Some(Held::RatingCurve(present)) => present.clone(),
            _ => Vec::new(),
        };
        let merged = replace_in(&present, interval, versions);
        let held = (!merged.is_empty()).then_some(Held::RatingCurve(merged));
        self.put_held(attribute, held, dirty)
    }
}

/// Refuses an attribute that holds no rating curves.
fn rating_curve_attribute(kind: &TypeKind, name: &str) -> Result<()> {
    if matches!(kind, TypeKind::RatingCurve) {
        return Ok(());
    }
    Err(ModelError::Invalid(format!(
        "unexpected kind: attribute {name} holds {} values, not rating curves",
        kind.value_type().describe()
    )))
}

/// Whether an XY set attribute is versioned; the error saying what it is
/// when it holds no XY sets.
pub(crate) fn xy_versioned(kind: &TypeKind, rules: &DefinitionRules, name: &str) -> Result<bool> {
    match (kind, rules) {
        (TypeKind::XySet { .. }, DefinitionRules::XySet { versioned, .. }) => Ok(*versioned),
        _ => Err(ModelError::Invalid(format!(
            "unexpected kind: attribute {name} holds {} values, not XY sets",
            kind.value_type().describe()
        ))),
    }
}
