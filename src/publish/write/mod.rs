//! Puts rendered outputs on disk, all or nothing.
//!
//! A full build stages every new or changed file in a folder of its own and touches the
//! output only once everything is rendered, so a failed build leaves the published site
//! byte-for-byte as it was. Files whose bytes did not change are never rewritten: they keep
//! their inode and modification time, so `rsync` and deploy tools upload only what changed.
//! A folder is only ever written into if briefing made it (it holds [`MARKER`]) or it is
//! empty: pointing `--out` at a folder of yours never deletes it.
//!
//! How the new site replaces the old depends on where the output is:
//! - **A new output**: the staging folder beside it is renamed into its place.
//! - **An existing folder on Linux** (the usual case): [`swap`]. The new site is put together
//!   beside the old one and exchanged with it in one step, so a reader sees the old site or
//!   the new one at every instant, and a build killed at any moment leaves one of them whole.
//! - **A mount point, a link to a folder elsewhere, or another system**: [`in_place`]. The
//!   staged files are renamed in one by one under a synced log, so a failure is rolled back
//!   at once and a crash by the next build; meanwhile readers may see a mixture.
//!
//! Each build holds a lock on its staging folder, so the next build can tell a killed
//! build's folder (removed at once) from one that is still running (left alone).

mod in_place;
mod swap;

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rustc_hash::FxHashSet;

use crate::error::{Error, Result};
use crate::publish::render::{Output, Sink};

/// The file that marks a folder as briefing's output.
pub const MARKER: &str = ".briefing-output";

/// The start of the name of the folder inside an existing output that an in-place build
/// stages its changed files in.
const STAGING: &str = ".briefing-staging-";

/// The commit log in a staging folder: present from before the first rename of an in-place
/// commit until after the last.
const COMMIT_LOG: &str = ".commit";

/// The lock file in a staging folder, held by the build that stages there (beside the
/// folder, as `<folder>.lock`, for a swap: the folder becomes the site).
const LOCK: &str = ".lock";

/// Where an in-place commit keeps the files it replaces or removes, inside the staging
/// folder.
const OLD: &str = ".old";

const MARKER_TEXT: &str = "This folder is written by `briefing build`: every build makes it \
                           match the cards and removes\nfiles it did not write.\n";

/// How a build's staging folder becomes the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// There was no output: the staging folder beside it is renamed into its place.
    Fresh,
    /// The staging folder beside the output is completed and exchanged with it.
    Swap,
    /// The staging folder inside the output; files are renamed in one by one.
    InPlace,
}

/// A folder that new and changed files are written into as they are rendered;
/// [`Staging::commit`] makes them the output. Dropped uncommitted, it is removed and the
/// output is untouched.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    mode: Mode,
    committed: bool,
    /// Every file of this build, and whether it was staged (new or changed).
    files: Mutex<Vec<(String, bool)>>,
    /// Folders made (or being made): a file in a new folder then costs no failed open first.
    made: Mutex<FxHashSet<PathBuf>>,
    /// Holds the staging folder's lock while this build lives, and where the lock file is.
    _lock: fs::File,
    lock_path: PathBuf,
}

/// Where a commit stops, for the tests of recovery and rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// It runs to the end.
    Never,
    /// As if killed after this many steps: the log stays, nothing is rolled back.
    CrashAfter(usize),
    /// As if this step failed (a full disk): the commit rolls back and errs.
    FailAt(usize),
}

impl Staging {
    /// Prepares to replace `out`.
    ///
    /// # Errors
    ///
    /// [`Error::ForeignOutput`] when `out` holds files briefing did not write,
    /// [`Error::WriteFile`] when the staging folder cannot be made.
    pub fn new(out: &Path) -> Result<Staging> {
        recover(out)?;
        let mode = if ensure_ours(out)? {
            Mode::Fresh
        } else if swap::supported(out) {
            Mode::Swap
        } else {
            Mode::InPlace
        };
        Staging::with_mode(out, mode)
    }

