//! The service's pages and its one message: each rendered from an overridable template with
//! the site's view, so they look like the newsletter's own pages.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Serialize;

use super::Service;
use crate::audience::list::Recipient;
use crate::audience::store::PendingSignUp;
use crate::audience::token;
use crate::error::Result;
use crate::mail::message::{Notice, Outgoing, build_notice, query_value};
use crate::publish::templates::template_error;
use crate::publish::view::{PageView, SiteView};

/// The confirmation email's templates, and the service's pages.
pub const PAGES: [&str; 5] = [
    "subscribe.html",
    "confirm.html",
    "unsubscribe.html",
    "confirm-email.html",
    "confirm-email.txt",
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

    /// Renders every page and the confirmation email once with sample values.
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
        // Links from a mailbox are absolute; the shared partials draw an email's markup.
        let mut page = PageView::at(&self.site, "", String::new(), String::new());
        page.root.clone_from(&self.site.base_url);
        minijinja::context! {
            site => &self.site,
            page => page,
            is_email => true,
            confirm_url => confirm_url,
            valid_days => token::CONFIRMATION_VALID.num_days(),
        }
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
        let context = self.email_context(&confirm_url);
        let render = |name: &str| {
            self.pages
                .get_template(name)
                .and_then(|t| crate::publish::templates::render(&t, &context))
                .map_err(|e| template_error(name, &e).to_string())
        };
        // The newsletter's email styles, inlined as an issue's are.
        let html = crate::publish::render::Inliner::uncached()
            .inline(&render("confirm-email.html")?)
            .map_err(|e| e.to_string())?;
        let notice = Notice {
            subject: format!("Confirm your subscription to {}", self.config.title),
            html,
            text: render("confirm-email.txt")?,
        };
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
