//! The engine's reference data (units, processes, feedstocks, countries, default parameter
//! sets, …) as a cached document: what the worker computes with and the API validates with.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use safapac_core::master::MasterData;
use safapac_db::{DbError, DbPool};

use crate::{CacheCounters, CacheSettings, DocumentCache, Loader};

/// Its key in the `cached` store: `{prefix}:master_data:engine`.
const DOCUMENT: &str = "engine";

pub fn engine_master_data(
    settings: CacheSettings,
    conn: ConnectionManager,
    pool: DbPool,
    counters: Arc<CacheCounters>,
) -> DocumentCache<MasterData> {
    let load: Loader = Box::new(move || {
        let pool = pool.clone();
        Box::pin(async move {
            let mut conn = pool.get().await.map_err(DbError::from)?;
            let data = safapac_db::master::engine_master_data(&mut conn).await?;
            Ok(serde_json::to_string(&data)?)
        })
    });
    DocumentCache::new(
        settings,
        conn,
        DOCUMENT,
        load,
        |json| serde_json::from_slice(json),
        counters,
    )
}
