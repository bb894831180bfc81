//! One cached document: this process's copy, Redis's, or Postgres's, in that order.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cached::{AsyncRedisCache, ConcurrentCachedAsync as _};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use redis::AsyncCommands as _;
use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

use crate::watch::{Observer, watch};
use crate::{CacheCounters, CacheError, CacheSettings};

/// How long after a failed attempt to build the Redis store the next one is made.
const STORE_RETRY: Duration = Duration::from_secs(5);
/// The `cached` store's prefix: keys are `{prefix}:master_data:{document}`.
const STORE: &str = "master_data";

/// Reads the document from Postgres and serialises it.
pub type Loader = Box<dyn Fn() -> BoxFuture<'static, Result<String, CacheError>> + Send + Sync>;

/// One filled copy: the JSON exactly as stored and served, and its decoded form.
#[derive(Debug)]
pub struct Entry<T> {
    pub json: Bytes,
    pub value: T,
    /// The version key's value when the copy was made; `None` if Redis was unreachable.
    pub version: Option<u64>,
    pub cached_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl<T> Entry<T> {
    pub fn is_valid(&self) -> bool {
        Utc::now() < self.expires_at
    }
}

/// What `GET /cache/status` reports about one document in this process.
#[derive(Debug)]
pub struct Status<T> {
    pub entry: Option<Arc<Entry<T>>>,
    /// The shared version in Redis, `None` when Redis cannot be reached.
    pub version: Option<u64>,
    pub hits: u64,
    pub misses: u64,
    pub invalidations: u64,
    /// When this process last read the document from Postgres.
    pub last_refresh: Option<DateTime<Utc>>,
}

type Store = AsyncRedisCache<&'static str, String>;

pub struct DocumentCache<T> {
    settings: CacheSettings,
    /// The key of this document in the `cached` store.
    document: &'static str,
    version_key: String,
    channel: String,
    conn: ConnectionManager,
    load: Loader,
    decode: fn(&[u8]) -> Result<T, serde_json::Error>,
    /// Built on first use and retried after failures: building connects at once, and the
    /// process must start while Redis is down.
    store: OnceCell<Store>,
    store_failed_at: Mutex<Option<Instant>>,
    local: RwLock<Option<Arc<Entry<T>>>>,
    /// One fill at a time, so a burst of misses costs one Postgres read.
    filling: tokio::sync::Mutex<()>,
    last_refresh: Mutex<Option<DateTime<Utc>>>,
    watching: std::sync::Once,
    counters: Arc<CacheCounters>,
}

impl<T: Send + Sync + 'static> DocumentCache<T> {
    /// `document` names the Redis entry; `load` reads Postgres; `decode` turns the JSON (from
    /// either) into the value callers use. A Redis entry that no longer decodes (written by
    /// another release) counts as a miss.
    pub fn new(
        settings: CacheSettings,
        conn: ConnectionManager,
        document: &'static str,
        load: Loader,
        decode: fn(&[u8]) -> Result<T, serde_json::Error>,
        counters: Arc<CacheCounters>,
    ) -> DocumentCache<T> {
        DocumentCache {
            version_key: format!("{}:master_data_version", settings.prefix),
            channel: format!("{}:master_data_invalidated", settings.prefix),
            settings,
            document,
            conn,
            load,
            decode,
            store: OnceCell::new(),
            store_failed_at: Mutex::new(None),
            local: RwLock::new(None),
            filling: tokio::sync::Mutex::new(()),
            last_refresh: Mutex::new(None),
            watching: std::sync::Once::new(),
            counters,
        }
    }

    /// The document: this process's copy while valid, else Redis's, else Postgres's.
    pub async fn get(self: &Arc<Self>) -> Result<Arc<Entry<T>>, CacheError> {
        self.watch();
        if let Some(entry) = self.valid_local() {
            CacheCounters::bump(&self.counters.hits);
            return Ok(entry);
        }
        let _filling = self.filling.lock().await;
        if let Some(entry) = self.valid_local() {
            CacheCounters::bump(&self.counters.hits);
            return Ok(entry);
        }
        CacheCounters::bump(&self.counters.misses);
        // The version is read before the document, so a concurrent invalidation can only
        // make this copy look older than it is (and be dropped), never newer.
        let version = self.shared_version().await;
        if let Some(json) = self.shared_document().await {
            match (self.decode)(json.as_bytes()) {
                Ok(value) => return Ok(self.install(json, value, version)),
                Err(e) => {
                    tracing::warn!(document = self.document, error = %e, "master-data cache: the Redis copy does not decode; reading Postgres")
                }
            }
        }
        let (json, value) = self.load().await?;
        self.store_document(json.clone()).await;
        Ok(self.install(json, value, version))
    }

