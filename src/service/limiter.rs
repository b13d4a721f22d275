//! How many sign-ups one client may make (a burst of [`SIGN_UP_BURST`], then one per
//! [`REFILL`]), and which client a request counts against when proxies forward it.
//!
//! The allowances are governor's keyed GCRA limiter: constant time per request, and clients
//! whose allowance has filled up again are dropped as often as there are clients to drop, so
//! a flood of new addresses costs each request a constant share. A client is an IPv4
//! address, or an IPv6 /64 (one home or server gets a /64 and can use any address in it).
//! `X-Forwarded-For` is believed only from the proxies named with `--trusted-proxy`
//! (loopback unless told otherwise): anyone else could write any address into it.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use ipnet::IpNet;

/// Sign-ups one client may make: a burst of this many, then one per [`REFILL`].
const SIGN_UP_BURST: NonZeroU32 = match NonZeroU32::new(5) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};
const REFILL: Duration = Duration::from_secs(60);

/// The proxies trusted when none are named: this machine's.
pub fn loopback() -> Vec<IpNet> {
    ["127.0.0.0/8", "::1/128"]
        .iter()
        .filter_map(|net| net.parse().ok())
        .collect()
}

/// Every client's allowance, and the proxies whose `X-Forwarded-For` counts. The clock is
/// the system's; tests move a clock of their own.
pub(super) struct Limiter<C: Clock = DefaultClock> {
    sign_ups: RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, C, NoOpMiddleware<C::Instant>>,
    trusted: Vec<IpNet>,
    /// Checks since old clients were last dropped.
    since_cleaning: AtomicUsize,
}

impl Limiter {
    /// An empty limiter that believes `X-Forwarded-For` from `trusted` proxies only.
    pub(super) fn new(trusted: Vec<IpNet>) -> Limiter {
        Limiter::with_clock(trusted, DefaultClock::default())
    }
}

impl<C: Clock> Limiter<C> {
    fn with_clock(trusted: Vec<IpNet>, clock: C) -> Limiter<C> {
        let quota = Quota::with_period(REFILL)
            .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
            .allow_burst(SIGN_UP_BURST);
        Limiter {
            sign_ups: RateLimiter::new(quota, DefaultKeyedStateStore::default(), clock),
            trusted,
            since_cleaning: AtomicUsize::new(0),
        }
    }

    /// Takes one sign-up from `client`'s allowance; `false` when it has none left.
    pub(super) fn allow(&self, client: IpAddr) -> bool {
        // Dropping the clients whose allowance is full again costs one pass over the table;
        // done once per as many checks as the table holds, it is a constant share of each.
        let checks = self.since_cleaning.fetch_add(1, Ordering::Relaxed);
        if checks >= self.sign_ups.len().max(1024) {
            self.since_cleaning.store(0, Ordering::Relaxed);
            self.sign_ups.retain_recent();
            self.sign_ups.shrink_to_fit();
        }
        self.sign_ups.check_key(&network(client)).is_ok()
    }

    /// How many clients the limiter holds.
    #[cfg(test)]
    pub(super) fn clients(&self) -> usize {
        self.sign_ups.len()
    }

    /// The client a request counts against. From a trusted proxy, `X-Forwarded-For` is read
    /// from its end (each proxy appends the address it saw): trusted proxies are passed over,
    /// and the first address that is not one is the client. From anyone else, the peer.
    pub(super) fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.ip();
        if !self.trusts(client) {
            return client;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        for entry in forwarded.rsplit(',') {
            let Ok(ip) = entry.trim().parse::<IpAddr>() else {
                // A value that is no address: what is left of the header cannot be trusted.
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted.iter().any(|net| net.contains(&ip))
    }
}

/// The network an address counts as: itself for IPv4, its /64 for IPv6.
fn network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 40000)
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let limiter = Limiter::new(vec!["10.0.0.0/24".parse().unwrap()]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // A stranger's header is its own word: the peer counts.
        assert_eq!(
            limiter.client(peer("198.51.100.7"), &forwarded("203.0.113.1")),
            ip("198.51.100.7")
        );
        // The proxy's: the last address it saw.
        assert_eq!(
            limiter.client(peer("10.0.0.5"), &forwarded("203.0.113.1")),
            ip("203.0.113.1")
        );
        // A client that writes its own header in front gains nothing: the proxy appended the
        // real address last.
        assert_eq!(
            limiter.client(peer("10.0.0.5"), &forwarded("192.0.2.99, 203.0.113.1")),
            ip("203.0.113.1")
        );
        // Two trusted proxies in a row are passed over.
        assert_eq!(
            limiter.client(peer("10.0.0.5"), &forwarded("203.0.113.1, 10.0.0.9")),
            ip("203.0.113.1")
        );
        // Loopback is not trusted unless named.
        assert_eq!(
            limiter.client(peer("127.0.0.1"), &forwarded("203.0.113.1")),
            ip("127.0.0.1")
        );
        let local = Limiter::new(loopback());
        assert_eq!(
            local.client(peer("::1"), &forwarded("2001:db8::1")),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let limiter = Limiter::new(Vec::new());
        let mut allowed = 0;
        for i in 0..50u16 {
            let ip: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            allowed += usize::from(limiter.allow(ip));
        }
        assert_eq!(allowed, 5, "fifty addresses of one /64 share one allowance");
        assert!(
            limiter.allow("2001:db8:1:3::1".parse().unwrap()),
            "the next /64"
        );
    }

    #[test]
    fn a_flood_of_new_clients_is_forgotten_once_their_allowance_is_full_again() {
        let clock = governor::clock::FakeRelativeClock::default();
        let limiter = Limiter::with_clock(Vec::new(), clock.clone());
        for i in 0..20_000u32 {
            assert!(limiter.allow(IpAddr::from(i.to_be_bytes())));
        }
        assert!(limiter.clients() >= 19_000, "{}", limiter.clients());
        // Five minutes on, every one of them is as good as new: the next checks (as many as
        // the table holds) drop them all.
        clock.advance(REFILL * 5);
        for _ in 0..=20_000 {
            limiter.allow("192.0.2.1".parse().unwrap());
        }
        assert!(limiter.clients() <= 2, "{}", limiter.clients());
    }
}
