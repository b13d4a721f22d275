//! Which issues a rebuild renders again, from what changed since the build before it.
//!
//! What each output is made from is known by construction, because each renderer builds its
//! own view: an issue's four files and its stories' pages come from
//! - that issue (its stories and `issue.yaml`),
//! - the config and the templates,
//! - the links of the issues before and after it (the pager), and
//! - what stories show of one another through the watch ledger: a story's slug, old slug,
//!   title, date, watch items and follow-ups ([`seen_elsewhere`]) appear in other issues'
//!   "still watching" and "last time" lists and on the pages of the stories they follow up.
//!
//! Everything else a card says appears only in its own issue, on its own page, and in the
//! pages around the issues: the tag pages of its tags, the watch pages (titles only), and
//! home, archive, feed, sitemap and redirects, which every build renders again (the feed from
//! the last build's entries of issues not rendered again, the sitemap kept when its context's
//! digest is the same). So a rebuild renders
//! - every issue, when a template that an issue's files, its stories' pages or its feed
//!   entry are made with changed, itself or through what it includes, extends or imports
//!   ([`Templates`]): a [`Part`] of every issue, with its stories' pages when `story.html`
//!   reaches the change, which `serve` renders in two steps (a
//!   template edit that reaches only the pages every build renders whole, the stylesheet or
//!   the archive, say, renders no more, and one that reaches the tag pages, the watch pages
//!   or the sitemap renders those whole: [`Whole`]);
//! - everything ([`Scope::Everything`]), when the config or the list of issues (their weeks
//!   and numbers) changed, or
//!   when a story changed in what other pages show of it beyond its title, or a story that
//!   followed up an earlier item went (unless one that came follows up the same: a retitle
//!   that moved the slug);
//! - otherwise each issue that changed, its neighbours when its link (subject, first
//!   stories, story count) changed, every later issue when a story came or went there
//!   (added, removed, moved, a draft published, a slug moved by its title: its watch items
//!   are counted by later issues' "still watching" lists) and every issue with a story that
//!   followed up one of the items of a story that went, and, for a story retitled or
//!   new, every issue that shows its title through the ledger (those of its items'
//!   follow-ups, of the items it follows up, and those whose "still watching" list shows one
//!   of them); the tag pages of those issues' stories listed differently there (their tags
//!   before and after: all of an issue's stories when its link changed), and the watch pages
//!   when a story was retitled, came or went, or the newest issue's link changed. The files an issue
//!   rendered again no longer makes (the page of a story that went) are removed.
//!
//! An issue rendered only for its "still watching" list (a story that came, went or was
//! retitled elsewhere) or for its pager (a neighbour's link) renders its four files, not its
//! stories' pages, which show neither ([`Part::story_pages`]).
//!
//! Within the tag pages it renders, a page that lists the same stories under the same
//! heading as the last build's (by a [`context_digest`], kept in [`PageDigests`]), none of
//! them one the edit changed on tag pages ([`Part::tag_stories`]), is left as it is: a story
//! edited on a large tag changes one of its pages, not the thousand stories of the others.
//! A watch page is left as it is when it lists the same items under the same heading and
//! none of them reads differently: none belongs to, or is followed up by, a story retitled,
//! new, moved or gone ([`Part::watch_stories`]).
//!
//! The property test in `pipeline::preview` holds this against a clean build after random
//! edits, byte for byte.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::content::config::Config;
use crate::content::schedule::Issue;
use crate::content::story::{Due, Story};
use crate::publish::view::IssueLink;

/// The digest of each page a build kept by digest (tag pages, watch pages, the sitemap), by
/// its path.
pub type PageDigests = HashMap<String, [u8; 32]>;

/// The SHA-256 of everything `context` holds, as its `Hash` implementation feeds it (strings
/// and lists with their lengths, so no two contexts run together alike). With the same
/// templates and config, two contexts of the same digest render the same page: templates
/// see nothing else but the Markdown filters, whose output is a function of the text.
pub fn context_digest(context: &impl Hash) -> [u8; 32] {
    let mut hasher = DigestHasher {
        sha: Sha256::new(),
        pending: Vec::with_capacity(DigestHasher::BATCH),
    };
    context.hash(&mut hasher);
    hasher.sha.update(&hasher.pending);
    hasher.sha.finalize().into()
}

