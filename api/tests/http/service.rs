//! Service-level behaviour: banner, health, unknown routes, CORS, headers, OpenAPI, pool
//! exhaustion.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use serde_json::Value;

use crate::common::TestApp;

/// One request on its own connection (`Connection: close`) to the real server: the whole
/// answer, head and body, as sent.
async fn exchange(addr: std::net::SocketAddr, method: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection after its answer")
        .unwrap();
    String::from_utf8(answer).unwrap()
}

fn head_and_body(answer: &str) -> (&str, &str) {
    answer
        .split_once("\r\n\r\n")
        .expect("a complete response head")
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[actix_web::test]
async fn head_answers_like_get_without_the_body() {
    let app = TestApp::new().await;
    let server = app.serve();
    for path in ["/", "/health"] {
        let get = exchange(server.addr, "GET", path).await;
        let head = exchange(server.addr, "HEAD", path).await;
        let (get_head, get_body) = head_and_body(&get);
        let (head_head, head_body) = head_and_body(&head);
        assert!(head_head.starts_with("HTTP/1.1 200"), "{path}: {head_head}");
        assert_eq!(head_body, "", "{path}: HEAD sends no body");
        assert!(!get_body.is_empty());
        // The length the body would have had (health's timestamp varies in width).
        let length = header(head_head, "content-length").expect("a Content-Length");
        assert_ne!(length, "0", "{path}");
        if path != "/health" {
            assert_eq!(Some(length), header(get_head, "content-length"), "{path}");
        }
        assert_eq!(
            header(head_head, "content-type"),
            header(get_head, "content-type")
        );
    }
    // No GET, no HEAD: 405, and the Allow list says so.
    let refused = exchange(server.addr, "HEAD", "/api/v1/auth/login").await;
    let (refused_head, refused_body) = head_and_body(&refused);
    assert!(refused_head.starts_with("HTTP/1.1 405"), "{refused_head}");
    assert_eq!(header(refused_head, "allow"), Some("POST"));
    assert_eq!(refused_body, "");
}

#[actix_web::test]
async fn banner_health_and_unknown_routes() {
    let app = TestApp::new().await;
    let banner = app.send(Method::GET, "/", None, None).await;
    assert_eq!(banner.status, StatusCode::OK);
    assert_eq!(banner.body["message"], "SAFAPAC API Server");
    assert_eq!(banner.body["status"], "running");
    assert!(banner.body["version"].is_string());

    let health = app.send(Method::GET, "/health", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "healthy");
    let timestamp = health.body["timestamp"].as_f64().unwrap();
    assert!((timestamp - chrono::Utc::now().timestamp() as f64).abs() < 60.0);

    let unknown = app.send(Method::GET, "/api/v1/nothing", None, None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.detail(), "Not Found");
    let wrong_method = app
        .send(Method::DELETE, "/api/v1/auth/login", None, None)
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.detail(), "Method Not Allowed");
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    let project = format!("/api/v1/projects/{}", uuid::Uuid::new_v4());
    let wrong_method = app.send(Method::POST, &project, None, None).await;
    assert_eq!(wrong_method.header("allow"), Some("GET, HEAD, PUT, DELETE"));

    assert_eq!(banner.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(banner.header("referrer-policy"), Some("no-referrer"));
    // Nothing the API answers is meant to be framed, errors included.
    for response in [&banner, &unknown, &wrong_method] {
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert_eq!(
            response.header("content-security-policy"),
            Some("frame-ancestors 'none'")
        );
    }
    assert!(
        banner
            .header("x-request-id")
            .is_some_and(|id| id.len() == 36)
    );
}

#[actix_web::test]
async fn cors_allows_only_the_dashboard_origins() {
    let app = TestApp::new().await;
    for origin in ["http://localhost:3000", "http://127.0.0.1:3000"] {
        let preflight = app
            .request(
                TestRequest::default()
                    .method(Method::OPTIONS)
                    .uri("/api/v1/projects")
                    .insert_header(("Origin", origin))
                    .insert_header(("Access-Control-Request-Method", "POST"))
                    .insert_header((
                        "Access-Control-Request-Headers",
                        "authorization,content-type",
                    )),
            )
            .await;
        assert!(
            preflight.status.is_success(),
            "{origin}: {}",
            preflight.status
        );
        assert_eq!(
            preflight.header("access-control-allow-origin"),
            Some(origin)
        );
        let headers = preflight
            .header("access-control-allow-headers")
            .unwrap()
            .to_lowercase();
        assert!(headers.contains("authorization") && headers.contains("content-type"));
        assert_eq!(preflight.header("access-control-allow-credentials"), None);
        assert_eq!(preflight.header("access-control-max-age"), Some("600"));
    }

    // Error responses carry the CORS headers too, or the dashboard cannot read them.
    let unauthorized = app
        .request(
            TestRequest::get()
                .uri("/api/v1/projects")
                .insert_header(("Origin", "http://localhost:3000")),
        )
        .await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unauthorized.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );

    let foreign = app
        .request(
            TestRequest::default()
                .method(Method::OPTIONS)
                .uri("/api/v1/projects")
                .insert_header(("Origin", "https://evil.example"))
                .insert_header(("Access-Control-Request-Method", "GET")),
        )
        .await;
    assert_ne!(
        foreign.header("access-control-allow-origin"),
        Some("https://evil.example")
    );
    assert_ne!(foreign.header("access-control-allow-origin"), Some("*"));
    // Refused like every error: JSON `detail` and the security headers.
    assert_eq!(foreign.status, StatusCode::BAD_REQUEST);
    assert_eq!(foreign.header("content-type"), Some("application/json"));
    assert!(
        foreign.detail().contains("Origin is not allowed"),
        "{}",
        foreign.text
    );
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("content-security-policy", "frame-ancestors 'none'"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(foreign.header(name), Some(value), "{name}");
    }
}

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");

