//! Rate-limit settings: one quota per policy, the trusted proxies and the flood shield, all
//! from `SAFAPAC_RATE_*` variables.

use std::time::Duration;

use super::client_ip::{TrustedProxies, TrustedProxiesError};
use super::policy::Policy;
use crate::config::ConfigError;

/// `limit` requests per `window`, with bursts of up to `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub window: Duration,
}

impl Quota {
    pub const fn new(limit: u32, window: Duration) -> Quota {
        Quota { limit, window }
    }

    /// Time for one request's worth of quota to come back.
    pub fn interval(&self) -> Duration {
        self.window / self.limit.max(1)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "expected <count>/<period> such as 5/min, 3/h or 10/30s, with a period of at least one millisecond per request"
)]
pub struct QuotaParseError;

/// The Redis policies count in whole milliseconds.
const FINEST_POLICY: Duration = Duration::from_millis(1);

impl std::str::FromStr for Quota {
    type Err = QuotaParseError;

    fn from_str(text: &str) -> Result<Quota, QuotaParseError> {
        Quota::parse(text, FINEST_POLICY)
    }
}

impl Quota {
    /// `text` as a quota whose interval per request is at least `finest`.
    fn parse(text: &str, finest: Duration) -> Result<Quota, QuotaParseError> {
        let (count, period) = text.trim().split_once('/').ok_or(QuotaParseError)?;
        let limit: u32 = count.trim().parse().map_err(|_| QuotaParseError)?;
        let period = period.trim();
        let split = period
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(period.len());
        let (amount, unit) = period.split_at(split);
        let amount: u64 = if amount.is_empty() {
            1
        } else {
            amount.parse().map_err(|_| QuotaParseError)?
        };
        let unit_ms: u64 = match unit {
            "ms" => 1,
            "s" | "sec" => 1_000,
            "m" | "min" => 60_000,
            "h" | "hour" => 3_600_000,
            _ => return Err(QuotaParseError),
        };
        let window = Duration::from_millis(amount.checked_mul(unit_ms).ok_or(QuotaParseError)?);
        let quota = Quota::new(limit, window);
        if limit == 0 || quota.interval() < finest {
            return Err(QuotaParseError);
        }
        Ok(quota)
    }
}

#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    /// Indexed by [`Policy::index`].
    pub quotas: [Quota; Policy::ALL.len()],
    /// `SAFAPAC_TRUSTED_PROXIES`: peers whose `X-Forwarded-For`/`Forwarded` is believed.
    pub trusted_proxies: TrustedProxies,
    /// `SAFAPAC_RATE_FLOOD`: the per-process, per-client shield in front of every route;
    /// `None` when set to `off`.
    pub flood: Option<Quota>,
    /// `SAFAPAC_RATE_REDIS_TIMEOUT_MS`: longest wait on Redis before the local fallback decides.
    pub redis_timeout: Duration,
}

impl RateLimitSettings {
    pub fn quota(&self, policy: Policy) -> Quota {
        self.quotas[policy.index()]
    }

    pub fn quota_mut(&mut self, policy: Policy) -> &mut Quota {
        &mut self.quotas[policy.index()]
    }
}

/// Per-process burst allowance of the flood shield: 200 requests at once, 100 per second.
pub(super) const DEFAULT_FLOOD: Quota = Quota::new(200, Duration::from_secs(2));
const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(250);