/// A [`Hasher`] whose whole digest is the point; `finish` is there because the trait asks.
/// `Hash` writes a few bytes at a time (each length, each string), which SHA-256 takes
/// faster in batches.
struct DigestHasher {
    sha: Sha256,
    pending: Vec<u8>,
}

impl DigestHasher {
    const BATCH: usize = 16 * 1024;
}

impl Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= Self::BATCH {
            self.sha.update(&self.pending);
            self.pending.clear();
        }
    }

    fn finish(&self) -> u64 {
        let mut sha = self.sha.clone();
        sha.update(&self.pending);
        let digest = sha.finalize();
        u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
    }
}

/// What a build was made from: what the next build compares with.
#[derive(Debug, Clone)]
pub struct Basis {
    /// The config.
    pub config: Config,
    /// The templates.
    pub templates: Templates,
    /// The issues, oldest first.
    pub issues: Arc<Vec<Issue>>,
}

/// What the next build is made from, as [`Basis`] holds it of the last.
#[derive(Debug, Clone, Copy)]
pub struct Next<'a> {
    /// The config.
    pub config: &'a Config,
    /// The templates.
    pub templates: &'a Templates,
    /// The issues, oldest first.
    pub issues: &'a [Issue],
}

/// What a build renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every issue and every page around them.
    Everything,
    /// Part of the site; the rest of the last build's files stay as they are.
    Part(Part),
}

/// The part of the site an edit touched.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Part {
    /// The issues whose entry is `true` (by index): their four files.
    pub issues: Vec<bool>,
    /// The issues whose stories' pages render too (a subset of `issues`): an issue is
    /// rendered only for what its "still watching" list counts or names, or for its
    /// neighbours' links in its pager, shows nothing new on its stories' pages.
    pub story_pages: Vec<bool>,
    /// The tag pages (by the tag's URL name) of the stories of those issues that tag pages
    /// list differently, before the edit and after: a tag page shows each of its stories'
    /// title, date, summary and issue link.
    pub tags: BTreeSet<String>,
    /// The slugs of those stories: a page of those tags that lists none of them, and the
    /// same stories as the last build's, reads as it did.
    pub tag_stories: BTreeSet<String>,
    /// Whether the watch pages and `watch.ics` change: they show stories' titles and the
    /// newest issue's link. (What else they show is what other issues show too: a change to
    /// it renders everything.)
    pub watch: bool,
    /// The slugs of the stories the watch pages may show differently, before the edit and
    /// after: those retitled, new, moved to another week or gone. Only the entries of their
    /// items, and of the items they follow up, read differently on a watch page; the pages
    /// around them change only when their lists do.
    pub watch_stories: BTreeSet<String>,
    /// The pages rendered whole, none kept: a template they are made with changed (or, for
    /// the watch pages, the newest issue).
    pub whole: Whole,
    /// The tags (by URL name) whose pages render whole although `whole.tags` is not set:
    /// those open in a browser, rendered before the rest of a template edit's tag pages.
    pub whole_tags: BTreeSet<String>,
    /// The watch pages before this one (by index), and `watch.ics`, are left as they are
    /// when the watch pages render: `serve` renders them after the rest, and the pages a
    /// longer list adds first.
    pub watch_from: usize,
}

/// Pages around the issues that a template edit renders whole, each made with templates of
/// its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Whole {
    /// Every tag page (`tag.html`).
    pub tags: bool,
    /// Every watch page (`watch.html`).
    pub watch: bool,
    /// The sitemap (`sitemap.xml`).
    pub sitemap: bool,
}

impl Whole {
    /// The kinds of page among `paths`: tag pages, watch pages (or `watch.ics`), the
    /// sitemap.
    pub fn of_pages(paths: impl IntoIterator<Item = impl AsRef<str>>) -> Whole {
        let mut kinds = Whole::default();
        for path in paths {
            let path = path.as_ref();
            kinds.tags |= super::site::tag_of_page(path).is_some();
            kinds.watch |= super::watch::is_watch_file(path);
            kinds.sitemap |= path == "sitemap.xml";
        }
        kinds
    }

    /// Whether the page at `path` is of these kinds.
    pub fn covers(&self, path: &str) -> bool {
        let kind = Whole::of_pages([path]);
        (self.tags && kind.tags) || (self.watch && kind.watch) || (self.sitemap && kind.sitemap)
    }
}

