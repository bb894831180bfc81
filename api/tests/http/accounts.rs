//! Registration, verification, login, refresh, logout and `me`.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::common::{PASSWORD, TestApp, assert_validation_error};

#[actix_web::test]
async fn register_answers_201_and_mails_a_verification_link() {
    let app = TestApp::new().await;
    let response = app
        .register("Aisha Rahman", "Aisha@Example.org ", PASSWORD)
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(response.body["requiresVerification"], true);
    assert!(response.body["message"].is_string());
    assert!(response.body.get("user").is_none());
    assert_eq!(response.header("cache-control"), Some("no-store"));

    // Stored normalised; the link points at the dashboard's verify page.
    let mails = app.mails_to("aisha@example.org");
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]
            .text
            .contains("http://localhost:3000/verify-email?token="),
        "{}",
        mails[0].text
    );
    let token = app.verification_token("aisha@example.org").unwrap();
    assert_eq!(token.len(), 43);
}

#[actix_web::test]
async fn register_validates_every_field_without_echoing_the_password() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"name": "", "email": "not-an-email", "password": "pw1", "occupation": "pilot"}),
        )
        .await;
    for field in ["name", "email", "password", "occupation"] {
        assert_validation_error(&response, field);
    }
    assert!(!response.text.contains("pw1"), "{}", response.text);
    let missing = app
        .post("/api/v1/auth/register", None, json!({"name": "A"}))
        .await;
    assert_validation_error(&missing, "email");
}

#[actix_web::test]
async fn verification_is_single_use_tolerates_double_clicks_and_reports_expiry() {
    let app = TestApp::new().await;
    app.register("A", "a@example.org", PASSWORD).await;
    let token = app.verification_token("a@example.org").unwrap();
    let verified = app
        .post("/api/v1/auth/verify-email", None, json!({"token": token}))
        .await;
    assert_eq!(verified.status, StatusCode::OK);
    assert_eq!(verified.body["verified"], true);
    assert!(verified.body["message"].is_string());
    let again = app
        .post("/api/v1/auth/verify-email", None, json!({"token": token}))
        .await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "a double click still succeeds"
    );

    let unknown = app
        .post(
            "/api/v1/auth/verify-email",
            None,
            json!({"token": "x".repeat(43)}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.detail().contains("expired"), "{}", unknown.text);
    let empty = app
        .post("/api/v1/auth/verify-email", None, json!({"token": ""}))
        .await;
    assert_validation_error(&empty, "token");

    let short_lived = TestApp::with_config(|c| c.verification_token_ttl = Duration::ZERO).await;
    short_lived.register("B", "b@example.org", PASSWORD).await;
    let token = short_lived.verification_token("b@example.org").unwrap();
    let expired = short_lived
        .post("/api/v1/auth/verify-email", None, json!({"token": token}))
        .await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    assert!(expired.detail().contains("expired"), "{}", expired.text);
}

#[actix_web::test]
async fn resend_answers_the_same_for_every_address_and_rotates_the_link() {
    let app = TestApp::with_config(crate::common::generous_limits).await;
    app.register("A", "pending@example.org", PASSWORD).await;
    let first = app.verification_token("pending@example.org").unwrap();
    app.sign_up("done@example.org").await;
    let mails_before = app.mails_to("done@example.org").len();

    let mut bodies = Vec::new();
    for email in [
        "pending@example.org",
        "done@example.org",
        "nobody@example.org",
    ] {
        let response = app
            .post(
                "/api/v1/auth/resend-verification",
                None,
                json!({"email": email}),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK);
        bodies.push(response.body);
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:?}");
    assert_eq!(app.mails_to("done@example.org").len(), mails_before);
    assert!(app.mails_to("nobody@example.org").is_empty());

    let second = app.verification_token("pending@example.org").unwrap();
    assert_ne!(first, second);
    let old = app
        .post("/api/v1/auth/verify-email", None, json!({"token": first}))
        .await;
    assert_eq!(old.status, StatusCode::BAD_REQUEST, "the older link died");
    let new = app
        .post("/api/v1/auth/verify-email", None, json!({"token": second}))
        .await;
    assert_eq!(new.status, StatusCode::OK);

    let malformed = app
        .post(
            "/api/v1/auth/resend-verification",
            None,
            json!({"email": "nope"}),
        )
        .await;
    assert_validation_error(&malformed, "email");
}

