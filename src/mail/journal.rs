//! The send journal: what happened to each recipient of one issue through one destination,
//! whatever list they came from.
//!
//! Append-only, one line per event, each written with a single `write` and flushed before the
//! run goes on. An `attempt` line is written before a message's data goes out, and its
//! outcome (`delivered` or `failed`) after, so a `kill -9` at any moment leaves either an
//! outcome or an attempt without one: that recipient is *in doubt* (the server may or may not
//! have the message), and a re-run sends it again with the Message-ID the attempt recorded,
//! which lets mailbox providers that drop duplicates by Message-ID drop it. Data is `fsync`ed
//! every [`SYNC_EVERY`] records and at the end, which also covers power loss.
//!
//! Recipients are recorded by a keyed hash of their address ([`recipient_key`]), never the
//! address: a journal says nothing about who reads without the newsletter's secret, and an
//! erased address leaves nothing in it. The server's words about a failure have the address
//! taken out. Journals of earlier versions (one per list, with addresses written out) are read
//! too, so their deliveries still count.
//!
//! Read line by line: a damaged line (a full disk can cut one inside a record) is reported
//! with its number and skipped, never the whole file; a last line cut short by a crash is
//! dropped. One run at a time holds a journal: an exclusive lock on a `.lock` file beside it,
//! which the system releases when the process ends, however it ends.
//!
//! ```text
//! attempt\t4f0c…(32 hex)\t<2026-w25.9b1e…@example.org>\t2026-06-17T08:00:01Z
//! delivered\t4f0c…\t<2026-w25.9b1e…@example.org>\t2026-06-17T08:00:01Z
//! failed\t77aa…\t550 5.1.1 <(the address)>: mailbox unavailable\t2026-06-17T08:00:02Z
//! ```

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::audience::address::comparable;
use crate::audience::secret::Key;
use crate::error::{Error, Result};

/// How many records may wait in the OS before the journal is synced to disk.
pub const SYNC_EVERY: usize = 64;

/// The journal's name for a recipient: 128 bits of an HMAC of the address as mail systems
/// compare it, keyed with the newsletter's secret.
pub fn recipient_key(secret: &Key, email: &str) -> u128 {
    // HMAC takes keys of any length, so this cannot fail.
    #[allow(clippy::expect_used)]
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"journal\n");
    mac.update(comparable(email).as_bytes());
    let bytes = mac.finalize().into_bytes();
    let mut first = [0u8; 16];
    first.copy_from_slice(&bytes[..16]);
    u128::from_be_bytes(first)
}

/// An open journal, held by this run alone.
pub struct Journal {
    path: PathBuf,
    file: File,
    unsynced: usize,
    secret: Key,
    /// Holds the lock until the journal is dropped.
    _lock: File,
}

/// What a journal already says.
#[derive(Debug, Default)]
pub struct History {
    /// Recipients already delivered to, by [`recipient_key`].
    pub delivered: HashSet<u128>,
    /// Recipients whose last attempt has no outcome, with the Message-ID it was sent with: the
    /// run that tried them ended before the server's answer was recorded.
    pub in_doubt: HashMap<u128, String>,
    /// How many lines record failures.
    pub failed: usize,
    /// The numbers of damaged lines, which were skipped.
    pub damaged: Vec<usize>,
}

