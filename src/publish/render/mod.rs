//! Renders the whole publication into files in memory.
//!
//! Takes the template environment, the config and assembled issues; returns [`Output`]s (a
//! site-relative path and bytes) and warnings. Nothing is written here, so a failed render
//! leaves the disk as it was, and the same input always gives the same bytes.
//!
//! - [`issue`]: each issue's `digest.md`, `index.html`, `email.html`, `email.txt`;
//! - [`site`]: home, archive, story and tag pages, `404.html`, `robots.txt`, `style.css`;
//! - [`feed`]: `feed.xml` (Atom) and `sitemap.xml`;
//! - [`watch`](mod@watch): `watch/index.html` and `watch.ics`, the watch items across issues.

pub mod email;
mod entry;
pub mod feed;
pub mod issue;
pub mod scope;
pub mod search;
pub mod site;
pub mod watch;

use std::collections::HashMap;

use minijinja::Environment;
use serde::Serialize;

use crate::content::config::Config;
use crate::content::issue::IssueId;
use crate::content::ledger::Ledger;
use crate::content::schedule::Issue;
use crate::error::Result;
use crate::publish::templates::{MARKDOWN_CACHE, MarkdownCache, template_error};
use crate::publish::view::{
    IssueLink, IssueView, SiteView, StoryRefs, ViewedIssue, WatchEntryView,
};

pub use email::Inliner;
pub use issue::render_issue;
pub use scope::{PageDigests, Scope};

/// One file of the output, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path relative to the output folder, with `/`.
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
}

impl Output {
    /// An output from text.
    pub fn text(path: impl Into<String>, text: String) -> Output {
        Output {
            path: path.into(),
            bytes: text.into_bytes(),
        }
    }
}

/// Everything the renderers share: the environment, config, the issues and their links.
/// An issue's full view is built when its pages are rendered ([`Publication::view`]) and
/// dropped after, so memory holds a few issues' views, not the archive's.
pub struct Publication<'a> {
    /// Templates; the Markdown cache is one of their globals.
    env: Environment<'static>,
    /// Inlines each email's CSS, reusing earlier builds' results.
    pub inliner: &'a Inliner,
    /// The config.
    pub config: &'a Config,
    /// The site view.
    pub site: SiteView,
    /// Every issue, oldest first.
    pub issues: &'a [Issue],
    /// The watch items across `issues`.
    ledger: Ledger<'a>,
    /// Every issue as a link, oldest first.
    pub links: Vec<IssueLink>,
    /// Every watch item as of the newest issue.
    pub watch: WatchSite<'a>,
    /// What each issue is still watching, by issue index.
    /// Computed for every issue at once when many render; a few issues of a large archive
    /// are judged one by one instead ([`Publication::attention_of`]).
    attention: std::sync::OnceLock<Vec<crate::content::ledger::Attention>>,
    /// The references to every story, for watch entries and follow-ups.
    refs: StoryRefs<'a>,
    /// The HTML of card Markdown, for the `markdown` filters, which find it as a global of
    /// `env`.
    markdown: std::sync::Arc<MarkdownCache>,
}

/// The watch items of the whole site, as of the newest issue's last day: their order, as
/// indexes into the ledger's items. Views of the items are built where they are shown.
#[derive(Debug, Default)]
pub struct WatchSite<'a> {
    /// The day the states are for.
    pub as_of: Option<chrono::NaiveDate>,
    /// How many items are open, and how many resolved.
    pub counts: (usize, usize),
    /// Open items, then resolved ones, in page order: sorted when the watch pages are
    /// rendered, which most of `serve`'s rebuilds do not do.
    order: std::sync::OnceLock<(Vec<usize>, Vec<usize>)>,
    /// The items of each story, by slug.
    by_story: rustc_hash::FxHashMap<&'a str, Vec<usize>>,
}

