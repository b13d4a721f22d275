//! The send journal: what happened to each recipient of one issue on one list.
//!
//! Append-only, one line per outcome, written with a single `write` and flushed as each
//! delivery is confirmed, so a `kill -9` loses at most the line being written (a partial last
//! line is ignored on reading). A re-run skips every address with a `delivered` line. Data
//! is `fsync`ed every [`SYNC_EVERY`] records and at the end, which also covers power loss.
//!
//! ```text
//! delivered\tann@example.com\t<2026-w25.3f2a…@example.org>\t2026-06-17T08:00:01Z
//! failed\tbob@example.com\t550 5.1.1 mailbox unavailable\t2026-06-17T08:00:02Z
//! ```

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::send::subscribers::address_key;

/// How many records may wait in the OS before the journal is synced to disk.
pub const SYNC_EVERY: usize = 64;

/// An open journal.
pub struct Journal {
    path: PathBuf,
    file: File,
    unsynced: usize,
}

/// What a journal already says.
#[derive(Debug, Default)]
pub struct History {
    /// Hashes of the addresses already delivered to.
    pub delivered: HashSet<u128>,
    /// How many lines record failures.
    pub failed: usize,
}

impl Journal {
    /// Opens (creating) the journal at `path` and reads its history.
    ///
    /// # Errors
    ///
    /// The I/O error, with the path in its message.
    pub fn open(path: &Path) -> Result<(Journal, History)> {
        let failed = |action| {
            move |source| Error::Journal {
                path: path.to_path_buf(),
                action,
                source,
            }
        };
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(failed("create"))?;
        }
        let mut history = History::default();
        if let Ok(text) = fs::read_to_string(path) {
            // Only complete lines count: a line cut short by a crash is not a delivery.
            let complete = text.rfind('\n').map_or("", |end| &text[..end]);
            for line in complete.lines() {
                let mut fields = line.split('\t');
                match (fields.next(), fields.next()) {
                    (Some("delivered"), Some(email)) => {
                        history.delivered.insert(address_key(email));
                    }
                    (Some("failed"), Some(_)) => history.failed += 1,
                    _ => {}
                }
            }
            if !text.is_empty() && !text.ends_with('\n') {
                // Cut the partial line so the next record starts on a line of its own.
                let keep = complete.len() + usize::from(!complete.is_empty());
                let file = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(failed("repair"))?;
                file.set_len(keep as u64).map_err(failed("repair"))?;
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(failed("open"))?;
        Ok((
            Journal {
                path: path.to_path_buf(),
                file,
                unsynced: 0,
            },
            history,
        ))
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a delivery.
    ///
    /// # Errors
    ///
    /// The I/O error; the caller must stop sending, since the journal is the record.
    pub fn delivered(&mut self, email: &str, message_id: &str) -> Result<()> {
        self.append(&format!("delivered\t{email}\t{message_id}\t{}\n", now()))
    }

    /// Records a permanent failure.
    ///
    /// # Errors
    ///
    /// As [`Journal::delivered`].
    pub fn failed(&mut self, email: &str, reason: &str) -> Result<()> {
        let reason = reason.replace(['\t', '\n', '\r'], " ");
        self.append(&format!("failed\t{email}\t{reason}\t{}\n", now()))
    }

    fn append(&mut self, line: &str) -> Result<()> {
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|source| self.error("write", source))?;
        self.unsynced += 1;
        if self.unsynced >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
    }

    /// Forces recorded lines to disk.
    ///
    /// # Errors
    ///
    /// As [`Journal::delivered`].
    pub fn sync(&mut self) -> Result<()> {
        self.unsynced = 0;
        self.file
            .sync_data()
            .map_err(|source| self.error("sync", source))
    }

    fn error(&self, action: &'static str, source: std::io::Error) -> Error {
        Error::Journal {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_deliveries_and_ignores_a_cut_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sends/2026-w25.journal");
        let (mut journal, history) = Journal::open(&path).unwrap();
        assert!(history.delivered.is_empty());
        journal
            .delivered("ann@example.com", "<a@example.org>")
            .unwrap();
        journal.failed("bob@example.com", "550 no\tsuch").unwrap();
        drop(journal);
        // A crash in the middle of a write.
        let mut text = fs::read_to_string(&path).unwrap();
        text.push_str("delivered\tcat@exa");
        fs::write(&path, text).unwrap();
        let (mut journal, history) = Journal::open(&path).unwrap();
        assert!(history.delivered.contains(&address_key("ANN@example.com")));
        assert!(!history.delivered.contains(&address_key("cat@example.com")));
        assert_eq!(history.failed, 1);
        journal
            .delivered("cat@example.com", "<c@example.org>")
            .unwrap();
        let lines: Vec<String> = fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].starts_with("failed\tbob@example.com\t550 no such\t"));
        assert!(lines[2].starts_with("delivered\tcat@example.com\t<c@example.org>\t"));
    }
}