impl Journal {
    /// Locks and opens (creating) the journal at `path`, and reads its history and that of the
    /// journals at `earlier` (written by earlier versions, one per list; read, never written).
    ///
    /// # Errors
    ///
    /// [`Error::SendRunning`] when another run holds the journal, [`Error::Journal`] when it
    /// cannot be created, read or repaired.
    pub fn open(path: &Path, earlier: &[PathBuf], secret: &Key) -> Result<(Journal, History)> {
        let failed = |action| {
            move |source| Error::Journal {
                path: path.to_path_buf(),
                action,
                source,
            }
        };
        if let Some(parent) = path.parent() {
            crate::audience::secret::private_dir(parent).map_err(failed("create"))?;
        }
        let lock = lock(path)?;
        let mut file = crate::audience::secret::private_options()
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
        let mut history = History::default();
        for old in earlier {
            if let Ok(bytes) = fs::read(old) {
                read_history(&bytes, secret).merge_into(&mut history);
            }
        }
        let mine = read_history(&bytes[..complete], secret);
        history.damaged = mine.damaged.clone();
        mine.merge_into(&mut history);
        Ok((
            Journal {
                path: path.to_path_buf(),
                file,
                unsynced: 0,
                secret: secret.clone(),
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
        let who = recipient_key(&self.secret, email);
        self.append(&format!("attempt\t{who:032x}\t{message_id}\t{}\n", now()))
    }

    /// Records a delivery.
    ///
    /// # Errors
    ///
    /// The I/O error; the caller must stop sending, since the journal is the record.
    pub fn delivered(&mut self, email: &str, message_id: &str) -> Result<()> {
        let who = recipient_key(&self.secret, email);
        self.append(&format!("delivered\t{who:032x}\t{message_id}\t{}\n", now()))
    }

    /// Records a permanent failure, the server's words without the address.
    ///
    /// # Errors
    ///
    /// As [`Journal::delivered`].
    pub fn failed(&mut self, email: &str, reason: &str) -> Result<()> {
        let who = recipient_key(&self.secret, email);
        let reason = without_address(reason, email).replace(['\t', '\n', '\r'], " ");
        self.append(&format!("failed\t{who:032x}\t{reason}\t{}\n", now()))
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

impl History {
    /// Adds what `self` says to `into`: a delivery anywhere counts; a recipient is in doubt
    /// only where nothing delivered it.
    fn merge_into(self, into: &mut History) {
        into.delivered.extend(self.delivered);
        into.failed += self.failed;
        into.in_doubt.extend(self.in_doubt);
        let delivered = &into.delivered;
        into.in_doubt.retain(|key, _| !delivered.contains(key));
    }
}

/// What the journals of one issue say happened, each recipient counted once by their last
/// outcome in any journal: a delivery anywhere wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcomes {
    /// Recipients a message was attempted to.
    pub sent: usize,
    /// Delivered: the server took the message.
    pub delivered: usize,
    /// Refused for a while (`4xx` until the run gave up): a later run tries them again.
    pub deferred: usize,
    /// Refused for good (`5xx`).
    pub failed: usize,
    /// Attempted with no outcome recorded (the run was killed mid-message).
    pub in_doubt: usize,
    /// When the first message of the issue went out (RFC 3339), if any did.
    pub first_at: Option<String>,
    /// When the last record was written.
    pub last_at: Option<String>,
}

/// The outcomes of issue `slug` (`2026-w25`) in the journals of `sends`: every destination's
/// and every earlier version's. Damaged lines are skipped, as a send skips them.
pub fn outcomes(sends: &Path, slug: &str, secret: &Key) -> Outcomes {
    #[derive(PartialEq)]
    enum Last {
        Attempted,
        Delivered,
        Deferred,
        Failed,
    }
    let mut last: HashMap<u128, Last> = HashMap::new();
    let mut out = Outcomes::default();
    let prefix = format!("{slug}.");
    let Ok(entries) = fs::read_dir(sends) else {
        return out;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".journal"))
        })
        .collect();
    files.sort();
    for file in files {
        let Ok(bytes) = fs::read(&file) else {
            continue;
        };
        for line in bytes.split(|&b| b == b'\n') {
            let Ok(line) = std::str::from_utf8(line) else {
                continue;
            };
            let fields: Vec<&str> = line.split('\t').collect();
            let [kind, who, detail, time] = fields[..] else {
                continue;
            };
            let now = match kind {
                "attempt" => Last::Attempted,
                "delivered" => Last::Delivered,
                "failed" if detail.contains("(gave up after") => Last::Deferred,
                "failed" => Last::Failed,
                _ => continue,
            };
            if out.first_at.as_deref().is_none_or(|first| time < first) {
                out.first_at = Some(time.to_owned());
            }
            if out.last_at.as_deref().is_none_or(|at| time > at) {
                out.last_at = Some(time.to_owned());
            }
            // Journals of earlier versions name the address; later ones its keyed hash.
            let key = if who.contains('@') {
                recipient_key(secret, who)
            } else if let (32, Ok(key)) = (who.len(), u128::from_str_radix(who, 16)) {
                key
            } else {
                continue;
            };
            let entry = last.entry(key).or_insert(Last::Attempted);
            if *entry != Last::Delivered {
                *entry = now;
            }
        }
    }
    out.sent = last.len();
    for outcome in last.values() {
        match outcome {
            Last::Attempted => out.in_doubt += 1,
            Last::Delivered => out.delivered += 1,
            Last::Deferred => out.deferred += 1,
            Last::Failed => out.failed += 1,
        }
    }
    out
}

/// Takes `email` out of every journal in `sends` (journals of earlier versions wrote
/// addresses out): each of its lines keeps its record under the keyed name, so a later send
/// still knows the reader had the issue, and the server's words lose the address. A journal
/// is rewritten whole (a new file renamed over it) under its lock; how many were rewritten.
///
/// # Errors
///
/// [`Error::SendRunning`] when a send holds one of them (run it again afterwards), or
/// [`Error::Journal`] when one cannot be read or written.
pub fn scrub(sends: &Path, secret: &Key, email: &str) -> Result<usize> {
    let Ok(entries) = fs::read_dir(sends) else {
        return Ok(0);
    };
    let target = comparable(email);
    let key = format!("{:032x}", recipient_key(secret, email));
    let mut rewritten = 0;
    let mut journals: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "journal"))
        .collect();
    journals.sort();
    for path in journals {
        let failed = |action| {
            let path = path.clone();
            move |source| Error::Journal {
                path,
                action,
                source,
            }
        };
        let text = fs::read(&path).map_err(failed("read"))?;
        let text = String::from_utf8_lossy(&text);
        if !text.to_lowercase().contains(&email.to_lowercase()) {
            continue;
        }
        let _lock = lock(&path)?;
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let mut fields: Vec<&str> = line.split('\t').collect();
            if fields.len() >= 2 && fields[1].contains('@') && comparable(fields[1]) == target {
                fields[1] = &key;
            }
            out.push_str(&without_address(&fields.join("\t"), email));
        }
        let tmp = path.with_extension("journal.scrub");
        let written = (|| {
            let mut file = crate::audience::secret::private_options()
                .create(true)
                .truncate(true)
                .write(true)
                .open(&tmp)?;
            file.write_all(out.as_bytes())?;
            file.sync_all()?;
            fs::rename(&tmp, &path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(failed("write")(e));
        }
        rewritten += 1;
    }
    Ok(rewritten)
}

