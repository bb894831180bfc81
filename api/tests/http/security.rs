//! Defects of the original that must never come back.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use safapac_db::schema::{email_verification_tokens, refresh_tokens, users};
use serde_json::{Value, json};

use crate::common::{PASSWORD, TEST_SECRET, TestApp};

fn forge(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn access_claims(user_id: &str) -> Value {
    json!({"sub": user_id, "exp": now() + 600, "iat": now(), "jti": uuid::Uuid::new_v4(), "type": "access"})
}

async fn assert_rejected(app: &TestApp, token: &str, why: &str) {
    let response = app.get("/api/v1/projects", token).await;
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{why}: {}",
        response.text
    );
    assert_eq!(response.header("www-authenticate"), Some("Bearer"), "{why}");
}

#[actix_web::test]
async fn only_valid_access_tokens_open_protected_routes() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    assert_eq!(
        app.get("/api/v1/projects", &session.access).await.status,
        StatusCode::OK,
        "the control case works"
    );
    assert_eq!(
        app.get(
            "/api/v1/projects",
            &forge(&access_claims(&session.user_id), TEST_SECRET)
        )
        .await
        .status,
        StatusCode::OK,
        "forging works with the right key"
    );

    assert_rejected(&app, &session.refresh, "refresh token as access token").await;

    let mut expired = access_claims(&session.user_id);
    expired["exp"] = json!(now() - 5);
    assert_rejected(&app, &forge(&expired, TEST_SECRET), "expired").await;

    let mut untyped = access_claims(&session.user_id);
    untyped.as_object_mut().unwrap().remove("type");
    assert_rejected(&app, &forge(&untyped, TEST_SECRET), "no type claim").await;
    let mut refresh_typed = access_claims(&session.user_id);
    refresh_typed["type"] = json!("refresh");
    refresh_typed["fam"] = json!(uuid::Uuid::new_v4());
    assert_rejected(&app, &forge(&refresh_typed, TEST_SECRET), "type refresh").await;

    let other_key = forge(
        &access_claims(&session.user_id),
        "another-secret-key-another-secret-key",
    );
    assert_rejected(&app, &other_key, "signed with another key").await;

    // Tampered: the payload swapped for another user's, signature kept.
    let parts: Vec<&str> = session.access.split('.').collect();
    let stranger = access_claims(&uuid::Uuid::new_v4().to_string());
    let payload = URL_SAFE_NO_PAD.encode(stranger.to_string());
    let tampered = format!("{}.{}.{}", parts[0], payload, parts[2]);
    assert_rejected(&app, &tampered, "tampered payload").await;

    // Unsigned.
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(access_claims(&session.user_id).to_string());
    assert_rejected(&app, &format!("{header}.{payload}."), "alg none").await;

    // A valid signature for a user that does not exist.
    let ghost = forge(
        &access_claims(&uuid::Uuid::new_v4().to_string()),
        TEST_SECRET,
    );
    assert_rejected(&app, &ghost, "unknown user").await;

    let missing = app.send(Method::GET, "/api/v1/projects", None, None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.detail(), "Not authenticated");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let basic = app
        .request(
            actix_web::test::TestRequest::get()
                .uri("/api/v1/projects")
                .insert_header(("Authorization", format!("Basic {}", session.access))),
        )
        .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn access_tokens_are_refused_by_refresh_and_logout() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    for path in ["/api/v1/auth/refresh", "/api/v1/auth/logout"] {
        let response = app
            .post(path, None, json!({"refreshToken": session.access}))
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[actix_web::test]
async fn replaying_a_rotated_refresh_token_after_the_grace_window_revokes_the_family() {
    let app = TestApp::with_config(|c| c.refresh_reuse_grace = Duration::ZERO).await;
    let session = app.sign_up("a@example.org").await;
    let rotated = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refreshToken": session.refresh}),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    let successor = rotated.body["refreshToken"].as_str().unwrap().to_owned();

    let replay = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refreshToken": session.refresh}),
        )
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    let successor_after = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refreshToken": successor}),
        )
        .await;
    assert_eq!(
        successor_after.status,
        StatusCode::UNAUTHORIZED,
        "the whole family is revoked"
    );
}

#[actix_web::test]
async fn two_refreshes_at_once_both_succeed_within_the_grace_window() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let body = json!({"refreshToken": session.refresh});
    let (first, second) = futures_util::future::join(
        app.post("/api/v1/auth/refresh", None, body.clone()),
        app.post("/api/v1/auth/refresh", None, body.clone()),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    for response in [first, second] {
        let token = response.body["refreshToken"].as_str().unwrap();
        let next = app
            .post("/api/v1/auth/refresh", None, json!({"refreshToken": token}))
            .await;
        assert_eq!(next.status, StatusCode::OK, "{}", next.text);
    }
}

