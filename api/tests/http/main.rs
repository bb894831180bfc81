//! HTTP-level tests of the API against a real PostgreSQL: every test gets its own database
//! (cloned from a migrated template) and its own in-process application.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

mod accounts;
mod cache;
mod calculations;
mod dashboard_flow;
mod hostile;
mod limits;
mod master_data;
mod ops;
mod projects;
mod scenarios;
mod security;
mod service;
mod status_cache;
