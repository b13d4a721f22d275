//! The router in process (`tower::ServiceExt::oneshot`), with a store in a temporary folder
//! and confirmations going to an outbox: each answer and what it changed, without a socket.
//! The same paths over real sockets, curl and SMTP are in `tests/cli/listen.rs`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt as _;

use super::{MAX_BODY, Service, Setup, router};
use crate::audience::Status;
use crate::audience::secret::{Key, Origin, Secret};
use crate::audience::store::Store;
use crate::audience::token;
use crate::content::config;
use crate::mail::message::query_value;
use crate::mail::transport::{Outbox, Transport as _};
use crate::publish::templates;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const BASE: &str = "https://news.example.org/list/";

/// A service on a fresh store, its confirmations in `dir/outbox`.
fn service(dir: &Path) -> Arc<Service> {
    with_worker(dir).0
}

/// [`service`], and its sign-up worker's store connection (the worker is not started: a test
/// runs its steps).
fn with_worker(dir: &Path) -> (Arc<Service>, Store) {
    let outbox = Outbox(dir.join("outbox"));
    outbox.check().unwrap();
    with_settings(dir, "", Box::new(outbox))
}

/// A service with `audience_extra` added to its `audience:` settings, mailing through
/// `transport`, and its worker's store connection.
fn with_settings(
    dir: &Path,
    audience_extra: &str,
    transport: Box<dyn crate::mail::transport::Transport>,
) -> (Arc<Service>, Store) {
    let text = format!(
        "title: News\nbase_url: https://news.example.org/\n\
         from: News <news@example.org>\nlist_id: news.example.org\n\
         audience:\n  description: For testers.\n  url: https://news.example.org/list/\n\
         {audience_extra}"
    );
    let config = config::parse(Path::new("config.yaml"), &text).unwrap();
    let setup = Setup {
        secret: Secret {
            key: Key::new(SECRET.to_vec()),
            origin: Origin::Environment("TEST".to_owned()),
        },
        store: Store::open(&dir.join("audience.sqlite3"), Key::new(SECRET.to_vec())).unwrap(),
        worker_store: Store::open(&dir.join("audience.sqlite3"), Key::new(SECRET.to_vec()))
            .unwrap(),
        pages: templates::environment(Path::new("/nonexistent"), "en").unwrap(),
        transport,
        dkim: None,
        config,
    };
    let (service, worker) = Service::new(setup, BASE.to_owned(), super::loopback());
    (Arc::new(service), worker)
}

/// What the router answered.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

