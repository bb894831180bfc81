//! SAFAPAC HTTP API: a drop-in backend for the SAFAPAC dashboard (accounts, projects,
//! scenarios, master data). `build_app` assembles the actix application around an
//! [`AppState`]; `serve` and `migrate` are the binary's two commands.

pub mod admin;
pub mod auth;
pub mod cache;
pub mod config;
pub mod counters;
pub mod docs;
pub mod error;
pub mod head_timer;
pub mod heap;
pub mod json_body;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod operator;
pub mod routes;
pub mod status_cache;
pub mod wire;

use std::cell::RefCell;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_cors::Cors;
use actix_service::ServiceFactoryExt as _;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{
    AppConfig, Payload, Server, ServiceFactory, ServiceRequest, ServiceResponse, fn_service,
};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{KeepAlive, Method, StatusCode};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, Next, from_fn};
use actix_web::{App, Error, HttpMessage as _, HttpResponse, web};
use anyhow::Context as _;
use safapac_db::{DbConn, DbPool};
use tokio::net::TcpStream;
use tracing::Instrument as _;

use crate::auth::password::PasswordHasher;
use crate::auth::tokens::TokenIssuer;
use crate::config::Config;
use crate::error::{ApiError, ErrorBody};
use crate::mail::Mailer;

/// Everything a request handler needs; cheap to clone (shared behind `Arc`s).
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: DbPool,
    /// The process registry: HTTP, pool, queue, job, cache, rate-limit and hashing series.
    pub metrics: Arc<safapac_ops::Metrics>,
    pub tokens: Arc<TokenIssuer>,
    pub passwords: PasswordHasher,
    pub mailer: Mailer,
    /// Where calculation jobs are pushed; without one, jobs wait for a sweeper to deliver them.
    pub queue: Option<safapac_queue::JobQueue>,
    pub limits: Arc<limits::RateLimits>,
    pub master_cache: Arc<cache::MasterCaches>,
    pub cache_counters: Arc<safapac_cache::CacheCounters>,
    pub counters: Arc<counters::Counters>,
    /// Recently checked accounts behind bearer tokens.
    pub accounts: Arc<auth::accounts::AccountMemo>,
    /// Finished calculation statuses, answered from memory.
    pub statuses: Arc<status_cache::StatusCache>,
}

impl AppState {
    /// Must run inside a Tokio runtime (the Redis connection of the limits and the cache is
    /// made lazily, by a task). Fails only on a malformed `REDIS_URL`.
    pub fn new(config: Config, pool: DbPool, mailer: Mailer) -> anyhow::Result<AppState> {
        let metrics = Arc::new(safapac_ops::Metrics::new());
        let tokens = TokenIssuer::new(
            &config.secret_key,
            config.access_token_ttl,
            config.refresh_token_ttl,
        );
        let counters = Arc::new(counters::Counters::default());
        let redis =
            safapac_cache::connect(&config.queue.redis_url, config.rate_limits.redis_timeout)
                .context("REDIS_URL")?;
        let limits = Arc::new(limits::RateLimits::new(
            config.rate_limits.clone(),
            &config.queue.redis_prefix,
            redis.clone(),
            counters.clone(),
        ));
        let statuses = status_cache::StatusCache::new(
            config.status_cache_bytes,
            &config.queue.redis_url,
            &config.queue.redis_prefix,
            redis.clone(),
        );
        let cache_counters = Arc::new(safapac_cache::CacheCounters::default());
        let master_cache = Arc::new(cache::MasterCaches::new(
            safapac_cache::CacheSettings {
                redis_url: config.queue.redis_url.clone(),
                prefix: config.queue.redis_prefix.clone(),
                ttl: config.queue.cache_ttl,
                // The API answers without Redis rather than wait for it.
                redis_timeout: config.rate_limits.redis_timeout,
            },
            redis,
            pool.clone(),
            cache_counters.clone(),
        ));
        Ok(AppState {
            limits,
            master_cache,
            cache_counters,
            counters,
            accounts: Arc::new(auth::accounts::AccountMemo::new(config.account_check_ttl)),
            statuses,
            passwords: PasswordHasher::new(config.password_hash_concurrency)
                .observed_by(metrics.clone()),
            metrics,
            tokens: Arc::new(tokens),
            config: Arc::new(config),
            pool,
            mailer,
            queue: None,
        })
    }

