//! The stages in order, from a newsletter folder to rendered files: what every command that
//! reads cards shares.
//!
//! The only place that loads `config.yaml` and the cards, validates them, assembles issues and
//! builds the template environment and the [`Publication`]. Commands call it and print; the
//! stages it calls (`load`, `validate`, `schedule`, `ledger`, `view`, `render`) never call
//! back up. Nothing here prints or writes the output.

mod links;
pub mod preview;
pub mod report;
pub mod scaffold;

pub use links::{LinkOptions, LinkReport, LinkScope, check_links, known_dead_sources};

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::content::config::{self, Config};
use crate::content::issue::IssueId;
use crate::content::ledger::Ledger;
use crate::content::load::{self, Content};
use crate::content::project::Paths;
use crate::content::schedule::{self, Issue};
use crate::content::validate::{self, Corpus};
use crate::diagnostic::{self, Diagnostic};
use crate::error::{Error, Result};
use crate::publish::render::email::CACHE_LIMIT_BYTES;
use crate::publish::render::{Inliner, Publication};
use crate::publish::templates::{self, MarkdownCache};
use crate::publish::view::{StoryRefs, WatchEntryView};

/// Whether a run may add to the email cache: a dry run writes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheWrites {
    /// New results are kept for the next run.
    Allowed,
    /// The cache is read, never written.
    Forbidden,
}

