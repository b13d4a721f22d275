//! An issue as an email: its template context, the two placeholders sending fills in, CSS
//! inlining, and the [`Letter`] that `send` personalises.
//!
//! Takes a [`Publication`] and an issue; returns HTML with every CSS rule in `style`
//! attributes (css-inline) and the plain-text part. Sending depends on this module, never the
//! reverse: `send` only swaps each subscriber's name and unsubscribe URL into a [`Letter`].
//!
//! Inlining parses the whole document, so it is the dearest step of a build. An email whose
//! HTML before inlining is byte for byte the one of an earlier build cannot inline any
//! differently, so [`Inliner`] keeps results in a content-addressed cache folder
//! (`.briefing/cache/email/`): safe to delete, pruned to [`CACHE_LIMIT_BYTES`].

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use super::{Output, Publication, Warning, entry};
use crate::error::{Error, Result};
use crate::publish::view::{IssueContext, SubscriberView, ViewedIssue};

/// Stands where each subscriber's unsubscribe URL goes; sending replaces it.
pub const UNSUBSCRIBE_PLACEHOLDER: &str = "%%UNSUBSCRIBE_URL%%";

/// Stands where a subscriber's name goes in a letter rendered for named subscribers.
pub const NAME_PLACEHOLDER: &str = "%%SUBSCRIBER_NAME%%";

/// Stands where a subscriber's first name goes (see [`first_name`]).
pub const FIRST_NAME_PLACEHOLDER: &str = "%%SUBSCRIBER_FIRST_NAME%%";

/// The first name in a name field as lists hold them: the part after the comma of
/// "Builder, Bob", else the first word ("Bob" of "Bob Builder", "Zoë" of "Zoë 北京"); a name of
/// one word is itself.
pub fn first_name(name: &str) -> &str {
    let name = name.trim();
    let given = match name.split_once(',') {
        Some((family, given)) if !family.trim().is_empty() && !given.trim().is_empty() => {
            given.trim()
        }
        _ => name,
    };
    let first = given
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(',');
    if first.chars().any(char::is_alphanumeric) {
        first
    } else {
        ""
    }
}

/// Gmail clips messages whose HTML is larger than this.
pub const GMAIL_CLIP_BYTES: usize = 102 * 1024;

/// The most the inlining cache keeps; the entries used longest ago go first.
pub const CACHE_LIMIT_BYTES: u64 = 256 * 1024 * 1024;

/// Part of every cache key: a new css-inline, or new options, must not reuse old results.
const CACHE_KEY_PREFIX: &[u8] =
    b"css-inline 0.23, keep_style_tags false, keep_at_rules true, charset first\n";

/// The rendered email of one issue, before personalisation.
#[derive(Debug, Clone)]
pub struct Letter {
    /// Subject line.
    pub subject: String,
    /// `2026-W25`, for Message-IDs.
    pub week: String,
    /// HTML and text for subscribers with a name (holding [`NAME_PLACEHOLDER`]).
    pub named: (String, String),
    /// HTML and text for subscribers without one.
    pub anonymous: (String, String),
}

/// Moves an email's stylesheet into `style` attributes, reusing earlier results.
#[derive(Debug, Default)]
pub struct Inliner {
    /// Where results are kept; `None` inlines every time.
    cache: Option<PathBuf>,
    /// Reads the cache but adds nothing to it (a dry run writes nothing).
    read_only: bool,
    /// Emails inlined by css-inline in this run.
    inlined: AtomicUsize,
    /// Emails taken from the cache in this run.
    reused: AtomicUsize,
}

impl Inliner {
    /// An inliner that keeps its results in `cache` (created when first written to).
    pub fn cached(cache: PathBuf) -> Inliner {
        Inliner {
            cache: Some(cache),
            ..Inliner::default()
        }
    }

    /// An inliner that uses the results in `cache` but writes nothing.
    pub fn read_only(cache: PathBuf) -> Inliner {
        Inliner {
            cache: Some(cache),
            read_only: true,
            ..Inliner::default()
        }
    }

    /// An inliner without a cache (`listen`'s confirmations: one at a time, each its own).
    pub fn uncached() -> Inliner {
        Inliner::default()
    }

