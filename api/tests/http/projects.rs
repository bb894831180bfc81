//! Projects CRUD and request-body handling.

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::common::{TestApp, assert_validation_error};

fn is_naive_utc(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        && !text.ends_with('Z')
}

#[actix_web::test]
async fn create_returns_the_project_with_its_first_scenario() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    for body in [
        json!({"project_name": "Snake"}),
        json!({"projectName": "Camel"}),
    ] {
        let created = app
            .post("/api/v1/projects", Some(&session.access), body)
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let project = &created.body;
        assert_eq!(project["userId"], session.user_id.as_str());
        assert!(project["projectName"] == "Snake" || project["projectName"] == "Camel");
        assert_eq!(project["scenarioCount"], 1);
        assert_eq!(project["initialProcess"], Value::Null);
        assert_eq!(project["initialFeedstock"], Value::Null);
        assert_eq!(project["initialCountry"], Value::Null);
        assert!(
            is_naive_utc(&project["createdAt"]),
            "{}",
            project["createdAt"]
        );
        assert!(is_naive_utc(&project["updatedAt"]));
        let scenarios = app
            .scenarios(&session.access, project["id"].as_str().unwrap())
            .await;
        assert_eq!(scenarios.len(), 1);
        assert_eq!(scenarios[0]["scenarioName"], "Scenario 1");
        assert_eq!(scenarios[0]["scenarioOrder"], 1);
    }
}

