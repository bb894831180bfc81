//! The per-process stand-in for the Redis buckets while Redis cannot be reached: the same
//! quotas, counted by this replica alone, so auth limits loosen (to N× with N replicas) but
//! never disappear.

use std::num::NonZeroU32;
use std::time::Duration;

use actix_governor::governor::clock::{Clock, DefaultClock};
use actix_governor::governor::middleware::StateInformationMiddleware;
use actix_governor::governor::{DefaultKeyedRateLimiter, RateLimiter};

use super::policy::Policy;
use super::settings::{Quota, RateLimitSettings};
use super::store::Decision;

type Limiter = RateLimiter<
    String,
    actix_governor::governor::state::keyed::DefaultKeyedStateStore<String>,
    DefaultClock,
    StateInformationMiddleware,
>;

pub struct LocalLimiters {
    limiters: Vec<(Quota, Limiter)>,
}

fn governor_quota(quota: Quota) -> actix_governor::governor::Quota {
    let burst = NonZeroU32::new(quota.limit).unwrap_or(NonZeroU32::MIN);
    actix_governor::governor::Quota::with_period(quota.interval().max(Duration::from_nanos(1)))
        .unwrap_or_else(|| actix_governor::governor::Quota::per_second(burst))
        .allow_burst(burst)
}

impl LocalLimiters {
    pub fn new(settings: &RateLimitSettings) -> LocalLimiters {
        let limiters = Policy::ALL
            .iter()
            .map(|policy| {
                let quota = settings.quota(*policy);
                let limiter: DefaultKeyedRateLimiter<String> =
                    RateLimiter::keyed(governor_quota(quota));
                (
                    quota,
                    limiter.with_middleware::<StateInformationMiddleware>(),
                )
            })
            .collect();
        LocalLimiters { limiters }
    }

    /// Charges each of `keys` in turn (not atomically: this only has to hold the line).
    pub fn check(&self, policy: Policy, keys: &[String]) -> Decision {
        let (quota, limiter) = &self.limiters[policy.index()];
        let mut decision = Decision {
            allowed: true,
            limit: quota.limit,
            remaining: quota.limit,
            retry_after: Duration::ZERO,
            reset: Duration::ZERO,
        };
        let now = DefaultClock::default().now();
        for key in keys {
            match limiter.check_key(key) {
                Ok(snapshot) => {
                    let remaining = snapshot.remaining_burst_capacity();
                    decision.remaining = decision.remaining.min(remaining);
                    let used = quota.limit.saturating_sub(remaining);
                    decision.reset = decision.reset.max(quota.interval() * used);
                }
                Err(not_until) => {
                    decision.allowed = false;
                    decision.remaining = 0;
                    decision.retry_after = decision.retry_after.max(not_until.wait_time_from(now));
                    decision.reset = decision.reset.max(quota.window);
                    break;
                }
            }
        }
        decision
    }

    /// Forgets clients whose buckets are full again (governor never does this by itself).
    pub fn forget_idle(&self) {
        for (_, limiter) in &self.limiters {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}
