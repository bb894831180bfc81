//! The calculation queue, the one place the API and the workers meet besides PostgreSQL: the
//! job message, the producer that pushes deliveries, and the settings of Redis that every
//! process reads (URL, queue name, key prefix, cache lifetime).
//!
//! Messages carry only the job id: the job row in PostgreSQL is written first and stays the
//! truth, so a message that is lost, duplicated or delivered late cannot carry stale data.

mod message;
mod producer;
mod settings;

pub use message::CalculateScenario;
pub use producer::{ConsumerTuning, JobQueue, QueueError, Storage, connect, storage, task_id};
pub use settings::{QueueSettings, SettingError, parse_setting};
