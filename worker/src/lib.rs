//! SAFAPAC worker: consumes the calculation queue (apalis on Redis), records results in
//! PostgreSQL, sweeps up lost and stalled jobs; also the `calc` command-line front.

pub mod calc_cmd;
pub mod handler;
pub mod ops;
pub mod poll;
pub mod queue;
pub mod run;
pub mod settings;
pub mod sweeper;
#[cfg(feature = "testing")]
pub mod testing;

pub use settings::PipelineSettings;
