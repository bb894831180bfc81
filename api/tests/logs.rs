//! Secrets never reach the log: a full auth flow (register → verify → login → refresh → me)
//! runs with every target at TRACE, through the binaries' own log set-up, and the captured
//! output is searched for the password, every token, the stored hash and the Authorization
//! header. Its own test binary: the logger is process-wide.
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