impl Scope {
    /// This scope and `owed` (what an earlier rebuild left to render) together.
    pub fn and(self, owed: &Part) -> Scope {
        let Scope::Part(mut part) = self else {
            return self;
        };
        let or = |these: &mut Vec<bool>, those: &[bool]| {
            for (this, that) in these.iter_mut().zip(those) {
                *this |= *that;
            }
        };
        or(&mut part.issues, &owed.issues);
        or(&mut part.story_pages, &owed.story_pages);
        part.tags.extend(owed.tags.iter().cloned());
        part.tag_stories.extend(owed.tag_stories.iter().cloned());
        part.watch |= owed.watch;
        part.watch_stories
            .extend(owed.watch_stories.iter().cloned());
        part.whole_tags.extend(owed.whole_tags.iter().cloned());
        part.watch_from = part.watch_from.min(owed.watch_from);
        part.whole = Whole {
            tags: part.whole.tags || owed.whole.tags,
            watch: part.whole.watch || owed.whole.watch,
            sitemap: part.whole.sitemap || owed.whole.sitemap,
        };
        Scope::Part(part)
    }

    /// Whether issue `index`'s files and story pages are rendered.
    pub fn includes(&self, index: usize) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Part(part) => part.issues.get(index).copied().unwrap_or(true),
        }
    }

    /// Whether issue `index`'s stories' pages are rendered.
    pub fn includes_story_pages(&self, index: usize) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Part(part) => part.story_pages.get(index).copied().unwrap_or(true),
        }
    }

    /// Whether the page of the tag with URL name `slug` is rendered.
    pub fn includes_tag(&self, slug: &str) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Part(part) => self.renders_tag_whole(slug) || part.tags.contains(slug),
        }
    }

    /// Whether the pages of the tag with URL name `slug` are rendered whatever their
    /// digests say.
    pub fn renders_tag_whole(&self, slug: &str) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Part(part) => part.whole.tags || part.whole_tags.contains(slug),
        }
    }

    /// Whether the sitemap is rendered whatever its context's digest says.
    pub fn renders_sitemap(&self) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Part(part) => part.whole.sitemap,
        }
    }

    /// Whether a tag page's entry of the story with `slug` may read differently from the
    /// last build's ([`Part::tag_stories`]).
    pub fn tag_entry_changes(&self, slug: &str) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Part(part) => part.whole.tags || part.tag_stories.contains(slug),
        }
    }

    /// Whether the watch pages and `watch.ics` are rendered.
    pub fn includes_watch(&self) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Part(part) => part.watch || part.whole.watch,
        }
    }

    /// The first watch page rendered when the watch pages are ([`Part::watch_from`]).
    pub fn watch_from(&self) -> usize {
        match self {
            Scope::Everything => 0,
            Scope::Part(part) => part.watch_from,
        }
    }

    /// Whether a watch entry of the item of `story`, followed up by `followers`, may read
    /// differently from the last build's ([`Part::watch_stories`]).
    pub fn watch_entry_changes<'s>(
        &self,
        story: &str,
        mut followers: impl Iterator<Item = &'s str>,
    ) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Part(part) => {
                part.whole.watch
                    || part.watch_stories.contains(story)
                    || followers.any(|slug| part.watch_stories.contains(slug))
            }
        }
    }

    /// How many issues are rendered, of `total`.
    pub fn count(&self, total: usize) -> usize {
        (0..total).filter(|&index| self.includes(index)).count()
    }
}

/// Every template the site's renderers render by name ([`super::Publication::render`] renders
/// no other); the rest are included, extended or imported by these.
pub const RENDERED_BY_NAME: [&str; 20] = [
    "404.html",
    "archive.html",
    "email.html",
    "email.txt",
    "favicon.svg",
    "feed.xml",
    "home.html",
    "issue.html",
    "issue.md",
    "partials/issue-body.html",
    "redirect.html",
    "robots.txt",
    "search.html",
    "search.js",
    "sitemap.xml",
    "story.html",
    "style.css",
    "tag.html",
    "tags.html",
    "watch.html",
];

