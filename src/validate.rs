//! Turns loaded files into validated stories and issue settings, or diagnostics.
//!
//! Takes the [`SourceFile`]s from `load`, returns a [`Corpus`]: every story and issue file that
//! passed, and every problem found, located by file, line and column. Validation never stops at
//! the first problem: each card is read to its end, then the rules that span files run
//! (duplicate slugs, week folders, issue numbers). No I/O happens here.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use crate::diagnostic::{Diagnostic, FileDiagnostics, Severity, display_path};
use crate::fields::{Fields, Key, Spanned, backticked, check_url, url_host, word_count};
use crate::issue::{IssueId, IssueMeta};
use crate::load::{Content, FileKind, MAX_FILE_BYTES, SourceFile};
use crate::slug;
use crate::story::{Confidence, Due, FollowUp, SourceLink, Story, Watch, WatchItem};
use crate::yaml::{self, Node, Pos, Value};

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

const SUBJECT: Key = Key::new("subject", "one line: the email subject and page title");
const INTRO: Key = Key::new(
    "intro",
    "Markdown: the editor's note at the top of the issue",
);
const PREHEADER: Key = Key::new(
    "preheader",
    "one line of about 85-100 characters that inboxes show after the subject",
);
const NUMBER: Key = Key::new("number", "the issue number to print, overriding the count");
const ISSUE_KEYS: &[Key] = &[SUBJECT, INTRO, PREHEADER, NUMBER];
const ISSUE_ALIASES: &[(&str, &str)] = &[("title", "subject"), ("note", "intro")];

/// Everything validation produced.
#[derive(Debug, Default)]
pub struct Corpus {
    /// Stories from cards without errors, drafts included, sorted by path.
    pub stories: Vec<Story>,
    /// Settings from `issue.yaml` files without errors.
    pub issue_meta: BTreeMap<IssueId, IssueMeta>,
    /// Every problem, sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// How many card files were read.
    pub card_files: usize,
}

impl Corpus {
    /// How many diagnostics are errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// How many diagnostics are warnings.
    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }
}

/// Validates every loaded file, then the rules that span files.
///
/// With a `root`, the text of a file with nothing to report is let go as soon as it is
/// checked (ten thousand cards are tens of megabytes), and a rule that spans files and
/// reports on it later reads the line it shows again from under `root`. Without one, every
/// text is kept.
pub fn validate(files: Vec<SourceFile>, root: Option<&Path>) -> Corpus {
    use rayon::prelude::*;
    let mut corpus = Corpus::default();
    let mut issue_files: Vec<(IssueMeta, Option<IssueId>)> = Vec::new();
    // Files are independent until the cross-file rules below: check them in parallel,
    // keeping their order so the result does not depend on scheduling.
    let (files, checked): (Vec<SourceFile>, Vec<Checked>) = files
        .into_par_iter()
        .map(|mut file| {
            let checked = check_file(&file);
            let clean = match &checked {
                Checked::Card(_, diagnostics) | Checked::Issue(_, diagnostics) => {
                    diagnostics.is_empty()
                }
            };
            if root.is_some() && clean {
                file.content = Content::Released;
            }
            (file, checked)
        })
        .unzip();
    for checked in checked {
        match checked {
            Checked::Card(story, mut diagnostics) => {
                corpus.card_files += 1;
                corpus.stories.extend(story.map(|s| *s));
                corpus.diagnostics.append(&mut diagnostics);
            }
            Checked::Issue(meta, mut diagnostics) => {
                issue_files.extend(meta);
                corpus.diagnostics.append(&mut diagnostics);
            }
        }
    }
    check_slugs_unique(&corpus.stories, &mut corpus.diagnostics);
    check_week_folders(&corpus.stories, &mut corpus.diagnostics);
    let some_cards_failed = corpus.stories.len() < corpus.card_files;
    check_watch_items(&corpus.stories, some_cards_failed, &mut corpus.diagnostics);
    for (meta, week) in issue_files {
        if let Some(week) = week {
            corpus.issue_meta.insert(week, meta);
        }
    }
    let mut issue_problems = check_issue_files(&corpus, &files);
    corpus.diagnostics.append(&mut issue_problems);
    attach_snippets(&mut corpus.diagnostics, &files, root);
    crate::diagnostic::sort(&mut corpus.diagnostics);
    corpus
}

/// One file's result: its story or issue settings when it has no error, and its diagnostics.
enum Checked {
    Card(Option<Box<Story>>, Vec<Diagnostic>),
    Issue(Option<(IssueMeta, Option<IssueId>)>, Vec<Diagnostic>),
}

