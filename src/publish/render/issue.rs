//! One issue in four formats: `digest.md`, `index.html`, `email.html`, `email.txt`.

use super::{Output, Publication, Warning, email};
use crate::error::Result;
use crate::publish::view::{IssueContext, ViewedIssue};

/// The four files of issue `index`, and any warning about them.
///
/// # Errors
///
/// A template error, or a failure to inline the email's CSS.
pub fn render_issue(
    publication: &Publication<'_>,
    index: usize,
    issue: &ViewedIssue,
) -> Result<(Vec<Output>, Vec<Warning>)> {
    let dir = &issue.path;
    let web = IssueContext::web(&publication.site, &publication.links, index, issue, dir);
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
