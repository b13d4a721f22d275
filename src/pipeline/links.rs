//! `check --links`: the cards' sources asked over the network, each distinct URL once, with
//! the verdicts cached under `.briefing/cache/links` and, on request, copies made by a web
//! archive and recorded in `archive.yaml`.

use super::{Prepared, load_project, read_archive};
use std::path::Path;

use crate::content::config::Config;
use crate::content::issue::IssueId;
use crate::content::load;
use crate::content::project::Paths;
use crate::diagnostic::{self, Diagnostic};
use crate::error::{Error, Result};

/// Which cards' sources `check --links` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkScope {
    /// Every card, drafts included.
    All,
    /// The cards of one week's issue.
    Week(IssueId),
    /// The cards of the newest issue (the one `send --latest` sends).
    Latest,
}

/// How `check --links` asks and remembers.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// Which cards.
    pub scope: LinkScope,
    /// A verdict younger than this is taken from the cache.
    pub max_age: chrono::Duration,
    /// Ask again whatever the cache says.
    pub refresh: bool,
    /// How long one request may take.
    pub timeout: std::time::Duration,
    /// Also ask the archive for a copy of each live source that has none, and record it in
    /// `archive.yaml`.
    pub archive: bool,
}

/// What `check --links` found.
#[derive(Debug)]
pub struct LinkReport {
    /// One per citation that is not plainly live, at its card's line, and the archive's
    /// notes.
    pub diagnostics: Vec<Diagnostic>,
    /// Citations of a dead source, of a moved one, and of one that could not be verified.
    pub dead: usize,
    /// See `dead`.
    pub moved: usize,
    /// See `dead`.
    pub unverified: usize,
    /// Distinct URLs in scope.
    pub urls: usize,
    /// Of those, how many were asked over the network (the rest came from the cache).
    pub fetched: usize,
    /// With `archive`: how many copies were made and recorded now.
    pub archived: usize,
}

