//! The master-data reads: shared by every authenticated user, ordered by id (units by group,
//! then name), all served from this replica's cached copy of the engine's master data.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use safapac_core::master;
use serde::Serialize;
use utoipa::ToSchema;

use safapac_cache::Entry;

use crate::AppState;
use crate::auth::extract::AuthUser;
use crate::error::{AdminErrors, ApiError, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct Process {
    pub id: i32,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Country {
    pub id: i32,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Product {
    pub id: i32,
    pub name: String,
}

/// Keys are spelled exactly as the original emits them, `ciRefGco2EPerMj` included.
#[derive(Serialize, ToSchema)]
pub struct Feedstock {
    pub id: i32,
    pub name: String,
    #[serde(rename = "carbonContentKgCPerKg")]
    pub carbon_content_kg_c_per_kg: f64,
    #[serde(rename = "energyContentMjPerKg")]
    pub energy_content_mj_per_kg: f64,
    #[serde(rename = "ciRefGco2EPerMj")]
    pub ci_ref_gco2e_per_mj: f64,
    #[serde(rename = "priceRefUsdPerUnit")]
    pub price_ref_usd_per_unit: f64,
    #[serde(rename = "yieldRef")]
    pub yield_ref: f64,
}

#[derive(Serialize, ToSchema)]
pub struct Utility {
    pub id: i32,
    pub name: String,
    #[serde(rename = "carbonContentKgCPerKg")]
    pub carbon_content_kg_c_per_kg: f64,
    #[serde(rename = "energyContentMjPerKg")]
    pub energy_content_mj_per_kg: f64,
    #[serde(rename = "ciRefGco2EPerMj")]
    pub ci_ref_gco2e_per_mj: f64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnitGroup {
    pub id: i32,
    pub name: String,
    pub base_unit_name: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnitConversion {
    pub unit_id: i32,
    /// Multiply by this to reach the group's base unit.
    pub conversion_factor: f64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Unit {
    pub id: i32,
    pub unit_group_id: i32,
    pub name: String,
    pub display_name: Option<String>,
    pub group: UnitGroup,
    pub conversion: UnitConversion,
}

#[derive(Serialize, ToSchema)]
pub struct MasterData {
    pub processes: Vec<Process>,
    pub feedstocks: Vec<Feedstock>,
    pub utilities: Vec<Utility>,
    pub products: Vec<Product>,
    pub countries: Vec<Country>,
    pub units: Vec<Unit>,
}

// The wire rows are made from the engine's master data only: the one copy every replica
// caches, which calculations are validated against too, so what the dashboard lists and
// what the engine accepts cannot disagree.

impl From<&master::ProcessTechnology> for Process {
    fn from(row: &master::ProcessTechnology) -> Self {
        Process {
            id: row.id,
            name: row.name.clone(),
        }
    }
}

impl From<&master::Country> for Country {
    fn from(row: &master::Country) -> Self {
        Country {
            id: row.id,
            name: row.name.clone(),
        }
    }
}

impl From<&master::Product> for Product {
    fn from(row: &master::Product) -> Self {
        Product {
            id: row.id,
            name: row.name.clone(),
        }
    }
}

impl From<&master::Feedstock> for Feedstock {
    fn from(row: &master::Feedstock) -> Self {
        Feedstock {
            id: row.id,
            name: row.name.clone(),
            carbon_content_kg_c_per_kg: row.carbon_content_kg_c_per_kg,
            energy_content_mj_per_kg: row.energy_content_mj_per_kg,
            ci_ref_gco2e_per_mj: row.ci_ref_gco2e_per_mj,
            price_ref_usd_per_unit: row.price_ref_usd_per_unit,
            yield_ref: row.yield_ref,
        }
    }
}

impl From<&master::Utility> for Utility {
    fn from(row: &master::Utility) -> Self {
        Utility {
            id: row.id,
            name: row.name.clone(),
            carbon_content_kg_c_per_kg: row.carbon_content_kg_c_per_kg,
            energy_content_mj_per_kg: row.energy_content_mj_per_kg,
            ci_ref_gco2e_per_mj: row.ci_ref_gco2e_per_mj,
        }
    }
}

/// Every unit that has a group and a conversion factor, ordered by group, then name.
fn units_of(data: &master::MasterData) -> Vec<Unit> {
    let mut units: Vec<Unit> = data
        .units_of_measure
        .iter()
        .filter_map(|unit| {
            let group = data
                .unit_groups
                .iter()
                .find(|g| g.id == unit.unit_group_id)?;
            let conversion = data
                .unit_conversions
                .iter()
                .find(|c| c.unit_id == unit.id)?;
            Some(Unit {
                id: unit.id,
                unit_group_id: unit.unit_group_id,
                name: unit.name.clone(),
                display_name: Some(unit.display_name.clone()),
                group: UnitGroup {
                    id: group.id,
                    name: group.name.clone(),
                    base_unit_name: group.base_unit_name.clone(),
                },
                conversion: UnitConversion {
                    unit_id: conversion.unit_id,
                    conversion_factor: conversion.conversion_factor,
                },
            })
        })
        .collect();
    units.sort_by(|a, b| (a.unit_group_id, &a.name).cmp(&(b.unit_group_id, &b.name)));
    units
}

fn rows<'a, R: 'a, T: From<&'a R>>(rows: &'a [R]) -> Vec<T> {
    rows.iter().map(T::from).collect()
}

impl From<&master::MasterData> for MasterData {
    fn from(data: &master::MasterData) -> Self {
        MasterData {
            processes: rows(&data.process_technologies),
            feedstocks: rows(&data.feedstocks),
            utilities: rows(&data.utilities),
            products: rows(&data.products),
            countries: rows(&data.countries),
            units: units_of(data),
        }
    }
}

/// Every master table in one document, from the cache (this replica's copy, else Redis, else
/// Postgres).
#[utoipa::path(
    get, path = "/api/v1/master-data", tag = "master data",
    security(("bearer" = [])),
    responses((status = 200, body = MasterData), (status = 401, body = ErrorBody))
)]
pub async fn master_data(
    state: web::Data<AppState>,
    _: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let entry = state.master_cache.dashboard().await?;
    Ok(json_response(&entry))
}

/// Every master table read from Postgres now; the result replaces the cached copy on every
/// replica (admin only).
#[utoipa::path(
    get, path = "/api/v1/master-data/fresh", tag = "master data",
    security(("bearer" = [])),
    responses(
        (status = 200, body = MasterData),
        AdminErrors,
    )
)]
pub async fn master_data_fresh(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    require_admin(user)?;
    let entry = state.master_cache.refresh().await?;
    Ok(json_response(&entry))
}

/// The cached document is kept serialised: serving it is a copy of a reference.
fn json_response(entry: &Entry<()>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(entry.json.clone())
}

pub fn require_admin(user: AuthUser) -> Result<(), ApiError> {
    if user.is_admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("Admin access required"))
    }
}