/// The templates rendered whole by every build, whatever it renders of the rest: a change
/// that reaches none but these needs no more than the edit's own pages. (The feed's
/// entries are not among them: `partials/issue-body.html` is kept from the last build for
/// the issues not rendered again.)
pub const RENDERED_EVERY_BUILD: [&str; 11] = [
    "home.html",
    "archive.html",
    "tags.html",
    "redirect.html",
    "404.html",
    "robots.txt",
    "style.css",
    "favicon.svg",
    "search.js",
    "search.html",
    "feed.xml",
];

/// The templates a build rendered with: each one's digest by name, and the templates each
/// one names ([`crate::publish::templates::uses::named_in`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    digests: BTreeMap<String, [u8; 32]>,
    /// `None` for a template that may name any.
    uses: BTreeMap<String, Option<Vec<String>>>,
}

impl Templates {
    /// The templates of `env`.
    pub fn of(env: &minijinja::Environment<'_>) -> Templates {
        let mut digests = BTreeMap::new();
        let mut uses = BTreeMap::new();
        for (name, template) in env.templates() {
            let source = template.source();
            digests.insert(name.to_owned(), Sha256::digest(source.as_bytes()).into());
            uses.insert(
                name.to_owned(),
                crate::publish::templates::uses::named_in(source),
            );
        }
        Templates { digests, uses }
    }

    /// The templates the renderers render by name ([`RENDERED_BY_NAME`]) that reach one
    /// changed since `last` (added, removed or written again), itself or through what it
    /// includes, extends or imports, leaving out those every build renders whole
    /// ([`RENDERED_EVERY_BUILD`]): the pages made with these are to be rendered again.
    fn reaching_changes(&self, last: &Templates) -> BTreeSet<&'static str> {
        let changed: BTreeSet<&str> = self
            .digests
            .iter()
            .filter(|(name, digest)| last.digests.get(*name) != Some(digest))
            .chain(
                last.digests
                    .iter()
                    .filter(|(name, _)| !self.digests.contains_key(*name)),
            )
            .map(|(name, _)| name.as_str())
            .collect();
        if changed.is_empty() {
            return BTreeSet::new();
        }
        // The templates that reach a changed one: grown until nothing more names them.
        let mut reaching = changed;
        loop {
            let before = reaching.len();
            for (name, uses) in &self.uses {
                let reaches = match uses {
                    None => true,
                    Some(named) => named.iter().any(|n| reaching.contains(n.as_str())),
                };
                if reaches {
                    reaching.insert(name.as_str());
                }
            }
            if reaching.len() == before {
                break;
            }
        }
        RENDERED_BY_NAME
            .into_iter()
            .filter(|name| reaching.contains(name) && !RENDERED_EVERY_BUILD.contains(name))
            .collect()
    }
}

/// The issues that show a story's title through the watch ledger.
#[derive(Debug, Clone, Default)]
pub struct TitleShown {
    /// Those whose stories show it (its items' follow-ups, the items it follows up): their
    /// files and their stories' pages.
    pub stories: BTreeSet<usize>,
    /// Those whose "still watching" list shows one of those items: their files.
    pub lists: BTreeSet<usize>,
}

