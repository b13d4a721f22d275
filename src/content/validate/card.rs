//! The rules of one card: every key read with its position, every field checked.
//!
//! Longer than most files (about 700 lines) for a reason: it is the card's schema, one
//! function per field in the card's order (the keys and their help sentences first); a
//! newcomer adding a field finds every other field's rule beside it.

use std::collections::BTreeMap;

use crate::content::fields::{Fields, Key, Spanned, word_count};
use crate::content::slug;
use crate::content::story::{Confidence, Due, FollowUp, SourceLink, Story, Watch, WatchItem};
use crate::content::url;
use crate::content::yaml::{Node, Value};
use crate::diagnostic::FileDiagnostics;
use crate::diagnostic::Pos;

use super::root_map;

/// The most TL;DR bullets a card may have.
pub const MAX_TLDR: usize = 6;
/// A TL;DR bullet longer than this many words gets a warning.
pub const TLDR_WORDS: usize = 25;
/// A summary longer than this many words gets a warning.
pub const SUMMARY_WORDS: usize = 90;

const TITLE: Key = Key::new("title", "one line of plain text: the headline");
const DATE: Key = Key::new(
    "date",
    "the story's date as YYYY-MM-DD; its ISO week picks the issue",
);
const SLUG: Key = Key::new(
    "slug",
    "lowercase letters, digits and dashes, e.g. `qwen-lead-steps-down`; leave it out to derive it from the title",
);
const SECTION: Key = Key::new(
    "section",
    "one line: the heading this story is grouped under",
);
const TAGS: Key = Key::new("tags", "a list of short labels, e.g. `[AI labs, China]`");
const SUMMARY: Key = Key::new(
    "summary",
    "one paragraph of Markdown: what happened, who, when, how big",
);
const TLDR: Key = Key::new(
    "tldr",
    "a list of 1 to 6 one-line bullets, each under ~25 words",
);
const WHY: Key = Key::new("why_it_matters", "Markdown: why a busy reader should care");
const BUSINESS: Key = Key::new(
    "business_relevance",
    "Markdown: what it means for operators and founders",
);
const IMPLICATIONS: Key = Key::new(
    "implications",
    "a list of one-line bullets, shown as \"Key implications\"",
);
const WATCH: Key = Key::new(
    "what_to_watch",
    "Markdown text, or a list of one-line bullets or `{id, text, due}` mappings: the signals to follow next",
);
const FOLLOWS_UP: Key = Key::new(
    "follows_up",
    "a list of watch item ids from earlier cards, or `{id, note, resolved}` mappings",
);
const SOURCES: Key = Key::new(
    "sources",
    "a list of `{title, url, date}` mappings: the evidence",
);
const CONFIDENCE: Key = Key::new(
    "confidence",
    "how sure the story is: `low`, `medium` or `high`",
);
const DISCLAIMER: Key = Key::new("disclaimer", "Markdown shown under the story");
const ORDER: Key = Key::new("order", "a whole number; lower comes first in the issue");
const DRAFT: Key = Key::new(
    "draft",
    "`true` keeps the card out of builds; `false` publishes it",
);

const CARD_KEYS: &[Key] = &[
    TITLE,
    DATE,
    SLUG,
    SECTION,
    TAGS,
    SUMMARY,
    TLDR,
    WHY,
    BUSINESS,
    IMPLICATIONS,
    WATCH,
    FOLLOWS_UP,
    SOURCES,
    CONFIDENCE,
    DISCLAIMER,
    ORDER,
    DRAFT,
];

/// The required keys, in the order `briefing new` writes them.
pub const REQUIRED_CARD_KEYS: [&str; 6] = [
    "title",
    "date",
    "summary",
    "tldr",
    "why_it_matters",
    "what_to_watch",
];

/// Names people reach for, and the key they mean.
const CARD_ALIASES: &[(&str, &str)] = &[
    ("headline", "title"),
    ("name", "title"),
    ("tl;dr", "tldr"),
    ("tl_dr", "tldr"),
    ("bullets", "tldr"),
    ("why", "why_it_matters"),
    ("business", "business_relevance"),
    ("key_implications", "implications"),
    ("watch", "what_to_watch"),
    ("follow_up", "follows_up"),
    ("followups", "follows_up"),
    ("follow_ups", "follows_up"),
    ("resolves", "follows_up"),
    ("evidence", "sources"),
    ("links", "sources"),
    ("references", "sources"),
    ("category", "section"),
    ("tag", "tags"),
    ("published", "date"),
];

