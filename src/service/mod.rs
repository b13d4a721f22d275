//! `briefing listen`: the service readers talk to. Sign-up with double opt-in, confirmation,
//! and unsubscribes, including RFC 8058 one-click POSTs from mail clients.
//!
//! Meant to run behind the publisher's reverse proxy (which holds TLS), bound to loopback by
//! default. The HTTP stack is the preview server's: axum on a two-thread tokio runtime, with
//! tower-http bounding bodies ([`MAX_BODY`]) and the time a request may take, and tower the
//! requests handled at once. The subscriber store is SQLite; each change is one transaction
//! that commits before the answer leaves, so every request answered 2xx survives a crash.
//!
//! What the service never does: tell whether an address is subscribed (the sign-up answer is
//! the same for every address), change anything on a GET (mail scanners open links), or log
//! an address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use lettre::Message;
use lettre::message::dkim::DkimConfig;
use lettre::message::{Mailbox, MultiPart};
use minijinja::Environment;
use serde::Serialize;

use crate::audience::Source;
use crate::audience::secret;
use crate::audience::store::{Confirmed, Store};
use crate::audience::token::{self, Refused};
use crate::content::config::Config;
use crate::content::project::Paths;
use crate::error::{Error, Result};
use crate::mail::transport::{self, Transport};
use crate::publish::render::PageView;
use crate::publish::view::SiteView;

/// Request bodies larger than this are refused with 413: a sign-up form is a few hundred
/// bytes.
pub const MAX_BODY: usize = 16 * 1024;

/// How long one request may take, reading its body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Requests handled at once; more wait for a turn.
const CONCURRENT: usize = 256;

/// Sign-ups one client may make: a burst of this many, then one per [`REFILL`].
const SIGN_UP_BURST: f64 = 5.0;
const REFILL: Duration = Duration::from_secs(60);

/// The confirmation email's templates, and the service's pages.
pub const PAGES: [&str; 5] = [
    "subscribe.html",
    "confirm.html",
    "unsubscribe.html",
    "confirm-email.html",
    "confirm-email.txt",
];

/// Options of `briefing listen`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address and port.
    pub bind: SocketAddr,
    /// Trust `X-Forwarded-For` for the client's address.
    pub behind_proxy: bool,
}

/// Everything the handlers share.
struct Service {
    config: Config,
    /// The service's public address, ending in `/`.
    base: String,
    secret: Vec<u8>,
    store: Mutex<Store>,
    pages: Environment<'static>,
    site: SiteView,
    transport: Box<dyn Transport>,
    dkim: Option<DkimConfig>,
    limiter: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    behind_proxy: bool,
}

/// Runs the service until Ctrl-C or SIGTERM; requests in flight are finished first.
///
/// # Errors
///
/// A config with errors, a store or secret that cannot be used, templates that do not
/// compile, an SMTP server that does not answer, or an address that cannot be bound.
pub fn run(paths: &Paths, options: &Options, env: &dyn Fn(&str) -> Option<String>) -> Result<()> {
    let config = crate::pipeline::config_only(paths)?;
    let secret = secret::find_or_create(&paths.root, &config.unsubscribe_secret_env, env)?;
    let store = crate::pipeline::open_store(paths, &config)?;
    let pages = crate::publish::templates::environment(&paths.templates, &config.language)?;
    let transport = transport::choose(
        &config,
        None,
        &paths.root.join("outbox").join("confirmations"),
        env,
        2,
    )?;
    transport.check()?;
    let dkim = crate::mail::send::dkim(&config, &paths.root)?;

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
    let base = config
        .list
        .url
        .clone()
        .unwrap_or_else(|| format!("http://{bound}/"));
    // The service's pages have forms of their own: no sign-up form in their footers.
    let mut site = SiteView::new(&config);
    site.subscribe_url = None;
    let service = Arc::new(Service {
        site,
        config,
        base,
        secret: secret.bytes,
        store: Mutex::new(store),
        pages,
        transport,
        dkim,
        limiter: Mutex::new(HashMap::new()),
        behind_proxy: options.behind_proxy,
    });
    // A template that cannot render is found now, not by the first reader.
    service.check_pages()?;

    say!(
        "listening on http://{bound}/ (public address {}); token secret from {}; \
         confirmations go to {} (Ctrl-C to stop)",
        service.base,
        secret.origin,
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

    let app = router(service);
    let served = runtime.block_on(async {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown())
        .await
    });
    served.map_err(listen_error)
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
        .route("/subscribe", get(subscribe_form).post(subscribe))
        .route("/confirm", get(confirm))
        .route("/unsubscribe", get(unsubscribe_page).post(unsubscribe))
        .route("/healthz", get(healthz))
        .fallback(not_found)
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
        crate::audience::store::timestamp(Utc::now()),
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}

