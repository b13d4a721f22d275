//! `serve`'s rebuilds: after an edit, only the issues it touched are rendered again, with the
//! pages around them (`publish::render::scope` says how that is decided).

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::content::config::Config;
use crate::content::project::Paths;
use crate::content::schedule::Issue;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::pipeline::Kept;
use crate::publish::render::scope::{self, Basis, Next, Part, Scope, Whole};
use crate::publish::render::{self, Output, Remembered, SearchIndex};
use crate::publish::serve::{Asked, Early};
use crate::publish::templates::MarkdownCache;

/// A newsletter previewed: what the last build was made from, for the next.
#[derive(Debug)]
pub struct Preview {
    paths: Paths,
    drafts: bool,
    last: Option<Last>,
    /// Each file's own check and the list of files, so that only the files an edit changed
    /// are read and parsed again.
    kept: Kept,
    /// Whether the next rebuild reads every file: the first, and any after a rebuild that
    /// failed before it read the files an edit named (a broken config, say).
    read_all: bool,
    /// Over how many issues that may come later a rebuild renders them after the rest
    /// ([`Early`]; [`DEFER_OVER`], 0 in tests).
    defer_over: usize,
    /// What the last rebuild stopped before rendering, for a newer save: the next renders
    /// it with what changed. Kept through a failed rebuild, which renders nothing.
    owed: Option<Part>,
}

/// Over how many issues that read as the last build's but for their lists, pagers or
/// templates a rebuild renders them last ([`defer`]): a few render in a few milliseconds,
/// 500 (the oldest story of ten years retitled, a footer every page includes) in one or two
/// seconds.
const DEFER_OVER: usize = 8;

#[derive(Debug)]
struct Last {
    basis: Basis,
    /// The pages around the issues it made.
    around: HashSet<String>,
    /// The HTML of the Markdown it showed beyond its issues, by text.
    markdown: Arc<MarkdownCache>,
    /// What the next build may keep from it.
    remembered: Remembered,
}

/// What one rebuild changed.
#[derive(Debug)]
pub struct Update {
    /// The files made now: the whole site, or those of the issues rendered again and the
    /// pages around the issues.
    pub outputs: Vec<Output>,
    /// `None` when `outputs` is the whole site; otherwise the paths the last build made and
    /// this one no longer does. Every other file of the last build is unchanged.
    pub removed: Option<Vec<String>>,
    /// The errors of the cards left out.
    pub errors: Vec<Diagnostic>,
    /// How many issues were rendered, and how many there are.
    pub rendered: (usize, usize),
    /// The issues, for the search index made after the pages.
    pub issues: Arc<Vec<Issue>>,
    /// The config.
    pub config: Config,
    /// The paths of the files the rebuild stopped before rendering, for a newer save: as the
    /// last build made them until the next rebuild, which renders them.
    pub owed: Vec<String>,
}

/// A sink that fails with [`Error::Superseded`] once `superseded` is set, so that the
/// rendering stops at the next file.
struct Stopping<'a> {
    sink: &'a Mutex<Vec<Output>>,
    superseded: &'a AtomicBool,
}

impl render::Sink for Stopping<'_> {
    fn put(&self, output: Output) -> Result<()> {
        if self.superseded.load(Ordering::Relaxed) {
            return Err(Error::Superseded);
        }
        self.sink.put(output)
    }
}

/// What the next build keeps of one, and what it removed of the last.
struct Settled {
    around: HashSet<String>,
    remembered: Remembered,
    removed: Option<Vec<String>>,
}

impl Settled {
    /// Takes in what was rendered after the rest ([`Later`]), which made the files of its
    /// issues and pages again at the same paths.
    fn absorb(&mut self, later: render::Rendered) {
        self.around.extend(later.around);
        // The feed's entries, with those of the issues rendered after the rest.
        self.remembered.feed = later.remembered.feed;
        self.remembered.pages.extend(later.remembered.pages);
        self.remembered
            .issue_files
            .extend(later.remembered.issue_files);
    }
}

impl Preview {
    /// The preview of the newsletter at `paths`; nothing is read until [`Preview::rebuild`].
    pub fn new(paths: Paths, drafts: bool) -> Preview {
        Preview {
            paths,
            drafts,
            last: None,
            kept: Kept::default(),
            read_all: true,
            defer_over: DEFER_OVER,
            owed: None,
        }
    }

    /// Reads the newsletter again and renders what changed since the last successful
    /// rebuild. A card with errors is left out (its errors are in [`Update::errors`]); a
    /// failed rebuild leaves the next one comparing with the last that succeeded.
    ///
    /// `changed` names the paths (relative to the newsletter's folder) changed since the last
    /// rebuild, when the caller knows them all (a file watcher's events): only those files
    /// under `briefs/` are read again. `None` reads every file.
    ///
    /// A rebuild that renders many issues, or every tag page, hands what it rendered first
    /// to `early` and renders the rest after it (a template every page is made with, the
    /// oldest story retitled). `asked.viewed` names the site paths of the pages open in a
    /// browser: what makes them is rendered first. When `asked.superseded` is set meanwhile
    /// (a newer save), the rest stops and is left to the next rebuild ([`Update::owed`]).
    ///
    /// # Errors
    ///
    /// As [`super::prepare_valid_cards`], and [`Error::Invalid`] when no card is valid.
    pub fn rebuild(&mut self, asked: Asked<'_>, early: &mut dyn FnMut(Early)) -> Result<Update> {
        let changed = if self.read_all { None } else { asked.changed };
        self.read_all = true;
        let prepared =
            super::prepare_valid_cards_reusing(&self.paths, self.drafts, &mut self.kept, changed)?;
        if prepared.issues.is_empty() && prepared.error_count() > 0 {
            return Err(Error::Invalid {
                diagnostics: prepared.diagnostics,
            });
        }
        let outputs = Mutex::new(Vec::new());
        let last = self.last.as_ref();
        let earlier = last.map(|last| &*last.markdown);
        let none_yet = Remembered::default();
        let remembered = last.map_or(&none_yet, |last| &last.remembered);
        let writes = super::CacheWrites::Allowed;
        let defer_over = self.defer_over;
        let owed = self.owed.as_ref();
        let (scope, templates, markdown, settled, owed) =
            prepared.publish_after(writes, earlier, |publication| {
                let templates = publication.templates();
                let scope = scope::plan(
                    last.map(|last| &last.basis),
                    Next {
                        config: &prepared.config,
                        templates: &templates,
                        issues: &prepared.issues,
                    },
                    &|slug| publication.issues_showing_title_of(slug),
                );
                // What the last rebuild stopped before rendering is rendered now.
                let scope = match owed {
                    Some(owed) => scope.and(owed),
                    None => scope,
                };
                let (now, later) = defer(&scope, publication, last, asked.viewed, defer_over);
                let rendered = render::render_some(
                    publication,
                    &outputs,
                    SearchIndex::Later,
                    &now,
                    Some(remembered),
                )?;
                let mut settled = settle(&now, last, publication.issues, rendered, &outputs);
                let mut owed = None;
                if let Some(later) = later {
                    let made = std::mem::take(
                        &mut *outputs.lock().unwrap_or_else(PoisonError::into_inner),
                    );
                    early(Early {
                        outputs: made,
                        removed: settled.removed.replace(Vec::new()).unwrap_or_default(),
                        pending: later.pending.clone(),
                        errors: prepared
                            .diagnostics
                            .iter()
                            .filter(|d| d.is_error())
                            .cloned()
                            .collect(),
                    });
                    // The rest is rendered after what was rendered now (the feed's entries,
                    // the digests of the pages it kept or made). A newer save stops it: the
                    // files it made so far are dropped, and the server keeps the requests for
                    // them waiting until the next rebuild.
                    let stopping = Stopping {
                        sink: &outputs,
                        superseded: asked.superseded,
                    };
                    match render::render_some(
                        publication,
                        &stopping,
                        SearchIndex::Later,
                        &Scope::Part(later.part.clone()),
                        Some(&settled.remembered),
                    ) {
                        Ok(rendered) => settled.absorb(rendered),
                        Err(Error::Superseded) => {
                            outputs
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .clear();
                            owed = Some(later);
                        }
                        Err(error) => return Err(error),
                    }
                }
                let markdown = publication.markdown_cache();
                Ok((scope, templates, markdown, settled, owed))
            })?;
        let Settled {
            around,
            remembered,
            removed,
        } = settled;
        let super::Prepared {
            issues,
            config,
            diagnostics,
            ..
        } = prepared;
        let issues = Arc::new(issues);
        let total = issues.len();
        let (owed, left) = match owed {
            Some(Later { part, pending }) => (Some(part), pending),
            None => (None, Vec::new()),
        };
        self.owed = owed;
        let replaced = self.last.replace(Last {
            basis: Basis {
                config: config.clone(),
                templates,
                issues: Arc::clone(&issues),
            },
            around,
            markdown,
            remembered,
        });
        // Freeing a large newsletter's last stories, paths and Markdown takes tens of
        // milliseconds that the reload need not wait for. Without a thread to spare, the
        // refused closure is dropped here, and `replaced` with it.
        let _ = std::thread::Builder::new()
            .name("preview-free".to_owned())
            .spawn(move || drop(replaced));
        self.read_all = false;
        Ok(Update {
            outputs: outputs.into_inner().unwrap_or_else(PoisonError::into_inner),
            removed,
            errors: diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect(),
            rendered: (scope.count(total), total),
            issues,
            config,
            owed: left,
        })
    }
}

