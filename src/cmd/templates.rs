//! `briefing templates list` and `eject`: the built-in templates, and copies of them to edit.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{TemplatesAction, TemplatesArgs};
use crate::content::project::Paths;
use crate::diagnostic;
use crate::error::{Result, plural};
use crate::pipeline;
use crate::pipeline::scaffold;
use crate::publish::templates::Copy;

pub(super) fn run(root: &Path, args: &TemplatesArgs) -> Result<ExitCode> {
    let paths = Paths::new(root);
    // Only into a newsletter folder.
    let _config = pipeline::load_config(&paths)?;
    match &args.action {
        TemplatesAction::List => {
            let listed = scaffold::list_templates(&paths)?;
            let width = listed.iter().map(|(n, ..)| n.len()).max().unwrap_or(0);
            for (name, purpose, copy) in &listed {
                let copy = match copy {
                    Copy::None => "",
                    Copy::Edited => "  [yours: edited copy]",
                    Copy::Unchanged => "  [yours: copy, not edited yet]",
                    Copy::Older => {
                        "  [yours: copy of an earlier version; `check` says how to update it]"
                    }
                    Copy::Own => "  [yours: no built-in of this name]",
                };
                say!("{name:<width$}  {purpose}{copy}");
            }
            let yours = listed.iter().filter(|(.., c)| *c != Copy::None).count();
            say!(
                "\n{} built-in templates; this newsletter has {yours} of its own in templates/ \
                 (`briefing templates eject NAME` copies one to edit)",
                listed.iter().filter(|(.., c)| *c != Copy::Own).count()
            );
        }
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
