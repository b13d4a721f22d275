//! `briefing serve`: the live preview.

use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use crate::cli::ServeArgs;
use crate::content::project::Paths;
use crate::diagnostic::{Diagnostic, Style};
use crate::error::Result;
use crate::pipeline;
use crate::publish::render;
use crate::publish::serve::{Built, IndexJob};

pub(super) fn run(root: &Path, args: &ServeArgs, style: Style) -> Result<ExitCode> {
    let paths = Paths::new(root);
    // A missing config is a mistake to report now; problems inside it show in the browser.
    let config = pipeline::load_config(&paths)?;
    // The published site is not served, but a commit a killed build left half done is
    // rolled back here as in the next build.
    if let Ok(config) = &config {
        crate::publish::write::recover(&paths.root.join(&config.output_dir))?;
    }
    let options = crate::publish::serve::Options {
        bind: args.bind,
        port: args.port,
        open: args.open,
        hosts: args.hosts.clone(),
    };
    // Each rebuild goes through the whole pipeline into memory.
    let (build_paths, drafts) = (paths.clone(), args.drafts);
    // A half-written card must not take the whole preview down: the cards that pass are
    // served, and the others' errors are shown on every page. `build` and `send` stay strict.
    // The search index is made after the pages, off the reload's path: a save shows at once,
    // and the new index replaces the old when it is ready.
    let build = move || -> Result<Built> {
        let outputs = Mutex::new(Vec::new());
        let prepared = pipeline::prepare_valid_cards(&build_paths, drafts)?;
        if prepared.issues.is_empty() && prepared.error_count() > 0 {
            return Err(crate::error::Error::Invalid {
                diagnostics: prepared.diagnostics,
            });
        }
        prepared.publish(|publication| {
            render::render_all(publication, &outputs, render::SearchIndex::Later)
        })?;
        let pipeline::Prepared {
            issues,
            config,
            diagnostics,
            ..
        } = prepared;
        let errors = diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        let index: Option<IndexJob> = config.search.then(|| -> IndexJob {
            Box::new(move || render::search::index_files(&issues, &config))
        });
        Ok(Built {
            outputs: outputs.into_inner().unwrap_or_else(PoisonError::into_inner),
            errors,
            index,
        })
    };
    crate::publish::serve::serve(&paths, &options, Arc::new(build), style)?;
    Ok(ExitCode::SUCCESS)
}
