//! The master-data reads: shared by every authenticated user, ordered by id (units by group,
//! then name).

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use safapac_core::master;
use safapac_db::{DbPool, models};
use serde::Serialize;
use utoipa::ToSchema;

use safapac_cache::Entry;

use crate::AppState;
use crate::auth::extract::AuthUser;
use crate::error::{ApiError, ErrorBody};

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

impl From<models::ProcessTechnology> for Process {
    fn from(row: models::ProcessTechnology) -> Self {
        Process {
            id: row.id,
            name: row.name,
        }
    }
}

impl From<models::Country> for Country {
    fn from(row: models::Country) -> Self {
        Country {
            id: row.id,
            name: row.name,
        }
    }
}

/// The same three from the engine's copy of the master data (a project's page names its
/// scenarios' rows from it).
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

impl From<models::Product> for Product {
    fn from(row: models::Product) -> Self {
        Product {
            id: row.id,
            name: row.name,
        }
    }
}

impl From<models::Feedstock> for Feedstock {
    fn from(row: models::Feedstock) -> Self {
        Feedstock {
            id: row.id,
            name: row.name,
            carbon_content_kg_c_per_kg: row.carbon_content_kg_c_per_kg,
            energy_content_mj_per_kg: row.energy_content_mj_per_kg,
            ci_ref_gco2e_per_mj: row.ci_ref_gco2e_per_mj,
            price_ref_usd_per_unit: row.price_ref_usd_per_unit,
            yield_ref: row.yield_ref,
        }
    }
}

impl From<models::Utility> for Utility {
    fn from(row: models::Utility) -> Self {
        Utility {
            id: row.id,
            name: row.name,
            carbon_content_kg_c_per_kg: row.carbon_content_kg_c_per_kg,
            energy_content_mj_per_kg: row.energy_content_mj_per_kg,
            ci_ref_gco2e_per_mj: row.ci_ref_gco2e_per_mj,
        }
    }
}

impl From<models::Unit> for Unit {
    fn from(row: models::Unit) -> Self {
        Unit {
            id: row.unit.id,
            unit_group_id: row.unit.unit_group_id,
            name: row.unit.name,
            display_name: row.unit.display_name,
            group: UnitGroup {
                id: row.group.id,
                name: row.group.name,
                base_unit_name: row.group.base_unit_name,
            },
            conversion: UnitConversion {
                unit_id: row.conversion.unit_id,
                conversion_factor: row.conversion.conversion_factor,
            },
        }
    }
}

fn converted<R, T: From<R>>(rows: Vec<R>) -> Vec<T> {
    rows.into_iter().map(T::from).collect()
}

/// Every master table in one document, read from Postgres.
pub async fn load(pool: &DbPool) -> Result<MasterData, safapac_db::DbError> {
    let mut conn = pool.get().await?;
    let db = &mut conn;
    Ok(MasterData {
        processes: converted(safapac_db::master::processes(db).await?),
        feedstocks: converted(safapac_db::master::feedstocks(db).await?),
        utilities: converted(safapac_db::master::utilities(db).await?),
        products: converted(safapac_db::master::products(db).await?),
        countries: converted(safapac_db::master::countries(db).await?),
        units: converted(safapac_db::master::units(db).await?),
    })
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
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)
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

#[utoipa::path(
    get, path = "/api/v1/process-technologies", tag = "master data",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Process>), (status = 401, body = ErrorBody))
)]
pub async fn process_technologies(
    state: web::Data<AppState>,
    _: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let rows: Vec<Process> = converted(safapac_db::master::processes(&mut conn).await?);
    Ok(HttpResponse::Ok().json(rows))
}

#[utoipa::path(
    get, path = "/api/v1/feedstocks", tag = "master data",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Feedstock>), (status = 401, body = ErrorBody))
)]
pub async fn feedstocks(state: web::Data<AppState>, _: AuthUser) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let rows: Vec<Feedstock> = converted(safapac_db::master::feedstocks(&mut conn).await?);
    Ok(HttpResponse::Ok().json(rows))
}

#[utoipa::path(
    get, path = "/api/v1/countries", tag = "master data",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Country>), (status = 401, body = ErrorBody))
)]
pub async fn countries(state: web::Data<AppState>, _: AuthUser) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let rows: Vec<Country> = converted(safapac_db::master::countries(&mut conn).await?);
    Ok(HttpResponse::Ok().json(rows))
}

#[utoipa::path(
    get, path = "/api/v1/utilities", tag = "master data",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Utility>), (status = 401, body = ErrorBody))
)]
pub async fn utilities(state: web::Data<AppState>, _: AuthUser) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let rows: Vec<Utility> = converted(safapac_db::master::utilities(&mut conn).await?);
    Ok(HttpResponse::Ok().json(rows))
}

#[utoipa::path(
    get, path = "/api/v1/products", tag = "master data",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Product>), (status = 401, body = ErrorBody))
)]
pub async fn products(state: web::Data<AppState>, _: AuthUser) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let rows: Vec<Product> = converted(safapac_db::master::products(&mut conn).await?);
    Ok(HttpResponse::Ok().json(rows))
}

#[utoipa::path(
    get, path = "/api/v1/units", tag = "master data",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Unit>), (status = 401, body = ErrorBody))
)]
pub async fn units(state: web::Data<AppState>, _: AuthUser) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let rows: Vec<Unit> = converted(safapac_db::master::units(&mut conn).await?);
    Ok(HttpResponse::Ok().json(rows))
}
