//! Settings from the environment (and an optional `.env`), read once at start-up. A missing
//! or malformed value stops start-up with one line naming the variable.

use std::net::{SocketAddr, ToSocketAddrs};
use std::str::FromStr;
use std::time::Duration;

use lettre::message::Mailbox;
use safapac_db::PoolSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Migrates at boot, creates the database, may generate a signing secret, logs mail links.
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a local relay or a test server.
    None,
}

#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub security: SmtpSecurity,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub enum MailTransport {
    Smtp(SmtpSettings),
    /// Writes mails to the log instead of sending them.
    Log,
}

#[derive(Clone)]
pub struct Config {
    pub environment: Environment,
    pub bind: SocketAddr,
    /// `SAFAPAC_METRICS_ADDR`: where the operator listener (`/metrics`, `/ready`, `/health`)
    /// listens; every address a host name resolved to. Empty when switched `off`.
    pub metrics_addrs: Vec<SocketAddr>,
    pub database: PoolSettings,
    /// HS256 signing key.
    pub secret_key: Vec<u8>,
    /// True when no key was configured and a random one was generated (development only):
    /// tokens then die with the process.
    pub secret_key_generated: bool,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// How long a rotated refresh token may be presented again without revoking its family.
    pub refresh_reuse_grace: Duration,
    pub verification_token_ttl: Duration,
    /// Origin of the dashboard; verification links point there.
    pub frontend_url: String,
    pub cors_origins: Vec<String>,
    pub mail_transport: MailTransport,
    pub mail_from: Mailbox,
    /// Argon2 hashes allowed to run at once (each needs 19 MiB and a core for ~tens of ms).
    pub password_hash_concurrency: usize,
    pub max_body_bytes: usize,
    /// `SAFAPAC_ACCOUNT_CHECK_TTL_MS`: how long a successful check of the account behind a
    /// bearer token is reused (0: every request reads the database).
    pub account_check_ttl: Duration,
    /// `SAFAPAC_STATUS_CACHE_MB`: memory for finished calculation-status answers (0: none,
    /// every poll reads PostgreSQL).
    pub status_cache_bytes: usize,
    /// Bounds on how long one client may hold a connection without making progress.
    pub http_timeouts: HttpTimeouts,
    /// Serve `/openapi.json` and `/docs`.
    pub api_docs: bool,
    /// `SAFAPAC_ACCESS_LOG`: one INFO line per request (method, route, status, duration,
    /// request id). Off leaves every other line, warnings and errors included.
    pub access_log: bool,
    /// Redis: the queue, the key prefix and the master-data cache's lifetime, read alike by
    /// every worker.
    pub queue: safapac_queue::QueueSettings,
    /// Also run the queue consumer and sweeper in this process (`--with-worker`); only the
    /// binary built with the `embedded-worker` feature can.
    pub embedded_worker: bool,
    /// Per-client limits of the auth and calculation routes, and the flood shield.
    pub rate_limits: crate::limits::RateLimitSettings,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("environment", &self.environment)
            .field("bind", &self.bind)
            .field("metrics_addrs", &self.metrics_addrs)
            .field("frontend_url", &self.frontend_url)
            .field("cors_origins", &self.cors_origins)
            .field("mail_transport", &self.mail_transport)
            .finish_non_exhaustive()
    }
}

/// What a slow or silent client may cost: actix bounds a connection's first request head and
/// the idle time between requests, `head_timer` every later head; the body deadline is
/// enforced by the JSON extractor, because actix-http stops timing a request once its head has
/// arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTimeouts {
    /// `SAFAPAC_CLIENT_REQUEST_TIMEOUT_MS`: every request head (request line and headers)
    /// must arrive within this of its first byte (a connection's first head: of the
    /// connection's opening); otherwise 408 and the connection is closed.
    pub request_head: Duration,
    /// `SAFAPAC_BODY_TIMEOUT_MS`: a JSON body must be complete this long after its handler
    /// starts reading it; otherwise 408 and the connection is closed.
    pub body: Duration,
    /// `SAFAPAC_CLIENT_DISCONNECT_TIMEOUT_MS`: how long a closing connection may linger
    /// (unread body being discarded, shutdown handshake) before it is dropped.
    pub disconnect: Duration,
    /// `SAFAPAC_KEEP_ALIVE_SECS`: an idle keep-alive connection is closed after this; zero
    /// closes every connection after one answer.
    pub keep_alive: Duration,
}