    fn with_mode(out: &Path, mode: Mode) -> Result<Staging> {
        let name = out
            .file_name()
            .map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let pid = std::process::id();
        let dir = match mode {
            Mode::Fresh => parent.join(format!(".{name}.staging-{pid}")),
            Mode::Swap => parent.join(format!(".{name}.next-{pid}")),
            // Inside the output, so that every rename stays on its file system when the
            // output is a mount (a container's volume).
            Mode::InPlace => out.join(format!("{STAGING}{pid}")),
        };
        let lock_path = match mode {
            Mode::Swap => lock_beside(&dir),
            Mode::Fresh | Mode::InPlace => dir.join(LOCK),
        };
        let failed = |source| Error::WriteFile {
            path: dir.clone(),
            source,
        };
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(failed)?;
        }
        fs::create_dir_all(&dir).map_err(failed)?;
        let lock = fs::File::create(&lock_path).map_err(failed)?;
        lock.lock().map_err(failed)?;
        let staging = Staging {
            out: out.to_path_buf(),
            dir,
            mode,
            committed: false,
            files: Mutex::default(),
            made: Mutex::default(),
            _lock: lock,
            lock_path,
        };
        if mode == Mode::Fresh {
            write_file(&staging.dir.join(MARKER), MARKER_TEXT.as_bytes())?;
        }
        Ok(staging)
    }

    /// How many files this build has put so far.
    pub fn files(&self) -> usize {
        lock(&self.files).len()
    }

    /// How many files of this build differ from the output's, when the output existed.
    pub fn changed(&self) -> Option<usize> {
        (self.mode != Mode::Fresh).then(|| {
            lock(&self.files)
                .iter()
                .filter(|(_, staged)| *staged)
                .count()
        })
    }

    /// How many files of the output this build will remove (it did not make them again),
    /// when the output existed: the pages of a deleted card, tag or issue.
    pub fn removed(&self) -> Option<usize> {
        if self.mode == Mode::Fresh {
            return None;
        }
        let made: FxHashSet<String> = lock(&self.files)
            .iter()
            .map(|(path, _)| path.clone())
            .collect();
        let mut removed = 0;
        let mut folders = vec![(self.out.clone(), String::new())];
        while let Some((folder, prefix)) = folders.pop() {
            let Ok(entries) = fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                // briefing's own: the marker, staging folders, commit logs.
                if name.starts_with(".briefing") {
                    continue;
                }
                let path = format!("{prefix}{name}");
                match entry.file_type() {
                    Ok(kind) if kind.is_dir() => folders.push((entry.path(), format!("{path}/"))),
                    Ok(_) if !made.contains(&path) => removed += 1,
                    _ => {}
                }
            }
        }
        Some(removed)
    }

    /// Moves the staged files into the output and removes the files this build did not make.
    ///
    /// # Errors
    ///
    /// [`Error::WriteFile`]. Files already moved stay; each file is whole, old or new.
    pub fn commit(self) -> Result<()> {
        self.commit_until(Stop::Never).map(|_| ())
    }

    /// [`Staging::commit`], stopped where `stop` says; true when it ran to the end.
    fn commit_until(mut self, stop: Stop) -> Result<bool> {
        let files = std::mem::take(&mut *lock(&self.files));
        let finished = match self.mode {
            Mode::Fresh => {
                // The staging folder becomes the output in one rename; its lock goes with it.
                let _ = fs::remove_file(&self.lock_path);
                fs::rename(&self.dir, &self.out).map_err(|source| Error::WriteFile {
                    path: self.out.clone(),
                    source,
                })?;
                true
            }
            Mode::Swap => match swap::commit(&self.out, &self.dir, &files, stop)? {
                swap::Swapped::Done => true,
                swap::Swapped::Stopped => {
                    // As if killed: the folder is left for the next build.
                    self.committed = true;
                    return Ok(false);
                }
                // The file system has no exchange: the files are renamed in instead.
                swap::Swapped::Unsupported => in_place::commit(&self.out, &self.dir, &files, stop)?,
            },
            Mode::InPlace => in_place::commit(&self.out, &self.dir, &files, stop)?,
        };
        if self.mode == Mode::Swap {
            let _ = fs::remove_file(&self.lock_path);
        }
        self.committed = true;
        Ok(finished)
    }

    fn stage(&self, path: &str, bytes: &[u8]) -> Result<()> {
        self.make_parent(path)?;
        write_file(&self.dir.join(path), bytes)
    }

    /// Makes the folder `path` goes in, in the staging folder, the first time a file needs
    /// it: one `mkdir` per folder, none failed first.
    fn make_parent(&self, path: &str) -> Result<()> {
        let path = self.dir.join(path);
        if let Some(parent) = path.parent().filter(|parent| *parent != self.dir) {
            let new = lock(&self.made).insert(parent.to_path_buf());
            // Made outside the lock; a file for the same folder meanwhile makes it itself.
            if new {
                fs::create_dir_all(parent).map_err(|source| Error::WriteFile {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
        }
        Ok(())
    }
}

impl Sink for Staging {
    fn put(&self, output: Output) -> Result<()> {
        let Output { path, bytes } = output;
        let staged = self.mode == Mode::Fresh || !holds(&self.out.join(&path), &bytes);
        if staged {
            self.stage(&path, &bytes)?;
        } else if self.mode == Mode::Swap {
            // The new site is put together as it is rendered, on the render threads: an
            // unchanged file is linked into it now, not in one long pass at the commit.
            self.make_parent(&path)?;
            swap::link_or_copy(&self.out.join(&path), &self.dir.join(&path))?;
        }
        lock(&self.files).push((path, staged));
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
            if self.mode == Mode::Swap {
                let _ = fs::remove_file(&self.lock_path);
            }
        }
    }
}

/// The lock file of a staging folder that sits beside the output.
fn lock_beside(dir: &Path) -> PathBuf {
    let mut name = dir.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether `path` is a file holding exactly `bytes`. Anything unreadable counts as different
/// and is replaced.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    let Ok(mut file) = fs::File::open(path) else {
        return false;
    };
    match file.metadata() {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {}
        _ => return false,
    }
    // One byte more than expected shows a file that grew since it was measured.
    let mut buffer = Vec::with_capacity(bytes.len() + 1);
    file.by_ref()
        .take(bytes.len() as u64 + 1)
        .read_to_end(&mut buffer)
        .is_ok_and(|_| buffer == bytes)
}

