//! `subscribers backup`: a copy of the database, made while `listen` keeps serving.

use std::fs;
use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::backup::Backup;

use super::{Store, queued, store_error};
use crate::audience::secret::private_options;
use crate::error::{Error, Result};

/// What a backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Subscribers, of every status.
    pub subscribers: usize,
    /// Unsubscribes that were queued beside the database (it was busy), written into the
    /// copy.
    pub queued: usize,
    /// The copy's size in bytes.
    pub bytes: u64,
}

impl Store {
    /// Copies the database to `dest` with SQLite's online backup, a few hundred pages at a
    /// time so that the service's requests go on in between; writes the unsubscribes still
    /// queued beside it into the copy; checks the copy; and only then puts it at `dest`
    /// (owner-only, synced, replacing an older backup in one rename). A single file: no
    /// write-ahead log beside it.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the copy cannot be made, written or checked; nothing is left at
    /// `dest` then (an older backup there stays).
    pub fn backup(&self, dest: &Path) -> Result<Copied> {
        let name = dest
            .file_name()
            .map_or_else(|| "backup".into(), |n| n.to_string_lossy().into_owned());
        let tmp = dest.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let result = self.copy_to(&tmp, dest);
        if result.is_err() {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = fs::remove_file(format!("{}{suffix}", tmp.display()));
            }
        }
        result
    }

    fn copy_to(&self, tmp: &Path, dest: &Path) -> Result<Copied> {
        let failed = |detail: String| Error::Store {
            path: dest.to_path_buf(),
            detail,
        };
        let _ = fs::remove_file(tmp);
        private_options()
            .create_new(true)
            .write(true)
            .open(tmp)
            .map_err(|e| failed(format!("cannot create the copy: {e}")))?;
        {
            let mut copy = Connection::open(tmp).map_err(|e| store_error(dest, &e))?;
            let backup = Backup::new(&self.conn, &mut copy).map_err(|e| store_error(dest, &e))?;
            backup
                .run_to_completion(256, Duration::from_millis(5), None)
                .map_err(|e| store_error(dest, &e))?;
        }
        // The unsubscribes queued while the database was busy are consent withdrawn: a
        // restore must not lose them.
        let waiting = queued::waiting(&self.path);
        {
            let mut copy = Store::open(tmp, self.key.clone())?;
            for unsubscribe in &waiting {
                copy.unsubscribe_all(std::slice::from_ref(&unsubscribe.leaving))?;
            }
        }
        let copy = Connection::open(tmp).map_err(|e| store_error(dest, &e))?;
        let check: String = copy
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .map_err(|e| store_error(dest, &e))?;
        if check != "ok" {
            return Err(failed(format!("the copy does not check out: {check}")));
        }
        let subscribers: i64 = copy
            .query_row("SELECT count(*) FROM subscribers", [], |row| row.get(0))
            .map_err(|e| store_error(dest, &e))?;
        // One file: the log folded in, so that copying or restoring it takes nothing else.
        let _: String = copy
            .query_row("PRAGMA journal_mode=DELETE", [], |row| row.get(0))
            .map_err(|e| store_error(dest, &e))?;
        drop(copy);
        let file = fs::File::open(tmp).map_err(|e| failed(e.to_string()))?;
        file.sync_all().map_err(|e| failed(e.to_string()))?;
        let bytes = file.metadata().map_or(0, |m| m.len());
        fs::rename(tmp, dest).map_err(|e| failed(format!("cannot put the copy in place: {e}")))?;
        if let Some(dir) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(Copied {
            subscribers: usize::try_from(subscribers).unwrap_or(0),
            queued: waiting.len(),
            bytes,
        })
    }
}
