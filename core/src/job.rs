//! The queue message. It names the job only: inputs, revision and attempts live in
//! PostgreSQL, so a message that is lost, duplicated or delivered late cannot carry stale data.

use serde::{Deserialize, Serialize};

/// Calculate the scenario of calculation job `job_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalculateScenario {
    pub job_id: uuid::Uuid,
}
