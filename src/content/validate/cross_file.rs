//! The rules that span files: unique slugs, watch items and follow-ups across
//! cards, issue numbers and issue files without published cards.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::content::issue::IssueMeta;
use crate::content::story::{Story, WatchItem};
use crate::diagnostic::Pos;
use crate::diagnostic::{Diagnostic, Severity, display_path};

use super::Corpus;

pub(super) fn check_slugs_unique(stories: &[Arc<Story>], out: &mut Vec<Diagnostic>) {
    // Sorted by slug (stably, so each slug's owners stay in card order): a shared slug's
    // owners are neighbours. Ten thousand small lists cost more than the sort.
    let mut by_slug: Vec<&Story> = stories.iter().map(|story| &**story).collect();
    by_slug.sort_by(|a, b| a.slug.cmp(&b.slug));
    let shared = by_slug
        .chunk_by(|a, b| a.slug == b.slug)
        .filter(|owners| owners.len() > 1)
        .map(|owners| (owners[0].slug.as_str(), owners));
    for (slug, owners) in shared {
        for story in owners {
            let others = owners
                .iter()
                .filter(|o| o.path != story.path)
                .map(|o| display_path(&o.path));
            out.push(card_error(
                story,
                story.slug_pos,
                format!(
                    "duplicate slug `{slug}`, also used by {}",
                    few(owners.len() - 1, others)
                ),
                "give one of the cards its own `slug:`".to_owned(),
            ));
        }
    }
}

/// Up to three names, and how many more: a list that fits a message. Only the names shown
/// are made, so a thousand cards sharing a slug cost a thousand messages, not a million names.
fn few(count: usize, names: impl Iterator<Item = String>) -> String {
    let shown: Vec<String> = names.take(3).collect();
    match count {
        0..=3 => shown.join(", "),
        n => format!("{} and {} more", shown.join(", "), n - 3),
    }
}

/// An error about a card, raised by a rule that spans files.
fn card_error(story: &Story, pos: Pos, message: String, help: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        path: story.path.clone(),
        pos,
        message,
        help: Some(help),
        line_text: None,
    }
}

/// `follows_up` ids made from a story's old slug (before apostrophes stayed in words, an
/// id read `...-alibaba-s-qwen-1`) are changed to the current ids, with a warning that says
/// what to write, so cards written for an earlier version keep working.
pub(super) fn adopt_old_ids(stories: &mut [Arc<Story>], out: &mut Vec<Diagnostic>) {
    let mut renamed: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for story in stories.iter() {
        let Some(old) = &story.old_slug else {
            continue;
        };
        for (i, item) in story.what_to_watch.items.iter().enumerate() {
            if item.derived {
                renamed.insert(
                    crate::content::story::WatchItem::derived_id(old, i + 1),
                    item.id.clone(),
                );
            }
        }
    }
    // Most newsletters have no story whose slug changed: then no id is collected at all.
    if renamed.is_empty() {
        return;
    }
    let current: std::collections::HashSet<String> = stories
        .iter()
        .flat_map(|story| story.what_to_watch.items.iter())
        .map(|item| item.id.clone())
        .collect();
    let old_id = |id: &str| renamed.get(id).filter(|_| !current.contains(id));
    for story in stories.iter_mut() {
        // A story is shared with `serve`'s kept checks: copied only when it changes.
        if !story.follows_up.iter().any(|f| old_id(&f.id).is_some()) {
            continue;
        }
        let story = Arc::make_mut(story);
        for follow_up in &mut story.follows_up {
            if let Some(new) = old_id(&follow_up.id) {
                out.push(Diagnostic {
                    severity: Severity::Warning,
                    path: story.path.clone(),
                    pos: follow_up.pos,
                    message: format!(
                        "`{}` is this watch item's old id; slugs now keep apostrophes inside words",
                        follow_up.id
                    ),
                    help: Some(format!("write `{new}`")),
                    line_text: None,
                });
                follow_up.id.clone_from(new);
            }
        }
    }
}

