//! The OpenAPI 3.1 document (the `/docs` page that shows it is in `docs`).

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::{Method, StatusCode};
use utoipa::Modify;
use utoipa::openapi::path::{HttpMethod, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Required, ResponseBuilder};

use crate::routes::{Mount, operations, scope};

/// The document: the generated description of every operation of the route list, the
/// scenario routes' second mounts, the bearer scheme, and the answers every JSON body may get.
fn build() -> utoipa::openapi::OpenApi {
    let mut doc = utoipa::openapi::OpenApi::default();
    for operation in operations() {
        let mut one = (operation.doc)();
        if operation.mount == Mount::AlsoUnderProject {
            mount_under_project(&mut one);
        }
        if doc.paths.paths.is_empty() {
            // The generated info (licence from the crate), of any one operation.
            doc.info = one.info.clone();
        }
        doc.merge(one);
    }
    doc.info.title = "SAFAPAC API".into();
    doc.info.description = Some(
        "Techno-economic analysis of sustainable aviation fuel: accounts, projects, scenarios \
         and master data for the SAFAPAC dashboard."
            .into(),
    );
    // The crate version would churn the snapshot on every release bump; the API version is
    // the dashboard contract's.
    doc.info.version = "2.0.0".into();
    for modifier in [
        &BearerAuth as &dyn Modify,
        &BodyResponses,
        &ResponseDescriptions,
    ] {
        modifier.modify(&mut doc);
    }
    doc
}

/// The path and method of a document of one operation.
pub(crate) fn path_and_method(one: &utoipa::openapi::OpenApi) -> (String, Method) {
    let mut paths = one.paths.paths.clone();
    let Some((path, item)) = paths.pop_first() else {
        panic!("a route's document has no path");
    };
    let mut item = item;
    let Some((method, _)) = operations_of(&mut item).next() else {
        panic!("{path} has no operation");
    };
    (path, to_method(&method))
}

/// Documents the second mount of a scenario route (`one`, a document of that operation): the
/// same operation with the project in the path. Operation ids become `<id>_direct` and
/// `<id>_nested`, as in earlier releases.
fn mount_under_project(one: &mut utoipa::openapi::OpenApi) {
    let mut nested = Vec::new();
    for (path, item) in &mut one.paths.paths {
        for (method, operation) in operations_of(item) {
            let id = operation.operation_id.clone().unwrap_or_default();
            operation.operation_id = Some(format!("{id}_direct"));
            let mut under_project = operation.clone();
            under_project.operation_id = Some(format!("{id}_nested"));
            let params = under_project.parameters.get_or_insert_with(Vec::new);
            // The collection routes name the project in the query; below it, in the path.
            params.retain(|p| !matches!(p, RefOr::T(p) if p.name == "project_id"));
            params.insert(0, RefOr::T(project_id_in_path()));
            nested.push((scope::under_project(path), method, under_project));
        }
    }
    for (path, method, operation) in nested {
        one.paths.add_path_operation(path, vec![method], operation);
    }
}

fn project_id_in_path() -> Parameter {
    ParameterBuilder::new()
        .name("project_id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        ))
        .build()
}

fn to_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Post => Method::POST,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Trace => Method::TRACE,
    }
}

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

/// Every operation of a path item with its method (the routes use GET, PUT, POST, DELETE
/// and PATCH).
fn operations_of(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = (HttpMethod, &mut utoipa::openapi::path::Operation)> {
    [
        (HttpMethod::Get, &mut item.get),
        (HttpMethod::Put, &mut item.put),
        (HttpMethod::Post, &mut item.post),
        (HttpMethod::Delete, &mut item.delete),
        (HttpMethod::Patch, &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation.as_mut()?)))
}

/// Every operation of the document.
fn operations_mut(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    openapi
        .paths
        .paths
        .values_mut()
        .flat_map(|item| operations_of(item).map(|(_, operation)| operation))
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
    build()
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_mounted_route_is_documented_once_under_a_unique_id() {
        let mut doc = document();
        let mut ids = HashSet::new();
        let mut documented = HashSet::new();
        for (path, item) in &mut doc.paths.paths {
            for (method, operation) in operations_of(item) {
                let id = operation.operation_id.clone().unwrap_or_default();
                assert!(ids.insert(id.clone()), "operation id {id} used twice");
                documented.insert((path.clone(), to_method(&method)));
            }
        }
        let mounted: HashSet<(String, Method)> = crate::routes::mounted()
            .iter()
            .map(|route| (route.path.clone(), route.method.clone()))
            .collect();
        assert_eq!(
            mounted.len(),
            crate::routes::mounted().len(),
            "a route mounted twice"
        );
        assert_eq!(documented, mounted);
    }
}
