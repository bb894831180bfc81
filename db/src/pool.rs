use std::time::Duration;

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool};

use crate::DbError;

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

/// Pool sizing and timeouts. deadpool has no timeouts by default, so a missing database or an
/// exhausted pool would make requests hang; every wait here is bounded.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub database_url: String,
    pub max_size: usize,
    /// How long a request waits for a free connection before giving up (→ 503).
    pub wait_timeout: Duration,
    pub create_timeout: Duration,
    pub recycle_timeout: Duration,
}

impl PoolSettings {
    pub fn new(database_url: impl Into<String>) -> Self {
        PoolSettings {
            database_url: database_url.into(),
            max_size: 20,
            wait_timeout: Duration::from_secs(5),
            create_timeout: Duration::from_secs(5),
            recycle_timeout: Duration::from_secs(2),
        }
    }
}

/// Builds the pool. Lazy: no connection is opened until first use.
pub fn build_pool(settings: &PoolSettings) -> Result<DbPool, DbError> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(&settings.database_url);
    let pool = Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.create_timeout))
        .recycle_timeout(Some(settings.recycle_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?;
    Ok(pool)
}
