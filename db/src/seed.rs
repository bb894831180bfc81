//! Seeds the master and unit tables from the core's typed built-in master data, so the
//! database and the engine can never disagree on an id. Idempotent: rows are upserted by id,
//! so re-running after the data file changed brings the tables up to date.

use diesel::connection::Connection;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::upsert::excluded;
use safapac_core::master::MasterData;

use crate::DbError;
use crate::schema::*;

/// Tables whose identity sequence must move past the seeded ids, so rows added later by hand
/// get fresh ids instead of a duplicate-key error.
const SEEDED_TABLES: [&str; 13] = [
    "unit_groups",
    "units_of_measure",
    "unit_conversions",
    "process_technologies",
    "countries",
    "products",
    "feedstocks",
    "utilities",
    "process_feedstock_refs",
    "process_utility_consumption_refs",
    "product_reference_breakdowns",
    "utility_country_price_defaults",
    "default_parameter_sets",
];

pub(crate) fn seed_master_data<C>(conn: &mut C, data: &MasterData) -> Result<(), DbError>
where
    C: Connection<Backend = Pg> + diesel::connection::LoadConnection,
{
    conn.transaction(|conn| {
        seed_units(conn, data)?;
        seed_master_tables(conn, data)?;
        seed_reference_tables(conn, data)?;
        for table in SEEDED_TABLES {
            // `table` comes from the constant list above, never from input.
            diesel::sql_query(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 GREATEST((SELECT max(id) FROM {table}), 1))"
            ))
            .execute(conn)?;
        }
        Ok(())
    })
}

fn seed_units<C>(conn: &mut C, data: &MasterData) -> QueryResult<()>
where
    C: Connection<Backend = Pg> + diesel::connection::LoadConnection,
{
    use crate::schema::unit_conversions as uc;
    use crate::schema::unit_groups as ug;
    use crate::schema::units_of_measure as um;

    let groups: Vec<_> = data
        .unit_groups
        .iter()
        .map(|g| {
            (
                ug::id.eq(g.id),
                ug::name.eq(&g.name),
                ug::base_unit_name.eq(&g.base_unit_name),
            )
        })
        .collect();
    diesel::insert_into(unit_groups::table)
        .values(&groups)
        .on_conflict(ug::id)
        .do_update()
        .set((
            ug::name.eq(excluded(ug::name)),
            ug::base_unit_name.eq(excluded(ug::base_unit_name)),
        ))
        .execute(conn)?;

    let units: Vec<_> = data
        .units_of_measure
        .iter()
        .map(|u| {
            (
                um::id.eq(u.id),
                um::unit_group_id.eq(u.unit_group_id),
                um::name.eq(&u.name),
                um::display_name.eq(Some(&u.display_name)),
            )
        })
        .collect();
    diesel::insert_into(units_of_measure::table)
        .values(&units)
        .on_conflict(um::id)
        .do_update()
        .set((
            um::unit_group_id.eq(excluded(um::unit_group_id)),
            um::name.eq(excluded(um::name)),
            um::display_name.eq(excluded(um::display_name)),
        ))
        .execute(conn)?;

    let conversions: Vec<_> = data
        .unit_conversions
        .iter()
        .map(|c| {
            (
                uc::id.eq(c.id),
                uc::unit_id.eq(c.unit_id),
                uc::conversion_factor.eq(c.conversion_factor),
            )
        })
        .collect();
    diesel::insert_into(unit_conversions::table)
        .values(&conversions)
        .on_conflict(uc::id)
        .do_update()
        .set((
            uc::unit_id.eq(excluded(uc::unit_id)),
            uc::conversion_factor.eq(excluded(uc::conversion_factor)),
        ))
        .execute(conn)?;
    Ok(())
}

