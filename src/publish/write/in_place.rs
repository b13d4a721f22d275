//! The commit that moves staged files into the output one rename at a time, for outputs that
//! cannot be swapped whole (a mount point, a link to a folder elsewhere, a system without
//! `RENAME_EXCHANGE`).
//!
//! Before the first rename the commit's plan is written and synced to a log in the staging
//! folder; each file it replaces or removes is first moved into the staging folder's `.old/`,
//! and kept there until the last rename is done. A commit that fails is rolled back at once;
//! one that a `kill -9` or a power cut interrupted is rolled back by the next build before
//! anything else ([`super::recover`]), from the log. Readers of the output may meanwhile see
//! some files new and others old: the README says so.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashSet;

use super::{COMMIT_LOG, MARKER, MARKER_TEXT, OLD, STAGING, Stop, write_file};
use crate::error::{Error, Result};

/// One step of a commit, by output-relative path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// A new or changed file renamed in; a file it replaces is moved to `.old/` first, an
    /// empty folder in its place removed.
    New(String),
    /// A file no longer in the site: moved to `.old/`.
    Remove(String),
}

impl Step {
    fn line(&self) -> String {
        match self {
            Step::New(path) => format!("new\t{path}\n"),
            Step::Remove(path) => format!("remove\t{path}\n"),
        }
    }

    fn parse(line: &str) -> Option<Step> {
        match line.split_once('\t')? {
            ("new", path) => Some(Step::New(path.to_owned())),
            ("remove", path) => Some(Step::Remove(path.to_owned())),
            _ => None,
        }
    }
}

/// Adds a [`Step::Remove`] for every file under `out/relative` that is not in `kept`;
/// staging folders are passed over.
fn stale_files(
    out: &Path,
    relative: &Path,
    kept: &FxHashSet<PathBuf>,
    steps: &mut Vec<Step>,
) -> Result<()> {
    let folder = out.join(relative);
    let failed = |source| Error::WriteFile {
        path: folder.clone(),
        source,
    };
    for entry in fs::read_dir(&folder).map_err(failed)? {
        let entry = entry.map_err(failed)?;
        let path = relative.join(entry.file_name());
        if relative.as_os_str().is_empty()
            && entry.file_name().to_string_lossy().starts_with(STAGING)
        {
            continue;
        }
        if entry.file_type().map_err(failed)?.is_dir() {
            stale_files(out, &path, kept, steps)?;
        } else if !kept.contains(&path) {
            steps.push(Step::Remove(path.to_string_lossy().into_owned()));
        }
    }
    Ok(())
}

/// Removes the folders under `out/relative` that a commit left empty (staging folders
/// aside).
fn remove_empty_folders(out: &Path, relative: &Path) {
    let Ok(entries) = fs::read_dir(out.join(relative)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if relative.as_os_str().is_empty() && name.to_string_lossy().starts_with(STAGING) {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            let path = relative.join(&name);
            remove_empty_folders(out, &path);
            // Fails, as it should, while the folder still holds files.
            let _ = fs::remove_dir(out.join(&path));
        }
    }
}

/// Writes the commit's plan into the staging folder `dir` and syncs it, before the first
/// rename.
fn write_log(dir: &Path, steps: &[Step]) -> Result<()> {
    use std::io::Write as _;
    let path = dir.join(COMMIT_LOG);
    let text: String = steps.iter().map(Step::line).collect();
    let written = fs::File::create(&path).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    written.map_err(|source| Error::WriteFile { path, source })
}

/// Moves `from` to `to`, making `to`'s folder first.
fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::rename(from, to)
}

/// Carries out one step of a commit.
fn apply(out: &Path, dir: &Path, step: &Step) -> Result<()> {
    let (Step::New(path) | Step::Remove(path)) = step;
    let target = out.join(path);
    let failed = |source| Error::WriteFile {
        path: target.clone(),
        source,
    };
    match (step, fs::symlink_metadata(&target)) {
        // A folder whose files went in earlier steps, where a file now goes.
        (Step::New(_), Ok(meta)) if meta.is_dir() => fs::remove_dir(&target).map_err(failed)?,
        (_, Ok(_)) => move_file(&target, &dir.join(OLD).join(path)).map_err(failed)?,
        (_, Err(_)) => {}
    }
    if let Step::New(_) = step {
        move_file(&dir.join(path), &target).map_err(failed)?;
    }
    Ok(())
}

/// Undoes `steps`, last first, from whatever state a failure or a crash left them in: each
/// new file that went in goes back to the staging folder, each file kept in `.old/` goes
/// back where it was.
fn rollback(out: &Path, dir: &Path, steps: &[Step]) {
    for step in steps.iter().rev() {
        let (Step::New(path) | Step::Remove(path)) = step;
        let target = out.join(path);
        if let Step::New(_) = step
            && !dir.join(path).exists()
            && fs::symlink_metadata(&target).is_ok_and(|meta| meta.is_file())
        {
            let _ = move_file(&target, &dir.join(path));
        }
        let old = dir.join(OLD).join(path);
        if fs::symlink_metadata(&old).is_ok() {
            let _ = move_file(&old, &target);
        }
    }
}

/// Moves the staged files of `files` (output-relative path, and whether it was staged) from
/// `dir` into `out`, removes the files of `out` not in `files`, and rolls back on failure;
/// stopped where `stop` says. True when it ran to the end.
pub(super) fn commit(out: &Path, dir: &Path, files: &[(String, bool)], stop: Stop) -> Result<bool> {
    let kept: FxHashSet<PathBuf> = files
        .iter()
        .map(|(path, _)| PathBuf::from(path))
        .chain([PathBuf::from(MARKER)])
        .collect();
    // Stale files go first, so that a file may take the place of an old folder.
    let mut steps = Vec::new();
    stale_files(out, Path::new(""), &kept, &mut steps)?;
    steps.extend(
        (files.iter())
            .filter(|(_, staged)| *staged)
            .map(|(path, _)| Step::New(path.clone())),
    );
    write_log(dir, &steps)?;
    for (done, step) in steps.iter().enumerate() {
        if stop == Stop::CrashAfter(done) {
            // As if killed here: the next build recovers from the log.
            return Ok(false);
        }
        let applied = if stop == Stop::FailAt(done) {
            Err(Error::WriteFile {
                path: out.join("injected"),
                source: io::Error::other("injected failure"),
            })
        } else {
            apply(out, dir, step)
        };
        if let Err(error) = applied {
            rollback(out, dir, &steps[..=done]);
            remove_empty_folders(out, Path::new(""));
            return Err(error);
        }
    }
    // The commit point: from here on the new site stands.
    let _ = fs::remove_file(dir.join(COMMIT_LOG));
    remove_empty_folders(out, Path::new(""));
    if !out.join(MARKER).is_file() {
        write_file(&out.join(MARKER), MARKER_TEXT.as_bytes())?;
    }
    let _ = fs::remove_dir_all(dir);
    Ok(true)
}

/// The largest commit log read: a line per file, so millions of files.
const MAX_LOG_BYTES: u64 = 1 << 30;

/// Rolls back the commit logged in the staging folder `dir`, if it holds a log.
pub(super) fn recover_from(out: &Path, dir: &Path) {
    let log = crate::content::load::read_own_file(&dir.join(COMMIT_LOG), MAX_LOG_BYTES)
        .and_then(|bytes| String::from_utf8(bytes).ok());
    if let Some(log) = log {
        let steps: Vec<Step> = log.lines().filter_map(Step::parse).collect();
        rollback(out, dir, &steps);
        remove_empty_folders(out, Path::new(""));
    }
}
