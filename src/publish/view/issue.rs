//! One issue as templates see it: its stories grouped under their sections, what it
//! follows up and what it is still watching.

use std::sync::Arc;

use serde::Serialize;

use crate::content::config::Config;
use crate::content::dates;
use crate::content::ledger::{Attention, Ledger};
use crate::content::schedule::Issue;
use crate::content::story::{Due, Story};

use super::story::StoryView;
use super::watch::{FollowUpView, StoryRefs, WatchEntryView};

/// One issue.
#[derive(Debug, Clone, Serialize)]
pub struct IssueView {
    /// The printed number.
    pub number: u32,
    /// `2026-W25`.
    pub week: String,
    /// `2026-w25`, as in URLs.
    pub slug: String,
    /// Site-relative path of the issue page: `issues/2026-w25/`.
    pub path: String,
    /// Absolute URL of the issue page.
    pub url: String,
    /// `15–21 June 2026`, in the newsletter's language.
    pub date_range: String,
    /// Monday of the week, `YYYY-MM-DD`.
    pub start: String,
    /// Sunday of the week, `YYYY-MM-DD`.
    pub end: String,
    /// Subject line.
    pub subject: String,
    /// The headline of the issue's page and email: the `issue.yaml` subject, else the
    /// newsletter's title and the issue number.
    pub heading: String,
    /// Inbox preview line.
    pub preheader: String,
    /// Editor's note, Markdown, or none.
    pub intro: Option<String>,
    /// Whether any story has a section (templates then show section headings).
    pub has_sections: bool,
    /// The stories grouped by section, in reading order.
    pub sections: Vec<SectionView>,
    /// All stories in reading order; the first is the lead. Shared with `sections`.
    pub stories: Vec<Arc<StoryView>>,
    /// The earlier watch items this issue's stories follow up, in reading order.
    pub follow_ups: Vec<FollowUpView>,
    /// Open items of earlier issues that are overdue or stale as of the issue's last day,
    /// overdue first; at most `watch.still_watching_limit`.
    pub still_watching: Vec<WatchEntryView>,
    /// How many more there are than `still_watching` lists.
    pub still_watching_more: usize,
}

/// A group of stories under one heading.
#[derive(Debug, Clone, Serialize)]
pub struct SectionView {
    /// The heading, or none for stories without a section.
    pub name: Option<String>,
    /// The stories.
    pub stories: Vec<Arc<StoryView>>,
}

impl IssueView {
    /// The view of `issues[index]`; `ledger` is the ledger of `issues`, `attention` what the
    /// issue is still watching, and `refs` the references to the stories of `issues`.
    pub fn new(
        issues: &[Issue],
        index: usize,
        config: &Config,
        ledger: &Ledger<'_>,
        attention: &Attention,
        refs: &StoryRefs<'_>,
    ) -> IssueView {
        let issue = &issues[index];
        let slug = issue.id.slug();
        let follow_ups_of = |story: &Story| -> Vec<FollowUpView> {
            story
                .follows_up
                .iter()
                .filter_map(|follow_up| {
                    let tracked = ledger.get(&follow_up.id)?;
                    Some(FollowUpView {
                        id: follow_up.id.clone(),
                        text: tracked.item.text.clone(),
                        due: tracked.item.due.map(Due::as_written),
                        origin: refs.of(tracked.story, &issues[tracked.issue], config),
                        story: refs.of(story, issue, config),
                        note: follow_up.note.clone(),
                        resolved: follow_up.resolved,
                    })
                })
                .collect()
        };
        let path = issue.id.page_path();
        let groups = issue.sections();
        let has_sections = groups.iter().any(|(name, _)| name.is_some());
        let sections: Vec<SectionView> = groups
            .into_iter()
            .map(|(name, stories)| {
                // Under a section's h2 a story is an h3; without one it is an h2 itself.
                let heading = if name.is_some() { 3 } else { 2 };
                SectionView {
                    name: name.map(str::to_owned),
                    stories: stories
                        .into_iter()
                        .map(|s| {
                            let mut view = StoryView::new(s, config, heading);
                            view.follows_up = follow_ups_of(s);
                            Arc::new(view)
                        })
                        .collect(),
                }
            })
            .collect();
        let stories: Vec<Arc<StoryView>> = sections
            .iter()
            .flat_map(|s| s.stories.iter().cloned())
            .collect();
        // "Last time we said to watch": items of earlier issues. A story that follows up one
        // from the same week still says so itself.
        let week = issue.id.to_string();
        let follow_ups = stories
            .iter()
            .flat_map(|s| s.follows_up.iter())
            .filter(|f| f.origin.issue_week != week)
            .cloned()
            .collect();
        // As of the issue's last day, so an old issue reads the same whatever came after it.
        let as_of = issue.id.sunday();
        let still_watching_more = attention.total - attention.shown.len();
        let still_watching = attention
            .shown
            .iter()
            .map(|&at| WatchEntryView::new(&ledger.items[at], as_of, issues, config, refs))
            .collect();
        IssueView {
            number: issue.number,
            week: issue.id.to_string(),
            url: format!("{}{path}", config.base_url),
            path,
            slug,
            date_range: dates::range(issue.id.monday(), issue.id.sunday(), &config.language),
            start: issue.id.monday().to_string(),
            end: issue.id.sunday().to_string(),
            subject: issue.subject.clone(),
            heading: issue.heading.clone(),
            preheader: issue.preheader.clone(),
            intro: issue.intro.clone(),
            has_sections,
            sections,
            stories,
            follow_ups,
            still_watching,
            still_watching_more,
        }
    }
}
