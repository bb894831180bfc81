//! What the workspace's tests share (a dev-dependency only): throw-away databases cloned
//! from a migrated template, a private `redis-server` for the faults the shared one must
//! never see, cleanup of a test's Redis keys, the in-process application with its fixtures
//! (users, projects, an in-memory outbox), the golden cases, log capture and the metrics
//! text parser.
#![allow(clippy::unwrap_used)] // test support: a failed unwrap is a failed test

pub mod app;
pub mod database;
pub mod golden;
pub mod logs;
pub mod metrics;
pub mod redis;

pub use database::TestDatabase;
pub use redis::{OwnRedis, RedisKeys};

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// The path of the workspace binary `name` of package `package`, built first: a package's
/// tests can name only its own binaries through `CARGO_BIN_EXE_…`, and the whole-system
/// tests run the API's and the worker's. Cargo does nothing when the binary is current.
pub fn binary(package: &str, name: &str) -> PathBuf {
    // One build at a time: parallel tests asking for the same binary wait for the first.
    static BUILDING: Mutex<()> = Mutex::new(());
    let _building = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(cargo)
        .current_dir(&workspace)
        .args(["build", "--quiet", "-p", package, "--bin", name])
        .status()
        .unwrap();
    assert!(status.success(), "building {name} failed");
    // Test executables live in `<target>/<profile>/deps`; binaries one level up.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join(name)
}
