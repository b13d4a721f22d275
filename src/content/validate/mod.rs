//! Turns loaded files into validated stories and issue settings, or diagnostics.
//!
//! Takes the [`SourceFile`]s from `load`, returns a [`Corpus`]: every story and issue file that
//! passed, and every problem found, located by file, line and column. Validation never stops at
//! the first problem: each card is read to its end, then the rules that span files run
//! (duplicate slugs, watch items and follow-ups, issue numbers). No I/O happens here.

mod card;
mod cross_file;
mod issue_file;

pub use card::{REQUIRED_CARD_KEYS, card};
use cross_file::{check_issue_files, check_slugs_unique, check_watch_items};

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::content::fields::backticked;
use crate::content::issue::{IssueId, IssueMeta};
use crate::content::load::{Content, FileKind, SourceFile};
use crate::content::story::Story;
use crate::content::yaml::{self, Node};
use crate::diagnostic::Pos;
use crate::diagnostic::{Diagnostic, FileDiagnostics, Severity};

/// Everything validation produced.
#[derive(Debug, Default)]
pub struct Corpus {
    /// Stories from cards without errors, drafts included, sorted by path.
    pub stories: Vec<Arc<Story>>,
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
}

/// Validates every loaded file, then the rules that span files.
///
/// With a `root`, the text of a file with nothing to report is let go as soon as it is
/// checked (ten thousand cards are tens of megabytes), and a rule that spans files and
/// reports on it later reads the line it shows again from under `root`. Without one, every
/// text is kept.
pub fn validate(files: Vec<SourceFile>, root: Option<&Path>) -> Corpus {
    validate_reusing(files, root, None)
}

/// Each file's own check (everything but the rules that span files), kept between runs by
/// `serve`: a file whose path, kind and text are what they were is not parsed again.
#[derive(Debug, Default)]
pub struct Checks {
    by_path: std::collections::HashMap<PathBuf, Kept>,
}

/// A file's kind and text, and its check.
type Kept = (FileKind, String, Checked);

impl Checks {
    /// The check of `file` if its text is the one checked before, or it was not read again
    /// ([`Content::Unchanged`]).
    fn of(&self, file: &SourceFile) -> Option<Checked> {
        let (kind, known, checked) = self.by_path.get(&file.path)?;
        let same = match &file.content {
            Content::Text(text) => known == text,
            Content::Unchanged => true,
            _ => false,
        };
        (same && *kind == file.kind).then(|| checked.clone())
    }

    /// Whether the file at `path` need not be read again if it did not change: its check is
    /// kept and found nothing wrong (a file with problems is read, for their snippets).
    pub fn keeps_clean(&self, path: &Path, kind: FileKind) -> bool {
        self.by_path
            .get(path)
            .is_some_and(|(known, _, checked)| *known == kind && checked.is_clean())
    }
}

/// [`validate`], taking each file's own check from `checks` where its text is unchanged, and
/// keeping this run's checks there for the next. The result is the same as [`validate`]'s.
pub fn validate_reusing(
    files: Vec<SourceFile>,
    root: Option<&Path>,
    checks: Option<&mut Checks>,
) -> Corpus {
    use rayon::prelude::*;
    let mut corpus = Corpus::default();
    let mut issue_files: Vec<(IssueMeta, Option<IssueId>)> = Vec::new();
    let known: Option<&Checks> = checks.as_deref();
    // Files are independent until the cross-file rules below: check them in parallel,
    // keeping their order so the result does not depend on scheduling.
    let results: Vec<(SourceFile, Checked, Option<Kept>)> = files
        .into_par_iter()
        .map(|mut file| {
            let (checked, fresh) = match known.and_then(|known| known.of(&file)) {
                Some(checked) => (checked, None),
                None => {
                    let checked = check_file(&file);
                    // Kept for the next run only when there is one to keep it for.
                    let fresh = match (&file.content, known.is_some()) {
                        (Content::Text(text), true) => {
                            Some((file.kind, text.clone(), checked.clone()))
                        }
                        _ => None,
                    };
                    (checked, fresh)
                }
            };
            if root.is_some() && checked.is_clean() {
                file.content = Content::Released;
            }
            (file, checked, fresh)
        })
        .collect();
    let mut files = Vec::with_capacity(results.len());
    let mut checked = Vec::with_capacity(results.len());
    let mut fresh = Vec::with_capacity(results.len());
    for (file, check, kept) in results {
        files.push(file);
        checked.push(check);
        fresh.push(kept);
    }
    if let Some(checks) = checks {
        let present: std::collections::HashSet<&Path> =
            files.iter().map(|file| file.path.as_path()).collect();
        checks
            .by_path
            .retain(|path, _| present.contains(path.as_path()));
        for (file, fresh) in files.iter().zip(fresh) {
            match fresh {
                Some(entry) => {
                    checks.by_path.insert(file.path.clone(), entry);
                }
                // Unreadable now: its old check must not come back when it is readable again
                // with the same text (it will simply be checked again).
                None if !matches!(
                    file.content,
                    Content::Text(_) | Content::Released | Content::Unchanged
                ) =>
                {
                    checks.by_path.remove(&file.path);
                }
                None => {}
            }
        }
    }
    for checked in checked {
        match checked {
            Checked::Card(story, mut diagnostics) => {
                corpus.card_files += 1;
                corpus.stories.extend(story);
                corpus.diagnostics.append(&mut diagnostics);
            }
            Checked::Issue(meta, mut diagnostics) => {
                issue_files.extend(meta);
                corpus.diagnostics.append(&mut diagnostics);
            }
        }
    }
    check_slugs_unique(&corpus.stories, &mut corpus.diagnostics);
    let some_cards_failed = corpus.stories.len() < corpus.card_files;
    cross_file::adopt_old_ids(&mut corpus.stories, &mut corpus.diagnostics);
    check_watch_items(&corpus.stories, some_cards_failed, &mut corpus.diagnostics);
    for (meta, week) in issue_files {
        if let Some(week) = week {
            corpus.issue_meta.insert(week, meta);
        }
    }
    let mut issue_problems = check_issue_files(&corpus);
    corpus.diagnostics.append(&mut issue_problems);
    attach_snippets(&mut corpus.diagnostics, &files, root);
    crate::diagnostic::sort(&mut corpus.diagnostics);
    corpus
}