    /// How many emails were inlined, and how many were taken from the cache, so far.
    #[cfg(test)]
    pub fn counts(&self) -> (usize, usize) {
        (
            self.inlined.load(Ordering::Relaxed),
            self.reused.load(Ordering::Relaxed),
        )
    }

    /// `html` with its CSS in `style` attributes; only `@media` rules (narrow screens, dark
    /// mode) stay in a `<style>` block.
    ///
    /// A cache that cannot be read or written is passed over: it only saves time.
    ///
    /// # Errors
    ///
    /// [`Error::InlineCss`] when css-inline cannot process the document.
    pub fn inline(&self, html: &str) -> Result<String> {
        let Some(dir) = &self.cache else {
            self.inlined.fetch_add(1, Ordering::Relaxed);
            return inline_css(html);
        };
        let mut key = Sha256::new();
        key.update(CACHE_KEY_PREFIX);
        key.update(html.as_bytes());
        let path = dir.join(format!("{}.html", entry::hex(&key.finalize())));
        if let Some(inlined) = read_entry(&path) {
            self.reused.fetch_add(1, Ordering::Relaxed);
            return Ok(inlined);
        }
        let inlined = inline_css(html)?;
        self.inlined.fetch_add(1, Ordering::Relaxed);
        if !self.read_only {
            entry::write(dir, &path, inlined.as_bytes());
        }
        Ok(inlined)
    }

