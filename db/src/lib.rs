//! SAFAPAC persistence: diesel schema and queries on PostgreSQL through diesel-async, the
//! deadpool connection pool, embedded migrations and the master-data seed.

mod error;
pub mod jobs;
pub mod master;
pub mod migrate;
pub mod models;
pub mod pool;
mod prepared;
pub mod projects;
pub mod scenarios;
pub mod schema;
mod seed;
pub mod tokens;
pub mod users;

pub use error::DbError;
pub use pool::{DbConn, DbPool, PoolSettings, build_pool};

diesel::define_sql_function!(
    /// SQL `lower(text)`, used to hit the case-insensitive email index.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);
