//! This replica's master-data documents (DESIGN D5; the machinery, shared with the worker, is
//! `safapac-cache`): the dashboard's `GET /master-data` document, served as stored, and the
//! engine's reference data, which calculation inputs are validated against.

use std::sync::Arc;

use safapac_cache::{CacheCounters, CacheError, CacheSettings, DocumentCache, Entry, Loader};
use safapac_core::master::MasterData;
use safapac_db::DbPool;

use crate::error::ApiError;
use crate::routes::master_data;

/// Its key in the `cached` store: `{prefix}:master_data:all`.
const DASHBOARD_DOCUMENT: &str = "all";

pub struct MasterCaches {
    /// The dashboard's document; only its JSON is used.
    pub dashboard: Arc<DocumentCache<()>>,
    pub engine: Arc<DocumentCache<MasterData>>,
}

impl MasterCaches {
    pub fn new(
        settings: CacheSettings,
        conn: redis::aio::ConnectionManager,
        pool: DbPool,
        counters: Arc<CacheCounters>,
    ) -> MasterCaches {
        let dashboard_pool = pool.clone();
        let load: Loader = Box::new(move || {
            let pool = dashboard_pool.clone();
            Box::pin(async move {
                let document = master_data::load(&pool).await?;
                Ok(serde_json::to_string(&document)?)
            })
        });
        MasterCaches {
            dashboard: Arc::new(DocumentCache::new(
                settings.clone(),
                conn.clone(),
                DASHBOARD_DOCUMENT,
                load,
                |_| Ok(()),
                counters.clone(),
            )),
            engine: Arc::new(safapac_cache::engine_master_data(
                settings, conn, pool, counters,
            )),
        }
    }

    pub async fn dashboard(&self) -> Result<Arc<Entry<()>>, ApiError> {
        Ok(self.dashboard.get().await?)
    }

    pub async fn engine(&self) -> Result<Arc<Entry<MasterData>>, ApiError> {
        Ok(self.engine.get().await?)
    }

    /// Reads Postgres now; every process drops its copies of either document.
    pub async fn refresh(&self) -> Result<Arc<Entry<()>>, ApiError> {
        // The dashboard document's refresh bumps the shared version, which announces the
        // engine document's change too.
        self.engine.forget().await;
        Ok(self.dashboard.refresh().await?)
    }

    /// Drops both documents here and in Redis, and on every other process. Returns whether
    /// Redis took part.
    pub async fn invalidate(&self) -> bool {
        let engine = self.engine.forget().await;
        let everywhere = self.dashboard.invalidate().await;
        engine && everywhere
    }
}

impl From<CacheError> for ApiError {
    fn from(error: CacheError) -> Self {
        match error {
            CacheError::Db(e) => ApiError::from(e),
            e @ CacheError::Json(_) => ApiError::Internal(e.into()),
        }
    }
}
