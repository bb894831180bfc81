//! The calculation status of a calculated scenario is answered from memory, with an `ETag`
//! and `304` for a client holding it, and every replica forgets it as soon as any replica
//! bumps the scenario's revision or deletes it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::http::{Method, StatusCode, header};
use actix_web::test::TestRequest;
use diesel_async::RunQueryDsl;
use serde_json::json;

use safapac_testkit::golden;

use crate::calculations::setup;
use crate::common::TestApp;

async fn until_live(apps: &[&TestApp]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !apps.iter().all(|app| app.state.statuses.is_live()) {
        assert!(
            Instant::now() < deadline,
            "the status channel never came up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `path` on `app` until the answer's `status` is `wanted`, for up to 5 s.
async fn until_status(app: &TestApp, token: &str, path: &str, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let polled = app.get(path, token).await;
        if polled.body["status"] == wanted {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still {} instead of {wanted}",
            polled.text
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Saves a draft, which moves the scenario's revision.
async fn save_draft(app: &TestApp, token: &str, scenario: &str) {
    let draft = app
        .send(
            Method::PATCH,
            &format!("/api/v1/scenarios/{scenario}/draft"),
            Some(token),
            Some(json!({"countryId": 1})),
        )
        .await;
    assert_eq!(draft.status, StatusCode::OK, "{}", draft.text);
}

#[actix_web::test]
async fn a_calculated_status_comes_from_memory_with_an_etag_until_the_revision_moves() {
    let app = TestApp::new().await;
    until_live(&[&app]).await;
    let (token, _, scenario) = setup(&app, "memory@example.com").await;
    let path = format!("/api/v1/scenarios/{scenario}/calculate");
    let computed = app
        .post(&format!("{path}/sync"), Some(&token), golden::inputs(0))
        .await;
    assert_eq!(computed.status, StatusCode::OK, "{}", computed.text);

    let status = format!("{path}/status");
    let first = app.get(&status, &token).await;
    assert_eq!(first.body["status"], "calculated");
    let etag = first.header("etag").unwrap().to_owned();
    assert!(first.header("cache-control").unwrap().contains("no-cache"));

    // Changed behind the API's back: the answer still comes from memory.
    let mut conn = app.state.pool.get().await.unwrap();
    diesel::sql_query("UPDATE scenarios SET techno_economics = '{\"changed\": true}'")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let again = app.get(&status, &token).await;
    assert_eq!(again.text, first.text);
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    let held = app
        .request(
            TestRequest::get()
                .uri(&status)
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
                .insert_header((header::IF_NONE_MATCH, etag.clone())),
        )
        .await;
    assert_eq!(held.status, StatusCode::NOT_MODIFIED);
    assert!(held.text.is_empty());
    assert_eq!(held.header("etag"), Some(etag.as_str()));

    // Memory answers only its owner.
    let stranger = app.sign_up("stranger@example.com").await;
    let refused = app.get(&status, &stranger.access).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    // A draft moves the revision: the next poll is the database's answer.
    save_draft(&app, &token, &scenario).await;
    let after = app.get(&status, &token).await;
    assert_eq!(after.body["status"], "draft");
    assert!(after.header("etag").is_none());
}

#[actix_web::test]
async fn every_replica_forgets_a_status_another_replica_moved_or_deleted() {
    let app = TestApp::new().await;
    let replica = app.replica().await;
    until_live(&[&app, &replica]).await;
    let (token, _, scenario) = setup(&app, "replicas@example.com").await;
    let path = format!("/api/v1/scenarios/{scenario}/calculate");
    let status = format!("{path}/status");
    for _ in 0..2 {
        let computed = app
            .post(&format!("{path}/sync"), Some(&token), golden::inputs(0))
            .await;
        assert_eq!(computed.status, StatusCode::OK, "{}", computed.text);
        // The replica reads it once and keeps it.
        until_status(&replica, &token, &status, "calculated").await;
        let hits = AtomicU64::load(&replica.state.statuses.counters.hits, Ordering::Relaxed);
        let kept = replica.get(&status, &token).await;
        assert!(kept.header("etag").is_some());
        assert_eq!(
            AtomicU64::load(&replica.state.statuses.counters.hits, Ordering::Relaxed),
            hits + 1,
            "answered from memory"
        );

        // A draft saved through the first replica: the second hears of it.
        save_draft(&app, &token, &scenario).await;
        until_status(&replica, &token, &status, "draft").await;
    }

    let computed = app
        .post(&format!("{path}/sync"), Some(&token), golden::inputs(0))
        .await;
    assert_eq!(computed.status, StatusCode::OK);
    until_status(&replica, &token, &status, "calculated").await;
    let deleted = app
        .send(
            Method::DELETE,
            &format!("/api/v1/scenarios/{scenario}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let deadline = Instant::now() + Duration::from_secs(5);
    while replica.get(&status, &token).await.status != StatusCode::NOT_FOUND {
        assert!(
            Instant::now() < deadline,
            "the replica still answers a deleted scenario"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