const SOURCE_TITLE: Key = Key::new("title", "what the source is, e.g. `The Information: ...`");
const SOURCE_URL: Key = Key::new("url", "an absolute http(s) link");
const SOURCE_DATE: Key = Key::new("date", "when the source was published, YYYY-MM-DD");
const SOURCE_KEYS: &[Key] = &[SOURCE_TITLE, SOURCE_URL, SOURCE_DATE];
const SOURCE_ALIASES: &[(&str, &str)] = &[("link", "url"), ("href", "url"), ("name", "title")];

const ITEM_ID: Key = Key::new(
    "id",
    "lowercase letters, digits and dashes, unique across all cards, e.g. `lin-lab-first-model`",
);
const ITEM_TEXT: Key = Key::new("text", "one line of Markdown: the thing to watch");
const ITEM_DUE: Key = Key::new(
    "due",
    "when it should be settled: a date (`2026-09-30`) or a month (`2026-09`)",
);
const ITEM_KEYS: &[Key] = &[ITEM_ID, ITEM_TEXT, ITEM_DUE];
const ITEM_ALIASES: &[(&str, &str)] = &[("item", "text"), ("due_date", "due"), ("by", "due")];

const FOLLOW_ID: Key = Key::new(
    "id",
    "the id of a watch item from an earlier card; `briefing watch` lists them",
);
const FOLLOW_NOTE: Key = Key::new("note", "one line of Markdown: what this story adds");
const FOLLOW_RESOLVED: Key = Key::new(
    "resolved",
    "`true` when this story settles the item; it then leaves the open list",
);
const FOLLOW_KEYS: &[Key] = &[FOLLOW_ID, FOLLOW_NOTE, FOLLOW_RESOLVED];
const FOLLOW_ALIASES: &[(&str, &str)] = &[("text", "note"), ("resolves", "resolved")];

/// Validates one card. Returns the story even when some fields had errors, so later checks
/// (duplicate slugs) can still name it; the caller keeps it only if there were none.
pub fn card(text: &str, diags: &mut FileDiagnostics<'_>) -> Option<Story> {
    let root = root_map(text, "card", diags)?;
    let entries = root.as_map().unwrap_or_default();
    let mut f = Fields::new(entries, root.pos, CARD_KEYS, CARD_ALIASES, "", diags);

    let title = f.subject_line(TITLE, true);
    let date = f.date(DATE, true);
    let explicit_slug = f.line(SLUG, false);
    let section = f.line(SECTION, false).map(|s| s.value);
    let tags = tags(&mut f);
    let summary = f.text(SUMMARY, true);
    let tldr = tldr(&mut f);
    let why_it_matters = f.text(WHY, true);
    let business_relevance = f.text(BUSINESS, false).map(|s| s.value);
    let implications = f
        .bullet_list(IMPLICATIONS, false)
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.value)
        .collect();
    let what_to_watch = what_to_watch(&mut f);
    let follows_up = follows_up(&mut f);
    let sources = sources(&mut f);
    let confidence = f
        .choice(CONFIDENCE, &Confidence::NAMES)
        .and_then(|c| Confidence::parse(c.value));
    let disclaimer = f.text(DISCLAIMER, false).map(|s| s.value);
    let order = f.integer(ORDER).map(|o| o.value);
    let draft = f.boolean(DRAFT).unwrap_or(false);

    if let Some(summary) = &summary {
        let words = word_count(&summary.value);
        if words > SUMMARY_WORDS {
            f.diags
                .warning(
                    summary.pos,
                    format!("summary is {words} words; keep it under {SUMMARY_WORDS}"),
                )
                .help("Smart Brevity: one short paragraph; move detail to `why_it_matters`");
        }
    }
    // Shown with the card's errors, not after they are fixed; a `sources` list with errors
    // of its own is not "no sources".
    let no_sources = f.entry("sources").is_none_or(|e| {
        e.value.is_null() || matches!(&e.value.value, Value::Seq(items) if items.is_empty())
    });
    if sources.is_empty() && no_sources {
        let pos = f.entry("sources").map_or(root.pos, |e| e.key_pos);
        f.diags.warning(pos, "no sources").help(
            "add at least one `{title, url}` under `sources:` so readers can check the story",
        );
    }

    // Slugs derived before apostrophes stayed in words: kept for redirects and old ids.
    let old_slug = match (&explicit_slug, &title) {
        (None, Some(title)) => Some(slug::slugify_legacy(&title.value)),
        _ => None,
    };
    let slug = match (&explicit_slug, &title) {
        (Some(explicit), _) if explicit.value.len() > slug::MAX_LEN => {
            f.diags
                .error(
                    explicit.pos,
                    format!(
                        "`slug` is {} characters long; at most {} are allowed",
                        explicit.value.len(),
                        slug::MAX_LEN
                    ),
                )
                .help("it names the story's folder and URL: a few words are enough");
            None
        }
        (Some(explicit), _) => slug_shaped(explicit.clone(), "`slug`", f.diags),
        (None, Some(title)) => {
            let derived = slug::slugify(&title.value);
            if derived.is_empty() {
                f.diags
                    .error(
                        title.pos,
                        "cannot derive a slug from this title: it has no letters or digits",
                    )
                    .help("add `slug: some-words` to the card");
                None
            } else {
                Some(Spanned {
                    value: derived,
                    pos: title.pos,
                })
            }
        }
        (None, None) => None,
    };

    let slug = slug?;
    Some(Story {
        path: f.diags.path().to_path_buf(),
        what_to_watch: with_derived_ids(what_to_watch?, &slug.value),
        old_slug: old_slug.filter(|old| *old != slug.value && !old.is_empty()),
        slug: slug.value,
        slug_pos: slug.pos,
        // Curled as the body text is; the slug above came from the title as typed.
        title: crate::content::markdown::smart_quotes(&title?.value),
        date_pos: date.as_ref()?.pos,
        date: date?.value,
        section,
        tags,
        summary: summary?.value,
        tldr: tldr?,
        why_it_matters: why_it_matters?.value,
        business_relevance,
        implications,
        follows_up,
        sources,
        confidence,
        disclaimer,
        order,
        draft,
    })
}