#[actix_web::test]
async fn login_returns_tokens_and_the_user() {
    let app = TestApp::new().await;
    app.sign_up("aisha@example.org").await;
    let response = app.login("  AISHA@example.org", PASSWORD).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = &response.body;
    assert!(body["accessToken"].as_str().unwrap().split('.').count() == 3);
    assert!(body["refreshToken"].as_str().unwrap().split('.').count() == 3);
    assert_eq!(body["tokenType"], "bearer");
    assert_eq!(body["user"]["email"], "aisha@example.org");
    assert_eq!(body["user"]["name"], "Test User");
    assert_eq!(body["user"]["accessLevel"], "CORE");
    assert_eq!(body["user"]["occupation"], "researcher");
    assert!(body["user"]["id"].as_str().is_some_and(|id| id.len() == 36));
}

#[actix_web::test]
async fn wrong_password_and_unknown_email_get_the_same_401() {
    let app = TestApp::new().await;
    app.sign_up("a@example.org").await;
    let wrong = app.login("a@example.org", "wrong password").await;
    let unknown = app.login("ghost@example.org", PASSWORD).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.detail(), "Invalid email or password");
    let empty = app.login("a@example.org", "").await;
    assert_validation_error(&empty, "password");
}

#[actix_web::test]
async fn unverified_users_cannot_log_in() {
    let app = TestApp::new().await;
    app.register("A", "a@example.org", PASSWORD).await;
    let response = app.login("a@example.org", PASSWORD).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(
        response
            .detail()
            .to_lowercase()
            .contains("verify your email"),
        "{}",
        response.text
    );
    assert!(response.body.get("accessToken").is_none());
}

#[actix_web::test]
async fn registering_an_unverified_address_again_replaces_its_credentials() {
    let app = TestApp::new().await;
    app.register("Squatter", "victim@example.org", "squatter-password")
        .await;
    let squatter_token = app.verification_token("victim@example.org").unwrap();
    app.register("Owner", "victim@example.org", PASSWORD).await;
    let owner_token = app.verification_token("victim@example.org").unwrap();
    assert_ne!(squatter_token, owner_token);
    let verified = app
        .post(
            "/api/v1/auth/verify-email",
            None,
            json!({"token": owner_token}),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK);
    assert_eq!(
        app.login("victim@example.org", "squatter-password")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let login = app.login("victim@example.org", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.body["user"]["name"], "Owner");
}

#[actix_web::test]
async fn refresh_rotates_both_tokens_and_me_reads_the_account() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refreshToken": session.refresh}),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    assert_eq!(refreshed.header("cache-control"), Some("no-store"));
    let access = refreshed.body["accessToken"].as_str().unwrap();
    let refresh = refreshed.body["refreshToken"].as_str().unwrap();
    assert_eq!(refreshed.body["tokenType"], "bearer");
    assert_ne!(refresh, session.refresh);

    let me = app.get("/api/v1/auth/me", access).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], session.user_id.as_str());
    assert_eq!(me.body["email"], "a@example.org");

    // snake_case is accepted too, and the new token rotates again.
    let again = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    let garbage = app
        .post("/api/v1/auth/refresh", None, json!({"refreshToken": "abc"}))
        .await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn logout_makes_the_refresh_token_family_useless() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let rotated = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refreshToken": session.refresh}),
        )
        .await;
    let current = rotated.body["refreshToken"].as_str().unwrap().to_owned();

    let logout = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refreshToken": current}),
        )
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    for token in [&current, &session.refresh] {
        let refresh = app
            .post("/api/v1/auth/refresh", None, json!({"refreshToken": token}))
            .await;
        assert_eq!(refresh.status, StatusCode::UNAUTHORIZED, "{}", refresh.text);
    }
    // Another login (another family) is unaffected.
    let other = app.login("a@example.org", PASSWORD).await;
    let other_refresh = other.body["refreshToken"].as_str().unwrap();
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refreshToken": other_refresh}),
        )
        .await;
    assert_eq!(refresh.status, StatusCode::OK);
    let not_a_token = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refreshToken": "abc"})),
        )
        .await;
    assert_eq!(not_a_token.status, StatusCode::UNAUTHORIZED);
}
