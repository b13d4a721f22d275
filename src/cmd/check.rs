//! `briefing check`: every problem of every file, then a one-line verdict.

use std::path::Path;
use std::process::ExitCode;

use super::print_diagnostics;
use crate::cli::CheckArgs;
use crate::diagnostic::Style;
use crate::error::{Result, plural};
use crate::pipeline;
use crate::project::Paths;

pub(super) fn run(root: &Path, args: &CheckArgs, style: Style) -> Result<ExitCode> {
    let paths = Paths::new(root);
    let (_, corpus) = pipeline::load_project(&paths)?;
    print_diagnostics(&corpus.diagnostics, style);
    let errors = corpus.error_count();
    let warnings = corpus.warning_count();
    let published = corpus.stories.iter().filter(|s| !s.draft).count();
    let drafts = corpus.stories.len() - published;
    let mut weeks: Vec<_> = corpus
        .stories
        .iter()
        .filter(|s| !s.draft)
        .map(|s| s.issue_id())
        .collect();
    weeks.sort();
    weeks.dedup();
    let verdict = if errors > 0 || (args.strict && warnings > 0) {
        "failed"
    } else {
        "ok"
    };
    let cards = format!("{} card{}", corpus.card_files, plural(corpus.card_files));
    // Which cards would be published is only known once every card is valid.
    let breakdown = if errors == 0 {
        format!(
            " ({published} published in {} issue{}, {drafts} draft{})",
            weeks.len(),
            plural(weeks.len()),
            plural(drafts)
        )
    } else {
        String::new()
    };
    say_err!(
        "check {verdict}: {cards}{breakdown}, {errors} error{}, {warnings} warning{}",
        plural(errors),
        plural(warnings),
    );
    if args.strict && warnings > 0 && errors == 0 {
        say_err!("--strict treats warnings as errors");
    }
    // The process ends here: freeing every story one by one would only delay the exit.
    std::mem::forget(corpus);
    Ok(ExitCode::from(u8::from(verdict == "failed")))
}