/// `text` with every case-insensitive occurrence of `email` replaced by `(the address)`.
fn without_address(text: &str, email: &str) -> String {
    if email.is_empty() {
        return text.to_owned();
    }
    let lower = text.to_lowercase();
    let needle = email.to_lowercase();
    // Lower-casing may change lengths outside ASCII: then the whole text is searched anew.
    if lower.len() != text.len() {
        return text.replace(email, "(the address)");
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, _) in lower.match_indices(&needle) {
        if at >= copied {
            out.push_str(&text[copied..at]);
            out.push_str("(the address)");
            copied = at + needle.len();
        }
    }
    out.push_str(&text[copied..]);
    out
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
    let mut file = crate::audience::secret::private_options()
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

/// Reads complete journal lines into `history`; a line that is not UTF-8 or not a record is
/// noted and skipped. A recipient is a keyed hash, or (in journals of earlier versions) an
/// address, hashed here.
fn read_history(bytes: &[u8], secret: &Key) -> History {
    let mut history = History::default();
    // Recipients whose last attempt has no outcome after it, with that attempt's Message-ID.
    let mut open: HashMap<u128, String> = HashMap::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let Ok(line) = std::str::from_utf8(line) else {
            history.damaged.push(index + 1);
            continue;
        };
        let mut fields = line.split('\t');
        let (kind, who, detail, time) =
            (fields.next(), fields.next(), fields.next(), fields.next());
        let (Some(kind), Some(who), Some(detail), Some(_)) = (kind, who, detail, time) else {
            history.damaged.push(index + 1);
            continue;
        };
        let key = if who.contains('@') {
            recipient_key(secret, who)
        } else if let (32, Ok(key)) = (who.len(), u128::from_str_radix(who, 16)) {
            key
        } else {
            history.damaged.push(index + 1);
            continue;
        };
        match kind {
            "attempt" => {
                open.insert(key, detail.to_owned());
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
        .filter(|(key, _)| !history.delivered.contains(key))
        .collect();
    history
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Key {
        Key::new(b"0123456789abcdef0123456789abcdef".to_vec())
    }

    #[test]
    fn remembers_deliveries_by_keyed_hash_and_ignores_a_cut_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sends/2026-w25.journal");
        let (mut journal, history) = Journal::open(&path, &[], &secret()).unwrap();
        assert!(history.delivered.is_empty());
        journal
            .delivered("ann@example.com", "<a@example.org>")
            .unwrap();
        journal
            .failed("bob@example.com", "550 no\tsuch user <BOB@example.com>")
            .unwrap();
        drop(journal);
        // A crash in the middle of a write.
        let mut text = fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("example.com>") && !text.contains("ann@"),
            "{text}"
        );
        text.push_str("delivered\t0123");
        fs::write(&path, text).unwrap();
        let (mut journal, history) = Journal::open(&path, &[], &secret()).unwrap();
        assert!(
            history
                .delivered
                .contains(&recipient_key(&secret(), "ANN@example.com"))
        );
        assert!(
            !history
                .delivered
                .contains(&recipient_key(&secret(), "cat@example.com"))
        );
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
        let bob = recipient_key(&secret(), "bob@example.com");
        assert!(
            lines[1].starts_with(&format!(
                "failed\t{bob:032x}\t550 no such user <(the address)>\t"
            )),
            "{}",
            lines[1]
        );
        let cat = recipient_key(&secret(), "cat@example.com");
        assert!(lines[2].starts_with(&format!("delivered\t{cat:032x}\t<c@example.org>\t")));
    }

    #[test]
    fn damaged_lines_are_skipped_and_attempts_without_outcome_are_in_doubt_with_their_id() {
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
            &secret(),
        );
        assert_eq!(history.damaged, [3, 7, 8, 9]);
        assert!(
            history
                .delivered
                .contains(&recipient_key(&secret(), "ann@example.com"))
        );
        assert_eq!(history.failed, 1);
        let in_doubt: HashMap<u128, String> = [(
            recipient_key(&secret(), "BOB@example.com"),
            "<b@x>".to_owned(),
        )]
        .into();
        assert_eq!(history.in_doubt, in_doubt);
    }

    #[test]
    fn an_earlier_list_journal_counts_its_deliveries() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("2026-w25.outbox-1.list-2.journal");
        fs::write(
            &old,
            "delivered\tann@example.com\t<a@x>\tT\nattempt\tbob@example.com\t<b@x>\tT\n",
        )
        .unwrap();
        let path = dir.path().join("2026-w25.outbox-1.journal");
        let (_, history) = Journal::open(&path, &[old], &secret()).unwrap();
        assert!(
            history
                .delivered
                .contains(&recipient_key(&secret(), "ann@example.com"))
        );
        assert_eq!(
            history
                .in_doubt
                .get(&recipient_key(&secret(), "bob@example.com"))
                .map(String::as_str),
            Some("<b@x>")
        );
    }

    #[test]
    fn scrubbing_takes_an_address_out_of_earlier_journals_and_keeps_its_record() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("2026-w25.outbox-1.list.journal");
        std::fs::write(
            &old,
            "attempt\tAnn@Example.org\t<a@x>\t2026-06-17T08:00:01Z\n\
             delivered\tAnn@Example.org\t<a@x>\t2026-06-17T08:00:01Z\n\
             failed\tbob@example.org\t550 <bob@example.org> unknown\t2026-06-17T08:00:02Z\n",
        )
        .unwrap();
        assert_eq!(scrub(dir.path(), &secret(), "ann@example.org").unwrap(), 1);
        let text = std::fs::read_to_string(&old).unwrap();
        assert!(!text.to_lowercase().contains("ann@"), "{text}");
        assert!(text.contains("bob@example.org"), "others are kept: {text}");
        let (_, history) =
            Journal::open(&dir.path().join("new.journal"), &[old], &secret()).unwrap();
        assert!(
            history
                .delivered
                .contains(&recipient_key(&secret(), "ann@example.org")),
            "the delivery still counts"
        );
    }

    #[test]
    fn a_second_open_of_a_held_journal_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2026-w25.journal");
        let (first, _) = Journal::open(&path, &[], &secret()).unwrap();
        match Journal::open(&path, &[], &secret()) {
            Err(Error::SendRunning { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("a second run got the journal"),
        }
        drop(first);
        assert!(Journal::open(&path, &[], &secret()).is_ok());
    }
}