fn tags(f: &mut Fields<'_, '_, '_>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for tag in f.line_list(TAGS) {
        let folded = tag.value.to_lowercase();
        if seen.iter().any(|s| s.to_lowercase() == folded) {
            f.diags
                .warning(tag.pos, format!("tag `{}` is listed twice", tag.value))
                .help("tags are compared without regard to case; drop one");
            continue;
        }
        if tag.value.chars().count() > 40 {
            f.diags
                .error(
                    tag.pos,
                    format!("tag `{}` is longer than 40 characters", tag.value),
                )
                .help("tags are short labels; use `section` or the summary for more");
            continue;
        }
        seen.push(tag.value);
    }
    seen
}

fn tldr(f: &mut Fields<'_, '_, '_>) -> Option<Vec<String>> {
    let (entry, items) = f.list(TLDR, true)?;
    if items.is_empty() {
        f.diags
            .error(entry.value.pos, "`tldr` is empty; give 1 to 6 bullets")
            .help(TLDR.help);
        return None;
    }
    if items.len() > MAX_TLDR {
        f.diags
            .error(
                items[MAX_TLDR].pos,
                format!("`tldr` has {} bullets; the most is {MAX_TLDR}", items.len()),
            )
            .help("keep the strongest six; fold the rest into the summary");
    }
    let bullets = f.bullets(TLDR, items);
    for bullet in &bullets {
        let words = word_count(&bullet.value);
        if words > TLDR_WORDS {
            f.diags
                .warning(
                    bullet.pos,
                    format!("TL;DR bullet is {words} words; keep it under {TLDR_WORDS}"),
                )
                .help("Smart Brevity: one idea per bullet");
        }
    }
    (bullets.len() == items.len() && items.len() <= MAX_TLDR)
        .then(|| bullets.into_iter().map(|b| b.value).collect())
}

/// Reads "What to watch". Items without an id get an empty one, filled in by
/// [`with_derived_ids`] once the slug is known.
fn what_to_watch(f: &mut Fields<'_, '_, '_>) -> Option<Watch> {
    let Some(entry) = f.entry(WATCH.name) else {
        // Reports the missing key.
        f.text(WATCH, true);
        return None;
    };
    match &entry.value.value {
        Value::Seq(items) => {
            if items.is_empty() {
                f.diags
                    .error(entry.value.pos, "`what_to_watch` is empty")
                    .help(WATCH.help);
                return None;
            }
            let read: Vec<Option<WatchItem>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| watch_item(f, i, item))
                .collect();
            let mut seen: BTreeMap<&str, Pos> = BTreeMap::new();
            for item in read.iter().flatten().filter(|i| !i.derived) {
                if let Some(first) = seen.insert(&item.id, item.pos) {
                    f.diags
                        .error(
                            item.pos,
                            format!(
                                "watch item id `{}` is already used on line {}",
                                item.id, first.line
                            ),
                        )
                        .help("every watch item needs its own id");
                }
            }
            let items: Option<Vec<WatchItem>> = read.into_iter().collect();
            items.map(|items| Watch {
                prose: false,
                items,
            })
        }
        _ => f.text(WATCH, true).map(|t| Watch {
            prose: true,
            items: vec![WatchItem {
                id: String::new(),
                pos: t.pos,
                derived: true,
                text: t.value,
                due: None,
            }],
        }),
    }
}

