//! Calculations over HTTP with the real worker, PostgreSQL and Redis: submit → poll →
//! calculated, validation before anything is stored, the synchronous route, job status, and
//! every bad request the original mishandled (the golden invalid cases).

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use safapac_testkit::golden;

use crate::common::{TestApp, assert_validation_error};

/// A signed-in user with a project; returns (token, project id, its first scenario id).
pub(crate) async fn setup(app: &TestApp, email: &str) -> (String, String, String) {
    let session = app.sign_up(email).await;
    let project = app.create_project(&session.access, "SAF plant").await;
    let scenario = app.scenarios(&session.access, &project).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (session.access, project, scenario)
}

pub(crate) async fn poll_until_done(app: &TestApp, token: &str, path: &str) -> Value {
    for _ in 0..200 {
        let polled = app.get(&format!("{path}/calculate/status"), token).await;
        assert_eq!(polled.status, StatusCode::OK, "{}", polled.text);
        if polled.body["status"] != "calculating" {
            return polled.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still calculating");
}

#[actix_web::test]
async fn submit_then_poll_gives_the_engines_results_on_both_mountings() {
    let app = TestApp::new().await;
    let worker = app.start_worker();
    let (token, project, scenario) = setup(&app, "calc@example.com").await;
    for (i, path) in [
        format!("/api/v1/projects/{project}/scenarios/{scenario}"),
        format!("/api/v1/scenarios/{scenario}"),
    ]
    .iter()
    .enumerate()
    {
        let inputs = golden::inputs(i);
        let accepted = app
            .post(&format!("{path}/calculate"), Some(&token), inputs.clone())
            .await;
        assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.text);
        assert_eq!(accepted.body["status"], "calculating");
        assert_eq!(accepted.body["scenarioId"], scenario.as_str());
        assert!(accepted.body["message"].is_string());
        let job_id = accepted.body["jobId"].as_str().unwrap().to_owned();

        let done = poll_until_done(&app, &token, path).await;
        assert_eq!(done["status"], "calculated");
        assert_eq!(done["message"], "Calculation complete");
        let (te, fin) = golden::engine_results(&inputs);
        assert_eq!(done["technoEconomics"], te);
        assert_eq!(done["financials"], fin);
        assert_eq!(done["resolvedInputs"]["processId"], inputs["processId"]);
        assert_eq!(
            done["resolvedInputs"]["conversionPlant"]["plantCapacity"]["unitId"],
            inputs["conversionPlant"]["plantCapacity"]["unitId"]
        );

        let job = app.get(&format!("/api/v1/jobs/{job_id}"), &token).await;
        assert_eq!(job.status, StatusCode::OK, "{}", job.text);
        assert_eq!(job.body["status"], "succeeded");
        assert_eq!(job.body["attempts"], 1);
        assert_eq!(job.body["scenarioId"], scenario.as_str());
        assert!(job.body["finishedAt"].is_string());
    }
    worker.stop().await;
    app.clear_queue().await;
}

#[actix_web::test]
async fn invalid_inputs_are_rejected_with_field_paths_and_nothing_changes() {
    let app = TestApp::new().await;
    let (token, _, scenario) = setup(&app, "invalid@example.com").await;
    let path = format!("/api/v1/scenarios/{scenario}");
    let mut inputs = golden::inputs(0);
    inputs["productData"][1]["yieldPercent"] = json!(-3);
    inputs["conversionPlant"]["plantCapacity"]["unitId"] = json!(99);
    for route in ["calculate", "calculate/sync"] {
        let rejected = app
            .post(&format!("{path}/{route}"), Some(&token), inputs.clone())
            .await;
        assert_validation_error(&rejected, "yieldPercent");
        assert_validation_error(&rejected, "unitId");
        let locs: Vec<&Value> = rejected.body["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["loc"])
            .collect();
        assert!(
            locs.contains(&&json!(["body", "productData", 1, "yieldPercent"])),
            "{locs:?}"
        );
    }
    let status = app.get(&format!("{path}/calculate/status"), &token).await;
    assert_eq!(status.body["status"], "draft");
    let stored = app.get(&path, &token).await;
    assert_eq!(stored.body["userInputs"], json!({}), "inputs untouched");
    let mut conn = app.state.pool.get().await.unwrap();
    let jobs: i64 = diesel_async::RunQueryDsl::get_result(
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "count(*) FROM calculation_jobs",
        )),
        &mut conn,
    )
    .await
    .unwrap();
    assert_eq!(jobs, 0, "nothing queued");
}

#[actix_web::test]
async fn sync_calculation_answers_with_the_results_and_records_them() {
    let app = TestApp::new().await;
    let (token, project, scenario) = setup(&app, "sync@example.com").await;
    let path = format!("/api/v1/projects/{project}/scenarios/{scenario}");
    let inputs = golden::inputs(5);
    let answered = app
        .post(
            &format!("{path}/calculate/sync"),
            Some(&token),
            inputs.clone(),
        )
        .await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.text);
    let (te, fin) = golden::engine_results(&inputs);
    assert_eq!(answered.body["technoEconomics"], te);
    assert_eq!(answered.body["financials"], fin);
    assert_eq!(
        answered.body["resolvedInputs"]["countryId"],
        inputs["countryId"]
    );

    let status = app.get(&format!("{path}/calculate/status"), &token).await;
    assert_eq!(status.body["status"], "calculated");
    assert_eq!(status.body["technoEconomics"], te);

    // The scenario's own page carries the stored results too (passed through as stored).
    let page = app.get(&path, &token).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.body["technoEconomics"], te);
    assert_eq!(page.body["financialAnalysis"], fin);
}

