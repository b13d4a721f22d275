//! Puts rendered outputs on disk, all or nothing.
//!
//! A full build stages every new or changed file in a folder of its own (beside a new
//! output, inside an existing one) and touches the output only once everything is rendered,
//! so a failed build leaves the published site byte-for-byte as it was. Then the staged files
//! are renamed in (each file replaced at once, never half-written), files of deleted cards
//! are removed, and files whose bytes did not change are left as they were: they keep their
//! modification time, so `rsync` and deploy tools upload only what changed, and the file
//! system does not free and allocate an inode for every page of the archive on every build.
//! A folder is only ever written into if briefing made it (it holds [`MARKER`]) or it is
//! empty: pointing `--out` at a folder of yours never deletes it.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rustc_hash::FxHashSet;

use crate::error::{Error, Result};
use crate::render::{Output, Sink};

/// The file that marks a folder as briefing's output.
pub const MARKER: &str = ".briefing-output";

/// The start of the name of the folder inside an existing output that a build stages its
/// changed files in.
const STAGING: &str = ".briefing-staging-";

/// How long after its last change another build's staging folder is taken to be left by a
/// build that was killed, and removed.
const STAGING_ABANDONED: std::time::Duration = std::time::Duration::from_secs(3600);

const MARKER_TEXT: &str = "This folder is written by `briefing build`: every build makes it \
                           match the cards and removes\nfiles it did not write.\n";

/// A folder that new and changed files are written into as they are rendered;
/// [`Staging::commit`] moves them into the output. Dropped uncommitted, it is removed and the
/// output is untouched.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    /// The output did not exist: the staging folder becomes it whole.
    fresh: bool,
    committed: bool,
    /// Every file of this build, and whether it was staged (new or changed).
    files: Mutex<Vec<(String, bool)>>,
    /// Folders made (or being made): a file in a new folder then costs no failed open first.
    made: Mutex<FxHashSet<PathBuf>>,
}

impl Staging {
    /// Prepares to replace `out`.
    ///
    /// # Errors
    ///
    /// [`Error::ForeignOutput`] when `out` holds files briefing did not write,
    /// [`Error::WriteFile`] when the staging folder cannot be made.
    pub fn new(out: &Path) -> Result<Staging> {
        let fresh = ensure_ours(out)?;
        let name = out
            .file_name()
            .map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let pid = std::process::id();
        // Inside an existing output, so that every rename stays on its file system even when
        // the output is a mount (a container's volume).
        let dir = if fresh {
            parent.join(format!(".{name}.staging-{pid}"))
        } else {
            out.join(format!("{STAGING}{pid}"))
        };
        let staging = Staging {
            out: out.to_path_buf(),
            dir,
            fresh,
            committed: false,
            files: Mutex::default(),
            made: Mutex::default(),
        };
        if staging.dir.exists() {
            fs::remove_dir_all(&staging.dir).map_err(|source| Error::WriteFile {
                path: staging.dir.clone(),
                source,
            })?;
        }
        if fresh {
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
        (!self.fresh).then(|| {
            lock(&self.files)
                .iter()
                .filter(|(_, staged)| *staged)
                .count()
        })
    }

    /// Moves the staged files into the output and removes the files this build did not make.
    ///
    /// # Errors
    ///
    /// [`Error::WriteFile`]. Files already moved stay; each file is whole, old or new.
    pub fn commit(mut self) -> Result<()> {
        if self.fresh {
            fs::rename(&self.dir, &self.out).map_err(|source| Error::WriteFile {
                path: self.out.clone(),
                source,
            })?;
            self.committed = true;
            return Ok(());
        }
        let files = std::mem::take(&mut *lock(&self.files));
        let kept: FxHashSet<PathBuf> = files
            .iter()
            .map(|(path, _)| PathBuf::from(path))
            .chain([PathBuf::from(MARKER)])
            .collect();
        // Stale files go first, so that a file may take the place of an old folder.
        let staging = self.dir.file_name().map(PathBuf::from);
        remove_stale(&self.out, Path::new(""), &kept, staging.as_deref())?;
        let mut made = FxHashSet::default();
        for (path, _) in files.iter().filter(|(_, staged)| *staged) {
            let target = self.out.join(path);
            if let Some(parent) = target.parent()
                && made.insert(parent.to_path_buf())
            {
                fs::create_dir_all(parent).map_err(|source| Error::WriteFile {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            fs::rename(self.dir.join(path), &target).map_err(|source| Error::WriteFile {
                path: target.clone(),
                source,
            })?;
        }
        if !self.out.join(MARKER).is_file() {
            write_file(&self.out.join(MARKER), MARKER_TEXT.as_bytes())?;
        }
        let _ = fs::remove_dir_all(&self.dir);
        self.committed = true;
        Ok(())
    }

    fn stage(&self, path: &str, bytes: &[u8]) -> Result<()> {
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
        write_file(&path, bytes)
    }
}

impl Sink for Staging {
    fn put(&self, output: Output) -> Result<()> {
        let Output { path, bytes } = output;
        let staged = self.fresh || !holds(&self.out.join(&path), &bytes);
        if staged {
            self.stage(&path, &bytes)?;
        }
        lock(&self.files).push((path, staged));
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
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

/// Removes every file under `out/relative` that is not in `kept`, and the folders this
/// leaves empty; the `staging` folder (relative to `out`) and other builds' recent ones are
/// passed over.
fn remove_stale(
    out: &Path,
    relative: &Path,
    kept: &FxHashSet<PathBuf>,
    staging: Option<&Path>,
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
            // This build's, or another's that may still be running; one left by a build that
            // was killed goes once it is an hour old.
            let recent = (entry.metadata().and_then(|m| m.modified()))
                .is_ok_and(|at| at.elapsed().unwrap_or_default() < STAGING_ABANDONED);
            if Some(path.as_path()) != staging && !recent {
                let _ = fs::remove_dir_all(out.join(&path));
            }
            continue;
        }
        if entry.file_type().map_err(failed)?.is_dir() {
            remove_stale(out, &path, kept, staging)?;
            // Fails, as it should, while the folder still holds files of this build.
            let _ = fs::remove_dir(out.join(&path));
        } else if !kept.contains(&path) {
            fs::remove_file(out.join(&path)).map_err(|source| Error::WriteFile {
                path: out.join(&path),
                source,
            })?;
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
/// As [`publish`].
pub fn update(outputs: &[Output], out: &Path) -> Result<()> {
    ensure_ours(out)?;
    write_file(&out.join(MARKER), MARKER_TEXT.as_bytes())?;
    for output in outputs {
        let path = out.join(&output.path);
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{}",
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            std::process::id()
        ));
        write_file(&tmp, &output.bytes)?;
        fs::rename(&tmp, &path).map_err(|source| Error::WriteFile { path, source })?;
    }
    Ok(())
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
    fn tree(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
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
    fn changes_are_staged_inside_an_existing_output_and_a_killed_builds_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        publish(&[output("a.html", "1")], &out).unwrap();
        // Another build's, running now, and one a killed build left two hours ago.
        fs::create_dir_all(out.join(".briefing-staging-999998")).unwrap();
        fs::create_dir_all(out.join(".briefing-staging-999999/b")).unwrap();
        fs::write(out.join(".briefing-staging-999999/b/c.html"), "killed").unwrap();
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        fs::File::open(out.join(".briefing-staging-999999"))
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        let staging = Staging::new(&out).unwrap();
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
                (PathBuf::from("a.html"), Some(b"2".to_vec())),
            ]
        );
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