/// One file's result: its story or issue settings when it has no error, and its diagnostics.
#[derive(Debug, Clone)]
enum Checked {
    Card(Option<Arc<Story>>, Vec<Diagnostic>),
    Issue(Option<(IssueMeta, Option<IssueId>)>, Vec<Diagnostic>),
}

impl Checked {
    /// Whether the file's own check found nothing to say.
    fn is_clean(&self) -> bool {
        match self {
            Checked::Card(_, diagnostics) | Checked::Issue(_, diagnostics) => {
                diagnostics.is_empty()
            }
        }
    }
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
                .map(Arc::new);
            if let Some(story) = &story {
                check_week_folder(story, &mut diags);
            }
            Checked::Card(story, diags.list)
        }
        FileKind::Issue => {
            let week = week_folder(&file.path);
            let meta = issue_file::issue_file(text, week, &mut diags)
                .filter(|_| !diags.has_errors())
                .map(|meta| (meta, week));
            Checked::Issue(meta, diags.list)
        }
    }
}

/// A card in a week's folder (`briefs/2026-W25/`) is dated in that week: the date decides
/// the issue, and a card filed elsewhere is most likely misdated. A rule of the file alone
/// (its path and its date), so it is kept with the file's own check.
fn check_week_folder(story: &Story, diags: &mut FileDiagnostics<'_>) {
    let Some(folder) = week_folder(&story.path) else {
        return;
    };
    let week = story.issue_id();
    if folder != week {
        diags
            .warning(
                story.date_pos,
                format!(
                    "date {} is in week {week}, but the card is in folder {folder}",
                    story.date
                ),
            )
            .help(format!(
                "the date decides the issue; move the card to briefs/{week}/ or fix the date"
            ));
    }
}

/// The diagnostic for a file whose text could not be had.
pub fn unreadable(path: &Path, content: &Content) -> Diagnostic {
    let pos = match content {
        Content::NotUtf8(pos) => *pos,
        _ => Pos::START,
    };
    let (message, help) = content.problem().unwrap_or_default();
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
pub(super) fn root_map(text: &str, what: &str, diags: &mut FileDiagnostics<'_>) -> Option<Node> {
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
            e.report(diags);
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

/// The week named by the folder that holds `path`, if its name is a week like `2026-W25`.
pub fn week_folder(path: &Path) -> Option<IssueId> {
    let parent = path.parent()?;
    match parent.components().next_back()? {
        Component::Normal(name) => IssueId::parse(name.to_str()?),
        _ => None,
    }
}

/// Gives the cross-file diagnostics, raised away from the file's text, their source line;
/// a released text is read again from under `root`.
fn attach_snippets(diagnostics: &mut [Diagnostic], files: &[SourceFile], root: Option<&Path>) {
    let mut reread: Option<(&Path, Content)> = None;
    let real_root = root
        .map(crate::content::load::real_root)
        .unwrap_or_default();
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
                    reread = Some((
                        &file.path,
                        crate::content::load::read_capped(&real_root, &root.join(&file.path)),
                    ));
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

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
