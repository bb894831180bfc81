//! Dependencies going away under a calculation load: the API answers 503 with `Retry-After`
//! (never a 500, never a hang) while PostgreSQL connections are being terminated, and every
//! calculation it accepted ends `calculated` with the engine's results, exactly once.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use safapac_testkit::app::{TestApp, generous_limits};
use safapac_testkit::golden;

#[derive(diesel::QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Terminates every backend of `database` but its own (connected through `admin_url`),
/// `rounds` times, `every` apart; returns how many it terminated.
async fn terminate_backends(
    admin_url: String,
    database: String,
    rounds: usize,
    every: Duration,
) -> i64 {
    let mut admin = AsyncPgConnection::establish(&admin_url).await.unwrap();
    let mut total = 0;
    for _ in 0..rounds {
        let killed: N = diesel::sql_query(
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
              WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind::<Text, _>(&database)
        .get_result(&mut admin)
        .await
        .unwrap();
        total += killed.n;
        tokio::time::sleep(every).await;
    }
    total
}

#[actix_web::test]
async fn terminated_database_connections_answer_503_and_lose_no_calculation() {
    let app = TestApp::with_config(generous_limits).await;
    let mut settings = app.worker_settings();
    settings.job_timeout = Duration::from_secs(3);
    settings.requeue_after = Duration::from_secs(2);
    settings.sweep_interval = Duration::from_secs(1);
    let worker = app.start_worker_with(settings);
    let session = app.sign_up("faults@example.com").await;
    let mut scenarios = Vec::new();
    for i in 0..12 {
        let project = app.create_project(&session.access, &format!("p{i}")).await;
        let first = app.scenarios(&session.access, &project).await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        scenarios.push(first);
    }
    let inputs = golden::inputs(0);

    let killer = tokio::spawn(terminate_backends(
        app.database().admin_url().to_owned(),
        app.database().name().to_owned(),
        15,
        Duration::from_millis(150),
    ));
    let mut accepted = Vec::new();
    let mut unavailable = 0;
    let started = Instant::now();
    while !killer.is_finished() || accepted.len() < scenarios.len() {
        for scenario in &scenarios {
            let path = format!("/api/v1/scenarios/{scenario}");
            let submitted = app
                .post(
                    &format!("{path}/calculate"),
                    Some(&session.access),
                    inputs.clone(),
                )
                .await;
            let polled = app
                .get(&format!("{path}/calculate/status"), &session.access)
                .await;
            for response in [&submitted, &polled] {
                match response.status {
                    StatusCode::SERVICE_UNAVAILABLE => {
                        unavailable += 1;
                        assert!(
                            response.header("retry-after").is_some(),
                            "{}",
                            response.text
                        );
                    }
                    status => assert!(
                        status.is_success() || status == StatusCode::CONFLICT,
                        "{status}: {}",
                        response.text
                    ),
                }
            }
            if submitted.status == StatusCode::ACCEPTED {
                accepted.push(scenario.clone());
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "requests did not recover"
        );
    }
    let terminated = killer.await.unwrap();
    assert!(terminated > 0, "the test terminated no connection");

    // Every scenario ends calculated with the engine's figures.
    let (te, fin) = golden::engine_results(&inputs);
    let deadline = Instant::now() + Duration::from_secs(60);
    for scenario in &scenarios {
        let path = format!("/api/v1/scenarios/{scenario}");
        let done = loop {
            let polled = app
                .get(&format!("{path}/calculate/status"), &session.access)
                .await;
            if polled.status == StatusCode::OK && polled.body["status"] != "calculating" {
                break polled.body;
            }
            assert!(
                Instant::now() < deadline,
                "{scenario} is stuck: {}",
                polled.text
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(done["status"], "calculated", "{done}");
        assert_eq!(done["technoEconomics"], te);
        assert_eq!(done["financials"], fin);
    }
    // Each accepted submission has its job (a submission answered 503 may have committed
    // just before its connection died, so there can be more), and each job ended once:
    // succeeded, or superseded by the next submission for its scenario.
    let mut conn = app.state.pool.get().await.unwrap();
    let jobs: N = diesel::sql_query("SELECT count(*) AS n FROM calculation_jobs")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert!(jobs.n >= accepted.len() as i64, "{} jobs", jobs.n);
    assert!(
        jobs.n <= (accepted.len() + unavailable) as i64,
        "{} jobs",
        jobs.n
    );
    // Jobs of older revisions may still wait for a delivery (the sweeper re-pushes them);
    // each must end, as superseded, without touching the results.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let unfinished: N = diesel::sql_query(
            "SELECT count(*) AS n FROM calculation_jobs
              WHERE status NOT IN ('succeeded', 'superseded') OR finished_at IS NULL",
        )
        .get_result(&mut conn)
        .await
        .unwrap();
        if unfinished.n == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} jobs never finished",
            unfinished.n
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let succeeded: N =
        diesel::sql_query("SELECT count(*) AS n FROM calculation_jobs WHERE status = 'succeeded'")
            .get_result(&mut conn)
            .await
            .unwrap();
    assert!(succeeded.n >= scenarios.len() as i64);
    drop(conn);
    eprintln!(
        "terminated {terminated} backends; {} submissions accepted, {unavailable} answers were 503",
        accepted.len()
    );
    worker.stop().await;
}
