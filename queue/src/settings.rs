//! The Redis settings that the API and every worker read alike. They live here once so that
//! two processes of one deployment cannot disagree on where the queue or the cache is.

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
pub struct QueueSettings {
    /// `REDIS_URL`: the queue, the master-data cache and the rate-limit counters.
    pub redis_url: String,
    /// `SAFAPAC_QUEUE`: the apalis queue name (also the prefix of its Redis keys).
    pub queue: String,
    /// `SAFAPAC_REDIS_TIMEOUT_MS`: response timeout of every queue command.
    pub redis_timeout: Duration,
    /// `SAFAPAC_REDIS_PREFIX`: first segment of the master-data cache and rate-limit keys.
    pub redis_prefix: String,
    /// `SAFAPAC_CACHE_TTL_SECONDS`: lifetime of a master-data copy, in process and in Redis.
    pub cache_ttl: Duration,
}

impl QueueSettings {
    pub const DEFAULT_QUEUE: &'static str = "safapac_calculations";

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
        Ok(QueueSettings {
            redis_url: lookup("REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned()),
            queue,
            redis_timeout: Duration::from_millis(parse_setting(
                &lookup,
                "SAFAPAC_REDIS_TIMEOUT_MS",
                5000,
                10..=600_000,
            )?),
            redis_prefix: lookup("SAFAPAC_REDIS_PREFIX").unwrap_or_else(|| "safapac".to_owned()),
            cache_ttl: Duration::from_secs(parse_setting(
                &lookup,
                "SAFAPAC_CACHE_TTL_SECONDS",
                3_600,
                1..=30 * 86_400,
            )?),
        })
    }
}

/// The whole number in variable `name`, `default` when it is unset; out of `range` or not a
/// number is an error naming the variable.
pub fn parse_setting<T>(
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

    fn settings(vars: &[(&str, &str)]) -> Result<QueueSettings, SettingError> {
        QueueSettings::from_lookup(|name| {
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
        assert_eq!(s.redis_prefix, "safapac");
        assert_eq!(s.cache_ttl, Duration::from_secs(3600));
    }

    #[test]
    fn malformed_values_name_the_variable() {
        let e = settings(&[("SAFAPAC_REDIS_TIMEOUT_MS", "soon")]).unwrap_err();
        assert_eq!(e.name, "SAFAPAC_REDIS_TIMEOUT_MS");
        let e = settings(&[("SAFAPAC_CACHE_TTL_SECONDS", "0")]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("SAFAPAC_CACHE_TTL_SECONDS: must be between 1 and")
        );
        let e = settings(&[("SAFAPAC_QUEUE", "a:b")]).unwrap_err();
        assert_eq!(e.name, "SAFAPAC_QUEUE");
    }
}
