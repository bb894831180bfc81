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

/// Each limited route is wrapped in its own policy's middleware.
macro_rules! limited {
    ($path:expr, $policy:expr) => {
        web::resource($path).wrap(from_fn(|req, next| enforce($policy, req, next)))
    };
}

/// A scenario's draft and calculation routes, below `…/scenarios/{scenario_id}`, with the
/// handlers of one mounting. Routes are grouped in scopes by their static prefixes, so a
/// request is matched by a few string comparisons and at most one pattern per path segment,
/// instead of by trying every route's pattern in turn (that scan was a sixth of the API's CPU
/// time on the status poll).
macro_rules! scenario_actions {
    ($scope:expr, $draft:path, $calculate:path, $sync:path, $status:path) => {
        $scope
            .service(web::resource("/draft").route(web::patch().to($draft)))
            .service(limited!("/calculate", Policy::Calculate).route(web::post().to($calculate)))
            .service(
                limited!("/calculate/sync", Policy::CalculateSync).route(web::post().to($sync)),
            )
            .service(web::resource("/calculate/status").route(web::get().to($status)))
    };
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, post, put, resource};

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
                    web::scope("/projects")
                        .service(
                            resource("")
                                .route(get().to(projects::list_projects))
                                .route(post().to(projects::create_project)),
                        )
                        .service(
                            web::scope("/{project_id}")
                                .service(
                                    resource("")
                                        .route(get().to(projects::get_project))
                                        .route(put().to(projects::update_project))
                                        .route(delete().to(projects::delete_project)),
                                )
                                .service(
                                    web::scope("/scenarios")
                                        .service(
                                            resource("")
                                                .route(get().to(scenarios::list_nested))
                                                .route(post().to(scenarios::create_nested)),
                                        )
                                        .service(scenario_actions!(
                                            web::scope("/{scenario_id}").service(
                                                resource("")
                                                    .route(get().to(scenarios::get_nested))
                                                    .route(put().to(scenarios::update_nested))
                                                    .route(delete().to(scenarios::delete_nested)),
                                            ),
                                            scenarios::draft_nested,
                                            calculations::calculate_nested,
                                            calculations::calculate_sync_nested,
                                            calculations::status_nested
                                        )),
                                ),
                        ),
                )
                .service(
                    web::scope("/scenarios")
                        .service(
                            resource("")
                                .route(get().to(scenarios::list_direct))
                                .route(post().to(scenarios::create_direct)),
                        )
                        .service(scenario_actions!(
                            web::scope("/{scenario_id}").service(
                                resource("")
                                    .route(get().to(scenarios::get_direct))
                                    .route(put().to(scenarios::update_direct))
                                    .route(delete().to(scenarios::delete_direct)),
                            ),
                            scenarios::draft_direct,
                            calculations::calculate_direct,
                            calculations::calculate_sync_direct,
                            calculations::status_direct
                        )),
                )
                .service(resource("/jobs/{job_id}").route(get().to(calculations::get_job))),
        );
}
