//! HTTP metrics and the operator endpoints' state for the API (the series themselves are
//! declared in `safapac_ops::metrics`).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use safapac_cache::CacheCounters;
use safapac_ops::Ops;
use safapac_ops::metrics::UNMATCHED_ROUTE;

use crate::AppState;
use crate::counters::Counters;
use crate::limits::Policy;

/// What `/ready` and `/metrics` look at: this app's pool, the queue's Redis connection and
/// its registry.
pub fn ops(state: &AppState) -> Ops {
    let redis = state
        .queue
        .as_ref()
        .map(|q| q.storage().clone().get_connection().clone());
    Ops {
        probe: safapac_ops::Probe {
            pool: state.pool.clone(),
            redis,
        },
        metrics: state.metrics.clone(),
    }
}

/// Target of the access line: `RUST_LOG=info,safapac::access=off` also silences it.
pub const ACCESS_LOG_TARGET: &str = "safapac::access";

/// Times every request under its route pattern (`/api/v1/projects/{project_id}`, never the
/// raw path, whose ids would make one series per object), counts requests in flight, and
/// writes the access line (unless `SAFAPAC_ACCESS_LOG=off`). Only the route is logged: query
/// strings, headers and raw paths are left out.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let _in_flight = state.metrics.request_started();
    let started = Instant::now();
    // Standard methods clone without allocating.
    let method = req.method().clone();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    let response = next.call(req).await;
    let status = match &response {
        Ok(response) => response.status(),
        Err(e) => e.as_response_error().status_code(),
    }
    .as_u16();
    let elapsed = started.elapsed();
    state
        .metrics
        .request_finished(method.as_str(), &route, status, elapsed);
    if state.config.access_log {
        // The macro checks the level before it evaluates a field: with INFO filtered out
        // this costs a load and a branch.
        tracing::info!(
            target: ACCESS_LOG_TARGET,
            method = method.as_str(),
            route = route.as_str(),
            status,
            elapsed_ms = elapsed.as_micros() as f64 / 1e3,
            "request finished"
        );
    }
    response
}

/// `/metrics` of the operator listener: the cache's and the limiters' own counts are brought
/// into the registry first.
pub async fn scrape(state: web::Data<AppState>, ops: web::Data<Ops>) -> HttpResponse {
    let c = &state.counters;
    let cache = &state.cache_counters;
    let mut rate_limited: Vec<(&str, u64)> = Policy::ALL
        .iter()
        .map(|p| (p.name(), Counters::get(&c.rate_limited[p.index()])))
        .collect();
    rate_limited.push(("flood", Counters::get(&c.flood_rejections)));
    state.metrics.mirror_totals(&safapac_ops::metrics::Totals {
        cache_hits: CacheCounters::get(&cache.hits),
        cache_misses: CacheCounters::get(&cache.misses),
        cache_invalidations: CacheCounters::get(&cache.invalidations),
        rate_limited: &rate_limited,
        rate_limit_fallbacks: Counters::get(&c.limiter_fallbacks),
        status_cache: &[
            ("hit", Counters::get(&state.statuses.counters.hits)),
            ("miss", Counters::get(&state.statuses.counters.misses)),
            (
                "announce_failure",
                Counters::get(&state.statuses.counters.announce_failures),
            ),
        ],
    });
    safapac_ops::http::metrics(ops).await
}