async fn call(service: &Arc<Service>, request: Request<Body>) -> Answer {
    let mut request = request;
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 40000))));
    let response = router(Arc::clone(service)).oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        location,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn post(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn status_of(service: &Service, email: &str) -> Option<Status> {
    let store = service.store.lock().unwrap();
    store.get(email).unwrap().map(|s| s.status)
}

fn outbox(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("outbox"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The confirmation link of the newest confirmation request in the outbox, as a path on the
/// service.
fn confirmation_path(dir: &Path) -> String {
    let messages = with_subject(dir, "Confirm your subscription");
    let message = mail_parser::MessageParser::default()
        .parse(messages.last().unwrap().as_bytes())
        .unwrap();
    let text = message.body_text(0).unwrap().into_owned();
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with(BASE) && w.contains("confirm"))
        .unwrap_or_else(|| panic!("no confirmation link in:\n{text}"));
    format!("/{}", url.strip_prefix(BASE).unwrap())
}

fn queued(service: &Service) -> usize {
    let store = service.store.lock().unwrap();
    store.queued_sign_ups().unwrap()
}

// The sign-up is answered after one queue insert, the same for every address: with the
// worker not running, the answer is out and nothing else has happened yet.
#[test]
fn a_sign_up_is_answered_before_anything_else_happens() {
    let dir = tempfile::tempdir().unwrap();
    let (service, mut worker) = with_worker(dir.path());
    runtime().block_on(async {
        let answer = call(
            &service,
            post("/subscribe", "email=ann%40example.org&name=Ann"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(queued(&service), 1);
        assert_eq!(status_of(&service, "ann@example.org"), None);
        assert!(outbox(dir.path()).is_empty());
    });
    assert_eq!(super::sign_ups::take_queue(&service, &mut worker), 1);
    assert_eq!(queued(&service), 0);
    assert_eq!(
        status_of(&service, "ann@example.org"),
        Some(Status::Pending)
    );
    assert_eq!(outbox(dir.path()).len(), 1);
}

// Mail gateways open every link of a message (GET and HEAD): opening the confirmation link
// shows a button and changes nothing; only the button's POST is consent.
#[test]
fn a_confirmation_link_opened_changes_nothing_until_its_button_is_pressed() {
    let dir = tempfile::tempdir().unwrap();
    let (service, mut worker) = with_worker(dir.path());
    runtime().block_on(async {
        call(
            &service,
            post("/subscribe", "email=ann%40example.org&name=Ann"),
        )
        .await;
        super::sign_ups::take_queue(&service, &mut worker);
        let link = confirmation_path(dir.path());
        let message = outbox(dir.path()).pop().unwrap();
        assert!(
            !message.contains("Ann"),
            "the name is never echoed: {message}"
        );
        let page = call(&service, get(&link)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("<form method=\"post\""), "{}", page.body);
        let head = Request::head(&link).body(Body::empty()).unwrap();
        assert_eq!(call(&service, head).await.status, StatusCode::OK);
        assert_eq!(
            status_of(&service, "ann@example.org"),
            Some(Status::Pending)
        );
        let done = call(&service, post(&link, "")).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert!(done.location.is_none());
        assert_eq!(status_of(&service, "ann@example.org"), Some(Status::Active));
        // Once.
        let again = call(&service, post(&link, "")).await;
        assert!(again.body.contains("confirmed already"), "{}", again.body);
        // A check for another sign-up, or a made-up one, does nothing.
        let forged = link.replace("&t=", "&t=0");
        assert_eq!(
            call(&service, post(&forged, "")).await.status,
            StatusCode::BAD_REQUEST
        );
    });
}

#[test]
fn one_click_unsubscribes_with_a_valid_token_only() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path());
    let email = "bob@example.org";
    let good = token::unsubscribe(SECRET, email, "news.example.org");
    let mut bad = good.clone();
    bad.replace_range(..1, if bad.starts_with('0') { "1" } else { "0" });
    runtime().block_on(async {
        let path = |token: &str| format!("/unsubscribe?email={}&token={token}", query_value(email));
        let refused = call(&service, post(&path(&bad), "List-Unsubscribe=One-Click")).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(status_of(&service, email), None);
        let done = call(&service, post(&path(&good), "List-Unsubscribe=One-Click")).await;
        assert_eq!(done.status, StatusCode::OK);
        assert!(done.location.is_none(), "RFC 8058: no redirect");
        assert_eq!(status_of(&service, email), Some(Status::Unsubscribed));
        // The page itself changes nothing: mail scanners open links.
        let other = "cat@example.org";
        let token = token::unsubscribe(SECRET, other, "news.example.org");
        let page = format!("/unsubscribe?email={}&token={token}", query_value(other));
        assert_eq!(call(&service, get(&page)).await.status, StatusCode::OK);
        assert_eq!(status_of(&service, other), None);
    });
}

// A link's opaque reference unsubscribes the address it was sealed for, whether or not the
// store has it (a CSV send's reader), and a forged or altered one nobody; the links of
// earlier versions (address and token) keep working (above).
#[test]
fn one_click_unsubscribes_the_address_sealed_in_the_reference_only() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path());
    let email = "Dan@Example.org";
    let reference = token::unsubscribe_ref(SECRET, email, "news.example.org");
    let mut forged = reference.clone().into_bytes();
    forged[20] = if forged[20] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let other_list = token::unsubscribe_ref(SECRET, email, "other.example.org");
    runtime().block_on(async {
        for bad in [&forged, &other_list, &"x".repeat(60)] {
            let refused = call(
                &service,
                post(
                    &format!("/unsubscribe?u={bad}"),
                    "List-Unsubscribe=One-Click",
                ),
            )
            .await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        }
        assert_eq!(status_of(&service, email), None);
        let page = call(&service, get(&format!("/unsubscribe?u={reference}"))).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("dan@example.org"), "{}", page.body);
        assert!(
            page.body.contains(&format!("unsubscribe?u={reference}")),
            "the button posts back"
        );
        assert_eq!(status_of(&service, email), None, "opening changes nothing");
        let done = call(
            &service,
            post(
                &format!("/unsubscribe?u={reference}"),
                "List-Unsubscribe=One-Click",
            ),
        )
        .await;
        assert_eq!(done.status, StatusCode::OK);
        assert_eq!(status_of(&service, email), Some(Status::Unsubscribed));
    });
}

