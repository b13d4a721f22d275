//! `briefing init`: a new newsletter folder.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::InitArgs;
use crate::diagnostic;
use crate::error::Result;
use crate::pipeline::scaffold;

pub(super) fn run(root: &Path, args: &InitArgs) -> Result<ExitCode> {
    let dir = args
        .dir
        .as_ref()
        .map_or_else(|| root.to_path_buf(), |d| root.join(d));
    let written = scaffold::init(&dir, args.force, args.templates)?;
    let shown = diagnostic::display_path(&dir);
    // Already there: telling the user to `cd .` reads as a mistake.
    let cd = if shown == "." {
        String::new()
    } else {
        format!("  cd {shown}\n")
    };
    say!(
        "created a newsletter in {shown} ({written} files)\n\nnext:\n{cd}  briefing check\n  briefing new \"Your first headline\""
    );
    Ok(ExitCode::SUCCESS)
}
