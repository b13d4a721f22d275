//! What the last `check --links` found, in `.briefing/cache/links` (JSON: URL → when it was
//! checked and the verdict): a second run within `--max-age` asks the network nothing, and
//! `send` warns about sources known dead without touching the network. The file is replaced
//! whole (written aside, then renamed), so a run killed midway leaves the previous one; a
//! damaged file is read as empty, with a warning, and rewritten by the next check.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Verdict;

/// One URL's last check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    /// When, in seconds since 1970 (UTC).
    pub at: i64,
    /// What the server said.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// The cache file of the newsletter at `root`.
pub fn file(root: &Path) -> PathBuf {
    root.join(".briefing").join("cache").join("links")
}

/// The largest cache read: a verdict is under 200 bytes, so this is a million sources.
const MAX_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// The cache at `path`; empty when there is none or it cannot be read (said on stderr).
pub fn read(path: &Path) -> BTreeMap<String, Checked> {
    // A FIFO or a device in its place is not waited on; bytes that are not UTF-8 are damage.
    let Some(bytes) = crate::content::load::read_own_file(path, MAX_CACHE_BYTES) else {
        return BTreeMap::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    serde_json::from_str(&text).unwrap_or_else(|e| {
        say_err!(
            "warning: {} is damaged ({e}); every source is checked again",
            crate::diagnostic::display_path(path)
        );
        BTreeMap::new()
    })
}

/// Replaces the cache at `path` with `entries`.
///
/// # Errors
///
/// The file or its folder cannot be written.
pub fn write(path: &Path, entries: &BTreeMap<String, Checked>) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let text = serde_json::to_string_pretty(entries).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