// Mail clients do not retry a one-click POST: with the database held by another process
// (a large import, a backup), the unsubscribe is queued on disk beside it and answered 200;
// every send counts it at once, and the worker writes it once the database is free.
#[test]
fn a_one_click_on_a_busy_store_is_queued_on_disk_and_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (service, mut worker) = with_worker(dir.path());
    worker
        .add("bob@example.org", None, false, chrono::Utc::now())
        .unwrap();
    let email = "bob@example.org";
    let token = token::unsubscribe(SECRET, email, "news.example.org");
    let path = format!("/unsubscribe?email={}&token={token}", query_value(email));
    let other = rusqlite::Connection::open(dir.path().join("audience.sqlite3")).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    runtime().block_on(async {
        let done = call(&service, post(&path, "List-Unsubscribe=One-Click")).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert!(done.body.contains("You are unsubscribed"), "{}", done.body);
        // A second request in the busy window does not wait at all.
        let again = call(&service, post(&path, "List-Unsubscribe=One-Click")).await;
        assert_eq!(again.status, StatusCode::OK);
    });
    let queued: Vec<_> = std::fs::read_dir(dir.path().join("audience.sqlite3.unsubscribes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(queued.len(), 2, "{queued:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&queued[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Suppressed at once, though the row still says active.
    assert!(worker.suppressed().unwrap().contains(email));
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(status_of(&service, email), Some(Status::Active));
    assert_eq!(worker.apply_queued_unsubscribes().unwrap(), 2);
    assert_eq!(status_of(&service, email), Some(Status::Unsubscribed));
    assert_eq!(
        std::fs::read_dir(dir.path().join("audience.sqlite3.unsubscribes"))
            .unwrap()
            .count(),
        0
    );
    // Once: applied twice, the history has one unsubscribe.
    let history = worker.history(email).unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
}

#[test]
fn bad_input_gets_its_own_answer_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path());
    runtime().block_on(async {
        let not_an_address = call(&service, post("/subscribe", "email=nope")).await;
        assert_eq!(not_an_address.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(not_an_address.body.contains("is not an email address"));
        let too_big = call(
            &service,
            post("/subscribe", &format!("email={}", "a".repeat(MAX_BODY))),
        )
        .await;
        assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
        let honeypot = call(
            &service,
            post("/subscribe", "email=bot%40example.org&website=x"),
        )
        .await;
        assert_eq!(honeypot.status, StatusCode::OK);
        assert_eq!(status_of(&service, "bot@example.org"), None);
        let forged = call(
            &service,
            get("/confirm?email=eve%40example.org&issued=1&token=00"),
        )
        .await;
        assert_eq!(forged.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            call(&service, get("/nowhere")).await.status,
            StatusCode::NOT_FOUND
        );
        assert!(outbox(dir.path()).is_empty());
    });
}

#[test]
fn the_sixth_sign_up_from_one_client_in_a_minute_is_limited() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path());
    runtime().block_on(async {
        for n in 0..5 {
            let body = format!("email=reader{n}%40example.org");
            assert_eq!(
                call(&service, post("/subscribe", &body)).await.status,
                StatusCode::OK
            );
        }
        let sixth = call(&service, post("/subscribe", "email=reader5%40example.org")).await;
        assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(queued(&service), 5);
    });
}

