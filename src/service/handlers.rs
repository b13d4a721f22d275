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
use crate::audience::list::{self, Suppression};
use crate::audience::store::{Confirmed, timestamp};
use crate::audience::token::{self, Refused};
use crate::diagnostic::is_bidi_control;
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
    // Only control-free text is kept: a bidi override would turn the name around wherever it
    // is shown, and it never reaches a message.
    let name = clean_name(name);
    let name = (!name.is_empty()).then_some(name.as_str());
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
    // One insert into the queue, whatever the address's standing, then the answer: the
    // sign-up worker decides the rest and mails the confirmation, so neither the answer nor
    // its timing tells who reads.
    let (owned_email, owned_name) = (email.to_owned(), name.map(str::to_owned));
    let queued = service
        .with_store(move |store| {
            store.queue_sign_up(&owned_email, owned_name.as_deref(), Utc::now())
        })
        .await;
    if let Err(e) = queued {
        return service.unavailable("subscribe.html", &e);
    }
    service.sign_ups.wake();
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

/// `name` without control characters (C0, C1) and without the bidirectional controls that
/// reorder text (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), at most 200
/// characters, its white space single.
pub(super) fn clean_name(name: &str) -> String {
    let kept: String = name
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .take(200)
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The form's address and name checked as a list's rows are.
fn check_address(email: &str, name: Option<&str>) -> std::result::Result<(), String> {
    if email.is_empty() {
        return Err("Enter your email address.".to_owned());
    }
    if email.len() > 254 {
        return Err("That address is too long to be an email address.".to_owned());
    }
    list::decide(
        email,
        name,
        "",
        &Suppression::default(),
        &mut HashSet::new(),
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

/// What a confirmation link names: a sign-up (`s` and its check `t`), or, in links of
/// earlier versions, an address with the time it signed up and a token.
enum Link {
    SignUp {
        id: i64,
        check: String,
    },
    Legacy {
        email: String,
        issued: i64,
        token: String,
    },
}

fn confirmation_link(query: &HashMap<String, String>) -> Option<Link> {
    let field = |name: &str| query.get(name).map(String::as_str);
    if let (Some(id), Some(check)) = (field("s"), field("t")) {
        return Some(Link::SignUp {
            id: id.parse().ok()?,
            check: check.to_owned(),
        });
    }
    Some(Link::Legacy {
        email: field("email")?.to_owned(),
        issued: field("issued")?.parse().ok()?,
        token: field("token")?.to_owned(),
    })
}

/// A confirmation link opened (GET or HEAD, which link scanners of mail gateways send): a page
/// with a button that confirms, and nothing changed.
pub(super) async fn confirm_page(
    State(service): State<Arc<Service>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let answer = |status, state| service.page(status, "confirm.html", state, Fill::default());
    let Some(link) = confirmation_link(&query) else {
        return answer(StatusCode::BAD_REQUEST, "invalid");
    };
    let (secret, list) = (
        service.envelope.secret.clone(),
        service.config.list_id.clone(),
    );
    match link {
        Link::SignUp { id, check } => {
            let request = service
                .with_store(move |store| {
                    store.sign_up(id, |pending| {
                        token::sign_up_check_is_valid(
                            secret.as_bytes(),
                            &list,
                            pending.id,
                            &pending.nonce,
                            &check,
                        )
                    })
                })
                .await;
            match request {
                Ok(None) => answer(StatusCode::BAD_REQUEST, "invalid"),
                Ok(Some(request)) if request.used => answer(StatusCode::OK, "already"),
                Ok(Some(request))
                    if request.requested_at < timestamp(Utc::now() - token::CONFIRMATION_VALID) =>
                {
                    answer(StatusCode::BAD_REQUEST, "expired")
                }
                Ok(Some(request)) => service.confirm_button(&request.email, &query),
                Err(e) => service.unavailable("confirm.html", &e),
            }
        }
        Link::Legacy {
            email,
            issued,
            token,
        } => match token::check_confirmation(
            secret.as_bytes(),
            (&email, &list),
            issued,
            &token,
            Utc::now(),
        ) {
            Err(Refused::Invalid) => answer(StatusCode::BAD_REQUEST, "invalid"),
            Err(Refused::Expired) => answer(StatusCode::BAD_REQUEST, "expired"),
            Ok(()) => service.confirm_button(&email, &query),
        },
    }
}

/// The confirmation page's button, pressed: the sign-up the link names becomes consent.
pub(super) async fn confirm(
    State(service): State<Arc<Service>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let answer = |status, state, email: &str| {
        service.page(
            status,
            "confirm.html",
            state,
            Fill {
                email,
                ..Fill::default()
            },
        )
    };
    let Some(link) = confirmation_link(&query) else {
        return answer(StatusCode::BAD_REQUEST, "invalid", "");
    };
    let (secret, list) = (
        service.envelope.secret.clone(),
        service.config.list_id.clone(),
    );
    let welcome = service.config.list.welcome;
    let outcome = match link {
        Link::SignUp { id, check } => {
            service
                .with_store(move |store| {
                    let request = store.sign_up(id, |pending| {
                        token::sign_up_check_is_valid(
                            secret.as_bytes(),
                            &list,
                            pending.id,
                            &pending.nonce,
                            &check,
                        )
                    })?;
                    match request {
                        None => Ok((Confirmed::NotPending, String::new())),
                        Some(request) => store
                            .confirm_sign_up(id, token::CONFIRMATION_VALID, Utc::now(), welcome)
                            .map(|outcome| (outcome, request.email)),
                    }
                })
                .await
        }
        Link::Legacy {
            email,
            issued,
            token,
        } => {
            match token::check_confirmation(
                secret.as_bytes(),
                (&email, &list),
                issued,
                &token,
                Utc::now(),
            ) {
                Err(Refused::Invalid) => Ok((Confirmed::NotPending, String::new())),
                Err(Refused::Expired) => Ok((Confirmed::Expired, String::new())),
                Ok(()) => {
                    service
                        .with_store(move |store| {
                            store
                                .confirm(&email, Utc::now(), welcome)
                                .map(|outcome| (outcome, email))
                        })
                        .await
                }
            }
        }
    };
    if matches!(outcome, Ok((Confirmed::Now | Confirmed::Already, _))) {
        // A welcome may be due (or due again after a failure): the worker sends it.
        service.sign_ups.wake();
    }
    match outcome {
        Ok((Confirmed::Now, email)) => answer(StatusCode::OK, "confirmed", &email),
        Ok((Confirmed::Already, email)) => answer(StatusCode::OK, "already", &email),
        Ok((Confirmed::Expired, _)) => answer(StatusCode::BAD_REQUEST, "expired", ""),
        Ok((Confirmed::NotPending, email)) if email.is_empty() => {
            answer(StatusCode::BAD_REQUEST, "invalid", "")
        }
        Ok((Confirmed::NotPending, _)) => answer(StatusCode::BAD_REQUEST, "expired", ""),
        Err(e) => service.unavailable("confirm.html", &e),
    }
}

/// The address of an unsubscribe link: the one its reference (`u`) was sealed for, or, in
/// links of earlier versions, the `email` its `token` signs; otherwise the "this link does
/// not work" page.
fn unsubscribe_address(
    service: &Service,
    query: &HashMap<String, String>,
) -> std::result::Result<String, Box<Response>> {
    if let Some(reference) = query.get("u") {
        return token::open_unsubscribe_ref(
            service.envelope.secret.as_bytes(),
            &service.config.list_id,
            reference,
        )
        .ok_or_else(|| {
            Box::new(service.page(
                StatusCode::BAD_REQUEST,
                "unsubscribe.html",
                "invalid",
                Fill::default(),
            ))
        });
    }
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
    // The button posts back to this very address, reference or token and all, and the
    // issue the link came from.
    let mut action = match query.get("u") {
        Some(reference) => format!("{}unsubscribe?u={}", service.base, query_value(reference)),
        None => format!(
            "{}unsubscribe?email={}&token={}",
            service.base,
            query_value(&email),
            query.get("token").map_or("", String::as_str)
        ),
    };
    if let Some(issue) = query.get("i") {
        action.push_str(&format!("&i={}", query_value(issue)));
    }
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
    // Which issue's link it was, when its check holds; a link without one (or from before
    // links carried it) unsubscribes all the same.
    let issue = query.get("i").and_then(|value| {
        token::check_unsubscribe_issue(
            service.envelope.secret.as_bytes(),
            &email,
            &service.config.list_id,
            value,
        )
    });
    match service.unsubscribe(&email, source, issue).await {
        Ok(()) => service.page(
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
