//! SAFAPAC persistence: diesel schema and queries on PostgreSQL through diesel-async, the
//! deadpool connection pool, embedded migrations and the master-data seed.
//!
//! # Lock order
//!
//! Every transaction (or single statement) that locks more than one of a project, its
//! scenarios and their calculation jobs takes the locks in this order:
//!
//! 1. the **project** row (`FOR UPDATE`, or the `UPDATE` of it);
//! 2. then its **scenario** rows, one scenario per transaction on the request paths;
//! 3. then **calculation job** rows.
//!
//! A path may skip a level (recording a failure locks a scenario and then its job) but never
//! goes back up: so scenario edits, calculation submits and result recording queue behind
//! each other instead of deadlocking. Statements that must lock a project they reach through
//! a scenario lock it first in a leading CTE (see `jobs::submit`, `jobs::succeed`). Whatever
//! conflict remains possible (a sweep over many scenarios against a cascading delete) is run
//! again by [`retry::on_conflict`].

mod error;
pub mod jobs;
pub mod master;
pub mod migrate;
pub mod models;
pub mod pool;
mod prepared;
pub mod projects;
pub mod retry;
pub mod scenarios;
pub mod schema;
mod seed;
pub mod status;
pub mod tokens;
pub mod users;

pub use error::DbError;
pub use pool::{DbConn, DbPool, PoolSettings, build_pool};

diesel::define_sql_function!(
    /// SQL `lower(text)`, used to hit the case-insensitive email index.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);