impl RateLimitSettings {
    /// Reads `SAFAPAC_RATE_<POLICY>` (e.g. `SAFAPAC_RATE_LOGIN=5/min`), `SAFAPAC_RATE_FLOOD`,
    /// `SAFAPAC_RATE_REDIS_TIMEOUT_MS` and `SAFAPAC_TRUSTED_PROXIES` through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let quota = |name: &'static str, default: Quota| match get(name) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|e: QuotaParseError| ConfigError {
                name,
                problem: format!("{e}, got {:?}", text.trim()),
            }),
        };
        let mut quotas = Policy::ALL.map(Policy::default_quota);
        for policy in Policy::ALL {
            quotas[policy.index()] = quota(policy.env_var(), policy.default_quota())?;
        }
        let trusted_proxies = match get("SAFAPAC_TRUSTED_PROXIES") {
            None => TrustedProxies::default(),
            Some(list) => list.parse().map_err(|e: TrustedProxiesError| ConfigError {
                name: "SAFAPAC_TRUSTED_PROXIES",
                problem: e.to_string(),
            })?,
        };
        let redis_timeout = match get("SAFAPAC_RATE_REDIS_TIMEOUT_MS") {
            None => DEFAULT_REDIS_TIMEOUT,
            Some(ms) => ms
                .trim()
                .parse()
                .ok()
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis)
                .ok_or_else(|| ConfigError {
                    name: "SAFAPAC_RATE_REDIS_TIMEOUT_MS",
                    problem: format!("expected a positive number of milliseconds, got {ms:?}"),
                })?,
        };
        Ok(RateLimitSettings {
            quotas,
            trusted_proxies,
            flood: flood(get("SAFAPAC_RATE_FLOOD"))?,
            redis_timeout,
        })
    }
}

/// The flood shield is governor's, in process: it can count finer than the Redis policies
/// (up to a million requests a second per client), and `off` removes it (behind a proxy that
/// limits floods itself, or to measure its cost).
fn flood(text: Option<String>) -> Result<Option<Quota>, ConfigError> {
    match text.as_deref().map(str::trim) {
        None => Ok(Some(DEFAULT_FLOOD)),
        Some("off") => Ok(None),
        Some(text) => Quota::parse(text, Duration::from_micros(1))
            .map(Some)
            .map_err(|_| ConfigError {
                name: "SAFAPAC_RATE_FLOOD",
                problem: format!(
                    "expected off or <count>/<period> such as 200/2s, with a period of at least \
                     one microsecond per request, got {text:?}"
                ),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_read_count_and_period() {
        let q = |s: &str| s.parse::<Quota>();
        assert_eq!(q("5/min"), Ok(Quota::new(5, Duration::from_secs(60))));
        assert_eq!(q("3/h"), Ok(Quota::new(3, Duration::from_secs(3_600))));
        assert_eq!(q(" 10 / 30s "), Ok(Quota::new(10, Duration::from_secs(30))));
        assert_eq!(q("4/800ms"), Ok(Quota::new(4, Duration::from_millis(800))));
        for bad in ["5", "0/min", "5/fortnight", "x/min", "10/5ms", "5/-1s"] {
            assert_eq!(q(bad), Err(QuotaParseError), "{bad}");
        }
    }

    #[test]
    fn defaults_follow_the_contract_and_variables_override_them() {
        let defaults = RateLimitSettings::from_lookup(|_| None).unwrap();
        assert_eq!(
            defaults.quota(Policy::Login),
            Quota::new(5, Duration::from_secs(60))
        );
        assert_eq!(
            defaults.quota(Policy::Register),
            Quota::new(3, Duration::from_secs(3_600))
        );
        let custom = RateLimitSettings::from_lookup(|name| {
            (name == "SAFAPAC_RATE_LOGIN").then(|| "50/min".to_owned())
        })
        .unwrap();
        assert_eq!(custom.quota(Policy::Login).limit, 50);
        assert_eq!(defaults.flood, Some(DEFAULT_FLOOD));
        let flood = |text: &str| {
            RateLimitSettings::from_lookup(|name| {
                (name == "SAFAPAC_RATE_FLOOD").then(|| text.to_owned())
            })
            .map(|s| s.flood)
        };
        assert_eq!(flood("off").unwrap(), None);
        assert_eq!(
            flood("100000/1s").unwrap(),
            Some(Quota::new(100_000, Duration::from_secs(1)))
        );
        for bad in ["0/s", "2000000/1s", "lots"] {
            let e = flood(bad).unwrap_err();
            assert_eq!(e.name, "SAFAPAC_RATE_FLOOD");
            assert!(e.problem.contains(bad), "{}", e.problem);
        }
        let bad = RateLimitSettings::from_lookup(|name| {
            (name == "SAFAPAC_TRUSTED_PROXIES").then(|| "not-an-ip".to_owned())
        });
        assert_eq!(bad.unwrap_err().name, "SAFAPAC_TRUSTED_PROXIES");
    }
}
