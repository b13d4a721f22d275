//! `briefing bounces ingest`: reports in, statuses changed, a summary out.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{BouncesAction, BouncesArgs};
use crate::content::project::Paths;
use crate::diagnostic::printable;
use crate::error::{Result, plural};
use crate::mail::bounces::{self, Newsletter, Options};
use crate::pipeline;

pub(super) fn run(root: &Path, args: &BouncesArgs) -> Result<ExitCode> {
    let BouncesAction::Ingest {
        paths: inputs,
        list,
        dry_run,
        as_of,
    } = &args.action;
    // A time (RFC 3339), or a day (its midnight, UTC).
    let as_of = match as_of {
        Some(text) => Some(match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(time) => time.with_timezone(&chrono::Utc),
            Err(_) => super::parse_date("--as-of", text)?
                .and_time(chrono::NaiveTime::MIN)
                .and_utc(),
        }),
        None => None,
    };
    let paths = Paths::new(root);
    let config = pipeline::config_only(&paths)?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let secret =
        crate::audience::secret::find_or_create(&paths.root, &config.unsubscribe_secret_env, &env)?;
    let mut store = pipeline::open_store(&paths, &config, &env)?;
    let bounce_user = config
        .list
        .bounce_address
        .as_ref()
        .map(lettre::Address::user);
    let summary = bounces::ingest(
        &mut store,
        inputs,
        &paths.root.join(".briefing/bounces.lock"),
        Newsletter {
            secret: secret.key.as_bytes(),
            list_id: &config.list_id,
            bounce_user,
            soft_limit: config.list.soft_bounce_limit,
        },
        &Options {
            dry_run: *dry_run,
            list: list.clone(),
            as_of,
        },
    )?;
    for (name, reason) in &summary.problems {
        say_err!("{}: {}", printable(name), printable(reason));
    }
    for (name, why) in &summary.unverified {
        say_err!(
            "{}: unverified, changes nobody: {}",
            printable(name),
            printable(why)
        );
    }
    for (name, named, counted) in &summary.others_named {
        say_err!(
            "{}: names `{}`, but its proof is {}'s: counted for {} only",
            printable(name),
            printable(named),
            printable(counted),
            printable(counted)
        );
    }
    let verb = if *dry_run { "would be" } else { "is now" };
    for (email, status, why) in &summary.changes {
        say!("{} {verb} {status}: {}", printable(email), printable(why));
    }
    say!(
        "{}read {} message{}: {} hard bounce{}, {} soft, {} complaint{}, {} unverified (no valid \
         VERP address and no original message of ours), {} not a report, {} ingested before, \
         {} unreadable",
        if *dry_run { "dry run: " } else { "" },
        summary.read,
        plural(summary.read),
        summary.hard,
        plural(summary.hard),
        summary.soft,
        summary.complaints,
        plural(summary.complaints),
        summary.unverified.len(),
        summary.not_reports,
        summary.already,
        summary.problems.len()
    );
    if summary.skipped_files > 0 {
        say!(
            "{} file{} read to the end before, skipped unread",
            summary.skipped_files,
            plural(summary.skipped_files)
        );
    }
    if *dry_run {
        say!("nothing was changed");
    } else if summary.marked_seen > 0 {
        say!(
            "{} Maildir message{} marked seen",
            summary.marked_seen,
            plural(summary.marked_seen)
        );
    }
    Ok(ExitCode::SUCCESS)
}
