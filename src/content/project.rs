//! Where a newsletter's files are: the root folder and the paths under it.

use std::path::{Path, PathBuf};

/// The folders and files of one newsletter.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The newsletter folder (`-C`, or the current folder).
    pub root: PathBuf,
    /// `config.yaml`.
    pub config: PathBuf,
    /// `briefs/`, where the cards live.
    pub briefs: PathBuf,
    /// `templates/`, where overrides live.
    pub templates: PathBuf,
}

impl Paths {
    /// The paths of the newsletter at `root`.
    pub fn new(root: &Path) -> Paths {
        Paths {
            root: root.to_path_buf(),
            config: root.join("config.yaml"),
            briefs: root.join("briefs"),
            templates: root.join("templates"),
        }
    }
}
