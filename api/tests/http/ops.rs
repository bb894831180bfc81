//! Operator endpoints over HTTP: `/ready` against the real PostgreSQL and Redis, and
//! `/metrics` after known traffic (route patterns, queue depth, job outcome and pickup),
//! scraped from the operator listener; the API's own port answers `/metrics` 404.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

use safapac_testkit::metrics::value;

use crate::common::{Response, TestApp};

async fn get(app: &TestApp, path: &str) -> Response {
    app.request(TestRequest::get().uri(path)).await
}

/// The operator listener's `/metrics`.
async fn scrape(app: &TestApp) -> Response {
    app.operator("/metrics").await
}

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

    let scraped = scrape(&app).await;
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
    // Scrapes are the operator's traffic, not the API's: neither in flight nor timed.
    assert_eq!(value(&text, "safapac_http_requests_in_flight"), Some(0.0));
    assert!(!text.contains(r#"route="/metrics""#), "{text}");
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

    let before = scrape(&app).await.text;
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

    let after = scrape(&app).await.text;
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
    let text = scrape(&app).await.text;
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
    let again = scrape(&app).await.text;
    assert_eq!(
        value(
            &again,
            r#"safapac_rate_limit_rejections_total{policy="login"}"#
        ),
        Some(1.0)
    );
}

/// One `GET` on its own connection to a real listener: status line, head and body.
async fn fetch(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the listener closes the connection after its answer")
        .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("a complete head");
    (head.to_owned(), body.to_owned())
}

#[actix_web::test]
async fn the_public_port_answers_metrics_like_any_unknown_path() {
    let app = TestApp::new().await;
    for path in ["/metrics", "/metrics/"] {
        let public = get(&app, path).await;
        assert_eq!(
            public.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            public.text
        );
        assert_eq!(public.body, serde_json::json!({"detail": "Not Found"}));
        assert_eq!(public.header("content-type"), Some("application/json"));
        assert_eq!(public.header("x-content-type-options"), Some("nosniff"));
    }
    // What moved is served by the operator listener, which also probes like the worker's.
    assert_eq!(app.operator("/metrics").await.status, StatusCode::OK);
    let ready = app.operator("/ready").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.body["status"], "ready");
    assert_eq!(app.operator("/health").await.status, StatusCode::OK);
    let unknown = app.operator("/api/v1/projects").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["detail"], "Not Found");
}

#[actix_web::test]
async fn the_operator_listener_serves_the_api_series_on_its_own_socket() {
    let app = TestApp::new().await;
    let server = app.serve();
    assert_ne!(server.addr, server.operator_addr);
    let (head, _) = fetch(server.addr, "/health").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (head, body) = fetch(server.addr, "/metrics").await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert_eq!(body, r#"{"detail":"Not Found"}"#);

    let (head, text) = fetch(server.operator_addr, "/metrics").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    for (series, expected) in [
        (
            r#"safapac_http_request_duration_seconds_count{method="GET",route="/health",status="200"}"#,
            1.0,
        ),
        (
            r#"safapac_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}"#,
            1.0,
        ),
        (r#"safapac_db_pool_connections{state="max"}"#, 5.0),
        (r#"safapac_queue_jobs{status="queued"}"#, 0.0),
    ] {
        assert_eq!(value(&text, series), Some(expected), "{series}\n{text}");
    }
    let (head, _) = fetch(server.operator_addr, "/ready").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

#[actix_web::test]
async fn a_taken_metrics_address_is_an_error_naming_the_setting() {
    let app = TestApp::new().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let refused = safapac_api::operator::server(app.state.clone(), &[addr])
        .err()
        .expect("the port is taken");
    assert_eq!(refused.source.kind(), std::io::ErrorKind::AddrInUse);
    // As start-up logs it: the setting, the address, then the cause, each once.
    let logged = format!("{:#}", anyhow::Error::from(refused));
    assert!(
        logged.starts_with(&format!("SAFAPAC_METRICS_ADDR: cannot listen on {addr}: ")),
        "{logged}"
    );
    assert_eq!(logged.matches("in use").count(), 1, "{logged}");
}

#[test]
fn a_malformed_metrics_address_stops_the_binary_with_a_configuration_error() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_safapac-api"))
        .arg("serve")
        .env("SAFAPAC_METRICS_ADDR", "9101")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        r#"configuration error: SAFAPAC_METRICS_ADDR: expected host:port or off, got "9101""#
    );
}
