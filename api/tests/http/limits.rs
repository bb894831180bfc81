//! Rate limits shared through Redis (two app instances = two replicas), client addresses
//! behind trusted proxies, and the per-process fallback while Redis is down.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use safapac_api::counters::Counters;
use safapac_api::limits::{Policy, Quota};
use serde_json::json;

use safapac_testkit::OwnRedis;

use crate::common::{Response, TestApp};

fn peer(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), 40_000)
}

/// A login with an empty body: refused with 422 by the handler, so no password hash is
/// spent, yet counted like any login that reaches it.
async fn login_from(app: &TestApp, ip: &str, forwarded_for: Option<&str>) -> Response {
    let mut request = TestRequest::post()
        .uri("/api/v1/auth/login")
        .peer_addr(peer(ip))
        .set_json(json!({}));
    if let Some(chain) = forwarded_for {
        request = request.insert_header(("x-forwarded-for", chain));
    }
    app.request(request).await
}

async fn app_with_login_quota(quota: Quota, trusted: &str) -> TestApp {
    let trusted = trusted.to_owned();
    TestApp::with_config(move |config| {
        *config.rate_limits.quota_mut(Policy::Login) = quota;
        config.rate_limits.trusted_proxies = trusted.parse().unwrap();
    })
    .await
}

