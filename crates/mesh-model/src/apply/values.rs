//! The rules of simple values: their kind, the range and the allowed values
//! of their definition, and how many an attribute holds.

use crate::definitions::{AttributeDefinition, AttributeType, DefinitionRules, TypeKind};
use crate::error::{ModelError, Result};
use crate::value::{Value, ValueType};

impl AttributeDefinition {
    /// The values a new attribute of this definition holds: the default for
    /// a singular simple attribute (the kind's zero when there is none),
    /// as many defaults as the minimum cardinality for a collection,
    /// nothing for other kinds.
    pub fn initial_values(&self, base: &AttributeType) -> Vec<Value> {
        let (DefinitionRules::Simple { default, .. }, TypeKind::Simple { value_type, .. }) =
            (&self.rules, &base.kind)
        else {
            return Vec::new();
        };
        let one = default.clone().unwrap_or_else(|| zero(*value_type));
        let count = if self.is_collection() {
            usize::try_from(self.minimum_cardinality)
                .unwrap_or(0)
                .min(1024)
        } else {
            1
        };
        vec![one; count]
    }
}

fn zero(value_type: ValueType) -> Value {
    match value_type {
        ValueType::Int => Value::Int(0),
        ValueType::Double => Value::Double(0.0),
        ValueType::Bool => Value::Bool(false),
        ValueType::UtcTime => Value::UtcTime(0),
        _ => Value::String(String::new()),
    }
}

/// Checks that a definition's rules fit its type: the same kind, and a
/// default, bounds and allowed values of the type's value kind, the default
/// within them.
pub(super) fn check_rules(base: &AttributeType, definition: &AttributeDefinition) -> Result<()> {
    let name = &base.name;
    let fits = matches!(
        (&base.kind, &definition.rules),
        (TypeKind::Simple { .. }, DefinitionRules::Simple { .. })
            | (
                TypeKind::Timeseries { .. },
                DefinitionRules::Timeseries { .. }
            )
            | (
                TypeKind::OwnershipRelation { .. },
                DefinitionRules::OwnershipRelation
            )
            | (
                TypeKind::LinkRelation { .. },
                DefinitionRules::LinkRelation { .. }
            )
            | (TypeKind::RatingCurve, DefinitionRules::RatingCurve)
            | (TypeKind::XySet { .. }, DefinitionRules::XySet { .. })
    );
    if !fits {
        return Err(ModelError::Invalid(format!(
            "attribute type {name} holds {} values: an attribute definition of another kind cannot be based on it",
            base.kind.value_type().describe()
        )));
    }
    let (
        DefinitionRules::Simple {
            default,
            minimum,
            maximum,
            allowed,
        },
        TypeKind::Simple { value_type, .. },
    ) = (&definition.rules, &base.kind)
    else {
        return Ok(());
    };
    let kind_of = |what: &str, value: &Value| -> Result<()> {
        if value.value_type() != *value_type {
            return Err(ModelError::Invalid(format!(
                "attribute {name}: its {what} {value} is {} value, but the attribute holds {} values",
                value.value_type().with_article(),
                value_type.describe()
            )));
        }
        Ok(())
    };
    for (what, bound) in [("minimum", minimum), ("maximum", maximum)] {
        if let Some(bound) = bound {
            kind_of(what, bound)?;
            if !matches!(
                value_type,
                ValueType::Int | ValueType::Double | ValueType::UtcTime
            ) {
                return Err(ModelError::Invalid(format!(
                    "attribute {name}: {} values have no {what}",
                    value_type.describe()
                )));
            }
        }
    }
    if let (Some(low), Some(high)) = (minimum, maximum) {
        if low.partial_cmp_same(high) == Some(std::cmp::Ordering::Greater) {
            return Err(ModelError::Invalid(format!(
                "attribute {name}: its minimum {low} is above its maximum {high}"
            )));
        }
    }
    for value in allowed {
        kind_of("allowed value", value)?;
    }
    if let Some(default) = default {
        kind_of("default value", default)?;
        check_value(name, definition, default).map_err(|e| {
            ModelError::Invalid(format!("{e} (as the default value of its definition)"))
        })?;
    }
    Ok(())
}

/// Checks values given to an attribute: of its kind, as many as it may
/// hold, each within its definition's bounds and allowed values.
pub fn check_values(
    name: &str,
    base: &AttributeType,
    definition: &AttributeDefinition,
    values: &[Value],
) -> Result<()> {
    let TypeKind::Simple { value_type, .. } = &base.kind else {
        return Err(ModelError::Invalid(format!(
            "attribute {name} holds {} values, not simple ones",
            base.kind.value_type().describe()
        )));
    };
    let count = i64::try_from(values.len()).unwrap_or(i64::MAX);
    if !definition.is_collection() && values.len() != 1 {
        return Err(ModelError::Invalid(format!(
            "attribute {name} holds a single value; {} were given. Check if you correctly applied the singular value/collection values",
            values.len()
        )));
    }
    if definition.is_collection()
        && (count < definition.minimum_cardinality
            || (definition.maximum_cardinality > 0 && count > definition.maximum_cardinality))
    {
        return Err(ModelError::Invalid(format!(
            "attribute {name} holds {}..{} values; {count} were given",
            definition.minimum_cardinality,
            if definition.maximum_cardinality == 0 {
                "any number of".to_string()
            } else {
                definition.maximum_cardinality.to_string()
            }
        )));
    }
    for value in values {
        if value.value_type() != *value_type {
            return Err(ModelError::Invalid(format!(
                "attribute {name} holds {} values; {value} is {} value",
                value_type.describe(),
                value.value_type().with_article()
            )));
        }
        check_value(name, definition, value)?;
    }
    Ok(())
}

fn check_value(name: &str, definition: &AttributeDefinition, value: &Value) -> Result<()> {
    let DefinitionRules::Simple {
        minimum,
        maximum,
        allowed,
        ..
    } = &definition.rules
    else {
        return Ok(());
    };
    use std::cmp::Ordering::{Greater, Less};
    if let Some(low) = minimum {
        if value.partial_cmp_same(low) == Some(Less) {
            return Err(ModelError::Invalid(format!(
                "value {value} of attribute {name} is below its minimum {low}"
            )));
        }
    }
    if let Some(high) = maximum {
        if value.partial_cmp_same(high) == Some(Greater) {
            return Err(ModelError::Invalid(format!(
                "value {value} of attribute {name} is above its maximum {high}"
            )));
        }
    }
    if !allowed.is_empty() && !allowed.contains(value) {
        let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        return Err(ModelError::Invalid(format!(
            "value {value} of attribute {name} is not one of its allowed values: {}",
            list.join(", ")
        )));
    }
    Ok(())
}
