//! The entries of briefing's content caches (`.briefing/cache/email/`, `.../search/`): one
//! file each, the SHA-256 of its content in hex, a line break, then the content. An entry is
//! written whole or not at all (a temporary file renamed into place), and read only when
//! whole: a damaged, truncated or special file is a miss, never wrong content. A cache that
//! cannot be read or written only costs time.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

/// `bytes` in lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The content of the entry at `path`, when it is a regular file of at most `max` bytes whose
/// checksum holds; it is then marked as used now, so pruning removes the ones used longest
/// ago.
pub fn read(path: &Path, max: u64) -> Option<Vec<u8>> {
    let mut bytes = crate::content::load::read_own_file(path, max)?;
    let (digest, content) = (bytes.get(..64)?, bytes.get(65..)?);
    if bytes.get(64) != Some(&b'\n') || hex(&Sha256::digest(content)).as_bytes() != digest {
        return None;
    }
    if let Ok(file) = fs::File::options().append(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
    bytes.drain(..65);
    Some(bytes)
}

/// Writes `content` as the entry at `path` in `dir`, whole or not at all: into a temporary
/// file unique to this process and thread, then renamed into place, so a concurrent build or
/// a crash never leaves half an entry under its name.
pub fn write(dir: &Path, path: &Path, content: &[u8]) {
    if fs::create_dir_all(dir).is_err() {
        return;
    }
    let Some(name) = path.file_name() else { return };
    // A killed run's leftovers go in `listed`.
    let thread =
        format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_ascii_digit(), "");
    let temp = dir.join(format!(
        ".{}.{}.{thread}.tmp",
        name.to_string_lossy(),
        std::process::id(),
    ));
    let digest = hex(&Sha256::digest(content));
    let written = fs::File::create(&temp).and_then(|mut file| {
        file.write_all(digest.as_bytes())?;
        file.write_all(b"\n")?;
        file.write_all(content)
    });
    if written.and_then(|()| fs::rename(&temp, path)).is_err() {
        let _ = fs::remove_file(&temp);
    }
}

/// The entries in `dir` (regular files): when each was last used, its size and its path,
/// used longest ago first. A temporary file an hour old, left by a killed run, is removed; a
/// newer one may be another run's, still being written, and is left alone.
pub fn listed(dir: &Path) -> Vec<(SystemTime, u64, PathBuf)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        let Ok(modified) = meta.modified() else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        if entry.file_name().to_string_lossy().ends_with(".tmp") {
            if modified < an_hour_ago {
                let _ = fs::remove_file(entry.path());
            }
            continue;
        }
        files.push((modified, meta.len(), entry.path()));
    }
    files.sort();
    files
}
