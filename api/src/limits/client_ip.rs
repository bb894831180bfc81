//! Who the client is: the TCP peer, unless the peer is a trusted proxy, in which case the
//! nearest untrusted address of `Forwarded` / `X-Forwarded-For`. Headers from anyone else are
//! ignored: otherwise a client could pick a fresh bucket for every request.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::http::header::HeaderMap;

/// An address or a CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4 clients seen through a dual-stack socket arrive as `::ffff:a.b.c.d`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("expected IP addresses or CIDR blocks separated by commas, got {0:?}")]
pub struct TrustedProxiesError(String);

/// `SAFAPAC_TRUSTED_PROXIES`, e.g. `10.0.0.0/8, 192.168.1.10`. Empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl FromStr for TrustedProxies {
    type Err = TrustedProxiesError;

    fn from_str(list: &str) -> Result<TrustedProxies, TrustedProxiesError> {
        let bad = |item: &str| TrustedProxiesError(item.to_owned());
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                let (addr, prefix) = match item.split_once('/') {
                    Some((addr, prefix)) => (addr, Some(prefix)),
                    None => (item, None),
                };
                let addr = canonical(addr.parse::<IpAddr>().map_err(|_| bad(item))?);
                let max = if addr.is_ipv4() { 32 } else { 128 };
                let prefix = match prefix {
                    Some(p) => p
                        .parse::<u8>()
                        .ok()
                        .filter(|p| *p <= max)
                        .ok_or(bad(item))?,
                    None => max,
                };
                Ok(Network { addr, prefix })
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client address of a request that arrived from `peer` with `headers`; `None` when
    /// the transport gives no peer (in-process test requests).
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.trusts(peer) {
            return Some(peer);
        }
        // Proxies append, so the chain reads client, proxy1, proxy2, …: walk it from the
        // right and stop at the first hop we do not operate. Anything left of that hop was
        // written by the client and proves nothing.
        let chain = forwarded_chain(headers);
        let mut client = peer;
        for hop in chain.iter().rev() {
            match hop {
                Some(ip) => {
                    client = canonical(*ip);
                    if !self.trusts(client) {
                        break;
                    }
                }
                // An obfuscated or unparsable hop: the last good address is the best we know.
                None => break,
            }
        }
        Some(client)
    }
}

/// The hops of `Forwarded` (RFC 7239) if present, else of `X-Forwarded-For`, in order.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<Option<IpAddr>> = headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.eq_ignore_ascii_case("for")
                    .then(|| parse_forwarded_node(value))
            })
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| parse_forwarded_node(hop.trim()))
        .collect()
}

/// `1.2.3.4`, `"1.2.3.4:80"`, `"[2001:db8::1]:443"` or `2001:db8::1`.
fn parse_forwarded_node(value: &str) -> Option<IpAddr> {
    let value = value.trim().trim_matches('"');
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    value.parse().ok().or_else(|| {
        let (host, port) = value.rsplit_once(':')?;
        port.parse::<u16>().ok()?;
        host.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_claim() {
        let proxies: TrustedProxies = "10.0.0.1".parse().unwrap();
        let forged = headers(&[("x-forwarded-for", "9.9.9.9")]);
        assert_eq!(
            proxies.client_ip(Some(ip("203.0.113.5")), &forged),
            Some(ip("203.0.113.5"))
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_nearest_untrusted_hop() {
        let proxies: TrustedProxies = "10.0.0.0/8, 192.168.1.10".parse().unwrap();
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.1.2.3")]);
        assert_eq!(
            proxies.client_ip(Some(ip("192.168.1.10")), &chain),
            Some(ip("203.0.113.7"))
        );
        let forwarded = headers(&[(
            "forwarded",
            "for=\"[2001:db8::5]:4711\";proto=https, for=10.0.0.2",
        )]);
        assert_eq!(
            proxies.client_ip(Some(ip("10.9.9.9")), &forwarded),
            Some(ip("2001:db8::5"))
        );
        assert_eq!(
            proxies.client_ip(Some(ip("10.9.9.9")), &HeaderMap::new()),
            Some(ip("10.9.9.9"))
        );
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_networks() {
        let proxies: TrustedProxies = "127.0.0.1".parse().unwrap();
        assert!(proxies.trusts(ip("::ffff:127.0.0.1")));
        assert!(!proxies.trusts(ip("::1")));
    }

    #[test]
    fn malformed_lists_are_refused() {
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.local".parse::<TrustedProxies>().is_err());
        assert_eq!("".parse::<TrustedProxies>(), Ok(TrustedProxies::default()));
    }
}
