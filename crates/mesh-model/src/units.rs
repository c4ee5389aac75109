//! The catalogue of units of measurement the server knows.
//!
//! Ids are name-based UUIDs (version 5) in a namespace of our own, so they
//! are the same on every server and across restarts without being stored.

use std::sync::OnceLock;

use uuid::Uuid;

/// Namespace of mesh-rs unit ids; never change it, or every id changes.
const UNIT_NAMESPACE: Uuid = Uuid::from_u128(0x6d65_7368_2d72_7375_6e69_7473_0000_0001);

const NAMES: &[&str] = &[
    // Length and level
    "mm", "cm", "m", "km", "masl", // Volume and flow
    "m3", "Mm3", "l/s", "m3/s", // Power and energy
    "W", "kW", "MW", "GW", "Wh", "kWh", "MWh", "GWh", "TWh", // Prices and money
    "EUR", "NOK", "SEK", "DKK", "EUR/MWh", "NOK/MWh", "SEK/MWh", "DKK/MWh",
    // Weather and ratios
    "°C", "K", "%", "mm/h", "m/s", "W/m2", "hPa", // Time and counts
    "s", "min", "h", "d", "1",
];

/// One unit of measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    /// Its id, stable across servers and restarts.
    pub id: Uuid,
    /// Its name, e.g. `MW`.
    pub name: &'static str,
}

/// Every unit the server knows, in a fixed order.
pub fn catalogue() -> &'static [Unit] {
    static UNITS: OnceLock<Vec<Unit>> = OnceLock::new();
    UNITS.get_or_init(|| {
        NAMES
            .iter()
            .map(|&name| Unit {
                id: Uuid::new_v5(&UNIT_NAMESPACE, name.as_bytes()),
                name,
            })
            .collect()
    })
}

/// The unit with this id.
pub fn by_id(id: Uuid) -> Option<Unit> {
    catalogue().iter().copied().find(|unit| unit.id == id)
}

/// The unit with this name.
pub fn by_name(name: &str) -> Option<Unit> {
    catalogue().iter().copied().find(|unit| unit.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let ids: std::collections::HashSet<_> = catalogue().iter().map(|u| u.id).collect();
        assert_eq!(ids.len(), NAMES.len());
        // Pinned: a change here breaks every stored series' unit.
        let mw = catalogue().iter().find(|u| u.name == "MW").unwrap();
        assert_eq!(mw.id, Uuid::new_v5(&UNIT_NAMESPACE, b"MW"));
        assert_eq!(by_id(mw.id), Some(*mw));
        for required in [
            "m", "cm", "MW", "MWh", "kW", "kWh", "m3/s", "Mm3", "EUR/MWh", "NOK/MWh", "%", "°C",
        ] {
            assert!(catalogue().iter().any(|u| u.name == required), "{required}");
        }
    }
}
