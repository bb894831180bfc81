//! Calculation jobs: Postgres is the source of truth for every job, the queue
//! only carries job ids. Every status change is an `UPDATE … WHERE` on the expected current
//! state, so a duplicate or redelivered message changes nothing, and results are written only
//! while the job's revision is still the scenario's.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Interval, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::prepared::{Prepared, Statement, bind};
use crate::schema::{calculation_jobs, projects, scenarios};
use crate::status::{JobStatus, ScenarioStatus};
use crate::{DbError, retry};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = calculation_jobs, check_for_backend(diesel::pg::Pg))]
pub struct CalculationJob {
    pub id: Uuid,
    pub scenario_id: Uuid,
    pub revision: i64,
    pub status: JobStatus,
    pub attempts: i32,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub pushes: i32,
    pub last_pushed_at: Option<DateTime<Utc>>,
    pub synchronous: bool,
}

/// What a submission stores on the scenario before the job exists.
#[derive(Debug, Clone)]
pub struct Submission {
    pub process_id: i32,
    pub feedstock_id: i32,
    pub country_id: i32,
    /// The validated inputs in their stored form: camelCase keys, every field present.
    pub inputs: Value,
    /// Computed in the API process: the job starts `running` with its one attempt.
    pub synchronous: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    pub job_id: Uuid,
    pub revision: i64,
}

/// Stores the inputs on an owned scenario, bumps its revision, marks it `calculating` and
/// records the job for that revision — one statement, so one round trip, atomic, and the
/// scenario's row lock orders concurrent submissions. `None`: no such scenario for this user
/// (or not under `parent`).
pub async fn submit(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    scenario_id: Uuid,
    parent: Option<Uuid>,
    submission: Submission,
) -> Result<Option<Submitted>, DbError> {
    struct Sql;
    impl Statement for Sql {
        // The project is locked first (the crate's lock order): `owner` is an init plan
        // of `s`, so it runs before `s` reaches, and locks, the scenario row.
        const SQL: &'static str = "WITH owner AS (
            SELECT p.id FROM projects p JOIN scenarios sc ON sc.project_id = p.id
             WHERE sc.id = $2 AND p.user_id = $3 AND ($8::uuid IS NULL OR p.id = $8)
               FOR UPDATE OF p),
         s AS (
            UPDATE scenarios
               SET user_inputs = $4, process_id = $5, feedstock_id = $6, country_id = $7,
                   status = 'calculating', revision = revision + 1, updated_at = now()
             WHERE id = $2 AND project_id = (SELECT id FROM owner)
         RETURNING id, project_id, revision),
         p AS (UPDATE projects SET updated_at = now() WHERE id = (SELECT project_id FROM s))
         INSERT INTO calculation_jobs
                (id, scenario_id, revision, status, attempts, started_at, synchronous,
                 pushes, last_pushed_at)
         SELECT $1, s.id, s.revision,
                CASE WHEN $9 THEN 'running' ELSE 'queued' END,
                CASE WHEN $9 THEN 1 ELSE 0 END,
                CASE WHEN $9 THEN now() END,
                $9,
                -- The caller pushes the first delivery right after this commits; should that
                -- push fail, the sweeper sends delivery 1 once `requeue_after` has passed.
                CASE WHEN $9 THEN 0 ELSE 1 END,
                now()
           FROM s
      RETURNING id, revision";
        type Row = (diesel::sql_types::Uuid, BigInt);
    }
    let job_id = Uuid::now_v7();
    let row: Option<(Uuid, i64)> = retry::on_conflict(conn, async |conn| {
        Ok(Prepared::<Sql, _>::new((
            bind::<diesel::sql_types::Uuid, _>(job_id),
            bind::<diesel::sql_types::Uuid, _>(scenario_id),
            bind::<diesel::sql_types::Uuid, _>(user_id),
            bind::<diesel::sql_types::Jsonb, _>(&submission.inputs),
            bind::<Integer, _>(submission.process_id),
            bind::<Integer, _>(submission.feedstock_id),
            bind::<Integer, _>(submission.country_id),
            bind::<diesel::sql_types::Nullable<diesel::sql_types::Uuid>, _>(parent),
            bind::<diesel::sql_types::Bool, _>(submission.synchronous),
        ))
        .get_result(conn)
        .await
        .optional()?)
    })
    .await?;
    Ok(row.map(|(job_id, revision)| Submitted { job_id, revision }))
}

