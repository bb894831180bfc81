//! Scenario routes, mounted twice as the dashboard expects: nested under
//! `/api/v1/projects/{project_id}/scenarios` and directly under `/api/v1/scenarios` (with
//! `?project_id=` for the collection). Nested item routes also require the path's project to
//! be the scenario's parent.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;
use safapac_core::master::MasterData;
use safapac_db::models::{MasterIds, Scenario, ScenarioHead};
use safapac_db::scenarios::{DraftChanges, MAX_SCENARIOS, NewScenario, ScenarioChanges};
use safapac_db::status::ScenarioStatus;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::extract::AuthUser;
use crate::error::{ApiError, ErrorBody, FieldError, OwnedObjectErrors};
use crate::json_body::{JsonBody, Validate};
use crate::routes::master_data::{Country, Feedstock, Process};
use crate::wire::{
    camel_case_keys, check_name, lenient_opt_i32, serialize_raw_json, serialize_timestamp,
};

const SCENARIO_NOT_FOUND: &str = "Scenario not found";
const PROJECT_NOT_FOUND: &str = "Project not found";
const MAX_FEEDSTOCK_ITEMS: usize = 10;
const MAX_UTILITY_ITEMS: usize = 10;
const MAX_PRODUCT_ITEMS: usize = 20;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioSummary {
    pub id: Uuid,
    pub project_id: Uuid,
    pub scenario_name: String,
    pub scenario_order: i32,
    /// `draft`, `calculating`, `calculated` or `failed`.
    #[schema(value_type = String)]
    pub status: ScenarioStatus,
    pub process: Process,
    pub feedstock: Feedstock,
    pub country: Country,
    #[serde(serialize_with = "serialize_timestamp")]
    #[schema(value_type = String, example = "2025-12-30T08:15:02.530118")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_timestamp")]
    #[schema(value_type = String, example = "2025-12-31T10:01:44")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioDetail {
    #[serde(flatten)]
    pub summary: ScenarioSummary,
    /// The stored inputs, keys in camelCase.
    #[schema(value_type = Object)]
    pub user_inputs: Value,
    #[serde(serialize_with = "serialize_raw_json")]
    #[schema(value_type = Option<Object>)]
    pub techno_economics: Option<String>,
    #[serde(serialize_with = "serialize_raw_json")]
    #[schema(value_type = Option<Object>)]
    pub financial_analysis: Option<String>,
}

impl ScenarioSummary {
    /// The summary of `head`, with the master rows it refers to looked up in `master`;
    /// `None` if one is missing there.
    pub fn from_master(head: &ScenarioHead, ids: &MasterIds, master: &MasterData) -> Option<Self> {
        let process = master
            .process_technologies
            .iter()
            .find(|p| p.id == ids.process_id)?;
        let feedstock = master
            .feedstocks
            .iter()
            .find(|f| f.id == ids.feedstock_id)?;
        let country = master.countries.iter().find(|c| c.id == ids.country_id)?;
        Some(ScenarioSummary {
            id: head.id,
            project_id: head.project_id,
            scenario_name: head.scenario_name.clone(),
            scenario_order: head.scenario_order,
            status: head.status,
            process: process.into(),
            feedstock: feedstock.into(),
            country: country.into(),
            created_at: head.created_at,
            updated_at: head.updated_at,
        })
    }

    fn of(scenario: &Scenario, master: &MasterData) -> Option<Self> {
        ScenarioSummary::from_master(&scenario.head(), &scenario.master_ids(), master)
    }

    /// The summary of `scenario`, named from this replica's master data. Call it without a
    /// pooled connection held: filling the copy may need one.
    async fn named(state: &AppState, scenario: &Scenario) -> Result<Self, ApiError> {
        state
            .master_cache
            .naming(|master| ScenarioSummary::of(scenario, master))
            .await
    }
}

