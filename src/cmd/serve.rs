//! `briefing serve`: the live preview.

use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use crate::cli::ServeArgs;
use crate::content::project::Paths;
use crate::diagnostic::Style;
use crate::error::Result;
use crate::pipeline;
use crate::pipeline::preview::Preview;
use crate::publish::render;
use crate::publish::serve::{Asked, Built, Early, IndexJob};

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
    // Each rebuild reads the newsletter again and renders, into memory, the issues an edit
    // touched and the pages around them. A half-written card must not take the whole preview
    // down: the cards that pass are served, and the others' errors are shown on every page.
    // `build` and `send` stay strict. The search index is made after the pages, off the
    // reload's path: a save shows at once, and the new index replaces the old when ready.
    let preview = Mutex::new(Preview::new(paths.clone(), args.drafts));
    // Shared with `build`: an index either made is the other's when the stories read the
    // same (a restart, a `build` after a session of saves).
    let index_cache = Arc::new(render::search::IndexCache::new(
        paths.root.join(".briefing/cache/search"),
    ));
    let build = move |asked: Asked<'_>, early: &mut dyn FnMut(Early)| -> Result<Built> {
        let mut preview = preview.lock().unwrap_or_else(PoisonError::into_inner);
        // Many issues rendered again (a template every page includes, the oldest story
        // retitled) come last, but those of the pages open in a browser: the rest is
        // served, and announced, first; a newer save stops them and renders them itself.
        let update = preview.rebuild(asked, early)?;
        let (issues, config) = (update.issues, update.config);
        let index: Option<IndexJob> = config.search.then(|| -> IndexJob {
            let cache = Arc::clone(&index_cache);
            Box::new(move |last| {
                render::search::index_files(&issues, &config, last.as_ref(), Some(&cache))
            })
        });
        Ok(Built {
            outputs: update.outputs,
            removed: update.removed,
            rendered: update.rendered,
            errors: update.errors,
            index,
            owed: update.owed,
        })
    };
    crate::publish::serve::serve(&paths, &options, Arc::new(build), style)?;
    Ok(ExitCode::SUCCESS)
}
