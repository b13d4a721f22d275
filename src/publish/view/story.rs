//! One story as templates see it: its fields as Markdown and, in `text`, as plain text with
//! links numbered; its tags and sources.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::content::config::Config;
use crate::content::dates;
use crate::content::markdown;
use crate::content::slug;
use crate::content::story::{SourceLink, Story, Watch};
use crate::content::url;

use super::watch::{FollowUpView, WatchView, watch_view};

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
    /// Its archived copy (`archive.yaml`), or none.
    pub archived: Option<String>,
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
    /// Its archived copy's number in `references`, if it has one.
    pub archived_number: Option<usize>,
}

/// A numbered link.
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceView {
    /// 1-based.
    pub number: usize,
    /// The URL.
    pub url: String,
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
        archived: source.archived.clone(),
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
        // The pages show the text fields as HTML too: make it from the same parse.
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
                archived_number: source.archived.as_ref().map(|copy| references.number(copy)),
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
