//! The apalis-redis storage of calculation jobs: its connection, its configuration, and
//! pushing. A job's n-th delivery has a deterministic task id (the job id, then
//! `<job id>-<n>`), so pushing the same delivery twice is dropped by the queue while a
//! deliberate re-push after a loss goes through.

use std::time::Duration;

use apalis::prelude::{TaskBuilder, TaskId, TaskSink};
use apalis_redis::{Config, ConnectionManager, RedisStorage};
use redis::aio::ConnectionManagerConfig;
use uuid::Uuid;

use crate::message::CalculateScenario;
use crate::settings::QueueSettings;

/// Heartbeats a consumer may miss before its in-flight jobs go to other consumers.
const MISSED_HEARTBEATS: usize = 6;
/// How long a delivery's idempotency key blocks a second push of it. A delivery is pushed
/// once by whoever claimed it in PostgreSQL; the key only catches a push sent again after a
/// timeout that had in fact arrived, which happens within seconds, and a duplicate that gets
/// through is still refused by the job's claim. Ten minutes, like the job metadata's vacuum,
/// bounds Redis by the recent push rate (a day of keys was 86 million at 1,000 jobs/s).
/// apalis expires a key without a TTL at once, so there must be one.
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(10 * 60);

pub type Storage = RedisStorage<CalculateScenario>;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("invalid Redis URL")]
    Url(#[source] redis::RedisError),
    #[error("Redis is unreachable")]
    Redis(#[from] redis::RedisError),
    #[error("pushing to the queue failed: {0}")]
    Push(String),
}

/// A connection that reconnects by itself and never waits on Redis longer than the
/// configured timeout (redis-rs' default of 500 ms kills apalis consumers on a short stall).
/// `lazy`: connect on first use, so a process can start while Redis is down.
pub async fn connect(
    settings: &QueueSettings,
    lazy: bool,
) -> Result<ConnectionManager, QueueError> {
    let client = redis::Client::open(settings.redis_url.as_str()).map_err(QueueError::Url)?;
    let config = ConnectionManagerConfig::new()
        .set_response_timeout(Some(settings.redis_timeout))
        .set_connection_timeout(Some(settings.redis_timeout))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(2));
    if lazy {
        Ok(ConnectionManager::new_lazy_with_config(client, config)?)
    } else {
        Ok(client.get_connection_manager_with_config(config).await?)
    }
}

/// How a consumer fetches: jobs per fetch and its heartbeat. A producer uses the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumerTuning {
    pub batch_size: usize,
    pub heartbeat: Duration,
}

impl Default for ConsumerTuning {
    fn default() -> Self {
        ConsumerTuning {
            batch_size: 10,
            heartbeat: Duration::from_secs(5),
        }
    }
}

pub fn storage(
    conn: ConnectionManager,
    settings: &QueueSettings,
    tuning: ConsumerTuning,
) -> Storage {
    let config = Config::default()
        .queue(&settings.queue)
        .batch_size(tuning.batch_size.clamp(1, 100))
        .heartbeat_interval(tuning.heartbeat)
        .missed_heartbeats(MISSED_HEARTBEATS)
        .idempotency_ttl(Some(IDEMPOTENCY_TTL));
    RedisStorage::new(conn).with_config(config)
}

/// The task id of a job's `delivery`-th push (0 for the first).
pub fn task_id(job_id: Uuid, delivery: i32) -> String {
    if delivery <= 0 {
        job_id.to_string()
    } else {
        format!("{job_id}-{delivery}")
    }
}

/// Pushes job deliveries; cheap to clone (one multiplexed connection).
#[derive(Clone)]
pub struct JobQueue {
    storage: Storage,
}

impl JobQueue {
    pub fn new(storage: Storage) -> Self {
        JobQueue { storage }
    }

    /// A producer on a lazily made connection: the process starts, and serves everything
    /// but fresh deliveries, while Redis is down.
    pub async fn producer(settings: &QueueSettings) -> Result<Self, QueueError> {
        let conn = connect(settings, true).await?;
        Ok(JobQueue::new(storage(
            conn,
            settings,
            ConsumerTuning::default(),
        )))
    }

    pub async fn push(&self, job_id: Uuid, delivery: i32) -> Result<(), QueueError> {
        let id = task_id(job_id, delivery);
        let task = TaskBuilder::new(CalculateScenario { job_id })
            .task_id(TaskId::from_string(id.clone()))
            .idempotency_key(&id)
            .build();
        let mut storage = self.storage.clone();
        storage
            .push_task(task)
            .await
            .map_err(|e| QueueError::Push(e.to_string()))
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }
}
