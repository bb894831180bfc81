//! Operator endpoints over HTTP: `/ready` against the real PostgreSQL and Redis, and
//! `/metrics` after known traffic (route patterns, queue depth, job outcome and pickup).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

use safapac_testkit::metrics::value;

use crate::common::{Response, TestApp};

async fn get(app: &TestApp, path: &str) -> Response {
    app.request(TestRequest::get().uri(path)).await
}

/// The value of the series whose exposition line starts with `series` (name and labels).

#[actix_web::test]
async fn ready_checks_postgres_redis_and_migrations() {
    let app = TestApp::new().await;
    let ready = get(&app, "/ready").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.body["status"], "ready");
    for check in ["postgres", "redis", "migrations"] {
        assert_eq!(ready.body["checks"][check], "ok", "{}", ready.text);
    }
}

#[actix_web::test]
async fn ready_names_an_unreachable_redis() {
    // Nothing listens on port 1.
    let app = TestApp::with_config(|c| c.queue.redis_url = "redis://127.0.0.1:1".into()).await;
    let ready = get(&app, "/ready").await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.text
    );
    assert_eq!(ready.body["detail"], "not ready: redis");
    assert_eq!(ready.body["checks"]["postgres"], "ok");
    // Liveness does not depend on Redis.
    assert_eq!(get(&app, "/health").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn requests_are_counted_by_route_pattern_never_by_raw_path() {
    let app = TestApp::new().await;
    let session = app.sign_up("metrics@example.com").await;
    let missing = uuid::Uuid::new_v4();
    for _ in 0..2 {
        let response = app
            .get(&format!("/api/v1/projects/{missing}"), &session.access)
            .await;
        assert_eq!(response.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        get(&app, "/no/such/page").await.status,
        StatusCode::NOT_FOUND
    );

    let scraped = get(&app, "/metrics").await;
    assert_eq!(scraped.status, StatusCode::OK);
    assert!(
        scraped
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4"))
    );
    let text = scraped.text;
    assert_eq!(
        value(
            &text,
            r#"safapac_http_request_duration_seconds_count{method="GET",route="/api/v1/projects/{project_id}",status="404"}"#
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"safapac_http_request_duration_seconds_count{method="POST",route="/api/v1/auth/login",status="200"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"safapac_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains(&missing.to_string()));
    assert!(!text.contains("/no/such/page"));
    // The scrape itself is the one request in flight.
    assert_eq!(value(&text, "safapac_http_requests_in_flight"), Some(1.0));
    assert_eq!(
        value(&text, r#"safapac_db_pool_connections{state="max"}"#),
        Some(5.0)
    );
    // Registration and login each spent a hash; none is waiting now.
    assert_eq!(value(&text, "safapac_password_hashes_waiting"), Some(0.0));
}

#[actix_web::test]
async fn queue_depth_and_job_outcomes_follow_a_calculation() {
    let app = TestApp::new().await;
    let session = app.sign_up("jobs@example.com").await;
    let project = app.create_project(&session.access, "Metered").await;
    let scenarios = app.scenarios(&session.access, &project).await;
    let scenario = scenarios[0]["id"].as_str().unwrap();
    let accepted = app
        .post(
            &format!("/api/v1/scenarios/{scenario}/calculate"),
            Some(&session.access),
            safapac_testkit::golden::inputs(0),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.text);

    let before = get(&app, "/metrics").await.text;
    assert_eq!(
        value(&before, r#"safapac_queue_jobs{status="queued"}"#),
        Some(1.0),
        "{before}"
    );

    // A worker recording into the app's registry, as the embedded worker does.
    let worker = app.start_worker();
    let mut status = String::new();
    for _ in 0..200 {
        let polled = app
            .get(
                &format!("/api/v1/scenarios/{scenario}/calculate/status"),
                &session.access,
            )
            .await;
        status = polled.body["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if status != "calculating" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "calculated");
    worker.stop().await;

    let after = get(&app, "/metrics").await.text;
    assert_eq!(
        value(&after, r#"safapac_queue_jobs{status="queued"}"#),
        Some(0.0),
        "{after}"
    );
    assert_eq!(
        value(&after, r#"safapac_queue_jobs{status="running"}"#),
        Some(0.0)
    );
    assert_eq!(
        value(
            &after,
            r#"safapac_job_duration_seconds_count{outcome="succeeded"}"#
        ),
        Some(1.0),
        "{after}"
    );
    assert_eq!(value(&after, "safapac_job_pickup_seconds_count"), Some(1.0));
}

#[actix_web::test]
async fn the_sixth_login_is_counted_as_one_rejection_of_the_login_policy() {
    let app = TestApp::new().await;
    // Empty bodies: refused by the handler (422) without spending a hash, yet counted by the
    // limiter like any login. Each test app has its own Redis key prefix, so the bucket is
    // fresh.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let login = TestRequest::post()
            .uri("/api/v1/auth/login")
            .peer_addr("198.51.100.7:40000".parse().unwrap())
            .set_json(serde_json::json!({}));
        statuses.push(app.request(login).await.status);
    }
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    let text = get(&app, "/metrics").await.text;
    assert_eq!(
        value(
            &text,
            r#"safapac_rate_limit_rejections_total{policy="login"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"safapac_http_request_duration_seconds_count{method="POST",route="/api/v1/auth/login",status="429"}"#
        ),
        Some(1.0)
    );
    // A second scrape does not count the same rejection again.
    let again = get(&app, "/metrics").await.text;
    assert_eq!(
        value(
            &again,
            r#"safapac_rate_limit_rejections_total{policy="login"}"#
        ),
        Some(1.0)
    );
}
