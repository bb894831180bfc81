//! Secrets never reach the log: a full auth flow (register → verify → login → refresh → me)
//! runs with every target at TRACE, through the binaries' own log set-up, and the captured
//! output is searched for the password, every token, the stored hash and the Authorization
//! header. Its own test binary: the logger is process-wide. The access-log tests capture
//! their own thread only.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

#[allow(dead_code)] // the shared HTTP harness; this binary uses part of it
#[path = "http/common.rs"]
mod common;

use actix_web::http::StatusCode;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use safapac_ops::logging::{LogFormat, LogSettings};
use serde_json::json;
use tracing_subscriber::util::SubscriberInitExt as _;

use common::{PASSWORD, TestApp};
use safapac_testkit::logs::Capture;

#[derive(diesel::QueryableByName)]
struct Hash {
    #[diesel(sql_type = Text)]
    password_hash: String,
}

#[actix_web::test]
async fn a_full_auth_flow_at_trace_level_logs_no_secret() {
    let capture = Capture::default();
    let settings = LogSettings {
        format: LogFormat::Text,
        filter: "trace".into(),
        ansi: false,
        buffer_lines: safapac_ops::logging::DEFAULT_BUFFER_LINES,
    };
    safapac_ops::logging::subscriber(&settings, capture.clone())
        .unwrap()
        .try_init()
        .unwrap();

    let app = TestApp::new().await;
    let email = "logged@example.org";
    let registered = app.register("Logged User", email, PASSWORD).await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.text
    );
    let verification = app.verification_token(email).unwrap();
    let verified = app
        .post(
            "/api/v1/auth/verify-email",
            None,
            json!({"token": verification}),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    let login = app.login(email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let access = login.body["accessToken"].as_str().unwrap().to_owned();
    let refresh = login.body["refreshToken"].as_str().unwrap().to_owned();
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    let new_access = refreshed.body["accessToken"].as_str().unwrap().to_owned();
    let new_refresh = refreshed.body["refreshToken"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/auth/me", &new_access).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);

    let mut conn = AsyncPgConnection::establish(&app.state.config.database.database_url)
        .await
        .unwrap();
    let hash: Hash = diesel::sql_query("SELECT password_hash FROM users WHERE email = $1")
        .bind::<Text, _>(email)
        .get_result(&mut conn)
        .await
        .unwrap();

    let log = capture.text();
    // The capture really ran at TRACE and saw the flow's requests.
    assert!(log.contains("TRACE"), "nothing was logged at TRACE");
    let finished: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request finished"))
        .collect();
    assert!(finished.len() >= 5, "{log}");
    assert!(finished.iter().all(|l| l.contains("request_id=")), "{log}");

    // The hash's salt-and-digest part: any rendering of the hash contains it.
    let digest = hash.password_hash.rsplit('$').next().unwrap();
    // Database drivers print bound parameters as byte lists.
    let hash_bytes = format!("{:?}", digest.as_bytes());
    let hash_bytes = hash_bytes
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    for (what, secret) in [
        ("the password", PASSWORD),
        ("the verification token", verification.as_str()),
        ("the access token", access.as_str()),
        ("the refresh token", refresh.as_str()),
        ("the rotated access token", new_access.as_str()),
        ("the rotated refresh token", new_refresh.as_str()),
        ("the password hash", digest),
        ("the password hash as bytes", hash_bytes.as_str()),
    ] {
        assert!(!log.contains(secret), "{what} appears in the log");
    }
    assert!(
        !log.to_ascii_lowercase().contains("authorization"),
        "an Authorization header appears in the log"
    );
}

/// Captures what this thread logs at INFO (the in-process app serves requests on the test's
/// thread) until the returned guard is dropped.
fn capture_this_thread(format: LogFormat) -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let settings = LogSettings {
        format,
        filter: "info".into(),
        ansi: false,
        buffer_lines: safapac_ops::logging::DEFAULT_BUFFER_LINES,
    };
    let subscriber = safapac_ops::logging::subscriber(&settings, capture.clone()).unwrap();
    (capture, tracing::subscriber::set_default(subscriber))
}

#[actix_web::test]
async fn the_access_log_has_one_line_per_request_with_its_route_status_duration_and_id() {
    let (capture, _guard) = capture_this_thread(LogFormat::Json);
    let app = TestApp::new().await;
    let session = app.sign_up("access@example.org").await;
    let missing = app
        .get(
            "/api/v1/projects/00000000-0000-0000-0000-000000000000?secret=q",
            &session.access,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    let request_id = missing.header("x-request-id").unwrap().to_owned();

    let log = capture.text();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &serde_json::Value| l["fields"]["message"] == "request finished")
        .collect();
    // Register, verify, log in, read.
    assert_eq!(lines.len(), 4, "{log}");
    let last = &lines[3];
    assert_eq!(last["target"], "safapac::access", "{last}");
    assert_eq!(last["fields"]["method"], "GET", "{last}");
    assert_eq!(
        last["fields"]["route"], "/api/v1/projects/{project_id}",
        "{last}"
    );
    assert_eq!(last["fields"]["status"], 404, "{last}");
    assert!(
        last["fields"]["elapsed_ms"].as_f64().unwrap() > 0.0,
        "{last}"
    );
    assert_eq!(last["span"]["request_id"], request_id.as_str(), "{last}");
    assert!(
        !log.contains("secret=q"),
        "the query string was logged: {log}"
    );
}

#[actix_web::test]
async fn with_the_access_log_off_only_requests_lines_are_left_out() {
    let (capture, _guard) = capture_this_thread(LogFormat::Text);
    let app = TestApp::with_config(|c| {
        c.access_log = false;
        c.refresh_reuse_grace = std::time::Duration::ZERO;
    })
    .await;
    let session = app.sign_up("quiet@example.org").await;
    let body = json!({"refresh_token": session.refresh});
    let first = app.post("/api/v1/auth/refresh", None, body.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let reused = app.post("/api/v1/auth/refresh", None, body).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED, "{}", reused.text);
    let request_id = reused.header("x-request-id").unwrap().to_owned();

    let log = capture.text();
    assert!(!log.contains("request finished"), "{log}");
    let warning = log
        .lines()
        .find(|l| l.contains("refresh token reused"))
        .unwrap_or_else(|| panic!("the warning was not logged: {log}"));
    assert!(warning.contains("WARN"), "{warning}");
    assert!(
        warning.contains(&format!("request_id={request_id}")),
        "{warning}"
    );
}
