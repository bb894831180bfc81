//! The OpenAPI 3.1 document and the `/docs` page.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::routes::{auth, cache, calculations, health, master_data, projects, scenarios};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "SAFAPAC API",
        description = "Techno-economic analysis of sustainable aviation fuel: accounts, \
                       projects, scenarios and master data for the SAFAPAC dashboard."
    ),
    paths(
        health::banner,
        health::health,
        auth::register,
        auth::verify_email,
        auth::resend_verification,
        auth::login,
        auth::refresh,
        auth::logout,
        auth::me,
        master_data::master_data,
        master_data::master_data_fresh,
        cache::status,
        cache::invalidate,
        master_data::process_technologies,
        master_data::feedstocks,
        master_data::countries,
        master_data::utilities,
        master_data::products,
        master_data::units,
        projects::create_project,
        projects::list_projects,
        projects::get_project,
        projects::update_project,
        projects::delete_project,
        scenarios::create_nested,
        scenarios::list_nested,
        scenarios::get_nested,
        scenarios::update_nested,
        scenarios::delete_nested,
        scenarios::draft_nested,
        scenarios::create_direct,
        scenarios::list_direct,
        scenarios::get_direct,
        scenarios::update_direct,
        scenarios::delete_direct,
        scenarios::draft_direct,
        calculations::calculate_nested,
        calculations::calculate_direct,
        calculations::status_nested,
        calculations::status_direct,
        calculations::calculate_sync_nested,
        calculations::calculate_sync_direct,
        calculations::get_job,
    ),
    modifiers(&BearerAuth, &BodyResponses, &ResponseDescriptions)
)]
struct ApiDoc;

/// OpenAPI requires a description on every response; where a route gives none, the status
/// code's reason phrase ("OK", "Created", …) is used.
struct ResponseDescriptions;

impl Modify for ResponseDescriptions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for operation in operations_mut(openapi) {
            for (status, response) in &mut operation.responses.responses {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    response.description = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|code| StatusCode::from_u16(code).ok())
                        .and_then(|code| code.canonical_reason())
                        .unwrap_or("Response")
                        .to_owned();
                }
            }
        }
    }
}

/// Answers every route with a JSON body may give before its handler runs (the extractor in
/// `json_body`): malformed or too deeply nested JSON, a body too slow, too large or not JSON.
struct BodyResponses;

impl Modify for BodyResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let error_body = || Content::new(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))));
        for operation in operations_mut(openapi) {
            if operation.request_body.is_none() {
                continue;
            }
            for status in [
                StatusCode::BAD_REQUEST,
                StatusCode::REQUEST_TIMEOUT,
                StatusCode::PAYLOAD_TOO_LARGE,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ] {
                operation
                    .responses
                    .responses
                    .entry(status.as_str().to_owned())
                    .or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .content("application/json", error_body())
                                .build(),
                        )
                    });
            }
        }
    }
}

/// Every operation of the document (the routes use GET, PUT, POST, DELETE and PATCH).
fn operations_mut(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    openapi.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
    })
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The generated document (OpenAPI 3.1).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    // The crate version would churn the snapshot on every release bump; the API version is
    // the dashboard contract's.
    doc.info.version = "2.0.0".into();
    doc
}

/// The methods the document gives the route `pattern` (as actix spells it, e.g.
/// `/api/v1/projects/{project_id}`), for the `Allow` header of a 405; `None` for routes the
/// document does not describe (the operator endpoints).
pub fn allowed_methods(pattern: &str) -> Option<&'static str> {
    static ALLOWED: OnceLock<HashMap<String, String>> = OnceLock::new();
    let allowed = ALLOWED.get_or_init(|| {
        document()
            .paths
            .paths
            .into_iter()
            .map(|(path, item)| {
                let methods: Vec<&str> = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (path, methods.join(", "))
            })
            .collect()
    });
    allowed.get(pattern).map(String::as_str)
}

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// A page that loads the Scalar viewer from a CDN when opened: nothing is downloaded at
/// build time and nothing is bundled.
pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(DOCS_HTML)
}

const DOCS_HTML: &str = r#"<!doctype html>
<html>
  <head>
    <title>SAFAPAC API</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <script id="api-reference" data-url="/openapi.json"></script>
    <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"></script>
  </body>
</html>
"#;
