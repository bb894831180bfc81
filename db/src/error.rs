use diesel_async::pooled_connection::deadpool::{BuildError, PoolError};

/// Everything the persistence layer can fail with. Business-rule refusals that the database
/// decides atomically (scenario limit, order clash, running calculation) are variants too, so
/// the HTTP edge maps one enum.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection within the pool's wait/create timeouts (pool exhausted or database down).
    #[error("no database connection available")]
    Pool(#[from] PoolError),
    #[error("database query failed")]
    Query(#[from] diesel::result::Error),
    #[error("cannot connect to the database")]
    Connect(#[from] diesel::ConnectionError),
    #[error("building the connection pool failed")]
    PoolBuild(#[from] BuildError),
    #[error("running migrations failed")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("blocking database task failed")]
    Blocking(#[from] tokio::task::JoinError),
    #[error("database URL has no database name: expected postgres://user@host:port/name")]
    InvalidUrl,
    #[error("a master table is empty: run the migrate command to seed it")]
    MasterDataMissing,
    #[error("the project already has the maximum of 3 scenarios")]
    ScenarioLimitReached,
    #[error("the scenario order is already used in this project")]
    ScenarioOrderTaken,
    #[error("the scenario is being calculated")]
    CalculationInProgress,
}

impl DbError {
    /// True when the database could not be reached or the pool had no free connection: the
    /// request may succeed if retried shortly.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, DbError::Pool(_) | DbError::Connect(_))
    }
}
