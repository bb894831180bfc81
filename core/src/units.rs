//! Unit normalisation (docs/engine.md §4): a quantity's value times its unit's factor gives the value in
//! the base unit of the unit's group. Unlike the original, a unit must exist and belong to a
//! group that can apply to the field (bugs B12, B15).

use crate::master::{MasterData, UnitOfMeasure};

/// Unit group ids (docs/engine.md §4.2).
pub mod group {
    pub const CAPACITY: i32 = 1;
    pub const DENSITY: i32 = 2;
    pub const PRICE_PER_MASS: i32 = 3;
    pub const PRICE_PER_POWER: i32 = 4;
    pub const CI_PER_MASS: i32 = 5;
    pub const CI_PER_POWER: i32 = 6;
    pub const ENERGY_PER_MASS: i32 = 7;
    pub const YIELD_PER_MASS: i32 = 8;
    pub const YIELD_PER_POWER: i32 = 9;
    pub const PRICE_PER_CI: i32 = 10;
    pub const CURRENCY: i32 = 11;
    pub const PERCENT: i32 = 12;
}

/// Which unit groups a quantity field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityKind {
    /// Plant capacity: mass per time.
    Capacity,
    /// Feedstock and product prices: per mass.
    MassPrice,
    /// Feedstock carbon intensity: per mass.
    MassCarbonIntensity,
    /// Utility prices: per mass (hydrogen) or per energy (electricity).
    UtilityPrice,
    /// Utility carbon intensities: per mass (hydrogen) or per energy (electricity).
    UtilityCarbonIntensity,
}

impl QuantityKind {
    pub fn groups(self) -> &'static [i32] {
        match self {
            QuantityKind::Capacity => &[group::CAPACITY],
            QuantityKind::MassPrice => &[group::PRICE_PER_MASS],
            QuantityKind::MassCarbonIntensity => &[group::CI_PER_MASS],
            QuantityKind::UtilityPrice => &[group::PRICE_PER_MASS, group::PRICE_PER_POWER],
            QuantityKind::UtilityCarbonIntensity => &[group::CI_PER_MASS, group::CI_PER_POWER],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            QuantityKind::Capacity => "a capacity unit (t/yr, kt/yr, kta)",
            QuantityKind::MassPrice => "a price-per-mass unit (usd/t, usd/kg, usd/kt)",
            QuantityKind::MassCarbonIntensity => {
                "a carbon-intensity-per-mass unit (gco2/kg, kgco2/t)"
            }
            QuantityKind::UtilityPrice => {
                "a price per mass (usd/t, usd/kg, usd/kt) or per energy (usd/kwh, usd/mwh)"
            }
            QuantityKind::UtilityCarbonIntensity => {
                "a carbon intensity per mass (gco2/kg, kgco2/t) or per energy (gco2/kwh, kgco2/mwh)"
            }
        }
    }
}

/// Why a unit id cannot be used for a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitProblem {
    Unknown,
    WrongGroup(String),
}

/// The factor converting a value in `unit_id` to its group's base unit, if the unit can be
/// used for a field of `kind`.
pub fn factor_for(
    master: &MasterData,
    unit_id: i32,
    kind: QuantityKind,
) -> Result<f64, UnitProblem> {
    let unit = master.unit(unit_id).ok_or(UnitProblem::Unknown)?;
    if !kind.groups().contains(&unit.unit_group_id) {
        return Err(UnitProblem::WrongGroup(unit.name.clone()));
    }
    Ok(factor(unit))
}

/// A stored factor of 0 would silently zero the value; the original falls back to 1.0.
fn factor(unit: &UnitOfMeasure) -> f64 {
    if unit.conversion_factor == 0.0 {
        1.0
    } else {
        unit.conversion_factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: i32, kind: QuantityKind) -> Result<f64, UnitProblem> {
        factor_for(MasterData::builtin(), id, kind)
    }

    #[test]
    fn every_accepted_unit_converts_with_the_spec_factor() {
        use QuantityKind::*;
        let table = [
            (1, Capacity, 1.0),
            (2, Capacity, 1000.0),
            (3, Capacity, 1000.0),
            (6, MassPrice, 1.0),
            (7, MassPrice, 1000.0),
            (8, MassPrice, 0.001),
            (9, UtilityPrice, 1.0),
            (10, UtilityPrice, 0.001),
            (6, UtilityPrice, 1.0),
            (7, UtilityPrice, 1000.0),
            (11, MassCarbonIntensity, 1.0),
            (12, MassCarbonIntensity, 1.0),
            (13, UtilityCarbonIntensity, 1.0),
            (14, UtilityCarbonIntensity, 1.0),
            (11, UtilityCarbonIntensity, 1.0),
        ];
        for (id, kind, factor) in table {
            assert_eq!(f(id, kind), Ok(factor), "unit {id} as {kind:?}");
        }
    }

    #[test]
    fn unknown_units_and_wrong_groups_are_rejected() {
        assert_eq!(f(0, QuantityKind::Capacity), Err(UnitProblem::Unknown));
        assert_eq!(f(26, QuantityKind::MassPrice), Err(UnitProblem::Unknown));
        assert_eq!(
            f(24, QuantityKind::Capacity),
            Err(UnitProblem::WrongGroup("musd".into()))
        );
        assert_eq!(
            f(9, QuantityKind::MassPrice),
            Err(UnitProblem::WrongGroup("usd/kwh".into()))
        );
        assert_eq!(
            f(13, QuantityKind::MassCarbonIntensity),
            Err(UnitProblem::WrongGroup("gco2/kwh".into()))
        );
        assert_eq!(
            f(1, QuantityKind::UtilityPrice),
            Err(UnitProblem::WrongGroup("t/yr".into()))
        );
    }
}