impl<'a> Publication<'a> {
    /// Prepares the links and watch items of `issues`.
    ///
    /// The HTML of Markdown shown beyond its issue is rendered here, except what `earlier`
    /// (the Markdown cache of a publication of the same newsletter before an edit) holds.
    pub fn new(
        mut env: Environment<'static>,
        inliner: &'a Inliner,
        config: &'a Config,
        issues: &'a [Issue],
        earlier: Option<&MarkdownCache>,
    ) -> Self {
        // A large archive's ledger takes tens of milliseconds before anything renders: what
        // does not depend on another part is worked out alongside it.
        let (ledger, links) = rayon::join(
            || Ledger::new(issues),
            || issues.iter().map(|i| IssueLink::new(i, config)).collect(),
        );
        let as_of = issues.last().map(|i| i.id.sunday());
        let watch_site = || {
            let mut watch = WatchSite {
                as_of,
                ..WatchSite::default()
            };
            if let Some(as_of) = as_of {
                watch.counts = ledger.counts(as_of);
                watch.by_story.reserve(ledger.items.len());
                for (at, tracked) in ledger.items.iter().enumerate() {
                    watch
                        .by_story
                        .entry(tracked.story.slug.as_str())
                        .or_default()
                        .push(at);
                }
            }
            watch
        };
        let ((watch, refs), markdown) = rayon::join(
            || rayon::join(watch_site, || StoryRefs::new(issues)),
            || shared_markdown(issues, &ledger, earlier),
        );
        // A global of this publication's own environment: the filters find it with
        // `State::lookup`, and no render context needs to carry it.
        let markdown = std::sync::Arc::new(markdown);
        env.add_global(
            MARKDOWN_CACHE,
            minijinja::Value::from_dyn_object(std::sync::Arc::clone(&markdown)),
        );
        Publication {
            inliner,
            config,
            site: SiteView::new(config),
            issues,
            ledger,
            links,
            watch,
            attention: std::sync::OnceLock::new(),
            refs,
            env,
            markdown,
        }
    }

    /// Watch item `at`: an index into the ledger, as [`WatchSite`] holds them.
    pub fn watch_item(&self, at: usize) -> &crate::content::ledger::Tracked<'a> {
        &self.ledger.items[at]
    }

    /// The view of watch item `at` as of the newest issue.
    pub fn watch_entry(&self, at: usize) -> WatchEntryView {
        let as_of = self.watch.as_of.unwrap_or_default();
        WatchEntryView::new(
            self.watch_item(at),
            as_of,
            self.issues,
            self.config,
            &self.refs,
        )
    }

    /// The issues whose own files or story pages show the title of the story with `slug`
    /// through the watch ledger: the issues of its watch items' follow-ups, of the items it
    /// follows up, of their other follow-ups (their story pages too), and every issue whose
    /// "still watching" list shows one of those items (its files only: no story page shows
    /// that list).
    pub fn issues_showing_title_of(&self, slug: &str) -> scope::TitleShown {
        let related: Vec<usize> = self
            .ledger
            .items
            .iter()
            .enumerate()
            .filter(|(_, tracked)| {
                tracked.story.slug == slug || tracked.mentions.iter().any(|m| m.story.slug == slug)
            })
            .map(|(at, _)| at)
            .collect();
        let mut stories = std::collections::BTreeSet::new();
        for &at in &related {
            let tracked = &self.ledger.items[at];
            stories.insert(tracked.issue);
            stories.extend(tracked.mentions.iter().map(|m| m.issue));
        }
        let watch = &self.config.watch;
        let lists = self.ledger.issues_showing(
            self.issues,
            &related,
            watch.stale_after_weeks,
            watch.still_watching_limit,
        );
        scope::TitleShown { stories, lists }
    }

    /// The open watch items, then the resolved ones, in the watch pages' order.
    pub fn watch_order(&self) -> (&[usize], &[usize]) {
        let (open, resolved) = self.watch.order.get_or_init(|| match self.watch.as_of {
            Some(as_of) => self.ledger.partition(as_of),
            None => Default::default(),
        });
        (open, resolved)
    }

    /// The state of watch item `at` as of the newest issue.
    pub fn watch_state(&self, at: usize) -> crate::content::ledger::State {
        let as_of = self.watch.as_of.unwrap_or_default();
        self.watch_item(at)
            .state(as_of, self.config.watch.stale_after_weeks)
    }

    /// The watch items of the story with `slug`, as of the newest issue.
    pub fn watch_of_story(&self, slug: &str) -> Vec<WatchEntryView> {
        self.watch
            .by_story
            .get(slug)
            .map(|items| items.iter().map(|&at| self.watch_entry(at)).collect())
            .unwrap_or_default()
    }

    /// The date of the newest follow-up of any of the watch items of the story with `slug`.
    pub fn last_follow_up(&self, slug: &str) -> Option<chrono::NaiveDate> {
        let as_of = self.watch.as_of?;
        self.watch
            .by_story
            .get(slug)?
            .iter()
            .flat_map(|&at| self.ledger.items[at].mentions.iter())
            .map(|m| m.story.date)
            .filter(|date| *date <= as_of)
            .max()
    }

    /// The HTML of card Markdown this publication rendered, for the next publication of the
    /// same newsletter ([`Publication::new`]'s `earlier`).
    pub fn markdown_cache(&self) -> std::sync::Arc<MarkdownCache> {
        std::sync::Arc::clone(&self.markdown)
    }

    /// The full view of issue `index`: its stories, follow-ups and what it is still watching.
    ///
    /// The HTML its plain-text views made of the stories' Markdown goes to the Markdown
    /// cache, where the issue's pages find it.
    pub fn view(&self, index: usize) -> ViewedIssue {
        let view = IssueView::new(
            self.issues,
            index,
            self.config,
            &self.ledger,
            &self.attention_of(index),
            &self.refs,
        );
        for story in &view.stories {
            for (markdown, inline, html) in &story.text.html {
                self.markdown.remember(markdown, *inline, html);
            }
        }
        ViewedIssue::new(view)
    }

    /// What every issue is still watching, worked out the first time it is asked for.
    pub fn attention_by_issue(&self) -> &[crate::content::ledger::Attention] {
        self.attention.get_or_init(|| {
            let watch = &self.config.watch;
            self.ledger.attention_by_issue(
                self.issues,
                watch.stale_after_weeks,
                watch.still_watching_limit,
            )
        })
    }

    /// What issue `index` is still watching: from [`Publication::attention_by_issue`] once
    /// it has been worked out, else judged for this issue alone.
    fn attention_of(
        &self,
        index: usize,
    ) -> std::borrow::Cow<'_, crate::content::ledger::Attention> {
        match self.attention.get() {
            Some(all) => std::borrow::Cow::Borrowed(&all[index]),
            None => {
                let watch = &self.config.watch;
                std::borrow::Cow::Owned(self.ledger.attention_of(
                    self.issues,
                    index,
                    watch.stale_after_weeks,
                    watch.still_watching_limit,
                ))
            }
        }
    }

    /// The templates this publication renders with.
    pub fn templates(&self) -> scope::Templates {
        scope::Templates::of(&self.env)
    }

    /// Renders the named template with `context`.
    ///
    /// # Errors
    ///
    /// As [`render_template`].
    pub fn render(&self, name: &str, context: &impl Serialize) -> Result<String> {
        // What `serve` renders again after a template edit is decided by these names.
        debug_assert!(
            scope::RENDERED_BY_NAME.contains(&name),
            "{name} is rendered by name but not in scope::RENDERED_BY_NAME"
        );
        render_template(&self.env, name, context)
    }
}

