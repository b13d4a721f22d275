//! The subscriber store: SQLite through rusqlite, with the database compiled in.
//!
//! One row per address in `subscribers` (keyed by the address as mail systems compare it,
//! [`comparable`](crate::audience::address::comparable)), and one row per change of status in `events`, which a trigger keeps
//! append-only. Every change is one transaction: a crash (even `kill -9`) leaves either the
//! change and its event or neither, and a commit is on disk before it returns
//! (`synchronous = FULL`), so an unsubscribe answered 200 survives a power cut too. The
//! database runs in WAL mode, so readers (an export, a send) never wait for the service's
//! writes, and writers wait up to [`BUSY_WAIT`] for each other before giving up with
//! [`Error::StoreBusy`]. It is its owner's alone (0600, in a 0700 folder), and deleted rows are
//! overwritten (`secure_delete`), so an erased address leaves no bytes behind.
//!
//! The work is split by concern: [`subscribers`] (the lifecycle of an address: sign-up,
//! confirmation, unsubscribes, imports, erasure), [`reports`] (bounces and complaints),
//! [`stats`] (counts), [`queued`] (unsubscribes kept in files while the database is busy),
//! [`welcomes`] (welcome messages owed to readers who confirmed), and `rows` (the row-level helpers they share). This file opens the database and keeps its
//! schema.
//!
//! The schema is versioned with SQLite's `user_version`: [`MIGRATIONS`] are applied in order,
//! each in its own transaction, and a database from a newer `briefing` is refused rather than
//! misread.

mod backup;
mod clicks;
mod queued;
mod reports;
mod rows;
mod stats;
mod subscribers;
#[cfg(test)]
mod tests;
mod welcomes;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use crate::audience::secret::{Key, private_dir, private_options};
use crate::error::{Error, Result};

pub use clicks::{ClickCount, ClickKey};
pub use queued::push as queue_unsubscribe;
pub use reports::{BounceKind, Finding, Recorded, ReportCounts, ReportOptions};
pub use subscribers::{Confirmed, ImportRow, ImportSummary, Leaving, PendingSignUp, Subscriber};
pub use welcomes::Welcome;

/// How long a writer waits for another to finish before the operation fails as busy.
pub const BUSY_WAIT: Duration = Duration::from_secs(5);

/// At most one confirmation message per address in this long: the form cannot be used to
/// flood someone's inbox.
pub const CONFIRMATION_INTERVAL: chrono::Duration = chrono::Duration::minutes(10);

/// The schema, one step per version. Never edit a step that has shipped; add one.
pub const MIGRATIONS: &[&str] = &[
    // 1: subscribers and their history.
    "CREATE TABLE subscribers (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        address_key TEXT NOT NULL UNIQUE,
        name TEXT,
        status TEXT NOT NULL CHECK (status IN
            ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        confirmation_sent_at TEXT
    );
    CREATE INDEX subscribers_status ON subscribers (status);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN
            ('form', 'import', 'one-click', 'link', 'command', 'bounce')),
        detail TEXT
    );
    CREATE INDEX events_subscriber ON events (subscriber_id);
    CREATE TRIGGER events_are_history BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are history: they are never changed'); END;",
    // 2: bounce and complaint reports: each ingested once, and the failures they report.
    "CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        ingested_at TEXT NOT NULL,
        outcome TEXT NOT NULL
    );
    CREATE TABLE bounces (
        id INTEGER PRIMARY KEY,
        report_id TEXT NOT NULL REFERENCES reports (id),
        address_key TEXT NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
        status_code TEXT,
        diagnostic TEXT
    );
    CREATE INDEX bounces_address ON bounces (address_key, at);",
    // 3: addresses erased on request, kept only as a hash so that no list mails them again.
    "CREATE TABLE forgotten (
        address_hash TEXT PRIMARY KEY,
        at TEXT NOT NULL
    );",
    // 4: erasure records keyed with the newsletter's secret (the rows of step 3 are re-keyed
    // by `Store::open`); sign-ups as requests only their owner's confirmation grants, taken
    // in by one queue insert so that every sign-up costs the same before its answer; files
    // of reports read to the end; a report's own date beside the time it was ingested.
    "ALTER TABLE forgotten ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE signups (
        id INTEGER PRIMARY KEY,
        address_key TEXT NOT NULL,
        mailbox_key TEXT NOT NULL,
        email TEXT NOT NULL,
        name TEXT,
        nonce TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        used_at TEXT
    );
    CREATE INDEX signups_mailbox ON signups (mailbox_key, requested_at);
    CREATE TABLE signup_queue (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        name TEXT,
        at TEXT NOT NULL
    );
    CREATE TABLE ingested_files (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        modified INTEGER NOT NULL
    );
    ALTER TABLE bounces ADD COLUMN reported_at TEXT;",
    // 5: welcome messages owed to readers who confirmed.
    "CREATE TABLE welcomes (
        subscriber_id INTEGER PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
        queued_at TEXT NOT NULL,
        failed_at TEXT,
        failure TEXT
    );",
    // 6: counts with no reader in them: readers who left from each issue's link, and clicks
    // per issue, story and link (`audience.clicks`).
    "CREATE TABLE issue_unsubscribes (
        issue TEXT PRIMARY KEY,
        readers INTEGER NOT NULL
    );
    CREATE TABLE clicks (
        issue TEXT NOT NULL,
        story TEXT NOT NULL,
        url TEXT NOT NULL,
        readers INTEGER NOT NULL,
        automated INTEGER NOT NULL,
        PRIMARY KEY (issue, story, url)
    );",
    // 7: the issue a bounce or complaint is about, from its proof (`briefing report`).
    "ALTER TABLE bounces ADD COLUMN issue TEXT;",
];