/// The values a page shows besides the site's.
#[derive(Default, Clone, Copy)]
struct Fill<'a> {
    email: &'a str,
    name: &'a str,
    error: &'a str,
    action: &'a str,
}

/// What every page template sees.
#[derive(Serialize)]
struct PageContext<'a> {
    site: &'a SiteView,
    page: PageView,
    /// Which answer to show (each template lists its own).
    state: &'static str,
    email: &'a str,
    name: &'a str,
    /// What went wrong with the form, in the reader's words.
    error: &'a str,
    /// Where the page's form posts.
    action: &'a str,
    /// The sign-up page.
    subscribe_url: String,
}

impl Service {
    fn page(
        &self,
        status: StatusCode,
        template: &str,
        state: &'static str,
        form: Fill<'_>,
    ) -> Response {
        let (title, path) = match template {
            "subscribe.html" => (format!("Subscribe to {}", self.config.title), "subscribe"),
            "confirm.html" => (format!("Confirm: {}", self.config.title), "confirm"),
            _ => (format!("Unsubscribe: {}", self.config.title), "unsubscribe"),
        };
        let mut page = PageView::at(&self.site, "", title, self.config.tagline.clone());
        page.root.clone_from(&self.config.base_url);
        page.canonical = format!("{}{path}", self.base);
        let subscribe_url = format!("{}subscribe", self.base);
        let context = PageContext {
            site: &self.site,
            page,
            state,
            email: form.email,
            name: form.name,
            error: form.error,
            action: form.action,
            subscribe_url,
        };
        let rendered = self
            .pages
            .get_template(template)
            .and_then(|t| t.render(&context));
        match rendered {
            Ok(html) => (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Err(e) => {
                say_err!(
                    "error: {}",
                    crate::publish::templates::template_error(template, &e)
                );
                plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page cannot be shown\n",
                )
            }
        }
    }

    /// Renders every page and the confirmation email once with sample values.
    fn check_pages(&self) -> Result<()> {
        for name in PAGES {
            let template = self
                .pages
                .get_template(name)
                .map_err(|e| crate::publish::templates::template_error(name, &e))?;
            let result = if name.starts_with("confirm-email") {
                template.render(self.email_context("reader@example.org", None, 0))
            } else {
                template.render(PageContext {
                    site: &self.site,
                    page: PageView::at(&self.site, "", String::new(), String::new()),
                    state: "form",
                    email: "reader@example.org",
                    name: "",
                    error: "",
                    action: "",
                    subscribe_url: String::new(),
                })
            };
            result.map_err(|e| crate::publish::templates::template_error(name, &e))?;
        }
        Ok(())
    }

    fn email_context(&self, email: &str, name: Option<&str>, issued: i64) -> minijinja::Value {
        let token = token::confirmation(&self.secret, email, &self.config.list_id, issued);
        let confirm_url = format!(
            "{}confirm?email={}&issued={issued}&token={token}",
            self.base,
            crate::mail::message::percent_encode(email)
        );
        minijinja::context! {
            site => &self.site,
            confirm_url => confirm_url,
            name => name.unwrap_or(""),
            email => email,
            valid_days => token::CONFIRMATION_VALID.num_days(),
        }
    }

