//! One issue in four formats: `digest.md`, `index.html`, `email.html`, `email.txt`.

use serde::Serialize;

use super::{Output, PageView, Publication, email};
use crate::error::Result;
use crate::publish::view::{IssueLink, SiteView, ViewedIssue};

/// The context of issue templates.
#[derive(Serialize)]
pub struct IssueContext<'a> {
    /// The newsletter.
    pub site: &'a SiteView,
    /// The issue.
    pub issue: minijinja::Value,
    /// The page.
    pub page: PageView,
    /// The issue before this one.
    pub prev: Option<&'a IssueLink>,
    /// The issue after this one.
    pub next: Option<&'a IssueLink>,
    /// The unsubscribe link (a placeholder in email, none on the web).
    pub unsubscribe_url: Option<&'a str>,
    /// The reader, when a message is personalised.
    pub subscriber: SubscriberView<'a>,
    /// Whether this is the email, whose partials leave out HTML5's semantic tags.
    pub email: bool,
}

/// The reader of one message.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SubscriberView<'a> {
    /// Their name, or none.
    pub name: Option<&'a str>,
}

impl<'a> IssueContext<'a> {
    /// The web context of issue `index`, whose view is `issue`, seen from the page at `path`.
    pub fn web(
        publication: &'a Publication<'_>,
        index: usize,
        issue: &ViewedIssue,
        path: &str,
    ) -> IssueContext<'a> {
        let site = &publication.site;
        let mut page = PageView::at(
            site,
            path,
            format!("{} · {}", issue.subject, site.title),
            issue.preheader.clone(),
        );
        page.og_type = "article";
        IssueContext {
            site,
            issue: issue.value.clone(),
            page,
            prev: index.checked_sub(1).map(|i| &publication.links[i]),
            next: publication.links.get(index + 1),
            unsubscribe_url: None,
            subscriber: SubscriberView::default(),
            email: false,
        }
    }

    /// The same context with every link absolute, as email and feed content need.
    pub fn absolute(self) -> IssueContext<'a> {
        IssueContext {
            page: PageView {
                root: self.site.base_url.clone(),
                ..self.page
            },
            ..self
        }
    }
}

/// The four files of issue `index`, and any warning about them.
///
/// # Errors
///
/// A template error, or a failure to inline the email's CSS.
pub fn render_issue(
    publication: &Publication<'_>,
    index: usize,
    issue: &ViewedIssue,
) -> Result<(Vec<Output>, Vec<String>)> {
    let dir = &issue.path;
    let web = IssueContext::web(publication, index, issue, dir);
    let page = publication.render("issue.html", &web)?;
    let digest = publication.render("issue.md", &web)?;
    let (mut email, warning) = email::render_email_files(publication, index, issue)?;
    let mut outputs = vec![
        Output::text(format!("{dir}digest.md"), digest),
        Output::text(format!("{dir}index.html"), page),
    ];
    outputs.append(&mut email);
    Ok((outputs, warning.into_iter().collect()))
}
