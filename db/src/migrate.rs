//! Schema migrations and the master-data seed, run by `safapac-api migrate` and, in
//! development mode, at API start-up.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use safapac_core::master::MasterData;

use crate::{DbError, seed};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Key of the session advisory lock that serialises migrate runs: replicas starting together
/// must not apply the same migration twice.
const MIGRATION_LOCK_KEY: i64 = 0x5afa_9ac0_0001;

/// What one migrate run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions of the migrations applied by this run (empty when the schema was current).
    pub applied: Vec<String>,
}

/// Applies pending migrations and (re)seeds the master tables, holding the advisory lock.
///
/// diesel's migration harness is synchronous, so the work runs on a blocking thread through
/// diesel-async's connection wrapper, which drives the async connection on this runtime.
pub async fn run_migrations(database_url: &str) -> Result<MigrationReport, DbError> {
    let conn = AsyncPgConnection::establish(database_url).await?;
    tokio::task::spawn_blocking(move || {
        let mut conn: AsyncConnectionWrapper<AsyncPgConnection> = conn.into();
        // The sync and async query traits share method names, hence the qualified calls.
        diesel::RunQueryDsl::execute(
            diesel::sql_query("SELECT pg_advisory_lock($1)").bind::<BigInt, _>(MIGRATION_LOCK_KEY),
            &mut conn,
        )?;
        let outcome = migrate_and_seed(&mut conn);
        // Closing the connection would release the lock too; unlocking explicitly keeps the
        // lock's lifetime obvious. An unlock failure must not hide the migration outcome.
        let unlocked = diesel::RunQueryDsl::execute(
            diesel::sql_query("SELECT pg_advisory_unlock($1)")
                .bind::<BigInt, _>(MIGRATION_LOCK_KEY),
            &mut conn,
        );
        let report = outcome?;
        unlocked?;
        Ok(report)
    })
    .await?
}

fn migrate_and_seed(
    conn: &mut AsyncConnectionWrapper<AsyncPgConnection>,
) -> Result<MigrationReport, DbError> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(DbError::Migration)?
        .into_iter()
        .map(|version| version.to_string())
        .collect();
    seed::seed_master_data(conn, MasterData::builtin())?;
    Ok(MigrationReport { applied })
}

/// Creates the database named in `database_url` when it does not exist yet (development
/// convenience: the default URL then works on a fresh local PostgreSQL). Returns whether it
/// created it.
pub async fn ensure_database_exists(database_url: &str) -> Result<bool, DbError> {
    let name = database_name(database_url).ok_or(DbError::InvalidUrl)?;
    let admin_url = with_database(database_url, "postgres").ok_or(DbError::InvalidUrl)?;
    let mut conn = AsyncPgConnection::establish(&admin_url).await?;
    if database_exists(&mut conn, &name).await? {
        return Ok(false);
    }
    let created = diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(&name)))
        .execute(&mut conn)
        .await;
    match created {
        Ok(_) => Ok(true),
        // Another process created it between the check and the CREATE.
        Err(_) if database_exists(&mut conn, &name).await? => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    exists: bool,
}

pub async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> Result<bool, DbError> {
    let row: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(name)
            .get_result(conn)
            .await?;
    Ok(row.exists)
}

/// The database name of a `postgres://…/name?params` URL.
pub fn database_name(url: &str) -> Option<String> {
    let (_, path) = split_path(url)?;
    let name = path.split('?').next().unwrap_or_default();
    (!name.is_empty()).then(|| name.to_owned())
}

/// The same URL pointing at another database on the same server.
pub fn with_database(url: &str, database: &str) -> Option<String> {
    let (prefix, path) = split_path(url)?;
    let query = path.find('?').map(|i| &path[i..]).unwrap_or_default();
    Some(format!("{prefix}/{database}{query}"))
}

/// Splits `scheme://authority/path` into (`scheme://authority`, `path`).
fn split_path(url: &str) -> Option<(&str, &str)> {
    let authority_start = url.find("://")? + 3;
    let slash = url[authority_start..].find('/')? + authority_start;
    Some((&url[..slash], &url[slash + 1..]))
}

/// Quotes an SQL identifier (database names cannot be bound as parameters).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_and_replacement_keep_credentials_and_parameters() {
        let url = "postgres://app:secret@db.internal:5433/safapac?sslmode=disable";
        assert_eq!(database_name(url).as_deref(), Some("safapac"));
        assert_eq!(
            with_database(url, "postgres").as_deref(),
            Some("postgres://app:secret@db.internal:5433/postgres?sslmode=disable")
        );
        assert_eq!(database_name("postgres://localhost/"), None);
        assert_eq!(database_name("postgres://localhost"), None);
    }

    #[test]
    fn quoted_identifiers_escape_double_quotes() {
        assert_eq!(quote_ident(r#"a"b"#), r#""a""b""#);
    }
}