#[actix_web::test]
async fn list_get_rename_and_delete() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let older = app.create_project(&session.access, "Older").await;
    let newer = app.create_project(&session.access, "Newer").await;
    app.post(
        &format!("/api/v1/projects/{newer}/scenarios"),
        Some(&session.access),
        json!({}),
    )
    .await;

    let listed = app.get("/api/v1/projects", &session.access).await;
    assert_eq!(listed.status, StatusCode::OK);
    let items = listed.body.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0]["id"],
        newer.as_str(),
        "most recently changed first"
    );
    assert_eq!(items[0]["scenarioCount"], 2);
    assert_eq!(items[1]["scenarioCount"], 1);
    assert!(items[0].get("scenarios").is_none());

    let renamed = app
        .send(
            Method::PUT,
            &format!("/api/v1/projects/{older}"),
            Some(&session.access),
            Some(json!({"projectName": "Renamed"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["projectName"], "Renamed");
    assert_eq!(renamed.body["scenarioCount"], 1);
    let listed = app.get("/api/v1/projects", &session.access).await;
    assert_eq!(
        listed.body[0]["id"],
        older.as_str(),
        "a rename bumps updatedAt"
    );

    let detail = app
        .get(&format!("/api/v1/projects/{newer}"), &session.access)
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_eq!(detail.body["projectName"], "Newer");
    let scenarios = detail.body["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 2);
    assert_eq!(scenarios[0]["scenarioOrder"], 1);
    assert_eq!(scenarios[1]["scenarioOrder"], 2);
    assert!(
        scenarios[0].get("userInputs").is_none(),
        "summaries carry no blobs"
    );

    let deleted = app
        .send(
            Method::DELETE,
            &format!("/api/v1/projects/{newer}"),
            Some(&session.access),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.text.is_empty());
    let gone = app
        .get(&format!("/api/v1/projects/{newer}"), &session.access)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.detail(), "Project not found or access denied");
    let scenarios_gone = app
        .get(
            &format!("/api/v1/projects/{newer}/scenarios"),
            &session.access,
        )
        .await;
    assert_eq!(scenarios_gone.status, StatusCode::NOT_FOUND);
    assert_eq!(scenarios_gone.detail(), "Project not found");
    let again = app
        .send(
            Method::DELETE,
            &format!("/api/v1/projects/{newer}"),
            Some(&session.access),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn invalid_names_and_ids_are_422() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    for body in [
        json!({"project_name": ""}),
        json!({"project_name": "   "}),
        json!({"project_name": "x".repeat(101)}),
        json!({"project_name": 5}),
        json!({}),
    ] {
        let response = app
            .post("/api/v1/projects", Some(&session.access), body.clone())
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let loc = &response.body["detail"][0]["loc"];
        assert_eq!(loc[0], "body");
        assert!(loc[1] == "projectName" || loc[1] == "project_name", "{loc}");
    }
    let bad_id = app
        .get("/api/v1/projects/not-a-uuid", &session.access)
        .await;
    assert_validation_error(&bad_id, "project_id");
    assert_eq!(bad_id.body["detail"][0]["loc"][0], "path");
    let update = app
        .send(
            Method::PUT,
            &format!("/api/v1/projects/{}", uuid::Uuid::new_v4()),
            Some(&session.access),
            Some(json!({"projectName": "x"})),
        )
        .await;
    assert_eq!(update.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn hostile_names_are_stored_literally_or_rejected() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let hostile = "Robert'); DROP TABLE projects;-- \"%_\\ <script>";
    let id = app.create_project(&session.access, hostile).await;
    let read = app
        .get(&format!("/api/v1/projects/{id}"), &session.access)
        .await;
    assert_eq!(read.body["projectName"], hostile);
    let renamed = app
        .send(
            Method::PUT,
            &format!(
                "/api/v1/scenarios/{}",
                read.body["scenarios"][0]["id"].as_str().unwrap()
            ),
            Some(&session.access),
            Some(json!({"scenario_name": hostile})),
        )
        .await;
    assert_eq!(renamed.body["scenarioName"], hostile);

    let huge = "n".repeat(10 * 1024);
    let project = app
        .post(
            "/api/v1/projects",
            Some(&session.access),
            json!({"project_name": huge}),
        )
        .await;
    // Semantic checks report the canonical (camelCase) field name.
    assert_validation_error(&project, "projectName");
    let scenario = app
        .post(
            &format!("/api/v1/projects/{id}/scenarios"),
            Some(&session.access),
            json!({"scenario_name": huge}),
        )
        .await;
    assert_validation_error(&scenario, "scenarioName");
    let listed = app.get("/api/v1/projects", &session.access).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn oversized_malformed_and_non_json_bodies() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let bearer = ("Authorization", format!("Bearer {}", session.access));

    let ten_megabytes = format!(r#"{{"project_name": "{}"}}"#, "x".repeat(10 * 1024 * 1024));
    let oversized = app
        .request(
            TestRequest::post()
                .uri("/api/v1/projects")
                .insert_header(bearer.clone())
                .insert_header((CONTENT_TYPE, "application/json"))
                .set_payload(ten_megabytes),
        )
        .await;
    assert_eq!(oversized.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(oversized.detail().contains("too large"));

    // Without a Content-Length (chunked), the limit still holds while reading.
    let mut chunked = TestRequest::post()
        .uri("/api/v1/projects")
        .insert_header(bearer.clone())
        .insert_header((CONTENT_TYPE, "application/json"))
        .set_payload("y".repeat(300 * 1024))
        .to_request();
    chunked.headers_mut().remove(CONTENT_LENGTH);
    let chunked = app.request_raw(chunked).await;
    assert_eq!(chunked.status, StatusCode::PAYLOAD_TOO_LARGE);

    let malformed = app
        .request(
            TestRequest::post()
                .uri("/api/v1/projects")
                .insert_header(bearer.clone())
                .insert_header((CONTENT_TYPE, "application/json; charset=utf-8"))
                .set_payload(r#"{"project_name": "#),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(malformed.body["detail"].is_string());

    let form = app
        .request(
            TestRequest::post()
                .uri("/api/v1/projects")
                .insert_header(bearer.clone())
                .insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload("project_name=x"),
        )
        .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let empty = app
        .request(
            TestRequest::post()
                .uri("/api/v1/projects")
                .insert_header(bearer),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.body["detail"][0]["loc"][0], "body");
}
