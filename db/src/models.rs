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

impl Scenario {
    pub fn head(&self) -> ScenarioHead {
        ScenarioHead {
            id: self.id,
            project_id: self.project_id,
            scenario_name: self.scenario_name.clone(),
            scenario_order: self.scenario_order,
            status: self.status,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    pub fn master_ids(&self) -> MasterIds {
        MasterIds {
            process_id: self.process_id,
            feedstock_id: self.feedstock_id,
            country_id: self.country_id,
        }
    }
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