/// What a build from `next` must render, given the build before was made from `last`.
/// `showing_title_of(slug)` names the issues that show a story's title through the watch
/// ledger ([`Publication::issues_showing_title_of`](super::Publication::issues_showing_title_of)):
/// a retitled story renders those too.
pub fn plan(
    last: Option<&Basis>,
    next: Next<'_>,
    showing_title_of: &dyn Fn(&str) -> TitleShown,
) -> Scope {
    let Some(last) = last else {
        return Scope::Everything;
    };
    let remade = next.templates.reaching_changes(&last.templates);
    // A template an issue's files, its stories' pages or its feed entry are made with
    // renders every issue (which `serve` may render in two steps: `pipeline::preview`); the
    // pages around them render whole when it reaches theirs.
    let remakes_issues = remade
        .iter()
        .any(|name| !["tag.html", "watch.html", "sitemap.xml"].contains(name));
    let mut whole = Whole {
        tags: remade.contains("tag.html"),
        watch: remade.contains("watch.html"),
        sitemap: remade.contains("sitemap.xml"),
    };
    // Issues that came or went after the newest (this week's first card, its last one
    // gone) leave the others' numbers and paths as they were; one before it moves them all.
    if last
        .issues
        .iter()
        .zip(next.issues.iter())
        .any(|(a, b)| a.id != b.id || a.number != b.number)
    {
        return Scope::Everything;
    }
    // A config change may show on every page: every issue and page renders (`serve` may
    // render some after the rest, at the paths they had), unless it makes or removes files
    // (a merge tag's emails, the search page and index, the tags' later pages).
    if &last.config != next.config {
        if last.config.merge_tag.is_some() != next.config.merge_tag.is_some()
            || last.config.search != next.config.search
            || last.config.tag_page_size != next.config.tag_page_size
        {
            return Scope::Everything;
        }
        return Scope::Part(Part {
            issues: vec![true; next.issues.len()],
            story_pages: vec![true; next.issues.len()],
            whole: Whole {
                tags: true,
                watch: true,
                sitemap: true,
            },
            ..Part::default()
        });
    }
    // An issue that came is compared with one of no stories, one that went with the same.
    let empty = |issue: &Issue| Issue {
        stories: Vec::new(),
        ..issue.clone()
    };
    let common = last.issues.len().min(next.issues.len());
    let came: Vec<Issue> = next.issues[common..].iter().map(empty).collect();
    let went: Vec<Issue> = last.issues[common..].iter().map(empty).collect();
    // Every watch page is "as of" the newest issue.
    whole.watch |= !(came.is_empty() && went.is_empty());
    let befores = last.issues.iter().chain(&came);
    let afters = next.issues.iter().chain(&went);
    let mut dirty = vec![false; next.issues.len()];
    let mut story_pages = vec![false; next.issues.len()];
    let mut watch_changed = false;
    let mut went_items: Vec<&str> = Vec::new();
    let mut watch_stories = BTreeSet::new();
    let mut tags = BTreeSet::new();
    let mut tag_stories = BTreeSet::new();
    for (index, (before, after)) in befores.zip(afters).enumerate() {
        if before == after {
            continue;
        }
        let Some(StoryChanges {
            shown,
            came_or_went,
            went,
            went_items: mut gone,
        }) = shown_elsewhere_changes(before, after)
        else {
            return Scope::Everything;
        };
        went_items.append(&mut gone);
        watch_stories.extend(shown.iter().chain(&went).map(|&slug| slug.to_owned()));
        // One that came or went counts no stories on one side: its neighbour's pager renders.
        let link_changed =
            IssueLink::new(before, &last.config) != IssueLink::new(after, next.config);
        for story in listed_differently(before, after, link_changed) {
            tag_stories.insert(story.slug.clone());
            tags.extend(
                story
                    .tags
                    .iter()
                    .map(|name| crate::content::slug::tag_slug(name)),
            );
        }
        mark(&mut dirty, &mut story_pages, index, true);
        if came_or_went {
            // Its watch items are counted by every later issue's "still watching" list, and
            // listed on the watch pages.
            if let Some(later) = dirty.get_mut(index..) {
                later.fill(true);
            }
            watch_changed = true;
        }
        watch_changed |= !shown.is_empty();
        for slug in shown {
            let TitleShown { stories, lists } = showing_title_of(slug);
            for shown in lists {
                if let Some(issue) = dirty.get_mut(shown) {
                    *issue = true;
                }
            }
            for shown in stories {
                if let (Some(issue), Some(pages)) =
                    (dirty.get_mut(shown), story_pages.get_mut(shown))
                {
                    (*issue, *pages) = (true, true);
                }
            }
        }
        // The watch pages show what the ledger shows of stories (above) and the newest
        // issue's link ("as of issue 12"), nothing else of an issue.
        watch_changed |= link_changed && index + 1 == next.issues.len();
        if link_changed {
            if let Some(previous) = index.checked_sub(1) {
                mark(&mut dirty, &mut story_pages, previous, false);
            }
            if let Some(following) = dirty.get_mut(index + 1) {
                *following = true;
            }
        }
    }
    // A story that followed up an item of a story that went showed it, in whatever issue it
    // is (one moved to a later week than its follower's, say).
    if !went_items.is_empty() {
        let went: std::collections::HashSet<&str> = went_items.into_iter().collect();
        for (index, issue) in last.issues.iter().enumerate() {
            let follows_went = |story: &Arc<Story>| {
                story
                    .follows_up
                    .iter()
                    .any(|follow_up| went.contains(follow_up.id.as_str()))
            };
            if issue.stories.iter().any(follows_went) {
                mark(&mut dirty, &mut story_pages, index, true);
            }
        }
    }
    if remakes_issues {
        dirty.fill(true);
        // A story's page is made with `story.html` alone (and what it includes): an edit
        // of an issue's Markdown or email leaves it as it was.
        if remade.contains("story.html") {
            story_pages.fill(true);
        }
    }
    Scope::Part(Part {
        issues: dirty,
        story_pages,
        tags,
        tag_stories,
        watch: watch_changed,
        watch_stories,
        whole,
        ..Part::default()
    })
}

