//! The stages in order, up to rendered files: what `build` and `serve` share.

use crate::cmd::load_project;
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::project::Paths;
use crate::render::{self, Publication, Sink};
use crate::schedule::{self, Issue};
use crate::templates;

/// A newsletter that passed validation, grouped into issues.
pub struct Prepared {
    /// The config.
    pub config: Config,
    /// The issues, oldest first; never empty.
    pub issues: Vec<Issue>,
    /// Warnings found on the way (errors stop the pipeline).
    pub warnings: Vec<Diagnostic>,
}

/// Loads, validates and assembles the newsletter at `paths`.
///
/// # Errors
///
/// [`Error::Invalid`] with every diagnostic when anything has an error, [`Error::Usage`] when
/// there is nothing to publish, and the errors of [`load_project`].
pub fn prepare(paths: &Paths, drafts: bool) -> Result<Prepared> {
    let (config, mut corpus) = load_project(paths)?;
    let config = match config {
        Some(config) if corpus.error_count() == 0 => config,
        _ => {
            return Err(Error::Invalid {
                diagnostics: corpus.diagnostics,
            });
        }
    };
    let issues = schedule::assemble(
        std::mem::take(&mut corpus.stories),
        &corpus.issue_meta,
        &config,
        drafts,
    )
    .map_err(|diagnostics| Error::Invalid { diagnostics })?;
    if issues.is_empty() {
        return Err(Error::Usage {
            message:
                "there are no published cards to build; write one with `briefing new \"Title\"`"
                    .to_owned(),
        });
    }
    Ok(Prepared {
        config,
        issues,
        warnings: corpus.diagnostics,
    })
}

/// Renders every file of the prepared newsletter into `sink`, with the templates at `paths`.
/// Returns warnings.
///
/// # Errors
///
/// A template error, or the sink's.
pub fn render_site(paths: &Paths, prepared: &Prepared, sink: &dyn Sink) -> Result<Vec<String>> {
    let env = templates::environment(&paths.templates, &prepared.config.language)?;
    let publication = Publication::new(&env, &prepared.config, &prepared.issues);
    render::render_all(&publication, sink)
}