    /// The confirmation message for `email`.
    fn confirmation(
        &self,
        email: &str,
        name: Option<&str>,
    ) -> std::result::Result<Message, String> {
        let context = self.email_context(email, name, Utc::now().timestamp());
        let render = |name: &str| {
            self.pages
                .get_template(name)
                .and_then(|t| t.render(&context))
                .map_err(|e| crate::publish::templates::template_error(name, &e).to_string())
        };
        let html = render("confirm-email.html")?;
        let text = render("confirm-email.txt")?;
        let address = email
            .parse()
            .map_err(|_| format!("`{email}` is not an address lettre can use"))?;
        let to = Mailbox::new(name.map(str::to_owned), address);
        let id = format!(
            "<confirm.{}.{}@{}>",
            Utc::now().timestamp_millis(),
            &token::unsubscribe(&self.secret, email, &self.config.list_id)[..12],
            self.config.from.email.domain()
        );
        let mut builder = Message::builder()
            .from(self.config.from.clone())
            .to(to)
            .subject(format!(
                "Confirm your subscription to {}",
                self.config.title
            ))
            .date_now()
            .message_id(Some(id));
        if let Some(reply_to) = &self.config.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let mut message = builder
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| e.to_string())?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }

    /// Takes one sign-up from `client`'s allowance; `false` when it has none left.
    fn allow(&self, client: IpAddr) -> bool {
        let now = Instant::now();
        let mut clients = self.limiter.lock().unwrap_or_else(PoisonError::into_inner);
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
    fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
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

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

async fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "not found\n")
}

async fn healthz(State(service): State<Arc<Service>>) -> Response {
    match service.with_store(|store| store.counts().map(drop)).await {
        Ok(()) => plain(StatusCode::OK, "ok\n"),
        Err(e) => {
            say_err!("error: {e}");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database cannot be read\n",
            )
        }
    }
}

async fn subscribe_form(State(service): State<Arc<Service>>) -> Response {
    let action = format!("{}subscribe", service.base);
    service.page(
        StatusCode::OK,
        "subscribe.html",
        "form",
        Fill {
            action: &action,
            ..Fill::default()
        },
    )
}

async fn subscribe(
    State(service): State<Arc<Service>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: std::result::Result<
        axum::extract::Form<HashMap<String, String>>,
        axum::extract::rejection::FormRejection,
    >,
) -> Response {
    let axum::extract::Form(form) = match form {
        Ok(form) => form,
        Err(rejection) => return rejection.into_response(),
    };
    let action = format!("{}subscribe", service.base);
    let field = |name: &str| form.get(name).map_or("", |v| v.trim());
    let (email, name) = (field("email"), field("name"));
    // Bots fill in every field; people never see this one.
    if !field("website").is_empty() {
        return service.page(StatusCode::OK, "subscribe.html", "sent", Fill::default());
    }
    if !service.allow(service.client(peer, &headers)) {
        return service.page(
            StatusCode::TOO_MANY_REQUESTS,
            "subscribe.html",
            "limited",
            Fill {
                action: &action,
                ..Fill::default()
            },
        );
    }
    let name = (!name.is_empty()).then_some(name);
    if let Err(error) = check_address(email, name) {
        return service.page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "subscribe.html",
            "form",
            Fill {
                action: &action,
                email,
                name: name.unwrap_or(""),
                error: &error,
            },
        );
    }
    let (owned_email, owned_name) = (email.to_owned(), name.map(str::to_owned));
    let signed_up = service
        .with_store(move |store| store.sign_up(&owned_email, owned_name.as_deref(), Utc::now()))
        .await;
    let signed_up = match signed_up {
        Ok(s) => s,
        Err(e) => return service.unavailable("subscribe.html", &e),
    };
    if signed_up.send_confirmation {
        let message = service.confirmation(email, name);
        let sent = match message {
            Ok(message) => {
                let sender = Arc::clone(&service);
                let file = format!(
                    "confirm-{}-{}.eml",
                    Utc::now().timestamp_millis(),
                    &token::unsubscribe(&service.secret, email, "file")[..8]
                );
                tokio::task::spawn_blocking(move || sender.transport.deliver(&message, &file))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|f| f.reason))
            }
            Err(e) => Err(e),
        };
        if let Err(reason) = sent {
            say_err!("error: the confirmation message was not sent: {reason}");
            let owned = email.to_owned();
            let _ = service
                .with_store(move |store| store.release_confirmation(&owned))
                .await;
            return service.page(
                StatusCode::SERVICE_UNAVAILABLE,
                "subscribe.html",
                "unavailable",
                Fill {
                    action: &action,
                    ..Fill::default()
                },
            );
        }
    }
    // The same answer whatever the address's standing: the form tells nobody who reads.
    service.page(
        StatusCode::OK,
        "subscribe.html",
        "sent",
        Fill {
            email,
            ..Fill::default()
        },
    )
}