/// Marks issue `index` to render, with its stories' pages when `pages`; an issue that went
/// (past the end) has nothing to render.
fn mark(dirty: &mut [bool], story_pages: &mut [bool], index: usize, pages: bool) {
    if let Some(issue) = dirty.get_mut(index) {
        *issue = true;
    }
    if let Some(issue_pages) = story_pages.get_mut(index).filter(|_| pages) {
        *issue_pages = true;
    }
}

/// The stories of two versions of an issue that its tags' pages list differently, before
/// and after: a tag page shows each story's title, slug, date and summary, and its issue's
/// link (`link_changed`: all of them then), under the tag's name as the first story in
/// reading order wrote it, stories of the same day and title in reading order. So a story
/// whose place in its issue's reading order moved is among them, as is one that came or
/// went.
fn listed_differently<'a>(
    before: &'a Issue,
    after: &'a Issue,
    link_changed: bool,
) -> Vec<&'a Story> {
    let listed = |issue: &'a Issue| -> Vec<_> {
        issue
            .in_reading_order()
            .enumerate()
            .map(|(place, story)| {
                let shown = (place, &story.title, story.date, &story.summary, &story.tags);
                (story, shown)
            })
            .collect()
    };
    let (was, is) = (listed(before), listed(after));
    let mut changed = Vec::new();
    for (these, those) in [(&was, &is), (&is, &was)] {
        for (story, shown) in these {
            let same = !link_changed
                && those
                    .iter()
                    .find(|(other, _)| other.slug == story.slug)
                    .is_some_and(|(_, other)| other == shown);
            if !same {
                changed.push(*story);
            }
        }
    }
    changed
}

/// What other issues' pages may show differently of an issue's stories between two
/// versions of it: the slugs of the stories retitled or new (whose issues
/// [`Publication::issues_showing_title_of`](super::Publication::issues_showing_title_of)
/// names), and whether a story came or went, or `None` when the change reaches further than
/// that tells.
///
/// A story is matched by its slug; one whose title moved its slug went and came. A story
/// that comes or goes adds or takes watch items that every later issue's "still watching"
/// list may count. One that went is followed only when it followed nothing up, or a story
/// that came follows up the same (a retitled story's new slug, whose followed items' issues
/// the title lookup names).
fn shown_elsewhere_changes<'a, 'b>(
    before: &'b Issue,
    after: &'a Issue,
) -> Option<StoryChanges<'a, 'b>> {
    let mut shown = Vec::new();
    let mut came: Vec<&Story> = Vec::new();
    for story in &after.stories {
        match before.stories.iter().find(|old| old.slug == story.slug) {
            Some(old) => {
                let (was, is) = (seen_elsewhere(old), seen_elsewhere(story));
                if was != is {
                    if (SeenElsewhere {
                        title: is.title,
                        ..was
                    }) != is
                    {
                        return None;
                    }
                    shown.push(story.slug.as_str());
                }
            }
            None => {
                shown.push(story.slug.as_str());
                came.push(story);
            }
        }
    }
    let mut came_or_went = !came.is_empty();
    let mut went = Vec::new();
    let mut went_items = Vec::new();
    for old in &before.stories {
        if after.stories.iter().any(|story| story.slug == old.slug) {
            continue;
        }
        came_or_went = true;
        went.push(old.slug.as_str());
        let follows = seen_elsewhere(old).follows_up;
        let followed_alike = follows.is_empty()
            || came
                .iter()
                .any(|story| seen_elsewhere(story).follows_up == follows);
        if !followed_alike {
            return None;
        }
        went_items.extend(old.what_to_watch.items.iter().map(|item| item.id.as_str()));
    }
    Some(StoryChanges {
        shown,
        came_or_went,
        went,
        went_items,
    })
}