/// One entry of a "What to watch" list: a bullet, or an `{id, text, due}` mapping.
fn watch_item(f: &mut Fields<'_, '_, '_>, index: usize, item: &Node) -> Option<WatchItem> {
    let Value::Map(entries) = &item.value else {
        let bullet = f.bullet(WATCH, index, item)?;
        return Some(WatchItem {
            id: String::new(),
            pos: bullet.pos,
            derived: true,
            text: bullet.value,
            due: None,
        });
    };
    let context = format!("`what_to_watch` item {}: ", index + 1);
    let mut m = Fields::new(
        entries,
        item.pos,
        ITEM_KEYS,
        ITEM_ALIASES,
        &context,
        f.diags,
    );
    let id = m.line(ITEM_ID, false);
    let text = m.inline(ITEM_TEXT);
    if m.entry(ITEM_TEXT.name).is_none() {
        m.diags
            .error(item.pos, format!("{context}missing required key `text`"))
            .help(ITEM_TEXT.help);
    }
    let due = match m.entry(ITEM_DUE.name) {
        None => Ok(None),
        Some(entry) if entry.value.is_null() => Ok(None),
        Some(entry) => {
            let label = format!("{context}`due`");
            match entry.value.as_text() {
                Some(raw) => parse_due(raw, &label, entry.value.pos, m.diags)
                    .map(Some)
                    .ok_or(()),
                None => {
                    m.diags
                        .error(
                            entry.value.pos,
                            format!(
                                "{label} must be a date or a month, found {}",
                                entry.value.kind()
                            ),
                        )
                        .help(ITEM_DUE.help);
                    Err(())
                }
            }
        }
    };
    let id = match id {
        Some(id) => Some(slug_shaped(id, &format!("{context}id"), m.diags)?),
        None => None,
    };
    let text = text?;
    let due = due.ok()?;
    Some(match id {
        Some(id) => WatchItem {
            id: id.value,
            pos: id.pos,
            derived: false,
            text: text.value,
            due,
        },
        None => WatchItem {
            id: String::new(),
            pos: item.pos,
            derived: true,
            text: text.value,
            due,
        },
    })
}

/// `name` when it is shaped like a slug (lowercase letters, digits, single dashes); otherwise
/// reports it as `label`, suggesting its slugified form.
fn slug_shaped(
    name: Spanned<String>,
    label: &str,
    diags: &mut FileDiagnostics<'_>,
) -> Option<Spanned<String>> {
    if slug::is_valid(&name.value) {
        return Some(name);
    }
    let suggestion = slug::slugify(&name.value);
    let diag = diags.error(
        name.pos,
        format!(
            "{label} `{}` may use only lowercase letters, digits and single dashes",
            name.value
        ),
    );
    if !suggestion.is_empty() {
        diag.help(format!("try `{suggestion}`"));
    }
    None
}

/// Reads a due date: `YYYY-MM-DD`, or `YYYY-MM` for some time that month.
fn parse_due(raw: &str, label: &str, pos: Pos, diags: &mut FileDiagnostics<'_>) -> Option<Due> {
    let text = raw.trim();
    let month_shaped = text.len() == 7
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if month_shaped {
        let first = format!("{text}-01");
        return match crate::content::dates::parse_iso(&first) {
            Some(day) => {
                crate::content::fields::in_range(day, label, text, pos, diags).map(Due::Month)
            }
            None => {
                diags
                    .error(pos, format!("{label} `{text}` is not a real month"))
                    .help("months run from 01 to 12");
                None
            }
        };
    }
    let shaped = text.len() == 10;
    if !shaped {
        diags
            .error(
                pos,
                format!("{label} must be a date (YYYY-MM-DD) or a month (YYYY-MM), found `{text}`"),
            )
            .help("for example `2026-09-30`, or `2026-09` for some time in September 2026");
        return None;
    }
    crate::content::fields::parse_date(text, label, pos, diags).map(Due::Day)
}

/// Gives the items without an id the one derived from the card's slug and their position.
fn with_derived_ids(mut watch: Watch, slug: &str) -> Watch {
    for (i, item) in watch.items.iter_mut().enumerate() {
        if item.derived {
            item.id = WatchItem::derived_id(slug, i + 1);
        }
    }
    watch
}

