//! Rows as read from the database.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::*;
use crate::status::ScenarioStatus;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub password_hash: String,
    pub access_level: String,
    pub occupation: Option<String>,
    pub email_verified: bool,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = projects, check_for_backend(diesel::pg::Pg))]
pub struct Project {
    pub id: Uuid,
    pub user_id: Uuid,
    pub project_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A project with the number of scenarios it currently has.
#[derive(Debug, Clone)]
pub struct ProjectWithCount {
    pub project: Project,
    pub scenario_count: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scenarios, check_for_backend(diesel::pg::Pg))]
pub struct Scenario {
    pub id: Uuid,
    pub project_id: Uuid,
    pub scenario_name: String,
    pub scenario_order: i32,
    pub status: ScenarioStatus,
    pub process_id: i32,
    pub feedstock_id: i32,
    pub country_id: i32,
    pub user_inputs: serde_json::Value,
    /// The engine's results as JSON text, stored as it wrote them.
    pub techno_economics: Option<String>,
    pub financial_analysis: Option<String>,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a scenario summary shows: no inputs and no results, which run to tens of KB.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scenarios, check_for_backend(diesel::pg::Pg))]
pub struct ScenarioHead {
    pub id: Uuid,
    pub project_id: Uuid,
    pub scenario_name: String,
    pub scenario_order: i32,
    pub status: ScenarioStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The master rows a scenario refers to, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = scenarios, check_for_backend(diesel::pg::Pg))]
pub struct MasterIds {
    pub process_id: i32,
    pub feedstock_id: i32,
    pub country_id: i32,
}

/// A scenario's head together with the master rows it refers to.
#[derive(Debug, Clone)]
pub struct ScenarioHeadWithRefs {
    pub head: ScenarioHead,
    pub process: ProcessTechnology,
    pub feedstock: Feedstock,
    pub country: Country,
}

/// A scenario together with the master rows it refers to, as the API shows it.
#[derive(Debug, Clone)]
pub struct ScenarioWithRefs {
    pub scenario: Scenario,
    pub process: ProcessTechnology,
    pub feedstock: Feedstock,
    pub country: Country,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = process_technologies, check_for_backend(diesel::pg::Pg))]
pub struct ProcessTechnology {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = countries, check_for_backend(diesel::pg::Pg))]
pub struct Country {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = products, check_for_backend(diesel::pg::Pg))]
pub struct Product {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = feedstocks, check_for_backend(diesel::pg::Pg))]
pub struct Feedstock {
    pub id: i32,
    pub name: String,
    pub carbon_content_kg_c_per_kg: f64,
    pub energy_content_mj_per_kg: f64,
    pub ci_ref_gco2e_per_mj: f64,
    pub price_ref_usd_per_unit: f64,
    pub yield_ref: f64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = utilities, check_for_backend(diesel::pg::Pg))]
pub struct Utility {
    pub id: i32,
    pub name: String,
    pub carbon_content_kg_c_per_kg: f64,
    pub energy_content_mj_per_kg: f64,
    pub ci_ref_gco2e_per_mj: f64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = unit_groups, check_for_backend(diesel::pg::Pg))]
pub struct UnitGroup {
    pub id: i32,
    pub name: String,
    pub base_unit_name: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = units_of_measure, check_for_backend(diesel::pg::Pg))]
pub struct UnitOfMeasure {
    pub id: i32,
    pub unit_group_id: i32,
    pub name: String,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = unit_conversions, check_for_backend(diesel::pg::Pg))]
pub struct UnitConversion {
    pub unit_id: i32,
    pub conversion_factor: f64,
}

/// A unit with its group and conversion factor.
#[derive(Debug, Clone)]
pub struct Unit {
    pub unit: UnitOfMeasure,
    pub group: UnitGroup,
    pub conversion: UnitConversion,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub struct RefreshToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = email_verification_tokens, check_for_backend(diesel::pg::Pg))]
pub struct VerificationToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}
