//! `briefing bounces ingest`: reports in, statuses changed, a summary out.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{BouncesAction, BouncesArgs};
use crate::content::project::Paths;
use crate::error::{Result, plural};
use crate::mail::bounces::{self, Options};
use crate::pipeline;

pub(super) fn run(root: &Path, args: &BouncesArgs) -> Result<ExitCode> {
    let BouncesAction::Ingest {
        paths: inputs,
        list,
        dry_run,
    } = &args.action;
    let paths = Paths::new(root);
    let config = pipeline::config_only(&paths)?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let secret =
        crate::audience::secret::find_or_create(&paths.root, &config.unsubscribe_secret_env, &env)?;
    let mut store = pipeline::open_store(&paths, &config)?;
    let items = bounces::read_sources(inputs)?;
    let bounce_user = config
        .list
        .bounce_address
        .as_ref()
        .map(lettre::Address::user);
    let summary = bounces::ingest(
        &mut store,
        items,
        (
            secret.key.as_bytes(),
            &config.list_id,
            bounce_user,
            config.list.soft_bounce_limit,
        ),
        &Options {
            dry_run: *dry_run,
            list: list.clone(),
        },
    )?;
    for (name, reason) in &summary.problems {
        say_err!("{name}: {reason}");
    }
    let verb = if *dry_run { "would be" } else { "is now" };
    for (email, status, why) in &summary.changes {
        say!("{email} {verb} {status}: {why}");
    }
    say!(
        "{}read {} message{}: {} hard bounce{}, {} soft, {} complaint{}, {} for addresses not on the list, {} not a report, {} ingested before, {} unreadable",
        if *dry_run { "dry run: " } else { "" },
        summary.read,
        plural(summary.read),
        summary.hard,
        plural(summary.hard),
        summary.soft,
        summary.complaints,
        plural(summary.complaints),
        summary.unknown,
        summary.not_reports,
        summary.already,
        summary.problems.len()
    );
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