    /// Reads Postgres now and makes the result every process's copy.
    pub async fn refresh(self: &Arc<Self>) -> Result<Arc<Entry<T>>, CacheError> {
        self.watch();
        let _filling = self.filling.lock().await;
        let (json, value) = self.load().await?;
        self.store_document(json.clone()).await;
        let version = self.bump_version().await;
        let entry = self.install(json, value, version);
        if let Some(version) = version {
            self.announce(version).await;
        }
        Ok(entry)
    }

    /// Drops the copy here and in Redis and tells every other process to drop its copies.
    /// Returns whether Redis took part (if not, other processes keep their copies until it
    /// returns).
    pub async fn invalidate(self: &Arc<Self>) -> bool {
        let deleted = self.forget().await;
        match self.bump_version().await {
            Some(version) => {
                self.announce(version).await;
                deleted
            }
            None => false,
        }
    }

    /// Drops the copy here and in Redis without telling anyone: for a document whose change
    /// another document's [`invalidate`](Self::invalidate) or [`refresh`](Self::refresh)
    /// announces. Returns whether Redis took part.
    pub async fn forget(self: &Arc<Self>) -> bool {
        self.watch();
        let _filling = self.filling.lock().await;
        self.drop_local();
        match self.store().await {
            Some(store) => self
                .bounded(store.async_cache_delete(&self.document))
                .await
                .is_some(),
            None => false,
        }
    }

    pub async fn status(&self) -> Status<T> {
        Status {
            entry: self.local_entry(),
            version: self.shared_version().await,
            hits: CacheCounters::get(&self.counters.hits),
            misses: CacheCounters::get(&self.counters.misses),
            invalidations: CacheCounters::get(&self.counters.invalidations),
            last_refresh: *self
                .last_refresh
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        }
    }

    fn local_entry(&self) -> Option<Arc<Entry<T>>> {
        self.local
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn valid_local(&self) -> Option<Arc<Entry<T>>> {
        self.local_entry().filter(|entry| entry.is_valid())
    }

    fn install(&self, json: String, value: T, version: Option<u64>) -> Arc<Entry<T>> {
        let cached_at = Utc::now();
        let entry = Arc::new(Entry {
            json: Bytes::from(json),
            value,
            version,
            cached_at,
            expires_at: cached_at + self.settings.ttl,
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
            CacheCounters::bump(&self.counters.invalidations);
        }
    }

    async fn load(&self) -> Result<(String, T), CacheError> {
        let json = (self.load)().await?;
        let value = (self.decode)(json.as_bytes())?;
        *self
            .last_refresh
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Utc::now());
        Ok((json, value))
    }

    /// Runs a Redis call for at most the configured timeout; failures are logged and become
    /// `None` (the cache then works without Redis).
    async fn bounded<V, E: std::fmt::Display>(
        &self,
        call: impl Future<Output = Result<V, E>>,
    ) -> Option<V> {
        match tokio::time::timeout(self.settings.redis_timeout, call).await {
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
                let build = Store::builder(STORE)
                    .namespace(&self.settings.prefix)
                    .connection_string(&self.settings.redis_url)
                    .ttl(self.settings.ttl)
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
        self.bounded(store.async_cache_get(&self.document))
            .await
            .flatten()
    }

    async fn store_document(&self, json: String) {
        if let Some(store) = self.store().await {
            self.bounded(store.async_cache_set(self.document, json))
                .await;
        }
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
                self.settings.redis_url.clone(),
                self.channel.clone(),
                self.settings.redis_timeout,
            ));
        });
    }
}

impl<T: Send + Sync + 'static> Observer for DocumentCache<T> {
    /// Drops this process's copy if it was made under another version.
    fn observe_version(&self, version: u64) {
        let stale = self
            .local_entry()
            .is_some_and(|entry| entry.version != Some(version));
        if stale {
            tracing::debug!(
                document = self.document,
                version,
                "master data changed elsewhere: dropping the local copy"
            );
            self.drop_local();
        }
    }

    async fn shared_version(&self) -> Option<u64> {
        let mut conn = self.conn.clone();
        let version: Option<u64> = self.bounded(conn.get(&self.version_key)).await?;
        Some(version.unwrap_or(0))
    }
}
