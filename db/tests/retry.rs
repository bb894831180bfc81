//! Conflicts PostgreSQL aborts a transaction for are run again, on a real database: a real
//! deadlock ends with both sides done, and a conflict that never clears reaches the caller
//! as `DbError::Conflict` after `retry::ATTEMPTS` runs.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::Integer;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use safapac_db::{DbError, retry};
use safapac_testkit::TestDatabase;

/// Locks row `first`, waits for the other transaction to lock its first row, then locks
/// `second`: two of these in opposite orders deadlock.
async fn lock_in_order(
    conn: &mut AsyncPgConnection,
    first: i32,
    second: i32,
    runs: &AtomicU32,
) -> Result<(), DbError> {
    runs.fetch_add(1, Ordering::Relaxed);
    conn.transaction::<_, DbError, _>(async move |conn| {
        for (i, row) in [first, second].into_iter().enumerate() {
            diesel::sql_query("UPDATE counters SET n = n + 1 WHERE id = $1")
                .bind::<Integer, _>(row)
                .execute(conn)
                .await?;
            if i == 0 {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn both_sides_of_a_real_deadlock_finish_after_a_retry() {
    let db = TestDatabase::create().await.unwrap();
    let mut setup = AsyncPgConnection::establish(db.url()).await.unwrap();
    diesel::sql_query("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)")
        .execute(&mut setup)
        .await
        .unwrap();
    diesel::sql_query("INSERT INTO counters VALUES (1, 0), (2, 0)")
        .execute(&mut setup)
        .await
        .unwrap();
    // The detector runs after `deadlock_timeout` (1 s by default); shorter keeps this quick.
    diesel::sql_query(format!(
        "ALTER DATABASE \"{}\" SET deadlock_timeout = '100ms'",
        db.name()
    ))
    .execute(&mut setup)
    .await
    .unwrap();

    let side = |first, second| {
        let url = db.url().to_owned();
        tokio::spawn(async move {
            let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
            let runs = AtomicU32::new(0);
            let outcome = retry::on_conflict(&mut conn, async |conn| {
                lock_in_order(conn, first, second, &runs).await
            })
            .await;
            (outcome, runs.into_inner())
        })
    };
    let retried_before = retry::conflicts_retried();
    let (a, b) = tokio::join!(side(1, 2), side(2, 1));
    let ((a, a_runs), (b, b_runs)) = (a.unwrap(), b.unwrap());
    a.unwrap();
    b.unwrap();
    // One side was aborted as the deadlock victim and ran again.
    assert_eq!(a_runs + b_runs, 3, "runs: {a_runs} and {b_runs}");
    assert!(retry::conflicts_retried() > retried_before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_that_persists_reaches_the_caller_after_every_attempt() {
    let db = TestDatabase::create().await.unwrap();
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let runs = AtomicU32::new(0);
    let outcome: Result<(), DbError> = retry::on_conflict(&mut conn, async |_conn| {
        runs.fetch_add(1, Ordering::Relaxed);
        Err(DbError::Query(Error::DatabaseError(
            DatabaseErrorKind::SerializationFailure,
            Box::new("could not serialize access due to concurrent update".to_owned()),
        )))
    })
    .await;
    assert_eq!(runs.into_inner(), retry::ATTEMPTS);
    match outcome {
        Err(DbError::Conflict { attempts, source }) => {
            assert_eq!(attempts, retry::ATTEMPTS);
            assert!(source.is_conflict());
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Anything else is not run again.
    let runs = AtomicU32::new(0);
    let outcome: Result<(), DbError> = retry::on_conflict(&mut conn, async |_conn| {
        runs.fetch_add(1, Ordering::Relaxed);
        Err(DbError::CalculationInProgress)
    })
    .await;
    assert_eq!(runs.into_inner(), 1);
    assert!(matches!(outcome, Err(DbError::CalculationInProgress)));
}