/// Checks the sources of the cards in `options.scope` over the network, each distinct URL
/// once, taking fresh verdicts from `.briefing/cache/links` and writing the new ones there.
///
/// # Errors
///
/// [`Error::Invalid`] when the config has errors; [`Error::NoSuchIssue`] for a week with no
/// cards; [`Error::Links`] when the HTTP client cannot be made.
pub fn check_links(paths: &Paths, options: &LinkOptions) -> Result<LinkReport> {
    let (config, corpus) = load_project(paths)?;
    let Some(config) = config else {
        return Err(Error::Invalid {
            diagnostics: corpus.diagnostics,
        });
    };
    let week = match options.scope {
        LinkScope::All => None,
        LinkScope::Week(week) => Some(week),
        LinkScope::Latest => Some(
            corpus
                .stories
                .iter()
                .filter(|s| !s.draft)
                .map(|s| s.issue_id())
                .max()
                .ok_or(Error::NothingToPublish)?,
        ),
    };
    let stories: Vec<&crate::content::story::Story> = corpus
        .stories
        .iter()
        .filter(|s| week.is_none_or(|w| s.issue_id() == w))
        .map(|s| &**s)
        .collect();
    if let (Some(week), true) = (week, stories.is_empty()) {
        let mut known: Vec<String> = corpus
            .stories
            .iter()
            .map(|s| s.issue_id().to_string())
            .collect();
        known.sort();
        known.dedup();
        return Err(Error::NoSuchIssue {
            id: week.to_string(),
            known,
        });
    }
    let real_root = load::real_root(&paths.root);
    let text_of = |card: &Path| match load::read_capped(&real_root, &paths.root.join(card)) {
        load::Content::Text(text) => Some(text),
        _ => None,
    };
    let citations = crate::sources::cited(&stories, &text_of);
    let mut urls: Vec<String> = citations.iter().map(|c| c.url.clone()).collect();
    urls.sort();
    urls.dedup();

    let cache_file = crate::sources::cache::file(&paths.root);
    let mut cache = crate::sources::cache::read(&cache_file);
    let now = chrono::Utc::now().timestamp();
    let fresh = |url: &String| {
        !options.refresh
            && cache
                .get(url)
                .is_some_and(|c| now - c.at < options.max_age.num_seconds())
    };
    let due: Vec<String> = urls.iter().filter(|u| !fresh(u)).cloned().collect();
    let fetch_options = crate::sources::fetch::Options {
        timeout: options.timeout,
        retries: 2,
        per_host: 2,
        concurrency: 16,
        user_agent: format!(
            "briefing/{} (+{}; checking the sources this newsletter cites)",
            env!("CARGO_PKG_VERSION"),
            config.base_url
        ),
    };
    let fetched = if due.is_empty() {
        std::collections::BTreeMap::new()
    } else {
        crate::sources::fetch::check_all(&due, &fetch_options)
            .map_err(|detail| Error::Links { detail })?
    };
    if let Some(first) = crate::sources::fetch::offline(&fetched) {
        return Err(Error::Links {
            detail: format!(
                "none of the {} servers could be reached (the first: {first}); is this machine \
                 offline? Nothing was recorded",
                crate::sources::fetch::hosts(fetched.keys())
            ),
        });
    }
    for (url, verdict) in &fetched {
        cache.insert(
            url.clone(),
            crate::sources::cache::Checked {
                at: now,
                verdict: verdict.clone(),
            },
        );
    }
    if !fetched.is_empty()
        && let Err(e) = crate::sources::cache::write(&cache_file, &cache)
    {
        say_err!(
            "warning: the results cannot be kept in {} ({e}); the next run asks again",
            diagnostic::display_path(&cache_file)
        );
    }
    let verdicts = urls
        .iter()
        .filter_map(|u| Some((u.clone(), cache.get(u)?.verdict.clone())))
        .collect();
    let mut diagnostics = crate::sources::diagnostics(&citations, &verdicts);
    let count = |severity| {
        diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    let (dead, moved, unverified) = (
        count(diagnostic::Severity::Error),
        count(diagnostic::Severity::Warning),
        count(diagnostic::Severity::Note),
    );
    let archived = if options.archive {
        archive_sources(
            paths,
            &config,
            &citations,
            &verdicts,
            &fetch_options,
            &mut diagnostics,
        )?
    } else {
        0
    };
    diagnostic::sort(&mut diagnostics);
    Ok(LinkReport {
        diagnostics,
        dead,
        moved,
        unverified,
        urls: urls.len(),
        fetched: fetched.len(),
        archived,
    })
}

/// Asks the archive for a copy of each live source in `citations` that has none yet, and
/// records the copies in `archive.yaml`; a source the archive could not copy gets a note at
/// its line. How many copies were made.
fn archive_sources(
    paths: &Paths,
    config: &Config,
    citations: &[crate::sources::Citation],
    verdicts: &std::collections::BTreeMap<String, crate::sources::Verdict>,
    options: &crate::sources::fetch::Options,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<usize> {
    let mut ignored = Vec::new();
    let mut copies = read_archive(paths, &mut ignored);
    if !ignored.is_empty() {
        // A damaged archive file is not overwritten: `check` shows its problems.
        diagnostics.append(&mut ignored);
        return Ok(0);
    }
    // A public archive is never handed an address of this machine or its network.
    let endpoint_is_private = crate::sources::fetch::is_private_url(&config.archive_endpoint);
    let mut wanted: Vec<String> = citations
        .iter()
        .map(|c| c.url.clone())
        .filter(|url| endpoint_is_private || !crate::sources::fetch::is_private_url(url))
        .filter(|url| {
            !copies.contains_key(url)
                && verdicts.get(url).is_some_and(|v| {
                    matches!(
                        v,
                        crate::sources::Verdict::Live | crate::sources::Verdict::Moved { .. }
                    )
                })
        })
        .collect();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(0);
    }
    let made = crate::sources::fetch::archive_all(&wanted, &config.archive_endpoint, options)
        .map_err(|detail| Error::Links { detail })?;
    let today = chrono::Utc::now().date_naive().to_string();
    let mut count = 0;
    for (url, copy) in &made {
        match copy {
            Ok(copy) => {
                copies.insert(
                    url.clone(),
                    crate::content::archive::Copy {
                        copy: copy.clone(),
                        at: today.clone(),
                    },
                );
                count += 1;
            }
            Err(why) => {
                for citation in citations.iter().filter(|c| &c.url == url) {
                    diagnostics.push(Diagnostic {
                        severity: diagnostic::Severity::Note,
                        path: citation.card.clone(),
                        pos: citation.pos,
                        message: format!("no archived copy of `{url}`: {why}"),
                        help: Some("`check --links --archive` asks again next time".to_owned()),
                        line_text: citation.line_text.clone(),
                    });
                }
            }
        }
    }
    if count > 0 {
        let path = paths.root.join(crate::content::archive::FILE);
        let tmp = path.with_extension("yaml.tmp");
        std::fs::write(&tmp, crate::content::archive::render(&copies))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| Error::WriteFile { path, source })?;
    }
    Ok(count)
}

/// The sources of issue `index` that the last `check --links` found dead (no network).
pub fn known_dead_sources(prepared: &Prepared, index: usize) -> Vec<String> {
    let cache = crate::sources::cache::read(&crate::sources::cache::file(&prepared.paths.root));
    let mut dead: Vec<String> = prepared.issues[index]
        .stories
        .iter()
        .flat_map(|s| s.sources.iter().map(|source| source.url.clone()))
        .filter(|url| cache.get(url).is_some_and(|c| c.verdict.is_dead()))
        .collect();
    dead.sort();
    dead.dedup();
    dead
}