#[actix_web::test]
async fn a_push_that_fails_still_accepts_and_the_sweeper_delivers_later() {
    let app = TestApp::with_config(|c| {
        // Nothing listens here: the API's push fails after the job row is stored.
        c.queue.redis_url = "redis://127.0.0.1:1".into();
        c.queue.redis_timeout = Duration::from_millis(200);
    })
    .await;
    let (token, _, scenario) = setup(&app, "lostpush@example.com").await;
    let path = format!("/api/v1/scenarios/{scenario}");
    let accepted = app
        .post(
            &format!("{path}/calculate"),
            Some(&token),
            golden::inputs(0),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.text);
    let job_id = accepted.body["jobId"].as_str().unwrap().to_owned();
    let job = app.get(&format!("/api/v1/jobs/{job_id}"), &token).await;
    assert_eq!(job.body["status"], "queued");

    // A worker on the real Redis sweeps the job up.
    let mut settings = app.worker_settings();
    settings.queue.redis_url = "redis://127.0.0.1:6379".into();
    settings.requeue_after = Duration::from_secs(1);
    settings.sweep_interval = Duration::from_secs(1);
    let worker = app.start_worker_with(settings);
    let done = poll_until_done(&app, &token, &path).await;
    assert_eq!(done["status"], "calculated");
    worker.stop().await;
}

#[actix_web::test]
async fn other_users_calculations_and_jobs_are_not_found() {
    let app = TestApp::new().await;
    let (owner, project, scenario) = setup(&app, "owner@example.com").await;
    let (intruder, other_project, _) = setup(&app, "intruder@example.com").await;
    let accepted = app
        .post(
            &format!("/api/v1/scenarios/{scenario}/calculate"),
            Some(&owner),
            golden::inputs(0),
        )
        .await;
    let job_id = accepted.body["jobId"].as_str().unwrap().to_owned();
    for path in [
        format!("/api/v1/scenarios/{scenario}"),
        format!("/api/v1/projects/{project}/scenarios/{scenario}"),
        // The owner's scenario under the wrong project is not found either.
        format!("/api/v1/projects/{other_project}/scenarios/{scenario}"),
    ] {
        let token = if path.contains(&other_project) {
            &owner
        } else {
            &intruder
        };
        for (method, route) in [
            (Method::POST, "calculate"),
            (Method::POST, "calculate/sync"),
            (Method::GET, "calculate/status"),
        ] {
            let body = (method == Method::POST).then(|| golden::inputs(0));
            let response = app
                .send(
                    method.clone(),
                    &format!("{path}/{route}"),
                    Some(token),
                    body,
                )
                .await;
            assert_eq!(
                response.status,
                StatusCode::NOT_FOUND,
                "{method} {path}/{route}: {}",
                response.text
            );
            assert_eq!(response.detail(), "Scenario not found");
        }
    }
    let job = app.get(&format!("/api/v1/jobs/{job_id}"), &intruder).await;
    assert_eq!(job.status, StatusCode::NOT_FOUND);
    app.clear_queue().await;
}

/// What our API answers to each request the original mishandled, and the scenario status
/// after it.
fn expected_outcome(name: &str) -> (StatusCode, &'static str) {
    match name {
        "capacity_value_numeric_string_coerced" => (StatusCode::OK, "calculated"),
        "async_calculate_valid" => (StatusCode::ACCEPTED, "calculated"),
        "malformed_json_body" => (StatusCode::BAD_REQUEST, "draft"),
        "no_authorization_header" => (StatusCode::UNAUTHORIZED, "draft"),
        "unknown_scenario_id" => (StatusCode::NOT_FOUND, "draft"),
        // Everything else is an invalid document, now refused before anything is stored:
        // missing fields, fractional or zero or negative lifetimes, empty lists, unknown ids,
        // combinations without reference data, a quantity without its unit.
        _ => (StatusCode::UNPROCESSABLE_ENTITY, "draft"),
    }
}

#[actix_web::test]
async fn every_request_the_original_mishandled_gets_a_useful_answer() {
    let app = TestApp::with_config(crate::common::generous_limits).await;
    let worker = app.start_worker();
    let cases = golden::invalid_cases();
    assert_eq!(cases.len(), 17);
    for (i, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let (token, project, scenario) = setup(&app, &format!("case{i}@example.com")).await;
        let path = case["path"]
            .as_str()
            .unwrap()
            .replace("{project_id}", &project)
            .replace("{scenario_id}", &scenario);
        let mut request = TestRequest::post().uri(&path);
        if case["auth"] == "valid" {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        request = match case.get("raw_body") {
            Some(raw) => request
                .insert_header(("Content-Type", "application/json"))
                .set_payload(raw.as_str().unwrap().to_owned()),
            None => request.set_json(&case["inputs"]),
        };
        let response = app.request(request).await;
        let (status, after) = expected_outcome(name);
        assert_eq!(response.status, status, "{name}: {}", response.text);
        assert!(response.status.as_u16() < 500, "{name}");
        if !response.status.is_success() {
            let detail = &response.body["detail"];
            assert!(
                detail.is_string() || detail.as_array().is_some_and(|d| !d.is_empty()),
                "{name}: {}",
                response.text
            );
        }
        if status == StatusCode::UNPROCESSABLE_ENTITY && !path.contains("not-a-uuid") {
            let fields = response.body["detail"].as_array().unwrap();
            assert!(
                fields
                    .iter()
                    .all(|f| f["loc"][0] == "body" && f["loc"].as_array().unwrap().len() > 1),
                "{name}: {}",
                response.text
            );
        }
        let polled = poll_until_done(&app, &token, &format!("/api/v1/scenarios/{scenario}")).await;
        assert_eq!(polled["status"], after, "{name}");
    }
    worker.stop().await;
    app.clear_queue().await;
}
