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
//! home, archive, feed, sitemap and redirects, which every build renders again. So a rebuild
//! renders
//! - everything, when the config, a template or the list of issues (their weeks and numbers)
//!   changed, or when a story was added (a draft published, say), removed, moved to another
//!   issue or changed in what other pages show of it beyond its title;
//! - otherwise each issue that changed, its neighbours when its link (subject, first
//!   stories, story count) changed, and, for a story retitled, every issue that shows its
//!   title through the ledger (those of its items' follow-ups, of the items it follows up,
//!   and those whose "still watching" list shows one of them); the tag pages of those issues'
//!   stories listed differently there (their tags before and after: all of an issue's
//!   stories when its link changed), and the watch pages when a story was retitled or the
//!   newest issue changed.
//!
//! Within the tag pages it renders, a page whose template context is the same as the last
//! build's (by its [`context_digest`], kept in [`PageDigests`]) is left as it is: a story
//! edited on a large tag changes one of its pages, not the thousand stories of the others.
//!
//! The property test in `pipeline::preview` holds this against a clean build after random
//! edits, byte for byte.

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::content::config::Config;
use crate::content::schedule::Issue;
use crate::content::story::{Due, Story};
use crate::publish::view::IssueLink;

/// The [`context_digest`] of each tag page a build made, by the page's path.
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
    /// The digest of every template's name and source ([`templates_digest`]).
    pub templates: [u8; 32],
    /// The issues, oldest first.
    pub issues: Arc<Vec<Issue>>,
}

/// What the next build is made from, as [`Basis`] holds it of the last.
#[derive(Debug, Clone, Copy)]
pub struct Next<'a> {
    /// The config.
    pub config: &'a Config,
    /// [`templates_digest`].
    pub templates: [u8; 32],
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
    /// The issues whose entry is `true` (by index).
    pub issues: Vec<bool>,
    /// The tag pages (by the tag's URL name) of the stories of those issues that tag pages
    /// list differently, before the edit and after: a tag page shows each of its stories'
    /// title, date, summary and issue link.
    pub tags: BTreeSet<String>,
    /// Whether the watch pages and `watch.ics` change: they show stories' titles and the
    /// newest issue's link. (What else they show is what other issues show too: a change to
    /// it renders everything.)
    pub watch: bool,
}

impl Scope {
    /// Whether issue `index`'s files and story pages are rendered.
    pub fn includes(&self, index: usize) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Part(part) => part.issues.get(index).copied().unwrap_or(true),
        }
    }

    /// Whether the page of the tag with URL name `slug` is rendered.
    pub fn includes_tag(&self, slug: &str) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Part(part) => part.tags.contains(slug),
        }
    }

    /// Whether the watch pages and `watch.ics` are rendered.
    pub fn includes_watch(&self) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Part(part) => part.watch,
        }
    }

    /// How many issues are rendered, of `total`.
    pub fn count(&self, total: usize) -> usize {
        (0..total).filter(|&index| self.includes(index)).count()
    }
}

/// A digest of every template's name and source in `env`.
pub fn templates_digest(env: &minijinja::Environment<'_>) -> [u8; 32] {
    let mut templates: Vec<_> = env.templates().collect();
    templates.sort_unstable_by_key(|(name, _)| *name);
    let mut hasher = Sha256::new();
    for (name, template) in templates {
        // Lengths first, so that no two lists of names and sources run together alike.
        for part in [name, template.source()] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
    }
    hasher.finalize().into()
}

/// What a build from `next` must render, given the build before was made from `last`.
/// `showing_title_of(slug)` names the issues that show a story's title through the watch
/// ledger ([`Publication::issues_showing_title_of`](super::Publication::issues_showing_title_of)):
/// a retitled story renders those too.
pub fn plan(
    last: Option<&Basis>,
    next: Next<'_>,
    showing_title_of: &dyn Fn(&str) -> BTreeSet<usize>,
) -> Scope {
    let Some(last) = last else {
        return Scope::Everything;
    };
    if &last.config != next.config
        || last.templates != next.templates
        || last.issues.len() != next.issues.len()
        || last
            .issues
            .iter()
            .zip(next.issues.iter())
            .any(|(a, b)| a.id != b.id || a.number != b.number)
    {
        return Scope::Everything;
    }
    let mut dirty = vec![false; next.issues.len()];
    let mut retitled_any = false;
    let mut tags = BTreeSet::new();
    for (index, (before, after)) in last.issues.iter().zip(next.issues.iter()).enumerate() {
        if before == after {
            continue;
        }
        let Some(retitled) = retitled_only(before, after) else {
            return Scope::Everything;
        };
        let link_changed =
            IssueLink::new(before, &last.config) != IssueLink::new(after, next.config);
        for story in listed_differently(before, after, link_changed) {
            tags.extend(
                story
                    .tags
                    .iter()
                    .map(|name| crate::content::slug::tag_slug(name)),
            );
        }
        dirty[index] = true;
        retitled_any |= !retitled.is_empty();
        for slug in retitled {
            for shown in showing_title_of(slug) {
                if let Some(issue) = dirty.get_mut(shown) {
                    *issue = true;
                }
            }
        }
        if link_changed {
            if let Some(previous) = index.checked_sub(1) {
                dirty[previous] = true;
            }
            if let Some(following) = dirty.get_mut(index + 1) {
                *following = true;
            }
        }
    }
    let watch = retitled_any || dirty.last().copied().unwrap_or(false);
    Scope::Part(Part {
        issues: dirty,
        tags,
        watch,
    })
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

/// When the two versions of an issue hold the same stories (by slug), each the same in what
/// other issues' pages show of it but perhaps its title: the slugs of the stories retitled.
/// `None` when a story came, went, or changed in more than its title.
fn retitled_only<'a>(before: &Issue, after: &'a Issue) -> Option<Vec<&'a str>> {
    if before.stories.len() != after.stories.len() {
        return None;
    }
    let mut retitled = Vec::new();
    for story in &after.stories {
        let old = before.stories.iter().find(|old| old.slug == story.slug)?;
        let (was, is) = (seen_elsewhere(old), seen_elsewhere(story));
        if was != is {
            if (SeenElsewhere {
                title: is.title,
                ..was
            }) != is
            {
                return None;
            }
            retitled.push(story.slug.as_str());
        }
    }
    Some(retitled)
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