/// Rolls back the commits of builds that were killed while moving files into `out`, and
/// removes their staging folders and those of builds killed before committing. A staging
/// folder whose build still runs (it holds the lock) is left alone.
///
/// # Errors
///
/// [`Error::WriteFile`] when a staging folder cannot be read or removed.
pub fn recover(out: &Path) -> Result<()> {
    // (folder, its lock file)
    let mut abandoned: Vec<(PathBuf, PathBuf)> = Vec::new();
    if let Ok(entries) = fs::read_dir(out) {
        abandoned.extend(
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(STAGING))
                .map(|e| (e.path(), e.path().join(LOCK))),
        );
    }
    // A new output's staging folder, and a swap's, sit beside it.
    if let (Some(parent), Some(name)) = (out.parent(), out.file_name()) {
        let name = name.to_string_lossy();
        let (fresh, swapped) = (format!(".{name}.staging-"), format!(".{name}.next-"));
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(entries) = fs::read_dir(parent) {
            for entry in entries.flatten() {
                let file_name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if file_name.starts_with(&fresh) {
                    abandoned.push((path.clone(), path.join(LOCK)));
                } else if file_name.starts_with(&swapped) && !file_name.ends_with(".lock") {
                    abandoned.push((path.clone(), lock_beside(&path)));
                } else if file_name.starts_with(&swapped) {
                    // A lock file whose build was killed after removing its folder.
                    let folder = path.with_file_name(file_name.trim_end_matches(".lock"));
                    let free = fs::File::options()
                        .write(true)
                        .open(&path)
                        .is_ok_and(|file| file.try_lock().is_ok());
                    if free && !folder.exists() {
                        let _ = fs::remove_file(&path);
                    }
                }
            }
        }
    }
    for (dir, lock_file) in abandoned {
        // A staging folder without a lock file is an old one's; with one, it is free only
        // when its build has ended.
        let lock = fs::File::options().write(true).open(&lock_file);
        let held = lock.as_ref().is_ok_and(|file| file.try_lock().is_err());
        if held {
            continue;
        }
        // An in-place commit that was cut short is rolled back from its log. A swap's folder
        // holds either the new site that never went in, or the old one it replaced: either
        // way, the output is whole and the folder only goes.
        in_place::recover_from(out, &dir);
        fs::remove_dir_all(&dir).map_err(|source| Error::WriteFile {
            path: dir.clone(),
            source,
        })?;
        if lock_file.parent() != Some(dir.as_path()) {
            let _ = fs::remove_file(&lock_file);
        }
    }
    Ok(())
}