#[test]
fn every_answer_keeps_tokens_out_of_other_sites_and_caches() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path());
    runtime().block_on(async {
        let mut request = get("/subscribe");
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 40000))));
        let response = router(Arc::clone(&service)).oneshot(request).await.unwrap();
        let headers = response.headers();
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    });
}

// Regression: the shared partials took "`email` is defined" to mean "rendering an email", and
// these pages define `email` as the reader's address: their header and footer lost their
// landmarks whenever an address was filled in.
#[test]
fn pages_with_an_address_keep_their_header_and_footer_landmarks() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path());
    runtime().block_on(async {
        for (request, state) in [
            (get("/subscribe"), "the form"),
            (
                post("/subscribe", "email=nope"),
                "an error with the address",
            ),
            (post("/subscribe", "email=ann%40example.org"), "sent"),
        ] {
            let page = call(&service, request).await.body;
            for landmark in ["<header", "<footer", "<main"] {
                assert!(page.contains(landmark), "{state}: no {landmark}: {page}");
            }
        }
    });
}

// A reader whose address has an internationalised domain gets the confirmation with the
// domain in its IDNA form, which every relay takes.
#[test]
fn a_confirmation_to_an_idn_address_goes_to_its_punycode_form() {
    let dir = tempfile::tempdir().unwrap();
    let (service, mut worker) = with_worker(dir.path());
    runtime().block_on(async {
        let answer = call(&service, post("/subscribe", "email=jose%40b%C3%BCcher.de")).await;
        assert_eq!(answer.status, StatusCode::OK);
    });
    assert_eq!(super::sign_ups::take_queue(&service, &mut worker), 1);
    let messages = outbox(dir.path());
    assert_eq!(messages.len(), 1);
    let message = mail_parser::MessageParser::default()
        .parse(messages[0].as_bytes())
        .unwrap();
    let to = message.to().unwrap().first().unwrap().address().unwrap();
    assert_eq!(to, "jose@xn--bcher-kva.de");
}

/// An outbox that refuses every message while `down` is set, as a mail server that is away.
struct Flaky {
    outbox: Outbox,
    down: Arc<std::sync::atomic::AtomicBool>,
}

impl crate::mail::transport::Transport for Flaky {
    fn check(&self) -> crate::error::Result<()> {
        self.outbox.check()
    }
    fn deliver(
        &self,
        message: &crate::mail::message::Outgoing,
        file_name: &str,
    ) -> Result<(), crate::mail::transport::Failure> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(crate::mail::transport::Failure {
                temporary: true,
                reason: "421 smtp.example.org is away".to_owned(),
            });
        }
        self.outbox.deliver(message, file_name)
    }
    fn describe(&self) -> String {
        self.outbox.describe()
    }
    fn kind(&self) -> &'static str {
        "flaky"
    }
    fn identity(&self) -> String {
        self.outbox.identity()
    }
}

/// The messages in the outbox whose subject starts with `subject`.
fn with_subject(dir: &Path, subject: &str) -> Vec<String> {
    outbox(dir)
        .into_iter()
        .filter(|raw| {
            mail_parser::MessageParser::default()
                .parse(raw.as_bytes())
                .and_then(|m| m.subject().map(|s| s.starts_with(subject)))
                .unwrap_or(false)
        })
        .collect()
}

