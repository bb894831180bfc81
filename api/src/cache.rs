//! The master-data cache (DESIGN D5): this replica's in-process copy, backed by Redis through
//! `cached` (shared by every replica, 1 h TTL), backed by Postgres.
//!
//! Redis is an accelerator, never a dependency: while it is down, reads are served from
//! memory or Postgres. Replicas agree through a version number in Redis: invalidating or
//! refreshing bumps it and announces it on a pub/sub channel; every replica drops a copy whose
//! version differs, on the message or, if the message was missed, on its once-a-second look at
//! the version key.

use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use cached::{AsyncRedisCache, ConcurrentCachedAsync as _};
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use redis::AsyncCommands as _;
use redis::aio::ConnectionManager;
use safapac_db::DbPool;
use tokio::sync::OnceCell;

use crate::counters::Counters;
use crate::error::ApiError;
use crate::routes::master_data;

/// How often each replica compares its copy with the version key (the bound on staleness
/// when a pub/sub message is lost).
const VERSION_POLL: Duration = Duration::from_secs(1);
/// How long after a failed attempt to build the Redis store the next one is made.
const STORE_RETRY: Duration = Duration::from_secs(5);
/// The one key of the `cached` store.
const DOCUMENT: &str = "all";

/// One filled copy of the master-data document.
#[derive(Debug)]
pub struct CachedMasterData {
    /// The `MasterData` JSON, exactly as served.
    pub json: Bytes,
    /// The version key's value when the copy was made; `None` if Redis was unreachable.
    pub version: Option<u64>,
    pub cached_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl CachedMasterData {
    fn is_valid(&self) -> bool {
        Utc::now() < self.expires_at
    }
}

/// What `GET /cache/status` reports about this replica.
#[derive(Debug)]
pub struct CacheStatus {
    pub entry: Option<Arc<CachedMasterData>>,
    /// The shared version in Redis, `None` when Redis cannot be reached.
    pub version: Option<u64>,
    pub hits: u64,
    pub misses: u64,
    pub invalidations: u64,
    /// When this replica last read the document from Postgres.
    pub last_refresh: Option<DateTime<Utc>>,
}

type Store = AsyncRedisCache<&'static str, String>;

pub struct MasterCache {
    pool: DbPool,
    ttl: Duration,
    redis_timeout: Duration,
    redis_url: String,
    namespace: String,
    version_key: String,
    channel: String,
    conn: ConnectionManager,
    /// Built on first use and retried after failures: building connects at once, and the API
    /// must start while Redis is down.
    store: OnceCell<Store>,
    store_failed_at: Mutex<Option<Instant>>,
    local: RwLock<Option<Arc<CachedMasterData>>>,
    /// One fill at a time, so a burst of misses costs one Postgres read.
    filling: tokio::sync::Mutex<()>,
    last_refresh: Mutex<Option<DateTime<Utc>>>,
    watching: std::sync::Once,
    counters: Arc<Counters>,
}

impl MasterCache {
    pub fn new(
        pool: DbPool,
        conn: ConnectionManager,
        redis_url: &str,
        prefix: &str,
        ttl: Duration,
        redis_timeout: Duration,
        counters: Arc<Counters>,
    ) -> MasterCache {
        MasterCache {
            pool,
            ttl,
            redis_timeout,
            redis_url: redis_url.to_owned(),
            namespace: prefix.to_owned(),
            version_key: format!("{prefix}:master_data_version"),
            channel: format!("{prefix}:master_data_invalidated"),
            conn,
            store: OnceCell::new(),
            store_failed_at: Mutex::new(None),
            local: RwLock::new(None),
            filling: tokio::sync::Mutex::new(()),
            last_refresh: Mutex::new(None),
            watching: std::sync::Once::new(),
            counters,
        }
    }

