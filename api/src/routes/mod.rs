//! Route table. Every API route lives under `/api/v1`; only `/`, `/health`, and the
//! operator endpoints `/ready` and `/metrics` do not.

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::limits::{Policy, enforce};

pub mod auth;
pub mod cache;
pub mod calculations;
pub mod health;
pub mod master_data;
pub mod projects;
pub mod scenarios;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, patch, post, put, resource};
    // Each limited route is wrapped in its own policy's middleware.
    macro_rules! limited {
        ($path:expr, $policy:expr) => {
            resource($path).wrap(from_fn(|req, next| enforce($policy, req, next)))
        };
    }

    cfg.service(resource("/").route(get().to(health::banner)))
        .service(resource("/health").route(get().to(health::health)))
        .service(resource("/ready").route(get().to(safapac_ops::http::ready)))
        .service(resource("/metrics").route(get().to(crate::metrics::scrape)))
        .service(
            web::scope("/api/v1")
                .service(
                    limited!("/auth/register", Policy::Register).route(post().to(auth::register)),
                )
                .service(
                    limited!("/auth/verify-email", Policy::VerifyEmail)
                        .route(post().to(auth::verify_email)),
                )
                .service(
                    limited!("/auth/resend-verification", Policy::ResendVerification)
                        .route(post().to(auth::resend_verification)),
                )
                .service(limited!("/auth/login", Policy::Login).route(post().to(auth::login)))
                .service(limited!("/auth/refresh", Policy::Refresh).route(post().to(auth::refresh)))
                .service(resource("/auth/logout").route(post().to(auth::logout)))
                .service(resource("/auth/me").route(get().to(auth::me)))
                .service(resource("/master-data").route(get().to(master_data::master_data)))
                .service(
                    resource("/master-data/fresh").route(get().to(master_data::master_data_fresh)),
                )
                .service(resource("/cache/status").route(get().to(cache::status)))
                .service(resource("/cache/invalidate").route(post().to(cache::invalidate)))
                .service(
                    resource("/process-technologies")
                        .route(get().to(master_data::process_technologies)),
                )
                .service(resource("/feedstocks").route(get().to(master_data::feedstocks)))
                .service(resource("/countries").route(get().to(master_data::countries)))
                .service(resource("/utilities").route(get().to(master_data::utilities)))
                .service(resource("/products").route(get().to(master_data::products)))
                .service(resource("/units").route(get().to(master_data::units)))
                .service(
                    resource("/projects")
                        .route(get().to(projects::list_projects))
                        .route(post().to(projects::create_project)),
                )
                .service(
                    resource("/projects/{project_id}")
                        .route(get().to(projects::get_project))
                        .route(put().to(projects::update_project))
                        .route(delete().to(projects::delete_project)),
                )
                .service(
                    resource("/projects/{project_id}/scenarios")
                        .route(get().to(scenarios::list_nested))
                        .route(post().to(scenarios::create_nested)),
                )
                .service(
                    resource("/projects/{project_id}/scenarios/{scenario_id}")
                        .route(get().to(scenarios::get_nested))
                        .route(put().to(scenarios::update_nested))
                        .route(delete().to(scenarios::delete_nested)),
                )
                .service(
                    resource("/projects/{project_id}/scenarios/{scenario_id}/draft")
                        .route(patch().to(scenarios::draft_nested)),
                )
                .service(
                    resource("/scenarios")
                        .route(get().to(scenarios::list_direct))
                        .route(post().to(scenarios::create_direct)),
                )
                .service(
                    resource("/scenarios/{scenario_id}")
                        .route(get().to(scenarios::get_direct))
                        .route(put().to(scenarios::update_direct))
                        .route(delete().to(scenarios::delete_direct)),
                )
                .service(
                    resource("/scenarios/{scenario_id}/draft")
                        .route(patch().to(scenarios::draft_direct)),
                )
                .service(
                    limited!(
                        "/projects/{project_id}/scenarios/{scenario_id}/calculate",
                        Policy::Calculate
                    )
                    .route(post().to(calculations::calculate_nested)),
                )
                .service(
                    limited!(
                        "/projects/{project_id}/scenarios/{scenario_id}/calculate/sync",
                        Policy::CalculateSync
                    )
                    .route(post().to(calculations::calculate_sync_nested)),
                )
                .service(
                    resource("/projects/{project_id}/scenarios/{scenario_id}/calculate/status")
                        .route(get().to(calculations::status_nested)),
                )
                .service(
                    limited!("/scenarios/{scenario_id}/calculate", Policy::Calculate)
                        .route(post().to(calculations::calculate_direct)),
                )
                .service(
                    limited!(
                        "/scenarios/{scenario_id}/calculate/sync",
                        Policy::CalculateSync
                    )
                    .route(post().to(calculations::calculate_sync_direct)),
                )
                .service(
                    resource("/scenarios/{scenario_id}/calculate/status")
                        .route(get().to(calculations::status_direct)),
                )
                .service(resource("/jobs/{job_id}").route(get().to(calculations::get_job))),
        );
}