#[actix_web::test]
async fn register_does_not_reveal_whether_an_email_exists() {
    let app = TestApp::with_config(crate::common::generous_limits).await;
    app.sign_up("verified@example.org").await;
    app.register("P", "pending@example.org", PASSWORD).await;
    let fresh = app.register("N", "new@example.org", PASSWORD).await;
    let verified = app.register("V", "Verified@Example.org", PASSWORD).await;
    let pending = app.register("P", "pending@example.org", PASSWORD).await;
    for response in [&verified, &pending] {
        assert_eq!(response.status, fresh.status);
        assert_eq!(response.body, fresh.body);
    }
    // The verified account keeps its password.
    assert_eq!(
        app.login("verified@example.org", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn passwords_and_tokens_are_stored_only_as_hashes() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    app.register("B", "b@example.org", PASSWORD).await;
    let mut conn = app.state.pool.get().await.unwrap();
    let hashes: Vec<String> = users::table
        .select(users::password_hash)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(hashes.len(), 2);
    for hash in hashes {
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains(PASSWORD));
    }
    let stored: Vec<Vec<u8>> = refresh_tokens::table
        .select(refresh_tokens::token_hash)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].len(), 32);
    assert!(!String::from_utf8_lossy(&stored[0]).contains(&session.refresh));
    let pending = app.verification_token("b@example.org").unwrap();
    let verification: Vec<Vec<u8>> = email_verification_tokens::table
        .select(email_verification_tokens::token_hash)
        .load(&mut conn)
        .await
        .unwrap();
    assert!(
        verification
            .iter()
            .all(|h| h.len() == 32 && *h != pending.as_bytes())
    );
}

#[actix_web::test]
async fn another_users_projects_and_scenarios_answer_404_on_every_verb() {
    let app = TestApp::new().await;
    let owner = app.sign_up("owner@example.org").await;
    let intruder = app.sign_up("intruder@example.org").await;
    let project = app.create_project(&owner.access, "Private").await;
    let scenario = app.scenarios(&owner.access, &project).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let name = json!({"project_name": "Mine now"});
    let draft = json!({"conversionPlant": {"plantCapacity": {"value": 1}}});
    let attempts = [
        (Method::GET, format!("/api/v1/projects/{project}"), None),
        (
            Method::PUT,
            format!("/api/v1/projects/{project}"),
            Some(name.clone()),
        ),
        (Method::DELETE, format!("/api/v1/projects/{project}"), None),
        (
            Method::GET,
            format!("/api/v1/projects/{project}/scenarios"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{project}/scenarios"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/api/v1/scenarios?project_id={project}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/scenarios?project_id={project}"),
            None,
        ),
        (Method::GET, format!("/api/v1/scenarios/{scenario}"), None),
        (
            Method::PUT,
            format!("/api/v1/scenarios/{scenario}"),
            Some(json!({"scenario_name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/scenarios/{scenario}"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/scenarios/{scenario}/draft"),
            Some(draft.clone()),
        ),
        (
            Method::GET,
            format!("/api/v1/projects/{project}/scenarios/{scenario}"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/projects/{project}/scenarios/{scenario}"),
            Some(json!({"scenario_name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/projects/{project}/scenarios/{scenario}"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/projects/{project}/scenarios/{scenario}/draft"),
            Some(draft),
        ),
    ];
    for (method, path, body) in attempts {
        let response = app
            .send(method.clone(), &path, Some(&intruder.access), body)
            .await;
        assert_eq!(
            response.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            response.text
        );
        assert!(response.detail().contains("not found"), "{}", response.text);
    }
    // Nothing changed for the owner.
    let scenarios = app.scenarios(&owner.access, &project).await;
    assert_eq!(scenarios.len(), 1);
    assert_eq!(scenarios[0]["scenarioName"], "Scenario 1");
    assert_eq!(scenarios[0]["userInputs"], json!({}));
    let project_view = app
        .get(&format!("/api/v1/projects/{project}"), &owner.access)
        .await;
    assert_eq!(project_view.body["projectName"], "Private");
}

#[actix_web::test]
async fn nested_item_routes_check_the_parent_project() {
    let app = TestApp::new().await;
    let session = app.sign_up("a@example.org").await;
    let first = app.create_project(&session.access, "One").await;
    let second = app.create_project(&session.access, "Two").await;
    let scenario = app.scenarios(&session.access, &first).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = app
        .get(
            &format!("/api/v1/projects/{second}/scenarios/{scenario}"),
            &session.access,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert_eq!(wrong.detail(), "Scenario not found");
    let right = app
        .get(
            &format!("/api/v1/projects/{first}/scenarios/{scenario}"),
            &session.access,
        )
        .await;
    assert_eq!(right.status, StatusCode::OK);
}
