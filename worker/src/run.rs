//! The consumer and the sweeper of one worker process (or of the API's embedded worker).
//!
//! The apalis monitor runs one worker with the configured concurrency. If it dies on its own
//! (Redis went away or lost the queue's keys), it is rebuilt under a fresh name with a backoff;
//! after repeated failures without a healthy minute between them, `run` returns an error so
//! the process exits non-zero and its supervisor restarts it. On shutdown it stops fetching,
//! lets in-flight jobs finish (within a grace period), and returns `Ok`.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::{BackendExt, Monitor, WorkerBuilder, WorkerBuilderExt};
use safapac_cache::DocumentCache;
use safapac_core::master::MasterData;
use safapac_db::DbPool;
use safapac_queue::{JobQueue, QueueError};
use ulid::Ulid;

use crate::handler::{self, JobContext};
use crate::poll::Tick;
use crate::settings::WorkerSettings;
use crate::sweeper::Sweeper;

/// In-flight jobs get this long to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// Consecutive consumer failures (none followed by a healthy minute) before giving up.
const MAX_CONSECUTIVE_FAILURES: u32 = 8;
const HEALTHY_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("the queue consumer failed {0} times in a row; giving up")]
    ConsumerDied(u32),
}

/// A process-unique worker name: apalis refuses a name seen within the orphan window, and a
/// restarted process must not inherit its predecessor's in-flight set.
fn worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".to_owned());
    format!("safapac-{host}-{}", Ulid::new())
}

/// What a worker shares with the process around it: the API's embedded worker records into
/// the API's registry (its jobs appear on the API's `/metrics`) and reads the API's copy of
/// the reference data, so one process holds one copy and validates against it.
#[derive(Clone)]
pub struct Shared {
    pub metrics: Arc<safapac_ops::Metrics>,
    pub master: Arc<DocumentCache<MasterData>>,
}

impl Shared {
    /// A registry and a reference-data cache of the worker's own.
    pub fn own(pool: &DbPool, settings: &WorkerSettings) -> Result<Shared, QueueError> {
        let redis = safapac_cache::connect(&settings.queue.redis_url, settings.queue.redis_timeout)
            .map_err(QueueError::Url)?;
        Ok(Shared {
            metrics: Arc::default(),
            master: Arc::new(safapac_cache::engine_master_data(
                settings.cache(),
                redis,
                pool.clone(),
                Arc::default(),
            )),
        })
    }
}

/// Runs the consumer and the sweeper until `shutdown` resolves, with a registry and a cache
/// of its own.
pub async fn run(
    pool: DbPool,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<(), RunError> {
    let shared = Shared::own(&pool, &settings)?;
    run_sharing(pool, settings, shared, shutdown).await
}

/// [`run`], recording job outcomes, durations and pickup latency in `shared.metrics` and
/// computing with `shared.master`.
pub async fn run_sharing(
    pool: DbPool,
    settings: WorkerSettings,
    shared: Shared,
    shutdown: impl Future<Output = ()>,
) -> Result<(), RunError> {
    let conn = safapac_queue::connect(&settings.queue, false).await?;
    let storage = safapac_queue::storage(conn, &settings.queue, settings.tuning());
    let sweeper = Sweeper::new(
        pool.clone(),
        JobQueue::new(storage.clone()),
        settings.clone(),
    );
    let Shared { metrics, master } = shared;
    let cx = Arc::new(JobContext {
        pool,
        master,
        max_attempts: settings.max_attempts,
        job_timeout: settings.job_timeout,
        metrics,
    });

    tokio::pin!(shutdown);
    let (stop_sweeper, sweeper_stopped) = tokio::sync::oneshot::channel::<()>();
    let sweeping = sweeper.run(async {
        let _ = sweeper_stopped.await;
    });
    tokio::pin!(sweeping);

    let mut failures = 0;
    let result = loop {
        let name = worker_name();
        let monitor = {
            let (name, storage, cx, s) =
                (name.clone(), storage.clone(), cx.clone(), settings.clone());
            Monitor::new().register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(
                        storage
                            .clone()
                            .poll_with_strategy(Tick::new(s.poll_interval)),
                    )
                    // Concurrency outermost: a job's timeout starts when it runs, not while
                    // it waits for a free slot.
                    .concurrency(s.concurrency)
                    .timeout(s.job_timeout)
                    .enable_tracing()
                    .catch_panic()
                    .data(cx.clone())
                    .build(handler::handle)
            })
        };
        let context = monitor.context();
        let started = Instant::now();
        tracing::info!(worker = %name, queue = %settings.queue.queue, concurrency = settings.concurrency, "consuming");
        let consuming = monitor.run();
        tokio::pin!(consuming);
        tokio::select! {
            () = &mut shutdown => {
                tracing::info!("shutting down: no new jobs; finishing in-flight ones");
                let _ = context.shutdown();
                if tokio::time::timeout(SHUTDOWN_GRACE, &mut consuming).await.is_err() {
                    tracing::warn!("in-flight jobs did not finish in time; the sweeper will redeliver them");
                }
                break Ok(());
            }
            () = &mut sweeping => unreachable!("the sweeper only stops when told to"),
            outcome = &mut consuming => {
                failures = if started.elapsed() >= HEALTHY_AFTER { 1 } else { failures + 1 };
                match outcome {
                    Ok(()) => tracing::warn!(worker = %name, "queue consumer stopped"),
                    Err(e) => tracing::warn!(worker = %name, error = %e, "queue consumer died"),
                }
                if failures >= MAX_CONSECUTIVE_FAILURES {
                    break Err(RunError::ConsumerDied(failures));
                }
                let backoff = Duration::from_millis(250 * 2u64.pow(failures.min(6)));
                tokio::select! {
                    () = &mut shutdown => break Ok(()),
                    () = tokio::time::sleep(backoff) => {}
                }
            }
        }
    };
    let _ = stop_sweeper.send(());
    sweeping.await;
    result
}
