//! The operator endpoints both binaries serve: `/ready` and `/metrics` (and the worker's
//! `/health`; the API keeps the dashboard's own `/health`).

use std::sync::Arc;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpResponse, web};
use safapac_db::jobs;

use crate::metrics::Metrics;
use crate::ready::Probe;

/// Job counts are read from PostgreSQL on scrape; a slow database must not stall the scrape.
const QUEUE_DEPTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// What the operator endpoints need; cheap to clone.
#[derive(Clone)]
pub struct Ops {
    pub probe: Probe,
    pub metrics: Arc<Metrics>,
}

/// Liveness: the process answers. No dependency is touched.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "healthy"}))
}

/// 200 when PostgreSQL and Redis answer and the schema is current; 503 naming what is not.
pub async fn ready(ops: web::Data<Ops>) -> HttpResponse {
    let readiness = ops.probe.check().await;
    if readiness.is_ready() {
        HttpResponse::Ok().json(readiness)
    } else {
        HttpResponse::ServiceUnavailable().json(readiness)
    }
}

/// Prometheus text exposition. Pool and queue gauges are refreshed first; if the job table
/// cannot be read in time, the queue gauges keep their previous values.
pub async fn metrics(ops: web::Data<Ops>) -> HttpResponse {
    ops.metrics.observe_pool(&ops.probe.pool);
    let depth = tokio::time::timeout(QUEUE_DEPTH_TIMEOUT, async {
        let mut conn = ops.probe.pool.get().await?;
        jobs::depth(&mut conn).await
    })
    .await;
    match depth {
        Ok(Ok(depth)) => ops.metrics.observe_queue(depth),
        Ok(Err(e)) => tracing::debug!(error = %e, "queue depth unavailable for metrics"),
        Err(_) => tracing::debug!("queue depth timed out for metrics"),
    }
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .body(ops.metrics.render())
}