/// A newsletter whose cards were validated, grouped into issues.
pub struct Prepared {
    /// Where its files are.
    pub paths: Paths,
    /// The config.
    pub config: Config,
    /// The issues, oldest first.
    pub issues: Vec<Issue>,
    /// What was found on the way: warnings, and, from [`prepare_valid_cards`], the errors of
    /// the cards that were left out.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and validates `config.yaml`.
///
/// # Errors
///
/// [`Error::MissingConfig`] when there is none, [`Error::ReadFile`] when it cannot be read.
/// Problems inside it are returned as diagnostics in the inner `Err`.
pub fn load_config(paths: &Paths) -> Result<std::result::Result<Config, Vec<Diagnostic>>> {
    Ok(read_config(paths)?.map(|(config, _warnings)| config))
}

/// A config with its warnings, or the errors that stop it.
type ConfigRead = std::result::Result<(Config, Vec<Diagnostic>), Vec<Diagnostic>>;

/// [`load_config`], with the warnings of a config that has no errors.
fn read_config(paths: &Paths) -> Result<ConfigRead> {
    if !paths.config.is_file() {
        return Err(Error::MissingConfig {
            root: paths.root.clone(),
        });
    }
    let rel = Path::new("config.yaml");
    match load::read_capped(&load::real_root(&paths.root), &paths.config) {
        Content::Text(text) => Ok(config::parse_with_warnings(rel, &text)),
        Content::Unreadable(reason) => Err(Error::ReadFile {
            path: paths.config.clone(),
            source: std::io::Error::other(reason),
        }),
        other => Ok(Err(vec![validate::unreadable(rel, &other)])),
    }
}

/// The config, or its errors as [`Error::Invalid`]: for the commands that need only the
/// config (`subscribers`, `listen`).
///
/// # Errors
///
/// As [`load_config`], and [`Error::Invalid`] for a config with errors.
pub fn config_only(paths: &Paths) -> Result<Config> {
    load_config(paths)?.map_err(|diagnostics| Error::Invalid { diagnostics })
}

/// The subscriber store named in `config` (created on first use), with the token secret its
/// erasure records are keyed with (made when there is none).
///
/// # Errors
///
/// [`Error::Store`] and its kin when it cannot be opened, and the secret's errors.
pub fn open_store(
    paths: &Paths,
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<crate::audience::store::Store> {
    let secret =
        crate::audience::secret::find_or_create(&paths.root, &config.unsubscribe_secret_env, env)?;
    crate::audience::store::Store::open(&paths.root.join(&config.list.database), secret.key)
}

/// Everything `briefing listen` works with, opened and checked: the config, the secret (made
/// when there is none), the store, the template environment, the transport for confirmation
/// messages (it must answer now) and the DKIM signer.
///
/// # Errors
///
/// A config with errors, a store or secret that cannot be used, templates that do not
/// compile, a DKIM key that cannot be read, or an SMTP server that does not answer.
pub fn service(
    paths: &Paths,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<crate::service::Setup> {
    let config = config_only(paths)?;
    let secret =
        crate::audience::secret::find_or_create(&paths.root, &config.unsubscribe_secret_env, env)?;
    let store = open_store(paths, &config, env)?;
    // The sign-up worker's own connection: its waits for a busy database never hold up a
    // reader's request.
    let worker_store = open_store(paths, &config, env)?;
    let pages = templates::environment(&paths.templates, &config.language)?;
    let transport = crate::mail::transport::choose(
        &config,
        None,
        &paths.root.join("outbox").join("confirmations"),
        env,
        2,
    )?;
    transport.check()?;
    let dkim = crate::mail::dkim::Signer::load(&config.dkim, &paths.root)?;
    Ok(crate::service::Setup {
        config,
        secret,
        store,
        worker_store,
        pages,
        transport,
        dkim,
    })
}

/// Where `send` and `listen` take the token secret from, without making one: `None` when
/// there is none yet.
///
/// # Errors
///
/// A config that cannot be read, or a secret that cannot be used.
pub fn token_secret(
    paths: &Paths,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<crate::audience::secret::Origin>> {
    let config = config_only(paths)?;
    Ok(
        crate::audience::secret::find(&paths.root, &config.unsubscribe_secret_env, env)?
            .map(|secret| secret.origin),
    )
}

/// Loads and validates the whole newsletter: config and every card.
///
/// # Errors
///
/// As [`load_config`]; problems in the files are in the returned diagnostics.
pub fn load_project(paths: &Paths) -> Result<(Option<Config>, Corpus)> {
    load_project_reusing(paths, None)
}

/// What `serve` keeps from one rebuild to the next, so that a save costs what it changed.
#[derive(Debug, Default)]
pub struct Kept {
    /// Each file's own check: a file whose text is unchanged is not parsed again.
    pub checks: validate::Checks,
    /// The files under `briefs/`: only the paths the watcher names are looked at again.
    pub listing: load::Listing,
}

/// [`load_project`], reading and parsing again only what changed since `kept` was filled:
/// the paths in `changed`, or every file when that is not known (`serve`).
fn load_project_reusing(
    paths: &Paths,
    kept: Option<(&mut Kept, Option<&[PathBuf]>)>,
) -> Result<(Option<Config>, Corpus)> {
    let config = read_config(paths)?;
    let (files, checks) = match kept {
        Some((kept, changed)) => {
            let checks = &kept.checks;
            let files =
                load::load_briefs_listed(&paths.root, &mut kept.listing, changed, &|path, kind| {
                    checks.keeps_clean(path, kind)
                });
            (files, Some(&mut kept.checks))
        }
        None => (load::load_briefs(&paths.root), None),
    };
    let mut corpus = validate::validate_reusing(files, Some(&paths.root), checks);
    // Each source's archived copy, if `check --links --archive` made one.
    let archive = read_archive(paths, &mut corpus.diagnostics);
    let archived = |url: &str| archive.get(url).map(|copy| &copy.copy);
    for story in &mut corpus.stories {
        // Stories are shared with `serve`'s kept checks: copied only when a copy changes.
        if story
            .sources
            .iter()
            .any(|source| source.archived.as_ref() != archived(&source.url))
        {
            for source in &mut std::sync::Arc::make_mut(story).sources {
                source.archived = archived(&source.url).cloned();
            }
        }
    }
    let config = match config {
        Ok((config, mut warnings)) => {
            if !warnings.is_empty() {
                corpus.diagnostics.append(&mut warnings);
                diagnostic::sort(&mut corpus.diagnostics);
            }
            Some(config)
        }
        Err(mut diagnostics) => {
            corpus.diagnostics.append(&mut diagnostics);
            diagnostic::sort(&mut corpus.diagnostics);
            None
        }
    };
    Ok((config, corpus))
}

/// The copies in `archive.yaml` (none when there is no such file); its problems go into
/// `diagnostics`.
pub(super) fn read_archive(
    paths: &Paths,
    diagnostics: &mut Vec<Diagnostic>,
) -> std::collections::BTreeMap<String, crate::content::archive::Copy> {
    let path = paths.root.join(crate::content::archive::FILE);
    if !path.exists() {
        return std::collections::BTreeMap::new();
    }
    let shown = Path::new(crate::content::archive::FILE);
    let problems = match load::read_capped(&load::real_root(&paths.root), &path) {
        load::Content::Text(text) => match crate::content::archive::parse(shown, &text) {
            Ok(copies) => return copies,
            Err(problems) => problems,
        },
        other => vec![validate::unreadable(shown, &other)],
    };
    diagnostics.extend(problems);
    diagnostic::sort(diagnostics);
    std::collections::BTreeMap::new()
}

/// What `check` found: every diagnostic, and what would be published.
pub struct CheckReport {
    /// Every problem, sorted: the files', the issues', the templates'.
    pub diagnostics: Vec<Diagnostic>,
    /// How many card files were read.
    pub cards: usize,
    /// How many files have a YAML syntax error: their other checks wait until they parse.
    pub unparsed: usize,
    /// What would be published; known only when nothing has an error.
    pub published: Option<Published>,
}

/// What `build` would publish, and the drafts it would leave out.
pub struct Published {
    /// Published stories.
    pub stories: usize,
    /// Issues.
    pub issues: usize,
    /// The newest issue: the one `send --latest` sends.
    pub newest: Option<IssueId>,
    /// Every draft, in path order: its card, title and week.
    pub drafts: Vec<(PathBuf, String, IssueId)>,
    /// The issues with a `send_at`, and when.
    pub scheduled: Vec<(IssueId, chrono::DateTime<chrono::Utc>)>,
    /// The time zone `send_at` times are read in.
    pub timezone: chrono_tz::Tz,
}

impl CheckReport {
    /// How many diagnostics are errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

/// Checks the newsletter at `paths` for everything `build` would fail on: the files, the
/// issues they make (numbers, weeks) and the templates.
///
/// # Errors
///
/// As [`load_project`].
pub fn check(paths: &Paths, strict: bool) -> Result<CheckReport> {
    let (config, mut corpus) = load_project(paths)?;
    let cards = corpus.card_files;
    // No cards in an empty `briefs/` is a newsletter just started; no `briefs/` at all is
    // most likely the wrong folder.
    if !paths.root.join("briefs").is_dir() {
        corpus.diagnostics.push(Diagnostic {
            severity: diagnostic::Severity::Warning,
            path: "briefs".into(),
            pos: crate::diagnostic::Pos::START,
            message: "there is no `briefs/` folder, so no cards".to_owned(),
            help: Some(
                "cards live in `briefs/<YYYY>-W<ww>/`; `briefing new \"Title\"` writes the first"
                    .to_owned(),
            ),
            line_text: None,
        });
    }
    // Advice for a newsletter about to mail readers, which `--strict` asks for.
    if strict && config.as_ref().is_some_and(|c| c.postal_address.is_none()) {
        corpus.diagnostics.push(Diagnostic {
            severity: diagnostic::Severity::Warning,
            path: "config.yaml".into(),
            pos: crate::diagnostic::Pos::START,
            message: "no `postal_address`: many senders must show one in every email (CAN-SPAM for commercial mail)".to_owned(),
            help: Some(
                "add `postal_address: vff Media, 1 Main St, Springfield, IL 62701, USA` to config.yaml; it is shown in every email's footer"
                    .to_owned(),
            ),
            line_text: None,
        });
    }
    // Each DKIM key is loaded as `send` and `listen` will load it.
    for key in config.iter().flat_map(|config| &config.dkim) {
        if let Err(error) = crate::mail::dkim::check_key(key, &paths.root) {
            let detail = std::error::Error::source(&error)
                .map(|source| format!(": {source}"))
                .unwrap_or_default();
            corpus.diagnostics.push(Diagnostic {
                severity: diagnostic::Severity::Error,
                path: "config.yaml".into(),
                pos: key.key_file_pos,
                message: format!("{error}{detail}"),
                help: Some(
                    "`briefing dkim keygen --selector NAME` makes keys that load, and prints their DNS records"
                        .to_owned(),
                ),
                line_text: None,
            });
        }
    }
    let mut published = None;
    if let Some(config) = config.as_ref().filter(|_| corpus.error_count() == 0) {
        let stories = std::mem::take(&mut corpus.stories);
        let mut drafts: Vec<(PathBuf, String, IssueId)> = stories
            .iter()
            .filter(|s| s.draft)
            .map(|s| (s.path.clone(), s.title.clone(), s.issue_id()))
            .collect();
        drafts.sort();
        match schedule::assemble(stories, &corpus.issue_meta, config, false) {
            Ok(issues) => {
                published = Some(Published {
                    stories: issues.iter().map(|i| i.stories.len()).sum(),
                    issues: issues.len(),
                    newest: issues.last().map(|i| i.id),
                    drafts,
                    scheduled: issues
                        .iter()
                        .filter_map(|i| Some((i.id, i.send_at?)))
                        .collect(),
                    timezone: config.timezone,
                });
            }
            Err(mut problems) => corpus.diagnostics.append(&mut problems),
        }
        match templates::environment(&paths.templates, &config.language) {
            Err(error) => corpus.diagnostics.push(template_diagnostic(paths, &error)),
            Ok(_) => {
                for name in templates::older_copies(&paths.templates)? {
                    corpus.diagnostics.push(Diagnostic {
                        severity: diagnostic::Severity::Warning,
                        path: Path::new("templates").join(&name),
                        pos: crate::diagnostic::Pos::START,
                        message: format!(
                            "`templates/{name}` is the built-in template of an earlier version of briefing"
                        ),
                        help: Some(format!(
                            "it hides the current built-in and its fixes: delete it, or take the current one with `briefing templates eject --force {name}`"
                        )),
                        line_text: None,
                    });
                }
            }
        }
        diagnostic::sort(&mut corpus.diagnostics);
    }
    let diagnostics = corpus.diagnostics;
    let published = published.filter(|_| !diagnostics.iter().any(Diagnostic::is_error));
    let unparsed = diagnostics
        .iter()
        .filter(|d| crate::content::yaml::is_syntax_error(d))
        .map(|d| &d.path)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    Ok(CheckReport {
        diagnostics,
        cards,
        unparsed,
        published,
    })
}

/// A template that does not compile, or a template file that cannot be read, as a located
/// diagnostic.
fn template_diagnostic(paths: &Paths, error: &Error) -> Diagnostic {
    let (path, line, message) = match error {
        Error::Template { name, detail } => {
            let (line, message) = detail
                .strip_prefix("line ")
                .and_then(|rest| rest.split_once(": "))
                .and_then(|(n, rest)| Some((n.parse().ok()?, rest)))
                .unwrap_or((1, detail.as_str()));
            let first = message.lines().next().unwrap_or("").to_owned();
            (Path::new("templates").join(name), line, first)
        }
        Error::TemplateFile { path, problem } => {
            let rel = path.strip_prefix(&paths.root).unwrap_or(path).to_path_buf();
            (rel, 1, problem.clone())
        }
        other => (paths.templates.clone(), 1, other.to_string()),
    };
    Diagnostic {
        severity: diagnostic::Severity::Error,
        path,
        pos: crate::diagnostic::Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: 1,
        },
        message,
        help: Some("`briefing build` stops at this template too; fix it there".to_owned()),
        line_text: None,
    }
}

/// Loads, validates and assembles the newsletter at `paths`; any error stops it.
///
/// # Errors
///
/// [`Error::Invalid`] with every diagnostic when anything has an error, and the errors of
/// [`load_project`]. A newsletter with no published card yet has no issues: its site is the
/// home page that says the first issue is coming, with the sign-up form.
pub fn prepare(paths: &Paths, drafts: bool) -> Result<Prepared> {
    let (config, corpus) = load_project(paths)?;
    assemble(paths, config, corpus, drafts, true)
}

/// Like [`prepare`], but a card with errors is left out instead of stopping everything, and
/// its errors are kept in [`Prepared::diagnostics`]: for listing what the valid cards say
/// while a new card is half written. A broken config still stops it.
///
/// # Errors
///
/// [`Error::Invalid`] when the config or the issue files have errors, and the errors of
/// [`load_project`].
pub fn prepare_valid_cards(paths: &Paths, drafts: bool) -> Result<Prepared> {
    let (config, corpus) = load_project(paths)?;
    assemble(paths, config, corpus, drafts, false)
}

/// [`prepare_valid_cards`], reading and parsing again only what changed since `kept` was
/// filled (`changed`, when known).
fn prepare_valid_cards_reusing(
    paths: &Paths,
    drafts: bool,
    kept: &mut Kept,
    changed: Option<&[PathBuf]>,
) -> Result<Prepared> {
    let (config, corpus) = load_project_reusing(paths, Some((kept, changed)))?;
    assemble(paths, config, corpus, drafts, false)
}

fn assemble(
    paths: &Paths,
    config: Option<Config>,
    mut corpus: Corpus,
    drafts: bool,
    strict: bool,
) -> Result<Prepared> {
    let config = match config {
        Some(config) if !strict || corpus.error_count() == 0 => config,
        _ => {
            return Err(Error::Invalid {
                diagnostics: corpus.diagnostics,
            });
        }
    };
    let issues = schedule::assemble(
        std::mem::take(&mut corpus.stories),
        &corpus.issue_meta,
        &config,
        drafts,
    )
    .map_err(|diagnostics| Error::Invalid { diagnostics })?;
    Ok(Prepared {
        paths: paths.clone(),
        config,
        issues,
        diagnostics: corpus.diagnostics,
    })
}

impl Prepared {
    /// The position in [`Prepared::issues`] of the issue of `week` (`2026-W25`).
    ///
    /// # Errors
    ///
    /// [`Error::BadWeek`] when `week` is not an ISO week, [`Error::NoSuchIssue`] when no
    /// issue has it.
    pub fn issue(&self, week: &str) -> Result<usize> {
        let id = IssueId::parse(week).ok_or_else(|| Error::BadWeek {
            text: week.to_owned(),
        })?;
        self.issues
            .iter()
            .position(|issue| issue.id == id)
            .ok_or_else(|| Error::NoSuchIssue {
                id: id.to_string(),
                known: self
                    .issues
                    .iter()
                    .map(|issue| issue.id.to_string())
                    .collect(),
            })
    }

    /// How many diagnostics are errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// Every watch item as of `as_of`, open ones first, then resolved ones, each in the
    /// order the watch page lists them.
    pub fn watch_entries(&self, as_of: NaiveDate) -> (Vec<WatchEntryView>, Vec<WatchEntryView>) {
        let issues = &self.issues;
        let ledger = Ledger::new(issues);
        let (open, resolved) = ledger.partition(as_of);
        let refs = StoryRefs::new(issues);
        let view = |at: &usize| {
            WatchEntryView::new(&ledger.items[*at], as_of, issues, &self.config, &refs)
        };
        (
            open.iter().map(view).collect(),
            resolved.iter().map(view).collect(),
        )
    }

    /// Builds the template environment and the publication, and hands it to `render`.
    ///
    /// Emails are inlined through the cache under `.briefing/cache/email/`, pruned after.
    ///
    /// # Errors
    ///
    /// A template that does not compile, or what `render` returns.
    pub fn publish<T>(&self, render: impl FnOnce(&Publication<'_>) -> Result<T>) -> Result<T> {
        self.publish_with(CacheWrites::Allowed, render)
    }

    /// [`Prepared::publish`], choosing whether the email cache may be written to.
    ///
    /// # Errors
    ///
    /// As [`Prepared::publish`].
    pub fn publish_with<T>(
        &self,
        writes: CacheWrites,
        render: impl FnOnce(&Publication<'_>) -> Result<T>,
    ) -> Result<T> {
        self.publish_after(writes, None, render)
    }

    /// [`Prepared::publish_with`], taking the HTML of Markdown from `earlier`, the cache of
    /// a publication of the same newsletter before an edit (`serve`), where it has it.
    ///
    /// # Errors
    ///
    /// As [`Prepared::publish`].
    pub fn publish_after<T>(
        &self,
        writes: CacheWrites,
        earlier: Option<&MarkdownCache>,
        render: impl FnOnce(&Publication<'_>) -> Result<T>,
    ) -> Result<T> {
        let env = templates::environment(&self.paths.templates, &self.config.language)?;
        let cache = self.paths.root.join(".briefing/cache/email");
        let inliner = match writes {
            CacheWrites::Allowed => Inliner::cached(cache),
            CacheWrites::Forbidden => Inliner::read_only(cache),
        };
        let publication = Publication::new(env, &inliner, &self.config, &self.issues, earlier);
        let rendered = render(&publication);
        inliner.prune(CACHE_LIMIT_BYTES);
        rendered
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// The names in backticks (`` `story` ``, `` `{text, items}` ``) of `docs/templates.md`
    /// under the heading that starts with `heading`.
    fn documented(docs: &str, heading: &str) -> BTreeSet<String> {
        let section = docs
            .split("\n## ")
            .find(|s| s.starts_with(heading))
            .unwrap_or_else(|| panic!("docs/templates.md has no section `{heading}`"));
        section
            .split('`')
            .skip(1)
            .step_by(2)
            .flat_map(|code| code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The keys of `value`, a JSON object.
    fn keys(value: &serde_json::Value) -> Vec<String> {
        value
            .as_object()
            .unwrap_or_else(|| panic!("not an object: {value}"))
            .keys()
            .cloned()
            .collect()
    }

    #[track_caller]
    fn all_documented(what: &str, fields: Vec<String>, documented: &BTreeSet<String>) {
        let missing: Vec<&String> = fields.iter().filter(|f| !documented.contains(*f)).collect();
        assert!(
            missing.is_empty(),
            "fields of `{what}` that docs/templates.md does not list: {missing:?}"
        );
    }

    // docs/templates.md is our users' API: every field a template can see is listed there.
    // The views are taken from the repository's own sample newsletter, whose newest issue
    // follows up and still watches earlier items, as templates see them (serialised).
    #[test]
    fn every_field_templates_see_is_documented() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let docs = std::fs::read_to_string(root.join("docs/templates.md")).unwrap();
        let prepared = prepare(&Paths::new(root), false).unwrap();
        let newest = prepared.issues.len() - 1;
        prepared
            .publish_with(CacheWrites::Forbidden, |publication| {
                let site = serde_json::to_value(&publication.site).unwrap();
                all_documented("site", keys(&site), &documented(&docs, "`site`"));
                let viewed = publication.view(newest);
                let issue = serde_json::to_value(&viewed.value).unwrap();
                let page = serde_json::to_value(crate::publish::view::PageView::at(
                    &publication.site,
                    &viewed.path,
                    String::new(),
                    String::new(),
                ))
                .unwrap();
                all_documented("page", keys(&page), &documented(&docs, "`page`"));
                all_documented("issue", keys(&issue), &documented(&docs, "`issue`"));
                let story = &issue["stories"][0];
                let story_fields = documented(&docs, "`story`");
                all_documented("story", keys(story), &story_fields);
                all_documented("story.text", keys(&story["text"]), &story_fields);
                all_documented(
                    "story.what_to_watch",
                    keys(&story["what_to_watch"]),
                    &story_fields,
                );
                let watch = documented(&docs, "Watch items");
                let follow_up = &issue["follow_ups"][0];
                all_documented("a follow-up", keys(follow_up), &watch);
                all_documented("a story reference", keys(&follow_up["origin"]), &watch);
                let entry = &issue["still_watching"][0];
                all_documented("a watch entry", keys(entry), &watch);
                Ok(())
            })
            .unwrap();
    }
}
