//! `briefing listen`: the service readers talk to. Sign-up with double opt-in, confirmation,
//! and unsubscribes, including RFC 8058 one-click POSTs from mail clients.
//!
//! Meant to run behind the publisher's reverse proxy (which holds TLS), bound to loopback by
//! default. The HTTP stack is the preview server's: axum's router on a two-thread tokio
//! runtime, with tower-http bounding bodies ([`MAX_BODY`]) and the time a request may take,
//! and tower the requests handled at once; its connections are served by hyper with a header
//! timeout ([`connections`]). The subscriber store is SQLite; each change is one transaction
//! that commits (synced) before the answer leaves, and an unsubscribe that cannot be written
//! at once is queued durably beside the database, so every request answered 2xx survives a
//! crash or a power cut.
//!
//! What the service never does: tell whether an address is subscribed (the sign-up answer is
//! the same for every address), change anything on a GET (mail scanners open links), or log
//! an address.

mod clicks;
mod committer;
mod connections;
mod handlers;
mod limiter;
mod pages;
mod sign_ups;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use minijinja::Environment;

use crate::audience::Source;
use crate::audience::secret::Secret;
use crate::audience::store::{Leaving, Store, queue_unsubscribe, timestamp};
use crate::content::config::Config;
use crate::error::{Error, Result};
use crate::mail::dkim::Signer;
use crate::mail::message::Envelope;
use crate::mail::transport::Transport;
use crate::publish::view::SiteView;

use limiter::Limiter;
pub use limiter::loopback;
use pages::Fill;

/// Request bodies larger than this are refused with 413: a sign-up form is a few hundred
/// bytes.
pub const MAX_BODY: usize = 16 * 1024;

/// How long one request may take, reading its body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request waits for a database another process is writing. An unsubscribe that
/// cannot be written in this time is queued durably beside the database instead
/// ([`crate::audience::store::queue_unsubscribe`]), and answered.
const REQUEST_STORE_WAIT: Duration = Duration::from_secs(1);

/// After a request found the store busy, requests in this window queue their unsubscribes
/// without waiting: a queue of requests each waiting in turn would outlast their timeout.
const BUSY_WINDOW: Duration = Duration::from_secs(2);

/// Requests handled at once; more wait for a turn.
const CONCURRENT: usize = 256;

/// What the service works with, opened and checked by
/// [`pipeline::service`](crate::pipeline::service) before it starts.
pub struct Setup {
    /// The newsletter's config.
    pub config: Config,
    /// The key of every link, and where it came from (for the start-up line).
    pub secret: Secret,
    /// The subscriber store, for the requests.
    pub store: Store,
    /// A second connection to it, for the sign-up worker.
    pub worker_store: Store,
    /// The template environment the pages and the confirmation message render with.
    pub pages: Environment<'static>,
    /// Where confirmation messages go.
    pub transport: Box<dyn Transport>,
    /// The DKIM signer of confirmation messages, if configured.
    pub dkim: Option<Signer>,
}

/// Options of `briefing listen`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address and port.
    pub bind: SocketAddr,
    /// The proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Everything the handlers share.
struct Service {
    config: Config,
    /// The service's public address, ending in `/`.
    base: String,
    /// Sender settings and the key of every link.
    envelope: Envelope,
    store: Arc<Mutex<Store>>,
    /// Commits unsubscribes in groups.
    committer: committer::Committer,
    /// The database's file, beside which unsubscribes wait when it is busy.
    database: std::path::PathBuf,
    /// Until when the store is taken to be busy: requests meanwhile queue their unsubscribes
    /// at once rather than each waiting in turn.
    busy_until: Mutex<Option<Instant>>,
    pages: Environment<'static>,
    site: SiteView,
    transport: Box<dyn Transport>,
    dkim: Option<Signer>,
    limiter: Limiter,
    /// Wakes the worker that decides queued sign-ups.
    sign_ups: sign_ups::SignUps,
    /// Click counts not written yet.
    tally: Arc<clicks::Tally>,
}

impl Service {
    /// The service of `setup`, answering at `base` (its public address, ending in `/`), and
    /// the store connection of its sign-up worker.
    fn new(mut setup: Setup, base: String, trusted_proxies: Vec<ipnet::IpNet>) -> (Service, Store) {
        // The service's pages have forms of their own: no sign-up form in their footers.
        let mut site = SiteView::new(&setup.config);
        site.subscribe_url = None;
        // Nor a search box: its script lives on the site, another origin.
        site.search = false;
        let database = setup.store.path().to_path_buf();
        // Only SQLite can refuse this, and it does not for a positive wait.
        let _ = setup.store.set_busy_wait(REQUEST_STORE_WAIT);
        let store = Arc::new(Mutex::new(setup.store));
        let service = Service {
            site,
            envelope: Envelope::new(&setup.config, setup.secret.key),
            config: setup.config,
            base,
            database,
            store: Arc::clone(&store),
            committer: committer::Committer::start(store),
            busy_until: Mutex::new(None),
            pages: setup.pages,
            transport: setup.transport,
            dkim: setup.dkim,
            limiter: Limiter::new(trusted_proxies),
            sign_ups: sign_ups::SignUps::default(),
            tally: Arc::default(),
        };
        (service, setup.worker_store)
    }

