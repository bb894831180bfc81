//! The master-data cache, shared by the API and the worker: each process keeps an
//! in-process copy of a master-data document, backed by Redis through `cached` (shared by
//! every replica, 1 h TTL), backed by Postgres.
//!
//! Redis is an accelerator, never a dependency: while it is down, reads are served from
//! memory or Postgres. Replicas agree through a version number in Redis: invalidating or
//! refreshing bumps it and announces it on a pub/sub channel; every process drops a copy whose
//! version differs, on the message or, if the message was missed, on its once-a-second look at
//! the version key. Every document of every process (the API's dashboard document, the
//! engine's reference data in the API and in each worker) shares that one version, so one
//! invalidation reaches them all.

mod document;
mod engine;
mod watch;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::ConnectionManager;

pub use document::{DocumentCache, Entry, Loader, Status};
pub use engine::engine_master_data;

/// Where the shared copies live and how long they last.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheSettings {
    pub redis_url: String,
    /// First segment of every key (`{prefix}:master_data:…`, `{prefix}:master_data_version`).
    pub prefix: String,
    /// Lifetime of an in-process copy and of the Redis entry.
    pub ttl: Duration,
    /// Longest wait on one Redis call before the cache decides without Redis.
    pub redis_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Db(#[from] safapac_db::DbError),
    #[error("master-data document is not valid JSON of its type")]
    Json(#[from] serde_json::Error),
}

/// Event counts, shared by the documents of one process and exported as metrics.
#[derive(Debug, Default)]
pub struct CacheCounters {
    /// Reads answered from the in-process copy.
    pub hits: AtomicU64,
    /// Reads that had to go to Redis or Postgres.
    pub misses: AtomicU64,
    /// In-process copies dropped because of an invalidation (local, pub/sub or version key).
    pub invalidations: AtomicU64,
}

impl CacheCounters {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A lazily connected, auto-reconnecting Redis connection whose every command gives up after
/// `timeout`: callers must be able to start, and keep answering, while Redis is down.
pub fn connect(redis_url: &str, timeout: Duration) -> Result<ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(redis_url)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(timeout))
        .set_connection_timeout(Some(timeout))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_secs(1));
    ConnectionManager::new_lazy_with_config(client, config)
}
