//! What each request does: sign up, confirm, unsubscribe (the page and RFC 8058's
//! one-click POST), and the health check. Every change to the store runs off the async
//! threads and commits before the answer leaves.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::Service;
use super::pages::{Fill, plain};
use crate::audience::Source;
use crate::audience::list;
use crate::audience::store::Confirmed;
use crate::audience::token::{self, Refused};
use crate::mail::message::query_value;

pub(super) async fn healthz(State(service): State<Arc<Service>>) -> Response {
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

pub(super) async fn subscribe_form(State(service): State<Arc<Service>>) -> Response {
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

pub(super) async fn subscribe(
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
    if !service
        .limiter
        .allow(service.limiter.client(peer, &headers))
    {
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
                    &token::unsubscribe(service.envelope.secret.as_bytes(), email, "file")[..8]
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
    list::decide(email, name, "", &HashSet::new(), &mut HashSet::new())
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

pub(super) async fn confirm(
    State(service): State<Arc<Service>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| query.get(name).map_or("", String::as_str);
    let email = field("email").to_owned();
    let issued = field("issued").parse::<i64>().unwrap_or(i64::MIN);
    let checked = token::check_confirmation(
        service.envelope.secret.as_bytes(),
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
            token::unsubscribe_is_valid(
                service.envelope.secret.as_bytes(),
                email,
                &service.config.list_id,
                token,
            )
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

pub(super) async fn unsubscribe_page(
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
        query_value(&email),
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

pub(super) async fn unsubscribe(
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
