//! Calculations: submit (202, computed by a worker through the queue), poll the status,
//! compute synchronously, and read one job. Inputs are validated by the engine before
//! anything is stored, so an invalid document leaves the scenario untouched.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{
    CacheControl, CacheDirective, ContentType, ETag, EntityTag, IfNoneMatch,
};
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, web};
use safapac_cache::Entry;
use safapac_core::{CalcRequest, master::MasterData};
use safapac_db::jobs::{self, Finish, Submission};
use safapac_db::status::{JobStatus, ScenarioStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::auth::extract::AuthUser;
use crate::error::{ApiError, ErrorBody, FieldError, OwnedObjectErrors};
use crate::json_body::{JsonBody, Validate};
use crate::routes::scenarios::ScenarioPath;
use crate::status_cache::Finished;
use crate::wire;

const SCENARIO_NOT_FOUND: &str = "Scenario not found";
const JOB_NOT_FOUND: &str = "Job not found";
/// A synchronous calculation that has not finished by then fails.
const SYNC_TIMEOUT: Duration = Duration::from_secs(60);

/// The `CalculationInputs` document, checked by the engine itself (all problems at once).
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct CalculationInputs(Value);

impl Validate for CalculationInputs {
    fn validate(&self) -> Vec<FieldError> {
        Vec::new()
    }
}

fn validated(inputs: &CalculationInputs, master: &MasterData) -> Result<CalcRequest, ApiError> {
    safapac_core::parse_request(&inputs.0, master).map_err(|errors| {
        ApiError::Validation(
            errors
                .iter()
                .map(|e| {
                    let mut loc = vec![Value::from("body")];
                    loc.extend(e.path.0.iter().map(|seg| match seg {
                        safapac_core::error::Segment::Key(k) => Value::from(k.as_str()),
                        safapac_core::error::Segment::Index(i) => Value::from(*i),
                    }));
                    FieldError::new(loc, e.message.clone(), e.kind.code())
                })
                .collect(),
        )
    })
}

/// The stored form of validated inputs: the engine's own document, camelCase keys, every
/// field present.
fn stored_inputs(request: &CalcRequest) -> Result<Value, ApiError> {
    serde_json::to_value(request).map_err(|e| ApiError::Internal(e.into()))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalculationAccepted {
    /// Always `calculating`.
    pub status: &'static str,
    pub scenario_id: Uuid,
    pub message: &'static str,
    /// The job computing this submission: `GET /api/v1/jobs/{jobId}`.
    pub job_id: Uuid,
}

async fn submit(
    state: &AppState,
    user: AuthUser,
    scenario_id: Uuid,
    parent: Option<Uuid>,
    inputs: &CalculationInputs,
    synchronous: bool,
) -> Result<Accepted, ApiError> {
    let master = state.master_cache.engine().await?;
    let request = validated(inputs, &master.value)?;
    let stored = stored_inputs(&request)?;
    let submission = Submission {
        process_id: request.process_id,
        feedstock_id: request.feedstock_id,
        country_id: request.country_id,
        inputs: stored.clone(),
        synchronous,
    };
    let mut conn = state.conn().await?;
    let submitted = jobs::submit(&mut conn, user.id, scenario_id, parent, submission)
        .await?
        .ok_or(ApiError::NotFound(SCENARIO_NOT_FOUND))?;
    drop(conn);
    state
        .statuses
        .scenario_changed(scenario_id, submitted.revision)
        .await;
    Ok(Accepted {
        request,
        stored,
        job_id: submitted.job_id,
        master,
    })
}

/// A stored submission: the validated request, its stored form, its job, and the reference
/// data it was validated against.
struct Accepted {
    request: CalcRequest,
    stored: Value,
    job_id: Uuid,
    master: Arc<Entry<MasterData>>,
}

#[utoipa::path(
    post, path = "/api/v1/scenarios/{scenario_id}/calculate", tag = "calculations",
    security(("bearer" = [])),
    params(("scenario_id" = Uuid, Path)),
    request_body = CalculationInputs,
    responses(
        (status = 202, body = CalculationAccepted),
        OwnedObjectErrors,
        (status = 503, body = ErrorBody),
    )
)]
pub async fn calculate(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ScenarioPath>,
    inputs: JsonBody<CalculationInputs>,
) -> Result<HttpResponse, ApiError> {
    let ScenarioPath {
        project_id: parent,
        scenario_id,
    } = path.into_inner();
    let job_id = submit(&state, user, scenario_id, parent, &inputs.0, false)
        .await?
        .job_id;
    // The job row is committed: if this push fails, the sweeper delivers the job later.
    match &state.queue {
        Some(queue) => {
            if let Err(e) = queue.push(job_id, 0).await {
                tracing::warn!(%job_id, error = %e, "push failed; the sweeper will deliver the job");
            }
        }
        None => tracing::warn!(%job_id, "no queue configured; the sweeper will deliver the job"),
    }
    Ok(HttpResponse::Accepted().json(CalculationAccepted {
        status: "calculating",
        scenario_id,
        message: "Calculation started. Poll /calculate/status for results.",
        job_id,
    }))
}