/// An open subscriber database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The newsletter's secret: erasure records are keyed with it.
    key: Key,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The current time as stored: RFC 3339 in UTC to the second, so text order is time order.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Store {
    /// Opens the database at `path`, creating it (and its folder) when there is none, and
    /// brings its schema up to date.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when it cannot be opened or is not a subscriber database,
    /// [`Error::StoreFromNewer`] when a newer `briefing` made it.
    pub fn open(path: &Path, key: Key) -> Result<Store> {
        let failed = |e: std::io::Error| Error::Store {
            path: path.to_path_buf(),
            detail: format!("cannot open or create it: {e}"),
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            private_dir(parent).map_err(failed)?;
        }
        if !path.exists() {
            // Made here, owner-only, so that SQLite's WAL and index files (which take the
            // database file's mode) are private too.
            private_options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)
                .map_err(failed)?;
        }
        let conn = Connection::open(path).map_err(|e| store_error(path, &e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            key,
        };
        store.configure()?;
        store.migrate()?;
        store.key_erasure_records()?;
        // Unsubscribes queued while the store was busy: written now if it can be at once,
        // else they wait (and count for suppression meanwhile); no command waits for them.
        if !queued::waiting(path).is_empty() {
            store.set_busy_wait(Duration::ZERO)?;
            if let Err(e) = store.apply_queued_unsubscribes() {
                say_err!("warning: unsubscribes queued while the database was busy wait: {e}");
            }
            store.set_busy_wait(BUSY_WAIT)?;
        }
        Ok(store)
    }

    /// Opens the database at `path` when there is one; `None` when there is not.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub fn open_existing(path: &Path, key: Key) -> Result<Option<Store>> {
        if !path.exists() {
            return Ok(None);
        }
        Store::open(path, key).map(Some)
    }

    /// The database's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The newsletter's secret the store was opened with.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// How long this connection waits for another writer before a change fails as busy
    /// ([`BUSY_WAIT`] unless set).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when SQLite refuses it.
    pub fn set_busy_wait(&mut self, wait: Duration) -> Result<()> {
        self.conn.busy_timeout(wait).map_err(|e| self.error(&e))
    }

    /// Copies the write-ahead log into the database and empties it, so that pages an
    /// erasure overwrote leave no older copy there. When a reader holds it (the service
    /// mid-request), it is emptied at the next checkpoint instead; said on stderr.
    pub(super) fn empty_wal(&self) {
        let busy = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            });
        if !matches!(busy, Ok(0)) {
            say_err!(
                "warning: {} is in use: older copies of the erased rows stay in its \
                 write-ahead log until its next checkpoint",
                crate::diagnostic::display_path(&self.path)
            );
        }
    }

    fn configure(&mut self) -> Result<()> {
        self.conn
            .busy_timeout(BUSY_WAIT)
            .map_err(|e| self.error(&e))?;
        // WAL: readers never block the writer. `synchronous = FULL` syncs the WAL at every
        // commit: NORMAL loses no commit to a killed process, but a power cut could take the
        // last ones back after the reader (or the mailbox provider) was told they were done.
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(|e| self.error(&e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            // A read-only folder cannot hold the WAL files; SQLite says which mode it kept.
            return Err(Error::Store {
                path: self.path.clone(),
                detail: format!(
                    "cannot switch it to WAL mode (it stayed in `{mode}`); is its folder writable?"
                ),
            });
        }
        self.conn
            .execute_batch(
                "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
            )
            .map_err(|e| self.error(&e))
    }

    fn migrate(&mut self) -> Result<()> {
        let version: usize = self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| self.error(&e))?;
        if version > MIGRATIONS.len() {
            return Err(Error::StoreFromNewer {
                path: self.path.clone(),
                version,
                known: MIGRATIONS.len(),
            });
        }
        for (step, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| store_error(&self.path, &e))?;
            // Another process may have migrated while this one waited for the lock.
            let now: usize = tx
                .query_row("PRAGMA user_version", [], |row| row.get(0))
                .map_err(|e| store_error(&self.path, &e))?;
            if now > step {
                continue;
            }
            tx.execute_batch(sql)
                .and_then(|()| tx.pragma_update(None, "user_version", step + 1))
                .and_then(|()| tx.commit())
                .map_err(|e| store_error(&self.path, &e))?;
        }
        Ok(())
    }

    /// Runs `work` in one write transaction (taken at once, so two writers never deadlock),
    /// committed when `commit` and `work` succeeds; rolled back otherwise.
    fn write<T>(
        &mut self,
        commit: bool,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let path = self.path.clone();
        let fail = |e: rusqlite::Error| store_error(&path, &e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let out = work(&tx).map_err(fail)?;
        if commit {
            tx.commit().map_err(fail)?;
        }
        Ok(out)
    }

    fn error(&self, error: &rusqlite::Error) -> Error {
        store_error(&self.path, error)
    }

    /// Re-keys erasure records made before they were keyed (an unkeyed hash anyone with the
    /// database could test addresses against): each old hash is replaced by a keyed hash of
    /// it, which `Store::is_forgotten` also looks for.
    fn key_erasure_records(&mut self) -> Result<()> {
        // Read first: a store opened while another process writes need not wait for it.
        let unkeyed: usize = self
            .conn
            .query_row(
                "SELECT count(*) FROM forgotten WHERE keyed = 0",
                [],
                |row| row.get(0),
            )
            .map_err(|e| self.error(&e))?;
        if unkeyed == 0 {
            return Ok(());
        }
        let key = self.key.clone();
        self.write(true, |tx| {
            let old: Vec<String> = tx
                .prepare("SELECT address_hash FROM forgotten WHERE keyed = 0")?
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for hash in old {
                tx.execute(
                    "UPDATE OR REPLACE forgotten SET address_hash = ?2, keyed = 1
                     WHERE address_hash = ?1",
                    rusqlite::params![
                        hash,
                        crate::audience::token::legacy_erasure_hash(key.as_bytes(), &hash)
                    ],
                )?;
            }
            Ok(())
        })
    }
}
/// A database error in words: busy and read-only databases get their own errors, since the
/// service answers them with 503 and a retry.
fn store_error(path: &Path, error: &rusqlite::Error) -> Error {
    let path = path.to_path_buf();
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::StoreBusy { path },
        Some(ErrorCode::ReadOnly) => Error::Store {
            path,
            detail: "it is read-only: check the permissions of the file and its folder".to_owned(),
        },
        Some(ErrorCode::NotADatabase) => Error::Store {
            path,
            detail: "it is not an SQLite database (damaged, or another kind of file)".to_owned(),
        },
        Some(ErrorCode::CannotOpen) => Error::Store {
            path,
            detail: "cannot open or create it: does its folder exist, and can this user write \
                     there?"
                .to_owned(),
        },
        Some(ErrorCode::DiskFull) => Error::Store {
            path,
            detail: "the disk is full".to_owned(),
        },
        _ => Error::Store {
            path,
            detail: error.to_string(),
        },
    }
}
