//! This replica's master-data documents (the machinery, shared with the worker, is
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
        let engine = Arc::new(safapac_cache::engine_master_data(
            settings.clone(),
            conn.clone(),
            pool,
            counters.clone(),
        ));
        // The dashboard's document is the engine's, in the dashboard's shape: one read of
        // PostgreSQL fills both, and they cannot disagree.
        let source = engine.clone();
        let load: Loader = Box::new(move || {
            let source = source.clone();
            Box::pin(async move {
                let engine = source.get().await?;
                Ok(serde_json::to_string(&master_data::MasterData::from(
                    &engine.value,
                ))?)
            })
        });
        MasterCaches {
            dashboard: Arc::new(DocumentCache::new(
                settings,
                conn,
                DASHBOARD_DOCUMENT,
                load,
                |_| Ok(()),
                counters,
            )),
            engine,
        }
    }

    pub async fn dashboard(&self) -> Result<Arc<Entry<()>>, ApiError> {
        Ok(self.dashboard.get().await?)
    }

    pub async fn engine(&self) -> Result<Arc<Entry<MasterData>>, ApiError> {
        Ok(self.engine.get().await?)
    }

    /// `build`'s answer from this replica's copy of the engine's master data: the one source
    /// of the master rows a response names. A row added since the copy was loaded is not in
    /// it (`build` answers `None`): the copy is then dropped and read again, once.
    pub async fn naming<T>(&self, build: impl Fn(&MasterData) -> Option<T>) -> Result<T, ApiError> {
        let master = self.engine().await?;
        if let Some(answer) = build(&master.value) {
            return Ok(answer);
        }
        self.engine.forget().await;
        let master = self.engine().await?;
        build(&master.value).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "a scenario refers to a master row the master data does not have"
            ))
        })
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
