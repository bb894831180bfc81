//! Read access to the master and unit tables: the engine's form of all of them (which the
//! API's master-data routes serve too, through the cache) and existence checks.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{countries, feedstocks, process_technologies, products, utilities};

/// Which of the given master ids do not exist, by name of the reference
/// (`process`, `feedstock`, `country`).
pub async fn missing_references(
    conn: &mut AsyncPgConnection,
    process_id: Option<i32>,
    feedstock_id: Option<i32>,
    country_id: Option<i32>,
) -> Result<Vec<&'static str>, DbError> {
    let mut missing = Vec::new();
    if let Some(id) = process_id {
        let found: i64 = process_technologies::table
            .filter(process_technologies::id.eq(id))
            .count()
            .get_result(conn)
            .await?;
        if found == 0 {
            missing.push("process");
        }
    }
    if let Some(id) = feedstock_id {
        let found: i64 = feedstocks::table
            .filter(feedstocks::id.eq(id))
            .count()
            .get_result(conn)
            .await?;
        if found == 0 {
            missing.push("feedstock");
        }
    }
    if let Some(id) = country_id {
        let found: i64 = countries::table
            .filter(countries::id.eq(id))
            .count()
            .get_result(conn)
            .await?;
        if found == 0 {
            missing.push("country");
        }
    }
    Ok(missing)
}

/// Reads one reference table into the core's row type, ordered by id: the columns are named
/// once, with their Rust types, and become the struct's fields of the same names.
macro_rules! rows {
    ($conn:expr, $table:ident => $row:ident { $($field:ident: $ty:ty),+ $(,)? }) => {{
        let rows: Vec<($($ty,)+)> = $table::table
            .order($table::id)
            .select(($($table::$field,)+))
            .load($conn)
            .await?;
        rows.into_iter()
            .map(|($($field,)+)| engine::$row { $($field),+ })
            .collect::<Vec<_>>()
    }};
}

/// Every master and reference table in the engine's form: what a calculation looks up
/// (units, processes, feedstocks, countries, default parameter sets, …). The worker and the
/// API's validation use this, through the master-data cache, instead of the data built into
/// the binary, so an operator's change to the tables reaches calculations.
pub async fn engine_master_data(
    conn: &mut AsyncPgConnection,
) -> Result<safapac_core::master::MasterData, DbError> {
    use crate::schema::{
        default_parameter_sets as dps, process_feedstock_refs as pfr,
        process_utility_consumption_refs as pucr, product_reference_breakdowns as prb,
        unit_conversions as uc, unit_groups as ug, units_of_measure as um,
        utility_country_price_defaults as ucpd,
    };
    use safapac_core::master as engine;

    let units: Vec<(i32, i32, String, Option<String>)> = um::table
        .order(um::id)
        .select((um::id, um::unit_group_id, um::name, um::display_name))
        .load(conn)
        .await?;
    let unit_conversions = rows!(conn, uc => UnitConversion {
        id: i32, unit_id: i32, conversion_factor: f64,
    });
    let units_of_measure = units
        .into_iter()
        .map(
            |(id, unit_group_id, name, display_name)| engine::UnitOfMeasure {
                id,
                unit_group_id,
                display_name: display_name.unwrap_or_else(|| name.clone()),
                name,
                // A unit without a conversion row gets 0, which the engine reads as the
                // original's fallback factor of 1.
                conversion_factor: unit_conversions
                    .iter()
                    .find(|c| c.unit_id == id)
                    .map_or(0.0, |c| c.conversion_factor),
            },
        )
        .collect::<Vec<_>>();
    let data = engine::MasterData {
        unit_groups: rows!(conn, ug => UnitGroup { id: i32, name: String, base_unit_name: String }),
        units_of_measure,
        unit_conversions,
        process_technologies: rows!(conn, process_technologies => ProcessTechnology {
            id: i32, name: String,
        }),
        countries: rows!(conn, countries => Country { id: i32, name: String }),
        products: rows!(conn, products => Product {
            id: i32, name: String, carbon_content_kg_c_per_kg: f64,
            energy_content_mj_per_kg: f64, density_ref: f64,
        }),
        feedstocks: rows!(conn, feedstocks => Feedstock {
            id: i32, name: String, carbon_content_kg_c_per_kg: f64,
            energy_content_mj_per_kg: f64, ci_ref_gco2e_per_mj: f64,
            price_ref_usd_per_unit: f64, yield_ref: f64,
        }),
        utilities: rows!(conn, utilities => Utility {
            id: i32, name: String, carbon_content_kg_c_per_kg: f64,
            energy_content_mj_per_kg: f64, ci_ref_gco2e_per_mj: f64, yield_ref: f64,
        }),
        process_feedstock_refs: rows!(conn, pfr => ProcessFeedstockRef {
            id: i32, process_id: i32, feedstock_id: i32, average_product_density_ref: f64,
        }),
        process_utility_consumption_refs: rows!(conn, pucr => ProcessUtilityConsumptionRef {
            id: i32, ref_id: i32, utility_id: i32, consumption_ratio_ref_unit_per_kg_fuel: f64,
        }),
        product_reference_breakdowns: rows!(conn, prb => ProductReferenceBreakdown {
            id: i32, ref_id: i32, product_id: i32, carbon_content_kg_c_per_kg: f64,
            energy_content_mj_per_kg: f64, price_ref_usd_per_unit: f64,
            price_sensitivity_ref: f64, product_yield_ref: f64,
            product_yield_ref_percent: f64, product_density: f64,
        }),
        utility_country_price_defaults: rows!(conn, ucpd => UtilityCountryPriceDefault {
            id: i32, utility_id: i32, country_id: i32, price_ref_usd_per_unit: f64,
        }),
        default_parameter_sets: rows!(conn, dps => DefaultParameterSet {
            id: i32, process_id: i32, feedstock_id: i32, country_id: i32,
            plant_capacity_ktpa_ref: f64, annual_load_hours_ref: f64,
            ci_process_default_gco2_mj: f64, project_lifetime_years: i32,
            discount_rate_percent: f64, tci_ref_musd: f64, tci_scaling_exponent: f64,
            working_capital_tci_ratio: f64, indirect_opex_tci_ratio: f64, p_steps: i32,
            nnp_steps: i32,
        }),
    };
    if data.units_of_measure.is_empty()
        || data.process_technologies.is_empty()
        || data.default_parameter_sets.is_empty()
    {
        return Err(DbError::MasterDataMissing);
    }
    Ok(data)
}