    /// Pushes calculation jobs to `queue`.
    pub fn with_queue(mut self, queue: safapac_queue::JobQueue) -> AppState {
        self.queue = Some(queue);
        self
    }

    /// A pooled connection; an exhausted pool or unreachable database becomes 503.
    pub async fn conn(&self) -> Result<DbConn, ApiError> {
        self.pool
            .get()
            .await
            .map_err(|e| ApiError::from(safapac_db::DbError::from(e)))
    }
}

/// The application: routes, CORS, security headers, request ids and JSON error bodies.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let cors = cors(&state.config.cors_origins);
    let api_docs = state.config.api_docs;
    let ops = metrics::ops(&state);
    let shield = state.limits.shield();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(ops))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .configure(routes::configure)
        .configure(|cfg| {
            if api_docs {
                cfg.route("/openapi.json", web::get().to(openapi::openapi_json))
                    .route("/docs", web::get().to(docs::docs_page))
                    .route(
                        &format!("{}/{{name}}", docs::ASSETS),
                        web::get().to(docs::asset),
                    );
            }
        })
        .default_service(web::to(not_found))
        .wrap(from_fn(head_as_get))
        // Innermost but for the above, so its 429s get the security, CORS and request-id
        // headers too.
        .wrap(shield)
        .wrap(ErrorHandlers::new().handler(StatusCode::METHOD_NOT_ALLOWED, method_not_allowed))
        .wrap(cors)
        // Outside CORS, so its refusals (a preflight from an origin not allowed) answer like
        // every error: JSON, with the security headers below.
        .wrap(from_fn(plain_errors_as_json))
        .wrap(
            DefaultHeaders::new()
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::REFERRER_POLICY, "no-referrer"))
                // No answer of this API is meant to be shown in a frame (clickjacking of
                // /docs, or of a JSON document a browser renders); the older header for
                // browsers without CSP.
                .add((header::X_FRAME_OPTIONS, "DENY"))
                .add((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'")),
        )
        // Inside the request's span, so its access line carries the request id.
        .wrap(from_fn(metrics::track))
        .wrap(from_fn(request_context))
        .wrap(from_fn(hold_request_body))
        .wrap(from_fn(head_timer::track_requests))
}

/// The longest error text a middleware answers with (CORS's refusals are a sentence).
const PLAIN_ERROR_LIMIT: usize = 1024;

/// Turns an error answered as plain text by a middleware (actix-cors refusing a preflight)
/// into the API's `{"detail": …}` body. Handlers and extractors already answer JSON.
async fn plain_errors_as_json(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let response = next.call(req).await?;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return Ok(response.map_into_left_body());
    }
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let text = actix_web::body::to_bytes_limited(body, PLAIN_ERROR_LIMIT)
        .await
        .ok()
        .and_then(Result::ok)
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned());
    let mut json = HttpResponse::build(status).json(ErrorBody { detail: text });
    for (name, value) in head.headers() {
        if name != header::CONTENT_LENGTH {
            json.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, json).map_into_right_body())
}

/// `HEAD` is `GET` without the body (RFC 9110 §9.3.2): routed, limited and answered as `GET`
/// (405 where there is no `GET`); the connection's codec saw `HEAD` and sends the headers
/// only, with the length the body would have had.
async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// Keeps the receiving end of a request body alive until the response has been sent.
/// actix-http closes a connection whose body was left unread, unless the body is chunked
/// and its receiver already dropped: then it drains the rest with no time limit, so a client
/// trickling a chunked body at a route that does not read it (or past a 413 or 408) would
/// hold the connection forever. Held, the unread body gets the connection closed after the
/// answer (within `SAFAPAC_CLIENT_DISCONNECT_TIMEOUT_MS`).
async fn hold_request_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let payload = req.take_payload();
    if matches!(payload, Payload::None) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let held = Rc::new(RefCell::new(payload));
    req.set_payload(Payload::Stream {
        payload: Box::pin(SharedPayload(held.clone())),
    });
    let response = next.call(req).await?;
    Ok(response
        // The request body's receiver lives as long as the answer.
        .map_body(|_, body| HoldingBody::new(body, held))
        .map_into_right_body())
}

