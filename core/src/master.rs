//! Master and reference data: typed rows of `data/master_data.json`.
//!
//! The JSON file is the single source of truth: the engine embeds it, and the database seed is
//! generated from the same typed rows, so ids can never drift between the two.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const BUILTIN_JSON: &str = include_str!("../data/master_data.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitGroup {
    pub id: i32,
    pub name: String,
    pub base_unit_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitOfMeasure {
    pub id: i32,
    pub unit_group_id: i32,
    pub name: String,
    pub display_name: String,
    pub conversion_factor: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitConversion {
    pub id: i32,
    pub unit_id: i32,
    pub conversion_factor: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessTechnology {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Country {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: i32,
    pub name: String,
    pub carbon_content_kg_c_per_kg: f64,
    pub energy_content_mj_per_kg: f64,
    pub density_ref: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedstock {
    pub id: i32,
    pub name: String,
    pub carbon_content_kg_c_per_kg: f64,
    pub energy_content_mj_per_kg: f64,
    pub ci_ref_gco2e_per_mj: f64,
    pub price_ref_usd_per_unit: f64,
    pub yield_ref: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utility {
    pub id: i32,
    pub name: String,
    pub carbon_content_kg_c_per_kg: f64,
    pub energy_content_mj_per_kg: f64,
    pub ci_ref_gco2e_per_mj: f64,
    pub yield_ref: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessFeedstockRef {
    pub id: i32,
    pub process_id: i32,
    pub feedstock_id: i32,
    pub average_product_density_ref: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessUtilityConsumptionRef {
    pub id: i32,
    pub ref_id: i32,
    pub utility_id: i32,
    pub consumption_ratio_ref_unit_per_kg_fuel: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductReferenceBreakdown {
    pub id: i32,
    pub ref_id: i32,
    pub product_id: i32,
    pub carbon_content_kg_c_per_kg: f64,
    pub energy_content_mj_per_kg: f64,
    pub price_ref_usd_per_unit: f64,
    pub price_sensitivity_ref: f64,
    pub product_yield_ref: f64,
    pub product_yield_ref_percent: f64,
    pub product_density: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UtilityCountryPriceDefault {
    pub id: i32,
    pub utility_id: i32,
    pub country_id: i32,
    pub price_ref_usd_per_unit: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefaultParameterSet {
    pub id: i32,
    pub process_id: i32,
    pub feedstock_id: i32,
    pub country_id: i32,
    pub plant_capacity_ktpa_ref: f64,
    pub annual_load_hours_ref: f64,
    pub ci_process_default_gco2_mj: f64,
    pub project_lifetime_years: i32,
    pub discount_rate_percent: f64,
    pub tci_ref_musd: f64,
    pub tci_scaling_exponent: f64,
    pub working_capital_tci_ratio: f64,
    pub indirect_opex_tci_ratio: f64,
    pub p_steps: i32,
    pub nnp_steps: i32,
}

/// Every master-data table, in seed order (ids are 1..N in that order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterData {
    pub unit_groups: Vec<UnitGroup>,
    pub units_of_measure: Vec<UnitOfMeasure>,
    pub unit_conversions: Vec<UnitConversion>,
    pub process_technologies: Vec<ProcessTechnology>,
    pub countries: Vec<Country>,
    pub products: Vec<Product>,
    pub feedstocks: Vec<Feedstock>,
    pub utilities: Vec<Utility>,
    pub process_feedstock_refs: Vec<ProcessFeedstockRef>,
    pub process_utility_consumption_refs: Vec<ProcessUtilityConsumptionRef>,
    pub product_reference_breakdowns: Vec<ProductReferenceBreakdown>,
    pub utility_country_price_defaults: Vec<UtilityCountryPriceDefault>,
    pub default_parameter_sets: Vec<DefaultParameterSet>,
}

impl MasterData {
    /// The master data shipped with the engine (`core/data/master_data.json`).
    pub fn builtin() -> &'static MasterData {
        static BUILTIN: OnceLock<MasterData> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            // The file is embedded at build time and a unit test parses it.
            serde_json::from_str(BUILTIN_JSON).expect("embedded master_data.json is valid")
        })
    }

    /// The raw embedded JSON document, for tools that re-publish it unchanged.
    pub fn builtin_json() -> &'static str {
        BUILTIN_JSON
    }

    pub fn unit(&self, id: i32) -> Option<&UnitOfMeasure> {
        self.units_of_measure.iter().find(|u| u.id == id)
    }

    pub fn process(&self, id: i32) -> Option<&ProcessTechnology> {
        self.process_technologies.iter().find(|p| p.id == id)
    }

    pub fn feedstock(&self, id: i32) -> Option<&Feedstock> {
        self.feedstocks.iter().find(|f| f.id == id)
    }

    pub fn country(&self, id: i32) -> Option<&Country> {
        self.countries.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_master_data_has_every_table_with_sequential_ids() {
        let m = MasterData::builtin();
        assert_eq!(m.units_of_measure.len(), 25);
        assert_eq!(m.process_technologies.len(), 10);
        assert_eq!(m.feedstocks.len(), 23);
        assert_eq!(m.default_parameter_sets.len(), 4);
        for (i, u) in m.units_of_measure.iter().enumerate() {
            assert_eq!(u.id as usize, i + 1);
        }
        assert_eq!(m.unit(3).map(|u| u.name.as_str()), Some("kta"));
        assert_eq!(m.process(1).map(|p| p.name.as_str()), Some("HEFA"));
    }
}
