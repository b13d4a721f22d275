//! Counted links (`audience.clicks`): `GET /c/<issue>/<story>/<signature>?to=<target>`
//! checks the signature, counts the click and redirects to the target.
//!
//! What is kept is a count per issue, story and link, readers and likely automated requests
//! apart; never who clicked. The client's network is held in memory for [`BURST_WINDOW`] to
//! tell a mail scanner's burst from a reader, and nowhere else. A click never waits on the
//! disk: counts are added up in memory and written once a second ([`FLUSH_EVERY`]) by a
//! thread of their own, so a crash loses at most the last second of counts.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use super::Service;
use super::pages::plain;
use crate::audience::store::{ClickCount, ClickKey, Store};
use crate::audience::token;

/// How often counts are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// A client network asking for [`BURST_LINKS`] different links of one issue within this
/// long is a machine: a reader does not open three links in two seconds; a mail gateway
/// that checks every link of a message on delivery does.
pub const BURST_WINDOW: Duration = Duration::from_secs(2);

/// See [`BURST_WINDOW`].
pub const BURST_LINKS: usize = 3;

/// Words in the `User-Agent` of link scanners, previewers and scripts (compared in lower
/// case): Microsoft Defender's Safe Links, Mimecast, Proofpoint, Barracuda and the other
/// mail gateways, search engines' and chat apps' previews, HTTP libraries. A request with no
/// `User-Agent` at all is counted as automated too.
const AUTOMATED_AGENTS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "scan",
    "preview",
    "safelinks",
    "mimecast",
    "proofpoint",
    "barracuda",
    "trendmicro",
    "symantec",
    "forcepoint",
    "sophos",
    "fortiguard",
    "headless",
    "python",
    "curl/",
    "wget/",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "httpclient",
    "axios",
    "node-fetch",
];

/// Whether a request with these headers comes from a known kind of machine.
fn automated_agent(headers: &HeaderMap) -> bool {
    let Some(agent) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let agent = agent.to_ascii_lowercase();
    agent.trim().is_empty() || AUTOMATED_AGENTS.iter().any(|word| agent.contains(word))
}

/// The network a client is in, for telling bursts apart: its IPv4 /24 or IPv6 /56 (a
/// gateway spreads its requests over neighbouring addresses).
fn network(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(v4) => IpAddr::V4((u32::from(v4) & 0xffff_ff00).into()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => network(IpAddr::V4(v4)),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 72) - 1)).into()),
        },
    }
}

/// A click seen in the last [`BURST_WINDOW`] from one network.
struct Recent {
    at: Instant,
    link: ClickKey,
    /// Counted as a reader's (until a burst shows otherwise).
    reader: bool,
}

#[derive(Default)]
struct Pending {
    /// Counts not written yet.
    counts: HashMap<ClickKey, ClickCount>,
    /// The last clicks of each issue from each network.
    recent: HashMap<(String, IpAddr), Vec<Recent>>,
}

/// The counts of a running service.
#[derive(Default)]
pub(super) struct Tally {
    state: Mutex<Pending>,
}

impl Tally {
    /// Counts a click on `link` from `client` at `now`; `automated` when the request itself
    /// says so (a HEAD, a scanner's agent). A third different link of the issue from the
    /// same network within [`BURST_WINDOW`] makes the whole burst automated, the clicks
    /// counted as readers' before it included.
    pub(super) fn record(&self, link: ClickKey, client: IpAddr, automated: bool, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let Pending { counts, recent } = &mut *state;
        let seen = recent
            .entry((link.issue.clone(), network(client)))
            .or_default();
        seen.retain(|r| now.duration_since(r.at) < BURST_WINDOW);
        let links: HashSet<&ClickKey> = seen.iter().map(|r| &r.link).chain([&link]).collect();
        let burst = links.len() >= BURST_LINKS;
        if burst {
            for earlier in seen.iter_mut().filter(|r| r.reader) {
                earlier.reader = false;
                let count = counts.entry(earlier.link.clone()).or_default();
                count.readers -= 1;
                count.automated += 1;
            }
        }
        let automated = automated || burst;
        let count = counts.entry(link.clone()).or_default();
        if automated {
            count.automated += 1;
        } else {
            count.readers += 1;
        }
        seen.push(Recent {
            at: now,
            link,
            reader: !automated,
        });
    }

    /// The counts not written yet, taken out; networks not heard from within the window
    /// are forgotten.
    fn take(&self, now: Instant) -> HashMap<ClickKey, ClickCount> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.recent.retain(|_, seen| {
            seen.retain(|r| now.duration_since(r.at) < BURST_WINDOW);
            !seen.is_empty()
        });
        std::mem::take(&mut state.counts)
    }

    /// Puts back counts that could not be written, to be tried with the next.
    fn put_back(&self, counts: HashMap<ClickKey, ClickCount>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        for (key, count) in counts {
            let into = state.counts.entry(key).or_default();
            into.readers += count.readers;
            into.automated += count.automated;
        }
    }
}