/// What a rebuild renders after the rest is served ([`Early`]).
struct Later {
    /// What it renders.
    part: Part,
    /// The paths of the last build's files it renders again: the same paths, since nothing
    /// rendered later comes or goes.
    pending: Vec<String>,
}

/// `scope` split in what renders now and what renders after the rest is served:
/// - the issues rendered for their own files alone (their "still watching" list or their
///   pager) and those rendered with their stories' pages whose stories read as the last
///   build's (a template every page is made with, a retitle their follow-ups show), when
///   there are more than `over`: their files keep their paths;
/// - the tag pages, the watch pages and the sitemap that a template edit renders whole,
///   when no story changed on them: they keep their paths too.
///
/// What holds a page open in a browser (`viewed`, site paths) renders now; the feed waits
/// for the entries of the issues in it rendered later.
fn defer(
    scope: &Scope,
    publication: &render::Publication<'_>,
    last: Option<&Last>,
    viewed: &[String],
    over: usize,
) -> (Scope, Option<Later>) {
    let (Scope::Part(part), Some(last)) = (scope, last) else {
        return (scope.clone(), None);
    };
    let issues = publication.issues;
    let files_of = |index: usize| last.remembered.issue_files.get(&issues[index].id);
    let story_pages = |index: usize| part.story_pages.get(index).copied().unwrap_or(true);
    let count = part.issues.len();
    let in_feed = count.saturating_sub(publication.config.feed_limit);
    // The feed open (in a feed reader's preview, say) keeps the issues in it.
    let feed_viewed = viewed.iter().any(|path| path == "feed.xml");
    let mut later_issues: Vec<usize> = (0..count)
        .filter(|&index| {
            part.issues[index]
                && !(feed_viewed && index >= in_feed)
                && files_of(index)
                    .is_some_and(|files| !files.iter().any(|path| viewed.contains(path)))
                && (!story_pages(index)
                    || last
                        .basis
                        .issues
                        .get(index)
                        .is_some_and(|was| was.stories == issues[index].stories))
        })
        .collect();
    if later_issues.len() <= over {
        later_issues.clear();
    }
    // What a template renders whole, when no story changed on it and none of it is open;
    // the pages of an open tag render first, the other tags' after.
    let open = Whole::of_pages(viewed);
    let open_tags: BTreeSet<&str> = viewed
        .iter()
        .filter_map(|path| render::site::tag_of_page(path))
        .collect();
    let later_whole = Whole {
        tags: part.whole.tags && part.tags.is_empty(),
        watch: part.whole.watch && !open.watch,
        sitemap: part.whole.sitemap && !open.sitemap,
    };
    if later_issues.is_empty() && later_whole == Whole::default() {
        return (scope.clone(), None);
    }
    let mut now = part.clone();
    // The watch pages at the last build's paths come later: the pages a longer list adds
    // render now, and those a shorter one drops go now.
    let watch_pages_had = last
        .around
        .iter()
        .filter_map(|path| render::watch::page_index(path))
        .max()
        .map_or(0, |index| index + 1);
    let watch_pages_kept = watch_pages_had.min(render::watch::WatchPages::count(publication));
    // (Their number changes only when a story came or went, which renders the watch pages.)
    if later_whole.watch {
        now.watch_from = watch_pages_kept;
    }
    now.whole = Whole {
        tags: part.whole.tags && !later_whole.tags,
        watch: part.whole.watch && !later_whole.watch,
        sitemap: part.whole.sitemap && !later_whole.sitemap,
    };
    if later_whole.tags {
        now.whole_tags
            .extend(open_tags.iter().map(|slug| (*slug).to_owned()));
    }
    let mut after = Part {
        issues: vec![false; count],
        story_pages: vec![false; count],
        whole: later_whole,
        ..Part::default()
    };
    let mut pending: Vec<String> = last
        .around
        .iter()
        .filter(|path| {
            later_whole.covers(path)
                && !render::site::tag_of_page(path).is_some_and(|slug| open_tags.contains(slug))
                && render::watch::page_index(path).is_none_or(|index| index < watch_pages_kept)
        })
        .cloned()
        .collect();
    // The feed shows the entries of the issues in it: it is rendered again with theirs.
    if later_issues.last().is_some_and(|&index| index >= in_feed) {
        pending.push("feed.xml".to_owned());
    }
    for index in later_issues {
        now.issues[index] = false;
        now.story_pages[index] = false;
        after.issues[index] = true;
        after.story_pages[index] = story_pages(index);
        let Some(files) = files_of(index) else {
            continue;
        };
        // Without its story pages, an issue makes the files in its own folder.
        let folder = publication
            .links
            .get(index)
            .map_or("", |link| link.path.as_str());
        pending.extend(
            files
                .iter()
                .filter(|path| {
                    after.story_pages[index]
                        || path
                            .strip_prefix(folder)
                            .is_some_and(|name| !name.contains('/'))
                })
                .cloned(),
        );
    }
    (
        Scope::Part(now),
        Some(Later {
            part: after,
            pending,
        }),
    )
}

