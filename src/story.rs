//! The validated story: what a card means once `validate` has accepted it.
//!
//! Nothing here parses or reports; these are plain values that later stages trust.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::issue::IssueId;
use crate::yaml::Pos;

/// One story, from one card.
#[derive(Debug, Clone, PartialEq)]
pub struct Story {
    /// The card's path, relative to the newsletter root.
    pub path: PathBuf,
    /// URL-safe identifier: `[a-z0-9]+(-[a-z0-9]+)*`.
    pub slug: String,
    /// Where the slug comes from in the card (the `slug` value, else the `title` value).
    pub slug_pos: Pos,
    /// Headline: one line of plain text.
    pub title: String,
    /// Publication date; its ISO week decides the issue.
    pub date: NaiveDate,
    /// Where the date is written, for messages about the week.
    pub date_pos: Pos,
    /// Optional section heading the story is grouped under.
    pub section: Option<String>,
    /// Tags, in the card's order, without duplicates.
    pub tags: Vec<String>,
    /// Summary paragraph(s), Markdown.
    pub summary: String,
    /// TL;DR bullets, Markdown inline, 1 to 6.
    pub tldr: Vec<String>,
    /// "Why it matters", Markdown.
    pub why_it_matters: String,
    /// "Business relevance", Markdown.
    pub business_relevance: Option<String>,
    /// "Key implications", Markdown inline each.
    pub implications: Vec<String>,
    /// "What to watch": prose or a list.
    pub what_to_watch: Watch,
    /// The evidence.
    pub sources: Vec<SourceLink>,
    /// How sure the curator is.
    pub confidence: Option<Confidence>,
    /// Disclaimer shown under the story, Markdown.
    pub disclaimer: Option<String>,
    /// Position in the issue; lower comes first.
    pub order: Option<i64>,
    /// Checked, never published (unless the build asks for drafts).
    pub draft: bool,
}

impl Story {
    /// The weekly issue this story belongs to.
    pub fn issue_id(&self) -> IssueId {
        IssueId::of_date(self.date)
    }
}

/// The "What to watch" block: a paragraph, or bullets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watch {
    /// One Markdown paragraph (or more).
    Prose(String),
    /// Markdown-inline bullets.
    Items(Vec<String>),
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLink {
    /// What the link is, e.g. the publication and headline.
    pub title: String,
    /// An absolute http(s) URL.
    pub url: String,
    /// When the source was published.
    pub date: Option<NaiveDate>,
}

/// The curator's confidence in a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    /// One weak or unconfirmed source.
    Low,
    /// Reported, not yet confirmed.
    Medium,
    /// Confirmed by several or primary sources.
    High,
}

impl Confidence {
    /// The values a card may use, in the order help messages list them.
    pub const NAMES: [&'static str; 3] = ["low", "medium", "high"];

    /// Parses one of [`Confidence::NAMES`].
    pub fn parse(text: &str) -> Option<Confidence> {
        match text {
            "low" => Some(Confidence::Low),
            "medium" => Some(Confidence::Medium),
            "high" => Some(Confidence::High),
            _ => None,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}