/// `{"technoEconomics": …, "financials": …, "resolvedInputs": …}` from JSON texts.
fn results_body(techno_economics: &str, financials: &str, inputs: &str) -> String {
    format!(
        r#"{{"technoEconomics":{techno_economics},"financials":{financials},"resolvedInputs":{inputs}}}"#
    )
}

#[utoipa::path(
    post, path = "/api/v1/scenarios/{scenario_id}/calculate/sync", tag = "calculations",
    security(("bearer" = [])),
    params(("scenario_id" = Uuid, Path)),
    request_body = CalculationInputs,
    responses(
        (status = 200, body = CalculationResults),
        OwnedObjectErrors,
        (status = 503, body = ErrorBody),
    )
)]
pub async fn calculate_sync(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ScenarioPath>,
    inputs: JsonBody<CalculationInputs>,
) -> Result<HttpResponse, ApiError> {
    let ScenarioPath {
        project_id: parent,
        scenario_id,
    } = path.into_inner();
    let Accepted {
        request,
        stored,
        job_id,
        master,
    } = submit(&state, user, scenario_id, parent, &inputs.0, true).await?;
    // Validated once, above: the engine computes the request as parsed.
    let computed = tokio::time::timeout(
        SYNC_TIMEOUT,
        tokio::task::spawn_blocking(move || {
            let calc = safapac_core::calculate_validated(request, &master.value);
            (calc.techno_economics_json(), calc.financials_json())
        }),
    )
    .await;
    let mut conn = state.conn().await?;
    let (techno_economics, financials) = match computed {
        Ok(Ok(results)) => results,
        failure => {
            let reason = match failure {
                Err(_) => "the calculation did not finish in time",
                _ => "the calculation failed",
            };
            jobs::fail(&mut conn, job_id, reason).await?;
            return Err(ApiError::Internal(anyhow::anyhow!(
                "synchronous calculation {job_id}: {reason}"
            )));
        }
    };
    match jobs::succeed(&mut conn, job_id, &techno_economics, &financials).await {
        Ok(Finish::Recorded) => {}
        // Newer inputs arrived while computing: these results answer this request only.
        Ok(Finish::Superseded | Finish::AlreadyFinished) => {
            tracing::info!(%job_id, "synchronous result superseded by a newer submission");
        }
        Err(e) => {
            drop(conn);
            hand_over(&state, job_id).await.map_err(|handing| {
                tracing::warn!(%job_id, error = %handing, "synchronous job not handed over either");
                e
            })?;
        }
    }
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(results_body(
            &techno_economics,
            &financials,
            &stored.to_string(),
        )))
}

/// A synchronous result that could not be recorded is computed again by a worker, which
/// records it: the answer still carries the results, and the scenario gets the same ones.
/// Fails (and the client retries) only if the job could not be handed over either; then the
/// sweeper fails it after the job timeout.
async fn hand_over(state: &AppState, job_id: Uuid) -> Result<(), ApiError> {
    let delivery = {
        let mut conn = state.conn().await?;
        jobs::hand_over(&mut conn, job_id).await?
    };
    let Some(delivery) = delivery else {
        // Recorded, superseded or failed by someone else meanwhile: nothing is waiting.
        return Ok(());
    };
    tracing::warn!(%job_id, "synchronous result not recorded; handed over to the workers");
    if let Some(queue) = &state.queue
        && let Err(e) = queue.push(job_id, delivery).await
    {
        tracing::warn!(%job_id, error = %e, "push failed; the sweeper will deliver the job");
    }
    Ok(())
}

/// The poll body: results only when `calculated`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalculationStatusBody {
    pub scenario_id: Uuid,
    /// `draft`, `calculating`, `calculated` or `failed`.
    #[schema(value_type = String)]
    pub status: ScenarioStatus,
    pub message: String,
    #[schema(value_type = Option<Object>)]
    pub techno_economics: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub financials: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub resolved_inputs: Option<Value>,
}

fn status_message(status: ScenarioStatus, error: Option<&str>) -> String {
    match status {
        ScenarioStatus::Calculated => "Calculation complete".to_owned(),
        ScenarioStatus::Calculating => "Calculation in progress".to_owned(),
        ScenarioStatus::Failed => match error {
            Some(reason) => format!("Calculation failed: {reason}. Please try again."),
            None => "Calculation failed. Please try again.".to_owned(),
        },
        ScenarioStatus::Draft => "Calculation not started".to_owned(),
    }
}

