//! Readiness: can this process do its work right now? PostgreSQL answers, Redis answers, and
//! the schema has every migration this binary was built with. Each check is bounded in time,
//! so a hung dependency makes `/ready` say so instead of hanging the probe.

use std::collections::BTreeMap;
use std::time::Duration;

use diesel::QueryableByName;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl;
use redis::aio::ConnectionManager;
use safapac_db::{DbError, DbPool};
use serde::Serialize;

/// Longer than a healthy round trip by far, shorter than an orchestrator's probe timeout.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// What readiness looks at.
#[derive(Clone)]
pub struct Probe {
    pub pool: DbPool,
    /// `None` when the process was built without Redis (never in production).
    pub redis: Option<ConnectionManager>,
}

/// The `/ready` answer: `ready` is true when every check is `ok`.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub status: &'static str,
    /// Names of the checks that failed, for a human reading the 503.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub checks: BTreeMap<&'static str, String>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.detail.is_none()
    }
}

#[derive(Debug, thiserror::Error)]
enum CheckError {
    #[error("timed out")]
    Timeout,
    #[error("unreachable")]
    Db(#[from] DbError),
    #[error("unreachable")]
    Redis(#[from] redis::RedisError),
    #[error("{0} migration(s) pending")]
    Pending(usize),
    #[error("cannot list the built-in migrations")]
    Source,
}

impl Probe {
    pub async fn check(&self) -> Readiness {
        let (postgres, redis, migrations) = tokio::join!(
            bounded(self.postgres()),
            bounded(self.redis()),
            bounded(self.migrations()),
        );
        let mut checks = BTreeMap::new();
        let mut down = Vec::new();
        for (name, outcome) in [
            ("postgres", postgres),
            ("redis", redis),
            ("migrations", migrations),
        ] {
            let state = match outcome {
                Ok(()) => "ok".to_owned(),
                Err(e) => {
                    // The cause stays in the log: it can name hosts and users.
                    tracing::warn!(check = name, error = %e, cause = ?std::error::Error::source(&e), "not ready");
                    down.push(name);
                    e.to_string()
                }
            };
            checks.insert(name, state);
        }
        Readiness {
            status: if down.is_empty() {
                "ready"
            } else {
                "unavailable"
            },
            detail: (!down.is_empty()).then(|| format!("not ready: {}", down.join(", "))),
            checks,
        }
    }

    async fn postgres(&self) -> Result<(), CheckError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(())
    }

    async fn redis(&self) -> Result<(), CheckError> {
        let Some(conn) = &self.redis else {
            return Ok(());
        };
        let mut conn = conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }

    async fn migrations(&self) -> Result<(), CheckError> {
        #[derive(QueryableByName)]
        struct Applied {
            #[diesel(sql_type = Text)]
            version: String,
        }
        let built_in: Vec<String> =
            MigrationSource::<Pg>::migrations(&safapac_db::migrate::MIGRATIONS)
                .map_err(|_| CheckError::Source)?
                .iter()
                .map(|m| m.name().version().to_string())
                .collect();
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        #[derive(QueryableByName)]
        struct Bookkeeping {
            #[diesel(sql_type = Bool)]
            exists: bool,
        }
        // A database that was never migrated has no bookkeeping table: everything pending.
        let bookkeeping: Bookkeeping = diesel::sql_query(
            "SELECT to_regclass('__diesel_schema_migrations') IS NOT NULL AS exists",
        )
        .get_result(&mut conn)
        .await
        .map_err(DbError::from)?;
        let applied: Vec<Applied> = if bookkeeping.exists {
            diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
                .load(&mut conn)
                .await
                .map_err(DbError::from)?
        } else {
            Vec::new()
        };
        let pending = built_in
            .iter()
            .filter(|v| !applied.iter().any(|a| &a.version == *v))
            .count();
        if pending > 0 {
            return Err(CheckError::Pending(pending));
        }
        Ok(())
    }
}

async fn bounded(check: impl Future<Output = Result<(), CheckError>>) -> Result<(), CheckError> {
    tokio::time::timeout(CHECK_TIMEOUT, check)
        .await
        .unwrap_or(Err(CheckError::Timeout))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use safapac_testkit::TestDatabase;

    use super::*;

    #[tokio::test]
    async fn a_migrated_database_and_a_live_redis_are_ready() {
        let db = TestDatabase::create().await.unwrap();
        let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
        let probe = Probe {
            pool: db.pool(2).unwrap(),
            redis: Some(client.get_connection_manager().await.unwrap()),
        };
        let readiness = probe.check().await;
        assert!(readiness.is_ready(), "{readiness:?}");
        assert_eq!(readiness.checks["migrations"], "ok");
    }

    #[tokio::test]
    async fn an_unmigrated_database_and_a_dead_redis_are_named() {
        let db = TestDatabase::empty().await.unwrap();
        // Nothing listens on port 1; lazy, so building it does not fail.
        let client = redis::Client::open("redis://127.0.0.1:1").unwrap();
        let redis = ConnectionManager::new_lazy_with_config(
            client,
            redis::aio::ConnectionManagerConfig::new().set_number_of_retries(0),
        )
        .unwrap();
        let probe = Probe {
            pool: db.pool(2).unwrap(),
            redis: Some(redis),
        };
        let readiness = probe.check().await;
        assert!(!readiness.is_ready());
        assert_eq!(
            readiness.detail.as_deref(),
            Some("not ready: redis, migrations")
        );
        assert_eq!(readiness.checks["postgres"], "ok");
        assert!(readiness.checks["migrations"].ends_with("pending"));
    }
}
