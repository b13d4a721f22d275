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
    let text = "title: News\nbase_url: https://news.example.org/\n\
                from: News <news@example.org>\nlist_id: news.example.org\n\
                audience:\n  description: For testers.\n  url: https://news.example.org/list/\n";
    let config = config::parse(Path::new("config.yaml"), text).unwrap();
    let outbox = Outbox(dir.join("outbox"));
    outbox.check().unwrap();
    let setup = Setup {
        secret: Secret {
            key: Key::new(SECRET.to_vec()),
            origin: Origin::Environment("TEST".to_owned()),
        },
        store: Store::open(&dir.join("audience.sqlite3")).unwrap(),
        pages: templates::environment(Path::new("/nonexistent"), "en").unwrap(),
        transport: Box::new(outbox),
        dkim: None,
        config,
    };
    Arc::new(Service::new(setup, BASE.to_owned(), false))
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

/// The confirmation link of the newest message in the outbox, as a path on the service.
fn confirmation_path(dir: &Path) -> String {
    let messages = outbox(dir);
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

#[test]
fn a_sign_up_is_pending_until_its_link_is_followed_then_active() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path());
    runtime().block_on(async {
        let answer = call(
            &service,
            post("/subscribe", "email=ann%40example.org&name=Ann"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            status_of(&service, "ann@example.org"),
            Some(Status::Pending)
        );
        assert_eq!(outbox(dir.path()).len(), 1);
        let answer = call(&service, get(&confirmation_path(dir.path()))).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert!(answer.location.is_none());
        assert_eq!(status_of(&service, "ann@example.org"), Some(Status::Active));
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
        assert_eq!(status_of(&service, "reader5@example.org"), None);
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
