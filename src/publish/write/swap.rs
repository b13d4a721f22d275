//! The commit that replaces the whole output in one step: the new site is put together
//! beside the old one (changed files written, unchanged ones hard-linked, so they keep their
//! inode and modification time) and exchanged with the output by one
//! `renameat2(RENAME_EXCHANGE)`. A reader of the output sees the old site or the new one at
//! every instant; a build killed at any moment leaves one of them whole, with nothing to
//! repair (the next build only removes the folder left beside it). The published tree never
//! holds a staging folder.
//!
//! Nothing is synced, neither the new files one by one (a rebuild after a template change
//! rewrites every page, and syncing the whole file system waits for everything else on it
//! too) nor the folder after the exchange (on a slow disk that waited for the journal to
//! take every link and folder of the new tree): a power cut right after a build can leave
//! the old site, or the new one with files the file system had not written yet, as after
//! any program that writes files. A deploy that must survive that runs `sync` after
//! `build`, as the README says.

use std::fs;
use std::io;
use std::path::Path;

use super::{MARKER, MARKER_TEXT, Stop, write_file};
use crate::error::{Error, Result};

/// Whether `out` can be swapped whole: on Linux, a real folder (not a link to one elsewhere,
/// which a swap would replace) on the same file system as its parent (not a mount point).
pub(super) fn supported(out: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt as _;
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        match (fs::symlink_metadata(out), fs::metadata(parent)) {
            (Ok(own), Ok(parent)) => own.is_dir() && own.dev() == parent.dev(),
            _ => false,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = out;
        false
    }
}

/// What a swap came to.
pub(super) enum Swapped {
    /// The new site is the output; the old one is gone.
    Done,
    /// Stopped where a test said, as if killed.
    Stopped,
    /// The file system refused the exchange: the staging folder holds the new site's changed
    /// files (and links to the rest), for the in-place commit.
    Unsupported,
}

/// Completes the new site in `dir` (links to the unchanged files of `out`, and the marker)
/// and exchanges it with `out`, then removes the old site (now in `dir`).
pub(super) fn commit(
    out: &Path,
    dir: &Path,
    files: &[(String, bool)],
    stop: Stop,
) -> Result<Swapped> {
    // Unchanged files were linked in as they were rendered ([`super::Staging`]'s `put`).
    let _ = files;
    // The new root takes the old one's permissions (a web server's group may need them).
    if let Ok(meta) = fs::metadata(out) {
        let _ = fs::set_permissions(dir, meta.permissions());
    }
    let marker = dir.join(MARKER);
    if link_or_copy(&out.join(MARKER), &marker).is_err() {
        write_file(&marker, MARKER_TEXT.as_bytes())?;
    }
    if stop == Stop::CrashAfter(0) {
        return Ok(Swapped::Stopped);
    }
    if exchange(dir, out).is_err() {
        return Ok(Swapped::Unsupported);
    }
    if stop == Stop::CrashAfter(1) {
        return Ok(Swapped::Stopped);
    }
    // The old site, now in `dir`: removed (a reader with a file open keeps reading it).
    let _ = fs::remove_dir_all(dir);
    Ok(Swapped::Done)
}

/// Makes `to` the file `from` is: a hard link, or a copy where the file system has none.
pub(super) fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    let failed = |source| Error::WriteFile {
        path: to.to_path_buf(),
        source,
    };
    let linked = fs::hard_link(from, to).or_else(|e| {
        if e.kind() == io::ErrorKind::NotFound
            && let Some(parent) = to.parent()
            && from.exists()
        {
            fs::create_dir_all(parent)?;
            return fs::hard_link(from, to);
        }
        Err(e)
    });
    match linked {
        Ok(()) => Ok(()),
        Err(_) => {
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent).map_err(failed)?;
            }
            fs::copy(from, to).map(drop).map_err(failed)
        }
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}