impl Default for HttpTimeouts {
    fn default() -> Self {
        HttpTimeouts {
            request_head: Duration::from_secs(5),
            body: Duration::from_secs(10),
            disconnect: Duration::from_secs(1),
            keep_alive: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

fn invalid(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        problem: problem.into(),
    }
}

/// Loopback: the series name routes and counts that are for the operator's scraper only.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9101";
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/safapac";
const MIN_SECRET_BYTES: usize = 32;
/// Values copied from examples and tutorials; a key equal to one of them is as good as none.
const PLACEHOLDER_SECRETS: [&str; 6] = [
    "changeme",
    "change-me",
    "secret",
    "your-secret-key",
    "your-secret-key-here",
    "your-secret-key-change-in-production",
];

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let environment = match get("SAFAPAC_ENV").as_deref().map(str::trim) {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(invalid(
                    "SAFAPAC_ENV",
                    format!("expected development or production, got {other:?}"),
                ));
            }
        };
        let dev = environment == Environment::Development;

        let bind = parse(
            &get,
            "SAFAPAC_BIND",
            SocketAddr::from(([127, 0, 0, 1], 8000)),
        )?;

        let metrics_addrs = metrics_addrs(get("SAFAPAC_METRICS_ADDR").as_deref(), bind)?;

        let mut database =
            PoolSettings::new(get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()));
        if safapac_db::migrate::database_name(&database.database_url).is_none() {
            return Err(invalid(
                "DATABASE_URL",
                "expected postgres://user@host:port/database",
            ));
        }
        // More connections than cores only moves the queue from the pool into PostgreSQL,
        // where the extra backends compete for the same cores (measured: 20 connections on
        // this project's 2-core machine served project reads at 9,400/s with a p99 of 33 ms
        // at 200 clients, 8 connections at 11,700/s with a p99 of 25 ms).
        database.max_size = parse(&get, "SAFAPAC_DB_POOL_SIZE", 4 * cores())?;
        if database.max_size == 0 {
            return Err(invalid("SAFAPAC_DB_POOL_SIZE", "must be at least 1"));
        }
        database.wait_timeout = millis(&get, "SAFAPAC_DB_WAIT_TIMEOUT_MS", 5_000)?;
        database.create_timeout = millis(&get, "SAFAPAC_DB_CREATE_TIMEOUT_MS", 5_000)?;
        database.recycle_timeout = millis(&get, "SAFAPAC_DB_RECYCLE_TIMEOUT_MS", 2_000)?;

        let (secret_key, secret_key_generated) = match get("SAFAPAC_SECRET_KEY") {
            Some(key) => {
                if key.len() < MIN_SECRET_BYTES {
                    return Err(invalid(
                        "SAFAPAC_SECRET_KEY",
                        format!("must be at least {MIN_SECRET_BYTES} bytes"),
                    ));
                }
                if PLACEHOLDER_SECRETS.contains(&key.trim().to_ascii_lowercase().as_str()) {
                    return Err(invalid("SAFAPAC_SECRET_KEY", "is a well-known placeholder"));
                }
                (key.into_bytes(), false)
            }
            None if dev => {
                let mut key = vec![0u8; 64];
                getrandom::fill(&mut key)
                    .map_err(|e| invalid("SAFAPAC_SECRET_KEY", format!("cannot generate: {e}")))?;
                (key, true)
            }
            None => {
                return Err(invalid(
                    "SAFAPAC_SECRET_KEY",
                    "required outside development (at least 32 random bytes)",
                ));
            }
        };

        let access_token_ttl = minutes(&get, "SAFAPAC_ACCESS_TOKEN_MINUTES", 60)?;
        let refresh_token_ttl = Duration::from_secs(
            parse(&get, "SAFAPAC_REFRESH_TOKEN_DAYS", 7u64)?.saturating_mul(86_400),
        );
        let refresh_reuse_grace =
            Duration::from_secs(parse(&get, "SAFAPAC_REFRESH_REUSE_GRACE_SECONDS", 10u64)?);
        let verification_token_ttl = Duration::from_secs(
            parse(&get, "SAFAPAC_VERIFICATION_TOKEN_HOURS", 24u64)?.saturating_mul(3_600),
        );
        if access_token_ttl.is_zero() {
            return Err(invalid(
                "SAFAPAC_ACCESS_TOKEN_MINUTES",
                "must be at least 1",
            ));
        }

        let frontend_url = get("SAFAPAC_FRONTEND_URL")
            .unwrap_or_else(|| "http://localhost:3000".into())
            .trim_end_matches('/')
            .to_owned();
        if !(frontend_url.starts_with("http://") || frontend_url.starts_with("https://")) {
            return Err(invalid("SAFAPAC_FRONTEND_URL", "expected an http(s) URL"));
        }
        let cors_origins = match get("SAFAPAC_CORS_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            None if dev => vec![
                "http://localhost:3000".to_owned(),
                "http://127.0.0.1:3000".to_owned(),
            ],
            None => vec![origin_of(&frontend_url)],
        };
        if let Some(bad) = cors_origins
            .iter()
            .find(|o| *o == "*" || !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(invalid(
                "SAFAPAC_CORS_ORIGINS",
                format!("expected http(s) origins separated by commas, got {bad:?}"),
            ));
        }

        let mail_transport = match get("SAFAPAC_MAIL_TRANSPORT").as_deref() {
            None if dev => MailTransport::Log,
            Some("log") => MailTransport::Log,
            None | Some("smtp") => MailTransport::Smtp(SmtpSettings {
                host: get("SAFAPAC_SMTP_HOST").ok_or_else(|| {
                    invalid("SAFAPAC_SMTP_HOST", "required with the smtp mail transport")
                })?,
                port: parse(&get, "SAFAPAC_SMTP_PORT", 587u16)?,
                username: get("SAFAPAC_SMTP_USERNAME"),
                password: get("SAFAPAC_SMTP_PASSWORD"),
                security: match get("SAFAPAC_SMTP_SECURITY").as_deref() {
                    None | Some("starttls") => SmtpSecurity::StartTls,
                    Some("tls") => SmtpSecurity::Tls,
                    Some("none") => SmtpSecurity::None,
                    Some(other) => {
                        return Err(invalid(
                            "SAFAPAC_SMTP_SECURITY",
                            format!("expected starttls, tls or none, got {other:?}"),
                        ));
                    }
                },
            }),
            Some(other) => {
                return Err(invalid(
                    "SAFAPAC_MAIL_TRANSPORT",
                    format!("expected smtp or log, got {other:?}"),
                ));
            }
        };
        let mail_from = parse(
            &get,
            "SAFAPAC_MAIL_FROM",
            Mailbox::from_str("SAFAPAC <no-reply@localhost>")
                .map_err(|e| invalid("SAFAPAC_MAIL_FROM", e.to_string()))?,
        )?;

        let password_hash_concurrency = parse(&get, "SAFAPAC_PASSWORD_HASH_CONCURRENCY", cores())?;
        if password_hash_concurrency == 0 {
            return Err(invalid(
                "SAFAPAC_PASSWORD_HASH_CONCURRENCY",
                "must be at least 1",
            ));
        }
        let max_body_bytes = parse(&get, "SAFAPAC_MAX_BODY_BYTES", 256 * 1024usize)?;
        let account_check_ttl = millis(&get, "SAFAPAC_ACCOUNT_CHECK_TTL_MS", 5_000)?;
        if account_check_ttl > Duration::from_secs(60) {
            return Err(invalid(
                "SAFAPAC_ACCOUNT_CHECK_TTL_MS",
                "must be at most 60000 (a removed account keeps access that long)",
            ));
        }
        let status_cache_mb = parse(&get, "SAFAPAC_STATUS_CACHE_MB", 64usize)?;
        if status_cache_mb > 65_536 {
            return Err(invalid(
                "SAFAPAC_STATUS_CACHE_MB",
                "must be at most 65536 (64 GiB)",
            ));
        }
        let defaults = HttpTimeouts::default();
        // Zero would switch a bound off (actix's convention), so it is refused.
        let positive_millis = |name: &'static str, default: Duration| {
            let value = millis(&get, name, default.as_millis() as u64)?;
            if value.is_zero() {
                return Err(invalid(name, "must be at least 1"));
            }
            Ok(value)
        };
        let http_timeouts = HttpTimeouts {
            request_head: positive_millis(
                "SAFAPAC_CLIENT_REQUEST_TIMEOUT_MS",
                defaults.request_head,
            )?,
            body: positive_millis("SAFAPAC_BODY_TIMEOUT_MS", defaults.body)?,
            disconnect: positive_millis(
                "SAFAPAC_CLIENT_DISCONNECT_TIMEOUT_MS",
                defaults.disconnect,
            )?,
            keep_alive: Duration::from_secs(parse(
                &get,
                "SAFAPAC_KEEP_ALIVE_SECS",
                defaults.keep_alive.as_secs(),
            )?),
        };
        let api_docs = parse_bool(&get, "SAFAPAC_API_DOCS", dev)?;
        let access_log = on_off(&get, "SAFAPAC_ACCESS_LOG", true)?;
        let queue = safapac_queue::QueueSettings::from_lookup(get)
            .map_err(|e| invalid(e.name, e.problem))?;
        let embedded_worker = parse_bool(&get, "SAFAPAC_EMBEDDED_WORKER", false)?;
        let rate_limits = crate::limits::RateLimitSettings::from_lookup(get)?;

        Ok(Config {
            environment,
            bind,
            metrics_addrs,
            database,
            secret_key,
            secret_key_generated,
            access_token_ttl,
            refresh_token_ttl,
            refresh_reuse_grace,
            verification_token_ttl,
            frontend_url,
            cors_origins,
            mail_transport,
            mail_from,
            password_hash_concurrency,
            max_body_bytes,
            account_check_ttl,
            status_cache_bytes: status_cache_mb * 1024 * 1024,
            http_timeouts,
            api_docs,
            access_log,
            queue,
            embedded_worker,
            rate_limits,
        })
    }

    pub fn is_development(&self) -> bool {
        self.environment == Environment::Development
    }
}

