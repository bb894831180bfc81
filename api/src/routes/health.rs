//! Service banner and liveness, outside `/api/v1`.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Banner {
    pub message: &'static str,
    pub version: &'static str,
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    /// Server time, Unix seconds.
    pub timestamp: f64,
}

#[utoipa::path(get, path = "/", tag = "service", responses((status = 200, body = Banner)))]
pub async fn banner() -> HttpResponse {
    HttpResponse::Ok().json(Banner {
        message: "SAFAPAC API Server",
        // The dashboard-facing API version (the original's), not the crate version.
        version: "2.0.0",
        status: "running",
    })
}

/// Liveness only: answers without touching the database.
#[utoipa::path(get, path = "/health", tag = "service", responses((status = 200, body = Health)))]
pub async fn health() -> HttpResponse {
    let now = chrono::Utc::now();
    HttpResponse::Ok().json(Health {
        status: "healthy",
        timestamp: now.timestamp_micros() as f64 / 1e6,
    })
}
