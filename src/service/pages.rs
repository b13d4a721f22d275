//! The service's pages and its one message: each rendered from an overridable template with
//! the site's view, so they look like the newsletter's own pages.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Serialize;

use super::Service;
use crate::audience::list::Recipient;
use crate::audience::store::{PendingSignUp, Welcome};
use crate::audience::token;
use crate::error::Result;
use crate::mail::message::{Notice, Outgoing, build_notice, query_value};
use crate::publish::templates::template_error;
use crate::publish::view::{PageView, SiteView};

/// The service's pages, and the templates of its two messages (the confirmation request and
/// the welcome).
pub const PAGES: [&str; 7] = [
    "subscribe.html",
    "confirm.html",
    "unsubscribe.html",
    "confirm-email.html",
    "confirm-email.txt",
    "welcome-email.html",
    "welcome-email.txt",
];

/// The values a page shows besides the site's.
#[derive(Default, Clone, Copy)]
pub(super) struct Fill<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub error: &'a str,
    pub action: &'a str,
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
    /// The page `template` in the answer's `state`, with the values in `form`.
    pub(super) fn page(
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
            .and_then(|t| crate::publish::templates::render(&t, &context));
        match rendered {
            Ok(html) => (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Err(e) => {
                say_err!("error: {}", template_error(template, &e));
                plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page cannot be shown\n",
                )
            }
        }
    }

    /// Renders every page and both messages once with sample values.
    pub(super) fn check_pages(&self) -> Result<()> {
        for name in PAGES {
            let template = self
                .pages
                .get_template(name)
                .map_err(|e| template_error(name, &e))?;
            let result = if name.starts_with("confirm-email") {
                crate::publish::templates::render(
                    &template,
                    self.email_context("https://example.org/confirm?s=1&t=0"),
                )
            } else if name.starts_with("welcome-email") {
                crate::publish::templates::render(
                    &template,
                    self.welcome_context("https://example.org/unsubscribe?u=0", Some("Ann")),
                )
            } else {
                crate::publish::templates::render(
                    &template,
                    PageContext {
                        site: &self.site,
                        page: PageView::at(&self.site, "", String::new(), String::new()),
                        state: "form",
                        email: "reader@example.org",
                        name: "",
                        error: "",
                        action: "",
                        subscribe_url: String::new(),
                    },
                )
            };
            result.map_err(|e| template_error(name, &e))?;
        }
        Ok(())
    }

    /// The page a confirmation link opens: what the button would do, and the button, which
    /// posts back to the same link.
    pub(super) fn confirm_button(
        &self,
        email: &str,
        query: &std::collections::HashMap<String, String>,
    ) -> Response {
        let query: String = query
            .iter()
            .map(|(k, v)| format!("{}={}", query_value(k), query_value(v)))
            .collect::<Vec<_>>()
            .join("&");
        let action = format!("{}confirm?{query}", self.base);
        self.page(
            StatusCode::OK,
            "confirm.html",
            "ask",
            Fill {
                email,
                action: &action,
                ..Fill::default()
            },
        )
    }

    fn email_context(&self, confirm_url: &str) -> minijinja::Value {
        minijinja::context! {
            confirm_url => confirm_url,
            valid_days => token::CONFIRMATION_VALID.num_days(),
            ..self.message_context()
        }
    }

    fn welcome_context(&self, unsubscribe_url: &str, name: Option<&str>) -> minijinja::Value {
        minijinja::context! {
            unsubscribe_url => unsubscribe_url,
            // The home page is always the latest issue.
            latest_issue_url => &self.site.base_url,
            subscriber => minijinja::context! {
                name => name,
                first_name => name.map(crate::publish::render::email::first_name),
            },
            ..self.message_context()
        }
    }

    /// What both messages see: the site, a page whose links are absolute (from a mailbox),
    /// and `is_email`, so the shared partials draw an email's markup.
    fn message_context(&self) -> minijinja::Value {
        let mut page = PageView::at(&self.site, "", String::new(), String::new());
        page.root.clone_from(&self.site.base_url);
        minijinja::context! {
            site => &self.site,
            page => page,
            is_email => true,
        }
    }

    /// The subject and parts of a message rendered from `template` (`.html` and `.txt`)
    /// with `context`, the HTML with the newsletter's email styles inlined as an issue's are.
    fn notice(
        &self,
        template: &str,
        context: &minijinja::Value,
        kind: &'static str,
        subject: String,
    ) -> std::result::Result<Notice, String> {
        let render = |name: String| {
            self.pages
                .get_template(&name)
                .and_then(|t| crate::publish::templates::render(&t, context))
                .map_err(|e| template_error(&name, &e).to_string())
        };
        let html = crate::publish::render::Inliner::uncached()
            .inline(&render(format!("{template}.html"))?)
            .map_err(|e| e.to_string())?;
        Ok(Notice {
            kind,
            to_subscriber: kind != "confirm",
            subject,
            html,
            text: render(format!("{template}.txt"))?,
        })
    }

    /// The confirmation message of the sign-up `pending` of `email`, built and signed. It
    /// says nothing the stranger who may have typed the form chose (no name).
    pub(super) fn confirmation(
        &self,
        email: &str,
        pending: &PendingSignUp,
    ) -> std::result::Result<Outgoing, String> {
        let check = token::sign_up_check(
            self.envelope.secret.as_bytes(),
            &self.config.list_id,
            pending.id,
            &pending.nonce,
        );
        let confirm_url = format!("{}confirm?s={}&t={check}", self.base, pending.id);
        let notice = self.notice(
            "confirm-email",
            &self.email_context(&confirm_url),
            "confirm",
            format!("Confirm your subscription to {}", self.config.title),
        )?;
        // Nothing of the link's check: headers travel further than the message.
        let id = format!(
            "<confirm.{}.{}@{}>",
            pending.id,
            Utc::now().timestamp_millis(),
            self.config.from.email.domain()
        );
        let recipient = Recipient {
            email: email.to_owned(),
            name: None,
        };
        let message = build_notice(&self.envelope, &recipient, notice, &id)?;
        Outgoing::seal(&message, self.dkim.as_ref())
    }

    /// The welcome of a reader who confirmed, built and signed: a message to a subscriber,
    /// with their unsubscribe link and the list's headers. Its Message-ID is keyed like an
    /// issue's and the same each time this welcome is tried, so a copy sent twice (a crash
    /// after it left) is recognisable as one.
    pub(super) fn welcome(&self, welcome: &Welcome) -> std::result::Result<Outgoing, String> {
        let unsubscribe = self.envelope.unsubscribe_url(&welcome.email, None);
        let notice = self.notice(
            "welcome-email",
            &self.welcome_context(&unsubscribe, welcome.name.as_deref()),
            "welcome",
            format!("Welcome to {}", self.config.title),
        )?;
        let id = self.envelope.message_id(
            "welcome",
            &welcome.email,
            u64::try_from(welcome.queued).ok(),
        );
        let recipient = Recipient {
            email: welcome.email.clone(),
            name: welcome.name.clone(),
        };
        let message = build_notice(&self.envelope, &recipient, notice, &id)?;
        Outgoing::seal(&message, self.dkim.as_ref())
    }
}

pub(super) fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

pub(super) async fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "not found\n")
}