// A reader who confirms is welcomed once: with their unsubscribe link in the text and in
// one-click List-Unsubscribe headers, a link to the latest issue, and nothing for a second
// press of the button. A welcome that cannot be sent leaves the confirmation standing, is
// counted by the stats, and goes when the reader opens their link again.
#[test]
fn a_confirmed_reader_is_welcomed_once_and_a_failed_welcome_waits_for_the_next_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let outbox = Outbox(dir.path().join("outbox"));
    outbox.check().unwrap();
    let transport = Flaky {
        outbox,
        down: Arc::clone(&down),
    };
    let (service, mut worker) = with_settings(dir.path(), "", Box::new(transport));
    runtime().block_on(async {
        call(
            &service,
            post("/subscribe", "email=ann%40example.org&name=Ann+Lee"),
        )
        .await;
        super::sign_ups::take_queue(&service, &mut worker);
        let link = confirmation_path(dir.path());
        assert_eq!(
            super::sign_ups::send_welcomes(&service, &mut worker),
            0,
            "not before consent"
        );
        call(&service, post(&link, "")).await;
        assert_eq!(super::sign_ups::send_welcomes(&service, &mut worker), 1);
        let welcomes = with_subject(dir.path(), "Welcome to News");
        assert_eq!(welcomes.len(), 1);
        let message = mail_parser::MessageParser::default()
            .parse(welcomes[0].as_bytes())
            .unwrap();
        let text = message.body_text(0).unwrap();
        assert!(text.starts_with("Hi Ann,"), "{text}");
        // Lines as a client splits them (the wire has CRLF).
        assert!(
            text.lines().any(|line| line == "https://news.example.org/"),
            "the latest issue: {text}"
        );
        let unsubscribe = format!(
            "{BASE}unsubscribe?u={}",
            token::unsubscribe_ref(SECRET, "ann@example.org", "news.example.org")
        );
        assert!(
            text.lines()
                .any(|line| line == format!("Unsubscribe: {unsubscribe}")),
            "{text}"
        );
        assert!(message.body_html(0).unwrap().contains(&unsubscribe));
        let header = |name: &str| {
            message
                .header_raw(name)
                .map(|v| v.trim().to_owned())
                .unwrap_or_else(|| panic!("no {name} header"))
        };
        assert_eq!(header("List-Unsubscribe"), format!("<{unsubscribe}>"));
        assert_eq!(
            header("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click"
        );
        assert!(header("List-Id").contains("<news.example.org>"));
        assert!(header("To").contains("Ann Lee"), "{}", header("To"));

        // The button pressed again: no second welcome.
        call(&service, post(&link, "")).await;
        assert_eq!(super::sign_ups::send_welcomes(&service, &mut worker), 0);

        // Bob confirms while the mail server is away.
        call(&service, post("/subscribe", "email=bob%40example.org")).await;
        super::sign_ups::take_queue(&service, &mut worker);
        let link = confirmation_path(dir.path());
        down.store(true, std::sync::atomic::Ordering::SeqCst);
        call(&service, post(&link, "")).await;
        assert_eq!(super::sign_ups::send_welcomes(&service, &mut worker), 0);
        assert_eq!(status_of(&service, "bob@example.org"), Some(Status::Active));
        assert_eq!(
            service
                .store
                .lock()
                .unwrap()
                .stats()
                .unwrap()
                .failed_welcomes,
            1
        );
        // Not taken again in a loop while the server is away.
        assert_eq!(super::sign_ups::send_welcomes(&service, &mut worker), 0);
        down.store(false, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(super::sign_ups::send_welcomes(&service, &mut worker), 0);
        // Bob opens his link again (he did not get the welcome he expected).
        let again = call(&service, post(&link, "")).await;
        assert!(again.body.contains("confirmed already"), "{}", again.body);
        assert_eq!(super::sign_ups::send_welcomes(&service, &mut worker), 1);
        assert_eq!(
            service
                .store
                .lock()
                .unwrap()
                .stats()
                .unwrap()
                .failed_welcomes,
            0
        );
        assert_eq!(with_subject(dir.path(), "Welcome to News").len(), 2);
    });
}

// `audience.welcome: false`: a confirmation and nothing more.
#[test]
fn no_welcome_is_sent_when_it_is_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let folder = Outbox(dir.path().join("outbox"));
    folder.check().unwrap();
    let (service, mut worker) = with_settings(dir.path(), "  welcome: false\n", Box::new(folder));
    runtime().block_on(async {
        call(&service, post("/subscribe", "email=ann%40example.org")).await;
        super::sign_ups::take_queue(&service, &mut worker);
        let link = confirmation_path(dir.path());
        call(&service, post(&link, "")).await;
        assert_eq!(status_of(&service, "ann@example.org"), Some(Status::Active));
        assert_eq!(super::sign_ups::send_welcomes(&service, &mut worker), 0);
        assert_eq!(outbox(dir.path()).len(), 1, "the confirmation request only");
    });
}