#[utoipa::path(
    get, path = "/api/v1/scenarios/{scenario_id}/calculate/status", tag = "calculations",
    security(("bearer" = [])),
    params(("scenario_id" = Uuid, Path)),
    responses(
        (status = 200, body = CalculationStatusBody),
        (status = 304, description = "Calculated, and the `ETag` the client sent with `If-None-Match` is current: no body"),
        OwnedObjectErrors,
        (status = 503, body = ErrorBody),
    )
)]
pub async fn status(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ScenarioPath>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ScenarioPath {
        project_id: parent,
        scenario_id,
    } = path.into_inner();
    if let Some(finished) = state.statuses.get(scenario_id, user.id, parent) {
        return Ok(finished_answer(&request, scenario_id, &finished));
    }
    let mut conn = state.conn().await?;
    let found = jobs::calculation_status(&mut conn, user.id, scenario_id, parent)
        .await?
        .ok_or(ApiError::NotFound(SCENARIO_NOT_FOUND))?;
    drop(conn);
    let message = status_message(found.status, found.error.as_deref());
    let body = match (&found.techno_economics, &found.financials, &found.inputs) {
        // Stored results are passed through as text: a poll never re-parses 50 KB of JSON.
        (Some(te), Some(fin), Some(inputs)) => {
            let head = serde_json::json!({"scenarioId": scenario_id, "status": found.status, "message": message});
            let head = head.to_string();
            let results = results_body(te, fin, inputs);
            let finished = Finished {
                owner: user.id,
                project: found.project_id,
                revision: found.revision,
                body: format!("{},{}", &head[..head.len() - 1], &results[1..]).into(),
            };
            state.statuses.put(scenario_id, finished.clone());
            return Ok(finished_answer(&request, scenario_id, &finished));
        }
        _ => serde_json::to_string(&CalculationStatusBody {
            scenario_id,
            status: found.status,
            message,
            techno_economics: None,
            financials: None,
            resolved_inputs: None,
        })
        .map_err(|e| ApiError::Internal(e.into()))?,
    };
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body))
}

/// A calculated scenario's answer, which never changes for its revision: with an `ETag`, and
/// `304 Not Modified` (no body) for a client that already holds it. `no-cache` makes a
/// browser revalidate every poll instead of reusing its copy unasked.
fn finished_answer(request: &HttpRequest, scenario: Uuid, finished: &Finished) -> HttpResponse {
    let tag = EntityTag::new_strong(finished.etag(scenario));
    let held = match request.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&tag)),
        None => false,
    };
    let mut answer = if held {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    answer
        .insert_header(ETag(tag))
        .insert_header(CacheControl(vec![
            CacheDirective::Private,
            CacheDirective::NoCache,
        ]));
    if held {
        answer.finish()
    } else {
        answer
            .content_type(ContentType::json())
            .body(finished.body.clone())
    }
}

/// One calculation job, as its owner sees it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobBody {
    pub id: Uuid,
    pub scenario_id: Uuid,
    pub revision: i64,
    /// `queued`, `running`, `succeeded`, `failed` or `superseded`.
    #[schema(value_type = String)]
    pub status: JobStatus,
    pub attempts: i32,
    pub synchronous: bool,
    pub error: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/jobs/{job_id}", tag = "calculations",
    security(("bearer" = [])),
    params(("job_id" = Uuid, Path)),
    responses(
        (status = 200, body = JobBody),
        OwnedObjectErrors,
    )
)]
pub async fn get_job(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.conn().await?;
    let job = jobs::find_owned(&mut conn, user.id, path.into_inner())
        .await?
        .ok_or(ApiError::NotFound(JOB_NOT_FOUND))?;
    Ok(HttpResponse::Ok().json(JobBody {
        id: job.id,
        scenario_id: job.scenario_id,
        revision: job.revision,
        status: job.status,
        attempts: job.attempts,
        synchronous: job.synchronous,
        error: job.error,
        created_at: wire::format_timestamp(&job.created_at),
        started_at: job.started_at.as_ref().map(wire::format_timestamp),
        finished_at: job.finished_at.as_ref().map(wire::format_timestamp),
    }))
}

/// The synchronous calculation's answer (documentation only: it is written as text).
#[derive(ToSchema)]
#[allow(dead_code)] // only describes the body in the OpenAPI document
#[schema(rename_all = "camelCase")]
pub struct CalculationResults {
    #[schema(value_type = Object)]
    techno_economics: (),
    #[schema(value_type = Object)]
    financials: (),
    #[schema(value_type = Object)]
    resolved_inputs: (),
}
