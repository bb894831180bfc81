//! Edits and calculations racing on one scenario through two API replicas and a worker:
//! no answer is a 5xx, every job ends once in a terminal state, and the scenario ends
//! calculated with the results of its latest inputs. Before the one lock order, scenario
//! edits (project, then scenario) and calculation submits and recordings (scenario, then
//! project) deadlocked, and PostgreSQL's abort answered 500.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use actix_web::http::{Method, StatusCode};
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use futures_util::future::join_all;
use serde_json::json;

use safapac_testkit::app::{TestApp, generous_limits};
use safapac_testkit::golden;

#[derive(diesel::QueryableByName)]
struct JobCount {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Requests each client sends.
const ROUNDS: usize = 40;

#[actix_web::test]
async fn racing_edits_and_calculations_never_answer_5xx_and_end_calculated() {
    let app = TestApp::with_config(generous_limits).await;
    let replica = app.replica().await;
    let worker = app.start_worker();
    let session = app.sign_up("race@example.com").await;
    let project = app.create_project(&session.access, "race").await;
    let scenario = app.scenarios(&session.access, &project).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/scenarios/{scenario}");
    // The golden cases this API accepts (some are edge cases its validation refuses).
    let valid: Vec<_> = (0..golden::cases().len())
        .map(golden::inputs)
        .filter(|inputs| {
            safapac_core::calculate(inputs, safapac_core::master::MasterData::builtin()).is_ok()
        })
        .collect();

    // Eight clients over two replicas: renames, draft saves, queued and synchronous
    // calculations of varying inputs, all on the same scenario.
    let clients = (0..8).map(|client| {
        let api = if client % 2 == 0 { &app } else { &replica };
        let (token, path, valid) = (&session.access, &path, &valid);
        async move {
            let mut statuses = Vec::with_capacity(ROUNDS);
            for round in 0..ROUNDS {
                let inputs = valid[(client + round) % valid.len()].clone();
                let (method, uri, body) = match client % 4 {
                    0 => (
                        Method::PUT,
                        path.clone(),
                        json!({"scenarioName": format!("c{client} r{round}")}),
                    ),
                    1 => (
                        Method::PATCH,
                        format!("{path}/draft"),
                        json!({"countryId": inputs["countryId"]}),
                    ),
                    2 => (Method::POST, format!("{path}/calculate"), inputs),
                    _ => (Method::POST, format!("{path}/calculate/sync"), inputs),
                };
                let response = api.send(method, &uri, Some(token), Some(body)).await;
                assert!(
                    !response.status.is_server_error(),
                    "client {client}, round {round}: {} {}",
                    response.status,
                    response.text
                );
                statuses.push(response.status);
            }
            statuses
        }
    });
    let answers: Vec<StatusCode> = join_all(clients).await.into_iter().flatten().collect();
    let mut tally: BTreeMap<u16, usize> = BTreeMap::new();
    for status in &answers {
        *tally.entry(status.as_u16()).or_default() += 1;
    }
    eprintln!("answers by status: {tally:?}");
    // A draft save is refused (409) while a calculation runs; everything else lands.
    assert!(
        answers
            .iter()
            .all(|s| s.is_success() || *s == StatusCode::CONFLICT),
        "{tally:?}"
    );
    assert!(tally.get(&202).copied().unwrap_or(0) > 0, "{tally:?}");

    // The last word: one more calculation, then the scenario must hold its results.
    let last = golden::inputs(0);
    let settled = app
        .post(
            &format!("{path}/calculate"),
            Some(&session.access),
            last.clone(),
        )
        .await;
    assert_eq!(settled.status, StatusCode::ACCEPTED, "{}", settled.text);
    let (te, fin) = golden::engine_results(&last);
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = loop {
        let polled = app
            .get(&format!("{path}/calculate/status"), &session.access)
            .await;
        assert_eq!(polled.status, StatusCode::OK, "{}", polled.text);
        if polled.body["status"] != "calculating" {
            break polled.body;
        }
        assert!(Instant::now() < deadline, "stuck calculating");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done["status"], "calculated", "{done}");
    assert_eq!(done["technoEconomics"], te);
    assert_eq!(done["financials"], fin);

    // Every job ended, once: succeeded, or superseded by a newer revision; none failed (a
    // failure here would be a conflict that outlived its retries).
    let mut conn = app.state.pool.get().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let counts = loop {
        let counts: Vec<JobCount> = diesel::sql_query(
            "SELECT status, count(*) AS n FROM calculation_jobs
              GROUP BY status ORDER BY status",
        )
        .load(&mut conn)
        .await
        .unwrap();
        let open = counts
            .iter()
            .any(|c| c.status == "queued" || c.status == "running");
        if !open {
            break counts;
        }
        assert!(Instant::now() < deadline, "jobs never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let by_status: BTreeMap<&str, i64> = counts.iter().map(|c| (c.status.as_str(), c.n)).collect();
    eprintln!("jobs by status: {by_status:?}");
    assert_eq!(
        by_status.keys().copied().collect::<Vec<_>>(),
        ["succeeded", "superseded"]
            .into_iter()
            .filter(|s| by_status.contains_key(s))
            .collect::<Vec<_>>(),
        "{by_status:?}"
    );
    let unfinished: Vec<JobCount> = diesel::sql_query(
        "SELECT 'unfinished' AS status, count(*) AS n FROM calculation_jobs
          WHERE finished_at IS NULL",
    )
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(unfinished[0].n, 0);
    drop(conn);
    worker.stop().await;
}
