//! `briefing report`: what became of a sent issue, gathered from the send journals, the
//! subscriber store and the click counts. Everything here is a count: the journals name
//! recipients by keyed hash only, and the click counts name no one.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Prepared;
use crate::audience::store::{ReportCounts, Store};
use crate::content::schedule::Issue;
use crate::error::Result;
use crate::mail::clicks::NO_STORY;
use crate::mail::journal::{Outcomes, outcomes};

/// How many issues the side-by-side view shows, the chosen one last.
pub const TREND: usize = 6;

/// Clicks on one link.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LinkClicks {
    /// Where it goes.
    pub url: String,
    /// Clicks taken to be readers'.
    pub readers: i64,
    /// Requests taken to be machines' (scanners, previews, HEAD requests, bursts).
    pub automated: i64,
}

/// Clicks in one story (or outside the stories: the header's and the footer's links).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StoryClicks {
    /// The story's slug; `-` outside the stories.
    pub slug: String,
    /// Its title as the cards give it now (the slug for a story no card has any more).
    pub title: String,
    /// Readers' clicks on its links.
    pub readers: i64,
    /// Automated requests for them.
    pub automated: i64,
    /// Each link, most read first.
    pub links: Vec<LinkClicks>,
}

/// One issue's figures.
#[derive(Debug, Clone, Serialize)]
pub struct IssueReport {
    /// `2026-W25`.
    pub issue: String,
    /// The printed number.
    pub number: u32,
    /// The subject.
    pub subject: String,
    /// From the send journals.
    pub delivery: Outcomes,
    /// Bounces and complaints whose proof names this issue, and those that name none
    /// ingested from this issue's send until the next issue's.
    pub reports: ReportCounts,
    /// Readers who left from this issue's unsubscribe link.
    pub unsubscribes: u64,
    /// Readers' clicks in all.
    pub reader_clicks: i64,
    /// Automated requests in all.
    pub automated_clicks: i64,
    /// Per story, in the issue's order, then links outside the stories.
    pub stories: Vec<StoryClicks>,
}

impl IssueReport {
    /// The most readers' clicks any story had, at least 1: the full length of a bar.
    pub fn most_read(&self) -> i64 {
        self.stories
            .iter()
            .map(|s| s.readers)
            .max()
            .unwrap_or(0)
            .max(1)
    }
}

/// The report of one issue and the issues before it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Whether `audience.clicks` is on (without it there are no click counts to show).
    pub clicks_counted: bool,
    /// The issue asked for.
    pub issue: IssueReport,
    /// Up to [`TREND`] sent issues up to it, oldest first, the chosen one included.
    pub trend: Vec<IssueReport>,
}

impl Report {
    /// Whether there are clicks to show: counting is on, or was when some were counted.
    pub fn shows_clicks(&self) -> bool {
        self.clicks_counted || self.issue.reader_clicks + self.issue.automated_clicks > 0
    }
}

/// The report of issue `index` of `prepared`, read from `store` and the journals.
///
/// # Errors
///
/// [`crate::error::Error::Store`] when the store cannot be read.
pub fn report(prepared: &Prepared, index: usize, store: &Store) -> Result<Report> {
    let mut journals = outcomes(&prepared.paths.root.join(".briefing/sends"), store.key());
    let deliveries: Vec<Outcomes> = prepared
        .issues
        .iter()
        .map(|issue| journals.remove(&issue.id.slug()).unwrap_or_default())
        .collect();
    let starts: Vec<Option<DateTime<Utc>>> = deliveries
        .iter()
        .map(|d| {
            d.first_at
                .as_deref()
                .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
                .map(|at| at.with_timezone(&Utc))
        })
        .collect();
    let unsubscribes = store.unsubscribes_by_issue()?;
    let one = |i: usize| -> Result<IssueReport> {
        let issue = &prepared.issues[i];
        let until = starts[i + 1..].iter().flatten().next().copied();
        let week = issue.id.to_string();
        let reports = store.reports_of(&week, starts[i], until)?;
        let stories = stories(issue, store.clicks(&week)?);
        Ok(IssueReport {
            number: issue.number,
            subject: issue.subject.clone(),
            delivery: deliveries[i].clone(),
            reports,
            unsubscribes: unsubscribes.get(&week).copied().unwrap_or(0),
            reader_clicks: stories.iter().map(|s| s.readers).sum(),
            automated_clicks: stories.iter().map(|s| s.automated).sum(),
            stories,
            issue: week,
        })
    };
    let mut trend = Vec::new();
    for i in (0..index).rev() {
        if trend.len() + 1 >= TREND {
            break;
        }
        if deliveries[i].sent > 0 {
            trend.push(one(i)?);
        }
    }
    trend.reverse();
    let issue = one(index)?;
    trend.push(issue.clone());
    Ok(Report {
        clicks_counted: prepared.config.list.clicks,
        issue,
        trend,
    })
}

/// The click counts of `issue` grouped by story in the issue's order; stories no card has
/// any more (renamed since) after them, then the links outside the stories.
fn stories(
    issue: &Issue,
    counts: Vec<(
        crate::audience::store::ClickKey,
        crate::audience::store::ClickCount,
    )>,
) -> Vec<StoryClicks> {
    let mut by_story: HashMap<String, Vec<LinkClicks>> = HashMap::new();
    for (key, count) in counts {
        by_story.entry(key.story).or_default().push(LinkClicks {
            url: key.url,
            readers: count.readers,
            automated: count.automated,
        });
    }
    let take = |by_story: &mut HashMap<String, Vec<LinkClicks>>, slug: &str, title: String| {
        let mut links = by_story.remove(slug).unwrap_or_default();
        links.sort_by(|a, b| b.readers.cmp(&a.readers).then(a.url.cmp(&b.url)));
        StoryClicks {
            slug: slug.to_owned(),
            title,
            readers: links.iter().map(|l| l.readers).sum(),
            automated: links.iter().map(|l| l.automated).sum(),
            links,
        }
    };
    let mut out: Vec<StoryClicks> = issue
        .stories
        .iter()
        .map(|story| take(&mut by_story, &story.slug, story.title.clone()))
        .collect();
    let mut gone: Vec<String> = by_story
        .keys()
        .filter(|slug| *slug != NO_STORY)
        .cloned()
        .collect();
    gone.sort();
    for slug in gone {
        out.push(take(&mut by_story, &slug, slug.clone()));
    }
    if by_story.contains_key(NO_STORY) {
        out.push(take(
            &mut by_story,
            NO_STORY,
            "Outside the stories (header, footer, follow-ups)".to_owned(),
        ));
    }
    out
}