/// A job a worker may now compute.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub job_id: Uuid,
    pub scenario_id: Uuid,
    pub revision: i64,
    pub attempts: i32,
    pub inputs: Value,
}

#[derive(Debug, Clone)]
pub enum Claim {
    /// The job is ours: compute it.
    Run(Claimed),
    /// Finished, running elsewhere, or gone: nothing to do (a duplicate delivery).
    Skip,
    /// The scenario has newer inputs: the job was closed as `superseded`.
    Superseded,
    /// The job used up its attempts and was closed as `failed`.
    AttemptsExhausted,
}

/// Moves a job to `running` (from `queued`, or from a `running` whose worker has been silent
/// past `stale_after`), counts the attempt and reads the inputs, in one statement.
/// Superseded and over-cap jobs are closed here.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    job_id: Uuid,
    max_attempts: i32,
    stale_after: Duration,
) -> Result<Claim, DbError> {
    struct Sql;
    impl Statement for Sql {
        const SQL: &'static str = "WITH c AS (
            UPDATE calculation_jobs j
               SET status = 'running', attempts = j.attempts + 1,
                   started_at = now(), updated_at = now()
             WHERE j.id = $1
               AND (j.status = 'queued'
                    OR (j.status = 'running' AND NOT j.synchronous AND j.started_at < now() - $2))
         RETURNING j.scenario_id, j.revision, j.attempts)
         SELECT c.scenario_id, c.revision, c.attempts, s.revision AS current_revision,
                s.user_inputs AS inputs
           FROM c JOIN scenarios s ON s.id = c.scenario_id";
        type Row = (
            diesel::sql_types::Uuid,
            BigInt,
            Integer,
            BigInt,
            diesel::sql_types::Jsonb,
        );
    }
    let row: Option<(Uuid, i64, i32, i64, Value)> = Prepared::<Sql, _>::new((
        bind::<diesel::sql_types::Uuid, _>(job_id),
        bind::<Interval, _>(interval(stale_after)),
    ))
    .get_result(conn)
    .await
    .optional()?;
    let Some((scenario_id, revision, attempts, current_revision, inputs)) = row else {
        return Ok(Claim::Skip);
    };
    if revision != current_revision {
        close(conn, job_id, JobStatus::Superseded, None).await?;
        return Ok(Claim::Superseded);
    }
    if attempts > max_attempts {
        let message = format!("gave up after {max_attempts} attempts");
        close(conn, job_id, JobStatus::Failed, Some(&message)).await?;
        fail_scenario(conn, scenario_id, revision).await?;
        return Ok(Claim::AttemptsExhausted);
    }
    Ok(Claim::Run(Claimed {
        job_id,
        scenario_id,
        revision,
        attempts,
        inputs,
    }))
}

/// How a finished job was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// Written to the scenario.
    Recorded,
    /// The scenario moved on to newer inputs: nothing written, job `superseded`.
    Superseded,
    /// The job was no longer `running` (finished by another delivery): nothing written.
    AlreadyFinished,
}

fn finish_of(status: Option<JobStatus>) -> Finish {
    match status {
        None => Finish::AlreadyFinished,
        Some(JobStatus::Superseded) => Finish::Superseded,
        Some(_) => Finish::Recorded,
    }
}

/// Stores a successful result on the scenario if the job's revision is still current, and
/// closes the job — one statement. The scenario is updated first, guarded by the revision
/// under its row lock, and the job's final status says whether that happened. The results
/// are the engine's JSON texts, stored as they are: neither side parses them.
pub async fn succeed(
    conn: &mut AsyncPgConnection,
    job_id: Uuid,
    techno_economics: &str,
    financials: &str,
) -> Result<Finish, DbError> {
    struct Sql;
    impl Statement for Sql {
        // The project is locked first (the crate's lock order). Every revision bump holds
        // that lock too, so once `owner` has it, the revision compared below is final.
        const SQL: &'static str = "WITH owner AS (
            SELECT p.id FROM projects p
              JOIN scenarios sc ON sc.project_id = p.id
              JOIN calculation_jobs j ON j.scenario_id = sc.id
             WHERE j.id = $1
               FOR UPDATE OF p),
         s AS (
            UPDATE scenarios sc
               SET techno_economics = $2, financial_analysis = $3,
                   status = 'calculated', updated_at = now()
              FROM calculation_jobs j
             WHERE j.id = $1 AND j.status = 'running'
               AND sc.id = j.scenario_id AND sc.revision = j.revision
               AND sc.project_id = (SELECT id FROM owner)
         RETURNING sc.project_id),
         p AS (UPDATE projects SET updated_at = now() WHERE id = (SELECT project_id FROM s))
         UPDATE calculation_jobs
            SET status = CASE WHEN EXISTS (SELECT 1 FROM s) THEN 'succeeded' ELSE 'superseded' END,
                finished_at = now(), updated_at = now()
          WHERE id = $1 AND status = 'running'
      RETURNING status";
        type Row = Text;
    }
    let row: Option<JobStatus> = retry::on_conflict(conn, async |conn| {
        Ok(Prepared::<Sql, _>::new((
            bind::<diesel::sql_types::Uuid, _>(job_id),
            bind::<Text, _>(techno_economics),
            bind::<Text, _>(financials),
        ))
        .get_result(conn)
        .await
        .optional()?)
    })
    .await?;
    Ok(finish_of(row))
}