/// A single-list route, documented and answered from this replica's copy of the engine's
/// master data: `$rows` makes the list from `$data`.
macro_rules! master_list {
    ($name:ident, $path:literal, $row:ty, |$data:ident| $rows:expr) => {
        #[utoipa::path(
                    get, path = $path, tag = "master data",
                    security(("bearer" = [])),
                    responses((status = 200, body = Vec<$row>), (status = 401, body = ErrorBody))
                )]
        pub async fn $name(
            state: web::Data<AppState>,
            _: AuthUser,
        ) -> Result<HttpResponse, ApiError> {
            let master = state.master_cache.engine().await?;
            let $data = &master.value;
            let rows: Vec<$row> = $rows;
            Ok(HttpResponse::Ok().json(rows))
        }
    };
}

master_list!(
    process_technologies,
    "/api/v1/process-technologies",
    Process,
    |data| rows(&data.process_technologies)
);
master_list!(feedstocks, "/api/v1/feedstocks", Feedstock, |data| rows(
    &data.feedstocks
));
master_list!(countries, "/api/v1/countries", Country, |data| rows(
    &data.countries
));
master_list!(utilities, "/api/v1/utilities", Utility, |data| rows(
    &data.utilities
));
master_list!(products, "/api/v1/products", Product, |data| rows(
    &data.products
));
master_list!(units, "/api/v1/units", Unit, |data| units_of(data));