/// The Markdown cache of a publication, holding the texts that pages beyond their own issue
/// show: each story's summary (tag pages) and every watch item and follow-up note (the watch
/// page, later issues).
fn shared_markdown(
    issues: &[Issue],
    ledger: &Ledger<'_>,
    earlier: Option<&MarkdownCache>,
) -> MarkdownCache {
    let summaries = issues
        .iter()
        .flat_map(|issue| &issue.stories)
        .map(|story| story.summary.as_str());
    let watched = ledger.items.iter().flat_map(|tracked| {
        let notes = tracked.mentions.iter();
        std::iter::once(tracked.item.text.as_str())
            .chain(notes.filter_map(|m| m.follow_up.note.as_deref()))
    });
    MarkdownCache::new(summaries.collect(), watched.collect(), earlier)
}

/// Receives rendered files as they are made, from several threads at once.
pub trait Sink: Sync {
    /// Takes one file.
    ///
    /// # Errors
    ///
    /// When the file cannot be kept (written, for a folder).
    fn put(&self, output: Output) -> Result<()>;

    /// Hears that the last build's file at `path` stays as it is: this build would have made
    /// the same bytes. Only a build of part of a site keeps files (`serve`'s).
    ///
    /// # Errors
    ///
    /// As [`Sink::put`].
    fn keep(&self, path: String) -> Result<()> {
        let _ = path;
        Ok(())
    }
}

/// Keeps files in memory (for `serve`, tests and single-issue builds).
impl Sink for std::sync::Mutex<Vec<Output>> {
    fn put(&self, output: Output) -> Result<()> {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(output);
        Ok(())
    }
}

