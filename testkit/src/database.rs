//! Throw-away databases for tests.
//!
//! A template database is migrated and seeded once per schema version (its name carries a
//! fingerprint of the migrations and the master data); every test then gets its own clone,
//! which is dropped when the handle goes out of scope, even when the test panics.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use safapac_core::master::MasterData;
use uuid::Uuid;

use safapac_db::migrate::{database_exists, quote_ident, run_migrations, with_database};
use safapac_db::{DbError, DbPool, PoolSettings, build_pool};

/// Server used by tests unless `SAFAPAC_TEST_DATABASE_URL` points elsewhere; only the
/// server part matters, databases are created next to it.
const DEFAULT_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Serialises template building and cloning across test processes.
const TEMPLATE_LOCK_KEY: i64 = 0x5afa_9ac0_0002;

pub struct TestDatabase {
    name: String,
    url: String,
    admin_url: String,
}

impl TestDatabase {
    /// A fresh, migrated and seeded database with a unique name.
    pub async fn create() -> Result<TestDatabase, DbError> {
        let server = std::env::var("SAFAPAC_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_SERVER_URL.to_owned());
        let admin_url = with_database(&server, "postgres").ok_or(DbError::InvalidUrl)?;
        let template = format!("safapac_tpl_{:016x}", schema_fingerprint());
        let name = format!("safapac_test_{}", Uuid::new_v4().simple());

        let mut admin = AsyncPgConnection::establish(&admin_url).await?;
        diesel::sql_query("SELECT pg_advisory_lock($1)")
            .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
            .execute(&mut admin)
            .await?;
        let cloned = clone_template(&mut admin, &server, &template, &name).await;
        diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
            .execute(&mut admin)
            .await?;
        cloned?;

        let url = with_database(&server, &name).ok_or(DbError::InvalidUrl)?;
        Ok(TestDatabase {
            name,
            url,
            admin_url,
        })
    }

    /// A fresh database without any schema, created the way development mode creates a
    /// missing database.
    pub async fn empty() -> Result<TestDatabase, DbError> {
        let server = std::env::var("SAFAPAC_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_SERVER_URL.to_owned());
        let admin_url = with_database(&server, "postgres").ok_or(DbError::InvalidUrl)?;
        let name = format!("safapac_test_{}", Uuid::new_v4().simple());
        let url = with_database(&server, &name).ok_or(DbError::InvalidUrl)?;
        let database = TestDatabase {
            name,
            url,
            admin_url,
        };
        safapac_db::migrate::ensure_database_exists(&database.url).await?;
        Ok(database)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server's maintenance database, for statements about this one.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// A pool on this database with the given size and the default timeouts.
    pub fn pool(&self, max_size: usize) -> Result<DbPool, DbError> {
        let mut settings = PoolSettings::new(&self.url);
        settings.max_size = max_size;
        build_pool(&settings)
    }
}

async fn clone_template(
    admin: &mut AsyncPgConnection,
    server: &str,
    template: &str,
    name: &str,
) -> Result<(), DbError> {
    if !database_exists(admin, template).await? {
        let building = format!("{template}_build");
        diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&building)
        ))
        .execute(admin)
        .await?;
        diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(&building)))
            .execute(admin)
            .await?;
        let building_url = with_database(server, &building).ok_or(DbError::InvalidUrl)?;
        run_migrations(&building_url).await?;
        // The migration connection may still be closing; a rename needs the database idle.
        diesel::sql_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind::<Text, _>(&building)
        .execute(admin)
        .await?;
        // Publishing by rename means a half-built template is never cloned.
        diesel::sql_query(format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(&building),
            quote_ident(template)
        ))
        .execute(admin)
        .await?;
    }
    diesel::sql_query(format!(
        "CREATE DATABASE {} TEMPLATE {}",
        quote_ident(name),
        quote_ident(template)
    ))
    .execute(admin)
    .await?;
    Ok(())
}

/// Changes whenever a migration file or the built-in master data changes, so a stale
/// template is never reused.
fn schema_fingerprint() -> u64 {
    let mut hasher = DefaultHasher::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut files = Vec::new();
    collect_files(&dir, &mut files);
    files.sort();
    for file in files {
        file.hash(&mut hasher);
        std::fs::read(&file).unwrap_or_default().hash(&mut hasher);
    }
    MasterData::builtin_json().hash(&mut hasher);
    hasher.finish()
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let statement = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&self.name)
        );
        // Drop cannot await, and the test's runtime may be shutting down: use a private one.
        let dropped = std::thread::spawn(move || -> Result<(), DbError> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime can be built");
            runtime.block_on(async {
                let mut admin = AsyncPgConnection::establish(&admin_url).await?;
                diesel::sql_query(statement).execute(&mut admin).await?;
                Ok(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}
