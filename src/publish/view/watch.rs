//! Watch items as templates see them: on their story, as follow-ups, and as entries of the
//! watch page and of "Still watching"; and the references to the stories they point at.

use serde::Serialize;

use crate::content::config::Config;
use crate::content::dates;
use crate::content::ledger::{Mention, Tracked};
use crate::content::schedule::Issue;
use crate::content::story::{Due, Story, Watch};

/// "What to watch": exactly one of `text` and `items` is set; `entries` has every item, with
/// its id and due date, either way.
#[derive(Debug, Clone, Serialize)]
pub struct WatchView {
    /// A paragraph of Markdown.
    pub text: Option<String>,
    /// Markdown-inline bullets.
    pub items: Vec<String>,
    /// Every item: one for a paragraph, one per bullet.
    pub entries: Vec<WatchItemView>,
}

/// One "What to watch" item on its own story.
#[derive(Debug, Clone, Serialize)]
pub struct WatchItemView {
    /// Unique across the newsletter; the anchor on `watch/`.
    pub id: String,
    /// Markdown (plain text in `story.text`).
    pub text: String,
    /// `2026-09-30` or `2026-09`, as written, or none.
    pub due: Option<String>,
    /// `30 September 2026` or `September 2026`, or none.
    pub due_display: Option<String>,
}

/// A story as the end of a link between a watch item and its follow-up.
#[derive(Debug, Clone, Hash, Serialize)]
pub struct StoryRef {
    /// URL name.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// `stories/<slug>/`.
    pub path: String,
    /// Absolute URL of the story page.
    pub url: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `17 June 2026`.
    pub date_display: String,
    /// The number of the issue it appeared in.
    pub issue_number: u32,
    /// That issue's week, `2026-W25`.
    pub issue_week: String,
    /// That issue's page, `issues/2026-w25/`.
    pub issue_path: String,
}

/// A later story's follow-up of an earlier watch item.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUpView {
    /// The item's id.
    pub id: String,
    /// The item, Markdown, as the earlier story wrote it.
    pub text: String,
    /// Its due date as written, or none.
    pub due: Option<String>,
    /// The story that said to watch it.
    pub origin: StoryRef,
    /// The story that follows it up.
    pub story: StoryRef,
    /// What the later story adds, Markdown inline, or none.
    pub note: Option<String>,
    /// Whether the later story settles the item.
    pub resolved: bool,
}

/// A watch item with everything that followed it, as of a given day: the watch page, "Still
/// watching", `briefing watch --json`.
#[derive(Debug, Clone, Hash, Serialize)]
pub struct WatchEntryView {
    /// Unique id.
    pub id: String,
    /// Markdown.
    pub text: String,
    /// `2026-09-30` or `2026-09`, or none.
    pub due: Option<String>,
    /// `30 September 2026` or `September 2026`, or none.
    pub due_display: Option<String>,
    /// `open`, `overdue`, `stale` or `resolved`.
    pub state: &'static str,
    /// Open (overdue and stale items are open too).
    pub open: bool,
    /// Whole weeks since the story that said to watch it.
    pub age_weeks: i64,
    /// The story that said to watch it.
    pub story: StoryRef,
    /// Every follow-up up to the day, oldest first.
    pub follow_ups: Vec<MentionView>,
    /// The follow-up that settled it, or none.
    pub resolved_by: Option<MentionView>,
}

/// One follow-up, seen from the item.
#[derive(Debug, Clone, Hash, Serialize)]
pub struct MentionView {
    /// The later story.
    pub story: StoryRef,
    /// What it adds, Markdown inline, or none.
    pub note: Option<String>,
    /// Whether it settled the item.
    pub resolved: bool,
}

impl StoryRef {
    /// The reference to `story`, which appeared in `issue`.
    pub fn new(story: &Story, issue: &Issue, config: &Config) -> StoryRef {
        let path = story.page_path();
        StoryRef {
            slug: story.slug.clone(),
            title: story.title.clone(),
            url: format!("{}{path}", config.base_url),
            path,
            date: story.date.to_string(),
            date_display: dates::long(story.date, &config.language),
            issue_number: issue.number,
            issue_week: issue.id.to_string(),
            issue_path: issue.id.page_path(),
        }
    }
}

