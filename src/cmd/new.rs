//! `briefing new`: a card skeleton for a headline.

use std::path::Path;
use std::process::ExitCode;

use super::parse_date;
use crate::cli::NewArgs;
use crate::content::project::Paths;
use crate::diagnostic;
use crate::error::Result;
use crate::pipeline::scaffold;

pub(super) fn run(root: &Path, args: &NewArgs) -> Result<ExitCode> {
    let paths = Paths::new(root);
    let date = match &args.date {
        Some(text) => parse_date("--date", text)?,
        None => chrono::Local::now().date_naive(),
    };
    let path = scaffold::new_card(
        &paths,
        &args.title,
        date,
        args.section.as_deref(),
        args.slug.as_deref(),
    )?;
    say!(
        "wrote {}\nfill in the empty fields, then run `briefing check`; it is a draft \
         (previewed with `serve --drafts`) until you set `draft: false`",
        diagnostic::display_path(&path)
    );
    Ok(ExitCode::SUCCESS)
}