fn parse<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match get(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e| invalid(name, format!("cannot parse {:?}: {e}", raw.trim()))),
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    switch(get, name, default, "true or false")
}

/// A switch documented as `on`/`off`; the boolean spellings are accepted too.
fn on_off(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    switch(get, name, default, "on or off")
}

/// Every spelling of yes and no; a refusal names the documented one, `expected`.
fn switch(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
    expected: &str,
) -> Result<bool, ConfigError> {
    match get(name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(invalid(name, format!("expected {expected}, got {other:?}"))),
    }
}

fn millis(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
) -> Result<Duration, ConfigError> {
    Ok(Duration::from_millis(parse(get, name, default)?))
}

fn minutes(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
) -> Result<Duration, ConfigError> {
    Ok(Duration::from_secs(
        parse(get, name, default)?.saturating_mul(60),
    ))
}

/// `SAFAPAC_METRICS_ADDR`: unset (or blank, like every setting) is the loopback default,
/// `off` is no listener, anything else is `host:port` (an IP literal, `[v6]:port`, or a
/// name resolved now, so a typo stops start-up instead of the first scrape). Port 0 picks a
/// free port.
fn metrics_addrs(raw: Option<&str>, bind: SocketAddr) -> Result<Vec<SocketAddr>, ConfigError> {
    const NAME: &str = "SAFAPAC_METRICS_ADDR";
    let raw = raw.map_or(DEFAULT_METRICS_ADDR, str::trim);
    if raw.eq_ignore_ascii_case("off") {
        return Ok(Vec::new());
    }
    let addrs = match raw.parse::<SocketAddr>() {
        Ok(addr) => vec![addr],
        Err(_) => {
            let expected = || invalid(NAME, format!("expected host:port or off, got {raw:?}"));
            let (host, port) = raw.rsplit_once(':').ok_or_else(expected)?;
            if host.is_empty() || host.contains(':') || host.contains('/') {
                return Err(expected());
            }
            let port: u16 = port.parse().map_err(|_| {
                invalid(
                    NAME,
                    format!("port {port:?} of {raw:?} is not a number from 0 to 65535"),
                )
            })?;
            let mut addrs: Vec<SocketAddr> = (host, port)
                .to_socket_addrs()
                .map_err(|e| invalid(NAME, format!("cannot resolve {host:?}: {e}")))?
                .collect();
            addrs.sort();
            addrs.dedup();
            if addrs.is_empty() {
                return Err(invalid(NAME, format!("{host:?} resolves to no address")));
            }
            addrs
        }
    };
    // Caught here, the clash names both settings; at bind time it would be "address in use".
    let overlaps = |a: &SocketAddr| {
        a.port() != 0
            && a.port() == bind.port()
            && (a.ip() == bind.ip() || a.ip().is_unspecified() || bind.ip().is_unspecified())
    };
    if let Some(clash) = addrs.iter().find(|a| overlaps(a)) {
        return Err(invalid(
            NAME,
            format!(
                "{clash} overlaps SAFAPAC_BIND ({bind}); the operator listener needs its own port"
            ),
        ));
    }
    Ok(addrs)
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url[..after_scheme + i].to_owned(),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn the_access_log_is_on_unless_switched_off() {
        assert!(config(&[]).unwrap().access_log);
        for (value, on) in [
            ("on", true),
            (" OFF ", false),
            ("off", false),
            ("true", true),
        ] {
            let c = config(&[("SAFAPAC_ACCESS_LOG", value)]).unwrap();
            assert_eq!(c.access_log, on, "{value}");
        }
        let err = config(&[("SAFAPAC_ACCESS_LOG", "quiet")]).unwrap_err();
        assert_eq!(err.name, "SAFAPAC_ACCESS_LOG");
        assert_eq!(
            err.to_string(),
            r#"SAFAPAC_ACCESS_LOG: expected on or off, got "quiet""#
        );
    }

    #[test]
    fn development_defaults_run_on_a_local_machine() {
        let c = config(&[]).unwrap();
        assert!(c.is_development());
        assert_eq!(c.bind.to_string(), "127.0.0.1:8000");
        assert_eq!(c.database.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.database.max_size, 4 * cores());
        assert!(c.secret_key_generated);
        assert!(c.secret_key.len() >= MIN_SECRET_BYTES);
        assert_eq!(
            c.cors_origins,
            ["http://localhost:3000", "http://127.0.0.1:3000"]
        );
        assert!(matches!(c.mail_transport, MailTransport::Log));
        assert!(c.api_docs);
        assert_eq!(c.http_timeouts, HttpTimeouts::default());
        assert_eq!(c.metrics_addrs, [SocketAddr::from(([127, 0, 0, 1], 9101))]);
    }

    #[test]
    fn the_metrics_listener_takes_host_port_or_off() {
        let addrs =
            |value: &str| config(&[("SAFAPAC_METRICS_ADDR", value)]).map(|c| c.metrics_addrs);
        assert!(addrs("off").unwrap().is_empty());
        assert!(addrs(" OFF ").unwrap().is_empty());
        // Blank is unset, as for every setting (compose's `${VAR:-}` hands over "").
        assert_eq!(addrs("").unwrap(), addrs("127.0.0.1:9101").unwrap());
        assert_eq!(
            addrs("0.0.0.0:9101").unwrap(),
            [SocketAddr::from(([0, 0, 0, 0], 9101))]
        );
        assert_eq!(addrs("[::1]:0").unwrap()[0].to_string(), "[::1]:0");
        // A name is resolved at start-up (localhost may also give ::1).
        let local = addrs("localhost:9102").unwrap();
        assert!(
            local.contains(&SocketAddr::from(([127, 0, 0, 1], 9102))),
            "{local:?}"
        );
        assert!(
            local
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 9102)
        );
    }

    #[test]
    fn a_bad_metrics_address_says_what_is_wrong() {
        for (value, says) in [
            ("9101", "expected host:port or off, got \"9101\""),
            (":9101", "expected host:port or off"),
            ("http://127.0.0.1:9101", "expected host:port or off"),
            (
                "127.0.0.1:99999",
                "port \"99999\" of \"127.0.0.1:99999\" is not a number",
            ),
            ("localhost:metrics", "port \"metrics\""),
            (
                "no-such-host.invalid:9101",
                "cannot resolve \"no-such-host.invalid\"",
            ),
            ("127.0.0.1:8000", "overlaps SAFAPAC_BIND (127.0.0.1:8000)"),
            ("0.0.0.0:8000", "overlaps SAFAPAC_BIND"),
        ] {
            let err = config(&[("SAFAPAC_METRICS_ADDR", value)]).unwrap_err();
            assert_eq!(err.name, "SAFAPAC_METRICS_ADDR", "{value}");
            assert!(
                err.to_string().starts_with("SAFAPAC_METRICS_ADDR: ") && err.problem.contains(says),
                "{value}: {err}"
            );
        }
        // Both on port 0: each gets its own free port, no clash.
        let free = config(&[
            ("SAFAPAC_BIND", "127.0.0.1:0"),
            ("SAFAPAC_METRICS_ADDR", "127.0.0.1:0"),
        ]);
        assert!(free.is_ok());
    }

    #[test]
    fn production_requires_a_strong_secret_and_smtp() {
        let missing = config(&[("SAFAPAC_ENV", "production")]).unwrap_err();
        assert_eq!(missing.name, "SAFAPAC_SECRET_KEY");
        let short = config(&[("SAFAPAC_ENV", "production"), ("SAFAPAC_SECRET_KEY", "abc")]);
        assert_eq!(short.unwrap_err().name, "SAFAPAC_SECRET_KEY");
        let key = "k".repeat(40);
        let no_smtp = config(&[("SAFAPAC_ENV", "production"), ("SAFAPAC_SECRET_KEY", &key)]);
        assert_eq!(no_smtp.unwrap_err().name, "SAFAPAC_SMTP_HOST");
        let ok = config(&[
            ("SAFAPAC_ENV", "production"),
            ("SAFAPAC_SECRET_KEY", &key),
            ("SAFAPAC_SMTP_HOST", "smtp.example.org"),
            ("SAFAPAC_FRONTEND_URL", "https://safapac.example.org/app/"),
        ])
        .unwrap();
        assert_eq!(ok.cors_origins, ["https://safapac.example.org"]);
        assert!(!ok.api_docs);
    }

    #[test]
    fn malformed_values_name_the_variable() {
        for (name, value) in [
            ("SAFAPAC_ENV", "staging"),
            ("SAFAPAC_BIND", "localhost"),
            ("SAFAPAC_DB_POOL_SIZE", "many"),
            ("SAFAPAC_DB_POOL_SIZE", "0"),
            ("DATABASE_URL", "postgres://localhost"),
            ("SAFAPAC_CORS_ORIGINS", "*"),
            ("SAFAPAC_API_DOCS", "maybe"),
            ("SAFAPAC_MAIL_FROM", "not an address"),
            ("SAFAPAC_CLIENT_REQUEST_TIMEOUT_MS", "0"),
            ("SAFAPAC_BODY_TIMEOUT_MS", "soon"),
            ("SAFAPAC_CLIENT_DISCONNECT_TIMEOUT_MS", "0"),
            ("SAFAPAC_KEEP_ALIVE_SECS", "-1"),
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert_eq!(err.name, name, "{value}");
            assert!(err.to_string().starts_with(name));
        }
    }
}
