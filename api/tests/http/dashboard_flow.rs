//! The dashboard's own call sequence, checking every field it reads.

use actix_web::http::{Method, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::common::{PASSWORD, TEST_SECRET, TestApp};

/// Decodes a JWT payload the way the dashboard does: plain (not URL-safe) base64.
fn dashboard_exp(token: &str) -> i64 {
    let payload = token.split('.').nth(1).unwrap();
    let padded = format!("{payload}{}", "=".repeat((4 - payload.len() % 4) % 4));
    let bytes = STANDARD
        .decode(padded)
        .expect("payload decodes with plain base64");
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    claims["exp"].as_i64().expect("integer exp")
}

fn scenario_fields_present(scenario: &Value) {
    for field in [
        "id",
        "projectId",
        "scenarioName",
        "scenarioOrder",
        "process",
        "feedstock",
        "country",
    ] {
        assert!(!scenario[field].is_null(), "{field} missing in {scenario}");
    }
}

#[actix_web::test]
async fn the_dashboard_walk_through() {
    let app = TestApp::new().await;
    let email = "analyst@example.org";

    // Register (2xx is all it checks), then the verify page posts the link's token.
    let registered = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"name": "Aisha", "email": email, "password": PASSWORD, "occupation": "student"}),
        )
        .await;
    assert!(registered.status.is_success());
    let token = app.verification_token(email).unwrap();
    let verified = app
        .post("/api/v1/auth/verify-email", None, json!({"token": token}))
        .await;
    assert!(verified.status.is_success());
    assert!(verified.body["message"].is_string());

    // Login: accessToken, refreshToken, user.id; both tokens decode to an integer exp.
    let login = app.login(email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK);
    let access = login.body["accessToken"].as_str().unwrap().to_owned();
    let refresh = login.body["refreshToken"].as_str().unwrap().to_owned();
    let user_id = login.body["user"]["id"].as_str().unwrap().to_owned();
    let now = chrono::Utc::now().timestamp();
    assert!(dashboard_exp(&access) > now);
    assert!(dashboard_exp(&refresh) > dashboard_exp(&access));

    // Pickers: ids and names by which the calculation payload is built.
    let processes = app.get("/api/v1/process-technologies", &access).await;
    assert_eq!(processes.body[0]["id"], 1);
    assert_eq!(processes.body[0]["name"], "HEFA");
    let feedstocks = app.get("/api/v1/feedstocks", &access).await;
    assert_eq!(feedstocks.body[0]["name"], "UCO");

    // Create a project; Scenario 1 must exist when the answer arrives.
    let project = app
        .post(
            "/api/v1/projects",
            Some(&access),
            json!({"project_name": "Johor HEFA study", "user_id": null}),
        )
        .await;
    assert_eq!(project.status, StatusCode::CREATED);
    let project_id = project.body["id"].as_str().unwrap().to_owned();
    let scenarios = app.scenarios(&access, &project_id).await;
    assert_eq!(scenarios.len(), 1);
    scenario_fields_present(&scenarios[0]);
    assert!(scenarios[0]["userInputs"].is_object());
    assert!(scenarios[0].get("technoEconomics").is_some());
    assert!(scenarios[0].get("financialAnalysis").is_some());

    // Add a scenario at the lowest free order, open it, rename it.
    let created = app
        .post(
            &format!("/api/v1/projects/{project_id}/scenarios"),
            Some(&access),
            json!({"scenario_name": "Scenario 2", "scenario_order": 2}),
        )
        .await;
    assert!(created.status.is_success());
    scenario_fields_present(&created.body);
    let scenario_id = created.body["id"].as_str().unwrap().to_owned();
    let opened = app
        .get(&format!("/api/v1/scenarios/{scenario_id}"), &access)
        .await;
    scenario_fields_present(&opened.body);
    let renamed = app
        .send(
            Method::PUT,
            &format!("/api/v1/scenarios/{scenario_id}"),
            Some(&access),
            Some(json!({"scenario_name": "Low price"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    scenario_fields_present(&renamed.body);
    assert_eq!(renamed.body["scenarioName"], "Low price");

    // The project list.
    let projects = app.get("/api/v1/projects", &access).await;
    let listed = &projects.body[0];
    assert_eq!(listed["id"], project_id.as_str());
    assert_eq!(listed["projectName"], "Johor HEFA study");
    assert_eq!(listed["scenarioCount"], 2);
    assert!(
        chrono::NaiveDateTime::parse_from_str(
            listed["createdAt"].as_str().unwrap(),
            "%Y-%m-%dT%H:%M:%S%.f"
        )
        .is_ok()
    );

    // The access token expires: exactly 401, then refresh, then the retry succeeds.
    let expired = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": user_id, "exp": now - 1, "iat": now - 3600,
                "jti": uuid::Uuid::new_v4(), "type": "access"}),
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap();
    let rejected = app.get("/api/v1/projects", &expired).await;
    assert_eq!(rejected.status, StatusCode::UNAUTHORIZED);
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refreshToken": refresh}),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK);
    let access = refreshed.body["accessToken"].as_str().unwrap().to_owned();
    assert!(refreshed.body["refreshToken"].is_string());
    let retried = app.get("/api/v1/projects", &access).await;
    assert_eq!(retried.status, StatusCode::OK);

    // Delete the scenario, then the project.
    let deleted = app
        .send(
            Method::DELETE,
            &format!("/api/v1/scenarios/{scenario_id}"),
            Some(&access),
            None,
        )
        .await;
    assert!(deleted.status.is_success());
    let deleted = app
        .send(
            Method::DELETE,
            &format!("/api/v1/projects/{project_id}"),
            Some(&access),
            None,
        )
        .await;
    assert!(deleted.status.is_success());
    assert_eq!(app.get("/api/v1/projects", &access).await.body, json!([]));
}
