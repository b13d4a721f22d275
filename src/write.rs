//! Puts rendered outputs on disk, all or nothing.
//!
//! A full build writes every file into a fresh folder beside the output folder and swaps it
//! in only once everything is written, so a failed build leaves the published site
//! byte-for-byte as it was, and files of deleted cards disappear. A folder is only ever
//! replaced if briefing made it (it holds [`MARKER`]) or it is empty: pointing `--out` at a
//! folder of yours never deletes it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::render::{Output, Sink};

/// The file that marks a folder as briefing's output.
pub const MARKER: &str = ".briefing-output";

const MARKER_TEXT: &str =
    "This folder is written by `briefing build` and replaced on every build.\n";

/// A fresh folder beside the output that files are written into as they are rendered, and
/// that replaces the output only on [`Staging::commit`]. Dropped uncommitted, it is removed.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    old: PathBuf,
    committed: bool,
    /// Folders made (or being made): a file in a new folder then costs no failed open first.
    made: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
}

impl Staging {
    /// Prepares to replace `out`.
    ///
    /// # Errors
    ///
    /// [`Error::ForeignOutput`] when `out` holds files briefing did not write,
    /// [`Error::WriteFile`] when the staging folder cannot be made.
    pub fn new(out: &Path) -> Result<Staging> {
        ensure_ours(out)?;
        let name = out
            .file_name()
            .map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let pid = std::process::id();
        let staging = Staging {
            out: out.to_path_buf(),
            dir: parent.join(format!(".{name}.staging-{pid}")),
            old: parent.join(format!(".{name}.old-{pid}")),
            committed: false,
            made: std::sync::Mutex::default(),
        };
        if staging.dir.exists() {
            fs::remove_dir_all(&staging.dir).map_err(|source| Error::WriteFile {
                path: staging.dir.clone(),
                source,
            })?;
        }
        write_file(&staging.dir.join(MARKER), MARKER_TEXT.as_bytes())?;
        Ok(staging)
    }

    /// Swaps the staged folder in for the output.
    ///
    /// # Errors
    ///
    /// [`Error::WriteFile`]; the output is then as it was.
    pub fn commit(mut self) -> Result<()> {
        let had_old = self.out.exists();
        if had_old {
            fs::rename(&self.out, &self.old).map_err(|source| Error::WriteFile {
                path: self.out.clone(),
                source,
            })?;
        }
        if let Err(source) = fs::rename(&self.dir, &self.out) {
            if had_old {
                let _ = fs::rename(&self.old, &self.out);
            }
            return Err(Error::WriteFile {
                path: self.out.clone(),
                source,
            });
        }
        self.committed = true;
        if had_old {
            let _ = fs::remove_dir_all(&self.old);
        }
        Ok(())
    }
}

impl Sink for Staging {
    fn put(&self, output: Output) -> Result<()> {
        let path = self.dir.join(&output.path);
        if let Some(parent) = path.parent().filter(|parent| *parent != self.dir) {
            let new = self
                .made
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(parent.to_path_buf());
            // Made outside the lock; a file for the same folder meanwhile makes it itself.
            if new {
                fs::create_dir_all(parent).map_err(|source| Error::WriteFile {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
        }
        write_file(&path, &output.bytes)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
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

fn ensure_ours(out: &Path) -> Result<()> {
    match fs::read_dir(out) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::WriteFile {
            path: out.to_path_buf(),
            source,
        }),
        Ok(mut entries) => {
            if out.join(MARKER).is_file() || entries.next().is_none() {
                Ok(())
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
