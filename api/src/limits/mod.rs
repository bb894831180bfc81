//! Rate limits that hold across replicas: GCRA buckets in Redis keyed
//! `{prefix}:rl:{policy}:{subject}`, checked by a `from_fn` middleware on the limited routes.
//! While Redis cannot be reached, the same quotas are counted per process (feature
//! `governor`), and actix-governor shields every route against floods.

mod client_ip;
#[cfg(feature = "governor")]
mod fallback;
mod policy;
mod settings;
#[cfg(feature = "governor")]
mod shield;
mod store;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use redis::aio::ConnectionManager;

pub use client_ip::{TrustedProxies, TrustedProxiesError};
pub use policy::Policy;
pub use settings::{Quota, QuotaParseError, RateLimitSettings};
pub use store::{Decision, StoreError};

use crate::AppState;
use crate::auth::tokens::TokenKind;
use crate::counters::Counters;
use crate::error::ErrorBody;

/// How long after a failed Redis call the limiter stops asking Redis (so an outage costs one
/// slow request per second, not one per request).
const REDIS_RETRY_AFTER: Duration = Duration::from_secs(1);

pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

pub struct RateLimits {
    settings: RateLimitSettings,
    key_prefix: String,
    redis: store::RedisLimiter,
    /// Set while Redis is unreachable: the outage is logged and counted once.
    redis_down: AtomicBool,
    retry_redis_at: Mutex<Option<Instant>>,
    counters: Arc<Counters>,
    #[cfg(feature = "governor")]
    local: fallback::LocalLimiters,
    #[cfg(feature = "governor")]
    shield: shield::ShieldConfig,
}

/// The flood shield middleware (a no-op without the `governor` feature: empty default headers,
/// actix-web's identity middleware being private).
#[cfg(feature = "governor")]
pub type Shield = actix_web::middleware::Condition<shield::Shield>;
#[cfg(not(feature = "governor"))]
pub type Shield = actix_web::middleware::DefaultHeaders;

impl RateLimits {
    pub fn new(
        settings: RateLimitSettings,
        key_prefix: &str,
        conn: ConnectionManager,
        counters: Arc<Counters>,
    ) -> RateLimits {
        RateLimits {
            redis: store::RedisLimiter::new(conn, settings.redis_timeout),
            key_prefix: key_prefix.to_owned(),
            redis_down: AtomicBool::new(false),
            retry_redis_at: Mutex::new(None),
            #[cfg(feature = "governor")]
            local: fallback::LocalLimiters::new(&settings),
            #[cfg(feature = "governor")]
            shield: shield::config(
                settings.flood.unwrap_or(settings::DEFAULT_FLOOD),
                settings.trusted_proxies.clone(),
                counters.clone(),
            ),
            counters,
            settings,
        }
    }

    /// Off when `SAFAPAC_RATE_FLOOD=off`.
    #[cfg(feature = "governor")]
    pub fn shield(&self) -> Shield {
        actix_web::middleware::Condition::new(
            self.settings.flood.is_some(),
            actix_governor::Governor::new(&self.shield),
        )
    }

    #[cfg(not(feature = "governor"))]
    pub fn shield(&self) -> Shield {
        actix_web::middleware::DefaultHeaders::new()
    }

    /// Drops the per-process state of clients that have been quiet long enough to be back at
    /// a full bucket; governor keeps every key it has seen otherwise.
    pub fn forget_idle_clients(&self) {
        #[cfg(feature = "governor")]
        {
            self.local.forget_idle();
            let shield = self.shield.limiter();
            shield.retain_recent();
            shield.shrink_to_fit();
        }
    }

    /// Whether the last Redis call failed (the limits are then per process).
    pub fn redis_down(&self) -> bool {
        self.redis_down.load(Ordering::Relaxed)
    }

    fn key(&self, policy: Policy, subject: &str) -> String {
        format!("{}:rl:{}:{subject}", self.key_prefix, policy.name())
    }

    /// Charges one request under `policy` to every subject's bucket.
    pub async fn check(&self, policy: Policy, subjects: &[String]) -> Decision {
        let keys: Vec<String> = subjects.iter().map(|s| self.key(policy, s)).collect();
        if self.redis_worth_trying() {
            match self.redis.check(&keys, self.settings.quota(policy)).await {
                Ok(decision) => {
                    self.redis_answered();
                    return decision;
                }
                Err(e) => self.redis_failed(&e),
            }
        }
        self.local_check(policy, &keys)
    }

    #[cfg(feature = "governor")]
    fn local_check(&self, policy: Policy, keys: &[String]) -> Decision {
        self.local.check(policy, keys)
    }