/// Records a failure the client should see (`message` is shown as the job's error). The
/// scenario becomes `failed` if the job's revision is still current; earlier results stay.
pub async fn fail(
    conn: &mut AsyncPgConnection,
    job_id: Uuid,
    message: &str,
) -> Result<Finish, DbError> {
    struct Sql;
    impl Statement for Sql {
        const SQL: &'static str = "WITH s AS (
            UPDATE scenarios sc SET status = 'failed', updated_at = now()
              FROM calculation_jobs j
             WHERE j.id = $1 AND j.status = 'running'
               AND sc.id = j.scenario_id AND sc.revision = j.revision
         RETURNING sc.id)
         UPDATE calculation_jobs
            SET status = CASE WHEN EXISTS (SELECT 1 FROM s) THEN 'failed' ELSE 'superseded' END,
                error = CASE WHEN EXISTS (SELECT 1 FROM s) THEN $2 END,
                finished_at = now(), updated_at = now()
          WHERE id = $1 AND status = 'running'
      RETURNING status";
        type Row = Text;
    }
    let row: Option<JobStatus> = retry::on_conflict(conn, async |conn| {
        Ok(Prepared::<Sql, _>::new((
            bind::<diesel::sql_types::Uuid, _>(job_id),
            bind::<Text, _>(message),
        ))
        .get_result(conn)
        .await
        .optional()?)
    })
    .await?;
    Ok(finish_of(row))
}

/// Gives the workers a synchronous job whose result its API request could not record (a
/// persistent conflict, a lost connection): the job becomes an ordinary queued job, so a
/// worker computes and records it and the scenario does not stay `calculating` until the
/// sweeper fails it. Returns the delivery to push, or `None` if the job is no longer a
/// running synchronous one (recorded, superseded or failed meanwhile).
pub async fn hand_over(conn: &mut AsyncPgConnection, job_id: Uuid) -> Result<Option<i32>, DbError> {
    retry::on_conflict(conn, async |conn| {
        Ok(diesel::update(
            calculation_jobs::table
                .find(job_id)
                .filter(calculation_jobs::status.eq(JobStatus::Running))
                .filter(calculation_jobs::synchronous),
        )
        .set((
            calculation_jobs::status.eq(JobStatus::Queued),
            calculation_jobs::synchronous.eq(false),
            calculation_jobs::pushes.eq(calculation_jobs::pushes + 1),
            calculation_jobs::last_pushed_at.eq(Utc::now()),
            calculation_jobs::updated_at.eq(Utc::now()),
        ))
        .returning(calculation_jobs::pushes - 1)
        .get_result(conn)
        .await
        .optional()?)
    })
    .await
}

