//! Operability shared by the SAFAPAC API and worker: the Prometheus registry and its series,
//! readiness checks, the operator endpoints, and log set-up (see docs/architecture.md).

pub mod http;
pub mod logging;
pub mod metrics;
pub mod ready;

pub use http::Ops;
pub use metrics::Metrics;
pub use ready::Probe;
