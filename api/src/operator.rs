//! The operator listener (`SAFAPAC_METRICS_ADDR`): `/metrics`, `/ready` and `/health` on an
//! address of their own, so the series (route names, traffic, queue depth) reach the
//! operator's scraper without being published on the API's port. It mirrors the worker's
//! operator port, so one scrape and probe configuration fits both binaries.

use std::net::{SocketAddr, TcpListener};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, Error, HttpServer, web};

use crate::AppState;

/// The operator listener could not be opened; start-up stops with this line.
#[derive(Debug, thiserror::Error)]
#[error("SAFAPAC_METRICS_ADDR: cannot listen on {addr}")]
pub struct ListenError {
    pub addr: SocketAddr,
    #[source]
    pub source: std::io::Error,
}

/// The operator application: the same scrape as the API's registry (the embedded worker's
/// jobs included), readiness and liveness. Its own requests are not timed into the HTTP
/// series: those describe the API's clients, not the scraper.
pub fn app(
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
    let ops = crate::metrics::ops(&state);
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(ops))
        .route("/metrics", web::get().to(crate::metrics::scrape))
        .route("/ready", web::get().to(safapac_ops::http::ready))
        .route("/health", web::get().to(safapac_ops::http::health))
        .default_service(web::to(crate::not_found))
        .wrap(DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
}

/// Binds every address (a host name may have resolved to IPv4 and IPv6) before anything is
/// served, so a taken port stops start-up. Signals are left to the caller, which stops this
/// listener after the API's server and its embedded worker: metrics and `/ready` stay
/// answerable while requests and jobs drain.
pub fn server(
    state: AppState,
    addrs: &[SocketAddr],
) -> Result<(Server, Vec<SocketAddr>), ListenError> {
    let mut listeners = Vec::with_capacity(addrs.len());
    let mut bound = Vec::with_capacity(addrs.len());
    for &addr in addrs {
        let listen_error = |source| ListenError { addr, source };
        let listener = TcpListener::bind(addr).map_err(listen_error)?;
        bound.push(listener.local_addr().map_err(listen_error)?);
        listeners.push((addr, listener));
    }
    let mut server = HttpServer::new(move || app(state.clone()))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(5);
    for (addr, listener) in listeners {
        server = server
            .listen(listener)
            .map_err(|source| ListenError { addr, source })?;
    }
    Ok((server.run(), bound))
}