impl ScenarioDetail {
    /// `scenario`'s inputs and results (moved, not copied: they run to tens of KB) under
    /// its summary.
    fn new(summary: ScenarioSummary, scenario: Scenario) -> Self {
        ScenarioDetail {
            summary,
            user_inputs: scenario.user_inputs,
            techno_economics: scenario.techno_economics,
            financial_analysis: scenario.financial_analysis,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateScenarioRequest {
    /// Empty or absent: `Scenario <n+1>`. Also accepted as `scenario_name`.
    #[serde(default, alias = "scenario_name")]
    pub scenario_name: Option<String>,
    /// 1–3; absent, null or 0: the lowest free order. Also accepted as `scenario_order`.
    #[serde(
        default,
        alias = "scenario_order",
        deserialize_with = "lenient_opt_i32"
    )]
    pub scenario_order: Option<i32>,
}

impl Validate for CreateScenarioRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        // Empty is allowed here (it means "default name"), too long is not.
        if let Some(name) = &self.scenario_name
            && name.trim().chars().count() > 100
        {
            errors.push(FieldError::body(
                "scenarioName",
                "String should have at most 100 characters",
                "string_too_long",
            ));
        }
        if let Some(order) = self.scenario_order
            && order != 0
        {
            check_order(order, &mut errors);
        }
        errors
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateScenarioRequest {
    /// 1–100 characters after trimming. Also accepted as `scenario_name`.
    #[serde(default, alias = "scenario_name")]
    pub scenario_name: Option<String>,
    /// 1–3, not used by another scenario of the project. Also accepted as `scenario_order`.
    #[serde(
        default,
        alias = "scenario_order",
        deserialize_with = "lenient_opt_i32"
    )]
    pub scenario_order: Option<i32>,
    // Inputs and results are written only by draft saves and calculations; a client that
    // sends them here gets a 422 instead of silently forged results.
    #[serde(default, alias = "user_inputs")]
    #[schema(ignore)]
    pub user_inputs: Option<IgnoredAny>,
    #[serde(default, alias = "techno_economics")]
    #[schema(ignore)]
    pub techno_economics: Option<IgnoredAny>,
    #[serde(default, alias = "financial_analysis")]
    #[schema(ignore)]
    pub financial_analysis: Option<IgnoredAny>,
}

impl Validate for UpdateScenarioRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(name) = &self.scenario_name {
            check_name("scenarioName", name, 100, &mut errors);
        }
        if let Some(order) = self.scenario_order {
            check_order(order, &mut errors);
        }
        for (field, present) in [
            ("userInputs", self.user_inputs.is_some()),
            ("technoEconomics", self.techno_economics.is_some()),
            ("financialAnalysis", self.financial_analysis.is_some()),
        ] {
            if present {
                errors.push(FieldError::body(
                    field,
                    "Inputs and results cannot be written here: save a draft or calculate",
                    "extra_forbidden",
                ));
            }
        }
        errors
    }
}

fn check_order(order: i32, errors: &mut Vec<FieldError>) {
    if !(1..=MAX_SCENARIOS).contains(&order) {
        errors.push(FieldError::body(
            "scenarioOrder",
            format!("Input should be between 1 and {MAX_SCENARIOS}"),
            "range_error",
        ));
    }
}

/// Every field optional; absent or null fields keep the stored value. Object and array
/// contents are stored verbatim.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DraftRequest {
    #[serde(default, alias = "process_id", deserialize_with = "lenient_opt_i32")]
    pub process_id: Option<i32>,
    #[serde(default, alias = "feedstock_id", deserialize_with = "lenient_opt_i32")]
    pub feedstock_id: Option<i32>,
    #[serde(default, alias = "country_id", deserialize_with = "lenient_opt_i32")]
    pub country_id: Option<i32>,
    #[serde(default, alias = "conversion_plant")]
    #[schema(value_type = Option<Object>)]
    pub conversion_plant: Option<Map<String, Value>>,
    #[serde(default, alias = "economic_parameters")]
    #[schema(value_type = Option<Object>)]
    pub economic_parameters: Option<Map<String, Value>>,
    #[serde(default, alias = "feedstock_data")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub feedstock_data: Option<Vec<Map<String, Value>>>,
    #[serde(default, alias = "utility_data")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub utility_data: Option<Vec<Map<String, Value>>>,
    #[serde(default, alias = "product_data")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub product_data: Option<Vec<Map<String, Value>>>,
}

impl Validate for DraftRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (field, items, max) in [
            ("feedstockData", &self.feedstock_data, MAX_FEEDSTOCK_ITEMS),
            ("utilityData", &self.utility_data, MAX_UTILITY_ITEMS),
            ("productData", &self.product_data, MAX_PRODUCT_ITEMS),
        ] {
            if items.as_ref().is_some_and(|items| items.len() > max) {
                errors.push(FieldError::body(
                    field,
                    format!("List should have at most {max} items"),
                    "too_long",
                ));
            }
        }
        errors
    }
}

