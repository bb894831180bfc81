//! `GET /cache/status` and `POST /cache/invalidate` (admin only).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::extract::AuthUser;
use crate::error::{AdminErrors, ApiError};
use crate::routes::master_data::require_admin;

/// This replica's cache. The first five fields keep the original's snake_case shape and
/// quirks (`is_valid` is null when nothing is cached; `ttl_seconds` is an integer 0 unless
/// valid); the rest are additions.
#[derive(Serialize, ToSchema)]
pub struct CacheStatusBody {
    pub is_cached: bool,
    pub is_valid: Option<bool>,
    /// Naive UTC, e.g. `2025-12-31T09:00:00.000123`.
    pub cached_at: Option<String>,
    pub expires_at: Option<String>,
    #[schema(value_type = f64)]
    pub ttl_seconds: serde_json::Value,
    /// The shared version in Redis (bumped by every invalidation and refresh); null while
    /// Redis cannot be reached.
    pub version: Option<u64>,
    /// The version this replica's copy was made under.
    pub cached_version: Option<u64>,
    pub hits: u64,
    pub misses: u64,
    pub invalidations: u64,
    /// When this replica last read the master data from Postgres (naive UTC).
    pub last_refresh: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageBody {
    pub message: String,
}

fn naive(time: DateTime<Utc>) -> String {
    time.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

#[utoipa::path(
    get, path = "/api/v1/cache/status", tag = "master data",
    security(("bearer" = [])),
    responses(
        (status = 200, body = CacheStatusBody),
        AdminErrors,
    )
)]
pub async fn status(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    require_admin(user)?;
    let status = state.master_cache.dashboard.status().await;
    let entry = status.entry.as_deref();
    let valid = entry.map(|e| Utc::now() < e.expires_at);
    let ttl_seconds = match entry {
        Some(e) if valid == Some(true) => {
            serde_json::Value::from((e.expires_at - Utc::now()).as_seconds_f64().max(0.0))
        }
        _ => serde_json::Value::from(0),
    };
    Ok(HttpResponse::Ok().json(CacheStatusBody {
        is_cached: entry.is_some(),
        is_valid: valid,
        cached_at: entry.map(|e| naive(e.cached_at)),
        expires_at: entry.map(|e| naive(e.expires_at)),
        ttl_seconds,
        version: status.version,
        cached_version: entry.and_then(|e| e.version),
        hits: status.hits,
        misses: status.misses,
        invalidations: status.invalidations,
        last_refresh: status.last_refresh.map(naive),
    }))
}

/// Drops the cached master data here, in Redis and (through pub/sub) on every replica.
#[utoipa::path(
    post, path = "/api/v1/cache/invalidate", tag = "master data",
    security(("bearer" = [])),
    responses(
        (status = 200, body = MessageBody),
        AdminErrors,
    )
)]
pub async fn invalidate(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    require_admin(user)?;
    let everywhere = state.master_cache.invalidate().await;
    let message = if everywhere {
        "Master data cache invalidated on every replica"
    } else {
        "Master data cache invalidated on this replica; Redis is unreachable, so other \
         replicas keep their copies until they expire"
    };
    Ok(HttpResponse::Ok().json(MessageBody {
        message: message.to_owned(),
    }))
}