/// What a build tells the publisher about files it made and would better not have made so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// An issue's email is over the size Gmail clips at.
    EmailClipped {
        /// The file, site-relative.
        path: String,
        /// Its size.
        kb: usize,
        /// The issue's week, as `2026-W25`.
        week: String,
    },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::EmailClipped { path, kb, week } => write!(
                f,
                "{path} is {kb} KB; Gmail clips email over 102 KB behind a \"View entire \
                 message\" link; consider fewer or shorter stories for {week}"
            ),
        }
    }
}

/// How many issues' clipped emails are named one by one; the older ones are counted in one
/// line, so that an archive of large issues does not bury the build's last line under one
/// warning per issue on every build.
const CLIPPED_NAMED: usize = 3;

impl Warning {
    /// The lines that tell `warnings` (oldest issue first): every warning, except that of
    /// more than [`CLIPPED_NAMED`] clipped emails only the newest issues' are named, and
    /// the others counted in a last line.
    pub fn lines(warnings: &[Warning]) -> Vec<String> {
        let clipped: Vec<&String> = warnings
            .iter()
            .map(|Warning::EmailClipped { week, .. }| week)
            .collect();
        let older = clipped.len().saturating_sub(CLIPPED_NAMED);
        let mut lines: Vec<String> = warnings[older..].iter().map(Warning::to_string).collect();
        match older {
            0 => {}
            1 => lines.push(format!(
                "the email of 1 older issue ({}) is over 102 KB too",
                clipped[0]
            )),
            _ => lines.push(format!(
                "the emails of {older} older issues ({} to {}) are over 102 KB too",
                clipped[0],
                clipped[older - 1]
            )),
        }
        lines
    }
}

/// When the search index is made: with the pages (`build`), or after them, off the reload's
/// path (`serve`, which shows a save at once and swaps the new index in when it is ready).
#[derive(Debug, Clone, Copy)]
pub enum SearchIndex<'a> {
    /// With the pages, taken from the cache when the stories read as they did when it was
    /// made (`None`: always made).
    Now(Option<&'a search::IndexCache>),
    /// Not here: the caller makes it ([`search::index_files`]).
    Later,
}

/// Renders every file of the site into `sink`: all issues in all formats and the pages
/// around them. Issues render in parallel; files go to the sink as soon as they exist, so
/// memory does not grow with the archive. Returns warnings.
///
/// # Errors
///
/// A template error, a failure to inline the email's CSS, or the sink's error.
pub fn render_all(
    publication: &Publication<'_>,
    sink: &dyn Sink,
    index: SearchIndex<'_>,
) -> Result<Vec<Warning>> {
    render_some(publication, sink, index, &Scope::Everything, None)
        .map(|rendered| rendered.warnings)
}

/// What [`render_some`] did besides putting files.
#[derive(Debug, Default)]
pub struct Rendered {
    /// Warnings of the issues rendered.
    pub warnings: Vec<Warning>,
    /// The paths of the pages around the issues (home, archive, tags, feed…) rendered now.
    /// A page the scope left out ([`rendered_again`]) stays as it was; one it included that
    /// was in the last build and is not among these (a tag no card has now) is gone.
    pub around: Vec<String>,
    /// What the next build of part of the site may keep from this one, when asked for.
    pub remembered: Remembered,
}

/// What a build remembers for the next (`serve`'s), so that what an edit did not change is
/// kept rather than made again.
#[derive(Debug, Default)]
pub struct Remembered {
    /// The digest of each page kept by its digest (the tag pages, the watch pages and the
    /// sitemap: [`keep_unchanged`]), by path.
    pub pages: PageDigests,
    /// The feed entry of each issue in the feed, by week.
    pub feed: HashMap<IssueId, std::sync::Arc<feed::FeedEntry>>,
    /// The paths of the files of each issue rendered (its formats and its stories' pages),
    /// by week: what rendering it again and not making them again removes.
    pub issue_files: HashMap<IssueId, std::sync::Arc<[String]>>,
}

/// Whether a page around the issues at `path` is rendered again by a build of `scope` (so
/// that, if this build does not make it, it is gone).
pub fn rendered_again(path: &str, scope: &Scope) -> bool {
    if let Some(slug) = site::tag_of_page(path) {
        return scope.includes_tag(slug);
    }
    if watch::is_watch_file(path) {
        // A page before `watch_from` (and the calendar, with the first) is left for later.
        let index = watch::page_index(path).unwrap_or(0);
        return scope.includes_watch() && index >= scope.watch_from();
    }
    true
}

