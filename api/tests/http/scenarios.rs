//! Scenario routes under both mountings, the three-scenario limit, updates and drafts.

use actix_web::http::{Method, StatusCode};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use safapac_db::schema::scenarios;
use serde_json::{Value, json};

use crate::common::{TestApp, assert_validation_error};

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn the_first_scenario_carries_every_field_the_dashboard_reads() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let project = app.create_project(&session.access, "P").await;
    let scenarios = app.scenarios(&session.access, &project).await;
    let first = &scenarios[0];
    assert_eq!(first["projectId"], project.as_str());
    assert_eq!(first["scenarioName"], "Scenario 1");
    assert_eq!(first["scenarioOrder"], 1);
    assert_eq!(first["status"], "draft");
    assert_eq!(first["process"], json!({"id": 1, "name": "HEFA"}));
    assert_eq!(first["feedstock"]["id"], 1);
    assert_eq!(first["feedstock"]["name"], "UCO");
    assert!(first["feedstock"]["ciRefGco2EPerMj"].is_number());
    assert_eq!(first["country"], json!({"id": 1, "name": "USA"}));
    assert_eq!(first["userInputs"], json!({}));
    assert_eq!(first["technoEconomics"], Value::Null);
    assert_eq!(first["financialAnalysis"], Value::Null);

    let direct = app
        .get(&format!("/api/v1/scenarios/{}", id(first)), &session.access)
        .await;
    assert_eq!(direct.status, StatusCode::OK);
    assert_eq!(direct.body, *first);
    let nested = app
        .get(
            &format!("/api/v1/projects/{project}/scenarios/{}", id(first)),
            &session.access,
        )
        .await;
    assert_eq!(nested.body, *first);
}

#[actix_web::test]
async fn create_honours_name_and_order_in_both_casings_up_to_three() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let project = app.create_project(&session.access, "P").await;
    let nested = format!("/api/v1/projects/{project}/scenarios");

    let third = app
        .post(
            &nested,
            Some(&session.access),
            json!({"scenario_name": "Third", "scenario_order": 3}),
        )
        .await;
    assert_eq!(third.status, StatusCode::CREATED, "{}", third.text);
    assert_eq!(third.body["scenarioName"], "Third");
    assert_eq!(third.body["scenarioOrder"], 3);
    assert_eq!(third.body["status"], "draft");
    assert!(
        third.body.get("userInputs").is_none(),
        "create answers a summary"
    );

    let taken = app
        .post(
            &nested,
            Some(&session.access),
            json!({"scenarioOrder": 3.0}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.detail(), "Scenario order already in use");
    let out_of_range = app
        .post(&nested, Some(&session.access), json!({"scenarioOrder": 4}))
        .await;
    assert_validation_error(&out_of_range, "scenarioOrder");
    let fractional = app
        .post(
            &nested,
            Some(&session.access),
            json!({"scenario_order": 1.5}),
        )
        .await;
    assert_validation_error(&fractional, "scenario_order");

    // Direct mounting, no body: lowest free order and the default name.
    let direct = app
        .send(
            Method::POST,
            &format!("/api/v1/scenarios?project_id={project}"),
            Some(&session.access),
            None,
        )
        .await;
    assert_eq!(direct.status, StatusCode::CREATED, "{}", direct.text);
    assert_eq!(direct.body["scenarioOrder"], 2);
    assert_eq!(direct.body["scenarioName"], "Scenario 3");

    let fourth = app.post(&nested, Some(&session.access), json!({})).await;
    assert_eq!(fourth.status, StatusCode::BAD_REQUEST);
    assert_eq!(fourth.detail(), "Maximum 3 scenarios per project");

    let listed = app
        .get(
            &format!("/api/v1/scenarios?project_id={project}"),
            &session.access,
        )
        .await;
    let orders: Vec<i64> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scenarioOrder"].as_i64().unwrap())
        .collect();
    assert_eq!(orders, [1, 2, 3]);
    assert_eq!(
        listed.body,
        json!(app.scenarios(&session.access, &project).await)
    );

    let missing_query = app.get("/api/v1/scenarios", &session.access).await;
    assert_validation_error(&missing_query, "project_id");
    let malformed_query = app
        .get("/api/v1/scenarios?project_id=123", &session.access)
        .await;
    assert_validation_error(&malformed_query, "project_id");
    assert_eq!(malformed_query.body["detail"][0]["loc"][0], "query");
}