fn seed_master_tables<C>(conn: &mut C, data: &MasterData) -> QueryResult<()>
where
    C: Connection<Backend = Pg> + diesel::connection::LoadConnection,
{
    use crate::schema::countries as c;
    use crate::schema::feedstocks as f;
    use crate::schema::process_technologies as p;
    use crate::schema::products as pr;
    use crate::schema::utilities as u;

    let processes: Vec<_> = data
        .process_technologies
        .iter()
        .map(|r| (p::id.eq(r.id), p::name.eq(&r.name)))
        .collect();
    diesel::insert_into(process_technologies::table)
        .values(&processes)
        .on_conflict(p::id)
        .do_update()
        .set(p::name.eq(excluded(p::name)))
        .execute(conn)?;

    let countries: Vec<_> = data
        .countries
        .iter()
        .map(|r| (c::id.eq(r.id), c::name.eq(&r.name)))
        .collect();
    diesel::insert_into(countries::table)
        .values(&countries)
        .on_conflict(c::id)
        .do_update()
        .set(c::name.eq(excluded(c::name)))
        .execute(conn)?;

    let products: Vec<_> = data
        .products
        .iter()
        .map(|r| {
            (
                pr::id.eq(r.id),
                pr::name.eq(&r.name),
                pr::carbon_content_kg_c_per_kg.eq(r.carbon_content_kg_c_per_kg),
                pr::energy_content_mj_per_kg.eq(r.energy_content_mj_per_kg),
                pr::density_ref.eq(r.density_ref),
            )
        })
        .collect();
    diesel::insert_into(products::table)
        .values(&products)
        .on_conflict(pr::id)
        .do_update()
        .set((
            pr::name.eq(excluded(pr::name)),
            pr::carbon_content_kg_c_per_kg.eq(excluded(pr::carbon_content_kg_c_per_kg)),
            pr::energy_content_mj_per_kg.eq(excluded(pr::energy_content_mj_per_kg)),
            pr::density_ref.eq(excluded(pr::density_ref)),
        ))
        .execute(conn)?;

    let feedstocks: Vec<_> = data
        .feedstocks
        .iter()
        .map(|r| {
            (
                f::id.eq(r.id),
                f::name.eq(&r.name),
                f::carbon_content_kg_c_per_kg.eq(r.carbon_content_kg_c_per_kg),
                f::energy_content_mj_per_kg.eq(r.energy_content_mj_per_kg),
                f::ci_ref_gco2e_per_mj.eq(r.ci_ref_gco2e_per_mj),
                f::price_ref_usd_per_unit.eq(r.price_ref_usd_per_unit),
                f::yield_ref.eq(r.yield_ref),
            )
        })
        .collect();
    diesel::insert_into(feedstocks::table)
        .values(&feedstocks)
        .on_conflict(f::id)
        .do_update()
        .set((
            f::name.eq(excluded(f::name)),
            f::carbon_content_kg_c_per_kg.eq(excluded(f::carbon_content_kg_c_per_kg)),
            f::energy_content_mj_per_kg.eq(excluded(f::energy_content_mj_per_kg)),
            f::ci_ref_gco2e_per_mj.eq(excluded(f::ci_ref_gco2e_per_mj)),
            f::price_ref_usd_per_unit.eq(excluded(f::price_ref_usd_per_unit)),
            f::yield_ref.eq(excluded(f::yield_ref)),
        ))
        .execute(conn)?;

    let utilities: Vec<_> = data
        .utilities
        .iter()
        .map(|r| {
            (
                u::id.eq(r.id),
                u::name.eq(&r.name),
                u::carbon_content_kg_c_per_kg.eq(r.carbon_content_kg_c_per_kg),
                u::energy_content_mj_per_kg.eq(r.energy_content_mj_per_kg),
                u::ci_ref_gco2e_per_mj.eq(r.ci_ref_gco2e_per_mj),
                u::yield_ref.eq(r.yield_ref),
            )
        })
        .collect();
    diesel::insert_into(utilities::table)
        .values(&utilities)
        .on_conflict(u::id)
        .do_update()
        .set((
            u::name.eq(excluded(u::name)),
            u::carbon_content_kg_c_per_kg.eq(excluded(u::carbon_content_kg_c_per_kg)),
            u::energy_content_mj_per_kg.eq(excluded(u::energy_content_mj_per_kg)),
            u::ci_ref_gco2e_per_mj.eq(excluded(u::ci_ref_gco2e_per_mj)),
            u::yield_ref.eq(excluded(u::yield_ref)),
        ))
        .execute(conn)?;
    Ok(())
}

