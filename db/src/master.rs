//! Read access to the master and unit tables.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::models::*;
use crate::schema::{
    countries, feedstocks, process_technologies, products, unit_conversions, unit_groups,
    units_of_measure, utilities,
};

pub async fn processes(conn: &mut AsyncPgConnection) -> Result<Vec<ProcessTechnology>, DbError> {
    Ok(process_technologies::table
        .order(process_technologies::id)
        .select(ProcessTechnology::as_select())
        .load(conn)
        .await?)
}

pub async fn feedstocks(conn: &mut AsyncPgConnection) -> Result<Vec<Feedstock>, DbError> {
    Ok(feedstocks::table
        .order(feedstocks::id)
        .select(Feedstock::as_select())
        .load(conn)
        .await?)
}

pub async fn countries(conn: &mut AsyncPgConnection) -> Result<Vec<Country>, DbError> {
    Ok(countries::table
        .order(countries::id)
        .select(Country::as_select())
        .load(conn)
        .await?)
}

pub async fn utilities(conn: &mut AsyncPgConnection) -> Result<Vec<Utility>, DbError> {
    Ok(utilities::table
        .order(utilities::id)
        .select(Utility::as_select())
        .load(conn)
        .await?)
}

pub async fn products(conn: &mut AsyncPgConnection) -> Result<Vec<Product>, DbError> {
    Ok(products::table
        .order(products::id)
        .select(Product::as_select())
        .load(conn)
        .await?)
}

/// Every unit with its group and conversion, ordered by group then name (contract order).
pub async fn units(conn: &mut AsyncPgConnection) -> Result<Vec<Unit>, DbError> {
    let rows: Vec<(UnitOfMeasure, UnitGroup, UnitConversion)> = units_of_measure::table
        .inner_join(unit_groups::table)
        .inner_join(unit_conversions::table)
        .order((units_of_measure::unit_group_id, units_of_measure::name))
        .select((
            UnitOfMeasure::as_select(),
            UnitGroup::as_select(),
            UnitConversion::as_select(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(unit, group, conversion)| Unit {
            unit,
            group,
            conversion,
        })
        .collect())
}

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
