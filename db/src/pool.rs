use std::time::Duration;

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::FutureExt as _;

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
    /// Whether a commit waits for its WAL record to reach disk. Off only where every write
    /// can be redone: a crash may then lose the last fraction of a second of commits.
    pub synchronous_commit: bool,
}

impl PoolSettings {
    pub fn new(database_url: impl Into<String>) -> Self {
        PoolSettings {
            database_url: database_url.into(),
            max_size: 20,
            wait_timeout: Duration::from_secs(5),
            create_timeout: Duration::from_secs(5),
            recycle_timeout: Duration::from_secs(2),
            synchronous_commit: true,
        }
    }
}

/// Builds the pool. Lazy: no connection is opened until first use.
///
/// A connection going back out is not pinged first (`RecyclingMethod::Fast`): the ping would
/// cost a round trip on every request. A connection the server dropped while it sat in the
/// pool fails its next query instead, which callers answer as unavailability (503, or a
/// redelivered job), and the pool then discards it.
pub fn build_pool(settings: &PoolSettings) -> Result<DbPool, DbError> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    if !settings.synchronous_commit {
        config.custom_setup = Box::new(|url| {
            async move {
                let mut conn = AsyncPgConnection::establish(url).await?;
                diesel::sql_query("SET synchronous_commit TO off")
                    .execute(&mut conn)
                    .await
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            }
            .boxed()
        });
    }
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
        &settings.database_url,
        config,
    );
    let pool = Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.create_timeout))
        .recycle_timeout(Some(settings.recycle_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?;
    Ok(pool)
}