/// Every story's [`StoryRef`], made once: watch entries and follow-ups name the same stories
/// again and again (a story page, the watch page and later issues each show an item with its
/// story), and making a reference formats dates and URLs.
///
/// Stories are known by their address, which the borrow of their issues keeps theirs.
pub struct StoryRefs<'a> {
    /// Each story's reference, made the first time it is asked for: a build of part of the
    /// site asks for a few dozen of ten thousand.
    by_address: rustc_hash::FxHashMap<usize, std::sync::OnceLock<StoryRef>>,
    issues: std::marker::PhantomData<&'a [Issue]>,
}

impl<'a> StoryRefs<'a> {
    /// The references of every story of `issues`.
    pub fn new(issues: &'a [Issue]) -> StoryRefs<'a> {
        let mut by_address = rustc_hash::FxHashMap::default();
        by_address.reserve(issues.iter().map(|issue| issue.stories.len()).sum());
        for story in issues.iter().flat_map(|issue| &issue.stories) {
            by_address.insert(address(story), std::sync::OnceLock::new());
        }
        StoryRefs {
            by_address,
            issues: std::marker::PhantomData,
        }
    }

    /// The reference to `story`, which appeared in `issue`.
    pub(super) fn of(&self, story: &Story, issue: &Issue, config: &Config) -> StoryRef {
        match self.by_address.get(&address(story)) {
            Some(known) => known
                .get_or_init(|| StoryRef::new(story, issue, config))
                .clone(),
            None => StoryRef::new(story, issue, config),
        }
    }
}

/// Identifies a story among those a [`StoryRefs`] borrows.
pub(super) fn address(story: &Story) -> usize {
    std::ptr::from_ref(story) as usize
}

/// `due` as readers see it.
pub(super) fn due_display(due: Due, language: &str) -> String {
    match due {
        Due::Day(day) => dates::long(day, language),
        Due::Month(first) => dates::month(first, language),
    }
}

impl MentionView {
    fn new(
        mention: &Mention<'_>,
        issues: &[Issue],
        config: &Config,
        refs: &StoryRefs<'_>,
    ) -> MentionView {
        MentionView {
            story: refs.of(mention.story, &issues[mention.issue], config),
            note: mention.follow_up.note.clone(),
            resolved: mention.follow_up.resolved,
        }
    }
}

impl WatchEntryView {
    /// The view of `tracked` as of `as_of`: follow-ups dated later are not in it yet.
    pub fn new(
        tracked: &Tracked<'_>,
        as_of: chrono::NaiveDate,
        issues: &[Issue],
        config: &Config,
        refs: &StoryRefs<'_>,
    ) -> WatchEntryView {
        let state = tracked.state(as_of, config.watch.stale_after_weeks);
        let item = tracked.item;
        WatchEntryView {
            id: item.id.clone(),
            text: item.text.clone(),
            due: item.due.map(Due::as_written),
            due_display: item.due.map(|d| due_display(d, &config.language)),
            state: state.as_str(),
            open: state.is_open(),
            age_weeks: tracked.age_weeks(as_of),
            story: refs.of(tracked.story, &issues[tracked.issue], config),
            follow_ups: tracked
                .mentions
                .iter()
                .filter(|m| m.story.date <= as_of)
                .map(|m| MentionView::new(m, issues, config, refs))
                .collect(),
            resolved_by: tracked
                .resolved_by(as_of)
                .map(|m| MentionView::new(m, issues, config, refs)),
        }
    }
}

pub(super) fn watch_view(
    watch: &Watch,
    config: &Config,
    convert: &mut dyn FnMut(&str) -> String,
) -> WatchView {
    let entries: Vec<WatchItemView> = watch
        .items
        .iter()
        .map(|item| WatchItemView {
            id: item.id.clone(),
            text: convert(&item.text),
            due: item.due.map(Due::as_written),
            due_display: item.due.map(|d| due_display(d, &config.language)),
        })
        .collect();
    if watch.prose {
        WatchView {
            text: entries.first().map(|e| e.text.clone()),
            items: Vec::new(),
            entries,
        }
    } else {
        WatchView {
            text: None,
            items: entries.iter().map(|e| e.text.clone()).collect(),
            entries,
        }
    }
}