impl DraftRequest {
    fn into_changes(self) -> DraftChanges {
        let mut inputs = Map::new();
        let ids = [
            ("processId", self.process_id),
            ("feedstockId", self.feedstock_id),
            ("countryId", self.country_id),
        ];
        for (key, id) in ids {
            if let Some(id) = id {
                inputs.insert(key.into(), id.into());
            }
        }
        for (key, object) in [
            ("conversionPlant", self.conversion_plant),
            ("economicParameters", self.economic_parameters),
        ] {
            if let Some(object) = object {
                inputs.insert(key.into(), camel_case_keys(&Value::Object(object)));
            }
        }
        for (key, items) in [
            ("feedstockData", self.feedstock_data),
            ("utilityData", self.utility_data),
            ("productData", self.product_data),
        ] {
            if let Some(items) = items {
                inputs.insert(
                    key.into(),
                    camel_case_keys(&Value::Array(
                        items.into_iter().map(Value::Object).collect(),
                    )),
                );
            }
        }
        DraftChanges {
            process_id: self.process_id,
            feedstock_id: self.feedstock_id,
            country_id: self.country_id,
            inputs,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DraftResponse {
    pub id: Uuid,
    #[schema(value_type = String)]
    pub status: ScenarioStatus,
    pub message: &'static str,
    /// The merged inputs, keys in camelCase.
    #[schema(value_type = Object)]
    pub user_inputs: Value,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// The project the scenarios belong to.
    pub project_id: Uuid,
}

#[derive(Deserialize)]
struct ProjectInPath {
    project_id: Uuid,
}

/// The project of a scenario collection route: in the path below
/// `/api/v1/projects/{project_id}`, in the query (`?project_id=`) at `/api/v1/scenarios`.
pub struct ProjectOfScenarios(pub Uuid);

impl FromRequest for ProjectOfScenarios {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.match_info().get("project_id").is_some() {
            let path = web::Path::<ProjectInPath>::from_request(req, payload);
            Box::pin(async move { Ok(ProjectOfScenarios(path.await?.project_id)) })
        } else {
            let query = web::Query::<ProjectQuery>::from_request(req, payload);
            Box::pin(async move { Ok(ProjectOfScenarios(query.await?.project_id)) })
        }
    }
}

/// A scenario item route's path: the scenario, and the project when mounted below it (which
/// must then be the scenario's parent).
#[derive(Deserialize)]
pub struct ScenarioPath {
    pub project_id: Option<Uuid>,
    pub scenario_id: Uuid,
}

#[utoipa::path(
    post, path = "/api/v1/scenarios", tag = "scenarios",
    security(("bearer" = [])),
    params(ProjectQuery),
    request_body(content = Option<CreateScenarioRequest>, description = "Optional"),
    responses(
        (status = 201, body = ScenarioSummary),
        (status = 400, description = "Project already has 3 scenarios", body = ErrorBody),
        OwnedObjectErrors,
        (status = 409, description = "Requested order already in use", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    ProjectOfScenarios(project_id): ProjectOfScenarios,
    body: JsonBody<Option<CreateScenarioRequest>>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0.unwrap_or_default();
    let new = NewScenario {
        name: request.scenario_name.map(|n| n.trim().to_owned()),
        order: request.scenario_order.filter(|o| *o != 0),
    };
    let mut conn = state.conn().await?;
    let created = safapac_db::scenarios::create(&mut conn, user.id, project_id, new)
        .await?
        .ok_or(ApiError::NotFound(PROJECT_NOT_FOUND))?;
    drop(conn);
    Ok(HttpResponse::Created().json(ScenarioSummary::named(&state, &created).await?))
}

/// The project's scenarios by ascending order, with inputs and results.
#[utoipa::path(
    get, path = "/api/v1/scenarios", tag = "scenarios",
    security(("bearer" = [])),
    params(ProjectQuery),
    responses(
        (status = 200, body = Vec<ScenarioDetail>),
        OwnedObjectErrors,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    ProjectOfScenarios(project_id): ProjectOfScenarios,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let scenarios = safapac_db::scenarios::list(&mut conn, user.id, project_id)
        .await?
        .ok_or(ApiError::NotFound(PROJECT_NOT_FOUND))?;
    drop(conn);
    let summaries: Vec<ScenarioSummary> = state
        .master_cache
        .naming(|master| {
            scenarios
                .iter()
                .map(|scenario| ScenarioSummary::of(scenario, master))
                .collect()
        })
        .await?;
    let details: Vec<ScenarioDetail> = summaries
        .into_iter()
        .zip(scenarios)
        .map(|(summary, scenario)| ScenarioDetail::new(summary, scenario))
        .collect();
    Ok(HttpResponse::Ok().json(details))
}

#[utoipa::path(
    get, path = "/api/v1/scenarios/{scenario_id}", tag = "scenarios",
    security(("bearer" = [])),
    params(("scenario_id" = Uuid, Path)),
    responses(
        (status = 200, body = ScenarioDetail),
        OwnedObjectErrors,
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ScenarioPath>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let scenario =
        safapac_db::scenarios::get(&mut conn, user.id, path.scenario_id, path.project_id)
            .await?
            .ok_or(ApiError::NotFound(SCENARIO_NOT_FOUND))?;
    drop(conn);
    let summary = ScenarioSummary::named(&state, &scenario).await?;
    Ok(HttpResponse::Ok().json(ScenarioDetail::new(summary, scenario)))
}

#[utoipa::path(
    put, path = "/api/v1/scenarios/{scenario_id}", tag = "scenarios",
    security(("bearer" = [])),
    params(("scenario_id" = Uuid, Path)),
    request_body = UpdateScenarioRequest,
    responses(
        (status = 200, body = ScenarioSummary),
        OwnedObjectErrors,
        (status = 409, body = ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ScenarioPath>,
    body: JsonBody<UpdateScenarioRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    let changes = ScenarioChanges {
        name: request.scenario_name.map(|n| n.trim().to_owned()),
        order: request.scenario_order,
    };
    let mut conn = state.conn().await?;
    let scenario = safapac_db::scenarios::update(
        &mut conn,
        user.id,
        path.scenario_id,
        path.project_id,
        changes,
    )
    .await?
    .ok_or(ApiError::NotFound(SCENARIO_NOT_FOUND))?;
    drop(conn);
    Ok(HttpResponse::Ok().json(ScenarioSummary::named(&state, &scenario).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/scenarios/{scenario_id}", tag = "scenarios",
    security(("bearer" = [])),
    params(("scenario_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        OwnedObjectErrors,
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ScenarioPath>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    if safapac_db::scenarios::delete(&mut conn, user.id, path.scenario_id, path.project_id).await? {
        drop(conn);
        state.statuses.scenario_deleted(path.scenario_id).await;
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(SCENARIO_NOT_FOUND))
    }
}

#[utoipa::path(
    patch, path = "/api/v1/scenarios/{scenario_id}/draft", tag = "scenarios",
    security(("bearer" = [])),
    params(("scenario_id" = Uuid, Path)),
    request_body = DraftRequest,
    responses(
        (status = 200, body = DraftResponse),
        OwnedObjectErrors,
        (status = 409, description = "Calculation in progress", body = ErrorBody),
    )
)]
pub async fn draft(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ScenarioPath>,
    body: JsonBody<DraftRequest>,
) -> Result<HttpResponse, ApiError> {
    let ScenarioPath {
        project_id: parent,
        scenario_id,
    } = path.into_inner();
    let changes = body.0.into_changes();
    let mut conn = state.conn().await?;
    // Ownership first: a caller probing ids of someone else's scenario learns nothing.
    if safapac_db::scenarios::get(&mut conn, user.id, scenario_id, parent)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound(SCENARIO_NOT_FOUND));
    }
    let missing = safapac_db::master::missing_references(
        &mut conn,
        changes.process_id,
        changes.feedstock_id,
        changes.country_id,
    )
    .await?;
    if !missing.is_empty() {
        return Err(ApiError::Validation(
            missing
                .into_iter()
                .map(|reference| {
                    FieldError::body(
                        &format!("{reference}Id"),
                        format!("Unknown {reference} id"),
                        "value_error",
                    )
                })
                .collect(),
        ));
    }
    let scenario =
        safapac_db::scenarios::save_draft(&mut conn, user.id, scenario_id, parent, changes)
            .await?
            .ok_or(ApiError::NotFound(SCENARIO_NOT_FOUND))?;
    drop(conn);
    state
        .statuses
        .scenario_changed(scenario.id, scenario.revision)
        .await;
    Ok(HttpResponse::Ok().json(DraftResponse {
        id: scenario.id,
        status: scenario.status,
        message: "Draft saved",
        user_inputs: scenario.user_inputs,
    }))
}