/// Replaces `out` with exactly `outputs`.
///
/// # Errors
///
/// [`Error::ForeignOutput`] when `out` holds files briefing did not write,
/// [`Error::WriteFile`] when anything cannot be written; `out` is then untouched.
#[cfg(test)]
pub fn publish(outputs: &[Output], out: &Path) -> Result<()> {
    let staging = Staging::new(out)?;
    for output in outputs {
        staging.put(output.clone())?;
    }
    staging.commit()
}

/// Writes `outputs` into `out` in place, replacing each file atomically and leaving other
/// files alone (for builds of single issues).
///
/// # Errors
///
/// [`Error::ForeignOutput`] when `out` holds files briefing did not write,
/// [`Error::WriteFile`] when anything cannot be written.
pub fn update(outputs: &[Output], out: &Path) -> Result<()> {
    recover(out)?;
    ensure_ours(out)?;
    write_file(&out.join(MARKER), MARKER_TEXT.as_bytes())?;
    for output in outputs {
        let path = out.join(&output.path);
        if let Some(folder) = path.parent() {
            remove_killed_temporaries(folder);
        }
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{}",
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            std::process::id()
        ));
        let written = write_file(&tmp, &output.bytes).and_then(|()| {
            fs::rename(&tmp, &path).map_err(|source| Error::WriteFile {
                path: path.clone(),
                source,
            })
        });
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written?;
    }
    Ok(())
}

