//! The flood shield: actix-governor in front of every route, per client and per process. It
//! is deliberately generous; the real limits are the Redis policies.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{GovernorConfig, GovernorConfigBuilder, KeyExtractor};
use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder};

use super::client_ip::TrustedProxies;
use super::settings::Quota;
use crate::counters::Counters;
use crate::error::ErrorBody;

pub type Shield = actix_governor::Governor<ClientKey, NoOpMiddleware>;
pub type ShieldConfig = GovernorConfig<ClientKey, NoOpMiddleware>;

/// The client address as the policies see it (trusted proxies included). Requests without a
/// peer address only come from in-process callers, which are not shielded.
#[derive(Clone)]
pub struct ClientKey {
    trusted: TrustedProxies,
    counters: Arc<Counters>,
}

impl KeyExtractor for ClientKey {
    type Key = Option<IpAddr>;
    type KeyExtractionError = std::convert::Infallible;

    fn extract(&self, req: &ServiceRequest) -> Result<Option<IpAddr>, std::convert::Infallible> {
        Ok(self
            .trusted
            .client_ip(req.peer_addr().map(|a| a.ip()), req.headers()))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        Counters::bump(&self.counters.flood_rejections);
        let wait = negative.wait_time_from(DefaultClock::default().now());
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        response
            .insert_header((header::RETRY_AFTER, seconds))
            .json(ErrorBody {
                detail: format!("Too many requests. Try again in {seconds} seconds."),
            })
    }

    fn whitelisted_keys(&self) -> Vec<Option<IpAddr>> {
        vec![None]
    }
}

pub fn config(flood: Quota, trusted: TrustedProxies, counters: Arc<Counters>) -> ShieldConfig {
    GovernorConfigBuilder::default()
        .key_extractor(ClientKey { trusted, counters })
        .period(flood.interval().max(Duration::from_nanos(1)))
        .burst_size(flood.limit.max(1))
        .finish()
        .expect("the period and the burst are both positive")
}
