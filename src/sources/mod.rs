//! Every source a card cites, checked over the network by `check --links`, and only there:
//! `build`, `serve` and `send` never fetch anything (`send` reads what the last check found).
//!
//! [`cited`] finds each URL a card cites (its sources, and the links in its Markdown) and the
//! line it is written on; [`fetch`] asks each server, politely, whether it is still there; and
//! [`cache`] remembers the answers in `.briefing/cache/links`, so a second run within the
//! cache's age asks the network nothing.

pub mod cache;
pub mod fetch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::content::story::Story;
use crate::diagnostic::{Diagnostic, Pos, Severity};
pub use fetch::Verdict;

/// One URL a card cites, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// The card.
    pub card: PathBuf,
    /// Where the URL is written in it (line 1 when it cannot be found as written).
    pub pos: Pos,
    /// The URL.
    pub url: String,
    /// The line it is written on, for the diagnostic's snippet.
    pub line_text: Option<String>,
}

/// Every http(s) URL `stories` cite, each card's once, in card order: its sources, then the
/// links in its Markdown fields. `text_of` gives a card's text, to place each URL at its line.
pub fn cited(stories: &[&Story], text_of: &dyn Fn(&Path) -> Option<String>) -> Vec<Citation> {
    let mut out = Vec::new();
    for story in stories {
        let text = text_of(&story.path).unwrap_or_default();
        let mut urls: Vec<String> = story.sources.iter().map(|s| s.url.clone()).collect();
        for markdown in markdown_of(story) {
            urls.extend(
                crate::content::markdown::links(markdown)
                    .into_iter()
                    .filter(|url| url.starts_with("http://") || url.starts_with("https://")),
            );
        }
        let mut seen = std::collections::HashSet::new();
        for url in urls {
            if seen.insert(url.clone()) {
                let pos = place(&text, &url);
                let line_text = text
                    .lines()
                    .nth(pos.line.saturating_sub(1) as usize)
                    .map(str::to_owned);
                out.push(Citation {
                    card: story.path.clone(),
                    pos,
                    url,
                    line_text,
                });
            }
        }
    }
    out
}

/// The Markdown text of `story`'s fields.
fn markdown_of(story: &Story) -> Vec<&str> {
    let mut texts = vec![story.summary.as_str(), story.why_it_matters.as_str()];
    texts.extend(story.tldr.iter().map(String::as_str));
    texts.extend(story.implications.iter().map(String::as_str));
    texts.extend(story.business_relevance.as_deref());
    texts.extend(story.disclaimer.as_deref());
    texts.extend(story.what_to_watch.items.iter().map(|i| i.text.as_str()));
    texts
}

/// Where `url` is first written in `text`.
fn place(text: &str, url: &str) -> Pos {
    text.find(url)
        .map_or(Pos::START, |at| Pos::at_byte(text, at))
}

/// The diagnostic of each citation whose URL is not plainly live, by `verdicts`.
pub fn diagnostics(
    citations: &[Citation],
    verdicts: &BTreeMap<String, Verdict>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for citation in citations {
        let Some(verdict) = verdicts.get(&citation.url) else {
            continue;
        };
        let (severity, message, help) = match verdict {
            Verdict::Live => continue,
            Verdict::Dead { why } | Verdict::Unreachable { why } => (
                Severity::Error,
                format!("source `{}` is dead: {why}", citation.url),
                "replace it with a live source, or delete it; an archived copy (`check --links --archive`) outlives the page".to_owned(),
            ),
            Verdict::Moved { to, status } => (
                Severity::Warning,
                format!("source `{}` has moved for good ({status})", citation.url),
                format!("update the card to the new address: {to}"),
            ),
            Verdict::Unverified { why } => (
                Severity::Note,
                format!("could not verify source `{}`: {why}", citation.url),
                "many sites refuse robots; open it in a browser to check".to_owned(),
            ),
        };
        out.push(Diagnostic {
            severity,
            path: citation.card.clone(),
            pos: citation.pos,
            message,
            help: Some(help),
            line_text: citation.line_text.clone(),
        });
    }
    out
}
