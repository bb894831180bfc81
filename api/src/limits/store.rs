//! The shared limiter: GCRA buckets in Redis, one script call per check.

use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::ConnectionManager;

use super::settings::Quota;

static GCRA: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(include_str!("gcra.lua")));

/// The outcome of one check, for the response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// How long until the next request would be allowed (zero when allowed).
    pub retry_after: Duration,
    /// How long until the buckets are full again.
    pub reset: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
}

#[derive(Clone)]
pub struct RedisLimiter {
    conn: ConnectionManager,
    timeout: Duration,
}

impl RedisLimiter {
    pub fn new(conn: ConnectionManager, timeout: Duration) -> RedisLimiter {
        RedisLimiter { conn, timeout }
    }

    /// Charges one request to every bucket in `keys`, or to none of them.
    pub async fn check(&self, keys: &[String], quota: Quota) -> Result<Decision, StoreError> {
        let interval_ms = u64::try_from(quota.interval().as_millis()).unwrap_or(u64::MAX);
        let mut invocation = GCRA.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        invocation.arg(interval_ms).arg(quota.limit);
        let mut conn = self.conn.clone();
        let (allowed, remaining, retry_ms, reset_ms): (u8, u32, u64, u64) =
            tokio::time::timeout(self.timeout, invocation.invoke_async(&mut conn))
                .await
                .map_err(|_| StoreError::Timeout(self.timeout))??;
        Ok(Decision {
            allowed: allowed == 1,
            limit: quota.limit,
            remaining,
            retry_after: Duration::from_millis(retry_ms),
            reset: Duration::from_millis(reset_ms),
        })
    }
}