    /// Runs `work` on the store off the async threads.
    async fn with_store<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let service = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut store = service.store.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut store)
        })
        .await
        .unwrap_or_else(|e| {
            Err(Error::Store {
                path: std::path::PathBuf::new(),
                detail: format!("the database task failed: {e}"),
            })
        })
    }

    /// Unsubscribes `email`: written to the store, or, when the store is busy (another
    /// process holds it longer than a reader can wait), queued durably beside it, where every
    /// send counts it at once and the worker writes it later. Either way it is on disk before
    /// this returns, so the answer can say it is done: mail clients do not retry one-click
    /// POSTs.
    ///
    /// # Errors
    ///
    /// Only when neither could be written (a full disk).
    async fn unsubscribe(
        self: &Arc<Self>,
        email: &str,
        source: Source,
        issue: Option<String>,
    ) -> Result<()> {
        let leaving = Leaving {
            email: email.to_owned(),
            source,
            at: Utc::now(),
            issue,
        };
        let busy = self
            .busy_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|until| Instant::now() < until);
        if !busy {
            match self.committer.unsubscribe(leaving.clone()).await {
                Ok(_) => return Ok(()),
                Err(e) => {
                    say_err!("warning: {e}; the unsubscribe is queued beside the database");
                    if matches!(e, Error::StoreBusy { .. }) {
                        *self
                            .busy_until
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) =
                            Some(Instant::now() + BUSY_WINDOW);
                    }
                }
            }
        }
        let database = self.database.clone();
        tokio::task::spawn_blocking(move || queue_unsubscribe(&database, &leaving))
            .await
            .unwrap_or_else(|e| {
                Err(Error::Store {
                    path: std::path::PathBuf::new(),
                    detail: format!("the queueing task failed: {e}"),
                })
            })?;
        self.sign_ups.wake();
        Ok(())
    }

    fn unavailable(&self, template: &str, error: &Error) -> Response {
        say_err!("error: {error}");
        self.page(
            StatusCode::SERVICE_UNAVAILABLE,
            template,
            "unavailable",
            Fill::default(),
        )
    }
}

/// Runs the service until Ctrl-C or SIGTERM; requests in flight are finished first.
///
/// # Errors
///
/// A page template that cannot render, or an address that cannot be bound.
pub fn run(setup: Setup, options: &Options) -> Result<()> {
    let listen_error = |source| Error::Listen {
        address: options.bind,
        source,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()
        .map_err(listen_error)?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(options.bind))
        .map_err(listen_error)?;
    let bound = listener.local_addr().map_err(listen_error)?;
    let base = setup
        .config
        .list
        .url
        .clone()
        .unwrap_or_else(|| format!("http://{bound}/"));
    let origin = setup.secret.origin.clone();
    let (service, mut worker_store) = Service::new(setup, base, options.trusted_proxies.clone());
    let service = Arc::new(service);
    // A template that cannot render is found now, not by the first reader.
    service.check_pages()?;
    // Welcomes that failed before are tried again: the mail settings may have been mended.
    match worker_store.retry_failed_welcomes() {
        Ok(0) => {}
        Ok(n) => say!(
            "{n} welcome message{} that could not be sent are tried again",
            crate::error::plural(n)
        ),
        Err(e) => say_err!("warning: welcome messages that failed wait: {e}"),
    }

    say!(
        "listening on http://{bound}/ (public address {}); token secret from {origin}; \
         confirmations{} go to {} (Ctrl-C to stop)",
        service.base,
        if service.config.list.welcome {
            " and welcomes"
        } else {
            ""
        },
        service.transport.describe()
    );
    if !bound.ip().is_loopback() {
        say_err!(
            "warning: listening on {} makes the service reachable from other machines; \
             run it behind a reverse proxy that holds TLS",
            bound.ip()
        );
    }
    let _ = std::io::Write::flush(&mut std::io::stdout());

    let worker = {
        let service = Arc::clone(&service);
        std::thread::spawn(move || sign_ups::work(&service, worker_store))
    };
    let flusher = clicks::Flusher::start(Arc::clone(&service.tally), Arc::clone(&service.store));
    let app = router(Arc::clone(&service));
    runtime.block_on(connections::serve(listener, app, shutdown()));
    // The counts of the last second are written before the process ends.
    flusher.stop();
    // The sign-ups answered so far are in the queue; the worker finishes the one it is on.
    service.sign_ups.stop();
    let _ = worker.join();
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    say_err!("stopping: finishing the requests in flight");
}

fn router(service: Arc<Service>) -> axum::Router {
    axum::Router::new()
        .route(
            "/subscribe",
            get(handlers::subscribe_form).post(handlers::subscribe),
        )
        .route(
            "/confirm",
            get(handlers::confirm_page).post(handlers::confirm),
        )
        .route(
            "/unsubscribe",
            get(handlers::unsubscribe_page).post(handlers::unsubscribe),
        )
        .route("/healthz", get(handlers::healthz))
        .route("/c/{week}/{story}/{signature}", get(clicks::click))
        .fallback(pages::not_found)
        .with_state(service)
        .layer(axum::middleware::from_fn(log_and_harden))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(tower::limit::ConcurrencyLimitLayer::new(CONCURRENT))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
}

/// One log line per request (method, path without its query, status, time): the query holds
/// addresses and tokens, so it is never written. Every answer gets headers that keep the
/// token out of other sites' logs (`Referrer-Policy`) and the unsubscribe button out of
/// other sites' frames.
async fn log_and_harden(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    let shown: String = path.chars().take(100).filter(|c| !c.is_control()).collect();
    say_err!(
        "{} {method} {shown} {} {:.1}ms",
        timestamp(Utc::now()),
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}
