//! The sweeper: makes every job end, whatever happened to its messages (PostgreSQL holds
//! every job; the queue only carries ids).
//!
//! Each pass re-pushes jobs left `queued` (their push failed, or Redis lost the queue),
//! hands jobs `running` past their deadline to a new delivery or fails them once out of
//! attempts, fails scenarios left `calculating` with no live job, and trims the queue's Redis
//! keys. Every database step claims its rows with `FOR UPDATE SKIP LOCKED`, so any number of
//! replicas can sweep at once without pushing a job twice.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use apalis_core::backend::Vacuum;
use safapac_db::jobs::{self, Depth, Redelivery};
use safapac_db::{DbError, DbPool};

use safapac_queue::JobQueue;

use crate::settings::WorkerSettings;

/// Rows one pass handles per step; the rest wait for the next pass.
const BATCH: i64 = 1000;
/// Finished tasks' payloads are kept this long in Redis (Postgres keeps the job for good).
const VACUUM_AGE: Duration = Duration::from_secs(600);
const VACUUM_EVERY: Duration = Duration::from_secs(60);
/// Ids kept in the queue's done and dead sets, which apalis never trims.
const FINISHED_IDS_KEPT: usize = 10_000;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub repushed: usize,
    pub recovered: usize,
    pub push_failures: usize,
    pub scenarios_failed: usize,
    pub depth: Depth,
}

pub struct Sweeper {
    pool: DbPool,
    queue: JobQueue,
    settings: WorkerSettings,
    last_vacuum: Mutex<Option<Instant>>,
    latest: Mutex<SweepReport>,
}

impl Sweeper {
    pub fn new(pool: DbPool, queue: JobQueue, settings: WorkerSettings) -> Self {
        Sweeper {
            pool,
            queue,
            settings,
            last_vacuum: Mutex::new(None),
            latest: Mutex::new(SweepReport::default()),
        }
    }

    /// The report of the latest pass (queue depth for metrics).
    pub fn latest(&self) -> SweepReport {
        self.latest.lock().map(|r| *r).unwrap_or_default()
    }

    pub async fn sweep_once(&self) -> Result<SweepReport, DbError> {
        let s = &self.settings;
        let (lost, stalled, scenarios_failed, depth) = {
            let mut conn = self.pool.get().await?;
            let lost = jobs::take_lost(&mut conn, s.requeue_after, BATCH).await?;
            let stalled =
                jobs::recover_stalled(&mut conn, s.job_timeout, s.max_attempts, BATCH).await?;
            let failed = jobs::fail_orphaned_scenarios(&mut conn).await?;
            let depth = jobs::depth(&mut conn).await?;
            (lost, stalled, failed, depth)
        };
        let push_failures = self.push_all(lost.iter().chain(&stalled)).await;
        if push_failures > 0 {
            tracing::warn!(
                push_failures,
                "sweeper could not push; the jobs stay queued and are retried next pass"
            );
        }
        self.maintain_redis().await;
        let report = SweepReport {
            repushed: lost.len(),
            recovered: stalled.len(),
            push_failures,
            scenarios_failed,
            depth,
        };
        if report.repushed + report.recovered + report.scenarios_failed > 0 {
            tracing::info!(?report, "sweeper pass");
        }
        if let Ok(mut latest) = self.latest.lock() {
            *latest = report;
        }
        Ok(report)
    }

    async fn push_all(&self, deliveries: impl Iterator<Item = &Redelivery>) -> usize {
        let mut failures = 0;
        for d in deliveries {
            if let Err(e) = self.queue.push(d.job_id, d.delivery).await {
                tracing::debug!(job_id = %d.job_id, error = %e, "re-push failed");
                failures += 1;
            }
        }
        failures
    }

    /// Drops payloads of long-finished tasks and caps the done/dead id sets. Best effort:
    /// Redis trouble here only delays the cleanup.
    async fn maintain_redis(&self) {
        let due = self
            .last_vacuum
            .lock()
            .map(|mut last| {
                let due = last.is_none_or(|t| t.elapsed() >= VACUUM_EVERY);
                if due {
                    *last = Some(Instant::now());
                }
                due
            })
            .unwrap_or(false);
        if !due {
            return;
        }
        let mut storage = self.queue.storage().clone();
        if let Err(e) = storage.vacuum_before(VACUUM_AGE).await {
            tracing::debug!(error = %e, "queue vacuum failed");
        }
        let config = storage.get_config().clone();
        let conn = storage.get_connection();
        for set in [config.done_jobs_set(), config.dead_jobs_set()] {
            let size: redis::RedisResult<usize> =
                redis::cmd("SCARD").arg(&set).query_async(conn).await;
            if let Ok(size) = size
                && size > FINISHED_IDS_KEPT
            {
                let _: redis::RedisResult<()> = redis::cmd("SPOP")
                    .arg(&set)
                    .arg(size - FINISHED_IDS_KEPT)
                    .query_async(conn)
                    .await;
            }
        }
    }

    /// Sweeps every `sweep_interval` until `stop` resolves.
    pub async fn run(&self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut ticker = tokio::time::interval(self.settings.sweep_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = ticker.tick() => {
                    if let Err(e) = self.sweep_once().await {
                        tracing::warn!(error = %e, cause = ?std::error::Error::source(&e), "sweeper pass failed");
                    }
                }
            }
        }
    }
}