/// What [`shown_elsewhere_changes`] found.
struct StoryChanges<'a, 'b> {
    /// The slugs of the stories retitled or new.
    shown: Vec<&'a str>,
    /// Whether a story came or went.
    came_or_went: bool,
    /// The slugs of the stories that went.
    went: Vec<&'b str>,
    /// The ids of the watch items of the stories that went, which the stories that followed
    /// them up showed.
    went_items: Vec<&'b str>,
}

/// What pages outside a story's own issue show of it: its reference (slug, title, date) in
/// watch entries and follow-ups, its watch items, and what it says of earlier ones. Positions
/// in the card are left out: they move with every edit above them and are never shown.
#[derive(PartialEq)]
struct SeenElsewhere<'a> {
    slug: &'a str,
    old_slug: Option<&'a str>,
    title: &'a str,
    date: chrono::NaiveDate,
    prose: bool,
    items: Vec<(&'a str, bool, &'a str, Option<Due>)>,
    follows_up: Vec<(&'a str, Option<&'a str>, bool)>,
}

fn seen_elsewhere(story: &Story) -> SeenElsewhere<'_> {
    SeenElsewhere {
        slug: &story.slug,
        old_slug: story.old_slug.as_deref(),
        title: &story.title,
        date: story.date,
        prose: story.what_to_watch.prose,
        items: story
            .what_to_watch
            .items
            .iter()
            .map(|item| (item.id.as_str(), item.derived, item.text.as_str(), item.due))
            .collect(),
        follows_up: story
            .follows_up
            .iter()
            .map(|f| (f.id.as_str(), f.note.as_deref(), f.resolved))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::Templates;

    fn templates(sources: &[(&'static str, &'static str)]) -> Templates {
        let mut env = minijinja::Environment::new();
        for &(name, source) in sources {
            env.add_template(name, source).unwrap();
        }
        Templates::of(&env)
    }

    #[test]
    fn a_template_edit_reaches_the_templates_that_name_it() {
        let site = [
            ("base.html", "{% include 'partials/footer.html' %}"),
            ("partials/footer.html", "footer"),
            ("partials/archive-row.html", "row"),
            (
                "archive.html",
                "{% extends 'base.html' %}{% include 'partials/archive-row.html' %}",
            ),
            ("story.html", "{% extends 'base.html' %}"),
            ("style.css", "body {}"),
            ("unused.html", "{% include 'style.css' %}"),
        ];
        let last = templates(&site);
        let with = |name: &str, source: &'static str| {
            let mut edited = site.to_vec();
            match edited.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) => entry.1 = source,
                None => edited.push((Box::leak(name.to_owned().into_boxed_str()), source)),
            }
            templates(&edited)
        };
        let only_every_build = |next: &Templates| next.reaching_changes(&last).is_empty();
        assert!(only_every_build(&last));
        // Rendered whole by every build, itself or through the one page that includes it; a
        // template no renderer reaches renders nothing.
        assert!(only_every_build(&with("style.css", "body { color: red }")));
        assert!(only_every_build(&with(
            "partials/archive-row.html",
            "a row"
        )));
        assert!(only_every_build(&with("unused.html", "")));
        // Through the base every page extends; a new template that a story page names.
        assert!(!only_every_build(&with("partials/footer.html", "a footer")));
        assert!(!only_every_build(&with(
            "story.html",
            "{% include 'new.html' %}"
        )));
        // A story page that may include any template reaches every change.
        let dynamic = with("story.html", "{% include page.kind ~ '.html' %}");
        assert!(
            !dynamic
                .reaching_changes(&dynamic.clone().edited("style.css"))
                .is_empty()
        );
    }

    #[test]
    fn the_templates_rendered_every_build_are_built_in_and_rendered_by_name() {
        for name in super::RENDERED_EVERY_BUILD {
            assert!(super::RENDERED_BY_NAME.contains(&name), "{name}");
        }
        for name in super::RENDERED_BY_NAME {
            assert!(
                crate::publish::templates::BUILTINS
                    .iter()
                    .any(|(builtin, _)| *builtin == name),
                "{name}"
            );
        }
    }

    impl Templates {
        /// The same templates with `name`'s source changed.
        fn edited(mut self, name: &str) -> Templates {
            self.digests.insert(name.to_owned(), [0; 32]);
            self
        }
    }
}
