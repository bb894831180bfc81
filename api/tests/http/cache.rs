//! The master-data cache across replicas, its admin routes and `create-admin`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::http::{Method, StatusCode};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use safapac_api::admin::{AdminOutcome, create_admin};
use safapac_db::schema::countries;
use serde_json::Value;

use crate::common::{PASSWORD, Session, TestApp};

async fn admin_session(app: &TestApp, email: &str) -> Session {
    let session = app.sign_up(email).await;
    let outcome = create_admin(
        &app.state.pool,
        &app.state.passwords,
        email,
        "ignored",
        || None,
    )
    .await
    .unwrap();
    assert_eq!(outcome, AdminOutcome::Promoted);
    session
}

async fn rename_country(app: &TestApp, id: i32, name: &str) {
    let mut conn = app.state.pool.get().await.unwrap();
    let updated = diesel::update(countries::table.find(id))
        .set(countries::name.eq(name))
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(updated, 1);
}

fn first_country(body: &Value) -> (i32, String) {
    let country = &body["countries"][0];
    (
        i32::try_from(country["id"].as_i64().unwrap()).unwrap(),
        country["name"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_miss_then_hits_are_counted_and_reported() {
    let app = TestApp::new().await;
    let admin = admin_session(&app, "cache-admin@example.com").await;
    let empty = app.get("/api/v1/cache/status", &admin.access).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    assert_eq!(empty.body["is_cached"], false);
    assert_eq!(empty.body["is_valid"], Value::Null);
    assert_eq!(empty.body["ttl_seconds"], 0);

    let first = app.get("/api/v1/master-data", &admin.access).await;
    assert_eq!(first.status, StatusCode::OK);
    for _ in 0..2 {
        let again = app.get("/api/v1/master-data", &admin.access).await;
        assert_eq!(again.body, first.body);
    }
    let status = app.get("/api/v1/cache/status", &admin.access).await;
    // One miss of the dashboard's document and one of the engine's, which it is made from.
    assert_eq!(status.body["misses"], 2, "{}", status.text);
    assert_eq!(status.body["hits"], 2, "{}", status.text);
    assert_eq!(status.body["is_cached"], true);
    assert_eq!(status.body["is_valid"], true);
    let ttl = status.body["ttl_seconds"].as_f64().unwrap();
    assert!(ttl > 3_590.0 && ttl <= 3_600.0, "{ttl}");
    assert!(status.body["cached_at"].is_string());
    assert!(status.body["last_refresh"].is_string());
    assert_eq!(status.body["version"], status.body["cached_version"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_may_see_invalidate_or_bypass_the_cache() {
    let app = TestApp::new().await;
    let user = app.sign_up("not-admin@example.com").await;
    for (method, path) in [
        ("GET", "/api/v1/cache/status"),
        ("POST", "/api/v1/cache/invalidate"),
        ("GET", "/api/v1/master-data/fresh"),
    ] {
        let response = app
            .send(method.parse().unwrap(), path, Some(&user.access), None)
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(response.detail(), "Admin access required");
        let anonymous = app.send(method.parse().unwrap(), path, None, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalidation_on_one_replica_reaches_the_other_within_a_second() {
    let a = TestApp::new().await;
    let b = a.replica().await;
    let admin = admin_session(&a, "replicas@example.com").await;
    let before = b.get("/api/v1/master-data", &admin.access).await;
    let (id, name) = first_country(&before.body);
    rename_country(&a, id, "Renamed Land").await;
    // Still the cached copy until someone invalidates.
    let cached = b.get("/api/v1/master-data", &admin.access).await;
    assert_eq!(first_country(&cached.body).1, name);

    let invalidated = a
        .send(
            Method::POST,
            "/api/v1/cache/invalidate",
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(invalidated.status, StatusCode::OK, "{}", invalidated.text);
    assert!(invalidated.body["message"].is_string());
    let sent = Instant::now();
    loop {
        let read = b.get("/api/v1/master-data", &admin.access).await;
        if first_country(&read.body).1 == "Renamed Land" {
            break;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "replica B still serves the old master data"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fresh_returns_the_database_content_and_replaces_every_copy() {
    let a = TestApp::new().await;
    let b = a.replica().await;
    let admin = admin_session(&a, "fresh@example.com").await;
    let before = a.get("/api/v1/master-data", &admin.access).await;
    b.get("/api/v1/master-data", &admin.access).await;
    let (id, _) = first_country(&before.body);
    rename_country(&a, id, "Freshly Named").await;

    let fresh = a.get("/api/v1/master-data/fresh", &admin.access).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    assert_eq!(first_country(&fresh.body).1, "Freshly Named");
    assert_eq!(fresh.header("content-type"), Some("application/json"));
    let cached = a.get("/api/v1/master-data", &admin.access).await;
    assert_eq!(cached.body, fresh.body);
    let sent = Instant::now();
    while b.get("/api/v1/master-data", &admin.access).await.body != fresh.body {
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "replica B kept its copy"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_admin_makes_an_account_that_can_administer_the_cache() {
    let app = TestApp::new().await;
    let run = |extra_env: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_safapac-api"));
        command
            .args([
                "create-admin",
                "--email",
                "Root@Example.com",
                "--name",
                "Root",
            ])
            .env("DATABASE_URL", &app.state.config.database.database_url)
            .env("SAFAPAC_SECRET_KEY", crate::common::TEST_SECRET)
            .env_remove("SAFAPAC_ADMIN_PASSWORD")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(password) = extra_env {
            command.env("SAFAPAC_ADMIN_PASSWORD", password);
        }
        command.spawn().unwrap()
    };
    // Password on standard input.
    let mut child = run(None);
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{PASSWORD}").unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("created administrator"));
    // Run again: the existing account is promoted (already is), the password untouched.
    let output = run(Some("another password")).wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("is now an administrator"));

    let login = app.login("root@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let token = login.body["accessToken"].as_str().unwrap();
    let invalidated = app
        .send(Method::POST, "/api/v1/cache/invalidate", Some(token), None)
        .await;
    assert_eq!(invalidated.status, StatusCode::OK, "{}", invalidated.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_admin_refuses_a_new_account_without_a_password() {
    let app = TestApp::new().await;
    let outcome = create_admin(
        &app.state.pool,
        &app.state.passwords,
        "nobody@example.com",
        "Nobody",
        || None,
    )
    .await;
    assert!(matches!(
        outcome,
        Err(safapac_api::admin::CreateAdminError::NoPassword)
    ));
    let short = create_admin(
        &app.state.pool,
        &app.state.passwords,
        "nobody@example.com",
        "Nobody",
        || Some("short".to_owned()),
    )
    .await;
    assert!(matches!(
        short,
        Err(safapac_api::admin::CreateAdminError::Invalid(_))
    ));
}

async fn invalidate(app: &TestApp, token: &str) {
    let invalidated = app
        .send(Method::POST, "/api/v1/cache/invalidate", Some(token), None)
        .await;
    assert_eq!(invalidated.status, StatusCode::OK, "{}", invalidated.text);
}

/// Sets `tci_ref_musd` of the default parameter set for process 1, feedstock 1, country 1.
async fn set_reference_tci(app: &TestApp, tci: f64) {
    use safapac_db::schema::default_parameter_sets as dps;
    let mut conn = app.state.pool.get().await.unwrap();
    let updated = diesel::update(
        dps::table.filter(
            dps::process_id
                .eq(1)
                .and(dps::feedstock_id.eq(1))
                .and(dps::country_id.eq(1)),
        ),
    )
    .set(dps::tci_ref_musd.eq(tci))
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(updated, 1);
}

async fn calculated_tci(app: &TestApp, token: &str, scenario: &str, inputs: &Value) -> Value {
    let path = format!("/api/v1/scenarios/{scenario}");
    let accepted = app
        .post(&format!("{path}/calculate"), Some(token), inputs.clone())
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.text);
    let done = crate::calculations::poll_until_done(app, token, &path).await;
    assert_eq!(done["status"], "calculated", "{done}");
    done["technoEconomics"]["total_capital_investment"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn calculations_use_the_databases_reference_data_through_the_cache() {
    let app = TestApp::with_config(crate::common::generous_limits).await;
    let worker = app.start_worker();
    let admin = admin_session(&app, "reference@example.com").await;
    let project = app.create_project(&admin.access, "Reference data").await;
    let scenario = app.scenarios(&admin.access, &project).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let inputs = safapac_testkit::golden::inputs(0);
    let expected_tci = |master: &safapac_core::master::MasterData| {
        let calc = safapac_core::calculate(&inputs, master).unwrap();
        serde_json::to_value(calc.techno_economics()).unwrap()["total_capital_investment"].clone()
    };
    let builtin = safapac_core::master::MasterData::builtin();
    let original = calculated_tci(&app, &admin.access, &scenario, &inputs).await;
    assert_eq!(original, expected_tci(builtin));

    // An operator changes the reference data: the cached copies still answer until an
    // invalidation, which reaches the worker's copy too.
    let mut edited = builtin.clone();
    let row = edited
        .default_parameter_sets
        .iter_mut()
        .find(|d| (d.process_id, d.feedstock_id, d.country_id) == (1, 1, 1))
        .unwrap();
    row.tci_ref_musd *= 2.0;
    set_reference_tci(&app, row.tci_ref_musd).await;
    let new_tci = expected_tci(&edited);
    assert_ne!(new_tci, original);
    let cached = calculated_tci(&app, &admin.access, &scenario, &inputs).await;
    assert_eq!(
        cached, original,
        "the worker read Postgres instead of its copy"
    );

    invalidate(&app, &admin.access).await;
    let sent = Instant::now();
    loop {
        let tci = calculated_tci(&app, &admin.access, &scenario, &inputs).await;
        if tci == new_tci {
            break;
        }
        assert_eq!(tci, original);
        assert!(
            sent.elapsed() < Duration::from_secs(3),
            "the worker still computes with the old reference data"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Validation reads the same data: a combination without reference data is refused.
    {
        use safapac_db::schema::default_parameter_sets as dps;
        let mut conn = app.state.pool.get().await.unwrap();
        diesel::delete(dps::table.filter(dps::process_id.eq(1).and(dps::feedstock_id.eq(1))))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    invalidate(&app, &admin.access).await;
    let refused = app
        .post(
            &format!("/api/v1/scenarios/{scenario}/calculate"),
            Some(&admin.access),
            inputs.clone(),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    worker.stop().await;
}

/// The first scenario summary on a project's page.
async fn first_summary(app: &TestApp, token: &str, project: &str) -> Value {
    let page = app.get(&format!("/api/v1/projects/{project}"), token).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    page.body["scenarios"][0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_projects_page_names_master_rows_from_the_copy_read_again_for_new_rows() {
    use safapac_db::schema::scenarios;

    let app = TestApp::new().await;
    let admin = admin_session(&app, "page-admin@example.com").await;
    let project = app.create_project(&admin.access, "P").await;
    // The same summary as the scenario list.
    let listed = app.scenarios(&admin.access, &project).await;
    let summary = first_summary(&app, &admin.access, &project).await;
    for field in [
        "id",
        "scenarioName",
        "status",
        "process",
        "feedstock",
        "country",
    ] {
        assert_eq!(summary[field], listed[0][field], "{field}");
    }
    assert_eq!(
        summary["country"],
        serde_json::json!({"id": 1, "name": "USA"})
    );

    // An operator's rename shows once the copies are invalidated, as on `GET /master-data`.
    rename_country(&app, 1, "United States").await;
    assert_eq!(
        first_summary(&app, &admin.access, &project).await["country"]["name"],
        "USA"
    );
    invalidate(&app, &admin.access).await;
    assert_eq!(
        first_summary(&app, &admin.access, &project).await["country"]["name"],
        "United States"
    );

    // A row added after the copy was loaded: the copy is read again.
    let mut conn = app.state.pool.get().await.unwrap();
    diesel::insert_into(countries::table)
        .values((countries::id.eq(9_001), countries::name.eq("Atlantis")))
        .execute(&mut conn)
        .await
        .unwrap();
    let scenario = uuid::Uuid::parse_str(summary["id"].as_str().unwrap()).unwrap();
    diesel::update(scenarios::table.find(scenario))
        .set(scenarios::country_id.eq(9_001))
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(
        first_summary(&app, &admin.access, &project).await["country"],
        serde_json::json!({"id": 9_001, "name": "Atlantis"})
    );
}