/// Reads `follows_up`: ids, or `{id, note, resolved}` mappings. One id alone is accepted too.
fn follows_up(f: &mut Fields<'_, '_, '_>) -> Vec<FollowUp> {
    let Some(entry) = f.entry(FOLLOWS_UP.name) else {
        return Vec::new();
    };
    let items: &[Node] = match &entry.value.value {
        Value::Null => return Vec::new(),
        Value::Seq(items) => items,
        Value::Scalar { .. } => std::slice::from_ref(&entry.value),
        Value::Map(_) => {
            f.diags
                .error(
                    entry.value.pos,
                    "`follows_up` must be a list, found a mapping",
                )
                .help("write `follows_up:` then one `- id: ...` entry per watch item");
            return Vec::new();
        }
    };
    let mut out: Vec<FollowUp> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let context = format!("`follows_up` item {}: ", i + 1);
        let follow_up = match &item.value {
            Value::Map(entries) => {
                let mut m = Fields::new(
                    entries,
                    item.pos,
                    FOLLOW_KEYS,
                    FOLLOW_ALIASES,
                    &context,
                    f.diags,
                );
                let id = m.line(FOLLOW_ID, true);
                let note = m.inline(FOLLOW_NOTE);
                let resolved = m.boolean(FOLLOW_RESOLVED).unwrap_or(false);
                id.map(|id| FollowUp {
                    id: id.value,
                    pos: id.pos,
                    note: note.map(|n| n.value),
                    resolved,
                })
            }
            Value::Scalar { text, .. } => {
                let label = context.trim_end_matches(": ").to_owned();
                crate::content::fields::one_line(text, &label, item.pos, f.diags).and_then(|id| {
                    if id.is_empty() {
                        f.diags
                            .error(item.pos, format!("{label} is empty"))
                            .help(FOLLOWS_UP.help);
                        return None;
                    }
                    Some(FollowUp {
                        id,
                        pos: item.pos,
                        note: None,
                        resolved: false,
                    })
                })
            }
            _ => {
                f.diags
                    .error(
                        item.pos,
                        format!(
                            "{context}must be an id or an `{{id, note}}` mapping, found {}",
                            item.kind()
                        ),
                    )
                    .help(FOLLOWS_UP.help);
                None
            }
        };
        let Some(follow_up) = follow_up else { continue };
        if let Some(first) = out.iter().find(|o| o.id == follow_up.id) {
            f.diags
                .error(
                    follow_up.pos,
                    format!(
                        "`follows_up` names `{}` twice (first on line {})",
                        follow_up.id, first.pos.line
                    ),
                )
                .help("list each watch item once; put everything this story adds in one `note`");
            continue;
        }
        out.push(follow_up);
    }
    out
}

fn sources(f: &mut Fields<'_, '_, '_>) -> Vec<SourceLink> {
    let Some((_, items)) = f.list(SOURCES, false) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let context = format!("source {}: ", i + 1);
        match &item.value {
            // A bare URL is accepted as shorthand; its host stands in for the title.
            Value::Scalar { text, .. } => {
                let url = text.trim();
                match url::check(url) {
                    Ok(()) => out.push(SourceLink {
                        title: url::host(url).to_owned(),
                        url: url.to_owned(),
                        date: None,
                        archived: None,
                    }),
                    Err(message) => {
                        f.diags
                            .error(item.pos, format!("{context}{message}"))
                            .help("write sources as `{title, url}` with an http(s) URL");
                    }
                }
            }
            Value::Map(entries) => {
                let mut sf = Fields::new(
                    entries,
                    item.pos,
                    SOURCE_KEYS,
                    SOURCE_ALIASES,
                    &context,
                    f.diags,
                );
                let title = sf.line(SOURCE_TITLE, true);
                let url = sf.line(SOURCE_URL, true);
                let date = sf.date(SOURCE_DATE, false);
                let url = url.and_then(|url| match url::check(&url.value) {
                    Ok(()) => Some(url.value),
                    Err(message) => {
                        sf.diags
                            .error(url.pos, format!("{context}{message}"))
                            .help(SOURCE_URL.help);
                        None
                    }
                });
                if let (Some(title), Some(url)) = (title, url) {
                    out.push(SourceLink {
                        // Curled like the card's headline and text around it.
                        title: crate::content::markdown::smart_quotes(&title.value),
                        url,
                        date: date.map(|d| d.value),
                        archived: None,
                    });
                }
            }
            _ => {
                f.diags
                    .error(
                        item.pos,
                        format!(
                            "{context}must be a `{{title, url}}` mapping, found {}",
                            item.kind()
                        ),
                    )
                    .help(SOURCES.help);
            }
        }
    }
    out
}