struct SharedPayload(Rc<RefCell<Payload>>);

impl futures_util::Stream for SharedPayload {
    type Item = Result<web::Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_next(cx)
    }
}

/// A response body that keeps `guard` alive until the body is dropped, that is once the
/// answer has been sent (or abandoned): what a middleware must hold for exactly that long.
pub(crate) struct HoldingBody<G> {
    body: BoxBody,
    _guard: G,
}

impl<G> HoldingBody<G> {
    pub(crate) fn new(body: impl MessageBody + 'static, guard: G) -> HoldingBody<G> {
        HoldingBody {
            body: body.boxed(),
            _guard: guard,
        }
    }
}

impl<G: Unpin> MessageBody for HoldingBody<G> {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<web::Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

/// Only the configured origins, only the headers the dashboard sends, no credentials
/// (bearer tokens do not need them).
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([
            header::RETRY_AFTER,
            HeaderName::from_static(REQUEST_ID),
            limits::RATELIMIT_LIMIT,
            limits::RATELIMIT_REMAINING,
            limits::RATELIMIT_RESET,
        ])
        .max_age(600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

const REQUEST_ID: &str = "x-request-id";

/// Gives every request an id: in the `x-request-id` answer header and in a span, so every
/// line logged while serving it carries the id. The access line itself is `metrics::track`'s.
async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let request_id: &str = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut id);
    // The span holds only the id: the method and route are on the access line, so nothing
    // is formatted twice per request.
    let span = tracing::info_span!("request", request_id = %request_id);
    let mut response = next.call(req).instrument(span).await?;
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), value);
    }
    Ok(response)
}

pub(crate) async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody {
        detail: "Not Found".into(),
    })
}

fn method_not_allowed<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let (request, _) = response.into_parts();
    let mut response = HttpResponse::MethodNotAllowed();
    // RFC 9110 requires a 405 to list what the resource does allow.
    if let Some(allowed) = request
        .match_pattern()
        .and_then(|pattern| openapi::allowed_methods(&pattern))
    {
        response.insert_header((header::ALLOW, allowed));
    }
    let response = response.json(ErrorBody {
        detail: "Method Not Allowed".into(),
    });
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, response).map_into_right_body(),
    ))
}

/// Applies migrations and the master-data seed (the `migrate` command).
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    if config.is_development()
        && safapac_db::migrate::ensure_database_exists(&config.database.database_url)
            .await
            .context("creating the database")?
    {
        tracing::info!("created the database");
    }
    let report = safapac_db::migrate::run_migrations(&config.database.database_url)
        .await
        .context("migrating the database")?;
    tracing::info!(applied = ?report.applied, "database schema is current; master data seeded");
    Ok(())
}

/// Bound on finishing in-flight requests after a stop signal: under an orchestrator's
/// usual 30 s grace period, so the process exits by itself before being killed.
const SHUTDOWN_TIMEOUT_SECS: u64 = 25;

/// Waiting connections the kernel queues before the server accepts them (actix-web's
/// default).
const LISTEN_BACKLOG: i32 = 1024;