/// Returns a `running` job to `queued` after a transient failure, so its next delivery can
/// claim it; `false` if it was not running.
pub async fn release(conn: &mut AsyncPgConnection, job_id: Uuid) -> Result<bool, DbError> {
    let n = diesel::update(
        calculation_jobs::table
            .find(job_id)
            .filter(calculation_jobs::status.eq(JobStatus::Running)),
    )
    .set((
        calculation_jobs::status.eq(JobStatus::Queued),
        calculation_jobs::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

async fn close(
    conn: &mut AsyncPgConnection,
    job_id: Uuid,
    final_status: JobStatus,
    error: Option<&str>,
) -> Result<(), DbError> {
    let now = Utc::now();
    diesel::update(calculation_jobs::table.find(job_id))
        .set((
            calculation_jobs::status.eq(final_status),
            calculation_jobs::error.eq(error),
            calculation_jobs::finished_at.eq(now),
            calculation_jobs::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks the scenario `failed` if it is still waiting for this revision.
async fn fail_scenario(
    conn: &mut AsyncPgConnection,
    scenario_id: Uuid,
    revision: i64,
) -> Result<(), DbError> {
    diesel::update(
        scenarios::table
            .find(scenario_id)
            .filter(scenarios::revision.eq(revision))
            .filter(scenarios::status.eq(ScenarioStatus::Calculating)),
    )
    .set((
        scenarios::status.eq(ScenarioStatus::Failed),
        scenarios::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// One job, if it belongs to a scenario of this user.
pub async fn find_owned(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    job_id: Uuid,
) -> Result<Option<CalculationJob>, DbError> {
    Ok(calculation_jobs::table
        .inner_join(scenarios::table.inner_join(projects::table))
        .filter(calculation_jobs::id.eq(job_id))
        .filter(projects::user_id.eq(user_id))
        .select(CalculationJob::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    job_id: Uuid,
) -> Result<Option<CalculationJob>, DbError> {
    Ok(calculation_jobs::table
        .find(job_id)
        .select(CalculationJob::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A job that needs another delivery, with that delivery's number (≥ 1; the submitter
/// sends delivery 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct Redelivery {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub job_id: Uuid,
    #[diesel(sql_type = Integer)]
    pub delivery: i32,
}

/// Jobs `queued` with no delivery for `older_than` (the push failed, or the queue lost it):
/// each is claimed for a new delivery in the same statement, so concurrent sweepers never
/// push the same job twice.
pub async fn take_lost(
    conn: &mut AsyncPgConnection,
    older_than: Duration,
    limit: i64,
) -> Result<Vec<Redelivery>, DbError> {
    Ok(diesel::sql_query(
        "UPDATE calculation_jobs j SET pushes = j.pushes + 1, last_pushed_at = now()
          WHERE j.id IN (SELECT id FROM calculation_jobs
                          WHERE status = 'queued'
                            AND coalesce(last_pushed_at, created_at) < now() - $1
                          ORDER BY created_at LIMIT $2
                          FOR UPDATE SKIP LOCKED)
      RETURNING j.id AS job_id, j.pushes - 1 AS delivery",
    )
    .bind::<Interval, _>(interval(older_than))
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

/// Jobs `running` past `deadline` (their worker died or hung): returned to `queued` for a new
/// delivery while attempts remain, otherwise failed. Synchronous jobs are never redelivered
/// (their API request is gone): they fail. Their scenarios are failed afterwards by
/// [`fail_orphaned_scenarios`], in a transaction of its own: doing it here would lock
/// scenarios after jobs, against the crate's lock order.
pub async fn recover_stalled(
    conn: &mut AsyncPgConnection,
    deadline: Duration,
    max_attempts: i32,
    limit: i64,
) -> Result<Vec<Redelivery>, DbError> {
    retry::on_conflict(conn, async |conn| {
        conn.transaction::<_, DbError, _>(async move |conn| {
            diesel::sql_query(
                "UPDATE calculation_jobs j
                SET status = 'failed', finished_at = now(), updated_at = now(),
                    error = CASE WHEN j.synchronous THEN 'the calculation did not finish in time'
                                 ELSE 'gave up after ' || j.attempts || ' attempts' END
              WHERE j.id IN (SELECT id FROM calculation_jobs
                              WHERE status = 'running' AND started_at < now() - $1
                                AND (synchronous OR attempts >= $2)
                              LIMIT $3 FOR UPDATE SKIP LOCKED)
",
            )
            .bind::<Interval, _>(interval(deadline))
            .bind::<Integer, _>(max_attempts)
            .bind::<BigInt, _>(limit)
            .execute(conn)
            .await?;
            diesel::sql_query(
                "UPDATE calculation_jobs j
                SET status = 'queued', pushes = j.pushes + 1, last_pushed_at = now(),
                    updated_at = now()
              WHERE j.id IN (SELECT id FROM calculation_jobs
                              WHERE status = 'running' AND NOT synchronous
                                AND started_at < now() - $1 AND attempts < $2
                              LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING j.id AS job_id, j.pushes - 1 AS delivery",
            )
            .bind::<Interval, _>(interval(deadline))
            .bind::<Integer, _>(max_attempts)
            .bind::<BigInt, _>(limit)
            .load(conn)
            .await
            .map_err(DbError::from)
        })
        .await
    })
    .await
}

/// Scenarios `calculating` with no live job for their current revision would be polled
/// forever by the dashboard: they become `failed`. Returns how many.
pub async fn fail_orphaned_scenarios(conn: &mut AsyncPgConnection) -> Result<usize, DbError> {
    // Many scenarios in one statement, without their projects: the one place that can still
    // meet a cascading project delete in the opposite order.
    retry::on_conflict(conn, async |conn| {
        Ok(diesel::sql_query(
            "UPDATE scenarios s SET status = 'failed', updated_at = now()
          WHERE s.status = 'calculating'
            AND NOT EXISTS (SELECT 1 FROM calculation_jobs j
                             WHERE j.scenario_id = s.id AND j.revision = s.revision
                               AND j.status IN ('queued', 'running'))",
        )
        .execute(conn)
        .await?)
    })
    .await
}

/// Job counts by status, for queue-depth metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Depth {
    pub queued: i64,
    pub running: i64,
    pub failed: i64,
}

pub async fn depth(conn: &mut AsyncPgConnection) -> Result<Depth, DbError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = Text)]
        status: JobStatus,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let counts: Vec<Count> = diesel::sql_query(
        "SELECT status, count(*) AS n FROM calculation_jobs
          WHERE status IN ('queued', 'running', 'failed') GROUP BY status",
    )
    .load(conn)
    .await?;
    let mut depth = Depth::default();
    for c in counts {
        match c.status {
            JobStatus::Queued => depth.queued = c.n,
            JobStatus::Running => depth.running = c.n,
            _ => depth.failed = c.n,
        }
    }
    Ok(depth)
}

fn interval(d: Duration) -> diesel::pg::data_types::PgInterval {
    diesel::pg::data_types::PgInterval::from_microseconds(
        i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
    )
}

/// What the status endpoint shows for one scenario.
#[derive(Debug, Clone, Queryable)]
pub struct CalculationStatus {
    pub status: ScenarioStatus,
    pub revision: i64,
    pub project_id: Uuid,
    /// Results as JSON text, only when `status` is `calculated`.
    pub techno_economics: Option<String>,
    pub financials: Option<String>,
    /// Stored inputs as JSON text, only when `status` is `calculated`.
    pub inputs: Option<String>,
    /// The error of the current revision's latest job, when it failed.
    pub error: Option<String>,
}

/// The calculation status of an owned scenario, read in one statement: results come back as
/// the stored JSON text, sent on without being parsed.
pub async fn calculation_status(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    scenario_id: Uuid,
    parent: Option<Uuid>,
) -> Result<Option<CalculationStatus>, DbError> {
    struct Sql;
    impl Statement for Sql {
        const SQL: &'static str = "SELECT s.status, s.revision, s.project_id,
                CASE WHEN s.status = 'calculated' THEN s.techno_economics END AS techno_economics,
                CASE WHEN s.status = 'calculated' THEN s.financial_analysis END AS financials,
                CASE WHEN s.status = 'calculated' THEN s.user_inputs::text END AS inputs,
                CASE WHEN s.status = 'failed' THEN
                    (SELECT j.error FROM calculation_jobs j
                      WHERE j.scenario_id = s.id AND j.revision = s.revision
                      ORDER BY j.created_at DESC LIMIT 1) END AS error
           FROM scenarios s JOIN projects p ON p.id = s.project_id
          WHERE s.id = $1 AND p.user_id = $2 AND ($3::uuid IS NULL OR s.project_id = $3)";
        type Row = (
            Text,
            BigInt,
            diesel::sql_types::Uuid,
            diesel::sql_types::Nullable<Text>,
            diesel::sql_types::Nullable<Text>,
            diesel::sql_types::Nullable<Text>,
            diesel::sql_types::Nullable<Text>,
        );
    }
    Ok(Prepared::<Sql, _>::new((
        bind::<diesel::sql_types::Uuid, _>(scenario_id),
        bind::<diesel::sql_types::Uuid, _>(user_id),
        bind::<diesel::sql_types::Nullable<diesel::sql_types::Uuid>, _>(parent),
    ))
    .get_result(conn)
    .await
    .optional()?)
}
