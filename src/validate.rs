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
use crate::story::{Confidence, SourceLink, Story, Watch};
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
    "Markdown text, or a list of one-line bullets: the signals to follow next",
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
pub fn validate(files: &[SourceFile]) -> Corpus {
    use rayon::prelude::*;
    let mut corpus = Corpus::default();
    let mut issue_files: Vec<(IssueMeta, Option<IssueId>)> = Vec::new();
    // Files are independent until the cross-file rules below: check them in parallel,
    // keeping their order so the result does not depend on scheduling.
    let checked: Vec<Checked> = files.par_iter().map(check_file).collect();
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
    for (meta, week) in issue_files {
        if let Some(week) = week {
            corpus.issue_meta.insert(week, meta);
        }
    }
    let mut issue_problems = check_issue_files(&corpus, files);
    corpus.diagnostics.append(&mut issue_problems);
    attach_snippets(&mut corpus.diagnostics, files);
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
        Content::Text(_) => (Pos::START, String::new(), String::new()),
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
        (Some(explicit), _) => {
            if slug::is_valid(&explicit.value) {
                Some(explicit.clone())
            } else {
                let suggestion = slug::slugify(&explicit.value);
                let diag = f.diags.error(
                    explicit.pos,
                    format!(
                        "`slug` `{}` may use only lowercase letters, digits and single dashes",
                        explicit.value
                    ),
                );
                if !suggestion.is_empty() {
                    diag.help(format!("try `{suggestion}`"));
                }
                None
            }
        }
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

    Some(Story {
        path: f.diags.path().to_path_buf(),
        slug: slug.as_ref()?.value.clone(),
        slug_pos: slug?.pos,
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
        what_to_watch: what_to_watch?,
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
            let bullets = f.bullets(WATCH, items);
            (bullets.len() == items.len())
                .then(|| Watch::Items(bullets.into_iter().map(|b| b.value).collect()))
        }
        _ => f.text(WATCH, true).map(|t| Watch::Prose(t.value)),
    }
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
            let others: Vec<String> = owners
                .iter()
                .filter(|o| o.path != story.path)
                .map(|o| display_path(&o.path))
                .collect();
            out.push(Diagnostic {
                severity: Severity::Error,
                path: story.path.clone(),
                pos: story.slug_pos,
                message: format!(
                    "duplicate slug `{slug}`, also used by {}",
                    others.join(", ")
                ),
                help: Some("give one of the cards its own `slug:`".to_owned()),
                line_text: None,
            });
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

/// Gives the cross-file diagnostics, raised away from the file's text, their source line.
fn attach_snippets(diagnostics: &mut [Diagnostic], files: &[SourceFile]) {
    for diag in diagnostics.iter_mut().filter(|d| d.line_text.is_none()) {
        let Some(Content::Text(text)) = files
            .iter()
            .find(|f| f.path == diag.path)
            .map(|f| &f.content)
        else {
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