/// The form's address and name checked as a list's rows are.
fn check_address(email: &str, name: Option<&str>) -> std::result::Result<(), String> {
    if email.is_empty() {
        return Err("Enter your email address.".to_owned());
    }
    if email.len() > 254 {
        return Err("That address is too long to be an email address.".to_owned());
    }
    crate::audience::list::decide(
        email,
        name,
        "",
        &std::collections::HashSet::new(),
        &mut std::collections::HashSet::new(),
    )
    .map(drop)
    .map_err(|(message, _)| {
        // The messages quote with backticks, for terminals; readers get curly quotes.
        let mut open = true;
        let message: String = message
            .chars()
            .map(|c| match c {
                '`' => {
                    open = !open;
                    if open { '\u{201d}' } else { '\u{201c}' }
                }
                c => c,
            })
            .collect();
        format!("{}.", capitalised(&message))
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

async fn confirm(
    State(service): State<Arc<Service>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| query.get(name).map_or("", String::as_str);
    let email = field("email").to_owned();
    let issued = field("issued").parse::<i64>().unwrap_or(i64::MIN);
    let checked = token::check_confirmation(
        &service.secret,
        (&email, &service.config.list_id),
        issued,
        field("token"),
        Utc::now(),
    );
    match checked {
        Err(Refused::Invalid) => {
            return service.page(
                StatusCode::BAD_REQUEST,
                "confirm.html",
                "invalid",
                Fill::default(),
            );
        }
        Err(Refused::Expired) => {
            return service.page(
                StatusCode::BAD_REQUEST,
                "confirm.html",
                "expired",
                Fill::default(),
            );
        }
        Ok(()) => {}
    }
    let owned = email.clone();
    match service
        .with_store(move |store| store.confirm(&owned, Utc::now()))
        .await
    {
        Ok(outcome) => {
            let (status, state) = match outcome {
                Confirmed::Now => (StatusCode::OK, "confirmed"),
                Confirmed::Already => (StatusCode::OK, "already"),
                Confirmed::NotPending => (StatusCode::BAD_REQUEST, "expired"),
            };
            service.page(
                status,
                "confirm.html",
                state,
                Fill {
                    email: &email,
                    ..Fill::default()
                },
            )
        }
        Err(e) => service.unavailable("confirm.html", &e),
    }
}

/// The address of an unsubscribe link when its token is that address's; otherwise the
/// "this link does not work" page.
fn unsubscribe_address(
    service: &Service,
    query: &HashMap<String, String>,
) -> std::result::Result<String, Box<Response>> {
    let valid = |email: &String| {
        query.get("token").is_some_and(|token| {
            token::unsubscribe_is_valid(&service.secret, email, &service.config.list_id, token)
        })
    };
    match query.get("email").filter(|email| valid(email)) {
        Some(email) => Ok(email.clone()),
        None => Err(Box::new(service.page(
            StatusCode::BAD_REQUEST,
            "unsubscribe.html",
            "invalid",
            Fill::default(),
        ))),
    }
}

async fn unsubscribe_page(
    State(service): State<Arc<Service>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let email = match unsubscribe_address(&service, &query) {
        Ok(email) => email,
        Err(invalid) => return *invalid,
    };
    // The button posts back to this very address, token and all.
    let action = format!(
        "{}unsubscribe?email={}&token={}",
        service.base,
        crate::mail::message::percent_encode(&email),
        query.get("token").map_or("", String::as_str)
    );
    service.page(
        StatusCode::OK,
        "unsubscribe.html",
        "ask",
        Fill {
            email: &email,
            action: &action,
            ..Fill::default()
        },
    )
}

async fn unsubscribe(
    State(service): State<Arc<Service>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let email = match unsubscribe_address(&service, &query) {
        Ok(email) => email,
        Err(invalid) => return *invalid,
    };
    // RFC 8058: the mail client posts `List-Unsubscribe=One-Click`, URL-encoded or as a
    // multipart form; the page's own button posts something else.
    let one_click = memchr::memmem::find(&body, b"List-Unsubscribe=One-Click").is_some()
        || memchr::memmem::find(&body, b"name=\"List-Unsubscribe\"").is_some();
    let source = if one_click {
        Source::OneClick
    } else {
        Source::Link
    };
    let owned = email.clone();
    match service
        .with_store(move |store| store.unsubscribe(&owned, source, Utc::now()))
        .await
    {
        Ok(_) => service.page(
            StatusCode::OK,
            "unsubscribe.html",
            "done",
            Fill {
                email: &email,
                ..Fill::default()
            },
        ),
        Err(e) => service.unavailable("unsubscribe.html", &e),
    }
}
