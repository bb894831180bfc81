//! A synchronous calculation whose result its request could not record is handed to the
//! workers instead of leaving its scenario `calculating`, on a real database.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use diesel::sql_types::{Bool, Integer, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use safapac_db::jobs::{self, Claim, Finish, Submission};
use safapac_db::status::ScenarioStatus;
use safapac_testkit::TestDatabase;
use uuid::Uuid;

#[derive(diesel::QueryableByName)]
struct JobRow {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Bool)]
    synchronous: bool,
    #[diesel(sql_type = Integer)]
    pushes: i32,
}

async fn job_row(conn: &mut AsyncPgConnection, job_id: Uuid) -> JobRow {
    diesel::sql_query("SELECT status, synchronous, pushes FROM calculation_jobs WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(job_id)
        .get_result(conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unrecorded_synchronous_job_is_handed_over_once_and_a_worker_records_it() {
    let db = TestDatabase::create().await.unwrap();
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let user_id = Uuid::new_v4();
    diesel::sql_query(
        "INSERT INTO users (id, name, email, password_hash, occupation)
         VALUES ($1, 'A', 'a@example.com', 'x', 'researcher')",
    )
    .bind::<diesel::sql_types::Uuid, _>(user_id)
    .execute(&mut conn)
    .await
    .unwrap();
    let project = safapac_db::projects::create(&mut conn, user_id, "p")
        .await
        .unwrap();
    let scenario = safapac_db::scenarios::list(&mut conn, user_id, project.project.id)
        .await
        .unwrap()
        .unwrap()[0]
        .id;
    let submitted = jobs::submit(
        &mut conn,
        user_id,
        scenario,
        None,
        Submission {
            process_id: 1,
            feedstock_id: 1,
            country_id: 1,
            inputs: serde_json::json!({}),
            synchronous: true,
        },
    )
    .await
    .unwrap()
    .unwrap();
    let job = submitted.job_id;
    assert_eq!(job_row(&mut conn, job).await.status, "running");

    // Handed over once: an ordinary queued job with its first delivery.
    assert_eq!(jobs::hand_over(&mut conn, job).await.unwrap(), Some(0));
    let row = job_row(&mut conn, job).await;
    assert_eq!(
        (row.status.as_str(), row.synchronous, row.pushes),
        ("queued", false, 1)
    );
    assert_eq!(jobs::hand_over(&mut conn, job).await.unwrap(), None);

    // A worker claims and records it like any other job.
    let Claim::Run(claimed) = jobs::claim(&mut conn, job, 3, Duration::from_secs(60))
        .await
        .unwrap()
    else {
        panic!("the handed-over job could not be claimed");
    };
    assert_eq!(claimed.revision, submitted.revision);
    assert_eq!(
        jobs::succeed(&mut conn, job, "{}", "{}").await.unwrap(),
        Finish::Recorded
    );
    let status = jobs::calculation_status(&mut conn, user_id, scenario, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.status, ScenarioStatus::Calculated);
}
