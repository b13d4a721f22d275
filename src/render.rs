//! Renders issues into files in memory: `digest.md`, `index.html`, `email.html`, `email.txt`.
//!
//! Takes the template environment, the config and assembled issues; returns [`Output`]s
//! (a site-relative path and bytes). Nothing is written here, so a failed render leaves the
//! disk as it was, and the same input always gives the same bytes.

use minijinja::Environment;
use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::schedule::Issue;
use crate::templates::template_error;
use crate::view::{IssueView, SiteView};

/// Stands where each subscriber's unsubscribe URL goes; sending replaces it.
pub const UNSUBSCRIBE_PLACEHOLDER: &str = "%%UNSUBSCRIBE_URL%%";

/// Gmail clips messages whose HTML is larger than this.
pub const GMAIL_CLIP_BYTES: usize = 102 * 1024;

/// One file of the output, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path relative to the output folder, with `/`.
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// What a page template gets besides the site and the issue.
#[derive(Debug, Clone, Serialize)]
pub struct PageView {
    /// Prefix that leads from the page to the site root: `../../` on the web, the absolute
    /// base URL in email.
    pub root: String,
    /// Absolute URL of the page.
    pub canonical: String,
    /// The page's `<title>`.
    pub title: String,
    /// The page's description.
    pub description: String,
    /// OpenGraph type: `article` or `website`.
    pub og_type: &'static str,
}

#[derive(Serialize)]
struct IssueContext<'a> {
    site: &'a SiteView,
    issue: &'a IssueView,
    page: PageView,
    unsubscribe_url: Option<&'a str>,
}

/// Renders the named template with `context`.
///
/// # Errors
///
/// [`Error::Template`] with the template's name, line and the problem.
pub fn render_template(
    env: &Environment<'_>,
    name: &str,
    context: &impl Serialize,
) -> Result<String> {
    env.get_template(name)
        .and_then(|t| t.render(context))
        .map_err(|e| template_error(name, &e))
}

/// The four files of one issue, and any warning about them.
///
/// # Errors
///
/// A template error, or a failure to inline the email's CSS.
pub fn render_issue(
    env: &Environment<'_>,
    config: &Config,
    site: &SiteView,
    issue: &Issue,
) -> Result<(Vec<Output>, Vec<String>)> {
    let view = IssueView::new(issue, config);
    let dir = &view.path;
    let web = IssueContext {
        site,
        issue: &view,
        page: PageView {
            root: "../../".to_owned(),
            canonical: view.url.clone(),
            title: format!("{} · {}", view.subject, site.title),
            description: view.preheader.clone(),
            og_type: "article",
        },
        unsubscribe_url: None,
    };
    let index = render_template(env, "issue.html", &web)?;
    let digest = render_template(env, "issue.md", &web)?;
    let email = IssueContext {
        page: PageView {
            root: site.base_url.clone(),
            ..web.page.clone()
        },
        unsubscribe_url: Some(UNSUBSCRIBE_PLACEHOLDER),
        ..web
    };
    let email_html = inline_css(&render_template(env, "email.html", &email)?)?;
    let email_text = render_template(env, "email.txt", &email)?;

    let mut warnings = Vec::new();
    if email_html.len() > GMAIL_CLIP_BYTES {
        warnings.push(format!(
            "{dir}email.html is {} KB; Gmail clips email over 102 KB behind a \"View entire message\" link; \
             consider fewer or shorter stories for {}",
            email_html.len() / 1024,
            view.week
        ));
    }
    let outputs = vec![
        Output {
            path: format!("{dir}digest.md"),
            bytes: digest.into_bytes(),
        },
        Output {
            path: format!("{dir}index.html"),
            bytes: index.into_bytes(),
        },
        Output {
            path: format!("{dir}email.html"),
            bytes: email_html.into_bytes(),
        },
        Output {
            path: format!("{dir}email.txt"),
            bytes: email_text.into_bytes(),
        },
    ];
    Ok((outputs, warnings))
}

/// Moves the email's CSS into `style` attributes; `@media` rules stay in a `<style>` block.
///
/// # Errors
///
/// [`Error::Template`] when the HTML or CSS cannot be processed.
pub fn inline_css(html: &str) -> Result<String> {
    css_inline::CSSInliner::options()
        .keep_style_tags(false)
        .keep_at_rules(true)
        .load_remote_stylesheets(false)
        .build()
        .inline(html)
        .map_err(|e| Error::Template {
            name: "email.html".to_owned(),
            detail: format!("cannot inline its CSS: {e}"),
        })
}
