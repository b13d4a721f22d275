//! The validated story: what a card means once `validate` has accepted it.
//!
//! Nothing here parses or reports; these are plain values that later stages trust.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::content::issue::IssueId;
use crate::diagnostic::Pos;

/// One story, from one card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Story {
    /// The card's path, relative to the newsletter root.
    pub path: PathBuf,
    /// URL-safe identifier: `[a-z0-9]+(-[a-z0-9]+)*`.
    pub slug: String,
    /// Where the slug comes from in the card (the `slug` value, else the `title` value).
    pub slug_pos: Pos,
    /// The slug an earlier version derived from the same title, when it differs (it made
    /// apostrophes dashes): its URL redirects to this story, and its watch item ids still
    /// work in `follows_up`, with a warning.
    pub old_slug: Option<String>,
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
    /// "What to watch": prose or a list, each item with an id later cards can follow up.
    pub what_to_watch: Watch,
    /// The watch items, of earlier cards, that this story resolves or advances.
    pub follows_up: Vec<FollowUp>,
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
    /// A story for tests: every required field filled, every optional one left out, one
    /// watch item; tests change the fields they are about. A new card field gets its default
    /// here, not in every test.
    #[cfg(test)]
    pub fn example(title: &str, date: &str) -> Story {
        Story {
            path: format!("briefs/{title}.yaml").into(),
            slug: title.to_lowercase(),
            slug_pos: Pos::START,
            old_slug: None,
            title: title.to_owned(),
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("a YYYY-MM-DD date"),
            date_pos: Pos::START,
            section: None,
            tags: vec![],
            summary: format!("Summary of {title}."),
            tldr: vec!["t".into()],
            why_it_matters: "w".into(),
            business_relevance: None,
            implications: vec![],
            what_to_watch: Watch {
                prose: true,
                items: vec![WatchItem {
                    id: format!("{}-1", title.to_lowercase()),
                    pos: Pos::START,
                    derived: true,
                    text: "x".into(),
                    due: None,
                }],
            },
            follows_up: vec![],
            sources: vec![],
            confidence: None,
            disclaimer: None,
            order: None,
            draft: false,
        }
    }

    /// The weekly issue this story belongs to.
    pub fn issue_id(&self) -> IssueId {
        IssueId::of_date(self.date)
    }

    /// Site-relative folder of the story's page: `stories/<slug>/`.
    pub fn page_path(&self) -> String {
        StoryPath(&self.slug).to_string()
    }
}

/// The site-relative folder of the page of the story whose slug it holds, `stories/<slug>/`,
/// written out where it is shown: the one place that says where story pages live.
#[derive(Debug, Clone, Copy, Hash)]
pub struct StoryPath<'a>(pub &'a str);

impl std::fmt::Display for StoryPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stories/{}/", self.0)
    }
}

/// The "What to watch" block: a paragraph (one item), or bullets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    /// Written as a paragraph rather than a list; then `items` holds exactly one item.
    pub prose: bool,
    /// The items, in the card's order.
    pub items: Vec<WatchItem>,
}

/// One thing to watch, which a later story can follow up by its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchItem {
    /// Unique across all cards: written on the card, or derived as `<card slug>-<position>`.
    pub id: String,
    /// Where the id is written, or where the item starts when the id is derived.
    pub pos: Pos,
    /// Whether the id was derived rather than written.
    pub derived: bool,
    /// Markdown: inline for a bullet, paragraphs for prose.
    pub text: String,
    /// When the curator expects it to be settled.
    pub due: Option<Due>,
}

impl WatchItem {
    /// The id a plain entry at `position` (1-based) of the card with `slug` gets. It depends on
    /// nothing but the card, so other cards can change without moving it.
    pub fn derived_id(slug: &str, position: usize) -> String {
        format!("{slug}-{position}")
    }
}

/// A due date: a day, or a whole month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Due {
    /// `2026-09-30`.
    Day(NaiveDate),
    /// `2026-09`: some time that month. Holds its first day.
    Month(NaiveDate),
}

impl Due {
    /// The first day the item may be settled.
    pub fn first_day(self) -> NaiveDate {
        match self {
            Due::Day(day) | Due::Month(day) => day,
        }
    }

    /// The last day before the item counts as overdue.
    pub fn last_day(self) -> NaiveDate {
        match self {
            Due::Day(day) => day,
            Due::Month(first) => first
                .checked_add_months(chrono::Months::new(1))
                .and_then(|next| next.pred_opt())
                .unwrap_or(first),
        }
    }

    /// As written: `2026-09-30` or `2026-09`.
    pub fn as_written(self) -> String {
        match self {
            Due::Day(day) => day.to_string(),
            Due::Month(first) => first.format("%Y-%m").to_string(),
        }
    }
}

/// A story's link to an earlier watch item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    /// The watch item's id.
    pub id: String,
    /// Where the id is written.
    pub pos: Pos,
    /// What this story adds, Markdown inline.
    pub note: Option<String>,
    /// Whether this story settles the item.
    pub resolved: bool,
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
    /// Its archived copy, from `archive.yaml`, if it has one.
    pub archived: Option<String>,
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
