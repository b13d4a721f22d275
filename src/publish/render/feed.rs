//! `feed.xml` (Atom 1.0, RFC 4287) and `sitemap.xml`.
//!
//! Each issue is one feed entry whose id is its URL, so it never changes. Its `updated` must
//! change when, and only when, the issue's content does, without reading the clock: it is the
//! newest story's date plus a number of seconds (under a day) taken from a hash of the
//! entry's content. The same content always gives the same instant; an edit gives another.

use std::borrow::Cow;

use serde::Serialize;

use super::site::{tag_page_count, tag_page_path_at};
use super::{Output, PageDigests, Publication, Scope, Sink};
use crate::content::story::StoryPath;
use crate::error::Result;
use crate::publish::view::{IssueContext, SiteView, ViewedIssue};

/// One issue's feed entry, rendered with its issue.
#[derive(Debug, Serialize)]
pub struct FeedEntry {
    id: String,
    title: String,
    url: String,
    published: String,
    updated: String,
    summary: String,
    content: String,
}

#[derive(Serialize)]
struct FeedContext<'a> {
    site: &'a SiteView,
    feed_url: String,
    updated: String,
    entries: Vec<&'a FeedEntry>,
}

/// A sitemap entry. Its strings are made only when the sitemap is rendered: most builds of
/// part of a large site keep the last sitemap after comparing digests, and formatting ten
/// thousand URLs and dates only to digest them took longer than the rest of the sitemap.
#[derive(Hash)]
struct SitemapUrl<'a> {
    base: &'a str,
    path: SitemapPath<'a>,
    /// Templates see `YYYY-MM-DD`, or an empty string.
    lastmod: Option<chrono::NaiveDate>,
}

/// A page's path in the site: a story's is written out only when the sitemap is rendered.
#[derive(Hash)]
enum SitemapPath<'a> {
    Page(Cow<'a, str>),
    Story(StoryPath<'a>),
}

impl std::fmt::Display for SitemapPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SitemapPath::Page(path) => f.write_str(path),
            SitemapPath::Story(path) => path.fmt(f),
        }
    }
}

impl Serialize for SitemapUrl<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut url = serializer.serialize_struct("SitemapUrl", 2)?;
        url.serialize_field("loc", &format!("{}{}", self.base, self.path))?;
        url.serialize_field(
            "lastmod",
            &self.lastmod.map(|day| day.to_string()).unwrap_or_default(),
        )?;
        url.end()
    }
}

#[derive(Serialize, Hash)]
struct SitemapContext<'a> {
    site: &'a SiteView,
    urls: Vec<SitemapUrl<'a>>,
}