fn check_file(file: &SourceFile) -> Checked {
    let text = match &file.content {
        Content::Text(text) => text.as_str(),
        other => {
            let diagnostics = vec![unreadable(&file.path, other)];
            return match file.kind {
                FileKind::Card => Checked::Card(None, diagnostics),
                FileKind::Issue => Checked::Issue(None, diagnostics),
            };
        }
    };
    let mut diags = FileDiagnostics::new(&file.path, text);
    match file.kind {
        FileKind::Card => {
            let story = card(text, &mut diags)
                .filter(|_| !diags.has_errors())
                .map(Box::new);
            Checked::Card(story, diags.list)
        }
        FileKind::Issue => {
            let week = week_folder(&file.path);
            let meta = issue_file(text, week, &mut diags)
                .filter(|_| !diags.has_errors())
                .map(|meta| (meta, week));
            Checked::Issue(meta, diags.list)
        }
    }
}

/// The diagnostic for a file whose text could not be had.
pub fn unreadable(path: &Path, content: &Content) -> Diagnostic {
    let (pos, message, help) = match content {
        Content::TooLarge(size) => (
            Pos::START,
            format!(
                "file is {size} bytes; card and issue files are capped at {} bytes (1 MiB)",
                MAX_FILE_BYTES
            ),
            "a card is a few kilobytes of text; check that this is the file you meant".to_owned(),
        ),
        Content::NotUtf8(pos) => (
            *pos,
            "file is not valid UTF-8".to_owned(),
            "save it as UTF-8 in your editor".to_owned(),
        ),
        Content::Unreadable(reason) => (
            Pos::START,
            format!("cannot read the file: {reason}"),
            "check its permissions".to_owned(),
        ),
        Content::Text(_) | Content::Released => (Pos::START, String::new(), String::new()),
    };
    Diagnostic {
        severity: Severity::Error,
        path: path.to_path_buf(),
        pos,
        message,
        help: Some(help),
        line_text: None,
    }
}

/// Parses the text and checks that its root is a mapping.
fn root_map(text: &str, what: &str, diags: &mut FileDiagnostics<'_>) -> Option<Node> {
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            let message = format!("{what} is empty");
            let help = if what == "card" {
                format!(
                    "a card needs {}; `briefing new \"Title\"` writes a skeleton",
                    backticked(&REQUIRED_CARD_KEYS)
                )
            } else {
                "delete the file, or give it `subject:` and `intro:`".to_owned()
            };
            diags.error(Pos::START, message).help(help);
            return None;
        }
        Err(e) => {
            let diag = diags.error(e.pos, e.message);
            if let Some(help) = e.help {
                diag.help(help);
            }
            return None;
        }
    };
    if root.as_map().is_none() {
        diags
            .error(
                root.pos,
                format!(
                    "a {what} must be a mapping of keys (`title: ...`), found {}",
                    root.kind()
                ),
            )
            .help("start each line with a key and a colon, e.g. `title: My headline`");
        return None;
    }
    Some(root)
}