    /// Without the local limiter there is nothing to count with: requests pass, and the
    /// outage was logged as an error when it began.
    #[cfg(not(feature = "governor"))]
    fn local_check(&self, policy: Policy, _keys: &[String]) -> Decision {
        let quota = self.settings.quota(policy);
        Decision {
            allowed: true,
            limit: quota.limit,
            remaining: quota.limit,
            retry_after: Duration::ZERO,
            reset: Duration::ZERO,
        }
    }

    fn redis_worth_trying(&self) -> bool {
        let retry_at = self
            .retry_redis_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        retry_at.is_none_or(|at| Instant::now() >= at)
    }

    fn redis_answered(&self) {
        if self.redis_down.swap(false, Ordering::Relaxed) {
            *self
                .retry_redis_at
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            tracing::info!("Redis is reachable again: rate limits are shared across replicas");
        }
    }

    fn redis_failed(&self, error: &StoreError) {
        *self
            .retry_redis_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(Instant::now() + REDIS_RETRY_AFTER);
        if !self.redis_down.swap(true, Ordering::Relaxed) {
            Counters::bump(&self.counters.limiter_fallbacks);
            if cfg!(feature = "governor") {
                tracing::warn!(
                    error = %error,
                    "Redis is unreachable: rate limits are counted per process until it returns"
                );
            } else {
                tracing::error!(
                    error = %error,
                    "Redis is unreachable and the `governor` feature is off: rate limits are \
                     not enforced until it returns"
                );
            }
        }
    }
}

impl RateLimits {
    /// Charges one request to `subject` under `policy` from inside a handler (for limits
    /// whose subject is known only from the body); the refusal is the 429 to answer.
    pub async fn admit(&self, policy: Policy, subject: String) -> Result<(), HttpResponse> {
        let decision = self.check(policy, &[subject]).await;
        if decision.allowed {
            Ok(())
        } else {
            Counters::bump(&self.counters.rate_limited[policy.index()]);
            Err(too_many_requests(&decision))
        }
    }
}

/// Middleware body: enforces `policy` on the request's client (and, for per-user policies,
/// on the account of a valid bearer token), then adds the rate-limit headers.
pub async fn enforce<B: MessageBody>(
    policy: Policy,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "AppState is not registered",
        ));
    };
    let limits = &state.limits;
    let client = limits
        .settings
        .trusted_proxies
        .client_ip(req.peer_addr().map(|a| a.ip()), req.headers());
    let mut subjects = vec![match client {
        Some(ip) => format!("ip:{ip}"),
        None => "ip:unknown".to_owned(),
    }];
    if policy.per_user()
        && let Some(user) = bearer_subject(&state, req.headers())
    {
        subjects.push(format!("user:{user}"));
    }
    let decision = limits.check(policy, &subjects).await;
    if !decision.allowed {
        Counters::bump(&limits.counters.rate_limited[policy.index()]);
        let response = too_many_requests(&decision);
        return Ok(req.into_response(response).map_into_right_body());
    }
    let mut response = next.call(req).await?;
    insert_headers(response.headers_mut(), &decision);
    Ok(response.map_into_left_body())
}

/// The account of a valid access token. Only the signature is checked here: a deleted
/// account is refused by the handler anyway, and counting its requests is harmless.
fn bearer_subject(state: &AppState, headers: &HeaderMap) -> Option<uuid::Uuid> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let claims = state.tokens.decode(token.trim(), TokenKind::Access).ok()?;
    Some(claims.sub)
}

fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

fn insert_headers(headers: &mut HeaderMap, decision: &Decision) {
    headers.insert(RATELIMIT_LIMIT, HeaderValue::from(decision.limit));
    headers.insert(RATELIMIT_REMAINING, HeaderValue::from(decision.remaining));
    headers.insert(
        RATELIMIT_RESET,
        HeaderValue::from(whole_seconds(decision.reset)),
    );
}

fn too_many_requests(decision: &Decision) -> HttpResponse {
    // At least one second: `Retry-After: 0` invites an immediate retry that fails again.
    let seconds = whole_seconds(decision.retry_after).max(1);
    let mut response = HttpResponse::TooManyRequests();
    response.insert_header((header::RETRY_AFTER, seconds));
    let mut response = response.json(ErrorBody {
        detail: format!("Too many requests. Try again in {seconds} seconds."),
    });
    insert_headers(response.headers_mut(), decision);
    response
}

/// Every minute, forgets the per-process state of idle clients, for as long as `limits` lives.
pub fn spawn_housekeeping(limits: &Arc<RateLimits>) {
    let limits = Arc::downgrade(limits);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match limits.upgrade() {
                Some(limits) => limits.forget_idle_clients(),
                None => return,
            }
        }
    });
}
