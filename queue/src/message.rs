use serde::{Deserialize, Serialize};

/// Calculate the scenario of calculation job `job_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalculateScenario {
    pub job_id: uuid::Uuid,
}
