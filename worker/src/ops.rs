//! The worker's operator port: `/health`, `/ready` and `/metrics` on a small HTTP listener
//! of its own (the worker serves no other HTTP).

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use safapac_ops::Ops;

use safapac_queue::SettingError;

/// Every variable the worker binary reads besides the pipeline settings and the log setup.
pub const ENV_VARS: &[&str] = &["DATABASE_URL", "SAFAPAC_WORKER_HTTP_ADDR"];

/// On loopback by default: metrics are for the operator's scraper, not the public.
pub const DEFAULT_PORT: u16 = 9100;

/// Where the operator port listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenAddr {
    pub addr: SocketAddr,
    /// Set explicitly: a taken address is then an error. The default gives way to a free
    /// port instead, so several workers can run on one machine without configuration.
    pub configured: bool,
}

/// `SAFAPAC_WORKER_HTTP_ADDR` (`host:port`; port 0 picks a free one).
pub fn listen_addr(lookup: impl Fn(&str) -> Option<String>) -> Result<ListenAddr, SettingError> {
    let Some(raw) = lookup("SAFAPAC_WORKER_HTTP_ADDR").filter(|v| !v.trim().is_empty()) else {
        return Ok(ListenAddr {
            addr: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            configured: false,
        });
    };
    let addr = raw.trim().parse().map_err(|_| SettingError {
        name: "SAFAPAC_WORKER_HTTP_ADDR",
        problem: format!("expected host:port, got {raw:?}"),
    })?;
    Ok(ListenAddr {
        addr,
        configured: true,
    })
}

/// Binds the listener and returns the running server with its bound address. Signals are
/// left to the caller: the worker stops the listener after its jobs have drained, so
/// `/ready` keeps answering while it shuts down.
pub fn serve(listen: ListenAddr, ops: Ops) -> std::io::Result<(Server, SocketAddr)> {
    let listener = match TcpListener::bind(listen.addr) {
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && !listen.configured => {
            TcpListener::bind(SocketAddr::new(listen.addr.ip(), 0))?
        }
        bound => bound?,
    };
    let bound = listener.local_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(ops.clone()))
            .route("/health", web::get().to(safapac_ops::http::health))
            .route("/ready", web::get().to(safapac_ops::http::ready))
            .route("/metrics", web::get().to(safapac_ops::http::metrics))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    Ok((server, bound))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_address_defaults_to_loopback_and_names_itself_when_malformed() {
        let default = listen_addr(|_| None).unwrap();
        assert_eq!(default.addr.to_string(), "127.0.0.1:9100");
        assert!(!default.configured);
        let set = listen_addr(|_| Some("0.0.0.0:9200".into())).unwrap();
        assert_eq!(
            (set.addr.to_string().as_str(), set.configured),
            ("0.0.0.0:9200", true)
        );
        let bad = listen_addr(|_| Some("9100".into()));
        assert_eq!(bad.map_err(|e| e.name), Err("SAFAPAC_WORKER_HTTP_ADDR"));
    }

    #[actix_web::test]
    async fn a_taken_default_port_gives_way_but_a_configured_one_does_not() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        // Lazy: no connection is made, none is needed to bind.
        let pool = safapac_db::build_pool(&safapac_db::PoolSettings::new(
            "postgres://postgres@127.0.0.1:5432/unused",
        ))
        .unwrap();
        let ops = Ops {
            probe: safapac_ops::Probe { pool, redis: None },
            metrics: Default::default(),
        };
        let (server, bound) = serve(
            ListenAddr {
                addr,
                configured: false,
            },
            ops.clone(),
        )
        .unwrap();
        assert_ne!(bound.port(), addr.port());
        let handle = server.handle();
        actix_web::rt::spawn(server);
        handle.stop(false).await;
        let refused = serve(
            ListenAddr {
                addr,
                configured: true,
            },
            ops,
        );
        assert_eq!(
            refused.err().map(|e| e.kind()),
            Some(std::io::ErrorKind::AddrInUse)
        );
    }
}
