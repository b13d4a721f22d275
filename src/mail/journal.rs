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
use crate::content::load::read_own_file;
use crate::error::{Error, Result};

/// How many records may wait in the OS before the journal is synced to disk.
pub const SYNC_EVERY: usize = 64;

/// The largest journal read: a line is under 200 bytes, so this is millions of recipients.
const MAX_JOURNAL_BYTES: u64 = 4 * 1024 * 1024 * 1024;

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
        // A FIFO or a device put in the journal's place would be read forever.
        if !file.metadata().map_err(failed("open"))?.is_file() {
            return Err(failed("open")(std::io::Error::other(
                "it is not a regular file; move it away and run again",
            )));
        }
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
            if let Some(bytes) = read_own_file(old, MAX_JOURNAL_BYTES) {
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

/// The outcomes of every issue in the journals of `sends`, by the issue's slug (`2026-w25`,
/// the start of each journal's name): every destination's and every earlier version's, the
/// folder read once. Damaged lines are skipped, as a send skips them.
pub fn outcomes(sends: &Path, secret: &Key) -> HashMap<String, Outcomes> {
    #[derive(PartialEq)]
    enum Last {
        Attempted,
        Delivered,
        Deferred,
        Failed,
    }
    let Ok(entries) = fs::read_dir(sends) else {
        return HashMap::new();
    };
    let mut files: Vec<(String, PathBuf)> = entries
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?;
            let slug = name.strip_suffix(".journal")?.split('.').next()?.to_owned();
            Some((slug, path))
        })
        .collect();
    files.sort();
    let mut by_issue: HashMap<String, (Outcomes, HashMap<u128, Last>)> = HashMap::new();
    for (slug, file) in files {
        let Some(bytes) = read_own_file(&file, MAX_JOURNAL_BYTES) else {
            continue;
        };
        let (out, last) = by_issue.entry(slug).or_default();
        for line in bytes.split(|&b| b == b'\n') {
            let Some(record) = record(line, secret) else {
                continue;
            };
            let now = match record.kind {
                Kind::Attempt => Last::Attempted,
                Kind::Delivered => Last::Delivered,
                Kind::Failed if record.detail.contains("(gave up after") => Last::Deferred,
                Kind::Failed => Last::Failed,
            };
            let time = record.time;
            if out.first_at.as_deref().is_none_or(|first| time < first) {
                out.first_at = Some(time.to_owned());
            }
            if out.last_at.as_deref().is_none_or(|at| time > at) {
                out.last_at = Some(time.to_owned());
            }
            let entry = last.entry(record.key).or_insert(Last::Attempted);
            if *entry != Last::Delivered {
                *entry = now;
            }
        }
    }
    by_issue
        .into_iter()
        .map(|(slug, (mut out, last))| {
            out.sent = last.len();
            for outcome in last.values() {
                match outcome {
                    Last::Attempted => out.in_doubt += 1,
                    Last::Delivered => out.delivered += 1,
                    Last::Deferred => out.deferred += 1,
                    Last::Failed => out.failed += 1,
                }
            }
            (slug, out)
        })
        .collect()
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
        // Erasing must not skip a journal it cannot read: a FIFO or a device in a journal's
        // place stops it with an error instead of waiting forever.
        let text = read_own_file(&path, MAX_JOURNAL_BYTES).ok_or_else(|| {
            failed("read")(std::io::Error::other("not a regular file of at most 4 GiB"))
        })?;
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

/// What a journal line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A message about to go out.
    Attempt,
    /// The server took it.
    Delivered,
    /// The server refused it (or, after retries, kept refusing for a while).
    Failed,
}

/// One journal line: what, for whom (the keyed hash), the detail (the Message-ID, or the
/// server's words) and when.
struct Record<'a> {
    kind: Kind,
    key: u128,
    detail: &'a str,
    time: &'a str,
}

/// `line` as a record; `None` for a damaged line (not UTF-8, too few fields, an unknown
/// kind or recipient). A recipient is a keyed hash, or (in journals of earlier versions) an
/// address, hashed here.
fn record<'a>(line: &'a [u8], secret: &Key) -> Option<Record<'a>> {
    let line = std::str::from_utf8(line).ok()?;
    let mut fields = line.split('\t');
    let (kind, who, detail, time) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    let key = if who.contains('@') {
        recipient_key(secret, who)
    } else if let (32, Ok(key)) = (who.len(), u128::from_str_radix(who, 16)) {
        key
    } else {
        return None;
    };
    let kind = match kind {
        "attempt" => Kind::Attempt,
        "delivered" => Kind::Delivered,
        "failed" => Kind::Failed,
        _ => return None,
    };
    Some(Record {
        kind,
        key,
        detail,
        time,
    })
}