    /// Removes the entries used longest ago until the cache holds at most `limit` bytes.
    pub fn prune(&self, limit: u64) {
        let Some(dir) = self.cache.as_ref().filter(|_| !self.read_only) else {
            return;
        };
        let files = entry::listed(dir);
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        for (_, len, path) in files {
            if total <= limit {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

/// The largest entry read: an email's HTML is well under a megabyte.
const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;

/// The inlined email of the entry at `path` ([`entry`]): a damaged or truncated entry is a
/// miss, never a wrong email.
fn read_entry(path: &Path) -> Option<String> {
    String::from_utf8(entry::read(path, MAX_ENTRY_BYTES)?).ok()
}

/// css-inline over `html`: rules into `style` attributes, `@media` rules kept in `<style>`.
fn inline_css(html: &str) -> Result<String> {
    css_inline::CSSInliner::options()
        .keep_style_tags(false)
        .keep_at_rules(true)
        .load_remote_stylesheets(false)
        .build()
        .inline(html)
        .map(|inlined| charset_first(&inlined))
        .map_err(|e| Error::InlineCss {
            detail: e.to_string(),
        })
}

/// `html` with its `<meta charset>` first in `<head>`. css-inline puts the kept `@media`
/// rules at the start of `<head>`, which pushed the declaration past the first 1024 bytes
/// (where HTML requires it) once a mail system made every line end CRLF.
fn charset_first(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let Some(head) = lower
        .find("<head")
        .and_then(|at| Some(at + lower[at..].find('>')? + 1))
    else {
        return html.to_owned();
    };
    let Some(meta) = lower.find("<meta charset") else {
        return html.to_owned();
    };
    let Some(end) = lower[meta..].find('>').map(|at| meta + at + 1) else {
        return html.to_owned();
    };
    if meta <= head {
        return html.to_owned();
    }
    // The line end after the tag goes with it.
    let end = if html[end..].starts_with('\n') {
        end + 1
    } else {
        end
    };
    let mut moved = String::with_capacity(html.len() + 1);
    moved.push_str(&html[..head]);
    moved.push_str(html[meta..end].trim_end());
    moved.push('\n');
    moved.push_str(&html[head..meta]);
    moved.push_str(&html[end..]);
    moved
}

/// The email of issue `index`: HTML with its CSS inlined and the text part, with
/// `unsubscribe_url` where the unsubscribe link goes (none: the link is left out), for a
/// reader named `name` (or none).
///
/// # Errors
///
/// A template error, or a failure to inline the CSS.
pub fn render_email(
    publication: &Publication<'_>,
    index: usize,
    issue: &ViewedIssue,
    unsubscribe_url: Option<&str>,
    name: Option<&str>,
) -> Result<(String, String)> {
    // The greeting's text holds the placeholders the send fills in; one that names the
    // reader is left out for readers without a name.
    let first_name = name.map(|_| FIRST_NAME_PLACEHOLDER);
    let greeting = publication.config.greeting.as_ref().and_then(|text| {
        let names_reader = text.contains("{first_name}") || text.contains("{name}");
        match name {
            None if names_reader => None,
            _ => Some(
                text.replace("{first_name}", first_name.unwrap_or(""))
                    .replace("{name}", name.unwrap_or("")),
            ),
        }
    });
    let context = IssueContext {
        unsubscribe_url,
        is_email: true,
        email: true,
        subscriber: SubscriberView {
            name,
            first_name,
            greeting,
        },
        ..IssueContext::web(
            &publication.site,
            &publication.links,
            index,
            issue,
            &issue.path,
        )
        .absolute()
    };
    let html = publication
        .inliner
        .inline(&publication.render("email.html", &context)?)?;
    let text = publication.render("email.txt", &context)?;
    Ok((html, text))
}

/// The email files of an issue for the site, and a warning when Gmail would clip it.
///
/// The published `email.html` and `email.txt` have no unsubscribe link: there is no page
/// that unsubscribes just anyone, and a placeholder would be a broken link on the site.
/// With `email.merge_tag` set, `email-merge.html` and `email-merge.txt` carry that tag where
/// the link goes, ready to paste into another mail tool.
///
/// # Errors
///
/// As [`render_email`].
pub fn render_email_files(
    publication: &Publication<'_>,
    index: usize,
    issue: &ViewedIssue,
) -> Result<(Vec<Output>, Option<Warning>)> {
    let dir = &issue.path;
    let (html, text) = render_email(publication, index, issue, None, None)?;
    let warning = (html.len() > GMAIL_CLIP_BYTES).then(|| Warning::EmailClipped {
        path: format!("{dir}email.html"),
        kb: html.len() / 1024,
        week: issue.week.clone(),
    });
    let mut outputs = vec![
        Output::text(format!("{dir}email.html"), html),
        Output::text(format!("{dir}email.txt"), text),
    ];
    if let Some(tag) = &publication.config.merge_tag {
        let (html, text) = render_email(publication, index, issue, Some(tag), None)?;
        outputs.push(Output::text(format!("{dir}email-merge.html"), html));
        outputs.push(Output::text(format!("{dir}email-merge.txt"), text));
    }
    Ok((outputs, warning))
}

/// The issue's email for sending: once for readers with a name (holding the name
/// placeholder) and once for readers without.
///
/// # Errors
///
/// As [`render_email`].
pub fn render_letter(publication: &Publication<'_>, index: usize) -> Result<Letter> {
    let issue = &publication.view(index);
    Ok(Letter {
        subject: issue.subject.clone(),
        week: issue.week.clone(),
        named: render_email(
            publication,
            index,
            issue,
            Some(UNSUBSCRIBE_PLACEHOLDER),
            Some(NAME_PLACEHOLDER),
        )?,
        anonymous: render_email(
            publication,
            index,
            issue,
            Some(UNSUBSCRIBE_PLACEHOLDER),
            None,
        )?,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_charset_declaration_moves_to_the_start_of_head() {
        let html = "<!DOCTYPE html><html><head><style>@media x {}</style>\n<meta charset=\"utf-8\">\n<title>t</title></head></html>";
        assert_eq!(
            super::charset_first(html),
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\">\n<style>@media x {}</style>\n<title>t</title></head></html>"
        );
        // Already first, or absent: unchanged.
        let first = "<html><head><meta charset=\"utf-8\"><style></style></head></html>";
        assert_eq!(super::charset_first(first), first);
        assert_eq!(super::charset_first("<p>no head</p>"), "<p>no head</p>");
    }

    #[test]
    fn the_first_name_is_after_the_comma_or_the_first_word() {
        assert_eq!(super::first_name("Bob Builder"), "Bob");
        assert_eq!(super::first_name("Builder, Bob"), "Bob");
        assert_eq!(super::first_name("  Zoë 北京 \"Z\" "), "Zoë");
        assert_eq!(super::first_name("王小明"), "王小明");
        assert_eq!(super::first_name("Madonna"), "Madonna");
        assert_eq!(super::first_name(", "), "");
        assert_eq!(super::first_name(""), "");
        assert_eq!(super::first_name("Builder,"), "Builder");
        assert_eq!(super::first_name("- Ann"), "");
    }

    use super::*;

    const DOCUMENT: &str = "<html><head><style>p { color: red } @media (max-width: 600px) \
        { p { color: blue } }</style></head><body><p>Hi</p></body></html>";

    #[test]
    fn inlines_rules_and_keeps_media_queries() {
        let inlined = Inliner::uncached().inline(DOCUMENT).unwrap();
        assert!(
            inlined.contains("<p style=\"color: red;\">Hi</p>"),
            "{inlined}"
        );
        assert!(inlined.contains("@media (max-width: 600px)"), "{inlined}");
    }

    #[test]
    fn a_cached_email_is_reused_and_equals_a_fresh_one() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("email");
        let first = Inliner::cached(cache.clone());
        let fresh = first.inline(DOCUMENT).unwrap();
        assert_eq!(first.counts(), (1, 0));
        let second = Inliner::cached(cache.clone());
        assert_eq!(second.inline(DOCUMENT).unwrap(), fresh);
        assert_eq!(second.counts(), (0, 1));
        // Any change to the HTML is another key.
        let changed = DOCUMENT.replace("Hi", "Ho");
        assert!(second.inline(&changed).unwrap().contains(">Ho</p>"));
        assert_eq!(second.counts(), (1, 1));
    }

    #[test]
    fn a_read_only_cache_is_used_but_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("email");
        let read_only = Inliner::read_only(cache.clone());
        let fresh = read_only.inline(DOCUMENT).unwrap();
        read_only.prune(0);
        assert!(!cache.exists(), "nothing is written");
        Inliner::cached(cache.clone()).inline(DOCUMENT).unwrap();
        let read_only = Inliner::read_only(cache.clone());
        assert_eq!(read_only.inline(DOCUMENT).unwrap(), fresh);
        assert_eq!(read_only.counts(), (0, 1));
        read_only.prune(0);
        assert_eq!(
            fs::read_dir(&cache).unwrap().count(),
            1,
            "nothing is pruned"
        );
    }

    #[test]
    fn a_damaged_entry_is_a_miss_and_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("email");
        let fresh = Inliner::cached(cache.clone()).inline(DOCUMENT).unwrap();
        let entry = fs::read_dir(&cache)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        for damage in [
            b"garbage".to_vec(),
            fs::read(&entry).unwrap()[..100].to_vec(),
        ] {
            fs::write(&entry, damage).unwrap();
            let inliner = Inliner::cached(cache.clone());
            assert_eq!(inliner.inline(DOCUMENT).unwrap(), fresh);
            assert_eq!(inliner.counts(), (1, 0), "a damaged entry is not used");
        }
        // Replaced by a whole one.
        let inliner = Inliner::cached(cache.clone());
        inliner.inline(DOCUMENT).unwrap();
        assert_eq!(inliner.counts(), (0, 1));
    }

    #[test]
    fn a_cache_that_cannot_be_written_only_costs_time() {
        let dir = tempfile::tempdir().unwrap();
        let blocked = dir.path().join("file");
        fs::write(&blocked, "not a folder").unwrap();
        let inliner = Inliner::cached(blocked.join("email"));
        let inlined = inliner.inline(DOCUMENT).unwrap();
        assert_eq!(inlined, Inliner::uncached().inline(DOCUMENT).unwrap());
    }

    #[test]
    fn pruning_removes_the_entries_used_longest_ago() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("email");
        let inliner = Inliner::cached(cache.clone());
        let documents: Vec<String> = (0..4)
            .map(|i| DOCUMENT.replace("Hi", &format!("Hi {i}")))
            .collect();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for document in &documents {
            inliner.inline(document).unwrap();
        }
        // Every entry but the last looks an hour old; the first is then used again.
        for entry in fs::read_dir(&cache).unwrap() {
            let file = fs::File::options()
                .append(true)
                .open(entry.unwrap().path())
                .unwrap();
            file.set_modified(old).unwrap();
        }
        inliner.inline(&documents[0]).unwrap();
        let size = fs::metadata(
            fs::read_dir(&cache)
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path(),
        )
        .unwrap()
        .len();
        inliner.prune(size + size / 2);
        let after = Inliner::cached(cache.clone());
        after.inline(&documents[0]).unwrap();
        assert_eq!(after.counts(), (0, 1), "the entry used last is kept");
        assert_eq!(fs::read_dir(&cache).unwrap().count(), 1);
    }
}
