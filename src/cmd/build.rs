//! `briefing build`: the site, or some issues' files, into the output folder.

use std::path::Path;
use std::process::ExitCode;

use super::print_diagnostics;
use crate::cli::BuildArgs;
use crate::content::project::Paths;
use crate::diagnostic::{self, Style};
use crate::error::{Result, plural};
use crate::pipeline;
use crate::publish::{render, write};

pub(super) fn run(root: &Path, args: &BuildArgs, style: Style) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let paths = Paths::new(root);
    // A commit that a killed build left half done is rolled back before anything else, even
    // when this build then stops at an error.
    if let Ok(Ok(config)) = pipeline::load_config(&paths) {
        let out = args
            .out
            .clone()
            .unwrap_or_else(|| paths.root.join(&config.output_dir));
        write::recover(&out)?;
    }
    let prepared = pipeline::prepare(&paths, args.drafts)?;
    print_diagnostics(&prepared.diagnostics, style);
    let selected: Vec<usize> = match (&args.week, args.latest) {
        (Some(week), _) => vec![prepared.issue(week)?],
        (None, true) => vec![prepared.issues.len() - 1],
        (None, false) => (0..prepared.issues.len()).collect(),
    };
    let whole_site = args.week.is_none() && !args.latest;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| paths.root.join(&prepared.config.output_dir));
    let (files, warnings) = if whole_site {
        // New and changed files go straight to a staging folder, moved in once all are rendered.
        let staging = write::Staging::new(&out)?;
        let index_cache =
            render::search::IndexCache::new(paths.root.join(".briefing/cache/search"));
        let warnings = prepared.publish(|publication| {
            let index = render::SearchIndex::Now(Some(&index_cache));
            render::render_all(publication, &staging, index)
        })?;
        let files = match (staging.changed(), staging.removed()) {
            (Some(changed), Some(removed)) if removed > 0 => format!(
                "{} files, {changed} changed, {removed} removed",
                staging.files()
            ),
            (Some(changed), _) => format!("{} files, {changed} changed", staging.files()),
            _ => format!("{} files", staging.files()),
        };
        staging.commit()?;
        (files, warnings)
    } else {
        let (outputs, warnings) = prepared.publish(|publication| {
            let mut outputs = Vec::new();
            let mut warnings = Vec::new();
            for &index in &selected {
                let view = publication.view(index);
                let (mut files, mut notes) = render::render_issue(publication, index, &view)?;
                outputs.append(&mut files);
                warnings.append(&mut notes);
            }
            // A preview into a folder of its own opens styled: the pages link these.
            if !out.join("style.css").is_file() {
                outputs.extend(render::site::render_assets(publication)?);
            }
            Ok((outputs, warnings))
        })?;
        write::update(&outputs, &out)?;
        (format!("{} files", outputs.len()), warnings)
    };
    for line in render::Warning::lines(&warnings) {
        say_err!("{}: {line}", style.label(diagnostic::Severity::Warning));
    }
    say!(
        "built {} issue{} ({files}) into {} in {:.2}s",
        selected.len(),
        plural(selected.len()),
        diagnostic::display_path(&out),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
