//! The consumer's and the sweeper's settings, on top of the queue settings that the API reads
//! too.

use std::time::Duration;

use safapac_queue::{ConsumerTuning, QueueSettings, SettingError, parse_setting};

#[derive(Debug, Clone, PartialEq)]
pub struct WorkerSettings {
    /// Redis, the queue's name, the key prefix and the cache lifetime, shared with the API.
    pub queue: QueueSettings,
    /// `SAFAPAC_WORKER_CONCURRENCY`: calculations one worker process runs at once.
    pub concurrency: usize,
    /// `SAFAPAC_POLL_INTERVAL_MS`: how often an idle worker looks for new jobs.
    pub poll_interval: Duration,
    /// `SAFAPAC_HEARTBEAT_SECS`: worker heartbeat; a worker silent for 6 beats is dead and
    /// its jobs are handed to others.
    pub heartbeat: Duration,
    /// `SAFAPAC_MAX_ATTEMPTS`: deliveries a job may start before it fails for good.
    pub max_attempts: i32,
    /// `SAFAPAC_JOB_TIMEOUT_SECS`: a running job older than this is presumed lost.
    pub job_timeout: Duration,
    /// `SAFAPAC_REQUEUE_AFTER_SECS`: a queued job not picked up for this long is pushed again.
    pub requeue_after: Duration,
    /// `SAFAPAC_SWEEP_INTERVAL_SECS`: how often the sweeper runs.
    pub sweep_interval: Duration,
}

impl WorkerSettings {
    /// The master-data cache's settings; each of its Redis calls waits at most as long as a
    /// queue command.
    pub fn cache(&self) -> safapac_cache::CacheSettings {
        safapac_cache::CacheSettings {
            redis_url: self.queue.redis_url.clone(),
            prefix: self.queue.redis_prefix.clone(),
            ttl: self.queue.cache_ttl,
            redis_timeout: self.queue.redis_timeout,
        }
    }

    /// How this worker's consumer fetches from the queue.
    pub fn tuning(&self) -> ConsumerTuning {
        ConsumerTuning {
            batch_size: self.concurrency,
            heartbeat: self.heartbeat,
        }
    }

    pub fn from_env() -> Result<Self, SettingError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let secs = |name, default, range| {
            parse_setting(&lookup, name, default, range).map(Duration::from_secs)
        };
        Ok(WorkerSettings {
            queue: QueueSettings::from_lookup(&lookup)?,
            // Jobs mostly wait on PostgreSQL and Redis; 8 per core kept both cores busier than 4
            // (BENCHMARKS.md, the drain) at a worker RSS of 15 MB.
            concurrency: parse_setting(&lookup, "SAFAPAC_WORKER_CONCURRENCY", 8 * cores, 1..=1024)?,
            poll_interval: Duration::from_millis(parse_setting(
                &lookup,
                "SAFAPAC_POLL_INTERVAL_MS",
                20,
                1..=60_000,
            )?),
            heartbeat: secs("SAFAPAC_HEARTBEAT_SECS", 5, 1..=3600)?,
            max_attempts: parse_setting(&lookup, "SAFAPAC_MAX_ATTEMPTS", 3, 1..=100)?,
            job_timeout: secs("SAFAPAC_JOB_TIMEOUT_SECS", 60, 1..=86_400)?,
            requeue_after: secs("SAFAPAC_REQUEUE_AFTER_SECS", 30, 1..=86_400)?,
            sweep_interval: secs("SAFAPAC_SWEEP_INTERVAL_SECS", 5, 1..=3600)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<WorkerSettings, SettingError> {
        WorkerSettings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_suit_a_local_machine() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.queue.queue, "safapac_calculations");
        assert_eq!(s.max_attempts, 3);
        assert!(s.concurrency >= 1);
    }

    #[test]
    fn malformed_values_name_the_variable() {
        let e = settings(&[("SAFAPAC_WORKER_CONCURRENCY", "many")]).unwrap_err();
        assert_eq!(e.name, "SAFAPAC_WORKER_CONCURRENCY");
        let e = settings(&[("SAFAPAC_MAX_ATTEMPTS", "0")]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("SAFAPAC_MAX_ATTEMPTS: must be between 1 and 100")
        );
        let e = settings(&[("SAFAPAC_QUEUE", "a:b")]).unwrap_err();
        assert_eq!(e.name, "SAFAPAC_QUEUE");
    }
}