/// The HTTP server for `state` on `bind` (port 0: a free one), with the connection time
/// limits of `state.config.http_timeouts`, and the address it listens on. On SIGTERM or
/// Ctrl-C it stops accepting and gives in-flight requests `SHUTDOWN_TIMEOUT_SECS`.
///
/// Assembled from actix-server and actix-http rather than with actix-web's `HttpServer`, which
/// gives no way to wrap a connection's socket: each one is a [`head_timer::TimedHeads`], so
/// that every request head is timed, not only a connection's first.
pub fn http_server(state: AppState, bind: SocketAddr) -> anyhow::Result<(Server, SocketAddr)> {
    let listener = listen(bind).with_context(|| format!("binding {bind}"))?;
    let bound = listener.local_addr().unwrap_or(bind);
    let timeouts = state.config.http_timeouts;
    let builder = actix_server::Server::build();
    // Tells idle keep-alive connections to close once a stop has been asked for.
    let stopping = builder.graceful_shutdown_signal();
    let server = builder
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        .listen("safapac-api", listener, move || {
            let stopping = stopping.clone();
            let app = build_app(state.clone());
            let http = actix_http::HttpService::build()
                .client_request_timeout(timeouts.request_head)
                .client_disconnect_timeout(timeouts.disconnect)
                .keep_alive(if timeouts.keep_alive.is_zero() {
                    KeepAlive::Disabled
                } else {
                    KeepAlive::Timeout(timeouts.keep_alive)
                })
                .local_addr(bound)
                .graceful_shutdown_signal(move || {
                    let stopping = stopping.clone();
                    async move { stopping.notified().await }
                })
                .on_connect_ext(|io: &head_timer::TimedHeads<TcpStream>, data| {
                    data.insert(io.clock());
                })
                // The application's host and address are read by nothing here (it builds no
                // absolute URLs): the default configuration will do.
                .finish(actix_service::map_config(app, |()| AppConfig::default()));
            let request_head = timeouts.request_head;
            fn_service(move |io: TcpStream| async move {
                let peer = io.peer_addr().ok();
                let io = head_timer::TimedHeads::new(io, request_head);
                Ok((io, actix_http::Protocol::Http1, peer))
            })
            .and_then(http)
        })
        .with_context(|| format!("listening on {bound}"))?
        .run();
    Ok((server, bound))
}

/// A listening socket on `bind`, as actix-web makes one (address reuse, its backlog).
fn listen(bind: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(bind), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&bind.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}

/// Work that runs beside the HTTP server and is told to stop once the server has stopped:
/// the binary's embedded worker. The library knows nothing of what it does.
pub type Companion = tokio::task::JoinHandle<anyhow::Result<()>>;

/// Runs the HTTP server until it is stopped (the default command). `companion` may start
/// work beside it, given the application state and a signal that the server has stopped; it
/// is awaited before returning.
pub async fn serve(
    config: Config,
    companion: impl FnOnce(
        &AppState,
        tokio::sync::oneshot::Receiver<()>,
    ) -> anyhow::Result<Option<Companion>>,
) -> anyhow::Result<()> {
    if config.secret_key_generated {
        tracing::warn!(
            "SAFAPAC_SECRET_KEY is not set: using a random signing key; every token dies \
             with this process"
        );
    }
    if config.is_development() {
        migrate(&config).await?;
    }
    let pool = safapac_db::build_pool(&config.database).context("building the database pool")?;
    let mailer = Mailer::from_config(&config).context("configuring mail")?;
    let queue = safapac_queue::JobQueue::producer(&config.queue)
        .await
        .context("REDIS_URL")?;
    let state = AppState::new(config, pool, mailer)?.with_queue(queue);
    // Both listeners are bound before the companion starts, so a taken port stops start-up
    // before any job is picked up.
    let operator = match state.config.metrics_addrs.as_slice() {
        [] => {
            tracing::info!("SAFAPAC_METRICS_ADDR=off: no operator listener");
            None
        }
        addrs => {
            let (server, bound) = operator::server(state.clone(), addrs)?;
            tracing::info!(metrics = ?bound, "operator listener (/metrics, /ready, /health)");
            Some(server)
        }
    };
    let bind = state.config.bind;
    let (server, bound) = http_server(state.clone(), bind)?;
    let (stop_companion, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let companion = companion(&state, server_stopped)?;
    limits::spawn_housekeeping(&state.limits);
    let operator = operator.map(|server| {
        let handle = server.handle();
        (handle, tokio::spawn(server))
    });
    tracing::info!(bind = %bound, "listening");
    let served = server.await.context("running the HTTP server");
    // The server has stopped (SIGTERM or Ctrl-C): let the companion finish its work.
    let _ = stop_companion.send(());
    if let Some(companion) = companion {
        match companion.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "embedded worker failed"),
            Err(e) => tracing::error!(error = %e, "embedded worker panicked"),
        }
    }
    // Last to stop: the scraper sees the drain to its end.
    if let Some((handle, running)) = operator {
        handle.stop(true).await;
        match running.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "operator listener failed"),
            Err(e) => tracing::error!(error = %e, "operator listener panicked"),
        }
    }
    served
}