/// Writes the counts of `tally` into `store` every [`FLUSH_EVERY`], and once more when the
/// [`Flusher`] is stopped.
pub(super) struct Flusher {
    stop: Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Flusher {
    pub(super) fn start(tally: Arc<Tally>, store: Arc<Mutex<Store>>) -> Flusher {
        let (stop, stopped) = channel();
        let thread = std::thread::spawn(move || flush_until_stopped(&tally, &store, &stopped));
        Flusher { stop, thread }
    }

    /// Writes what is left and ends the thread.
    pub(super) fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

fn flush_until_stopped(tally: &Tally, store: &Mutex<Store>, stopped: &Receiver<()>) {
    loop {
        let last = !matches!(
            stopped.recv_timeout(FLUSH_EVERY),
            Err(RecvTimeoutError::Timeout)
        );
        let counts = tally.take(Instant::now());
        if !counts.is_empty() {
            let written = store
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .add_clicks(&counts);
            if let Err(e) = written {
                say_err!("warning: click counts wait for the next second: {e}");
                tally.put_back(counts);
            }
        }
        if last {
            return;
        }
    }
}

/// The answer to a link that is not one of ours: no redirect.
fn not_ours() -> Response {
    plain(
        StatusCode::BAD_REQUEST,
        "This link does not work: it is not one this newsletter sent, or it was changed on \
         the way. Nothing was opened.\n",
    )
}

pub(super) async fn click(
    State(service): State<Arc<Service>>,
    Path((week, story, signature)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let Some(target) = query.get("to") else {
        return not_ours();
    };
    let signed = token::click_is_valid(
        service.envelope.secret.as_bytes(),
        &service.config.list_id,
        (&week, &story, target),
        &signature,
    );
    // Signed by us, so made by us; checked again all the same (the one check every link
    // goes through) before it becomes a header.
    let web = crate::content::url::check(target).is_ok();
    let location = HeaderValue::from_str(target).ok();
    let (true, true, Some(location)) = (signed, web, location) else {
        return not_ours();
    };
    let automated = method == Method::HEAD || automated_agent(&headers);
    let client = service.limiter.client(peer, &headers);
    let link = ClickKey {
        issue: week,
        story,
        url: target.clone(),
    };
    service
        .tally
        .record(link, client, automated, Instant::now());
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    response.headers_mut().insert(header::LOCATION, location);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(story: &str, n: u32) -> ClickKey {
        ClickKey {
            issue: "2026-W25".into(),
            story: story.into(),
            url: format!("https://example.org/{n}"),
        }
    }

    #[test]
    fn a_burst_from_one_network_is_automated_from_its_first_click() {
        let tally = Tally::default();
        let start = Instant::now();
        let scanner: IpAddr = "203.0.113.7".parse().unwrap();
        let neighbour: IpAddr = "203.0.113.200".parse().unwrap();
        let reader: IpAddr = "198.51.100.1".parse().unwrap();
        tally.record(link("a", 1), scanner, false, start);
        tally.record(
            link("a", 2),
            neighbour,
            false,
            start + Duration::from_millis(300),
        );
        // A reader elsewhere, at the same moment, is a reader.
        tally.record(
            link("a", 1),
            reader,
            false,
            start + Duration::from_millis(400),
        );
        tally.record(
            link("b", 3),
            scanner,
            false,
            start + Duration::from_millis(600),
        );
        tally.record(
            link("b", 3),
            scanner,
            false,
            start + Duration::from_millis(700),
        );
        let counts = tally.take(start + Duration::from_millis(800));
        let of = |story, n| counts.get(&link(story, n)).copied().unwrap_or_default();
        // The reader elsewhere stays a reader; the burst's first click moved to automated.
        assert_eq!(
            of("a", 1),
            ClickCount {
                readers: 1,
                automated: 1
            }
        );
        assert_eq!(
            of("a", 2),
            ClickCount {
                readers: 0,
                automated: 1
            }
        );
        assert_eq!(
            of("b", 3),
            ClickCount {
                readers: 0,
                automated: 2
            }
        );
    }

    #[test]
    fn clicks_seconds_apart_are_a_readers() {
        let tally = Tally::default();
        let start = Instant::now();
        let reader: IpAddr = "2001:db8::1".parse().unwrap();
        for (n, second) in [(1, 0), (2, 3), (3, 6), (4, 9)] {
            tally.record(
                link("a", n),
                reader,
                false,
                start + Duration::from_secs(second),
            );
        }
        let counts = tally.take(start + Duration::from_secs(10));
        assert!(
            counts.values().all(|c| *c
                == ClickCount {
                    readers: 1,
                    automated: 0
                }),
            "{counts:?}"
        );
        // Networks out of the window are forgotten.
        assert!(!tally.state.lock().unwrap().recent.is_empty());
        assert!(tally.take(start + Duration::from_secs(12)).is_empty());
        assert!(tally.state.lock().unwrap().recent.is_empty());
    }

    #[test]
    fn scanners_and_scripts_are_told_by_their_agent() {
        let with = |agent: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::USER_AGENT, HeaderValue::from_str(agent).unwrap());
            automated_agent(&headers)
        };
        assert!(automated_agent(&HeaderMap::new()));
        assert!(with("Mozilla/5.0 (compatible; Barracuda Sentinel)"));
        assert!(with("python-requests/2.31"));
        assert!(with("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0"));
        assert!(!with(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15"
        ));
    }
}