/// Asserts a 429 with the contract's `detail`; returns its `Retry-After` in seconds.
fn assert_refused(refused: &Response) -> u64 {
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert!(
        refused.detail().starts_with("Too many requests"),
        "{}",
        refused.text
    );
    refused.header("retry-after").unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sixth_login_in_a_window_is_refused_by_every_replica_until_the_window_passes() {
    let window = Duration::from_secs(3);
    let a = app_with_login_quota(Quota::new(5, window), "").await;
    let b = a.replica().await;
    let started = Instant::now();
    for attempt in 0..5u32 {
        let app = if attempt % 2 == 0 { &a } else { &b };
        let allowed = login_from(app, "203.0.113.10", None).await;
        assert_eq!(
            allowed.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            allowed.text
        );
        assert_eq!(allowed.header("ratelimit-limit"), Some("5"));
        assert_eq!(
            allowed.header("ratelimit-remaining"),
            Some((4 - attempt).to_string().as_str())
        );
    }
    for app in [&b, &a] {
        let refused = login_from(app, "203.0.113.10", None).await;
        let retry = assert_refused(&refused);
        assert!((1..=3).contains(&retry), "retry-after {retry}");
        assert_eq!(refused.header("ratelimit-remaining"), Some("0"));
        assert!(refused.header("ratelimit-reset").is_some());
    }
    assert!(
        started.elapsed() < window / 5,
        "the requests were too slow for the test to mean anything"
    );
    assert_eq!(
        Counters::get(&a.state.counters.rate_limited[Policy::Login.index()]),
        1
    );

    // A full window later the bucket is full again: five more, and no sixth.
    tokio::time::sleep(window.saturating_sub(started.elapsed()) + Duration::from_millis(100)).await;
    for attempt in 0..5 {
        let app = if attempt % 2 == 0 { &b } else { &a };
        let allowed = login_from(app, "203.0.113.10", None).await;
        assert_eq!(
            allowed.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            allowed.text
        );
    }
    let refused = login_from(&a, "203.0.113.10", None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_have_their_own_buckets_and_only_trusted_proxies_name_the_client() {
    let app = app_with_login_quota(Quota::new(2, Duration::from_secs(60)), "10.0.0.1").await;
    let exhausted = "203.0.113.20";
    for _ in 0..2 {
        assert_ne!(
            login_from(&app, exhausted, None).await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    assert_eq!(
        login_from(&app, exhausted, None).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another address has its own bucket.
    assert_eq!(
        login_from(&app, "203.0.113.21", None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A forged header from an untrusted peer changes nothing.
    assert_eq!(
        login_from(&app, exhausted, Some("198.51.100.7"))
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Through the trusted proxy, the forwarded client is the subject: the exhausted client
    // stays refused, a fresh one is let through.
    assert_eq!(
        login_from(&app, "10.0.0.1", Some(exhausted)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, "10.0.0.1", Some("198.51.100.7"))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A client cannot escape through the proxy by prepending its own entry.
    assert_eq!(
        login_from(&app, "10.0.0.1", Some(&format!("192.0.2.99, {exhausted}")))
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn calculations_are_also_limited_per_account_whatever_the_address() {
    let app = TestApp::with_config(|config| {
        *config.rate_limits.quota_mut(Policy::Calculate) = Quota::new(2, Duration::from_secs(60));
    })
    .await;
    let session = app.sign_up("calc-limit@example.com").await;
    let path = format!("/api/v1/scenarios/{}/calculate", uuid::Uuid::new_v4());
    let calculate = |ip: &'static str| {
        TestRequest::post()
            .uri(&path)
            .peer_addr(peer(ip))
            .insert_header(("authorization", format!("Bearer {}", session.access)))
            .set_json(json!({}))
    };
    for ip in ["203.0.113.30", "203.0.113.31"] {
        let response = app.request(calculate(ip)).await;
        assert_ne!(
            response.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            response.text
        );
    }
    let refused = app.request(calculate("203.0.113.32")).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    // Anonymous requests from a fresh address are only counted per address.
    let anonymous = app
        .request(
            TestRequest::post()
                .uri(&path)
                .peer_addr(peer("203.0.113.33"))
                .set_json(json!({})),
        )
        .await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_redis_down_requests_succeed_login_stays_limited_and_sharing_resumes_after() {
    let mut redis = OwnRedis::start();
    let url = redis.url();
    let a = TestApp::with_config(move |config| {
        config.queue.redis_url = url;
    })
    .await;
    let b = a.replica().await;
    let session = a.sign_up("outage@example.com").await;
    let master = a.get("/api/v1/master-data", &session.access).await;
    assert_eq!(master.status, StatusCode::OK);
    assert_eq!(
        login_from(&a, "203.0.113.40", None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    redis.stop();
    // Every request still answers: the limited ones, and the cached and uncached reads.
    assert_eq!(
        login_from(&a, "203.0.113.41", None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    for app in [&a, &b] {
        let read = app.get("/api/v1/master-data", &session.access).await;
        assert_eq!(read.status, StatusCode::OK, "{}", read.text);
        assert_eq!(read.body, master.body);
    }
    // The per-process fallback still holds login to five.
    for _ in 0..4 {
        let allowed = login_from(&a, "203.0.113.41", None).await;
        assert_eq!(allowed.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(allowed.header("ratelimit-remaining").is_some());
    }
    let refused = login_from(&a, "203.0.113.41", None).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert!(refused.header("retry-after").is_some());
    assert!(a.state.limits.redis_down());
    assert_eq!(Counters::get(&a.state.counters.limiter_fallbacks), 1);

    // Back on the same port (empty): once the replicas reconnect, they count together again.
    let _redis = OwnRedis::start_on(redis.port());
    let deadline = Instant::now() + Duration::from_secs(10);
    while a.state.limits.redis_down() || b.state.limits.redis_down() {
        assert!(Instant::now() < deadline, "the limiter did not reconnect");
        tokio::time::sleep(Duration::from_millis(200)).await;
        login_from(&a, "203.0.113.50", None).await;
        login_from(&b, "203.0.113.50", None).await;
    }
    for attempt in 0..5 {
        let app = if attempt % 2 == 0 { &a } else { &b };
        let allowed = login_from(app, "203.0.113.51", None).await;
        assert_eq!(
            allowed.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            allowed.text
        );
    }
    for app in [&a, &b] {
        assert_eq!(
            login_from(app, "203.0.113.51", None).await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    assert_eq!(Counters::get(&a.state.counters.limiter_fallbacks), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_flood_shield_stops_a_burst_from_one_client_on_any_route() {
    let app = TestApp::with_config(|config| {
        config.rate_limits.flood = Some(Quota::new(3, Duration::from_secs(60)));
    })
    .await;
    let health = |ip: &str| TestRequest::get().uri("/health").peer_addr(peer(ip));
    for _ in 0..3 {
        assert_eq!(
            app.request(health("203.0.113.60")).await.status,
            StatusCode::OK
        );
    }
    let refused = app.request(health("203.0.113.60")).await;
    let retry = assert_refused(&refused);
    assert!((1..=20).contains(&retry), "retry-after {retry}");
    assert_eq!(refused.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(Counters::get(&app.state.counters.flood_rejections), 1);
    // Other clients are not affected.
    assert_eq!(
        app.request(health("203.0.113.61")).await.status,
        StatusCode::OK
    );
}

/// Rotates `session`'s refresh token from `ip`; returns the answer and keeps the new token.
async fn refresh_from(app: &TestApp, ip: &str, refresh_token: &mut String) -> Response {
    let refreshed = app
        .request(
            TestRequest::post()
                .uri("/api/v1/auth/refresh")
                .peer_addr(peer(ip))
                .set_json(json!({"refresh_token": refresh_token.as_str()})),
        )
        .await;
    if refreshed.status == StatusCode::OK {
        *refresh_token = refreshed.body["refreshToken"].as_str().unwrap().to_owned();
    }
    refreshed
}

/// Five signed-in sessions of one account (five logins, as five browser tabs or people).
async fn sessions(app: &TestApp, email: &str) -> Vec<String> {
    let first = app.sign_up(email).await;
    let mut tokens = vec![first.refresh];
    for _ in 0..4 {
        let login = app.login(email, crate::common::PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.text);
        tokens.push(login.body["refreshToken"].as_str().unwrap().to_owned());
    }
    tokens
}

#[tokio::test(flavor = "multi_thread")]
async fn five_dashboard_sessions_behind_one_address_reloading_twenty_times_a_minute_are_never_refused()
 {
    let app = TestApp::new().await;
    let mut tokens = sessions(&app, "office@example.com").await;
    // The dashboard refreshes on every page load; twenty reloads each, interleaved.
    for _ in 0..20 {
        for token in &mut tokens {
            let refreshed = refresh_from(&app, "198.51.100.7", token).await;
            assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_session_refreshing_beyond_its_quota_is_refused_and_the_others_are_not() {
    let app = TestApp::with_config(|config| {
        *config.rate_limits.quota_mut(Policy::RefreshSession) =
            Quota::new(3, Duration::from_secs(60));
    })
    .await;
    let mut tokens = sessions(&app, "greedy@example.com").await;
    for _ in 0..3 {
        let refreshed = refresh_from(&app, "198.51.100.8", &mut tokens[0]).await;
        assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    }
    assert_refused(&refresh_from(&app, "198.51.100.8", &mut tokens[0]).await);
    // Another session from the same address has its own bucket.
    let other = refresh_from(&app, "198.51.100.8", &mut tokens[1]).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text);
    assert_eq!(
        Counters::get(&app.state.counters.rate_limited[Policy::RefreshSession.index()]),
        1
    );
}