/// What a rebuild of `scope` after `last` keeps for the next and removed of `last`'s files,
/// from what it `rendered` and the `outputs` it made; `issues` are the issues now.
fn settle(
    scope: &Scope,
    last: Option<&Last>,
    issues: &[Issue],
    rendered: render::Rendered,
    outputs: &Mutex<Vec<Output>>,
) -> Settled {
    let mut around: HashSet<String> = rendered.around.into_iter().collect();
    let mut remembered = rendered.remembered;
    let removed = match (scope, last) {
        (Scope::Part(_), Some(last)) => {
            // What this build left alone stays; what it rendered again and did not make
            // is gone.
            around.extend(
                last.around
                    .iter()
                    .filter(|path| !render::rendered_again(path, scope))
                    .cloned(),
            );
            for (path, digest) in &last.remembered.pages {
                if !remembered.pages.contains_key(path) && around.contains(path) {
                    remembered.pages.insert(path.clone(), *digest);
                }
            }
            let mut removed: Vec<String> = last
                .around
                .iter()
                .filter(|path| !around.contains(*path))
                .cloned()
                .collect();
            // An issue rendered again may make fewer files (a story went, or moved to
            // another issue, which makes its page now).
            let outputs = outputs.lock().unwrap_or_else(PoisonError::into_inner);
            let made: HashSet<&str> = outputs.iter().map(|o| o.path.as_str()).collect();
            let weeks: HashSet<_> = issues.iter().map(|issue| issue.id).collect();
            for (week, paths) in &last.remembered.issue_files {
                if remembered.issue_files.contains_key(week) {
                    removed.extend(
                        paths
                            .iter()
                            .filter(|path| !made.contains(path.as_str()))
                            .cloned(),
                    );
                } else if weeks.contains(week) {
                    remembered.issue_files.insert(*week, Arc::clone(paths));
                } else {
                    // The issue went (its week's last card).
                    removed.extend(paths.iter().cloned());
                }
            }
            Some(removed)
        }
        _ => None,
    };
    Settled {
        around,
        remembered,
        removed,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;

    use super::*;

    /// A card of the generated newsletter.
    #[derive(Debug, Clone)]
    struct Card {
        n: usize,
        week: usize,
        title: u8,
        summary: u8,
        tags: [bool; TAGS.len()],
        /// Which of three sections it is in (none, "Chips", "People"): sections set the
        /// reading order, which names a shared tag page and orders a tag's stories of one day.
        section: u8,
        follows_up: Option<usize>,
        draft: bool,
        /// Written with a YAML error.
        broken: bool,
    }

    /// The newsletter the edits change: cards, the issue files' subjects, a template
    /// override, the config.
    #[derive(Debug, Clone)]
    struct Newsletter {
        cards: Vec<Card>,
        subjects: [Option<u8>; WEEKS],
        template: Option<u8>,
        style: Option<u8>,
        /// Which of twelve configs: each edit changes the tagline and the feed's length, some
        /// the base URL, the tag pages' size (which moves stories between pages) or whether
        /// there is a merge tag (files of every issue come or go).
        config: u8,
        next: usize,
    }

    const WEEKS: usize = 4;
    /// The last two share a page (`open-models`), under the name seen first.
    const TAGS: [&str; 4] = ["Chips", "Policy", "Open models", "open-models"];

    #[derive(Debug, Clone)]
    enum Edit {
        Retitle(usize),
        Resummarise(usize),
        Tag(usize, usize),
        Section(usize),
        Move(usize, usize),
        Add(usize),
        Delete(usize),
        FollowUp(usize, Option<usize>),
        Draft(usize),
        Break(usize),
        Subject(usize),
        Template,
        /// An override of templates every build renders whole (the stylesheet, the archive).
        Style,
        /// To another of the twelve configs ([`Newsletter::config`]).
        Config(u8),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            4 => any::<usize>().prop_map(Edit::Retitle),
            4 => any::<usize>().prop_map(Edit::Resummarise),
            2 => (any::<usize>(), 0..TAGS.len()).prop_map(|(k, t)| Edit::Tag(k, t)),
            1 => any::<usize>().prop_map(Edit::Section),
            // A week after the others too: an issue comes or goes after the newest.
            2 => (any::<usize>(), 0..=WEEKS).prop_map(|(k, w)| Edit::Move(k, w)),
            2 => (0..=WEEKS).prop_map(Edit::Add),
            1 => any::<usize>().prop_map(Edit::Delete),
            2 => (any::<usize>(), proptest::option::of(any::<usize>()))
                .prop_map(|(k, t)| Edit::FollowUp(k, t)),
            1 => any::<usize>().prop_map(Edit::Draft),
            1 => any::<usize>().prop_map(Edit::Break),
            1 => (0..WEEKS).prop_map(Edit::Subject),
            1 => Just(Edit::Template),
            1 => Just(Edit::Style),
            // The next config mostly keeps the files (`serve` renders it in two steps); a
            // jump may make or remove some, which renders everything.
            2 => Just(Edit::Config(1)),
            1 => (1..12u8).prop_map(Edit::Config),
        ]
    }

    impl Newsletter {
        fn new() -> Newsletter {
            let cards = (0..6)
                .map(|n| Card {
                    n,
                    week: n % WEEKS,
                    title: 0,
                    summary: 0,
                    tags: [n % 2 == 0, n % 3 == 0, n == 1, n == 4],
                    section: (n % 3) as u8,
                    // Each card after the first follows up the one before it.
                    follows_up: n.checked_sub(1),
                    draft: false,
                    broken: false,
                })
                .collect();
            Newsletter {
                cards,
                subjects: [None; WEEKS],
                template: None,
                style: None,
                config: 0,
                next: 6,
            }
        }

        fn apply(&mut self, edit: &Edit) {
            let count = self.cards.len();
            let card = |k: usize| (count > 0).then(|| k % count);
            match *edit {
                Edit::Retitle(k) => card(k).map(|k| self.cards[k].title += 1),
                Edit::Resummarise(k) => card(k).map(|k| self.cards[k].summary += 1),
                Edit::Tag(k, t) => card(k).map(|k| self.cards[k].tags[t] ^= true),
                Edit::Section(k) => card(k).map(|k| {
                    self.cards[k].section = (self.cards[k].section + 1) % 3;
                }),
                Edit::Move(k, w) => card(k).map(|k| self.cards[k].week = w),
                Edit::Add(week) => {
                    self.cards.push(Card {
                        n: self.next,
                        week,
                        title: 0,
                        summary: 0,
                        tags: [true, false, false, true],
                        section: 0,
                        follows_up: None,
                        draft: false,
                        broken: false,
                    });
                    self.next += 1;
                    None
                }
                Edit::Delete(k) => card(k).map(|k| {
                    self.cards.remove(k);
                }),
                Edit::FollowUp(k, target) => card(k).map(|k| {
                    self.cards[k].follows_up = target.and_then(&card).map(|t| self.cards[t].n)
                }),
                Edit::Draft(k) => card(k).map(|k| self.cards[k].draft ^= true),
                Edit::Break(k) => card(k).map(|k| self.cards[k].broken ^= true),
                Edit::Subject(w) => {
                    self.subjects[w] = match self.subjects[w] {
                        None => Some(0),
                        Some(2) => None,
                        Some(v) => Some(v + 1),
                    };
                    None
                }
                Edit::Template => {
                    self.template = match self.template {
                        None => Some(0),
                        Some(1) => None,
                        Some(v) => Some(v + 1),
                    };
                    None
                }
                Edit::Style => {
                    self.style = match self.style {
                        None => Some(0),
                        Some(2) => None,
                        Some(v) => Some(v + 1),
                    };
                    None
                }
                Edit::Config(step) => {
                    self.config = (self.config + step) % 12;
                    None
                }
            };
        }

        /// Every file of the newsletter, by path.
        fn files(&self) -> BTreeMap<String, String> {
            let mut files = BTreeMap::new();
            files.insert(
                "config.yaml".to_owned(),
                format!(
                    "title: Test Briefing\ntagline: Weekly test {}\nbase_url: https://example.org/{}/\n\
                     language: en\nfrom: Test <test@example.org>\npostal_address: 1 Example Street\n\
                     unsubscribe_url: https://example.org/u?token={{token}}\nfeed_limit: {}\ntag_page_size: {}\n\
                     watch:\n  stale_after_weeks: 1\n  still_watching_limit: 3\n{}",
                    self.config % 3,
                    ["news", "brief"][usize::from(self.config / 2 % 2)],
                    1 + self.config % 2,
                    // Pages of two or three stories: edits move stories between them.
                    2 + self.config / 3 % 2,
                    if self.config >= 6 { "email:\n  merge_tag: \"*|UNSUB|*\"\n" } else { "" }
                ),
            );
            for card in &self.cards {
                let week = 10 + card.week;
                let date =
                    chrono::NaiveDate::from_isoywd_opt(2026, week as u32, chrono::Weekday::Mon)
                        .and_then(|monday| {
                            monday.checked_add_days(chrono::Days::new((card.n % 5) as u64))
                        })
                        .map(|date| date.to_string())
                        .unwrap_or_default();
                let tags: Vec<&str> = TAGS
                    .iter()
                    .zip(card.tags)
                    .filter(|(_, on)| *on)
                    .map(|(tag, _)| *tag)
                    .collect();
                let follows_up = card
                    .follows_up
                    .map(|t| {
                        format!(
                            "follows_up:\n  - id: w{t}\n    note: Followed by {}\n",
                            card.n
                        )
                    })
                    .unwrap_or_default();
                files.insert(
                    format!("briefs/2026-W{week}/card-{}.yaml", card.n),
                    format!(
                        "{}title: Story {} take {}\n{}date: {date}\ndraft: {}\ntags: [{}]\n{}\
                         summary: Summary {} of story {}.\ntldr:\n  - Point of story {}\n\
                         why_it_matters: Because of {}.\nwhat_to_watch:\n  - id: w{}\n    text: Watch {}\n\
                         {follows_up}sources:\n  - title: Source {}\n    url: https://example.org/s/{}\n",
                        if card.broken { "summary: \"unterminated\n" } else { "" },
                        card.n, card.title,
                        // A third of the cards take their slug from the title, which a
                        // retitle moves (their page with it); the rest write one.
                        if card.n % 3 == 2 { String::new() } else { format!("slug: story-{}\n", card.n) },
                        card.draft, tags.join(", "),
                        ["", "section: Chips\n", "section: People\n"][usize::from(card.section)],
                        card.summary, card.n,
                        card.n, card.n, card.n, card.n, card.n, card.n
                    ),
                );
            }
            for (w, subject) in self.subjects.iter().enumerate() {
                if let Some(v) = subject {
                    files.insert(
                        format!("briefs/2026-W{}/issue.yaml", 10 + w),
                        format!("subject: Subject {v} of week {w}\n"),
                    );
                }
            }
            // The watch pages under a template that shows more of the newest issue than the
            // built-in one (its subject and how many stories it has), as an override may.
            let builtin = |wanted: &str| {
                crate::publish::templates::BUILTINS
                    .iter()
                    .find(|(name, _)| *name == wanted)
                    .map(|(_, source)| *source)
                    .unwrap_or_default()
            };
            let watch = builtin("watch.html");
            let kicker = "As of issue {{ as_of_issue.number }}";
            assert!(watch.contains(kicker), "the built-in watch.html changed");
            files.insert(
                "templates/watch.html".to_owned(),
                watch.replace(
                    kicker,
                    &format!("{kicker} ({{{{ as_of_issue.subject }}}}, {{{{ as_of_issue.story_count }}}} stories)"),
                ),
            );
            // The issue body shows how many items the issue is still watching, as an override
            // may: the feed's entries then change with the "still watching" lists.
            files.insert(
                "templates/partials/issue-body.html".to_owned(),
                format!(
                    "{}<p>Still watching {{{{ issue.still_watching|length }}}}: {{{{ issue.still_watching|map(attribute='story')|map(attribute='title')|join(', ') }}}}</p>\n",
                    builtin("partials/issue-body.html")
                ),
            );
            if let Some(v) = self.template {
                files.insert(
                    "templates/partials/story.md".to_owned(),
                    format!("{}\nTemplate edit {v}\n", builtin("partials/story.md")),
                );
            }
            if self.template == Some(1) {
                // The footer every page includes: every page renders.
                files.insert(
                    "templates/partials/footer.html".to_owned(),
                    format!("{}<!-- footer edit -->\n", builtin("partials/footer.html")),
                );
            }
            if let Some(v) = self.style {
                files.insert(
                    "templates/style.css".to_owned(),
                    format!("{}\n/* style edit {v} */\n", builtin("style.css")),
                );
            }
            if self.style >= Some(1) {
                files.insert(
                    "templates/archive.html".to_owned(),
                    "{% extends \"builtin/archive.html\" %}{% block title %}Archive edit{% endblock %}"
                        .to_owned(),
                );
            }
            if self.style == Some(2) {
                // The templates of the pages kept by digest: each renders its pages whole.
                files.insert(
                    "templates/tag.html".to_owned(),
                    "{% extends \"builtin/tag.html\" %}{% block title %}Tag edit{% endblock %}"
                        .to_owned(),
                );
                files.insert(
                    "templates/sitemap.xml".to_owned(),
                    format!("{}<!-- sitemap edit -->\n", builtin("sitemap.xml")),
                );
                if let Some(watch) = files.get_mut("templates/watch.html") {
                    *watch = watch.replacen("As of issue", "Watch edit · As of issue", 1);
                }
            }
            files
        }
    }

    /// Writes `files` under `root`, removing what `before` had and `files` has not (and a
    /// folder left empty), and returns the paths written and removed, as a file watcher
    /// would name them.
    fn write(
        root: &Path,
        before: &BTreeMap<String, String>,
        files: &BTreeMap<String, String>,
    ) -> Vec<PathBuf> {
        let mut changed = Vec::new();
        for path in before.keys().filter(|path| !files.contains_key(*path)) {
            std::fs::remove_file(root.join(path)).unwrap();
            changed.push(PathBuf::from(path));
            let folder = Path::new(path).parent().unwrap();
            if std::fs::remove_dir(root.join(folder)).is_ok() {
                changed.push(folder.to_path_buf());
            }
        }
        for (path, text) in files {
            if before.get(path) != Some(text) {
                let full = root.join(path);
                std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                std::fs::write(full, text).unwrap();
                changed.push(PathBuf::from(path));
            }
        }
        changed
    }

    type Site = BTreeMap<String, Vec<u8>>;

    /// The site a clean build makes, through the plain pipeline (no preview, no cache: every
    /// file parsed, every issue rendered), and its errors; `None` when it fails as the
    /// preview's rebuild does.
    fn clean(root: &Path) -> Option<(Site, String)> {
        let prepared = crate::pipeline::prepare_valid_cards(&Paths::new(root), false).ok()?;
        if prepared.issues.is_empty() && prepared.error_count() > 0 {
            return None;
        }
        let outputs = Mutex::new(Vec::new());
        prepared
            .publish(|publication| render::render_all(publication, &outputs, SearchIndex::Later))
            .ok()?;
        let errors: Vec<Diagnostic> = prepared
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        let site = outputs
            .into_inner()
            .unwrap()
            .into_iter()
            .map(|o| (o.path, o.bytes));
        Some((
            site.collect(),
            crate::diagnostic::render_all(&errors, crate::diagnostic::Style::new(false)),
        ))
    }

    fn errors(update: &Update) -> String {
        crate::diagnostic::render_all(&update.errors, crate::diagnostic::Style::new(false))
    }

    /// A rebuild, and its early files if it handed any over.
    fn rebuild(
        preview: &mut Preview,
        changed: Option<&[PathBuf]>,
    ) -> Result<(Option<Early>, Update)> {
        rebuild_viewing(preview, changed, &[])
    }

    /// A rebuild with the pages at `viewed` open in a browser.
    fn rebuild_viewing(
        preview: &mut Preview,
        changed: Option<&[PathBuf]>,
        viewed: &[String],
    ) -> Result<(Option<Early>, Update)> {
        rebuild_asked(preview, changed, viewed, false)
    }

    /// A rebuild with the pages at `viewed` open in a browser, and, if `stopped`, a newer
    /// save come before it began what it renders after its early files.
    fn rebuild_asked(
        preview: &mut Preview,
        changed: Option<&[PathBuf]>,
        viewed: &[String],
        stopped: bool,
    ) -> Result<(Option<Early>, Update)> {
        let mut early = None;
        let asked = Asked {
            changed,
            viewed,
            superseded: &AtomicBool::new(stopped),
        };
        let update = preview.rebuild(asked, &mut |ready| {
            assert!(early.is_none(), "early files handed over twice");
            early = Some(ready);
        })?;
        Ok((early, update))
    }

    /// `site` after `early`, as `serve` applies it; the paths still pending.
    fn apply_early(site: &mut Site, early: Early) -> Vec<String> {
        for path in early.removed {
            site.remove(&path);
        }
        site.extend(early.outputs.into_iter().map(|o| (o.path, o.bytes)));
        early.pending
    }

    /// The differences of `site` from `clean` but for the `pending` paths: what a request
    /// answered early would get wrong.
    fn early_differences(site: &Site, clean: &Site, pending: &[String]) -> Vec<String> {
        differences(site, clean)
            .into_iter()
            .filter(|difference| {
                let path = difference.split(": ").next().unwrap_or_default();
                !pending.iter().any(|p| p == path)
            })
            .collect()
    }

    /// `site` after `update`, as `serve` applies it.
    fn apply(site: &mut Site, update: Update) {
        match update.removed {
            None => site.clear(),
            Some(removed) => {
                for path in removed {
                    site.remove(&path);
                }
            }
        }
        site.extend(update.outputs.into_iter().map(|o| (o.path, o.bytes)));
    }

    fn differences(incremental: &Site, clean: &Site) -> Vec<String> {
        let mut paths: Vec<&String> = incremental.keys().chain(clean.keys()).collect();
        paths.sort();
        paths.dedup();
        paths
            .into_iter()
            .filter(|path| incremental.get(*path) != clean.get(*path))
            .map(|path| match (incremental.get(path), clean.get(path)) {
                (None, _) => format!("{path}: missing"),
                (_, None) => format!("{path}: left over"),
                _ => format!("{path}: differs"),
            })
            .collect()
    }

    /// Asserts that `site` is, byte for byte, what a clean build of `root` makes.
    #[track_caller]
    fn assert_a_clean_build(root: &Path, site: &Site) {
        let (clean, _) = clean(root).unwrap();
        assert_eq!(differences(site, &clean), Vec::<String>::new());
    }

    /// A newsletter written into a temporary folder and previewed: what each example test's
    /// edits start from.
    struct Previewed {
        dir: tempfile::TempDir,
        /// The files as last written.
        files: BTreeMap<String, String>,
        preview: Preview,
        site: Site,
    }

    /// What one rebuild did: the paths of the files it made, and those it removed (`None`:
    /// the whole site was made).
    struct Edited {
        made: Vec<String>,
        removed: Option<Vec<String>>,
        /// The paths whose files came after the rest.
        pending: Vec<String>,
    }

    impl Previewed {
        /// `newsletter` written and previewed; the site is what a clean build makes.
        fn start(newsletter: &Newsletter) -> (Previewed, Edited) {
            let dir = tempfile::tempdir().unwrap();
            let files = newsletter.files();
            write(dir.path(), &BTreeMap::new(), &files);
            let mut preview = Preview::new(Paths::new(dir.path()), false);
            // Every issue rendered for its list alone comes last, however few.
            preview.defer_over = 0;
            let first = rebuild(&mut preview, None).unwrap();
            let mut previewed = Previewed {
                dir,
                files,
                preview,
                site: Site::new(),
            };
            let edited = previewed.apply(first);
            (previewed, edited)
        }

        /// `newsletter`'s files written over the last ones and the rebuild told the paths
        /// changed, as the watcher tells it; the site is then what a clean build makes.
        #[track_caller]
        fn edit(&mut self, newsletter: &Newsletter) -> Edited {
            self.edit_viewing(newsletter, &[])
        }

        /// As [`Previewed::edit`], with the pages at `viewed` open in a browser.
        #[track_caller]
        fn edit_viewing(&mut self, newsletter: &Newsletter, viewed: &[String]) -> Edited {
            let next = newsletter.files();
            let changed = write(self.dir.path(), &self.files, &next);
            self.files = next;
            let update = rebuild_viewing(&mut self.preview, Some(&changed), viewed).unwrap();
            self.apply(update)
        }

        /// Applies a rebuild's early files, checks that every file but the pending ones is
        /// then a clean build's, and applies the rest.
        #[track_caller]
        fn apply(&mut self, (early, update): (Option<Early>, Update)) -> Edited {
            let mut edited = Edited {
                made: update.outputs.iter().map(|o| o.path.clone()).collect(),
                removed: update.removed.clone(),
                pending: Vec::new(),
            };
            if let Some(early) = early {
                edited
                    .made
                    .extend(early.outputs.iter().map(|o| o.path.clone()));
                edited.removed = Some(early.removed.clone());
                edited.pending = apply_early(&mut self.site, early);
                let (clean, _) = clean(self.dir.path()).unwrap();
                assert_eq!(
                    early_differences(&self.site, &clean, &edited.pending),
                    Vec::<String>::new()
                );
            }
            apply(&mut self.site, update);
            assert_a_clean_build(self.dir.path(), &self.site);
            edited
        }

        /// The page at `path`, as text.
        fn page(&self, path: &str) -> String {
            String::from_utf8_lossy(&self.site[path]).into_owned()
        }
    }

    /// The paths of the files a rebuild made under `folder`, sorted.
    fn made_under(edited: &Edited, folder: &str) -> Vec<String> {
        let mut paths: Vec<String> = edited
            .made
            .iter()
            .filter(|path| path.starts_with(folder))
            .cloned()
            .collect();
        // A build in two steps makes the pages every build renders in both.
        paths.sort();
        paths.dedup();
        paths
    }

    /// The paths of the files a rebuild made that are pages of the tag `chips`.
    fn chips_pages(edited: &Edited) -> Vec<String> {
        made_under(edited, "tags/chips/")
    }

    #[test]
    fn an_edit_renders_only_the_tag_pages_and_sitemap_it_changed() {
        // Six stories tagged Chips, two to a page: three pages.
        let mut newsletter = Newsletter::new();
        for card in &mut newsletter.cards {
            card.tags = [true, false, false, false];
        }
        let (mut previewed, first) = Previewed::start(&newsletter);
        assert_eq!(
            chips_pages(&first),
            [
                "tags/chips/2/index.html",
                "tags/chips/3/index.html",
                "tags/chips/index.html"
            ]
        );
        let sitemap = |edited: &Edited| edited.made.iter().any(|path| path == "sitemap.xml");

        // A summary edited: only the page that lists the story changes.
        let edited = 3;
        newsletter.apply(&Edit::Resummarise(edited));
        let summarised = previewed.edit(&newsletter);
        assert!(
            !sitemap(&summarised),
            "no page moved or changed its date: the sitemap is kept"
        );
        let summary = format!("Summary 1 of story {edited}.");
        let holding: Vec<&String> = previewed
            .site
            .iter()
            .filter(|(path, bytes)| {
                path.starts_with("tags/chips/") && String::from_utf8_lossy(bytes).contains(&summary)
            })
            .map(|(path, _)| path)
            .collect();
        assert_eq!(holding.len(), 1, "{holding:?}");
        assert_eq!(chips_pages(&summarised), [holding[0].clone()]);
        let removed = summarised.removed.unwrap_or_default();
        assert!(
            removed.iter().all(|path| !path.starts_with("tags/")),
            "{removed:?}"
        );

        // A newer story: every page starts one story further on, and a fourth page comes.
        newsletter.apply(&Edit::Add(WEEKS - 1));
        let added = previewed.edit(&newsletter);
        assert!(sitemap(&added), "a new story's page is in the sitemap");
        assert_eq!(
            chips_pages(&added),
            [
                "tags/chips/2/index.html",
                "tags/chips/3/index.html",
                "tags/chips/4/index.html",
                "tags/chips/index.html"
            ]
        );

        // Gone again: the fourth page with it.
        newsletter.apply(&Edit::Delete(newsletter.cards.len() - 1));
        previewed.edit(&newsletter);
        assert!(!previewed.site.contains_key("tags/chips/4/index.html"));
        assert!(previewed.site.contains_key("tags/chips/3/index.html"));

        // The oldest story (card 0, which follows nothing up) moved to the newest week goes
        // from the last page to the first, and every page between starts one story earlier:
        // the second page lists other stories, none of which changed, in the same numbers.
        let listed = |previewed: &Previewed, page: &str| -> Vec<usize> {
            let page = previewed.page(page);
            (0..10)
                .filter(|n| (0..2).any(|s| page.contains(&format!("Summary {s} of story {n}."))))
                .collect()
        };
        let pages = |previewed: &Previewed| {
            [
                "tags/chips/index.html",
                "tags/chips/2/index.html",
                "tags/chips/3/index.html",
            ]
            .map(|page| listed(previewed, page))
        };
        assert_eq!(pages(&previewed), [[2, 3], [1, 5], [0, 4]]);
        newsletter.apply(&Edit::Move(0, WEEKS - 1));
        let moved = previewed.edit(&newsletter);
        assert_eq!(pages(&previewed), [[0, 3], [1, 2], [4, 5]]);
        assert_eq!(
            chips_pages(&moved),
            [
                "tags/chips/2/index.html",
                "tags/chips/3/index.html",
                "tags/chips/index.html"
            ]
        );
    }

    #[test]
    fn a_template_edit_renders_only_the_pages_made_with_it() {
        let mut newsletter = Newsletter::new();
        let (mut previewed, first) = Previewed::start(&newsletter);
        let stories = |edited: &Edited| made_under(edited, "stories/");
        assert!(!stories(&first).is_empty());

        // The stylesheet: every build renders it whole, so nothing else needs to render.
        newsletter.apply(&Edit::Style);
        let styled = previewed.edit(&newsletter);
        assert!(styled.removed.is_some(), "a part of the site is rendered");
        assert!(previewed.page("style.css").contains("/* style edit 0 */"));
        assert_eq!(stories(&styled), Vec::<String>::new());
        assert!(made_under(&styled, "issues/").is_empty());

        // An archive that extends the built-in one: the archive changes, no issue renders.
        newsletter.apply(&Edit::Style);
        let archived = previewed.edit(&newsletter);
        assert!(archived.removed.is_some(), "a part of the site is rendered");
        assert!(
            previewed
                .page("archive/index.html")
                .contains("<title>Archive edit</title>")
        );
        assert!(stories(&archived).is_empty());

        // The tag pages', watch pages' and sitemap's templates: each of those renders whole.
        newsletter.apply(&Edit::Style);
        let kept_pages = previewed.edit(&newsletter);
        assert!(
            kept_pages.removed.is_some(),
            "a part of the site is rendered"
        );
        assert!(stories(&kept_pages).is_empty());
        let tag_pages: Vec<&String> = previewed
            .site
            .keys()
            .filter(|path| path.starts_with("tags/") && *path != "tags/index.html")
            .collect();
        assert!(tag_pages.len() > 1, "{tag_pages:?}");
        for page in tag_pages {
            assert!(
                previewed.page(page).contains("<title>Tag edit</title>"),
                "{page}"
            );
        }
        assert!(
            previewed
                .page("watch/index.html")
                .contains("Watch edit · As of issue")
        );
        assert!(
            previewed
                .page("sitemap.xml")
                .contains("<!-- sitemap edit -->")
        );

        // A partial the issues' Markdown includes: every issue renders after the rest (the
        // tests defer however few), and the feed with them; no story page (`story.html`
        // does not include it), and the tag pages stay.
        newsletter.apply(&Edit::Template);
        let issues = previewed.edit(&newsletter);
        assert_eq!(issues.removed, Some(Vec::new()));
        assert_eq!(stories(&issues), Vec::<String>::new());
        let mut every_issue = made_under(&first, "issues/");
        every_issue.push("feed.xml".to_owned());
        every_issue.sort();
        let mut pending = issues.pending.clone();
        pending.sort();
        assert_eq!(pending, every_issue);
        assert_eq!(made_under(&issues, "tags/"), ["tags/index.html"]);

        // The footer every page includes, with a story's page open in a browser: that page
        // and its issue come first, the other issues, the tag pages and the watch pages
        // after (the sitemap, which includes no footer, stays).
        newsletter.apply(&Edit::Template);
        let viewed = stories(&first)[0].clone();
        let footer = previewed.edit_viewing(&newsletter, std::slice::from_ref(&viewed));
        assert!(!footer.pending.contains(&viewed), "{viewed}");
        for path in ["watch/index.html", "tags/chips/index.html"] {
            assert!(footer.pending.iter().any(|p| p == path), "{path}");
        }
        assert!(!footer.made.iter().any(|p| p == "sitemap.xml"));
        assert!(footer.pending.iter().any(|p| p.starts_with("stories/")));
        for (path, bytes) in &previewed.site {
            if path.ends_with(".html") && !path.starts_with("stories/") {
                let page = String::from_utf8_lossy(bytes);
                assert!(page.contains("<!-- footer edit -->"), "{path}");
            }
        }

        // The footer gone again, with a tag page open: that tag's pages come first, the
        // other tags' after.
        newsletter.apply(&Edit::Template);
        let tag_open = previewed.edit_viewing(&newsletter, &["tags/chips/2/index.html".to_owned()]);
        assert!(
            !tag_open
                .pending
                .iter()
                .any(|p| p.starts_with("tags/chips/")),
            "{:?}",
            tag_open.pending
        );
        assert!(
            tag_open
                .pending
                .iter()
                .any(|p| p.starts_with("tags/") && p.ends_with("/index.html"))
        );
        assert_eq!(
            chips_pages(&tag_open),
            ["tags/chips/2/index.html", "tags/chips/index.html"]
        );

        // Both overrides gone: the stylesheet and the archive are the built-in ones again.
        newsletter.apply(&Edit::Style);
        let restored = previewed.edit(&newsletter);
        assert!(restored.removed.is_some());
        assert!(!previewed.page("style.css").contains("style edit"));
        assert!(
            !previewed
                .page("archive/index.html")
                .contains("Archive edit")
        );
    }

    #[test]
    fn a_retitle_renders_only_the_watch_pages_that_show_the_story() {
        // 120 cards, each with a watch item the next one follows up: two watch pages, the
        // newest 100 items on the first.
        let mut newsletter = Newsletter::new();
        let model = newsletter.cards[1].clone();
        newsletter.cards.extend((6..120).map(|n| Card {
            n,
            week: n % WEEKS,
            section: (n % 3) as u8,
            follows_up: Some(n - 1),
            ..model.clone()
        }));
        newsletter.next = 120;
        let (mut previewed, first) = Previewed::start(&newsletter);
        let watch_pages = |edited: &Edited| made_under(edited, "watch/");
        assert_eq!(
            watch_pages(&first),
            ["watch/2/index.html", "watch/index.html"]
        );

        // Card 119 (the newest, not a lead of its issue) takes its slug from its title: its
        // item and the item it follows up (card 118's) are on the first page only.
        assert_eq!(119 % 3, 2);
        newsletter.apply(&Edit::Retitle(119));
        let retitled = previewed.edit(&newsletter);
        assert!(
            previewed
                .page("watch/index.html")
                .contains("Story 119 take 1")
        );
        assert_eq!(watch_pages(&retitled), ["watch/index.html"]);
        assert!(previewed.site.contains_key("watch/2/index.html"));

        // Card 21 keeps its slug, its item is on the first page, and it follows up card 20's
        // item, which is on the second: that page shows its new title in the follow-up.
        assert_ne!(21 % 3, 2);
        assert!(previewed.page("watch/index.html").contains("id=\"w21\""));
        assert!(previewed.page("watch/2/index.html").contains("id=\"w20\""));
        newsletter.apply(&Edit::Retitle(21));
        let retitled = previewed.edit(&newsletter);
        assert!(
            previewed
                .page("watch/2/index.html")
                .contains("Story 21 take 1")
        );
        assert_eq!(
            watch_pages(&retitled),
            ["watch/2/index.html", "watch/index.html"]
        );

        // Card 0 (which follows nothing up) moved from the oldest week to the next takes its
        // item to the first page, whose oldest item goes to the second: the second page lists
        // other items, in the same numbers, as of the same newest issue.
        assert!(previewed.page("watch/2/index.html").contains("id=\"w0\""));
        newsletter.apply(&Edit::Move(0, 1));
        let moved = previewed.edit(&newsletter);
        assert!(moved.removed.is_some(), "a move renders part of the site");
        assert!(previewed.page("watch/index.html").contains("id=\"w0\""));
        assert!(!previewed.page("watch/2/index.html").contains("id=\"w0\""));
        assert_eq!(
            watch_pages(&moved),
            ["watch/2/index.html", "watch/index.html"]
        );
    }

    #[test]
    fn a_new_weeks_first_card_renders_its_issue_first_and_the_watch_pages_after() {
        // Four issues, weeks 10 to 13; the first card of week 14 makes a fifth.
        let mut newsletter = Newsletter::new();
        let (mut previewed, _) = Previewed::start(&newsletter);
        newsletter.apply(&Edit::Add(WEEKS));
        let added = previewed.edit(&newsletter);
        assert!(
            added.removed.is_some(),
            "a new issue renders part of the site"
        );
        let issue = |week: usize| format!("issues/2026-w{week}/index.html");
        // The new issue comes first, the one before it (its pager) too or, as here where
        // every issue rendered for its links alone comes last, after; the three before that
        // are not rendered; every watch page, "as of" the newest issue, comes after.
        for made in [issue(14), "stories/story-6/index.html".to_owned()] {
            assert!(
                added.made.contains(&made) && !added.pending.contains(&made),
                "{made}"
            );
        }
        assert!(added.made.contains(&issue(13)));
        assert!(!added.made.contains(&issue(12)));
        assert!(added.pending.contains(&"watch/index.html".to_owned()));
        assert!(previewed.page("watch/index.html").contains("As of issue 5"));
        assert!(previewed.page(&issue(13)).contains("rel=\"next\""));

        // Its card gone again: its files go, the issue before it loses its pager's link.
        newsletter.apply(&Edit::Delete(newsletter.cards.len() - 1));
        let gone = previewed.edit(&newsletter);
        let removed = gone.removed.unwrap_or_default();
        assert!(
            removed.contains(&issue(14))
                && removed.contains(&"stories/story-6/index.html".to_owned())
        );
        assert!(!previewed.page(&issue(13)).contains("rel=\"next\""));
        assert!(previewed.page("watch/index.html").contains("As of issue 4"));

        // 100 watch items fill one page: the 101st makes a second, which comes first (a
        // later part brings only paths the last build had); the first comes after
        // (`Previewed::apply` checks the early site against a clean build's).
        let model = newsletter.cards[1].clone();
        newsletter.cards.extend((6..100).map(|n| Card {
            n,
            week: n % WEEKS,
            ..model.clone()
        }));
        newsletter.next = 100;
        let (mut previewed, first) = Previewed::start(&newsletter);
        assert_eq!(made_under(&first, "watch/"), ["watch/index.html"]);
        newsletter.apply(&Edit::Add(WEEKS));
        let added = previewed.edit(&newsletter);
        let second = "watch/2/index.html".to_owned();
        assert!(added.made.contains(&second) && !added.pending.contains(&second));
        assert!(added.pending.contains(&"watch/index.html".to_owned()));
        let removed = added.removed.unwrap_or_default();
        assert!(
            !removed.iter().any(|path| path.starts_with("watch")),
            "{removed:?}"
        );

        // Gone again: the second page goes first, the first comes after.
        newsletter.apply(&Edit::Delete(newsletter.cards.len() - 1));
        let gone = previewed.edit(&newsletter);
        assert!(gone.removed.unwrap_or_default().contains(&second));
        assert!(gone.pending.contains(&"watch/index.html".to_owned()));
        assert!(!previewed.site.contains_key(&second));
    }

    #[test]
    fn a_config_edit_renders_the_open_page_first_and_every_other_page_after() {
        let mut newsletter = Newsletter::new();
        let (mut previewed, _) = Previewed::start(&newsletter);
        let open = "issues/2026-w11/index.html".to_owned();
        newsletter.apply(&Edit::Config(1));
        let edited = previewed.edit_viewing(&newsletter, std::slice::from_ref(&open));
        assert!(
            edited.removed.is_some(),
            "a config edit renders part of the site first"
        );
        assert!(edited.made.contains(&open) && !edited.pending.contains(&open));
        for later in [
            "issues/2026-w10/index.html",
            "tags/chips/index.html",
            "watch/index.html",
            "sitemap.xml",
        ] {
            assert!(edited.pending.contains(&later.to_owned()), "{later}");
        }
        // Then every page shows the new tagline and base URL.
        for page in [
            &open,
            "issues/2026-w10/index.html",
            "tags/chips/index.html",
            "watch/index.html",
        ] {
            assert!(previewed.page(page).contains("Weekly test 1"), "{page}");
        }
        assert!(
            previewed
                .page("sitemap.xml")
                .contains("https://example.org/news/issues/2026-w10/")
        );

        // A change that makes other files (a merge tag's emails) renders everything at once.
        newsletter.apply(&Edit::Config(5));
        let merged = previewed.edit_viewing(&newsletter, std::slice::from_ref(&open));
        assert!(merged.removed.is_none() && merged.pending.is_empty());
        assert!(
            previewed
                .site
                .contains_key("issues/2026-w10/email-merge.html")
        );
    }

    #[test]
    fn a_title_other_issues_list_renders_their_files_not_their_stories_pages() {
        // Nothing follows anything up: card 0's item is only listed by later issues.
        let mut newsletter = Newsletter::new();
        for card in &mut newsletter.cards {
            card.follows_up = None;
        }
        let (mut previewed, _) = Previewed::start(&newsletter);
        newsletter.apply(&Edit::Retitle(0));
        let retitled = previewed.edit(&newsletter);
        let issue_pages: Vec<String> = made_under(&retitled, "issues/")
            .into_iter()
            .filter(|path| path.ends_with("/index.html"))
            .collect();
        assert!(issue_pages.len() > 1, "{:?}", retitled.made);
        // Only the pages of the stories of its own issue (week 0: cards 0 and 4); the site
        // is a clean build's all the same (checked by `edit`).
        let story_pages = made_under(&retitled, "stories/");
        assert_eq!(
            story_pages,
            ["stories/story-0/index.html", "stories/story-4/index.html"]
        );
        // Weeks 11 to 13 list the title: their files come after the rest (the site with the
        // rest and without them is a clean build's but for them: checked by `edit`), and
        // the feed, which shows weeks 12 and 13, with them.
        let mut pending: Vec<&str> = retitled.pending.iter().map(String::as_str).collect();
        pending.sort_unstable();
        let files = ["digest.md", "email.html", "email.txt", "index.html"];
        let weeks = ["w11", "w12", "w13"];
        let mut expected: Vec<String> = weeks
            .iter()
            .flat_map(|week| files.map(|file| format!("issues/2026-{week}/{file}")))
            .collect();
        expected.insert(0, "feed.xml".to_owned());
        assert_eq!(pending, expected);
        assert!(retitled.made.iter().any(|path| path == "feed.xml"));
    }

    // A story whose slug comes from its title moves to a new page when retitled; a story
    // deleted takes its follow-up off the page of the story it followed up, in an earlier
    // issue that nothing else touched.
    #[test]
    fn a_retitled_or_deleted_story_leaves_no_trace_on_other_pages() {
        let mut newsletter = Newsletter::new();
        let (mut previewed, _) = Previewed::start(&newsletter);

        // Card 2 (week 2) has no `slug:` and follows up card 1 (week 1); card 3 follows it up.
        assert_eq!(WEEKS, 4);
        newsletter.apply(&Edit::Retitle(2));
        let retitled = previewed.edit(&newsletter);
        assert!(
            retitled.removed.is_some(),
            "a retitle renders part of the site"
        );
        assert!(
            !previewed
                .site
                .contains_key("stories/story-2-take-0/index.html")
        );
        assert!(
            previewed
                .page("stories/story-2-take-1/index.html")
                .contains("Story 2 take 1")
        );
        assert!(
            previewed
                .page("stories/story-1/index.html")
                .contains("story-2-take-1")
        );

        // Moved to the last week, then deleted: card 5, which follows up card 4 (week 0, not
        // a neighbour whose pager changes), and card 0, which card 1 (now before it) follows
        // up. The page that shows the moved story says so until it goes.
        let cases = [
            (
                5,
                "stories/story-4/index.html",
                "stories/story-5-take-0/index.html",
            ),
            (
                0,
                "stories/story-1/index.html",
                "stories/story-0/index.html",
            ),
        ];
        for (n, showing, own) in cases {
            let shown = format!("Story {n} take 0");
            let at = newsletter
                .cards
                .iter()
                .position(|card| card.n == n)
                .unwrap();
            newsletter.apply(&Edit::Move(at, WEEKS - 1));
            previewed.edit(&newsletter);
            assert!(previewed.page(showing).contains(&shown), "{showing}");
            newsletter.apply(&Edit::Delete(at));
            previewed.edit(&newsletter);
            assert!(!previewed.page(showing).contains(&shown), "{showing}");
            assert!(!previewed.site.contains_key(own));
        }
    }

    // A story moved within its issue, past its first three (the issue's link is the same),
    // can change which spelling of a shared tag is seen first, and so the tag page's name.
    #[test]
    fn a_story_moved_within_its_issue_renames_the_tag_page_it_shares() {
        let mut newsletter = Newsletter::new();
        for card in &mut newsletter.cards {
            card.week = 0;
            card.follows_up = None;
            card.section = 0;
            card.tags = [false; TAGS.len()];
        }
        // By date, then title: 0, 5 (both Mondays), 1, 2, 3, 4; by section: none (0, 5, 1,
        // 2), Chips (3), People (4).
        newsletter.cards[3].section = 1;
        newsletter.cards[3].tags[2] = true;
        newsletter.cards[4].section = 2;
        newsletter.cards[4].tags[3] = true;
        let (mut previewed, _) = Previewed::start(&newsletter);
        let page = |previewed: &Previewed| previewed.page("tags/open-models/index.html");
        assert!(page(&previewed).contains("<h1>Open models</h1>"));

        // Story 4 to the first group, ahead of story 3; the issue's first three are the same.
        newsletter.apply(&Edit::Section(4));
        let moved = previewed.edit(&newsletter);
        assert!(moved.removed.is_some(), "a partial rebuild");
        assert!(
            page(&previewed).contains("<h1>open-models</h1>"),
            "{}",
            page(&previewed)
        );
    }

    // A card saved while `config.yaml` is away (renamed, about to be replaced) fails before
    // the card is read; the save that brings the config back names only the config, and the
    // card's edit must still show.
    #[test]
    fn a_card_saved_while_the_config_was_away_is_read_once_it_is_back() {
        let mut newsletter = Newsletter::new();
        let (mut previewed, _) = Previewed::start(&newsletter);
        let root = previewed.dir.path().to_owned();

        newsletter.apply(&Edit::Resummarise(0));
        let mut next = newsletter.files();
        next.remove("config.yaml");
        let changed = write(&root, &previewed.files, &next);
        assert!(changed.len() == 2, "{changed:?}");
        assert!(rebuild(&mut previewed.preview, Some(&changed)).is_err());

        let mended = newsletter.files();
        let changed = write(&root, &next, &mended);
        assert_eq!(changed, [PathBuf::from("config.yaml")]);
        let update = rebuild(&mut previewed.preview, Some(&changed)).unwrap();
        previewed.apply(update);
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            // Each case builds the site twice per edit; `PROPTEST_CASES` runs more.
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(24),
            ..ProptestConfig::default()
        })]
        #[test]
        fn after_any_edits_the_preview_is_byte_for_byte_a_clean_build(
            edits in proptest::collection::vec(edit(), 1..10),
            // Whether the rebuild is told which paths changed, as the watcher tells it, or
            // reads everything, as after a missed event.
            told in proptest::collection::vec(proptest::bool::weighted(0.8), 10),
            // Whether the issues rendered for their lists alone come last, however few.
            defer in proptest::bool::ANY,
            // The page open in a browser at each edit, if any: rendered before the rest.
            looking in proptest::collection::vec(proptest::option::of(any::<proptest::sample::Index>()), 10),
            // Whether a newer save stops what the rebuild renders after its early files.
            stops in proptest::collection::vec(proptest::bool::weighted(0.3), 10),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path();
            let mut newsletter = Newsletter::new();
            let mut files = newsletter.files();
            write(root, &BTreeMap::new(), &files);
            let mut preview = Preview::new(Paths::new(root), false);
            if defer {
                preview.defer_over = 0;
            }
            let mut site = Site::new();
            let (early, update) = rebuild(&mut preview, None).unwrap();
            prop_assert!(early.is_none(), "a first build renders everything at once");
            apply(&mut site, update);
            for (step, edit) in edits.iter().enumerate() {
                newsletter.apply(edit);
                let next = newsletter.files();
                let changed = write(root, &files, &next);
                files = next;
                let viewed: Vec<String> = looking[step]
                    .map(|at| site.keys().nth(at.index(site.len())).cloned().unwrap_or_default())
                    .into_iter()
                    .collect();
                let update = rebuild_asked(&mut preview, told[step].then_some(changed.as_slice()), &viewed, stops[step]);
                let clean = clean(root);
                match (update, clean) {
                    (Ok((early, update)), Some((clean, clean_errors))) => {
                        prop_assert_eq!(errors(&update), clean_errors.clone());
                        if let Some(early) = early {
                            prop_assert_eq!(
                                crate::diagnostic::render_all(&early.errors, crate::diagnostic::Style::new(false)),
                                clean_errors
                            );
                            let pending = apply_early(&mut site, early);
                            prop_assert!(
                                !viewed.iter().any(|path| pending.contains(path)),
                                "{viewed:?} pending after edit {step} ({edit:?}) of {edits:?}"
                            );
                            let early_differences = early_differences(&site, &clean, &pending);
                            prop_assert!(
                                early_differences.is_empty(),
                                "early files after edit {step} ({edit:?}) of {edits:?}: {early_differences:?}"
                            );
                        }
                        // Stopped, it leaves its files as the last build made them until
                        // the next rebuild: those alone may differ.
                        let owed = update.owed.clone();
                        prop_assert!(stops[step] || owed.is_empty());
                        apply(&mut site, update);
                        let differences = early_differences(&site, &clean, &owed);
                        prop_assert!(
                            differences.is_empty(),
                            "after edit {step} ({edit:?}) of {edits:?}: {differences:?}"
                        );
                    }
                    (Err(_), None) => {}
                    (update, clean) => prop_assert!(
                        false,
                        "after edit {step} ({edit:?}): preview {:?}, clean build {}",
                        update.map(|(_, u)| u.outputs.len()),
                        clean.is_some()
                    ),
                }
            }
            // A rebuild with nothing changed renders what a stopped one left.
            if let (Ok((early, update)), Some((clean, _))) = (rebuild(&mut preview, Some(&[])), clean(root)) {
                if let Some(early) = early {
                    apply_early(&mut site, early);
                }
                prop_assert!(update.owed.is_empty());
                apply(&mut site, update);
                let differences = differences(&site, &clean);
                prop_assert!(differences.is_empty(), "at the end of {edits:?}: {differences:?}");
            }
        }
    }
}