#[actix_web::test]
async fn concurrent_creates_never_exceed_three_scenarios() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let project = app.create_project(&session.access, "P").await;
    let path = format!("/api/v1/projects/{project}/scenarios");
    let responses = futures_util::future::join_all(
        (0..5).map(|_| app.post(&path, Some(&session.access), json!({}))),
    )
    .await;
    let created = responses
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 2);
    assert!(
        responses
            .iter()
            .all(|r| r.status == StatusCode::CREATED || r.status == StatusCode::BAD_REQUEST)
    );
    assert_eq!(app.scenarios(&session.access, &project).await.len(), 3);
}

#[actix_web::test]
async fn update_renames_and_reorders_but_never_writes_results() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let project = app.create_project(&session.access, "P").await;
    let first = id(&app.scenarios(&session.access, &project).await[0]);
    app.post(
        &format!("/api/v1/projects/{project}/scenarios"),
        Some(&session.access),
        json!({"scenario_order": 2}),
    )
    .await;
    let direct = format!("/api/v1/scenarios/{first}");
    let nested = format!("/api/v1/projects/{project}/scenarios/{first}");

    let renamed = app
        .send(
            Method::PUT,
            &direct,
            Some(&session.access),
            Some(json!({"scenario_name": "  Base case  "})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    assert_eq!(renamed.body["scenarioName"], "Base case");
    assert_eq!(renamed.body["process"]["name"], "HEFA");

    let moved = app
        .send(
            Method::PUT,
            &nested,
            Some(&session.access),
            Some(json!({"scenarioOrder": 3, "scenarioName": null})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.body["scenarioOrder"], 3);
    assert_eq!(moved.body["scenarioName"], "Base case", "null means absent");

    let clash = app
        .send(
            Method::PUT,
            &direct,
            Some(&session.access),
            Some(json!({"scenario_order": 2})),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);

    // Sent field, and the name the 422 reports for it.
    for (field, reported) in [
        ("userInputs", "userInputs"),
        ("technoEconomics", "technoEconomics"),
        ("financial_analysis", "financialAnalysis"),
    ] {
        let mut body = serde_json::Map::new();
        body.insert(field.into(), json!({"LCOP": 1.0}));
        let forged = app
            .send(
                Method::PUT,
                &direct,
                Some(&session.access),
                Some(body.into()),
            )
            .await;
        assert_validation_error(&forged, reported);
    }
    let empty_name = app
        .send(
            Method::PUT,
            &direct,
            Some(&session.access),
            Some(json!({"scenarioName": " "})),
        )
        .await;
    assert_validation_error(&empty_name, "scenarioName");
    let after = app.get(&direct, &session.access).await;
    assert_eq!(after.body["technoEconomics"], Value::Null);
    assert_eq!(after.body["financialAnalysis"], Value::Null);
    assert_eq!(after.body["userInputs"], json!({}));
}

#[actix_web::test]
async fn delete_works_under_both_mountings() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let project = app.create_project(&session.access, "P").await;
    let first = id(&app.scenarios(&session.access, &project).await[0]);
    let second = app
        .post(
            &format!("/api/v1/projects/{project}/scenarios"),
            Some(&session.access),
            json!({}),
        )
        .await;
    let second = id(&second.body);

    let nested = app
        .send(
            Method::DELETE,
            &format!("/api/v1/projects/{project}/scenarios/{second}"),
            Some(&session.access),
            None,
        )
        .await;
    assert_eq!(nested.status, StatusCode::NO_CONTENT);
    let direct = app
        .send(
            Method::DELETE,
            &format!("/api/v1/scenarios/{first}"),
            Some(&session.access),
            None,
        )
        .await;
    assert_eq!(direct.status, StatusCode::NO_CONTENT);
    assert!(app.scenarios(&session.access, &project).await.is_empty());
    let gone = app
        .get(&format!("/api/v1/scenarios/{first}"), &session.access)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.detail(), "Scenario not found");
    let listed = app.get("/api/v1/projects", &session.access).await;
    assert_eq!(listed.body[0]["scenarioCount"], 0);
}

