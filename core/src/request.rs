//! The calculation request: the document the dashboard sends, after parsing and validation.
//!
//! Values are kept as sent (the echo in `resolvedInputs` shows them unchanged); each
//! [`Quantity`] also carries its value converted to the base unit of its group.

use serde::Serialize;

/// A value with its unit of measure, e.g. a price in `usd/kg`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quantity {
    pub value: f64,
    pub unit_id: i32,
    /// `value × conversion_factor(unit_id)`: the value in its group's base unit.
    #[serde(skip)]
    pub base: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversionPlant {
    pub plant_capacity: Quantity,
    pub annual_load_hours: f64,
    pub ci_process_default: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EconomicParameters {
    pub project_lifetime_years: i64,
    pub discount_rate_percent: f64,
    pub tci_ref_musd: Option<f64>,
    pub reference_capacity_ktpa: Option<f64>,
    pub tci_scaling_exponent: f64,
    pub working_capital_tci_ratio: f64,
    pub indirect_opex_tci_ratio: f64,
}

/// A feedstock or a utility: both have the same fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Material {
    pub name: String,
    pub price: Quantity,
    pub carbon_content: f64,
    pub carbon_intensity: Quantity,
    pub energy_content: f64,
    pub yield_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductInput {
    pub name: String,
    pub price: Quantity,
    pub price_sensitivity_to_ci: f64,
    pub carbon_content: f64,
    pub energy_content: f64,
    pub yield_percent: f64,
    pub product_density: f64,
}

/// A complete, validated calculation request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalcRequest {
    pub process_id: i32,
    pub feedstock_id: i32,
    pub country_id: i32,
    pub conversion_plant: ConversionPlant,
    pub economic_parameters: EconomicParameters,
    pub feedstock_data: Vec<Material>,
    pub utility_data: Vec<Material>,
    pub product_data: Vec<ProductInput>,
}

/// Rule R2 of the spec: a yield above 1.0 is a percentage, anything else is already a ratio.
pub fn percent_or_ratio(v: f64) -> f64 {
    if v > 1.0 { v / 100.0 } else { v }
}

impl CalcRequest {
    /// The discount rate as a ratio (rule R1: same heuristic as yields).
    pub fn discount_rate(&self) -> f64 {
        percent_or_ratio(self.economic_parameters.discount_rate_percent)
    }

    /// The utility matched by rule R3 (quirk Q14): the last one of that kind.
    pub fn matched_utility(&self, kind: UtilityKind) -> Option<&Material> {
        self.utility_data
            .iter()
            .rfind(|u| UtilityKind::of(&u.name) == Some(kind))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UtilityKind {
    Hydrogen,
    Electricity,
}

impl UtilityKind {
    /// Rule R3: a name containing "hydrogen" is hydrogen (even if it also says electricity).
    pub fn of(name: &str) -> Option<UtilityKind> {
        let lower = name.to_lowercase();
        if lower.contains("hydrogen") {
            Some(UtilityKind::Hydrogen)
        } else if lower.contains("electricity") {
            Some(UtilityKind::Electricity)
        } else {
            None
        }
    }
}
