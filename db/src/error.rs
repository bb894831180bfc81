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
    /// A deadlock or serialization failure that persisted through every retry.
    #[error("conflicting concurrent change persisted after {attempts} attempts")]
    Conflict {
        attempts: u32,
        #[source]
        source: Box<DbError>,
    },
}

impl DbError {
    /// True when the database could not be reached, the pool had no free connection, or the
    /// connection was lost under the query (server restarting, backend terminated): the
    /// request may succeed if retried shortly.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(_) | DbError::Connect(_) => true,
            DbError::Query(e) => connection_lost(e),
            _ => false,
        }
    }

    /// True for a statement PostgreSQL aborted because of a concurrent one: a deadlock
    /// (SQLSTATE 40P01, which diesel reports without its code) or a serialization failure
    /// (40001). Running it again may succeed (`retry::on_conflict`).
    pub fn is_conflict(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => {
                true
            }
            DbError::Query(Error::DatabaseError(_, info)) => {
                info.message().starts_with("deadlock detected")
            }
            _ => false,
        }
    }
}

/// Messages of the server's "your connection is going away" errors (SQLSTATE class 57P:
/// administrator command, crash or idle-session shutdown, starting up, shutting down),
/// which diesel reports without their code.
const LOST_CONNECTION_MESSAGES: [&str; 4] = [
    "terminating connection",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
];

fn connection_lost(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        Error::DatabaseError(_, info) => LOST_CONNECTION_MESSAGES
            .iter()
            .any(|m| info.message().starts_with(m)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error};

    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> DbError {
        DbError::Query(Error::DatabaseError(kind, Box::new(message.to_owned())))
    }

    #[test]
    fn a_lost_connection_is_unavailability_and_a_bad_query_is_not() {
        assert!(
            db_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command"
            )
            .is_unavailable()
        );
        assert!(db_error(DatabaseErrorKind::ClosedConnection, "closed").is_unavailable());
        assert!(!db_error(DatabaseErrorKind::UniqueViolation, "duplicate key").is_unavailable());
        assert!(!DbError::Query(Error::NotFound).is_unavailable());
    }

    #[test]
    fn deadlocks_and_serialization_failures_are_conflicts_and_nothing_else_is() {
        assert!(db_error(DatabaseErrorKind::Unknown, "deadlock detected").is_conflict());
        assert!(
            db_error(
                DatabaseErrorKind::SerializationFailure,
                "could not serialize access"
            )
            .is_conflict()
        );
        assert!(!db_error(DatabaseErrorKind::UniqueViolation, "duplicate key").is_conflict());
        assert!(!DbError::Query(Error::NotFound).is_conflict());
        assert!(!DbError::CalculationInProgress.is_conflict());
    }
}
