//! SAFAPAC worker: consumes the calculation queue (apalis on Redis, through `safapac-queue`),
//! records results in PostgreSQL, sweeps up lost and stalled jobs; also the `calc`
//! command-line front.

pub mod calc_cmd;
pub mod handler;
pub mod ops;
pub mod poll;
pub mod run;
pub mod settings;
pub mod sweeper;

pub use settings::WorkerSettings;
