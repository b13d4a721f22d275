//! `briefing check`: every problem of every file, then a one-line verdict.

use std::path::Path;
use std::process::ExitCode;

use super::print_diagnostics;
use crate::cli::CheckArgs;
use crate::content::project::Paths;
use crate::diagnostic::{self, Severity, Style};
use crate::error::{Result, plural};
use crate::mail::dns::Standing;
use crate::pipeline;

pub(super) fn run(root: &Path, args: &CheckArgs, style: Style) -> Result<ExitCode> {
    let paths = Paths::new(root);
    let mut report = pipeline::check(&paths, args.strict)?;
    // A link check that cannot run (no network) is said after the files' own report.
    let (links, links_failed) = match args.links.then(|| links(&paths, args)) {
        Some(Ok(links)) => (links, None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    if let Some(links) = &links {
        report.diagnostics.extend(links.diagnostics.iter().cloned());
        diagnostic::sort(&mut report.diagnostics);
    }
    print_diagnostics(&report.diagnostics, style);
    let errors = report.error_count();
    let warnings = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let verdict = if errors > 0 || (args.strict && warnings > 0) {
        "failed"
    } else {
        "ok"
    };
    let cards = format!("{} card{}", report.cards, plural(report.cards));
    // Which cards would be published is only known once every card is valid.
    let breakdown = match &report.published {
        Some(published) => format!(
            " ({} published in {} issue{}, {} draft{})",
            published.stories,
            published.issues,
            plural(published.issues),
            published.drafts.len(),
            plural(published.drafts.len())
        ),
        None => String::new(),
    };
    say_err!(
        "check {verdict}: {cards}{breakdown}, {errors} error{}, {warnings} warning{}",
        plural(errors),
        plural(warnings),
    );
    if let Some(links) = &links {
        say_err!(
            "links: {} address{} checked ({} asked now, {} from the last {}): {} dead, {} moved, \
             {} could not be verified",
            links.urls,
            if links.urls == 1 { "" } else { "es" },
            links.fetched,
            links.urls - links.fetched,
            args.max_age_shown(),
            links.dead,
            links.moved,
            links.unverified
        );
        if args.archive {
            say_err!(
                "archive: {} new cop{} recorded in archive.yaml (commit it)",
                links.archived,
                if links.archived == 1 { "y" } else { "ies" }
            );
        }
    }
    if report.unparsed > 0 {
        say_err!(
            "{} file{} a YAML syntax error, which stops the rest of {} checks: fix it and run \
             `check` again to see them",
            report.unparsed,
            if report.unparsed == 1 {
                " has"
            } else {
                "s have"
            },
            if report.unparsed == 1 { "its" } else { "their" }
        );
    }
    if report.cards == 0 && errors == 0 {
        say_err!("no cards yet: `briefing new \"Your first headline\"` writes the first");
    }
    if let Some(published) = &report.published {
        print_drafts(published);
        let now = chrono::Utc::now();
        for (week, at) in published.scheduled.iter().filter(|(_, at)| *at > now) {
            say_err!(
                "scheduled: {week} goes at {} (`briefing send --due` sends it)",
                at.with_timezone(&published.timezone)
                    .format("%Y-%m-%d %H:%M %Z")
            );
        }
    }
    if errors == 0 {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        match pipeline::token_secret(&paths, &env) {
            Ok(Some(origin)) if args.verbose => say_err!("token secret: {origin}"),
            Ok(Some(_)) => {}
            Ok(None) => say_err!(
                "token secret: none yet; the first `send` or `listen` writes `.briefing/secret`"
            ),
            Err(e) => say_err!("warning: token secret: {e}"),
        }
    }
    if args.strict && warnings > 0 && errors == 0 {
        say_err!("--strict treats warnings as errors");
    }
    if let Some(e) = links_failed {
        return Err(e);
    }
    let mut failed = verdict == "failed";
    if args.dns {
        failed |= check_dns(&paths, args)?;
    }
    Ok(ExitCode::from(u8::from(failed)))
}

/// Looks up the sending domain's records and prints each finding; true when one is missing
/// or wrong.
fn check_dns(paths: &Paths, args: &CheckArgs) -> Result<bool> {
    let config = match pipeline::load_config(paths)? {
        Ok(config) => config,
        // The config's own errors are printed above already.
        Err(_) => return Ok(true),
    };
    let findings = crate::mail::dns::check(&config, &paths.root, args.dns_server)?;
    let mut failed = false;
    for finding in &findings {
        let label = match finding.standing {
            Standing::Ok => "ok",
            Standing::Note => "note",
            Standing::Error => {
                failed = true;
                "error"
            }
        };
        say_err!("dns: {label}: {}", finding.message);
        if let Some(record) = &finding.publish {
            say_err!("  publish: {record}");
        }
    }
    let errors = findings
        .iter()
        .filter(|f| f.standing == Standing::Error)
        .count();
    say_err!(
        "dns {}: {} record{} looked up, {errors} missing or wrong",
        if failed { "failed" } else { "ok" },
        findings.len(),
        plural(findings.len())
    );
    Ok(failed)
}

/// The drafts a send would leave out: those of the newest issue's week (the issue
/// `send --latest` mails) and of later weeks, so that a story still marked `draft` is not
/// forgotten when the issue goes out.
fn print_drafts(published: &pipeline::Published) {
    const SHOWN: usize = 10;
    let pending: Vec<_> = published
        .drafts
        .iter()
        .filter(|(_, _, week)| published.newest.is_none_or(|newest| *week >= newest))
        .collect();
    for (path, title, week) in pending.iter().take(SHOWN) {
        let note = if Some(*week) == published.newest {
            format!("not in {week}, the newest issue")
        } else {
            format!("for {week}")
        };
        say_err!(
            "draft: {} “{title}” ({note}; set `draft: false` to publish it)",
            diagnostic::display_path(path)
        );
    }
    if pending.len() > SHOWN {
        say_err!("…and {} more drafts", pending.len() - SHOWN);
    }
}

/// `check --links`: the sources of the cards in scope, asked or remembered. `None` when the
/// config has errors (the check above shows them).
fn links(paths: &Paths, args: &CheckArgs) -> Result<Option<pipeline::LinkReport>> {
    let scope = match (&args.week, args.latest) {
        (Some(week), _) => pipeline::LinkScope::Week(
            crate::content::issue::IssueId::parse(week)
                .ok_or_else(|| crate::error::Error::BadWeek { text: week.clone() })?,
        ),
        (None, true) => pipeline::LinkScope::Latest,
        (None, false) => pipeline::LinkScope::All,
    };
    let options = pipeline::LinkOptions {
        scope,
        max_age: args.max_age,
        refresh: args.refresh,
        timeout: std::time::Duration::from_secs(args.timeout),
        archive: args.archive,
    };
    match pipeline::check_links(paths, &options) {
        Ok(report) => Ok(Some(report)),
        Err(crate::error::Error::Invalid { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}