/// Removes the temporary files in `folder` that [`update`] runs left when they were killed:
/// those whose process is gone.
fn remove_killed_temporaries(folder: &Path) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some((_, pid)) = name.rsplit_once(".tmp-") else {
            continue;
        };
        let alive = pid.parse::<u32>().is_ok_and(|pid| {
            pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists()
        });
        if name.starts_with('.') && !alive {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Checks that `out` may be written into; true when it does not exist yet.
fn ensure_ours(out: &Path) -> Result<bool> {
    match fs::read_dir(out) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(source) => Err(Error::WriteFile {
            path: out.to_path_buf(),
            source,
        }),
        Ok(mut entries) => {
            if out.join(MARKER).is_file() || entries.next().is_none() {
                Ok(false)
            } else {
                Err(Error::ForeignOutput {
                    path: out.to_path_buf(),
                })
            }
        }
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let written = fs::write(path, bytes).or_else(|e| {
        // Most files land in a folder made for an earlier file; create it only when missing.
        let parent = path
            .parent()
            .filter(|_| e.kind() == io::ErrorKind::NotFound)
            .ok_or(e)?;
        fs::create_dir_all(parent)?;
        fs::write(path, bytes)
    });
    written.map_err(|source| Error::WriteFile {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(path: &str, text: &str) -> Output {
        Output {
            path: path.to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn publish_replaces_the_whole_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        publish(
            &[output("a/index.html", "1"), output("old.html", "x")],
            &out,
        )
        .unwrap();
        publish(&[output("a/index.html", "2")], &out).unwrap();
        assert_eq!(fs::read_to_string(out.join("a/index.html")).unwrap(), "2");
        assert!(
            !out.join("old.html").exists(),
            "pages of deleted cards disappear"
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging folders are left behind");
    }

    /// Every file and folder under `dir`, relative, with the files' bytes.
    /// Every path under a folder, with a file's bytes (none for a folder).
    type Tree = Vec<(PathBuf, Option<Vec<u8>>)>;

    fn tree(dir: &Path) -> Tree {
        let mut found = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(dir).unwrap().to_path_buf();
            if path.is_dir() {
                found.push((relative.clone(), None));
                found.extend(
                    tree(&path)
                        .into_iter()
                        .map(|(inner, bytes)| (relative.join(inner), bytes)),
                );
            } else {
                found.push((relative, Some(fs::read(&path).unwrap())));
            }
        }
        found.sort();
        found
    }

    #[test]
    fn a_rebuild_replaces_changed_files_and_leaves_unchanged_ones_as_they_were() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        publish(
            &[
                output("index.html", "same"),
                output("a/index.html", "old1"),
                output("b/index.html", "same too"),
                output("gone/index.html", "deleted card"),
            ],
            &out,
        )
        .unwrap();
        let inode = |path: &str| fs::metadata(out.join(path)).unwrap().ino();
        let (index, a, b) = (
            inode("index.html"),
            inode("a/index.html"),
            inode("b/index.html"),
        );
        let staging = Staging::new(&out).unwrap();
        for (path, text) in [
            ("index.html", "same"),
            ("a/index.html", "new1"),
            ("b/index.html", "same too"),
            ("c/d/index.html", "new card"),
        ] {
            staging.put(output(path, text)).unwrap();
        }
        assert_eq!(
            staging.changed(),
            Some(2),
            "a changed (same length) and c is new"
        );
        staging.commit().unwrap();
        let expected = vec![
            (PathBuf::from(MARKER), Some(MARKER_TEXT.as_bytes().to_vec())),
            (PathBuf::from("a"), None),
            (PathBuf::from("a/index.html"), Some(b"new1".to_vec())),
            (PathBuf::from("b"), None),
            (PathBuf::from("b/index.html"), Some(b"same too".to_vec())),
            (PathBuf::from("c"), None),
            (PathBuf::from("c/d"), None),
            (PathBuf::from("c/d/index.html"), Some(b"new card".to_vec())),
            (PathBuf::from("index.html"), Some(b"same".to_vec())),
        ];
        assert_eq!(
            tree(&out),
            expected,
            "the deleted card's folder is gone too"
        );
        assert_eq!(
            inode("index.html"),
            index,
            "unchanged files are not rewritten"
        );
        assert_eq!(inode("b/index.html"), b);
        assert_ne!(inode("a/index.html"), a, "a changed file is replaced whole");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging folders are left behind");
    }

    #[test]
    fn a_file_may_take_the_place_of_a_folder_and_the_other_way() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        publish(&[output("x/index.html", "folder")], &out).unwrap();
        publish(&[output("x", "file"), output("y/z", "1")], &out).unwrap();
        assert_eq!(fs::read_to_string(out.join("x")).unwrap(), "file");
        publish(
            &[output("x/index.html", "folder again"), output("y", "2")],
            &out,
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(out.join("x/index.html")).unwrap(),
            "folder again"
        );
        assert_eq!(fs::read_to_string(out.join("y")).unwrap(), "2");
    }

    #[test]
    fn an_unfinished_build_leaves_the_output_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        publish(&[output("a.html", "1"), output("b/c.html", "1")], &out).unwrap();
        let before = tree(&out);
        let staging = Staging::new(&out).unwrap();
        staging.put(output("a.html", "2")).unwrap();
        staging.put(output("new.html", "2")).unwrap();
        drop(staging);
        assert_eq!(tree(&out), before);
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "the staging folder is removed");
    }

    #[test]
    fn an_existing_output_is_swapped_whole_and_nothing_is_staged_inside_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        publish(&[output("a.html", "1"), output("b/c.html", "same")], &out).unwrap();
        let staging = Staging::new(&out).unwrap();
        assert_eq!(staging.mode, Mode::Swap);
        staging.put(output("a.html", "2")).unwrap();
        staging.put(output("b/c.html", "same")).unwrap();
        assert_eq!(
            tree(&out).len(),
            4,
            "nothing is staged inside the published tree: {:?}",
            tree(&out)
        );
        staging.commit().unwrap();
        assert_eq!(
            tree(&out),
            vec![
                (PathBuf::from(MARKER), Some(MARKER_TEXT.as_bytes().to_vec())),
                (PathBuf::from("a.html"), Some(b"2".to_vec())),
                (PathBuf::from("b"), None),
                (PathBuf::from("b/c.html"), Some(b"same".to_vec())),
            ]
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "nothing is left beside the output");
    }

    // Regression: a build killed while moving its files in left a mixed site until the next
    // build repaired it. Swapped whole, the output is the old site or the new one at every
    // point a build can be killed, before anything runs again.
    #[test]
    fn a_swap_killed_before_or_after_the_exchange_leaves_one_site_whole() {
        let (old, new) = old_and_new();
        let expected_new = {
            let dir = tempfile::tempdir().unwrap();
            publish(&new, &dir.path().join("o")).unwrap();
            tree(&dir.path().join("o"))
        };
        for (crash_after, expected) in [(0, None), (1, Some(&expected_new))] {
            let (dir, out, before, staging) = staged(&old, &new, Mode::Swap);
            assert!(!staging.commit_until(Stop::CrashAfter(crash_after)).unwrap());
            let whole = expected.unwrap_or(&before);
            assert_eq!(&tree(&out), whole, "killed after step {crash_after}");
            // The next build clears what was left beside, and changes nothing else.
            recover(&out).unwrap();
            assert_eq!(&tree(&out), whole);
            let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
            assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        }
    }

    #[test]
    fn changes_are_staged_inside_an_output_that_cannot_be_swapped_and_a_killed_builds_are_cleared()
    {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        publish(&[output("a.html", "1")], &out).unwrap();
        // Another build's, running now (it holds its lock), and one a killed build left.
        let running = out.join(".briefing-staging-999998");
        fs::create_dir_all(&running).unwrap();
        let held = fs::File::create(running.join(LOCK)).unwrap();
        held.lock().unwrap();
        fs::create_dir_all(out.join(".briefing-staging-999999/b")).unwrap();
        fs::write(out.join(".briefing-staging-999999/b/c.html"), "killed").unwrap();
        fs::write(out.join(".briefing-staging-999999").join(LOCK), "").unwrap();
        recover(&out).unwrap();
        let staging = Staging::with_mode(&out, Mode::InPlace).unwrap();
        assert!(
            !out.join(".briefing-staging-999999").exists(),
            "a killed build's folder goes at once"
        );
        staging.put(output("a.html", "2")).unwrap();
        // The output may be a mount point: only a folder inside it can be renamed from.
        let beside: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(beside.len(), 1, "nothing is staged beside the output");
        assert_eq!(fs::read_to_string(out.join("a.html")).unwrap(), "1");
        staging.commit().unwrap();
        assert_eq!(
            tree(&out),
            vec![
                (PathBuf::from(MARKER), Some(MARKER_TEXT.as_bytes().to_vec())),
                (PathBuf::from(".briefing-staging-999998"), None),
                (
                    PathBuf::from(".briefing-staging-999998/.lock"),
                    Some(Vec::new())
                ),
                (PathBuf::from("a.html"), Some(b"2".to_vec())),
            ]
        );
        drop(held);
    }

    /// An output with files to keep, change, remove and a folder that empties.
    fn old_and_new() -> (Vec<Output>, Vec<Output>) {
        let old = vec![
            output("index.html", "home 1"),
            output("issues/a/index.html", "a"),
            output("issues/b/index.html", "b 1"),
            output("stories/gone/index.html", "gone"),
            output("style.css", "css"),
        ];
        let new = vec![
            output("index.html", "home 2"),
            output("issues/a/index.html", "a"),
            output("issues/b/index.html", "b 2"),
            output("issues/c/index.html", "c"),
            output("style.css", "css"),
        ];
        (old, new)
    }

    /// An output holding `old`, and a build of `new` into it staged and ready to commit:
    /// the folder (kept alive), the output, its files before, and the staging.
    fn staged(
        old: &[Output],
        new: &[Output],
        mode: Mode,
    ) -> (tempfile::TempDir, PathBuf, Tree, Staging) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        publish(old, &out).unwrap();
        let before = tree(&out);
        let staging = Staging::with_mode(&out, mode).unwrap();
        for file in new {
            staging.put(file.clone()).unwrap();
        }
        (dir, out, before, staging)
    }

    // Regression: a build killed or failing while moving its files in left a mixed
    // site. Crashed after every number of steps, the next build's recovery gives back the
    // old site exactly; a finished commit is the new one exactly.
    #[test]
    fn a_commit_interrupted_at_any_step_is_rolled_back_by_the_next_build() {
        let (old, new) = old_and_new();
        let expected_new = {
            let dir = tempfile::tempdir().unwrap();
            publish(&new, &dir.path().join("o")).unwrap();
            tree(&dir.path().join("o"))
        };
        for crash_after in 0.. {
            let (_dir, out, before, staging) = staged(&old, &new, Mode::InPlace);
            let lock_path = staging.dir.join(LOCK);
            if staging.commit_until(Stop::CrashAfter(crash_after)).unwrap() {
                assert!(crash_after > 3, "every step was tried: {crash_after}");
                assert_eq!(tree(&out), expected_new);
                break;
            }
            assert!(lock_path.exists(), "the killed build's folder is left");
            // The process died: its lock is gone with it (here: the Staging was dropped).
            recover(&out).unwrap();
            assert_eq!(tree(&out), before, "crashed after {crash_after} steps");
            // And the next build then publishes the new site whole.
            publish(&new, &out).unwrap();
            assert_eq!(tree(&out), expected_new);
        }
    }

    #[test]
    fn a_commit_that_fails_at_any_step_is_rolled_back_at_once() {
        let (old, new) = old_and_new();
        for fail_at in 0.. {
            let (_dir, out, before, staging) = staged(&old, &new, Mode::InPlace);
            match staging.commit_until(Stop::FailAt(fail_at)) {
                Ok(finished) => {
                    assert!(finished && fail_at > 3, "every step failed once: {fail_at}");
                    break;
                }
                Err(e) => assert!(e.to_string().starts_with("cannot write"), "{e}"),
            }
            assert_eq!(tree(&out), before, "failed at step {fail_at}");
        }
    }

    #[test]
    fn an_empty_folder_becomes_an_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        publish(&[output("index.html", "1")], dir.path()).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("index.html")).unwrap(),
            "1"
        );
        assert!(
            dir.path().join(MARKER).is_file(),
            "later builds may replace it"
        );
    }

    #[test]
    fn refuses_to_replace_a_folder_it_did_not_make() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("precious.txt"), "mine").unwrap();
        let err = publish(&[output("index.html", "1")], dir.path()).unwrap_err();
        assert!(matches!(err, Error::ForeignOutput { .. }));
        assert_eq!(
            fs::read_to_string(dir.path().join("precious.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn update_leaves_other_files_alone() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        publish(&[output("a.html", "1"), output("b.html", "1")], &out).unwrap();
        update(&[output("b.html", "2")], &out).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.html")).unwrap(), "1");
        assert_eq!(fs::read_to_string(out.join("b.html")).unwrap(), "2");
    }
}

/// How a published file stands against what a build would write now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Not in the output folder.
    Missing(String),
    /// There, with other bytes.
    Differs(String),
}

/// The files of `outputs` that `out` lacks or holds with other bytes, in order: what a
/// reader would not see until the next build. Read only; a file that cannot be read counts
/// as missing.
pub fn compare(outputs: &[Output], out: &Path) -> Vec<Published> {
    outputs
        .iter()
        .filter_map(|output| match fs::read(out.join(&output.path)) {
            Ok(bytes) if bytes == output.bytes => None,
            Ok(_) => Some(Published::Differs(output.path.clone())),
            Err(_) => Some(Published::Missing(output.path.clone())),
        })
        .collect()
}