    /// The document: this replica's copy while valid, else Redis's, else Postgres's.
    pub async fn get(self: &Arc<Self>) -> Result<Arc<CachedMasterData>, ApiError> {
        self.watch();
        if let Some(entry) = self.valid_local() {
            Counters::bump(&self.counters.cache_hits);
            return Ok(entry);
        }
        let _filling = self.filling.lock().await;
        if let Some(entry) = self.valid_local() {
            Counters::bump(&self.counters.cache_hits);
            return Ok(entry);
        }
        Counters::bump(&self.counters.cache_misses);
        // The version is read before the document, so a concurrent invalidation can only
        // make this copy look older than it is (and be dropped), never newer.
        let version = self.shared_version().await;
        if let Some(json) = self.shared_document().await {
            return Ok(self.install(json, version));
        }
        let json = self.load().await?;
        self.store_document(json.clone()).await;
        Ok(self.install(json, version))
    }

    /// Reads Postgres now and makes the result every replica's copy.
    pub async fn refresh(self: &Arc<Self>) -> Result<Arc<CachedMasterData>, ApiError> {
        self.watch();
        let _filling = self.filling.lock().await;
        let json = self.load().await?;
        self.store_document(json.clone()).await;
        let version = self.bump_version().await;
        let entry = self.install(json, version);
        if let Some(version) = version {
            self.announce(version).await;
        }
        Ok(entry)
    }

    /// Drops the copy here and in Redis and tells the other replicas to drop theirs. Returns
    /// whether Redis took part (if not, other replicas keep their copies until it returns).
    pub async fn invalidate(self: &Arc<Self>) -> bool {
        self.watch();
        let _filling = self.filling.lock().await;
        self.drop_local();
        let deleted = match self.store().await {
            Some(store) => self
                .bounded(store.async_cache_delete(&DOCUMENT))
                .await
                .is_some(),
            None => false,
        };
        match self.bump_version().await {
            Some(version) => {
                self.announce(version).await;
                deleted
            }
            None => false,
        }
    }

    pub async fn status(&self) -> CacheStatus {
        CacheStatus {
            entry: self.local_entry(),
            version: self.shared_version().await,
            hits: Counters::get(&self.counters.cache_hits),
            misses: Counters::get(&self.counters.cache_misses),
            invalidations: Counters::get(&self.counters.cache_invalidations),
            last_refresh: *self
                .last_refresh
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        }
    }

