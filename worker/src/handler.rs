//! Running one calculation job: claim it in Postgres, compute off the async executor, record
//! the outcome. Every step is guarded in the database, so a duplicate, late or redelivered
//! message is harmless.

use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::{BoxDynError, Data};
use safapac_cache::{CacheError, DocumentCache};
use safapac_core::master::MasterData;
use safapac_db::jobs::{self, Claim, Finish};
use safapac_db::{DbError, DbPool};
use safapac_queue::CalculateScenario;
use serde_json::Value;
use uuid::Uuid;

/// What a worker needs to run jobs.
pub struct JobContext {
    pub pool: DbPool,
    pub max_attempts: i32,
    /// A `running` job older than this may be claimed again (its worker is presumed dead).
    pub job_timeout: Duration,
    pub metrics: Arc<safapac_ops::Metrics>,
    /// The reference data calculations look up, from Postgres through the shared cache, so
    /// an operator's change reaches the workers with the next invalidation.
    pub master: Arc<DocumentCache<MasterData>>,
}

/// The two result documents of a calculation, as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub techno_economics: String,
    pub financials: String,
}

/// Validates stored inputs against `master` and computes them. The error is the
/// client-facing list of problems, one per line.
pub fn compute(inputs: &Value, master: &MasterData) -> Result<Results, String> {
    let calc = safapac_core::calculate(inputs, master).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok(Results {
        techno_economics: calc.techno_economics_json(),
        financials: calc.financials_json(),
    })
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// The inputs were rejected by the engine; recorded, not retried.
    Failed,
    /// Newer inputs arrived meanwhile; nothing written.
    Superseded,
    /// Already finished or being run elsewhere.
    Skipped,
    /// Out of attempts; recorded as failed.
    Exhausted,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Superseded => "superseded",
            Outcome::Skipped => "skipped",
            Outcome::Exhausted => "exhausted",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("database error")]
    Db(#[from] DbError),
    #[error("master data unavailable")]
    MasterData(#[from] CacheError),
    #[error("calculation task panicked")]
    Panicked(#[from] tokio::task::JoinError),
}

/// The apalis entry point. A returned error makes apalis deliver the job again; that only
/// happens for transient (database) failures, after the claim was released.
pub async fn handle(task: CalculateScenario, cx: Data<Arc<JobContext>>) -> Result<(), BoxDynError> {
    let started = Instant::now();
    match run(&cx, task.job_id).await {
        Ok(outcome) => {
            cx.metrics.job_finished(outcome.label(), started.elapsed());
            tracing::info!(job_id = %task.job_id, outcome = outcome.label(), elapsed_ms = started.elapsed().as_millis() as u64, "job done");
            Ok(())
        }
        Err(e) => {
            cx.metrics.job_finished("retried", started.elapsed());
            tracing::warn!(job_id = %task.job_id, error = %e, cause = ?std::error::Error::source(&e), "job will be retried");
            Err(Box::new(e))
        }
    }
}

pub async fn run(cx: &JobContext, job_id: Uuid) -> Result<Outcome, JobError> {
    // Before the claim: if it cannot be had, the job stays free for the next delivery.
    let master = cx.master.get().await?;
    let claim = {
        let mut conn = cx.pool.get().await.map_err(DbError::from)?;
        jobs::claim(&mut conn, job_id, cx.max_attempts, cx.job_timeout).await?
    };
    let claimed = match claim {
        Claim::Run(claimed) => {
            if claimed.attempts == 1 {
                cx.metrics.job_picked_up(since_submission(job_id));
            }
            claimed
        }
        Claim::Skip => return Ok(Outcome::Skipped),
        Claim::Superseded => return Ok(Outcome::Superseded),
        Claim::AttemptsExhausted => return Ok(Outcome::Exhausted),
    };
    // The connection went back to the pool above: computing must not hold one.
    let inputs = claimed.inputs;
    let computed = tokio::task::spawn_blocking(move || compute(&inputs, &master.value)).await;
    let result = match computed {
        Ok(result) => record(cx, job_id, result).await,
        Err(panic) => Err(JobError::Panicked(panic)),
    };
    if result.is_err() {
        // Let the next delivery claim it at once instead of after the job timeout.
        if let Ok(mut conn) = cx.pool.get().await {
            let _ = jobs::release(&mut conn, job_id).await;
        }
    }
    result
}

/// Job ids are UUIDv7, stamped with their submission time.
fn since_submission(job_id: Uuid) -> Duration {
    let submitted = job_id.get_timestamp().map_or(std::time::UNIX_EPOCH, |t| {
        let (secs, nanos) = t.to_unix();
        std::time::UNIX_EPOCH + Duration::new(secs, nanos)
    });
    std::time::SystemTime::now()
        .duration_since(submitted)
        .unwrap_or_default()
}

async fn record(
    cx: &JobContext,
    job_id: Uuid,
    result: Result<Results, String>,
) -> Result<Outcome, JobError> {
    let mut conn = cx.pool.get().await.map_err(DbError::from)?;
    let (finish, outcome) = match result {
        Ok(results) => (
            jobs::succeed(
                &mut conn,
                job_id,
                &results.techno_economics,
                &results.financials,
            )
            .await?,
            Outcome::Succeeded,
        ),
        Err(message) => (
            jobs::fail(&mut conn, job_id, &message).await?,
            Outcome::Failed,
        ),
    };
    Ok(match finish {
        Finish::Recorded => outcome,
        Finish::Superseded => Outcome::Superseded,
        Finish::AlreadyFinished => Outcome::Skipped,
    })
}
