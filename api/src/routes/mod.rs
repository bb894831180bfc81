//! The route table: one list of operations from which both the actix routes and the OpenAPI
//! document are made, so a route cannot exist without its documentation or the other way
//! round. Every API route lives under `/api/v1`; only `/`, `/health` and the readiness probe
//! `/ready` do not. `/metrics` is not here: it is served only by the operator listener
//! (`crate::operator`), and this port answers it 404 like any unknown path.
//!
//! Each handler is documented once, with `#[utoipa::path]`, at its own path. The scenario
//! handlers are mounted twice, as the dashboard expects: at `/api/v1/scenarios/…` (the
//! documented path) and again below `/api/v1/projects/{project_id}`; the second mount's
//! documentation is derived from the first (`openapi::mount_under_project`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{Route, web};

use crate::limits::{Policy, enforce};

pub mod auth;
pub mod cache;
pub mod calculations;
pub mod health;
pub mod master_data;
pub mod projects;
pub mod scenarios;
pub mod scope;

/// Where an operation is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mount {
    /// At its documented path only.
    Once,
    /// At its documented path under `/api/v1/scenarios`, and again below
    /// `/api/v1/projects/{project_id}` (see [`scope`]).
    AlsoUnderProject,
}

/// One operation of the list.
pub struct Operation {
    /// The handler's generated documentation: a document of this one operation.
    pub doc: fn() -> utoipa::openapi::OpenApi,
    /// A route to the handler, any method (the method comes from the document).
    pub handler: fn() -> Route,
    /// The rate-limit policy in front of it, if any.
    pub policy: Option<Policy>,
    pub mount: Mount,
}

/// The operations: each names its handler, its rate-limit policy (`=> Policy::…`) and
/// whether the scenario routes' second mount applies (`, AlsoUnderProject`).
macro_rules! operations {
    ($($module:ident :: $handler:ident $(=> $policy:expr)? $(, $mount:ident)?;)*) => {
        /// Every operation, in the list's order.
        pub fn operations() -> &'static [Operation] {
            static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
            OPERATIONS.get_or_init(|| vec![$(
                Operation {
                    doc: || {
                        #[derive(utoipa::OpenApi)]
                        #[openapi(paths($module::$handler))]
                        struct One;
                        <One as utoipa::OpenApi>::openapi()
                    },
                    handler: || web::route().to($module::$handler),
                    policy: [$(Some($policy),)? None][0],
                    mount: [$(Mount::$mount,)? Mount::Once][0],
                },
            )*])
        }
    };
}

operations! {
    health::banner;
    health::health;
    auth::register => Policy::Register;
    auth::verify_email => Policy::VerifyEmail;
    auth::resend_verification => Policy::ResendVerification;
    auth::login => Policy::Login;
    auth::refresh => Policy::Refresh;
    auth::logout;
    auth::me;
    master_data::master_data;
    master_data::master_data_fresh;
    cache::status;
    cache::invalidate;
    master_data::process_technologies;
    master_data::feedstocks;
    master_data::countries;
    master_data::utilities;
    master_data::products;
    master_data::units;
    projects::create_project;
    projects::list_projects;
    projects::get_project;
    projects::update_project;
    projects::delete_project;
    scenarios::create, AlsoUnderProject;
    scenarios::list, AlsoUnderProject;
    scenarios::get, AlsoUnderProject;
    scenarios::update, AlsoUnderProject;
    scenarios::delete, AlsoUnderProject;
    scenarios::draft, AlsoUnderProject;
    calculations::calculate => Policy::Calculate, AlsoUnderProject;
    calculations::status, AlsoUnderProject;
    calculations::calculate_sync => Policy::CalculateSync, AlsoUnderProject;
    calculations::get_job;
}

/// A mounted route: path pattern, method, handler and policy.
pub struct Mounted {
    pub path: String,
    pub method: Method,
    pub operation: &'static Operation,
}

/// Every route of the document, second mounts included, with its handler.
pub fn mounted() -> &'static [Mounted] {
    static MOUNTED: OnceLock<Vec<Mounted>> = OnceLock::new();
    MOUNTED.get_or_init(|| {
        let mut routes = Vec::new();
        for operation in operations() {
            let (path, method) = crate::openapi::path_and_method(&(operation.doc)());
            routes.push(Mounted {
                path: path.clone(),
                method: method.clone(),
                operation,
            });
            if operation.mount == Mount::AlsoUnderProject {
                routes.push(Mounted {
                    path: scope::under_project(&path),
                    method: method.clone(),
                    operation,
                });
            }
        }
        routes
    })
}

impl Mounted {
    fn route(&self) -> Route {
        let route = (self.operation.handler)().method(self.method.clone());
        match self.operation.policy {
            Some(policy) => route.wrap(from_fn(move |req, next| enforce(policy, req, next))),
            None => route,
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Kept on this port too: load balancers and compose's healthcheck probe the API's port.
    cfg.service(web::resource("/ready").route(web::get().to(safapac_ops::http::ready)));
    let mut routes: BTreeMap<&str, Vec<Route>> = BTreeMap::new();
    for mounted in mounted() {
        routes
            .entry(&mounted.path)
            .or_default()
            .push(mounted.route());
    }
    scope::register(cfg, routes);
}
