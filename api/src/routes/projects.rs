//! `/api/v1/projects`: a caller only ever sees their own projects; anyone else's answer 404.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use safapac_db::models::ProjectWithCount;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::auth::extract::AuthUser;
use crate::error::{ApiError, ErrorBody, FieldError, OwnedObjectErrors, ValidationErrorBody};
use crate::json_body::{JsonBody, Validate};
use crate::routes::master_data::{Country, Feedstock, Process};
use crate::routes::scenarios::ScenarioSummary;
use crate::wire::{check_name, serialize_timestamp};

const PROJECT_NOT_FOUND: &str = "Project not found or access denied";

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRequest {
    /// 1–100 characters; also accepted as `project_name`.
    #[serde(alias = "project_name")]
    pub project_name: String,
}

impl Validate for ProjectRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_name("projectName", &self.project_name, 100, &mut errors);
        errors
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: Uuid,
    pub user_id: Uuid,
    pub project_name: String,
    /// Always null: the original never sets the initial references and no route can.
    pub initial_process: Option<Process>,
    pub initial_feedstock: Option<Feedstock>,
    pub initial_country: Option<Country>,
    pub scenario_count: i64,
    #[serde(serialize_with = "serialize_timestamp")]
    #[schema(value_type = String, example = "2025-12-30T08:15:02.512345")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_timestamp")]
    #[schema(value_type = String, example = "2025-12-30T08:15:02.530118")]
    pub updated_at: DateTime<Utc>,
}

impl From<ProjectWithCount> for Project {
    fn from(row: ProjectWithCount) -> Self {
        Project {
            id: row.project.id,
            user_id: row.project.user_id,
            project_name: row.project.project_name,
            initial_process: None,
            initial_feedstock: None,
            initial_country: None,
            scenario_count: row.scenario_count,
            created_at: row.project.created_at,
            updated_at: row.project.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProjectWithScenarios {
    #[serde(flatten)]
    pub project: Project,
    pub scenarios: Vec<ScenarioSummary>,
}

/// Creates the project and its first scenario, `Scenario 1`, in one transaction.
#[utoipa::path(
    post, path = "/api/v1/projects", tag = "projects",
    security(("bearer" = [])),
    request_body = ProjectRequest,
    responses(
        (status = 201, body = Project),
        (status = 401, body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
pub async fn create_project(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<ProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let project =
        safapac_db::projects::create(&mut conn, user.id, body.0.project_name.trim()).await?;
    Ok(HttpResponse::Created().json(Project::from(project)))
}

/// The caller's projects, most recently changed first.
#[utoipa::path(
    get, path = "/api/v1/projects", tag = "projects",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Project>), (status = 401, body = ErrorBody))
)]
pub async fn list_projects(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let projects: Vec<Project> = safapac_db::projects::list(&mut conn, user.id)
        .await?
        .into_iter()
        .map(Project::from)
        .collect();
    Ok(HttpResponse::Ok().json(projects))
}

#[utoipa::path(
    get, path = "/api/v1/projects/{project_id}", tag = "projects",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path)),
    responses(
        (status = 200, body = ProjectWithScenarios),
        OwnedObjectErrors,
    )
)]
pub async fn get_project(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let project_id = path.into_inner();
    let mut conn = state.conn().await?;
    let (project, heads) =
        safapac_db::scenarios::project_with_heads(&mut conn, user.id, project_id)
            .await?
            .ok_or(ApiError::NotFound(PROJECT_NOT_FOUND))?;
    // The connection goes back first: filling the master-data copy may need one.
    drop(conn);
    let summaries: Vec<ScenarioSummary> = state
        .master_cache
        .naming(|master| {
            heads
                .iter()
                .map(|(head, ids)| ScenarioSummary::from_master(head, ids, master))
                .collect()
        })
        .await?;
    Ok(HttpResponse::Ok().json(ProjectWithScenarios {
        project: Project::from(ProjectWithCount {
            project,
            scenario_count: summaries.len() as i64,
        }),
        scenarios: summaries,
    }))
}

/// Renames the project.
#[utoipa::path(
    put, path = "/api/v1/projects/{project_id}", tag = "projects",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path)),
    request_body = ProjectRequest,
    responses(
        (status = 200, body = Project),
        OwnedObjectErrors,
    )
)]
pub async fn update_project(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<Uuid>,
    body: JsonBody<ProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let project = safapac_db::projects::rename(
        &mut conn,
        user.id,
        path.into_inner(),
        body.0.project_name.trim(),
    )
    .await?
    .ok_or(ApiError::NotFound(PROJECT_NOT_FOUND))?;
    Ok(HttpResponse::Ok().json(Project::from(project)))
}

/// Deletes the project with all its scenarios and calculation jobs.
#[utoipa::path(
    delete, path = "/api/v1/projects/{project_id}", tag = "projects",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        OwnedObjectErrors,
    )
)]
pub async fn delete_project(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let project_id = path.into_inner();
    let mut conn = state.conn().await?;
    if safapac_db::projects::delete(&mut conn, user.id, project_id).await? {
        drop(conn);
        state.statuses.project_deleted(project_id).await;
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(PROJECT_NOT_FOUND))
    }
}
