//! What templates see: serialisable views of the site, issues and stories.
//!
//! These structs are the contract with users who write templates (every field is listed in
//! `docs/templates.md`); the domain types can change without breaking it. Markdown fields hold
//! the card's Markdown as plain strings: templates render them with the `markdown` filter, and
//! a template that forgets the filter prints escaped text, never raw HTML.
//!
//! [`issue`], [`story`] and [`watch`] hold the views of those; this file the site, its pages
//! and the contexts templates are rendered with.

use serde::Serialize;

use crate::content::config::Config;
use crate::content::dates;
use crate::content::schedule::Issue;
use crate::content::story::Story;

mod issue;
mod story;
#[cfg(test)]
mod tests;
mod watch;

pub use issue::IssueView;
pub use watch::{StoryRefs, WatchEntryView};

/// The newsletter as a whole.
#[derive(Debug, Clone, Hash, Serialize)]
pub struct SiteView {
    /// Newsletter name.
    pub title: String,
    /// Line under the title.
    pub tagline: String,
    /// Who it is for.
    pub audience: String,
    /// The footer's promise.
    pub promise: String,
    /// The sender's postal address, in the email's footer.
    pub postal_address: Option<String>,
    /// Absolute URL of the site, ending in `/`.
    pub base_url: String,
    /// Language tag.
    pub language: String,
    /// Author, for the feed.
    pub author: String,
    /// Where the sign-up form posts (`audience.url` + `subscribe`), when there is a
    /// sign-up service.
    pub subscribe_url: Option<String>,
    /// Whether the home page shows a call to subscribe above the latest issue
    /// (`audience.home_signup`, with `subscribe_url`).
    pub home_signup: bool,
    /// Whether pages have the archive's search box (`search` in config.yaml).
    pub search: bool,
}

impl SiteView {
    /// The site view of `config`.
    pub fn new(config: &Config) -> SiteView {
        SiteView {
            title: config.title.clone(),
            tagline: config.tagline.clone(),
            audience: config.audience.clone(),
            promise: config.promise.clone(),
            postal_address: config.postal_address.clone(),
            base_url: config.base_url.clone(),
            language: config.language.clone(),
            author: config.author.clone(),
            subscribe_url: config
                .list
                .url
                .as_ref()
                .map(|url| format!("{url}subscribe")),
            home_signup: config.list.home_signup,
            search: config.search,
        }
    }
}

/// An issue's view together with the same as a template value, converted once: an issue is
/// rendered in four formats and a feed entry, and converting the view for each render cost
/// more than some of the renders.
#[derive(Debug)]
pub struct ViewedIssue {
    /// The view, for Rust code.
    pub view: IssueView,
    /// The view, for templates.
    pub value: minijinja::Value,
}

impl ViewedIssue {
    /// Converts `view` for templates.
    pub fn new(view: IssueView) -> ViewedIssue {
        let value = minijinja::Value::from_serialize(&view);
        ViewedIssue { view, value }
    }
}

impl std::ops::Deref for ViewedIssue {
    type Target = IssueView;

    fn deref(&self) -> &IssueView {
        &self.view
    }
}

/// An issue as a link: archive rows, the pager, recent issues.
#[derive(Debug, Clone, PartialEq, Hash, Serialize)]
pub struct IssueLink {
    /// The printed number.
    pub number: u32,
    /// `2026-W25`.
    pub week: String,
    /// `issues/2026-w25/`.
    pub path: String,
    /// Absolute URL.
    pub url: String,
    /// `15–21 June 2026`.
    pub date_range: String,
    /// Subject line.
    pub subject: String,
    /// Headlines of the first three stories.
    pub lead_titles: Vec<String>,
    /// The first three stories as links: headline and site-relative permalink.
    pub leads: Vec<LeadLink>,
    /// How many stories the issue has.
    pub story_count: usize,
}