/// FNV-1a, 64 bits: small, stable across platforms and Rust versions.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `date` (YYYY-MM-DD) at `seconds` past midnight UTC, as RFC 3339.
fn instant(date: &str, seconds: u64) -> String {
    let seconds = seconds % 86_400;
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// The feed entry of issue `index`: its full HTML with absolute URLs.
///
/// # Errors
///
/// A template error.
pub fn render_entry(
    publication: &Publication<'_>,
    index: usize,
    issue: &ViewedIssue,
) -> Result<FeedEntry> {
    let context = IssueContext::web(
        &publication.site,
        &publication.links,
        index,
        issue,
        &issue.path,
    )
    .absolute();
    let content = publication.render("partials/issue-body.html", &context)?;
    let newest = issue
        .stories
        .iter()
        .map(|s| s.date.as_str())
        .max()
        .unwrap_or(&issue.end);
    Ok(FeedEntry {
        id: issue.url.clone(),
        title: format!("Issue {}: {}", issue.number, issue.subject),
        url: issue.url.clone(),
        published: instant(newest, 0),
        updated: instant(newest, fnv1a(content.as_bytes())),
        summary: issue.preheader.clone(),
        content,
    })
}

/// Renders `feed.xml` from `entries` (oldest first, one per issue, the newest
/// `feed_limit` issues).
///
/// # Errors
///
/// A template error, or the sink's.
pub fn render_feed(
    publication: &Publication<'_>,
    entries: &[std::sync::Arc<FeedEntry>],
    sink: &dyn Sink,
) -> Result<()> {
    let site = &publication.site;
    let entries: Vec<&FeedEntry> = entries.iter().rev().map(|entry| &**entry).collect();
    let updated = entries
        .iter()
        .map(|e| e.updated.clone())
        .max()
        .unwrap_or_else(|| instant("1970-01-01", 0));
    let feed = FeedContext {
        site,
        feed_url: format!("{}feed.xml", site.base_url),
        updated,
        entries,
    };
    sink.put(Output::text(
        "feed.xml",
        publication.render("feed.xml", &feed)?,
    ))
}

/// Renders `sitemap.xml`: every page, with the date it last changed. With `last` (the last
/// build's digests), returns its context's digest, and a build of part of the site keeps the
/// last build's sitemap when the digest is the same: most edits move no page and date.
///
/// # Errors
///
/// A template error, or the sink's.
pub fn render_sitemap(
    publication: &Publication<'_>,
    sink: &dyn Sink,
    scope: &Scope,
    last: Option<&PageDigests>,
) -> Result<Option<(String, [u8; 32])>> {
    let site = &publication.site;
    let base = site.base_url.as_str();
    let url = |path, lastmod| SitemapUrl {
        base,
        path,
        lastmod,
    };
    let newest_story = publication
        .issues
        .iter()
        .flat_map(|i| i.stories.iter().map(|s| s.date))
        .max();
    let mut urls = vec![
        url(SitemapPath::Page(Cow::Borrowed("")), newest_story),
        url(SitemapPath::Page(Cow::Borrowed("archive/")), newest_story),
        url(SitemapPath::Page(Cow::Borrowed("tags/")), newest_story),
    ];
    for index in 0..super::watch::WatchPages::count(publication) {
        urls.push(url(
            SitemapPath::Page(Cow::Owned(super::watch::WatchPages::path(index))),
            newest_story,
        ));
    }
    for (issue, link) in publication.issues.iter().zip(&publication.links) {
        let newest = issue.stories.iter().map(|s| s.date).max();
        urls.push(url(SitemapPath::Page(Cow::Borrowed(&link.path)), newest));
        for story in issue.in_reading_order() {
            // A story page changes when a later story follows up one of its watch items.
            let followed = publication.last_follow_up(&story.slug);
            urls.push(url(
                SitemapPath::Story(StoryPath(&story.slug)),
                Some(followed.map_or(story.date, |f| f.max(story.date))),
            ));
        }
    }
    // A tag's pages change when its newest story arrives (each later page then starts one
    // story further on).
    let mut tag_dates: rustc_hash::FxHashMap<&str, (chrono::NaiveDate, usize)> =
        rustc_hash::FxHashMap::default();
    for story in publication.issues.iter().flat_map(|i| &i.stories) {
        for name in &story.tags {
            let (newest, count) = tag_dates.entry(name).or_insert((story.date, 0));
            *newest = (*newest).max(story.date);
            *count += 1;
        }
    }
    // By URL name: spellings that share one (`AI labs`, `ai-labs`) share their pages.
    let mut by_slug: std::collections::BTreeMap<String, (chrono::NaiveDate, usize)> =
        std::collections::BTreeMap::new();
    for (name, (date, count)) in tag_dates {
        let (newest, all) = by_slug
            .entry(crate::content::slug::tag_slug(name))
            .or_insert((date, 0));
        *newest = (*newest).max(date);
        *all += count;
    }
    for (slug, (date, count)) in by_slug {
        for index in 0..tag_page_count(count, publication.config) {
            urls.push(url(
                SitemapPath::Page(Cow::Owned(tag_page_path_at(&slug, index))),
                Some(date),
            ));
        }
    }
    let sitemap = SitemapContext { site, urls };
    let path = "sitemap.xml";
    let (digest, kept) =
        super::keep_unchanged(sink, scope, last, path, &sitemap, scope.renders_sitemap())?;
    if !kept {
        sink.put(Output::text(
            path,
            publication.render("sitemap.xml", &sitemap)?,
        ))?;
    }
    Ok(digest.map(|digest| (path.to_owned(), digest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_stay_within_the_day() {
        assert_eq!(instant("2026-06-17", 0), "2026-06-17T00:00:00Z");
        assert_eq!(instant("2026-06-17", 86_399), "2026-06-17T23:59:59Z");
        assert_eq!(instant("2026-06-17", 86_400 + 61), "2026-06-17T00:01:01Z");
    }

    #[test]
    fn the_hash_is_stable_and_sensitive() {
        assert_eq!(fnv1a(b"issue"), fnv1a(b"issue"));
        assert_ne!(fnv1a(b"issue"), fnv1a(b"issue."));
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    }
}