/// Validates one card. Returns the story even when some fields had errors, so later checks
/// (duplicate slugs) can still name it; the caller keeps it only if there were none.
pub fn card(text: &str, diags: &mut FileDiagnostics<'_>) -> Option<Story> {
    let root = root_map(text, "card", diags)?;
    let entries = root.as_map().unwrap_or_default();
    let mut f = Fields::new(entries, root.pos, CARD_KEYS, CARD_ALIASES, "", diags);

    let title = f.line(TITLE, true);
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
    if sources.is_empty() && !f.diags.has_errors() {
        let pos = f.entry("sources").map_or(root.pos, |e| e.key_pos);
        f.diags.warning(pos, "no sources").help(
            "add at least one `{title, url}` under `sources:` so readers can check the story",
        );
    }

    let slug = match (&explicit_slug, &title) {
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
        slug: slug.value,
        slug_pos: slug.pos,
        title: title?.value,
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
        return match crate::dates::parse_iso(&first) {
            Some(day) => Some(Due::Month(day)),
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
    crate::fields::parse_date(text, label, pos, diags).map(Due::Day)
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
                crate::fields::one_line(text, &label, item.pos, f.diags).and_then(|id| {
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
                match check_url(url) {
                    Ok(()) => out.push(SourceLink {
                        title: url_host(url).to_owned(),
                        url: url.to_owned(),
                        date: None,
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
                let url = url.and_then(|url| match check_url(&url.value) {
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
                        title: title.value,
                        url,
                        date: date.map(|d| d.value),
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

/// Validates one `issue.yaml`.
fn issue_file(
    text: &str,
    week: Option<IssueId>,
    diags: &mut FileDiagnostics<'_>,
) -> Option<IssueMeta> {
    let root = root_map(text, "issue file", diags)?;
    if week.is_none() {
        diags
            .error(
                Pos::START,
                "`issue.yaml` must sit in a week folder named like `2026-W25`",
            )
            .help("move it to briefs/<YYYY>-W<ww>/issue.yaml for the week it describes");
    }
    let entries = root.as_map().unwrap_or_default();
    let mut f = Fields::new(entries, root.pos, ISSUE_KEYS, ISSUE_ALIASES, "", diags);
    let subject = f.line(SUBJECT, false).map(|s| s.value);
    let intro = f.text(INTRO, false).map(|s| s.value);
    let preheader = f.line(PREHEADER, false).map(|s| s.value);
    let number = f.integer_in(NUMBER, 1, 1_000_000);
    Some(IssueMeta {
        path: f.diags.path().to_path_buf(),
        subject,
        intro,
        preheader,
        number: number.as_ref().and_then(|n| u32::try_from(n.value).ok()),
        number_pos: number.map_or(Pos::START, |n| n.pos),
    })
}

/// The week named by the folder that holds `path`, if its name is a week like `2026-W25`.
pub fn week_folder(path: &Path) -> Option<IssueId> {
    let parent = path.parent()?;
    match parent.components().next_back()? {
        Component::Normal(name) => IssueId::parse(name.to_str()?),
        _ => None,
    }
}

fn check_slugs_unique(stories: &[Story], out: &mut Vec<Diagnostic>) {
    let mut by_slug: BTreeMap<&str, Vec<&Story>> = BTreeMap::new();
    for story in stories {
        by_slug.entry(&story.slug).or_default().push(story);
    }
    for (slug, owners) in by_slug.into_iter().filter(|(_, o)| o.len() > 1) {
        for story in &owners {
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

fn check_week_folders(stories: &[Story], out: &mut Vec<Diagnostic>) {
    for story in stories {
        let Some(folder) = week_folder(&story.path) else {
            continue;
        };
        let week = story.issue_id();
        if folder != week {
            out.push(Diagnostic {
                severity: Severity::Warning,
                path: story.path.clone(),
                pos: story.date_pos,
                message: format!(
                    "date {} is in week {week}, but the card is in folder {folder}",
                    story.date
                ),
                help: Some(format!(
                    "the date decides the issue; move the card to briefs/{week}/ or fix the date"
                )),
                line_text: None,
            });
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

/// Watch item ids are unique, and every follow-up names an earlier item of a card that will be
/// published with it; an item is resolved once.
fn check_watch_items(stories: &[Story], some_cards_failed: bool, out: &mut Vec<Diagnostic>) {
    // Every item by id (a stable sort keeps each id's owners in card order): the duplicates
    // are neighbours, and an id is found by binary search.
    let mut items: Vec<(&str, &Story, &WatchItem)> = stories
        .iter()
        .flat_map(|s| {
            s.what_to_watch
                .items
                .iter()
                .map(move |i| (i.id.as_str(), s, i))
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(b.0));
    let first_owner = |id: &str| -> Option<&Story> {
        let start = items.partition_point(|(other, ..)| *other < id);
        items
            .get(start)
            .filter(|(other, ..)| *other == id)
            .map(|&(_, s, _)| s)
    };
    for run in items
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
    {
        let id = run[0].0;
        let owners: Vec<(&Story, &WatchItem)> = run.iter().map(|&(_, s, i)| (s, i)).collect();
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
        .collect();
    followers.sort_by(|a, b| (a.date, &a.path).cmp(&(b.date, &b.path)));
    let mut resolved_by: std::collections::HashMap<&str, &Story> = std::collections::HashMap::new();
    let mut known: Option<Vec<&str>> = None;
    for story in followers {
        for follow_up in &story.follows_up {
            let Some(origin) = first_owner(&follow_up.id) else {
                let known = known.get_or_insert_with(|| {
                    let mut ids: Vec<&str> = items.iter().map(|(id, ..)| *id).collect();
                    ids.dedup();
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

/// Gives the cross-file diagnostics, raised away from the file's text, their source line;
/// a released text is read again from under `root`.
fn attach_snippets(diagnostics: &mut [Diagnostic], files: &[SourceFile], root: Option<&Path>) {
    let mut reread: Option<(&Path, Content)> = None;
    for diag in diagnostics.iter_mut().filter(|d| d.line_text.is_none()) {
        // Files are sorted by path (`load_briefs`).
        let Some(file) = files
            .binary_search_by(|f| f.path.as_path().cmp(&diag.path))
            .ok()
            .map(|at| &files[at])
        else {
            continue;
        };
        let content = match (&file.content, root) {
            (Content::Released, Some(root)) => {
                // Diagnostics come grouped by rule, often several for one file in a row.
                if reread.as_ref().is_none_or(|(path, _)| *path != file.path) {
                    reread = Some((&file.path, crate::load::read_capped(&root.join(&file.path))));
                }
                reread.as_ref().map(|(_, content)| content)
            }
            (content, _) => Some(content),
        };
        let Some(Content::Text(text)) = content else {
            continue;
        };
        let mut lookup = FileDiagnostics::new(&diag.path, text);
        diag.line_text = lookup.error(diag.pos, "").line_text.take();
    }
}

fn check_issue_files(corpus: &Corpus, files: &[SourceFile]) -> Vec<Diagnostic> {
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
    if files.is_empty() {
        out.push(Diagnostic {
            severity: Severity::Warning,
            path: "briefs".into(),
            pos: Pos::START,
            message: "no cards found".to_owned(),
            help: Some("write one with `briefing new \"Title\"`".to_owned()),
            line_text: None,
        });
    }
    out
}

#[cfg(test)]
mod tests;
