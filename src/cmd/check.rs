//! `briefing check`: every problem of every file, then a one-line verdict.

use std::path::Path;
use std::process::ExitCode;

use super::print_diagnostics;
use crate::cli::CheckArgs;
use crate::content::project::Paths;
use crate::diagnostic::Style;
use crate::error::{Result, plural};
use crate::pipeline;

pub(super) fn run(root: &Path, args: &CheckArgs, style: Style) -> Result<ExitCode> {
    let paths = Paths::new(root);
    let report = pipeline::check(&paths)?;
    print_diagnostics(&report.diagnostics, style);
    let errors = report.error_count();
    let warnings = report.diagnostics.len() - errors;
    let verdict = if errors > 0 || (args.strict && warnings > 0) {
        "failed"
    } else {
        "ok"
    };
    let cards = format!("{} card{}", report.cards, plural(report.cards));
    // Which cards would be published is only known once every card is valid.
    let breakdown = match report.published {
        Some((published, drafts, issues)) => format!(
            " ({published} published in {issues} issue{}, {drafts} draft{})",
            plural(issues),
            plural(drafts)
        ),
        None => String::new(),
    };
    say_err!(
        "check {verdict}: {cards}{breakdown}, {errors} error{}, {warnings} warning{}",
        plural(errors),
        plural(warnings),
    );
    if errors == 0 {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        match pipeline::token_secret(&paths, &env) {
            Ok(Some(origin)) => say_err!("token secret: {origin}"),
            Ok(None) => say_err!(
                "token secret: none yet; the first `send` or `listen` writes `.briefing/secret`"
            ),
            Err(e) => say_err!("warning: token secret: {e}"),
        }
    }
    if args.strict && warnings > 0 && errors == 0 {
        say_err!("--strict treats warnings as errors");
    }
    Ok(ExitCode::from(u8::from(verdict == "failed")))
}