/// The generated OpenAPI document is committed; any API change shows up in review. Run with
/// `UPDATE_SNAPSHOTS=1` to accept a change.
#[actix_web::test]
async fn openapi_document_matches_the_snapshot() {
    let document = serde_json::to_value(safapac_api::openapi::document()).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let rendered = serde_json::to_string_pretty(&document).unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(SNAPSHOT, &rendered).unwrap();
    }
    let committed = std::fs::read_to_string(SNAPSHOT)
        .expect("snapshot missing: run the tests once with UPDATE_SNAPSHOTS=1");
    let committed: Value = serde_json::from_str(&committed).unwrap();
    assert!(
        committed == document,
        "the OpenAPI document changed; review it and rerun with UPDATE_SNAPSHOTS=1"
    );

    let app = TestApp::new().await;
    let served = app.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(served.body, document);
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/login",
        "/api/v1/projects/{project_id}/scenarios/{scenario_id}/draft",
        "/api/v1/scenarios/{scenario_id}/draft",
        "/api/v1/units",
    ] {
        assert!(paths.contains_key(path), "{path}");
    }
    let hidden = TestApp::with_config(|c| c.api_docs = false).await;
    for path in ["/openapi.json", "/docs"] {
        let response = hidden.send(Method::GET, path, None, None).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// Every `src="…"` and `href="…"` of an HTML page.
fn references(page: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (_, rest) in page
            .match_indices(attribute)
            .map(|(at, _)| page.split_at(at))
        {
            let value = &rest[attribute.len()..];
            found.push(&value[..value.find('"').expect("a closed attribute")]);
        }
    }
    found
}

#[actix_web::test]
async fn the_docs_page_and_everything_it_loads_come_from_this_server() {
    let policy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                  img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
                  base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    let app = TestApp::new().await;
    let server = app.serve();
    let answer = exchange(server.addr, "GET", "/docs").await;
    let (head, page) = head_and_body(&answer);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(
        header(head, "content-type"),
        Some("text/html; charset=utf-8")
    );
    // The page's own policy, not the API-wide default added beside it.
    assert_eq!(
        header(head, "content-security-policy"),
        Some(policy),
        "{head}"
    );
    assert_eq!(
        head.to_ascii_lowercase()
            .matches("content-security-policy:")
            .count(),
        1
    );
    assert!(
        page.contains("data-openapi-url=\"/openapi.json\""),
        "{page}"
    );
    // No inline script: every script element names a file.
    assert_eq!(
        page.matches("<script").count(),
        page.matches("<script src=").count()
    );

    let assets = references(page);
    assert!(!assets.is_empty(), "{page}");
    assert!(
        !page.contains("//"),
        "an absolute or protocol-relative URL: {page}"
    );
    for asset in assets {
        assert!(asset.starts_with("/docs/assets/"), "{asset}");
        let answer = exchange(server.addr, "GET", asset).await;
        let (head, body) = head_and_body(&answer);
        assert!(head.starts_with("HTTP/1.1 200"), "{asset}: {head}");
        assert_eq!(
            header(head, "content-type"),
            Some("text/javascript; charset=utf-8"),
            "{asset}"
        );
        assert_eq!(
            header(head, "content-security-policy"),
            Some(policy),
            "{asset}"
        );
        let cache = header(head, "cache-control").unwrap_or_default();
        assert!(
            cache.contains("immutable") && cache.contains("max-age=31536000"),
            "{cache}"
        );
        assert!(!body.is_empty(), "{asset}");
    }
    // The viewer and the script that starts it.
    assert!(
        page.contains("/docs/assets/scalar-api-reference."),
        "{page}"
    );
    assert!(page.contains("/docs/assets/init."), "{page}");

    // A name that is not one of this release's assets (say, an older viewer's).
    let stale = exchange(server.addr, "GET", "/docs/assets/init.000000000000.js").await;
    assert!(stale.starts_with("HTTP/1.1 404"), "{stale}");
}

#[actix_web::test]
async fn an_exhausted_pool_answers_503_with_retry_after() {
    let app = TestApp::with_config(|c| {
        c.database.max_size = 1;
        c.database.wait_timeout = Duration::from_millis(200);
    })
    .await;
    let session = app.sign_up("a@example.org").await;
    let held = app.state.pool.get().await.unwrap();
    let response = app.get("/api/v1/projects", &session.access).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.header("retry-after").is_some());
    assert!(response.body["detail"].is_string());
    drop(held);
    let response = app.get("/api/v1/projects", &session.access).await;
    assert_eq!(response.status, StatusCode::OK);
}