/// Watch item ids are unique, and every follow-up names an earlier item of a card that will be
/// published with it; an item is resolved once.
pub(super) fn check_watch_items(
    stories: &[Arc<Story>],
    some_cards_failed: bool,
    out: &mut Vec<Diagnostic>,
) {
    // Every item, in card order, and the first owner of each id (ids are the curator's own,
    // not a stranger's: Fx hashing them is safe, and quicker than sorting 20,000 of them).
    let items: Vec<(&str, &Story, &WatchItem)> = stories
        .iter()
        .flat_map(|s| {
            s.what_to_watch
                .items
                .iter()
                .map(move |i| (i.id.as_str(), &**s, i))
        })
        .collect();
    let mut first: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
    first.reserve(items.len());
    // The owners of each id held more than once, in card order, by id.
    let mut repeated: BTreeMap<&str, Vec<(&Story, &WatchItem)>> = BTreeMap::new();
    for (at, &(id, ..)) in items.iter().enumerate() {
        match first.entry(id) {
            std::collections::hash_map::Entry::Occupied(_) => {
                repeated.insert(id, Vec::new());
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(at);
            }
        }
    }
    if !repeated.is_empty() {
        for &(id, story, item) in &items {
            if let Some(owners) = repeated.get_mut(id) {
                owners.push((story, item));
            }
        }
    }
    let first_owner = |id: &str| -> Option<&Story> { first.get(id).map(|&at| items[at].1) };
    for (id, owners) in repeated {
        // Cards that share a slug share their derived ids too; the slug error says it all.
        let slug = &owners[0].0.slug;
        if owners.iter().all(|(s, i)| i.derived && s.slug == *slug) {
            continue;
        }
        for &(story, item) in &owners {
            let others = owners
                .iter()
                .filter(|(o, i)| !std::ptr::eq(*o, story) || i.pos != item.pos)
                .map(|(o, i)| {
                    if std::ptr::eq(*o, story) {
                        format!("line {} of this card", i.pos.line)
                    } else {
                        display_path(&o.path)
                    }
                });
            let help = if item.derived {
                "this id is derived from the card's slug and the item's position; give the item its own `id:` (write it as `{id, text}`)"
            } else {
                "give one of the items another `id:`"
            };
            out.push(card_error(
                story,
                item.pos,
                format!(
                    "duplicate watch item id `{id}`, also used by {}",
                    few(owners.len() - 1, others)
                ),
                help.to_owned(),
            ));
        }
    }

    // Resolutions are judged in date order, so "already resolved" names the earlier story.
    let mut followers: Vec<&Story> = stories
        .iter()
        .filter(|s| !s.follows_up.is_empty())
        .map(|s| &**s)
        .collect();
    followers.sort_by(|a, b| (a.date, &a.path).cmp(&(b.date, &b.path)));
    let mut resolved_by: std::collections::HashMap<&str, &Story> = std::collections::HashMap::new();
    let mut known: Option<Vec<&str>> = None;
    for story in followers {
        for follow_up in &story.follows_up {
            let Some(origin) = first_owner(&follow_up.id) else {
                let known = known.get_or_insert_with(|| {
                    let mut ids: Vec<&str> = first.keys().copied().collect();
                    ids.sort_unstable();
                    ids
                });
                let help = match crate::diagnostic::did_you_mean(&follow_up.id, known) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None if some_cards_failed => "`briefing watch` lists the ids; items of cards that have errors are not known until those are fixed".to_owned(),
                    None => "`briefing watch` lists the ids; an item without `id:` is `<card slug>-<position>`".to_owned(),
                };
                out.push(card_error(
                    story,
                    follow_up.pos,
                    format!("`follows_up` names unknown watch item `{}`", follow_up.id),
                    help,
                ));
                continue;
            };
            if std::ptr::eq(origin, story) {
                out.push(card_error(
                    story,
                    follow_up.pos,
                    format!("`{}` is this card's own watch item", follow_up.id),
                    "a story follows up watch items of earlier cards".to_owned(),
                ));
                continue;
            }
            if story.date < origin.date {
                out.push(card_error(
                    story,
                    follow_up.pos,
                    format!(
                        "this story ({}) is dated before the watch item `{}` it follows up ({}, {})",
                        story.date,
                        follow_up.id,
                        origin.date,
                        display_path(&origin.path)
                    ),
                    "a follow-up comes after the story that said to watch; check both dates".to_owned(),
                ));
                continue;
            }
            if origin.draft && !story.draft {
                out.push(card_error(
                    story,
                    follow_up.pos,
                    format!(
                        "`{}` belongs to a draft card, {}, which is not published",
                        follow_up.id,
                        display_path(&origin.path)
                    ),
                    "publish that card (remove `draft: true`), or drop this follow-up".to_owned(),
                ));
                continue;
            }
            if follow_up.resolved {
                if let Some(first) = resolved_by.get(follow_up.id.as_str()) {
                    out.push(card_error(
                        story,
                        follow_up.pos,
                        format!(
                            "watch item `{}` is already resolved by {}",
                            follow_up.id,
                            display_path(&first.path)
                        ),
                        "keep `resolved: true` on one story; later ones can still follow it up without it".to_owned(),
                    ));
                } else {
                    resolved_by.insert(&follow_up.id, story);
                }
            }
        }
    }
}

pub(super) fn check_issue_files(corpus: &Corpus) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (week, meta) in &corpus.issue_meta {
        let published = corpus
            .stories
            .iter()
            .any(|s| !s.draft && s.issue_id() == *week);
        if !published {
            out.push(Diagnostic {
                severity: Severity::Warning,
                path: meta.path.clone(),
                pos: Pos::START,
                message: format!("week {week} has no published cards, so this issue is not built"),
                help: Some("add a card dated in that week, or delete the file".to_owned()),
                line_text: None,
            });
        }
    }
    let mut numbers: BTreeMap<u32, &IssueMeta> = BTreeMap::new();
    for meta in corpus.issue_meta.values() {
        let Some(number) = meta.number else { continue };
        if let Some(first) = numbers.insert(number, meta) {
            out.push(Diagnostic {
                severity: Severity::Error,
                path: meta.path.clone(),
                pos: meta.number_pos,
                message: format!(
                    "issue number {number} is also set by {}",
                    display_path(&first.path)
                ),
                help: Some("every issue needs its own number".to_owned()),
                line_text: None,
            });
        }
    }
    out
}
