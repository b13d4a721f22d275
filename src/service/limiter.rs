//! How many sign-ups one client may make: a burst of [`SIGN_UP_BURST`], then one per
//! [`REFILL`], and which address a request counts against when a proxy forwards it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// Sign-ups one client may make: a burst of this many, then one per [`REFILL`].
const SIGN_UP_BURST: f64 = 5.0;
const REFILL: Duration = Duration::from_secs(60);

/// Every client's remaining allowance, refilled as time passes.
pub(super) struct Limiter {
    clients: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    behind_proxy: bool,
}

impl Limiter {
    /// An empty limiter; `behind_proxy` trusts `X-Forwarded-For` from any peer.
    pub(super) fn new(behind_proxy: bool) -> Limiter {
        Limiter {
            clients: Mutex::new(HashMap::new()),
            behind_proxy,
        }
    }

    /// Takes one sign-up from `client`'s allowance; `false` when it has none left.
    pub(super) fn allow(&self, client: IpAddr) -> bool {
        let now = Instant::now();
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if clients.len() > 100_000 {
            // Forget clients whose allowance has filled up again: they are as good as new.
            let full = REFILL.mul_f64(SIGN_UP_BURST);
            clients.retain(|_, (_, at)| now.duration_since(*at) < full);
        }
        let (tokens, at) = clients.entry(client).or_insert((SIGN_UP_BURST, now));
        let refilled = now.duration_since(*at).as_secs_f64() / REFILL.as_secs_f64();
        *tokens = (*tokens + refilled).min(SIGN_UP_BURST);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The client a request counts against: the proxy's `X-Forwarded-For` (its last entry,
    /// the one the proxy added) when the request comes from a proxy on this machine or
    /// `--behind-proxy` says to trust it, else the peer. Without this, every reader behind a
    /// local proxy would share one allowance.
    pub(super) fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        if (self.behind_proxy || peer.ip().is_loopback())
            && let Some(ip) = headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
        peer.ip()
    }
}