/// Reads complete journal lines into `history`; a line that is not a record is noted and
/// skipped.
fn read_history(bytes: &[u8], secret: &Key) -> History {
    let mut history = History::default();
    // Recipients whose last attempt has no outcome after it, with that attempt's Message-ID.
    let mut open: HashMap<u128, String> = HashMap::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let Some(Record {
            kind, key, detail, ..
        }) = record(line, secret)
        else {
            history.damaged.push(index + 1);
            continue;
        };
        match kind {
            Kind::Attempt => {
                open.insert(key, detail.to_owned());
            }
            Kind::Delivered => {
                open.remove(&key);
                history.delivered.insert(key);
            }
            Kind::Failed => {
                open.remove(&key);
                history.failed += 1;
            }
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
    fn a_fifo_in_a_journals_place_is_an_error_or_passed_over_never_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let sends = dir.path().join("sends");
        fs::create_dir_all(&sends).unwrap();
        let (mine, earlier) = (sends.join("2026-w25.journal"), sends.join("2026-w25.old"));
        for fifo in [&mine, &earlier] {
            let made = std::process::Command::new("mkfifo")
                .arg(fifo)
                .status()
                .unwrap();
            assert!(made.success());
        }
        let (done, opened) = std::sync::mpsc::channel();
        let (path, old) = (mine.clone(), earlier.clone());
        std::thread::spawn(move || {
            let error = Journal::open(&path, &[old], &secret()).err();
            // As the terminal shows it: the error, then its cause.
            let shown = error.map(|e| {
                let cause = std::error::Error::source(&e).map(ToString::to_string);
                format!("{e}: {}", cause.unwrap_or_default())
            });
            done.send(shown)
        });
        let error = opened
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the journal's FIFO is not waited on")
            .expect("a FIFO is refused");
        assert!(error.contains("not a regular file"), "{error}");
        // An earlier journal that is a FIFO is passed over.
        fs::remove_file(&mine).unwrap();
        let (done, opened) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let opened = Journal::open(&mine, &[earlier], &secret()).map(|(_, history)| history);
            done.send(opened.map(|history| history.delivered.len()).ok())
        });
        let delivered = opened
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("an earlier journal's FIFO is not waited on");
        assert_eq!(delivered, Some(0));
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

    #[test]
    fn outcomes_count_each_recipient_once_by_their_last_word_in_any_journal_of_the_issue() {
        let dir = tempfile::tempdir().unwrap();
        let secret = secret();
        let key = |email: &str| format!("{:032x}", recipient_key(&secret, email));
        let line = |kind: &str, who: &str, detail: &str, at: &str| {
            format!("{kind}\t{who}\t{detail}\t2026-06-17T08:00:{at}Z\n")
        };
        // An earlier version's journal names the address; ann is delivered there.
        fs::write(
            dir.path().join("2026-w25.outbox-1.list.journal"),
            line("attempt", "ann@example.org", "<a>", "01")
                + &line("delivered", "ann@example.org", "<a>", "02"),
        )
        .unwrap();
        fs::write(
            dir.path().join("2026-w25.smtp-1234abcd.journal"),
            // ann's later failure does not undo her delivery.
            line("failed", &key("ann@example.org"), "550 no", "03")
                + &line("attempt", &key("bob@example.org"), "<b>", "04")
                + &line(
                    "failed",
                    &key("bob@example.org"),
                    "451 later (gave up after 3 tries)",
                    "05",
                )
                + &line("attempt", &key("cat@example.org"), "<c>", "06")
                + &line("failed", &key("cat@example.org"), "550 no such user", "07")
                + "damaged line\n"
                + &line("attempt", &key("dan@example.org"), "<d>", "08"),
        )
        .unwrap();
        fs::write(
            dir.path().join("2026-w26.smtp-1234abcd.journal"),
            line("delivered", &key("eve@example.org"), "<e>", "09"),
        )
        .unwrap();
        let all = outcomes(dir.path(), &secret);
        assert_eq!(
            all["2026-w25"],
            Outcomes {
                sent: 4,
                delivered: 1,
                deferred: 1,
                failed: 1,
                in_doubt: 1,
                first_at: Some("2026-06-17T08:00:01Z".into()),
                last_at: Some("2026-06-17T08:00:08Z".into()),
            }
        );
        assert_eq!(all["2026-w26"].delivered, 1);
        assert_eq!(all.len(), 2);
    }
}
