//! `briefing templates eject`: built-in templates copied out to edit.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{TemplatesAction, TemplatesArgs};
use crate::content::project::Paths;
use crate::diagnostic;
use crate::error::{Result, plural};
use crate::pipeline;
use crate::pipeline::scaffold;

pub(super) fn run(root: &Path, args: &TemplatesArgs) -> Result<ExitCode> {
    let paths = Paths::new(root);
    // Only into a newsletter folder.
    let _config = pipeline::load_config(&paths)?;
    match &args.action {
        TemplatesAction::Eject { names, force } => {
            let written = scaffold::eject_templates(&paths, names, *force)?;
            for path in &written {
                let shown = path.strip_prefix(&paths.root).unwrap_or(path);
                say!("wrote {}", diagnostic::display_path(shown));
            }
            say!(
                "{} template{} copied; each now overrides its built-in (delete a copy to go back to it)",
                written.len(),
                plural(written.len())
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
