//! The deployment files, checked without a container engine: docker-compose.yml has the
//! services, images, healthchecks, dependencies, volumes and Redis settings the README
//! promises, and every variable it hands a SAFAPAC process is one that process reads.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::PathBuf;

use safapac_api::config::Config;
use safapac_worker::WorkerSettings;
use serde_yaml::Value;

fn repo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn compose() -> Value {
    let mut compose: Value = serde_yaml::from_str(&repo_file("docker-compose.yml")).unwrap();
    // `<<: *anchor` merge keys, as docker compose applies them; a merged mapping may hold a
    // merge key of its own, hence one pass per level of nesting.
    for _ in 0..3 {
        compose.apply_merge().unwrap();
    }
    compose
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("not a list: {value:?}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// Names looked up while building a configuration from `vars`.
fn looked_up<T, E: std::fmt::Debug>(
    vars: &[(&str, &str)],
    build: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> Result<T, E>,
) -> BTreeSet<String> {
    let seen = RefCell::new(BTreeSet::new());
    let lookup = |name: &str| {
        seen.borrow_mut().insert(name.to_owned());
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    };
    build(&lookup).unwrap();
    seen.into_inner()
}

/// Every variable `safapac-api` reads (both commands): development defaults, then
/// production with SMTP, so conditional settings are looked up too.
fn api_vars() -> BTreeSet<String> {
    let production = [
        ("SAFAPAC_ENV", "production"),
        ("SAFAPAC_SECRET_KEY", "k-0123456789-0123456789-0123456789"),
        ("SAFAPAC_SMTP_HOST", "smtp.example.org"),
    ];
    let mut vars = looked_up(&[], |l| Config::from_lookup(l));
    vars.extend(looked_up(&production, |l| Config::from_lookup(l)));
    vars.extend(safapac_ops::logging::ENV_VARS.iter().map(|v| v.to_string()));
    vars
}

fn worker_vars() -> BTreeSet<String> {
    let mut vars = looked_up(&[], |l| WorkerSettings::from_lookup(l));
    vars.extend(safapac_worker::ops::ENV_VARS.iter().map(|v| v.to_string()));
    vars.extend(safapac_ops::logging::ENV_VARS.iter().map(|v| v.to_string()));
    vars
}

fn environment(service: &Value) -> BTreeSet<String> {
    service["environment"]
        .as_mapping()
        .map(|m| m.keys().map(|k| k.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn compose_has_every_service_with_its_image_command_and_dependencies() {
    let compose = compose();
    let services = &compose["services"];
    let names: BTreeSet<&str> = services
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["postgres", "redis", "migrate", "api", "worker"])
    );

    assert!(
        services["postgres"]["image"]
            .as_str()
            .unwrap()
            .starts_with("postgres:")
    );
    assert!(
        services["redis"]["image"]
            .as_str()
            .unwrap()
            .starts_with("redis:")
    );
    // One image built once (by migrate, which runs first), run with three commands.
    assert_eq!(services["migrate"]["build"].as_str(), Some("."));
    for (service, command) in [
        ("migrate", ["safapac-api", "migrate"]),
        ("api", ["safapac-api", "serve"]),
        ("worker", ["safapac-worker", "run"]),
    ] {
        assert_eq!(services[service]["image"].as_str(), Some("safapac:latest"));
        assert_eq!(strings(&services[service]["command"]), command);
    }
    assert_eq!(services["migrate"]["restart"].as_str(), Some("no"));

    let depends = |service: &str, on: &str| {
        services[service]["depends_on"][on]["condition"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(
        depends("migrate", "postgres").as_deref(),
        Some("service_healthy")
    );
    for service in ["api", "worker"] {
        assert_eq!(
            depends(service, "migrate").as_deref(),
            Some("service_completed_successfully")
        );
        assert_eq!(
            depends(service, "redis").as_deref(),
            Some("service_healthy")
        );
        // Scalable: no fixed container name, and at most a port range on the host.
        assert!(services[service]["container_name"].is_null());
    }
    assert!(services["worker"]["ports"].is_null());
    assert_eq!(strings(&services["api"]["ports"]), ["8000-8003:8000"]);
}

#[test]
fn healthchecks_probe_readiness_and_the_data_stores() {
    let compose = compose();
    let services = &compose["services"];
    let test = |service: &str| strings(&services[service]["healthcheck"]["test"]).join(" ");
    assert_eq!(test("api"), "CMD curl -fsS http://127.0.0.1:8000/ready");
    assert_eq!(test("worker"), "CMD curl -fsS http://127.0.0.1:9100/ready");
    assert!(test("postgres").contains("pg_isready"));
    assert!(test("redis").contains("redis-cli ping"));
    // The worker's operator port must listen beyond loopback for its healthcheck's peers.
    assert_eq!(
        services["worker"]["environment"]["SAFAPAC_WORKER_HTTP_ADDR"].as_str(),
        Some("0.0.0.0:9100")
    );
    assert_eq!(
        services["api"]["environment"]["SAFAPAC_BIND"].as_str(),
        Some("0.0.0.0:8000")
    );
}

#[test]
fn metrics_reach_the_private_network_but_are_never_published() {
    let compose = compose();
    let services = &compose["services"];
    // Beyond the container's loopback, for a scraper on the compose network...
    assert_eq!(
        services["api"]["environment"]["SAFAPAC_METRICS_ADDR"].as_str(),
        Some("0.0.0.0:9101")
    );
    // ...and no host port for either operator listener.
    assert_eq!(strings(&services["api"]["ports"]), ["8000-8003:8000"]);
    assert!(services["worker"]["ports"].is_null());
    // The one-shot migration serves nothing.
    assert!(!environment(&services["migrate"]).contains("SAFAPAC_METRICS_ADDR"));
}

#[test]
fn data_lives_on_volumes_and_redis_never_evicts_the_queue() {
    let compose = compose();
    let services = &compose["services"];
    let volumes: BTreeSet<&str> = compose["volumes"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(
        strings(&services["postgres"]["volumes"]),
        ["postgres-data:/var/lib/postgresql/data"]
    );
    assert_eq!(strings(&services["redis"]["volumes"]), ["redis-data:/data"]);
    assert_eq!(volumes, BTreeSet::from(["postgres-data", "redis-data"]));
    let command = strings(&services["redis"]["command"]).join(" ");
    assert!(command.contains("--appendonly yes"), "{command}");
    assert!(
        command.contains("--maxmemory-policy noeviction"),
        "{command}"
    );
}

#[test]
fn every_variable_compose_sets_is_read_by_the_binary_it_runs() {
    let compose = compose();
    let services = &compose["services"];
    let api = api_vars();
    let worker = worker_vars();
    for (service, reads) in [("migrate", &api), ("api", &api), ("worker", &worker)] {
        let set = environment(&services[service]);
        assert!(set.contains("DATABASE_URL") && set.contains("REDIS_URL"));
        let unread: Vec<&String> = set.difference(reads).collect();
        assert!(
            unread.is_empty(),
            "{service} sets variables it never reads: {unread:?}"
        );
    }
    // Production settings the API refuses to start without.
    let set = environment(&services["api"]);
    for required in ["SAFAPAC_ENV", "SAFAPAC_SECRET_KEY", "SAFAPAC_SMTP_HOST"] {
        assert!(set.contains(required), "{required}");
    }
}

#[test]
fn secrets_come_from_the_env_file_and_the_example_names_them_all() {
    let text = repo_file("docker-compose.yml");
    let example = repo_file(".env.example");
    let example_names: BTreeSet<&str> = example
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    // Every ${NAME...} reference in the compose file is filled from .env.
    let referenced: BTreeSet<&str> = text
        .split("${")
        .skip(1)
        .map(|rest| rest.split([':', '}', '-']).next().unwrap())
        .collect();
    assert_eq!(referenced, example_names);
    for secret in [
        "SAFAPAC_SECRET_KEY",
        "POSTGRES_PASSWORD",
        "SAFAPAC_SMTP_PASSWORD",
    ] {
        for line in text.lines().filter(|l| l.contains(&format!("{secret}:"))) {
            assert!(line.contains("${"), "{secret} has a literal value: {line}");
        }
    }
}

#[test]
fn the_image_builds_both_binaries_and_runs_unprivileged() {
    let dockerfile = repo_file("Dockerfile");
    let stages: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(stages.len(), 2, "{stages:?}");
    assert!(stages[0].starts_with("FROM rust:1.95"));
    assert!(stages[1].starts_with("FROM debian:") && stages[1].contains("slim"));
    assert!(dockerfile.contains("-p safapac-api -p safapac-worker"));
    assert!(dockerfile.contains("--locked"));
    let user = dockerfile
        .lines()
        .rfind(|l| l.starts_with("USER "))
        .unwrap();
    assert_ne!(user.trim(), "USER root");
    assert!(repo_file(".dockerignore").lines().any(|l| l == ".env"));
}

/// Read by the API but documented in the README's pipeline section with the queue settings.
const DOCUMENTED_WITH_THE_PIPELINE: &[&str] = &["SAFAPAC_EMBEDDED_WORKER"];

#[test]
fn the_readme_documents_every_variable_the_binaries_read() {
    let readme = repo_file("README.md");
    // The queue and worker settings have their own table in the pipeline section.
    let pipeline = looked_up(&[], |l| WorkerSettings::from_lookup(l));
    let mut vars = api_vars();
    vars.extend(worker_vars());
    let undocumented: Vec<&String> = vars
        .iter()
        .filter(|v| !pipeline.contains(*v) && !DOCUMENTED_WITH_THE_PIPELINE.contains(&v.as_str()))
        .filter(|v| !readme.contains(&format!("| `{v}`")) && !readme.contains(&format!(", `{v}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "not in a README table: {undocumented:?}"
    );
}
