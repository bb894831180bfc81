//! Queue, worker and sweeper settings from the environment. Both binaries read them: the API
//! to push, the worker (or the API's embedded worker) to consume and sweep.

use std::str::FromStr;
use std::time::Duration;

/// A setting that is present but malformed; names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct SettingError {
    pub name: &'static str,
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSettings {
    /// `REDIS_URL`.
    pub redis_url: String,
    /// `SAFAPAC_QUEUE`: the apalis queue name (also the Redis key prefix of its keys).
    pub queue: String,
    /// `SAFAPAC_WORKER_CONCURRENCY`: calculations one worker process runs at once.
    pub concurrency: usize,
    /// `SAFAPAC_POLL_INTERVAL_MS`: how often an idle worker looks for new jobs.
    pub poll_interval: Duration,
    /// `SAFAPAC_HEARTBEAT_SECS`: worker heartbeat; a worker silent for 6 beats is dead and
    /// its jobs are handed to others.
    pub heartbeat: Duration,
    /// `SAFAPAC_REDIS_TIMEOUT_MS`: response timeout of every Redis command.
    pub redis_timeout: Duration,
    /// `SAFAPAC_MAX_ATTEMPTS`: deliveries a job may start before it fails for good.
    pub max_attempts: i32,
    /// `SAFAPAC_JOB_TIMEOUT_SECS`: a running job older than this is presumed lost.
    pub job_timeout: Duration,
    /// `SAFAPAC_REQUEUE_AFTER_SECS`: a queued job not picked up for this long is pushed again.
    pub requeue_after: Duration,
    /// `SAFAPAC_SWEEP_INTERVAL_SECS`: how often the sweeper runs.
    pub sweep_interval: Duration,
    /// First segment of the master-data cache keys (and of the API's rate-limit keys).
    pub redis_prefix: String,
    /// Lifetime of a cached master-data copy, in process and in Redis.
    pub cache_ttl: Duration,
}

impl PipelineSettings {
    pub const DEFAULT_QUEUE: &'static str = "safapac_calculations";

    /// The master-data cache's settings; `redis_timeout` bounds each of its Redis calls.
    pub fn cache(&self, redis_timeout: Duration) -> safapac_cache::CacheSettings {
        safapac_cache::CacheSettings {
            redis_url: self.redis_url.clone(),
            prefix: self.redis_prefix.clone(),
            ttl: self.cache_ttl,
            redis_timeout,
        }
    }

    pub fn from_env() -> Result<Self, SettingError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let queue = lookup("SAFAPAC_QUEUE").unwrap_or_else(|| Self::DEFAULT_QUEUE.to_owned());
        // apalis splits pub/sub channel names on ':' and Redis Cluster needs the whole name in
        // one hash slot, so the name is kept to a plain identifier.
        if queue.is_empty()
            || !queue
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-{}".contains(c))
        {
            return Err(SettingError {
                name: "SAFAPAC_QUEUE",
                problem: "must be a non-empty name of letters, digits, '_', '-', '{' or '}'".into(),
            });
        }
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let settings = PipelineSettings {
            redis_url: lookup("REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned()),
            queue,
            // Jobs mostly wait on PostgreSQL and Redis; 8 per core kept both cores busier than 4
            // (BENCHMARKS.md, the drain) at a worker RSS of 15 MB.
            concurrency: parse(&lookup, "SAFAPAC_WORKER_CONCURRENCY", 8 * cores, 1..=1024)?,
            poll_interval: Duration::from_millis(parse(
                &lookup,
                "SAFAPAC_POLL_INTERVAL_MS",
                20,
                1..=60_000,
            )?),
            heartbeat: Duration::from_secs(parse(&lookup, "SAFAPAC_HEARTBEAT_SECS", 5, 1..=3600)?),
            redis_timeout: Duration::from_millis(parse(
                &lookup,
                "SAFAPAC_REDIS_TIMEOUT_MS",
                5000,
                10..=600_000,
            )?),
            max_attempts: parse(&lookup, "SAFAPAC_MAX_ATTEMPTS", 3, 1..=100)?,
            job_timeout: Duration::from_secs(parse(
                &lookup,
                "SAFAPAC_JOB_TIMEOUT_SECS",
                60,
                1..=86_400,
            )?),
            requeue_after: Duration::from_secs(parse(
                &lookup,
                "SAFAPAC_REQUEUE_AFTER_SECS",
                30,
                1..=86_400,
            )?),
            sweep_interval: Duration::from_secs(parse(
                &lookup,
                "SAFAPAC_SWEEP_INTERVAL_SECS",
                5,
                1..=3600,
            )?),
            redis_prefix: lookup("SAFAPAC_REDIS_PREFIX").unwrap_or_else(|| "safapac".to_owned()),
            cache_ttl: Duration::from_secs(parse(
                &lookup,
                "SAFAPAC_CACHE_TTL_SECONDS",
                3_600,
                1..=30 * 86_400,
            )?),
        };
        Ok(settings)
    }
}

fn parse<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, SettingError>
where
    T: FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = lookup(name) else {
        return Ok(default);
    };
    let value: T = raw.trim().parse().map_err(|_| SettingError {
        name,
        problem: format!("not a whole number: {raw:?}"),
    })?;
    if !range.contains(&value) {
        return Err(SettingError {
            name,
            problem: format!(
                "must be between {} and {}, got {value}",
                range.start(),
                range.end()
            ),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<PipelineSettings, SettingError> {
        PipelineSettings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_suit_a_local_machine() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.redis_url, "redis://127.0.0.1:6379");
        assert_eq!(s.queue, "safapac_calculations");
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