impl IssueLink {
    /// The link to `issue`.
    pub fn new(issue: &Issue, config: &Config) -> IssueLink {
        let path = issue.id.page_path();
        // Reading order, as on the page: stories grouped under their sections.
        let leads: Vec<&crate::content::story::Story> = issue.in_reading_order().take(3).collect();
        IssueLink {
            number: issue.number,
            week: issue.id.to_string(),
            url: format!("{}{path}", config.base_url),
            path,
            date_range: dates::range(issue.id.monday(), issue.id.sunday(), &config.language),
            subject: issue.subject.clone(),
            lead_titles: leads.iter().map(|s| s.title.clone()).collect(),
            leads: leads
                .iter()
                .map(|s| LeadLink {
                    title: s.title.clone(),
                    path: s.page_path(),
                })
                .collect(),
            story_count: issue.stories.len(),
        }
    }
}

/// One of an issue's first stories, as the archive links it.
#[derive(Debug, Clone, PartialEq, Hash, Serialize)]
pub struct LeadLink {
    /// Headline.
    pub title: String,
    /// `stories/<slug>/`.
    pub path: String,
}

/// A story as a link, on tag pages. It borrows from the story and its issue's link: an
/// archive's tag pages list every story two to four times.
#[derive(Debug, Clone, Hash, Serialize)]
pub struct StoryLink<'a> {
    /// Headline.
    pub title: &'a str,
    /// `stories/<slug>/`.
    pub path: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `17 June 2026`.
    pub date_display: String,
    /// Markdown.
    pub summary: &'a str,
    /// The issue it appeared in.
    pub issue: &'a IssueLink,
}

impl<'a> StoryLink<'a> {
    /// The link to `story`, of the issue `issue` links to.
    pub fn new(story: &'a Story, issue: &'a IssueLink, language: &str) -> StoryLink<'a> {
        StoryLink {
            title: &story.title,
            path: story.page_path(),
            date: story.date.to_string(),
            date_display: dates::long(story.date, language),
            summary: &story.summary,
            issue,
        }
    }
}

/// A tag, with its stories when its pages are rendered.
#[derive(Debug, Clone)]
pub struct TagPage<'a> {
    /// The tag as first written.
    pub name: &'a str,
    /// URL name.
    pub slug: String,
    /// `tags/<slug>/`.
    pub path: String,
    /// How many stories have it.
    pub count: usize,
    /// Its stories, newest first, with their issues' links; empty when its pages are not
    /// rendered this time.
    pub stories: Vec<(&'a Story, &'a IssueLink)>,
}

/// What a page template gets besides its subject.
#[derive(Debug, Clone, Hash, Serialize)]
pub struct PageView {
    /// Prefix that leads from the page to the site root: `../../` for `issues/x/`, `./` for
    /// the home page, the absolute base URL in email and feed content.
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

impl PageView {
    /// The page at site-relative `path` (a folder like `tags/ai/`, or `` for the home page).
    pub fn at(site: &SiteView, path: &str, title: String, description: String) -> PageView {
        let depth = path.matches('/').count();
        PageView {
            root: if depth == 0 {
                "./".to_owned()
            } else {
                "../".repeat(depth)
            },
            canonical: format!("{}{path}", site.base_url),
            title,
            description,
            og_type: "website",
        }
    }
}

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
    pub is_email: bool,
    /// The same, under the name templates of earlier versions test (`email is defined and
    /// email`); `briefing listen`'s pages use `email` for the reader's address, so the
    /// built-in partials test `is_email`.
    pub email: bool,
}

/// The reader of one message.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SubscriberView<'a> {
    /// Their name, or none.
    pub name: Option<&'a str>,
    /// Their first name, when they have a name.
    pub first_name: Option<&'a str>,
    /// The line that greets them (`email.greeting`), or none.
    pub greeting: Option<String>,
}

impl<'a> IssueContext<'a> {
    /// The web context of issue `index`, whose view is `issue`, seen from the page at `path`.
    /// `links` are every issue's, oldest first.
    pub fn web(
        site: &'a SiteView,
        links: &'a [IssueLink],
        index: usize,
        issue: &ViewedIssue,
        path: &str,
    ) -> IssueContext<'a> {
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
            prev: index.checked_sub(1).and_then(|i| links.get(i)),
            next: links.get(index + 1),
            unsubscribe_url: None,
            subscriber: SubscriberView::default(),
            is_email: false,
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
