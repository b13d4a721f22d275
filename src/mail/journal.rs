//! The send journal: what happened to each recipient of one issue on one list, through one
//! destination.
//!
//! Append-only, one line per event, each written with a single `write` and flushed before the
//! run goes on. An `attempt` line is written before a message's data goes out, and its
//! outcome (`delivered` or `failed`) after, so a `kill -9` at any moment leaves either an
//! outcome or an attempt without one: that recipient is *in doubt* (the server may or may not
//! have the message), and a re-run sends it again with the same Message-ID, which lets
//! mailbox providers that drop duplicates by Message-ID drop it. Data is `fsync`ed every
//! [`SYNC_EVERY`] records and at the end, which also covers power loss.
//!
//! Read line by line: a damaged line (a full disk can cut one inside a multi-byte address)
//! is reported with its number and skipped, never the whole file; a last line cut short by a
//! crash is dropped. One run at a time holds a journal: an exclusive lock on a `.lock` file
//! beside it, which the system releases when the process ends, however it ends.
//!
//! ```text
//! attempt\tann@example.com\t<2026-w25.3f2a…@example.org>\t2026-06-17T08:00:01Z
//! delivered\tann@example.com\t<2026-w25.3f2a…@example.org>\t2026-06-17T08:00:01Z
//! failed\tbob@example.com\t550 5.1.1 mailbox unavailable\t2026-06-17T08:00:02Z
//! ```

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::audience::list::address_key;
use crate::error::{Error, Result};

/// How many records may wait in the OS before the journal is synced to disk.
pub const SYNC_EVERY: usize = 64;

/// An open journal, held by this run alone.
pub struct Journal {
    path: PathBuf,
    file: File,
    unsynced: usize,
    /// Holds the lock until the journal is dropped.
    _lock: File,
}

/// What a journal already says.
#[derive(Debug, Default)]
pub struct History {
    /// Hashes of the addresses already delivered to.
    pub delivered: HashSet<u128>,
    /// Hashes of the addresses whose last attempt has no outcome: the run that tried them
    /// ended before the server's answer was recorded.
    pub in_doubt: HashSet<u128>,
    /// How many lines record failures.
    pub failed: usize,
    /// The numbers of damaged lines, which were skipped.
    pub damaged: Vec<usize>,
}

impl Journal {
    /// Locks and opens (creating) the journal at `path`, and reads its history.
    ///
    /// # Errors
    ///
    /// [`Error::SendRunning`] when another run holds the journal, [`Error::Journal`] when it
    /// cannot be created, read or repaired.
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
        let lock = lock(path)?;
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(failed("open"))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(failed("read"))?;
        // Only complete lines count: a line cut short by a crash is not an outcome.
        let complete = bytes
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |end| end + 1);
        if complete < bytes.len() {
            // Cut the partial line so the next record starts on a line of its own.
            file.set_len(complete as u64).map_err(failed("repair"))?;
            file.seek(std::io::SeekFrom::End(0))
                .map_err(failed("repair"))?;
        }
        let history = read_history(&bytes[..complete]);
        Ok((
            Journal {
                path: path.to_path_buf(),
                file,
                unsynced: 0,
                _lock: lock,
            },
            history,
        ))
    }

    /// Records that a message to `email` is about to go out.
    ///
    /// # Errors
    ///
    /// The I/O error; the caller must not send the message, since the journal is the record.
    pub fn attempt(&mut self, email: &str, message_id: &str) -> Result<()> {
        self.append(&format!("attempt\t{email}\t{message_id}\t{}\n", now()))
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

/// Takes the lock of the journal at `path`, writing this process's id into the lock file so
/// that a second run can say who holds it.
fn lock(path: &Path) -> Result<File> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let failed = |source| Error::Journal {
        path: lock_path.clone(),
        action: "lock",
        source,
    };
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&lock_path)
        .map_err(failed)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Err(Error::SendRunning {
                journal: path.to_path_buf(),
                pid: holder.trim().parse().ok(),
            });
        }
        Err(TryLockError::Error(source)) => return Err(failed(source)),
    }
    file.set_len(0)
        .and_then(|()| file.write_all(std::process::id().to_string().as_bytes()))
        .and_then(|()| file.flush())
        .map_err(failed)?;
    Ok(file)
}

/// Reads complete journal lines; a line that is not UTF-8 or not a record is noted and
/// skipped.
fn read_history(bytes: &[u8]) -> History {
    let mut history = History::default();
    // Addresses whose last attempt has no outcome after it.
    let mut open: HashSet<u128> = HashSet::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let Ok(line) = std::str::from_utf8(line) else {
            history.damaged.push(index + 1);
            continue;
        };
        let mut fields = line.split('\t');
        let (kind, email, detail, time) =
            (fields.next(), fields.next(), fields.next(), fields.next());
        let (Some(kind), Some(email), Some(_), Some(_)) = (kind, email, detail, time) else {
            history.damaged.push(index + 1);
            continue;
        };
        if email.is_empty() || !email.contains('@') {
            history.damaged.push(index + 1);
            continue;
        }
        let key = address_key(email);
        match kind {
            "attempt" => {
                open.insert(key);
            }
            "delivered" => {
                open.remove(&key);
                history.delivered.insert(key);
            }
            "failed" => {
                open.remove(&key);
                history.failed += 1;
            }
            _ => history.damaged.push(index + 1),
        }
    }
    history.in_doubt = open
        .into_iter()
        .filter(|key| !history.delivered.contains(key))
        .collect();
    history
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

    #[test]
    fn damaged_lines_are_skipped_and_attempts_without_outcome_are_in_doubt() {
        let history = read_history(
            b"attempt\tann@example.com\t<a@x>\tT\n\
              delivered\tann@example.com\t<a@x>\tT\n\
              garbage\xff\n\
              attempt\tbob@example.com\t<b@x>\tT\n\
              attempt\tcat@example.com\t<c@x>\tT\n\
              failed\tcat@example.com\t550 no\tT\n\
              sent\tdan@example.com\t<d@x>\tT\n\
              delivered\tno-at-sign\t<e@x>\tT\n\
              attempt\tonly-two-fields\n",
        );
        assert_eq!(history.damaged, [3, 7, 8, 9]);
        assert!(history.delivered.contains(&address_key("ann@example.com")));
        assert_eq!(history.failed, 1);
        let in_doubt: HashSet<u128> = [address_key("BOB@example.com")].into();
        assert_eq!(history.in_doubt, in_doubt);
    }

    #[test]
    fn a_second_open_of_a_held_journal_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2026-w25.journal");
        let (first, _) = Journal::open(&path).unwrap();
        match Journal::open(&path) {
            Err(Error::SendRunning { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("a second run got the journal"),
        }
        drop(first);
        assert!(Journal::open(&path).is_ok());
    }
}
