//! Asking each source's server whether the page is still there: reqwest over rustls, with
//! manners. HEAD first, GET when HEAD is refused or answered oddly (its body is never read);
//! redirects followed by hand, so a permanent move and a loop can be told apart; at most
//! [`Options::per_host`] requests to one host at a time; a per-request timeout; bounded
//! retries with backoff (honouring `Retry-After`); no cookies; a User-Agent that names
//! briefing and the newsletter.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

/// What a source's server said, in the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// It answers 2xx (after temporary redirects, if any).
    Live,
    /// A permanent redirect (301 or 308) leads to a live page at `to`.
    Moved {
        /// Where the redirects end.
        to: String,
        /// The permanent redirect's status, `301 Moved Permanently`.
        status: String,
    },
    /// Gone: 404 or 410, a redirect loop.
    Dead {
        /// Why, in words.
        why: String,
    },
    /// No server to ask: a name that does not resolve, a refused connection, a TLS failure.
    /// Dead to a reader; told apart so that a machine with no network is not taken for a web
    /// of dead pages.
    Unreachable {
        /// Why, in words.
        why: String,
    },
    /// Could not tell: the site refuses robots (401, 403, 429), fails (5xx) or does not
    /// answer in time, after the retries.
    Unverified {
        /// Why, in words.
        why: String,
    },
}

impl Verdict {
    /// Whether a reader following the link would find nothing.
    pub fn is_dead(&self) -> bool {
        matches!(self, Verdict::Dead { .. } | Verdict::Unreachable { .. })
    }

    /// Why, in words (empty for a live page).
    pub fn reason(&self) -> String {
        match self {
            Verdict::Live => String::new(),
            Verdict::Moved { to, status } => format!("{status} to {to}"),
            Verdict::Dead { why } | Verdict::Unreachable { why } | Verdict::Unverified { why } => {
                why.clone()
            }
        }
    }
}

/// How to ask.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long one request may take.
    pub timeout: Duration,
    /// How many times a request that timed out, or was answered 429 or 5xx, is tried again.
    pub retries: u32,
    /// Requests to one host at a time.
    pub per_host: usize,
    /// Requests in flight at a time, all hosts together.
    pub concurrency: usize,
    /// The User-Agent header.
    pub user_agent: String,
}

/// The most redirects followed before giving up.
const MAX_REDIRECTS: usize = 10;

/// The longest `Retry-After` waited for; a site asking for more is "could not verify".
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The verdict on each of `urls` (each asked once).
///
/// # Errors
///
/// The HTTP client or the runtime could not be made (no TLS roots, no threads).
pub fn check_all(urls: &[String], options: &Options) -> Result<BTreeMap<String, Verdict>, String> {
    let (client, runtime) = client(options, options.timeout)?;
    let unique: Vec<&String> = urls.iter().collect::<HashSet<_>>().into_iter().collect();
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    for url in &unique {
        hosts
            .entry(host_of(url))
            .or_insert_with(|| Arc::new(Semaphore::new(options.per_host.max(1))));
    }
    let all = Arc::new(Semaphore::new(options.concurrency.max(1)));
    runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for url in unique {
            let (client, options, all) = (client.clone(), options.clone(), Arc::clone(&all));
            let hosts = hosts.clone();
            let url = url.clone();
            tasks.spawn(async move {
                let verdict = check_one(&client, &url, &options, &hosts, &all).await;
                (url, verdict)
            });
        }
        let mut verdicts = BTreeMap::new();
        while let Some(done) = tasks.join_next().await {
            if let Ok((url, verdict)) = done {
                verdicts.insert(url, verdict);
            }
        }
        Ok(verdicts)
    })
}

/// The HTTP client (redirects left to the caller, no cookies: reqwest keeps none unless
/// asked) with requests of at most `timeout`, and the runtime it runs on.
fn client(
    options: &Options,
    timeout: Duration,
) -> Result<(reqwest::Client, tokio::runtime::Runtime), String> {
    let client = reqwest::Client::builder()
        .user_agent(&options.user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(options.timeout)
        .build()
        .map_err(|e| format!("cannot make the HTTP client: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP client's runtime: {e}"))?;
    Ok((client, runtime))
}

/// Whether `host` is an address of this machine or a private network: loopback, private
/// (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10, where cloud
/// metadata services answer), unspecified, or `localhost`. Names are taken as written (a
/// public name that resolves to a private address is not caught).
pub fn is_private_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            let first = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private_host(&v4.to_string()))
        }
        Err(_) => false,
    }
}