fn seed_reference_tables<C>(conn: &mut C, data: &MasterData) -> QueryResult<()>
where
    C: Connection<Backend = Pg> + diesel::connection::LoadConnection,
{
    use crate::schema::default_parameter_sets as d;
    use crate::schema::process_feedstock_refs as pf;
    use crate::schema::process_utility_consumption_refs as pu;
    use crate::schema::product_reference_breakdowns as pb;
    use crate::schema::utility_country_price_defaults as ucp;

    let refs: Vec<_> = data
        .process_feedstock_refs
        .iter()
        .map(|r| {
            (
                pf::id.eq(r.id),
                pf::process_id.eq(r.process_id),
                pf::feedstock_id.eq(r.feedstock_id),
                pf::average_product_density_ref.eq(r.average_product_density_ref),
            )
        })
        .collect();
    diesel::insert_into(process_feedstock_refs::table)
        .values(&refs)
        .on_conflict(pf::id)
        .do_update()
        .set((
            pf::process_id.eq(excluded(pf::process_id)),
            pf::feedstock_id.eq(excluded(pf::feedstock_id)),
            pf::average_product_density_ref.eq(excluded(pf::average_product_density_ref)),
        ))
        .execute(conn)?;

    let consumption: Vec<_> = data
        .process_utility_consumption_refs
        .iter()
        .map(|r| {
            (
                pu::id.eq(r.id),
                pu::ref_id.eq(r.ref_id),
                pu::utility_id.eq(r.utility_id),
                pu::consumption_ratio_ref_unit_per_kg_fuel
                    .eq(r.consumption_ratio_ref_unit_per_kg_fuel),
            )
        })
        .collect();
    diesel::insert_into(process_utility_consumption_refs::table)
        .values(&consumption)
        .on_conflict(pu::id)
        .do_update()
        .set((
            pu::ref_id.eq(excluded(pu::ref_id)),
            pu::utility_id.eq(excluded(pu::utility_id)),
            pu::consumption_ratio_ref_unit_per_kg_fuel
                .eq(excluded(pu::consumption_ratio_ref_unit_per_kg_fuel)),
        ))
        .execute(conn)?;

    let breakdowns: Vec<_> = data
        .product_reference_breakdowns
        .iter()
        .map(|r| {
            (
                (
                    pb::id.eq(r.id),
                    pb::ref_id.eq(r.ref_id),
                    pb::product_id.eq(r.product_id),
                    pb::carbon_content_kg_c_per_kg.eq(r.carbon_content_kg_c_per_kg),
                    pb::energy_content_mj_per_kg.eq(r.energy_content_mj_per_kg),
                ),
                (
                    pb::price_ref_usd_per_unit.eq(r.price_ref_usd_per_unit),
                    pb::price_sensitivity_ref.eq(r.price_sensitivity_ref),
                    pb::product_yield_ref.eq(r.product_yield_ref),
                    pb::product_yield_ref_percent.eq(r.product_yield_ref_percent),
                    pb::product_density.eq(r.product_density),
                ),
            )
        })
        .collect();
    diesel::insert_into(product_reference_breakdowns::table)
        .values(&breakdowns)
        .on_conflict(pb::id)
        .do_update()
        .set((
            pb::ref_id.eq(excluded(pb::ref_id)),
            pb::product_id.eq(excluded(pb::product_id)),
            pb::carbon_content_kg_c_per_kg.eq(excluded(pb::carbon_content_kg_c_per_kg)),
            pb::energy_content_mj_per_kg.eq(excluded(pb::energy_content_mj_per_kg)),
            pb::price_ref_usd_per_unit.eq(excluded(pb::price_ref_usd_per_unit)),
            pb::price_sensitivity_ref.eq(excluded(pb::price_sensitivity_ref)),
            pb::product_yield_ref.eq(excluded(pb::product_yield_ref)),
            pb::product_yield_ref_percent.eq(excluded(pb::product_yield_ref_percent)),
            pb::product_density.eq(excluded(pb::product_density)),
        ))
        .execute(conn)?;

    let prices: Vec<_> = data
        .utility_country_price_defaults
        .iter()
        .map(|r| {
            (
                ucp::id.eq(r.id),
                ucp::utility_id.eq(r.utility_id),
                ucp::country_id.eq(r.country_id),
                ucp::price_ref_usd_per_unit.eq(r.price_ref_usd_per_unit),
            )
        })
        .collect();
    diesel::insert_into(utility_country_price_defaults::table)
        .values(&prices)
        .on_conflict(ucp::id)
        .do_update()
        .set((
            ucp::utility_id.eq(excluded(ucp::utility_id)),
            ucp::country_id.eq(excluded(ucp::country_id)),
            ucp::price_ref_usd_per_unit.eq(excluded(ucp::price_ref_usd_per_unit)),
        ))
        .execute(conn)?;

    let defaults: Vec<_> = data
        .default_parameter_sets
        .iter()
        .map(|r| {
            (
                (
                    d::id.eq(r.id),
                    d::process_id.eq(r.process_id),
                    d::feedstock_id.eq(r.feedstock_id),
                    d::country_id.eq(r.country_id),
                    d::plant_capacity_ktpa_ref.eq(r.plant_capacity_ktpa_ref),
                    d::annual_load_hours_ref.eq(r.annual_load_hours_ref),
                    d::ci_process_default_gco2_mj.eq(r.ci_process_default_gco2_mj),
                    d::project_lifetime_years.eq(r.project_lifetime_years),
                ),
                (
                    d::discount_rate_percent.eq(r.discount_rate_percent),
                    d::tci_ref_musd.eq(r.tci_ref_musd),
                    d::tci_scaling_exponent.eq(r.tci_scaling_exponent),
                    d::working_capital_tci_ratio.eq(r.working_capital_tci_ratio),
                    d::indirect_opex_tci_ratio.eq(r.indirect_opex_tci_ratio),
                    d::p_steps.eq(r.p_steps),
                    d::nnp_steps.eq(r.nnp_steps),
                ),
            )
        })
        .collect();
    diesel::insert_into(default_parameter_sets::table)
        .values(&defaults)
        .on_conflict(d::id)
        .do_update()
        .set((
            (
                d::process_id.eq(excluded(d::process_id)),
                d::feedstock_id.eq(excluded(d::feedstock_id)),
                d::country_id.eq(excluded(d::country_id)),
                d::plant_capacity_ktpa_ref.eq(excluded(d::plant_capacity_ktpa_ref)),
                d::annual_load_hours_ref.eq(excluded(d::annual_load_hours_ref)),
                d::ci_process_default_gco2_mj.eq(excluded(d::ci_process_default_gco2_mj)),
                d::project_lifetime_years.eq(excluded(d::project_lifetime_years)),
            ),
            (
                d::discount_rate_percent.eq(excluded(d::discount_rate_percent)),
                d::tci_ref_musd.eq(excluded(d::tci_ref_musd)),
                d::tci_scaling_exponent.eq(excluded(d::tci_scaling_exponent)),
                d::working_capital_tci_ratio.eq(excluded(d::working_capital_tci_ratio)),
                d::indirect_opex_tci_ratio.eq(excluded(d::indirect_opex_tci_ratio)),
                d::p_steps.eq(excluded(d::p_steps)),
                d::nnp_steps.eq(excluded(d::nnp_steps)),
            ),
        ))
        .execute(conn)?;
    Ok(())
}
