//! What templates see: serialisable views of the site, issues and stories.
//!
//! These structs are the contract with users who write templates (every field is listed in
//! `docs/templates.md`); the domain types can change without breaking it. Markdown fields hold
//! the card's Markdown as plain strings: templates render them with the `markdown` filter, and
//! a template that forgets the filter prints escaped text, never raw HTML.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::content::config::Config;
use crate::content::dates;
use crate::content::ledger::{Attention, Ledger, Mention, Tracked};
use crate::content::markdown;
use crate::content::schedule::Issue;
use crate::content::slug;
use crate::content::story::{Due, SourceLink, Story, Watch};
use crate::content::url;

/// The newsletter as a whole.
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    /// Newsletter name.
    pub title: String,
    /// Line under the title.
    pub tagline: String,
    /// Who it is for.
    pub audience: String,
    /// The footer's promise.
    pub promise: String,
    /// Absolute URL of the site, ending in `/`.
    pub base_url: String,
    /// Language tag.
    pub language: String,
    /// Author, for the feed.
    pub author: String,
    /// Where the sign-up form posts (`audience.url` + `subscribe`), when there is a
    /// sign-up service.
    pub subscribe_url: Option<String>,
}

impl SiteView {
    /// The site view of `config`.
    pub fn new(config: &Config) -> SiteView {
        SiteView {
            title: config.title.clone(),
            tagline: config.tagline.clone(),
            audience: config.audience.clone(),
            promise: config.promise.clone(),
            base_url: config.base_url.clone(),
            language: config.language.clone(),
            author: config.author.clone(),
            subscribe_url: config
                .list
                .url
                .as_ref()
                .map(|url| format!("{url}subscribe")),
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

/// One story.
#[derive(Debug, Clone, Serialize)]
pub struct StoryView {
    /// URL name.
    pub slug: String,
    /// Headline, plain text.
    pub title: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The date as readers see it: `17 June 2026`.
    pub date_display: String,
    /// Section, or none.
    pub section: Option<String>,
    /// Tags with their URL names.
    pub tags: Vec<TagView>,
    /// The card's Markdown fields by name: `summary`,
    /// `why_it_matters` (Markdown), `tldr`, `implications` (Markdown-inline bullets),
    /// `business_relevance`, `disclaimer` (Markdown, or none), `what_to_watch` (prose or
    /// bullets).
    #[serde(flatten)]
    pub fields: BTreeMap<&'static str, FieldView>,
    /// The earlier watch items this story follows up.
    pub follows_up: Vec<FollowUpView>,
    /// The evidence.
    pub sources: Vec<SourceView>,
    /// `low`, `medium`, `high`, or none.
    pub confidence: Option<&'static str>,
    /// Site-relative path of the story page: `stories/<slug>/`.
    pub path: String,
    /// Absolute URL of the story page.
    pub url: String,
    /// The heading level of the story's title in an issue (2, or 3 under section headings).
    pub heading: u8,
    /// The same story prepared for plain text: links numbered as `[1]` references.
    pub text: TextStoryView,
}

/// A tag.
#[derive(Debug, Clone, Serialize)]
pub struct TagView {
    /// As written on the card.
    pub name: String,
    /// URL name.
    pub slug: String,
}

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
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
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
    by_address: rustc_hash::FxHashMap<usize, StoryRef>,
    issues: std::marker::PhantomData<&'a [Issue]>,
}

impl<'a> StoryRefs<'a> {
    /// The references of every story of `issues`.
    pub fn new(issues: &'a [Issue], config: &Config) -> StoryRefs<'a> {
        StoryRefs {
            by_address: issues
                .iter()
                .flat_map(|issue| issue.stories.iter().map(move |story| (story, issue)))
                .map(|(story, issue)| (address(story), StoryRef::new(story, issue, config)))
                .collect(),
            issues: std::marker::PhantomData,
        }
    }

    /// The reference to `story`, which appeared in `issue`.
    fn of(&self, story: &Story, issue: &Issue, config: &Config) -> StoryRef {
        match self.by_address.get(&address(story)) {
            Some(known) => known.clone(),
            None => StoryRef::new(story, issue, config),
        }
    }
}

/// Identifies a story among those a [`StoryRefs`] borrows.
fn address(story: &Story) -> usize {
    std::ptr::from_ref(story) as usize
}

/// `due` as readers see it.
fn due_display(due: Due, language: &str) -> String {
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

/// One source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    /// What it is.
    pub title: String,
    /// Absolute http(s) URL.
    pub url: String,
    /// Host name, without `www.`.
    pub host: String,
    /// `YYYY-MM-DD`, or none.
    pub date: Option<String>,
}

/// A story as plain text, for `email.txt`: Markdown flattened, links replaced by `[n]` markers
/// that point into `references`.
#[derive(Debug, Clone, Serialize)]
pub struct TextStoryView {
    /// The same fields as [`StoryView::fields`], as plain text with links numbered.
    #[serde(flatten)]
    pub fields: BTreeMap<&'static str, FieldView>,
    /// The summary as one line of plain text without reference numbers: the start of the
    /// story page's description. Not for templates.
    #[serde(skip)]
    pub summary_line: String,
    /// Sources with their reference numbers.
    pub sources: Vec<TextSourceView>,
    /// Every numbered link, in order.
    pub references: Vec<ReferenceView>,
    /// The sanitised HTML of the text fields, made from the same parse as their text:
    /// (Markdown, inline, HTML). The renderer hands it to the Markdown cache; templates do
    /// not see it.
    #[serde(skip)]
    pub html: Vec<(String, bool, String)>,
}

/// One Markdown field of a story, as templates see it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FieldView {
    /// A paragraph or more, or none (an optional field left out).
    Text(Option<String>),
    /// Bullets, each one line.
    Bullets(Vec<String>),
    /// "What to watch".
    Watch(WatchView),
}

/// A story's Markdown field as its card holds it.
enum Field<'a> {
    /// The summary: block Markdown, whose HTML every page that lists the story shows (it is
    /// rendered once for all of them), and whose first line describes the story page.
    Summary(&'a str),
    /// Block Markdown, or none.
    Text(Option<&'a str>),
    /// Inline Markdown, one per bullet.
    Bullets(&'a [String]),
    /// The watch items.
    Watch(&'a Watch),
}

/// The card's Markdown fields, in the order their links are numbered in plain text: the one
/// list a new Markdown field of a card joins to reach templates, as Markdown
/// (`story.<name>`) and as plain text (`story.text.<name>`).
fn markdown_fields(story: &Story) -> [(&'static str, Field<'_>); 7] {
    [
        ("summary", Field::Summary(&story.summary)),
        ("tldr", Field::Bullets(&story.tldr)),
        ("why_it_matters", Field::Text(Some(&story.why_it_matters))),
        (
            "business_relevance",
            Field::Text(story.business_relevance.as_deref()),
        ),
        ("implications", Field::Bullets(&story.implications)),
        ("what_to_watch", Field::Watch(&story.what_to_watch)),
        ("disclaimer", Field::Text(story.disclaimer.as_deref())),
    ]
}

/// A source in plain text.
#[derive(Debug, Clone, Serialize)]
pub struct TextSourceView {
    /// What it is.
    pub title: String,
    /// Its number in `references`.
    pub number: usize,
}

/// A numbered link.
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceView {
    /// 1-based.
    pub number: usize,
    /// The URL.
    pub url: String,
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

impl StoryView {
    /// The view of `story`, whose title is a heading of level `heading` in an issue.
    pub fn new(story: &Story, config: &Config, heading: u8) -> StoryView {
        let path = story.page_path();
        StoryView {
            slug: story.slug.clone(),
            title: story.title.clone(),
            date: story.date.to_string(),
            date_display: dates::long(story.date, &config.language),
            section: story.section.clone(),
            tags: story
                .tags
                .iter()
                .map(|t| TagView {
                    name: t.clone(),
                    slug: slug::tag_slug(t),
                })
                .collect(),
            fields: markdown_fields(story)
                .into_iter()
                .map(|(name, field)| {
                    let view = match field {
                        Field::Summary(text) => FieldView::Text(Some(text.to_owned())),
                        Field::Text(text) => FieldView::Text(text.map(str::to_owned)),
                        Field::Bullets(items) => FieldView::Bullets(items.to_vec()),
                        Field::Watch(watch) => {
                            FieldView::Watch(watch_view(watch, config, &mut |s: &str| s.to_owned()))
                        }
                    };
                    (name, view)
                })
                .collect(),
            follows_up: Vec::new(),
            sources: story.sources.iter().map(source_view).collect(),
            confidence: story.confidence.map(|c| c.as_str()),
            url: format!("{}{path}", config.base_url),
            path,
            heading,
            text: TextStoryView::new(story, config),
        }
    }
}

fn source_view(source: &SourceLink) -> SourceView {
    SourceView {
        title: source.title.clone(),
        url: source.url.clone(),
        host: url::host(&source.url).to_owned(),
        date: source.date.map(|d| d.to_string()),
    }
}

fn watch_view(
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

/// Numbers links in order of first appearance; a repeated URL keeps its number.
#[derive(Default)]
struct References(Vec<ReferenceView>);

impl References {
    fn number(&mut self, url: &str) -> usize {
        if let Some(existing) = self.0.iter().find(|r| r.url == url) {
            return existing.number;
        }
        let number = self.0.len() + 1;
        self.0.push(ReferenceView {
            number,
            url: url.to_owned(),
        });
        number
    }

    /// The mark written after a link's text in plain text: ` [n]`.
    fn mark(&mut self, url: &str) -> String {
        format!(" [{}]", self.number(url))
    }
}

impl TextStoryView {
    fn new(story: &Story, config: &Config) -> TextStoryView {
        let mut references = References::default();
        // The issue's pages show the text fields as HTML too: make it from the same parse.
        let mut html = Vec::new();
        let mut fields = BTreeMap::new();
        let mut summary_line = String::new();
        for (name, field) in markdown_fields(story) {
            let mut text_and_html = |markdown: &str, inline: bool| {
                let (text, made) =
                    markdown::to_text_and_html(markdown, &mut |url| references.mark(url), inline);
                html.push((markdown.to_owned(), inline, made));
                text
            };
            let view = match field {
                Field::Summary(summary) => {
                    let (text, line) =
                        markdown::to_text_and_plain_line(summary, &mut |url| references.mark(url));
                    summary_line = line;
                    FieldView::Text(Some(text))
                }
                Field::Text(text) => FieldView::Text(text.map(|t| text_and_html(t, false))),
                Field::Bullets(items) => {
                    FieldView::Bullets(items.iter().map(|t| text_and_html(t, true)).collect())
                }
                Field::Watch(watch) => FieldView::Watch(watch_view(watch, config, &mut |t| {
                    markdown::to_text(t, &mut |url| references.mark(url))
                })),
            };
            fields.insert(name, view);
        }
        let sources = story
            .sources
            .iter()
            .map(|source| TextSourceView {
                title: source.title.clone(),
                number: references.number(&source.url),
            })
            .collect();
        TextStoryView {
            fields,
            summary_line,
            sources,
            references: references.0,
            html,
        }
    }
}

/// An issue as a link: archive rows, the pager, recent issues.
#[derive(Debug, Clone, Serialize)]
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
    /// How many stories the issue has.
    pub story_count: usize,
}

impl IssueLink {
    /// The link to `issue`.
    pub fn new(issue: &Issue, config: &Config) -> IssueLink {
        let path = issue.id.page_path();
        IssueLink {
            number: issue.number,
            week: issue.id.to_string(),
            url: format!("{}{path}", config.base_url),
            path,
            date_range: dates::range(issue.id.monday(), issue.id.sunday(), &config.language),
            subject: issue.subject.clone(),
            // Reading order, as on the page: stories grouped under their sections.
            lead_titles: issue
                .in_reading_order()
                .take(3)
                .map(|s| s.title.clone())
                .collect(),
            story_count: issue.stories.len(),
        }
    }
}

/// A story as a link, on tag pages. It borrows from the story and its issue's link: an
/// archive's tag pages list every story two to four times.
#[derive(Debug, Clone, Serialize)]
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

/// A tag page's tag.
#[derive(Debug, Clone, Serialize)]
pub struct TagPage<'a> {
    /// The tag as first written.
    pub name: &'a str,
    /// URL name.
    pub slug: String,
    /// `tags/<slug>/`.
    pub path: String,
    /// Its stories, newest first.
    pub stories: Vec<StoryLink<'a>>,
}

/// What a page template gets besides its subject.
#[derive(Debug, Clone, Serialize)]
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
    pub email: bool,
}

/// The reader of one message.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SubscriberView<'a> {
    /// Their name, or none.
    pub name: Option<&'a str>,
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::diagnostic::FileDiagnostics;

    fn config() -> Config {
        crate::content::config::parse(
            Path::new("config.yaml"),
            "title: Brief\nbase_url: https://news.example.org/sub/\nfrom: Brief <b@example.org>\nlanguage: en\n",
        )
        .unwrap()
    }

    fn story(yaml: &str) -> Story {
        let path = Path::new("briefs/2026-W25/a.yaml");
        let mut diags = FileDiagnostics::new(path, yaml);
        let story = crate::content::validate::card(yaml, &mut diags).unwrap();
        assert!(!diags.has_errors(), "{:?}", diags.list);
        story
    }

    const CARD: &str = "\
title: Lin's lab raises
date: 2026-06-17
tags: [AI Labs, c++]
summary: See [the report](https://ti.example/a) and [again](https://ti.example/a).
tldr:
  - One [x](https://x.example/)
why_it_matters: It [matters](https://m.example/).
what_to_watch: The first model
sources:
  - title: The Information
    url: https://www.ti.example/a
  - https://x.example/
";

    #[test]
    fn a_story_view_has_its_address_tags_and_sources() {
        let view = StoryView::new(&story(CARD), &config(), 2);
        assert_eq!(view.path, "stories/lins-lab-raises/");
        assert_eq!(
            view.url,
            "https://news.example.org/sub/stories/lins-lab-raises/"
        );
        assert_eq!(view.date, "2026-06-17");
        assert_eq!(view.date_display, "17 June 2026");
        let tags: Vec<(&str, &str)> = (view.tags.iter())
            .map(|t| (t.name.as_str(), t.slug.as_str()))
            .collect();
        assert_eq!(tags, [("AI Labs", "ai-labs"), ("c++", "c-plus-plus")]);
        let hosts: Vec<&str> = view.sources.iter().map(|s| s.host.as_str()).collect();
        assert_eq!(hosts, ["ti.example", "x.example"]);
        // As templates see it.
        let seen = serde_json::to_value(&view).unwrap();
        assert_eq!(seen["what_to_watch"]["text"], "The first model");
        assert_eq!(
            seen["what_to_watch"]["items"],
            serde_json::json!([]),
            "a paragraph, not a list"
        );
        assert_eq!(seen["business_relevance"], serde_json::Value::Null);
    }

    #[test]
    fn plain_text_numbers_each_link_once_in_order_of_first_appearance() {
        let text = &StoryView::new(&story(CARD), &config(), 2).text;
        let seen = serde_json::to_value(text).unwrap();
        assert_eq!(seen["summary"], "See the report [1] and again [1].");
        assert_eq!(seen["tldr"], serde_json::json!(["One x [2]"]));
        assert_eq!(seen["why_it_matters"], "It matters [3].");
        // Sources share the numbering: the report's URL differs by `www.`, x's is the same.
        let numbers: Vec<usize> = text.sources.iter().map(|s| s.number).collect();
        assert_eq!(numbers, [4, 2]);
        let urls: Vec<&str> = text.references.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://ti.example/a",
                "https://x.example/",
                "https://m.example/",
                "https://www.ti.example/a"
            ]
        );
    }
}