/// Whether `url`'s host is private ([`is_private_host`]); an unparsable URL is not.
pub fn is_private_url(url: &str) -> bool {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(is_private_host))
        .unwrap_or(false)
}

/// How many hosts `urls` name (by host and port).
pub fn hosts<'a>(urls: impl Iterator<Item = &'a String>) -> usize {
    urls.map(|u| host_of(u)).collect::<HashSet<_>>().len()
}

/// When every one of `verdicts` is unreachable and they span several hosts, why the first
/// could not be reached: the machine is offline, not the web dead.
pub fn offline(verdicts: &BTreeMap<String, Verdict>) -> Option<String> {
    let all_unreachable = verdicts
        .values()
        .all(|v| matches!(v, Verdict::Unreachable { .. }));
    (all_unreachable && hosts(verdicts.keys()) >= 2)
        .then(|| verdicts.values().next().map(Verdict::reason))
        .flatten()
}

/// `url`'s host and port, the unit the per-host limit counts by.
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(
        |_| url.to_owned(),
        |u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or(""),
                u.port_or_known_default().unwrap_or(0)
            )
        },
    )
}

/// Follows `url` to its end.
async fn check_one(
    client: &reqwest::Client,
    url: &str,
    options: &Options,
    hosts: &HashMap<String, Arc<Semaphore>>,
    all: &Semaphore,
) -> Verdict {
    let mut current = url.to_owned();
    let mut seen = HashSet::new();
    let mut permanent: Option<String> = None;
    for _ in 0..=MAX_REDIRECTS {
        if !seen.insert(current.clone()) {
            return Verdict::Dead {
                why: "its redirects go round in a loop".to_owned(),
            };
        }
        let answer = {
            let host = hosts.get(&host_of(&current)).cloned();
            let _turn = match &host {
                Some(host) => Some(host.acquire().await),
                None => None,
            };
            let _slot = all.acquire().await;
            ask(client, &current, options).await
        };
        let response = match answer {
            Ok(response) => response,
            Err(verdict) => return verdict,
        };
        let status = response.status;
        if status.is_redirection() {
            let from = reqwest::Url::parse(&current).ok();
            let Some(next) = response.location.and_then(|l| from.as_ref()?.join(&l).ok()) else {
                return Verdict::Dead {
                    why: format!("{} with no usable Location", said(status)),
                };
            };
            if permanent.is_none() && matches!(status.as_u16(), 301 | 308) {
                permanent = Some(said(status));
            }
            // A page out there must not make the checker knock on this machine's or its
            // network's doors (a cloud's metadata service, a router): a redirect to another
            // host that is a private address is not followed.
            let host = next.host_str().unwrap_or_default();
            if from.as_ref().and_then(|u| u.host_str()) != Some(host) && is_private_host(host) {
                return Verdict::Unverified {
                    why: format!(
                        "it redirects to a private address ({host}), which is not followed"
                    ),
                };
            }
            current = next.to_string();
            continue;
        }
        return match status.as_u16() {
            200..=299 => match permanent {
                Some(status) => Verdict::Moved {
                    to: current,
                    status,
                },
                None => Verdict::Live,
            },
            401 | 403 | 429 => Verdict::Unverified {
                why: format!(
                    "{} (the site refuses robots, or asks them to wait)",
                    said(status)
                ),
            },
            500..=599 => Verdict::Unverified {
                why: format!("{}, after {} tries", said(status), options.retries + 1),
            },
            _ => Verdict::Dead { why: said(status) },
        };
    }
    Verdict::Dead {
        why: format!("more than {MAX_REDIRECTS} redirects"),
    }
}

/// What one request learnt: the status, and where a redirect points.
struct Answer {
    status: reqwest::StatusCode,
    location: Option<String>,
}

/// Asks for `url`: HEAD, then GET when HEAD gets anything but 2xx or 3xx (servers that
/// refuse or mishandle HEAD are common); each tried again after a timeout, 429 or 5xx.
async fn ask(client: &reqwest::Client, url: &str, options: &Options) -> Result<Answer, Verdict> {
    let head = with_retries(client, reqwest::Method::HEAD, url, options).await?;
    if head.status.is_success() || head.status.is_redirection() {
        return Ok(head);
    }
    with_retries(client, reqwest::Method::GET, url, options).await
}