/// For a page kept by its digest (a tag page, a watch page, the sitemap), with `last` (the
/// last build's digests): the [`context_digest`](scope::context_digest) of `key` (its whole
/// context, or what stands for it), and whether the page at `path` is kept, which `sink` is
/// told ([`Sink::keep`]): a build of part of the site whose digest for it is the last
/// build's, unless `entries_changed` (the page lists something the edit changed). Without
/// `last` no digest is taken and nothing is kept.
///
/// # Errors
///
/// The sink's.
fn keep_unchanged(
    sink: &dyn Sink,
    scope: &Scope,
    last: Option<&PageDigests>,
    path: &str,
    key: &impl std::hash::Hash,
    entries_changed: bool,
) -> Result<(Option<[u8; 32]>, bool)> {
    let Some(last) = last else {
        return Ok((None, false));
    };
    let digest = scope::context_digest(key);
    let kept =
        matches!(scope, Scope::Part(_)) && !entries_changed && last.get(path) == Some(&digest);
    if kept {
        sink.keep(path.to_owned())?;
    }
    Ok((Some(digest), kept))
}

/// Keeps the paths of the files it passes on.
struct Recording<'s> {
    sink: &'s dyn Sink,
    paths: std::sync::Mutex<Vec<String>>,
}

impl<'s> Recording<'s> {
    fn new(sink: &'s dyn Sink) -> Recording<'s> {
        Recording {
            sink,
            paths: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn into_paths(self) -> Vec<String> {
        self.paths
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What rendering issue `index` gave besides the files it put.
#[derive(Default)]
struct IssueDone {
    index: usize,
    warnings: Vec<Warning>,
    entry: Option<std::sync::Arc<feed::FeedEntry>>,
    /// The paths of its files, when rendered and remembered.
    files: Option<Vec<String>>,
}

impl Sink for Recording<'_> {
    fn put(&self, output: Output) -> Result<()> {
        self.paths
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(output.path.clone());
        self.sink.put(output)
    }

    fn keep(&self, path: String) -> Result<()> {
        self.paths
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(path.clone());
        self.sink.keep(path)
    }
}

/// Up to how many issue views a build judges each issue's "still watching" list alone
/// ([`Publication::attention_of`]); more take one sweep of every issue.
const FEW_VIEWS: usize = 8;

/// Renders the files of the issues `scope` includes and every page around the issues into
/// `sink` ([`scope`](mod@scope) says when that is the whole change an edit made). With
/// `last` (the last build's [`Rendered::remembered`], or an empty one for a first build),
/// what the next build needs is remembered, and a build of part of the site keeps what the
/// last one made where it would make the same: a tag page or the sitemap whose context
/// digest is the same ([`Sink::keep`]), the feed entry of an issue it does not render.
///
/// # Errors
///
/// As [`render_all`].
pub fn render_some(
    publication: &Publication<'_>,
    sink: &dyn Sink,
    index: SearchIndex<'_>,
    scope: &Scope,
    last: Option<&Remembered>,
) -> Result<Rendered> {
    use rayon::prelude::*;
    let in_feed = publication
        .issues
        .len()
        .saturating_sub(publication.config.feed_limit);
    let around = Recording::new(sink);
    let render_issues = || -> Result<Vec<IssueDone>> {
        let kept_entry = |index: usize| {
            last.filter(|_| !scope.includes(index))
                .and_then(|last| last.feed.get(&publication.issues[index].id))
        };
        let views = (0..publication.issues.len())
            .filter(|&index| {
                scope.includes(index) || (index >= in_feed && kept_entry(index).is_none())
            })
            .count();
        if views > FEW_VIEWS {
            // One sweep for all issues, before their views ask for it one by one.
            publication.attention_by_issue();
        }
        let done: Vec<IssueDone> = (0..publication.issues.len())
            .into_par_iter()
            .filter(|&index| scope.includes(index) || index >= in_feed)
            .map(|index| {
                let mut done = IssueDone {
                    index,
                    ..IssueDone::default()
                };
                if let Some(entry) = kept_entry(index) {
                    done.entry = Some(std::sync::Arc::clone(entry));
                    return Ok(done);
                }
                let view = publication.view(index);
                if scope.includes(index) {
                    // Its files' paths are kept only for a next build (`build` has none).
                    let made = Recording::new(sink);
                    let to: &dyn Sink = if last.is_some() { &made } else { sink };
                    let files;
                    (files, done.warnings) = issue::render_issue(publication, index, &view)?;
                    for file in files {
                        to.put(file)?;
                    }
                    // Without its story pages, its files are the last build's: that list stays.
                    if scope.includes_story_pages(index) {
                        site::render_story_pages(publication, index, &view, to)?;
                        done.files = last.is_some().then(|| made.into_paths());
                    }
                }
                if index >= in_feed {
                    done.entry = Some(feed::render_entry(publication, index, &view)?.into());
                }
                Ok(done)
            })
            .collect::<Result<_>>()?;
        // The feed needs only its issues' entries: it renders beside the pages around them.
        let entries: Vec<_> = done.iter().filter_map(|done| done.entry.clone()).collect();
        feed::render_feed(publication, &entries, &around)?;
        Ok(done)
    };
    // The pages around the issues need nothing from them: they render alongside.
    let last_pages = last.map(|last| &last.pages);
    let render_around = || -> Result<PageDigests> {
        let around: &dyn Sink = &around;
        let (pages, rest) = rayon::join(
            || site::render_pages(publication, around, scope, last_pages),
            || -> Result<Vec<(String, [u8; 32])>> {
                // The search index is one thread's work: it runs beside the pages.
                let (search, rest) = rayon::join(
                    || search::render_search(publication, around, index),
                    || {
                        // Side by side: a moved slug renders a large sitemap and digests
                        // every watch page.
                        let (watch, sitemap) = rayon::join(
                            || match scope.includes_watch() {
                                true => watch::render_watch(publication, around, scope, last_pages),
                                false => Ok(Vec::new()),
                            },
                            || feed::render_sitemap(publication, around, scope, last_pages),
                        );
                        let mut digests = watch?;
                        digests.extend(sitemap?);
                        Ok(digests)
                    },
                );
                search.and(rest)
            },
        );
        let mut pages = pages?;
        pages.extend(rest?);
        Ok(pages)
    };
    let (per_issue, pages) = rayon::join(render_issues, render_around);
    let per_issue = per_issue?;
    let mut remembered = Remembered {
        pages: pages?,
        ..Remembered::default()
    };
    let mut warnings = Vec::new();
    let mut entries = Vec::with_capacity(per_issue.len());
    for mut done in per_issue {
        warnings.append(&mut done.warnings);
        entries.extend(done.entry);
        if let Some(files) = done.files {
            let id = publication.issues[done.index].id;
            remembered.issue_files.insert(id, files.into());
        }
    }
    if last.is_some() {
        let weeks = publication.issues[in_feed..].iter().map(|issue| issue.id);
        remembered.feed = weeks.zip(entries).collect();
    }
    Ok(Rendered {
        warnings,
        around: around.into_paths(),
        remembered,
    })
}

/// Renders the named template with `context`.
///
/// # Errors
///
/// [`Error::Template`](crate::error::Error::Template) with the template's name, line and the problem.
pub fn render_template(
    env: &Environment<'_>,
    name: &str,
    context: &impl Serialize,
) -> Result<String> {
    env.get_template(name)
        .and_then(|t| crate::publish::templates::render(&t, context))
        .map_err(|e| template_error(name, &e))
}

#[cfg(test)]
mod tests {
    use super::Warning;

    fn clipped(weeks: std::ops::RangeInclusive<u32>) -> Vec<Warning> {
        weeks
            .map(|n| Warning::EmailClipped {
                path: format!("issues/2026-w{n:02}/email.html"),
                kb: 150,
                week: format!("2026-W{n:02}"),
            })
            .collect()
    }

    #[test]
    fn only_the_newest_clipped_emails_are_named_and_the_older_counted() {
        let few = clipped(1..=3);
        assert_eq!(
            Warning::lines(&few),
            few.iter().map(Warning::to_string).collect::<Vec<_>>()
        );
        assert!(
            few[0]
                .to_string()
                .starts_with("issues/2026-w01/email.html is 150 KB; Gmail clips email over 102 KB")
        );
        let many = clipped(1..=5);
        let lines = Warning::lines(&many);
        assert_eq!(lines.len(), 4, "{lines:#?}");
        for (line, week) in lines.iter().zip(["w03", "w04", "w05"]) {
            assert!(line.starts_with(&format!("issues/2026-{week}/")), "{line}");
        }
        assert_eq!(
            lines[3],
            "the emails of 2 older issues (2026-W01 to 2026-W02) are over 102 KB too"
        );
        assert_eq!(
            Warning::lines(&clipped(1..=4))[3],
            "the email of 1 older issue (2026-W01) is over 102 KB too"
        );
        assert!(Warning::lines(&[]).is_empty());
    }
}
