//! Registering routes as a tree of scopes, and the second mount of the scenario routes.
//!
//! Routes are grouped in nested scopes by their path segments, so a request is matched by a
//! few string comparisons and at most one pattern per segment instead of by trying every
//! route's pattern in turn (that scan was a sixth of the API's CPU time on the status poll).

use std::collections::BTreeMap;

use actix_web::{Resource, Route, web};

/// Where the scenario routes are documented.
const SCENARIOS: &str = "/api/v1/scenarios";
/// Where they are mounted a second time, with the project in the path.
const PROJECT_SCENARIOS: &str = "/api/v1/projects/{project_id}/scenarios";

/// The second mount of a path under `/api/v1/scenarios`:
/// `/api/v1/scenarios/{scenario_id}/draft` → `/api/v1/projects/{project_id}/scenarios/
/// {scenario_id}/draft`.
pub fn under_project(path: &str) -> String {
    match path.strip_prefix(SCENARIOS) {
        Some(rest) => format!("{PROJECT_SCENARIOS}{rest}"),
        None => panic!("{path} is not a scenario route; only those are mounted twice"),
    }
}

#[derive(Default)]
struct Node {
    routes: Vec<Route>,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn insert(&mut self, path: &str, routes: Vec<Route>) {
        let mut node = self;
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            node = node.children.entry(segment.to_owned()).or_default();
        }
        node.routes.extend(routes);
    }

    /// Children with static segments first: a literal must be tried before a `{param}`
    /// sibling that would also match it.
    fn children_in_order(self) -> impl Iterator<Item = (String, Node)> {
        let (dynamic, fixed): (Vec<_>, Vec<_>) = self
            .children
            .into_iter()
            .partition(|(segment, _)| segment.starts_with('{'));
        fixed.into_iter().chain(dynamic)
    }
}

/// Registers `routes` (by path pattern) on `cfg`.
pub fn register(cfg: &mut web::ServiceConfig, routes: BTreeMap<&str, Vec<Route>>) {
    let mut root = Node::default();
    for (path, routes) in routes {
        root.insert(path, routes);
    }
    if !root.routes.is_empty() {
        cfg.service(with_routes(
            web::resource("/"),
            std::mem::take(&mut root.routes),
        ));
    }
    for (segment, child) in root.children_in_order() {
        register_node(cfg, format!("/{segment}"), child);
    }
}

fn register_node(cfg: &mut web::ServiceConfig, mut path: String, mut node: Node) {
    // A segment with nothing of its own and one literal child joins it (`/api` + `/v1`). A
    // `{param}` child stays a level of its own: joined, `/jobs/{job_id}` would be one pattern,
    // which actix matches with a regular expression against every request that reaches it in
    // registration order, instead of comparing the literal `jobs` first.
    while node.routes.is_empty()
        && node.children.len() == 1
        && node
            .children
            .keys()
            .next()
            .is_some_and(|segment| !segment.starts_with('{'))
    {
        let Some((segment, child)) = node.children.pop_first() else {
            break;
        };
        path = format!("{path}/{segment}");
        node = child;
    }
    if node.children.is_empty() {
        cfg.service(with_routes(web::resource(path), node.routes));
        return;
    }
    cfg.service(web::scope(&path).configure(move |inner| {
        if !node.routes.is_empty() {
            inner.service(with_routes(
                web::resource(""),
                std::mem::take(&mut node.routes),
            ));
        }
        for (segment, child) in node.children_in_order() {
            register_node(inner, format!("/{segment}"), child);
        }
    }));
}

fn with_routes(mut resource: Resource, routes: Vec<Route>) -> Resource {
    for route in routes {
        resource = resource.route(route);
    }
    resource
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_routes_are_mounted_again_under_their_project() {
        assert_eq!(
            under_project("/api/v1/scenarios"),
            "/api/v1/projects/{project_id}/scenarios"
        );
        assert_eq!(
            under_project("/api/v1/scenarios/{scenario_id}/calculate/sync"),
            "/api/v1/projects/{project_id}/scenarios/{scenario_id}/calculate/sync"
        );
    }
}