async fn with_retries(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    options: &Options,
) -> Result<Answer, Verdict> {
    let mut tries = 0;
    loop {
        tries += 1;
        let last = tries > options.retries;
        // The body is never read: dropping the response closes the connection.
        match client.request(method.clone(), url).send().await {
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let again = status.as_u16() == 429 || status.is_server_error();
                if again && !last && retry_after.is_none_or(|wait| wait <= MAX_RETRY_AFTER) {
                    tokio::time::sleep(retry_after.unwrap_or_else(|| backoff(tries))).await;
                    continue;
                }
                return Ok(Answer {
                    status,
                    location: response
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                });
            }
            Err(e) if e.is_timeout() => {
                if last {
                    return Err(Verdict::Unverified {
                        why: format!(
                            "no answer within {} s, {tries} tries",
                            options.timeout.as_secs()
                        ),
                    });
                }
                tokio::time::sleep(backoff(tries)).await;
            }
            Err(e) => return Err(Verdict::Unreachable { why: failure(&e) }),
        }
    }
}

/// The wait before try `tries + 1`: 0.5 s, 1 s, 2 s, …
fn backoff(tries: u32) -> Duration {
    Duration::from_millis(500 * 2u64.pow(tries.saturating_sub(1).min(5)))
}

/// `404 Not Found`.
fn said(status: reqwest::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// A failed connection in words: the name, the refusal or the TLS failure.
fn failure(error: &reqwest::Error) -> String {
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        chain.push(e.to_string());
        source = e.source();
    }
    let all = chain.join(": ").to_lowercase();
    if all.contains("dns error")
        || all.contains("failed to lookup")
        || all.contains("name or service not known")
    {
        "the host name does not resolve".to_owned()
    } else if all.contains("connection refused") {
        "the server refuses connections".to_owned()
    } else if all.contains("certificate") || all.contains("tls") || all.contains("handshake") {
        format!("TLS failed ({})", chain.last().map_or("", String::as_str))
    } else {
        format!(
            "cannot connect ({})",
            chain.last().map_or("", String::as_str)
        )
    }
}

/// Asks the archive at `endpoint` to keep a copy of each of `urls` (`{endpoint}{url}`, as the
/// Internet Archive's Save Page Now and look-alikes take it): the copy's address for each, from
/// the answer's `Location` (a redirect to the copy) or `Content-Location`, or why there is none.
///
/// # Errors
///
/// As [`check_all`].
pub fn archive_all(
    urls: &[String],
    endpoint: &str,
    options: &Options,
) -> Result<BTreeMap<String, Result<String, String>>, String> {
    // Saving a page takes an archive a while.
    let (client, runtime) = client(options, options.timeout.max(Duration::from_secs(60)))?;
    // One archive, one host: the per-host limit is the whole limit.
    let turns = Arc::new(Semaphore::new(options.per_host.max(1)));
    runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for url in urls {
            let (client, turns) = (client.clone(), Arc::clone(&turns));
            let (url, ask) = (url.clone(), format!("{endpoint}{url}"));
            tasks.spawn(async move {
                let _turn = turns.acquire().await;
                let copy = match client.get(&ask).send().await {
                    Err(e) if e.is_timeout() => {
                        Err("the archive did not answer in time".to_owned())
                    }
                    Err(e) => Err(format!("the archive cannot be reached: {}", failure(&e))),
                    Ok(response) => {
                        let status = response.status();
                        let header = |name| {
                            response
                                .headers()
                                .get(name)
                                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                                .map(str::to_owned)
                        };
                        let place = if status.is_redirection() {
                            header(reqwest::header::LOCATION)
                        } else if status.is_success() {
                            header(reqwest::header::CONTENT_LOCATION)
                        } else {
                            None
                        };
                        match place.and_then(|p| reqwest::Url::parse(&ask).ok()?.join(&p).ok()) {
                            Some(copy) => Ok(copy.to_string()),
                            None => Err(format!("the archive kept no copy ({})", said(status))),
                        }
                    }
                };
                (url, copy)
            });
        }
        let mut copies = BTreeMap::new();
        while let Some(done) = tasks.join_next().await {
            if let Ok((url, copy)) = done {
                copies.insert(url, copy);
            }
        }
        Ok(copies)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_hosts_are_told_from_public_ones() {
        for host in [
            "localhost",
            "a.localhost",
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "[::1]",
            "[fd00::1]",
            "[fe80::1]",
            "[::ffff:10.0.0.1]",
        ] {
            assert!(is_private_host(host), "{host}");
        }
        for host in [
            "example.org",
            "8.8.8.8",
            "172.32.0.1",
            "[2001:db8::1]",
            "[::ffff:8.8.8.8]",
        ] {
            assert!(!is_private_host(host), "{host}");
        }
    }
}