    fn local_entry(&self) -> Option<Arc<CachedMasterData>> {
        self.local
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn valid_local(&self) -> Option<Arc<CachedMasterData>> {
        self.local_entry().filter(|entry| entry.is_valid())
    }

    fn install(&self, json: String, version: Option<u64>) -> Arc<CachedMasterData> {
        let cached_at = Utc::now();
        let entry = Arc::new(CachedMasterData {
            json: Bytes::from(json),
            version,
            cached_at,
            expires_at: cached_at + self.ttl,
        });
        *self.local.write().unwrap_or_else(PoisonError::into_inner) = Some(entry.clone());
        entry
    }

    fn drop_local(&self) {
        if self
            .local
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .is_some()
        {
            Counters::bump(&self.counters.cache_invalidations);
        }
    }

    /// Drops this replica's copy if it was made under another version.
    fn observe_version(&self, version: u64) {
        let stale = self
            .local_entry()
            .is_some_and(|entry| entry.version != Some(version));
        if stale {
            tracing::debug!(
                version,
                "master data changed elsewhere: dropping the local copy"
            );
            self.drop_local();
        }
    }

    async fn load(&self) -> Result<String, ApiError> {
        let document = master_data::load(&self.pool).await?;
        let json = serde_json::to_string(&document)
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("master data JSON")))?;
        *self
            .last_refresh
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Utc::now());
        Ok(json)
    }

    /// Runs a Redis call for at most the configured timeout; failures are logged and become
    /// `None` (the cache then works without Redis).
    async fn bounded<T, E: std::fmt::Display>(
        &self,
        call: impl Future<Output = Result<T, E>>,
    ) -> Option<T> {
        match tokio::time::timeout(self.redis_timeout, call).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "master-data cache: Redis call failed");
                None
            }
            Err(_) => {
                tracing::debug!("master-data cache: Redis did not answer in time");
                None
            }
        }
    }

    async fn store(&self) -> Option<&Store> {
        if let Some(store) = self.store.get() {
            return Some(store);
        }
        {
            let failed_at = self
                .store_failed_at
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if failed_at.is_some_and(|at| at.elapsed() < STORE_RETRY) {
                return None;
            }
        }
        let built = self
            .store
            .get_or_try_init(|| async {
                let build = Store::builder("master_data")
                    .namespace(&self.namespace)
                    .connection_string(&self.redis_url)
                    .ttl(self.ttl)
                    .connection_manager(true)
                    .build();
                self.bounded(build).await.ok_or(())
            })
            .await;
        if built.is_err() {
            *self
                .store_failed_at
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        }
        built.ok()
    }

    async fn shared_document(&self) -> Option<String> {
        let store = self.store().await?;
        self.bounded(store.async_cache_get(&DOCUMENT))
            .await
            .flatten()
    }

    async fn store_document(&self, json: String) {
        if let Some(store) = self.store().await {
            self.bounded(store.async_cache_set(DOCUMENT, json)).await;
        }
    }

    async fn shared_version(&self) -> Option<u64> {
        let mut conn = self.conn.clone();
        let version: Option<u64> = self.bounded(conn.get(&self.version_key)).await?;
        Some(version.unwrap_or(0))
    }

    async fn bump_version(&self) -> Option<u64> {
        let mut conn = self.conn.clone();
        self.bounded(conn.incr(&self.version_key, 1u64)).await
    }

    async fn announce(&self, version: u64) {
        let mut conn = self.conn.clone();
        self.bounded(conn.publish::<_, _, ()>(&self.channel, version))
            .await;
    }

    /// Starts the watcher on first use (it needs the runtime, which the constructor may not
    /// have). It ends when the cache is dropped.
    fn watch(self: &Arc<Self>) {
        self.watching.call_once(|| {
            tokio::spawn(watch(
                Arc::downgrade(self),
                self.redis_url.clone(),
                self.channel.clone(),
                self.redis_timeout,
            ));
        });
    }
}

enum Event {
    Announced(Option<u64>),
    Lost,
    Tick,
}

/// Listens for announced versions and polls the version key once a second, resubscribing
/// after Redis comes back.
async fn watch(cache: Weak<MasterCache>, redis_url: String, channel: String, timeout: Duration) {
    let client = match redis::Client::open(redis_url) {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!(error = %e, "master-data cache: no invalidation listener");
            return;
        }
    };
    let mut tick = tokio::time::interval(VERSION_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut messages: Option<redis::aio::PubSubStream> = None;
    loop {
        let event = match messages.as_mut() {
            Some(stream) => tokio::select! {
                message = stream.next() => match message {
                    Some(message) => Event::Announced(redis::Msg::get_payload(&message).ok()),
                    None => Event::Lost,
                },
                _ = tick.tick() => Event::Tick,
            },
            None => {
                tick.tick().await;
                Event::Tick
            }
        };
        let Some(cache) = cache.upgrade() else {
            return;
        };
        match event {
            Event::Announced(Some(version)) => cache.observe_version(version),
            Event::Announced(None) | Event::Lost => messages = None,
            Event::Tick => {
                if messages.is_none() {
                    messages = subscribe(&client, &channel, timeout).await;
                }
                if let Some(version) = cache.shared_version().await {
                    cache.observe_version(version);
                }
            }
        }
    }
}

async fn subscribe(
    client: &redis::Client,
    channel: &str,
    timeout: Duration,
) -> Option<redis::aio::PubSubStream> {
    let subscribed = tokio::time::timeout(timeout, async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok::<_, redis::RedisError>(pubsub.into_on_message())
    })
    .await;
    match subscribed {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "master-data cache: cannot subscribe yet");
            None
        }
        Err(_) => None,
    }
}