async fn revision(app: &TestApp, scenario: &str) -> i64 {
    let mut conn = app.state.pool.get().await.unwrap();
    scenarios::table
        .find(uuid::Uuid::parse_str(scenario).unwrap())
        .select(scenarios::revision)
        .first(&mut conn)
        .await
        .unwrap()
}

#[actix_web::test]
async fn drafts_merge_into_the_stored_inputs_instead_of_being_lost() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let project = app.create_project(&session.access, "P").await;
    let scenario = id(&app.scenarios(&session.access, &project).await[0]);
    let direct = format!("/api/v1/scenarios/{scenario}/draft");
    let nested = format!("/api/v1/projects/{project}/scenarios/{scenario}/draft");
    let before = revision(&app, &scenario).await;

    let first = app
        .send(
            Method::PATCH,
            &direct,
            Some(&session.access),
            Some(
                json!({"conversionPlant": {"plantCapacity": {"value": 480, "unitId": 3}},
                        "processId": 2, "feedstock_id": 2}),
            ),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["status"], "draft");
    assert_eq!(first.body["id"], scenario.as_str());
    assert!(first.body["message"].is_string());

    // The second save lands on inputs that already exist: the original lost it here.
    let second = app
        .send(
            Method::PATCH,
            &nested,
            Some(&session.access),
            Some(
                json!({"economic_parameters": {"project_lifetime_years": 20},
                        "feedstockData": [{"name": "UCO"}], "conversionPlant": null}),
            ),
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let expected = json!({
        "conversionPlant": {"plantCapacity": {"value": 480, "unitId": 3}},
        "economicParameters": {"projectLifetimeYears": 20},
        "feedstockData": [{"name": "UCO"}],
        "processId": 2,
        "feedstockId": 2,
    });
    assert_eq!(second.body["userInputs"], expected);
    let stored = app
        .get(&format!("/api/v1/scenarios/{scenario}"), &session.access)
        .await;
    assert_eq!(stored.body["userInputs"], expected);
    assert_eq!(stored.body["process"]["name"], "FT-BtL");
    assert_eq!(stored.body["feedstock"]["id"], 2);
    assert_eq!(stored.body["country"]["id"], 1);
    assert_eq!(revision(&app, &scenario).await, before + 2);

    // Objects are replaced wholesale.
    let third = app
        .send(
            Method::PATCH,
            &direct,
            Some(&session.access),
            Some(json!({"conversion_plant": {"annualLoadHours": 8000}})),
        )
        .await;
    assert_eq!(
        third.body["userInputs"]["conversionPlant"],
        json!({"annualLoadHours": 8000})
    );

    let unknown = app
        .send(
            Method::PATCH,
            &direct,
            Some(&session.access),
            Some(json!({"countryId": 99})),
        )
        .await;
    assert_validation_error(&unknown, "countryId");
    let too_many = app
        .send(
            Method::PATCH,
            &direct,
            Some(&session.access),
            Some(json!({"productData": vec![json!({}); 21]})),
        )
        .await;
    assert_validation_error(&too_many, "productData");
}

#[actix_web::test]
async fn drafts_are_refused_while_a_calculation_runs() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let project = app.create_project(&session.access, "P").await;
    let scenario = id(&app.scenarios(&session.access, &project).await[0]);
    {
        let mut conn = app.state.pool.get().await.unwrap();
        diesel::update(scenarios::table.find(uuid::Uuid::parse_str(&scenario).unwrap()))
            .set(scenarios::status.eq("calculating"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let response = app
        .send(
            Method::PATCH,
            &format!("/api/v1/scenarios/{scenario}/draft"),
            Some(&session.access),
            Some(json!({"processId": 1})),
        )
        .await;
    assert_eq!(response.status, StatusCode::CONFLICT);
    assert_eq!(response.detail(), "Calculation in progress");
}
