//! The subscriber store: SQLite through rusqlite, with the database compiled in.
//!
//! One row per address in `subscribers` (keyed by the address as mail systems compare it,
//! [`comparable`]), and one row per change of status in `events`, which a trigger keeps
//! append-only. Every change is one transaction: a crash (even `kill -9`) leaves either the
//! change and its event or neither. The database runs in WAL mode, so readers (an export, a
//! send) never wait for the service's writes, and writers wait up to [`BUSY_WAIT`] for each
//! other before giving up with [`Error::StoreBusy`].
//!
//! The schema is versioned with SQLite's `user_version`: [`MIGRATIONS`] are applied in order,
//! each in its own transaction, and a database from a newer `briefing` is refused rather than
//! misread.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

use super::{Source, Status};
use crate::audience::address::{address_key, comparable};
use crate::error::{Error, Result};

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
];

/// The form in which a forgotten address is kept: the 128-bit key sends already skip
/// suppressed addresses by ([`address_key`]). It can tell whether a list holds the address,
/// not which address it was.
fn forgotten_hash(email: &str) -> String {
    format!("{:032x}", address_key(email))
}

/// What a bounce or complaint report says happened to one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A permanent failure (`5.x.x`): the address does not take mail.
    Hard,
    /// A temporary one (`4.x.x`): counted; enough of them within 30 days count as hard.
    Soft,
    /// A "this is spam" report from the reader's mailbox provider.
    Complaint,
}

impl Failure {
    fn as_str(self) -> &'static str {
        match self {
            Failure::Hard => "hard",
            Failure::Soft => "soft",
            Failure::Complaint => "complaint",
        }
    }
}

/// One recipient's failure, as a report gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The recipient.
    pub email: String,
    /// What happened.
    pub failure: Failure,
    /// When, by the report's date.
    pub at: DateTime<Utc>,
    /// The status code (`5.1.1`), or the feedback type of a complaint.
    pub code: Option<String>,
    /// The server's words.
    pub diagnostic: Option<String>,
}

/// What recording a finding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The recipient.
    pub email: String,
    /// The failure.
    pub failure: Failure,
    /// The status it leads to (`bounced`, `complained`), or `None` when it only counts
    /// (a soft bounce under the limit).
    pub status: Option<Status>,
    /// Soft bounces of this address within 30 days of this one, this one included.
    pub soft_count: usize,
}

/// How far back soft bounces count.
pub const SOFT_BOUNCE_WINDOW: chrono::Duration = chrono::Duration::days(30);

/// A subscriber as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The address as first given.
    pub email: String,
    /// Their name, if they gave one.
    pub name: Option<String>,
    /// Where they stand.
    pub status: Status,
    /// When the row was made (RFC 3339, UTC).
    pub created_at: String,
    /// When the status last changed.
    pub updated_at: String,
}

/// One change in a subscriber's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The status it led to.
    pub status: Status,
    /// How it came about: `form`, `import`, `one-click`, `link`, `command` or `bounce`.
    pub source: String,
    /// More about it (a bounce's status code, say).
    pub detail: Option<String>,
}

/// What a sign-up on the form did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignUp {
    /// The status before (`None` for a new address).
    pub before: Option<Status>,
    /// A confirmation message is due now; `false` when one went out in the last ten
    /// minutes or the address is already active.
    pub send_confirmation: bool,
}

/// What a confirmation link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// Pending, now active.
    Now,
    /// Active already (the link opened twice).
    Already,
    /// Not pending: unknown, or unsubscribed since; the link does nothing.
    NotPending,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// New addresses.
    pub added: usize,
    /// Addresses whose status or name changed.
    pub updated: usize,
    /// Rows that changed nothing.
    pub unchanged: usize,
    /// Rows that would re-activate an address that unsubscribed, bounced or complained,
    /// left as they were (without `--reactivate`).
    pub kept_inactive: usize,
}

/// Counts for `briefing subscribers stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Subscribers by status.
    pub by_status: BTreeMap<Status, usize>,
    /// Per ISO week (`2026-W48`): how many became active and how many unsubscribed.
    pub weeks: BTreeMap<String, (usize, usize)>,
}

/// An open subscriber database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
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
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::Store {
                path: path.to_path_buf(),
                detail: format!("cannot create its folder: {e}"),
            })?;
        }
        let conn = Connection::open(path).map_err(|e| store_error(path, &e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens the database at `path` when there is one; `None` when there is not.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub fn open_existing(path: &Path) -> Result<Option<Store>> {
        if !path.exists() {
            return Ok(None);
        }
        Store::open(path).map(Some)
    }

    /// Where the database is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&mut self) -> Result<()> {
        self.conn
            .busy_timeout(BUSY_WAIT)
            .map_err(|e| self.error(&e))?;
        // WAL: readers never block the writer. `synchronous = NORMAL` in WAL mode loses no
        // committed transaction when the process is killed; only a power cut can take the
        // last ones, and it never corrupts the file.
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
            .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
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

    /// The subscriber with `email`, compared as mail systems compare addresses.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn get(&self, email: &str) -> Result<Option<Subscriber>> {
        self.conn
            .query_row(
                "SELECT email, name, status, created_at, updated_at FROM subscribers
                 WHERE address_key = ?1",
                [comparable(email)],
                subscriber,
            )
            .optional()
            .map_err(|e| self.error(&e))
    }

    /// `email`'s history, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn history(&self, email: &str) -> Result<Vec<Event>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT e.at, e.status, e.source, e.detail FROM events e
                 JOIN subscribers s ON s.id = e.subscriber_id
                 WHERE s.address_key = ?1 ORDER BY e.id",
            )
            .map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map([comparable(email)], |row| {
                Ok(Event {
                    at: row.get(0)?,
                    status: status_of(row, 1)?,
                    source: row.get(2)?,
                    detail: row.get(3)?,
                })
            })
            .map_err(|e| self.error(&e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.error(&e))
    }

    /// A sign-up from the form: a new address becomes `pending`; so does one that had
    /// unsubscribed, bounced or complained (it must confirm again). An active address stays
    /// as it is. Claims the confirmation message in the same transaction, so a hundred
    /// submissions at once make one row and at most one message.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; nothing is changed then.
    pub fn sign_up(
        &mut self,
        email: &str,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<SignUp> {
        let at = timestamp(now);
        let recent = timestamp(now - CONFIRMATION_INTERVAL);
        self.write(true, |tx| {
        let found: Option<(i64, String, Option<String>)> = tx
            .query_row(
                "SELECT id, status, confirmation_sent_at FROM subscribers WHERE address_key = ?1",
                [comparable(email)],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            ?;
        let outcome = match found {
            None => {
                // Signing up anew is consent anew: the erased address may be kept again.
                tx.execute(
                    "DELETE FROM forgotten WHERE address_hash = ?1",
                    [forgotten_hash(email)],
                )?;
                tx.execute(
                    "INSERT INTO subscribers
                     (email, address_key, name, status, created_at, updated_at, confirmation_sent_at)
                     VALUES (?1, ?2, ?3, 'pending', ?4, ?4, ?4)",
                    params![email, comparable(email), name, at],
                )
                ?;
                let id = tx.last_insert_rowid();
                add_event(tx, id, &at, Status::Pending, Source::Form, None)?;
                SignUp {
                    before: None,
                    send_confirmation: true,
                }
            }
            Some((id, status, sent_at)) => {
                let before = Status::parse(&status).unwrap_or(Status::Pending);
                if before == Status::Active {
                    SignUp {
                        before: Some(before),
                        send_confirmation: false,
                    }
                } else {
                    let due = sent_at.is_none_or(|sent| sent <= recent);
                    if before != Status::Pending {
                        add_event(tx, id, &at, Status::Pending, Source::Form, None)
                            ?;
                    }
                    tx.execute(
                        "UPDATE subscribers SET status = 'pending', updated_at = ?2,
                         name = COALESCE(?3, name),
                         confirmation_sent_at = CASE WHEN ?4 THEN ?2 ELSE confirmation_sent_at END
                         WHERE id = ?1",
                        params![id, at, name, due],
                    )
                    ?;
                    SignUp {
                        before: Some(before),
                        send_confirmation: due,
                    }
                }
            }
        };
        Ok(outcome)
        })
    }

    /// Gives back the confirmation claimed by [`Store::sign_up`] when the message could not
    /// be sent, so the reader can try again at once.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`].
    pub fn release_confirmation(&mut self, email: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE subscribers SET confirmation_sent_at = NULL WHERE address_key = ?1",
                [comparable(email)],
            )
            .map(drop)
            .map_err(|e| self.error(&e))
    }

    /// A confirmation link: a `pending` subscriber becomes `active`.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; nothing is changed then.
    pub fn confirm(&mut self, email: &str, now: DateTime<Utc>) -> Result<Confirmed> {
        let at = timestamp(now);
        self.write(true, |tx| {
            Ok(match find(tx, email)? {
                Some((id, status)) if status == "pending" => {
                    set_status(tx, id, &at, Status::Active, Source::Link, None)?;
                    Confirmed::Now
                }
                Some((_, status)) if status == "active" => Confirmed::Already,
                _ => Confirmed::NotPending,
            })
        })
    }

    /// Unsubscribes `email` at once. An address the store does not hold (mailed from a CSV
    /// list) is added as `unsubscribed`, so later sends skip it. Bounced and complained
    /// addresses keep their status. Returns whether anything changed.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; nothing is changed then.
    pub fn unsubscribe(&mut self, email: &str, source: Source, now: DateTime<Utc>) -> Result<bool> {
        let at = timestamp(now);
        self.write(true, |tx| {
            Ok(match find(tx, email)? {
                Some((id, status)) if status == "pending" || status == "active" => {
                    set_status(tx, id, &at, Status::Unsubscribed, source, None)?;
                    true
                }
                Some(_) => false,
                None => {
                    insert(tx, email, None, Status::Unsubscribed, &at, source, None)?;
                    true
                }
            })
        })
    }

    /// `briefing subscribers add`: `email` becomes active. One that unsubscribed, bounced or
    /// complained stays so unless `reactivate`. Returns the status before (`None`: new).
    ///
    /// # Errors
    ///
    /// [`Error::Reactivate`] for an inactive address without `reactivate`;
    /// [`Error::StoreBusy`] or [`Error::Store`].
    pub fn add(
        &mut self,
        email: &str,
        name: Option<&str>,
        reactivate: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<Status>> {
        let at = timestamp(now);
        // Nothing changes for an address kept inactive, so committing it is harmless.
        let applied = self.write(true, |tx| {
            apply(
                tx,
                email,
                name,
                Status::Active,
                reactivate,
                Source::Command,
                &at,
            )
        })?;
        match applied {
            Applied::KeptInactive(status) => Err(Error::Reactivate {
                email: email.to_owned(),
                status: status.as_str(),
            }),
            Applied::Changed(s) | Applied::Same(s) => Ok(Some(s)),
            Applied::New => Ok(None),
        }
    }

    /// `briefing subscribers remove`: `email` becomes unsubscribed. Returns whether it was
    /// on the list and not unsubscribed already.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`].
    pub fn remove(&mut self, email: &str, now: DateTime<Utc>) -> Result<bool> {
        if self.get(email)?.is_none() {
            return Ok(false);
        }
        self.unsubscribe(email, Source::Command, now)
    }

    /// Imports checked rows in one transaction: all or nothing. A row's status (active when
    /// it has none) is applied; rows that would make an unsubscribed, bounced or complained
    /// address active again are left alone unless `reactivate`. Importing the same file
    /// twice changes nothing the second time.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; nothing is imported then.
    pub fn import<'r>(
        &mut self,
        rows: impl IntoIterator<Item = (&'r str, Option<&'r str>, &'r str)>,
        reactivate: bool,
        now: DateTime<Utc>,
    ) -> Result<ImportSummary> {
        let at = timestamp(now);
        self.write(true, |tx| {
            let mut summary = ImportSummary::default();
            for (email, name, status) in rows {
                let status = Status::parse(status).unwrap_or(Status::Active);
                match apply(tx, email, name, status, reactivate, Source::Import, &at)? {
                    Applied::New => summary.added += 1,
                    Applied::Changed(_) => summary.updated += 1,
                    Applied::Same(_) => summary.unchanged += 1,
                    Applied::KeptInactive(_) => summary.kept_inactive += 1,
                }
            }
            Ok(summary)
        })
    }

    /// Erases `email` on its owner's request: the row, its history and its bounce records
    /// go; a hash of the address stays, so that an import or a CSV send does not mail it
    /// again unless the owner signs up anew. Returns whether the store held it.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; nothing is erased then.
    pub fn forget(&mut self, email: &str, now: DateTime<Utc>) -> Result<bool> {
        let at = timestamp(now);
        self.write(true, |tx| {
            let key = comparable(email);
            tx.execute("DELETE FROM bounces WHERE address_key = ?1", [&key])?;
            tx.execute(
                "DELETE FROM events WHERE subscriber_id IN
                 (SELECT id FROM subscribers WHERE address_key = ?1)",
                [&key],
            )?;
            let held = tx.execute("DELETE FROM subscribers WHERE address_key = ?1", [&key])? > 0;
            tx.execute(
                "INSERT OR IGNORE INTO forgotten (address_hash, at) VALUES (?1, ?2)",
                params![forgotten_hash(email), at],
            )?;
            Ok(held)
        })
    }

    /// Whether `email` was erased with [`Store::forget`] (and has not signed up since).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn is_forgotten(&self, email: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT 1 FROM forgotten WHERE address_hash = ?1",
                [forgotten_hash(email)],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| self.error(&e))
    }

    /// Every subscriber, oldest first, or those with `status`.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn list(&self, status: Option<Status>) -> Result<Vec<Subscriber>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT email, name, status, created_at, updated_at FROM subscribers
                 WHERE ?1 IS NULL OR status = ?1 ORDER BY id",
            )
            .map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map([status.map(Status::as_str)], subscriber)
            .map_err(|e| self.error(&e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.error(&e))
    }

    /// The addresses never to mail from a CSV list either: unsubscribed, bounced,
    /// complained, forgotten (as [`address_key`]s, the send's suppression keys).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn suppressed(&self) -> Result<HashSet<u128>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT address_key FROM subscribers
                 WHERE status IN ('unsubscribed', 'bounced', 'complained')",
            )
            .map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(|e| self.error(&e))?;
        let mut keys = HashSet::new();
        for key in rows {
            keys.insert(address_key(&key.map_err(|e| self.error(&e))?));
        }
        drop(statement);
        let mut statement = self
            .conn
            .prepare("SELECT address_hash FROM forgotten")
            .map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(|e| self.error(&e))?;
        for hash in rows {
            if let Ok(key) = u128::from_str_radix(&hash.map_err(|e| self.error(&e))?, 16) {
                keys.insert(key);
            }
        }
        Ok(keys)
    }

    /// Subscribers by status (every status present, with 0 for none): one indexed query,
    /// without the history that [`Store::stats`] reads.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn counts(&self) -> Result<BTreeMap<Status, usize>> {
        let mut counts: BTreeMap<Status, usize> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        let mut statement = self
            .conn
            .prepare("SELECT status, count(*) FROM subscribers GROUP BY status")
            .map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map([], |row| Ok((status_of(row, 0)?, row.get::<_, usize>(1)?)))
            .map_err(|e| self.error(&e))?;
        for row in rows {
            let (status, count) = row.map_err(|e| self.error(&e))?;
            counts.insert(status, count);
        }
        Ok(counts)
    }

    /// Counts by status, and sign-ups and unsubscribes per ISO week.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn stats(&self) -> Result<Stats> {
        let mut stats = Stats {
            by_status: self.counts()?,
            ..Stats::default()
        };
        let mut statement = self
            .conn
            .prepare(
                "SELECT at, status FROM events WHERE status IN ('active', 'unsubscribed')
                 ORDER BY id",
            )
            .map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map([], |row| Ok((row.get::<_, String>(0)?, status_of(row, 1)?)))
            .map_err(|e| self.error(&e))?;
        for row in rows {
            let (at, status) = row.map_err(|e| self.error(&e))?;
            let Ok(at) = DateTime::parse_from_rfc3339(&at) else {
                continue;
            };
            let week = at.iso_week();
            let key = format!("{}-W{:02}", week.year(), week.week());
            let entry = stats.weeks.entry(key).or_default();
            if status == Status::Active {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
        Ok(stats)
    }
}

impl Store {
    /// Whether the report `id` (its Message-ID, or a hash of it) was ingested before.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn report_seen(&self, id: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT 1 FROM reports WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| self.error(&e))
    }

    /// Records the report `id` (with `outcome`, a word for the summary) and its findings, in
    /// one transaction: each failure is kept; a hard bounce makes its address `bounced`, a
    /// complaint `complained`, and the soft bounce that reaches `soft_limit` within 30 days
    /// `bounced`. With `subscribers`, the store's subscribers change (with an event each);
    /// without, only the report is kept (a CSV list is changed by the caller). With
    /// `dry_run`, nothing is written.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; nothing is changed then.
    pub fn record_report(
        &mut self,
        id: &str,
        outcome: &str,
        findings: &[Finding],
        (soft_limit, subscribers, dry_run): (u32, bool, bool),
        now: DateTime<Utc>,
    ) -> Result<Vec<Recorded>> {
        self.write(!dry_run, |tx| {
            tx.execute(
                "INSERT OR IGNORE INTO reports (id, ingested_at, outcome) VALUES (?1, ?2, ?3)",
                params![id, timestamp(now), outcome],
            )?;
            let mut recorded = Vec::new();
            for finding in findings {
                let key = comparable(&finding.email);
                let at = timestamp(finding.at);
                tx.execute(
                "INSERT INTO bounces (report_id, address_key, at, kind, status_code, diagnostic)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    key,
                    at,
                    finding.failure.as_str(),
                    finding.code,
                    finding.diagnostic
                ],
            )
            ?;
                let soft_count: usize = tx.query_row(
                    "SELECT count(*) FROM bounces WHERE address_key = ?1 AND kind = 'soft'
                     AND at > ?2 AND at <= ?3",
                    params![key, timestamp(finding.at - SOFT_BOUNCE_WINDOW), at],
                    |row| row.get(0),
                )?;
                let status = match finding.failure {
                    Failure::Hard => Some(Status::Bounced),
                    Failure::Complaint => Some(Status::Complained),
                    Failure::Soft if soft_count >= soft_limit as usize => Some(Status::Bounced),
                    Failure::Soft => None,
                };
                // A complaint outranks a bounce; nothing outranks a complaint.
                if subscribers
                    && let Some(status) = status
                    && let Some((subscriber, before)) = find(tx, &finding.email)?
                    && before != "complained"
                    && !(before == "bounced" && status == Status::Bounced)
                {
                    let detail = [finding.code.as_deref(), finding.diagnostic.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": ");
                    let detail = match finding.failure {
                        Failure::Soft => {
                            format!("{soft_count} soft bounces in 30 days; the last: {detail}")
                        }
                        _ => detail,
                    };
                    let detail: String = detail.chars().take(500).collect();
                    set_status(
                        tx,
                        subscriber,
                        &at,
                        status,
                        Source::Bounce,
                        Some(&detail).filter(|d| !d.is_empty()).map(String::as_str),
                    )?;
                }
                recorded.push(Recorded {
                    email: finding.email.clone(),
                    failure: finding.failure,
                    status,
                    soft_count,
                });
            }
            Ok(recorded)
        })
    }
}

/// What [`apply`] did.
enum Applied {
    New,
    Changed(Status),
    Same(Status),
    KeptInactive(Status),
}

/// Sets `email` to `status` (adding it if new), recording an event when the status changes.
fn apply(
    tx: &rusqlite::Transaction<'_>,
    email: &str,
    name: Option<&str>,
    status: Status,
    reactivate: bool,
    source: Source,
    at: &str,
) -> rusqlite::Result<Applied> {
    let found: Option<(i64, String, Option<String>)> = tx
        .query_row(
            "SELECT id, status, name FROM subscribers WHERE address_key = ?1",
            [comparable(email)],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((id, before, old_name)) = found else {
        let forgotten = tx
            .query_row(
                "SELECT 1 FROM forgotten WHERE address_hash = ?1",
                [forgotten_hash(email)],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if forgotten && matches!(status, Status::Active) && !reactivate {
            return Ok(Applied::KeptInactive(Status::Unsubscribed));
        }
        tx.execute(
            "DELETE FROM forgotten WHERE address_hash = ?1",
            [forgotten_hash(email)],
        )?;
        insert(tx, email, name, status, at, source, None)?;
        return Ok(Applied::New);
    };
    let before = Status::parse(&before).unwrap_or(Status::Pending);
    let was_out = matches!(
        before,
        Status::Unsubscribed | Status::Bounced | Status::Complained
    );
    let would_mail = matches!(status, Status::Active);
    if was_out && would_mail && !reactivate {
        return Ok(Applied::KeptInactive(before));
    }
    let renamed = name.is_some() && name != old_name.as_deref();
    if renamed {
        tx.execute(
            "UPDATE subscribers SET name = ?2 WHERE id = ?1",
            params![id, name],
        )?;
    }
    if before == status {
        return Ok(if renamed {
            Applied::Changed(before)
        } else {
            Applied::Same(before)
        });
    }
    set_status(tx, id, at, status, source, None)?;
    Ok(Applied::Changed(before))
}

/// The id and status of `email`'s row.
fn find(tx: &rusqlite::Transaction<'_>, email: &str) -> rusqlite::Result<Option<(i64, String)>> {
    tx.query_row(
        "SELECT id, status FROM subscribers WHERE address_key = ?1",
        [comparable(email)],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
}

fn insert(
    tx: &rusqlite::Transaction<'_>,
    email: &str,
    name: Option<&str>,
    status: Status,
    at: &str,
    source: Source,
    detail: Option<&str>,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO subscribers (email, address_key, name, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![email, comparable(email), name, status.as_str(), at],
    )?;
    let id = tx.last_insert_rowid();
    add_event(tx, id, at, status, source, detail)
}

fn set_status(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    at: &str,
    status: Status,
    source: Source,
    detail: Option<&str>,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE subscribers SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, status.as_str(), at],
    )?;
    add_event(tx, id, at, status, source, detail)
}

fn add_event(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    at: &str,
    status: Status,
    source: Source,
    detail: Option<&str>,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO events (subscriber_id, at, status, source, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, at, status.as_str(), source.as_str(), detail],
    )
    .map(drop)
}

fn subscriber(row: &rusqlite::Row<'_>) -> rusqlite::Result<Subscriber> {
    Ok(Subscriber {
        email: row.get(0)?,
        name: row.get(1)?,
        status: status_of(row, 2)?,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

fn status_of(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Status> {
    let text: String = row.get(index)?;
    Status::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown status `{text}`").into(),
        )
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db/audience.sqlite3")).unwrap();
        (dir, store)
    }

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + chrono::Duration::minutes(minutes)
    }

    fn record<'a>(email: &'a str, status: &'a str) -> (&'a str, Option<&'a str>, &'a str) {
        (email, None, status)
    }

    #[test]
    fn a_sign_up_is_pending_until_confirmed_and_keeps_its_history() {
        let (_dir, mut store) = store();
        let first = store
            .sign_up("Ann@Example.org", Some("Ann"), at(0))
            .unwrap();
        assert_eq!(
            first,
            SignUp {
                before: None,
                send_confirmation: true
            }
        );
        assert_eq!(
            store.get("ann@example.org").unwrap().unwrap().status,
            Status::Pending
        );
        assert_eq!(
            store.confirm("ann@EXAMPLE.org", at(1)).unwrap(),
            Confirmed::Now
        );
        assert_eq!(
            store.confirm("ann@example.org", at(2)).unwrap(),
            Confirmed::Already
        );
        assert!(
            store
                .unsubscribe("ann@example.org", Source::OneClick, at(3))
                .unwrap()
        );
        assert!(
            !store
                .unsubscribe("ann@example.org", Source::OneClick, at(4))
                .unwrap()
        );
        let history: Vec<(Status, String)> = store
            .history("ann@example.org")
            .unwrap()
            .into_iter()
            .map(|e| (e.status, e.source))
            .collect();
        assert_eq!(
            history,
            [
                (Status::Pending, "form".to_owned()),
                (Status::Active, "link".to_owned()),
                (Status::Unsubscribed, "one-click".to_owned()),
            ]
        );
        // The address as first written is kept.
        assert_eq!(
            store.get("ann@example.org").unwrap().unwrap().email,
            "Ann@Example.org"
        );
    }

    #[test]
    fn one_confirmation_per_address_per_ten_minutes() {
        let (_dir, mut store) = store();
        assert!(
            store
                .sign_up("a@example.org", None, at(0))
                .unwrap()
                .send_confirmation
        );
        assert!(
            !store
                .sign_up("a@example.org", None, at(5))
                .unwrap()
                .send_confirmation
        );
        assert!(
            store
                .sign_up("a@example.org", None, at(10))
                .unwrap()
                .send_confirmation
        );
        // A failed message gives the claim back.
        store.release_confirmation("a@example.org").unwrap();
        assert!(
            store
                .sign_up("a@example.org", None, at(11))
                .unwrap()
                .send_confirmation
        );
        // Active readers get no message at all.
        store.confirm("a@example.org", at(12)).unwrap();
        assert!(
            !store
                .sign_up("a@example.org", None, at(30))
                .unwrap()
                .send_confirmation
        );
    }

    #[test]
    fn a_confirmation_link_does_nothing_after_an_unsubscribe() {
        let (_dir, mut store) = store();
        store.sign_up("a@example.org", None, at(0)).unwrap();
        store
            .unsubscribe("a@example.org", Source::Link, at(1))
            .unwrap();
        assert_eq!(
            store.confirm("a@example.org", at(2)).unwrap(),
            Confirmed::NotPending
        );
        assert_eq!(
            store.confirm("nobody@example.org", at(2)).unwrap(),
            Confirmed::NotPending
        );
        assert!(store.get("nobody@example.org").unwrap().is_none());
    }

    #[test]
    fn unsubscribing_an_unknown_address_remembers_it_and_bounces_stay_bounces() {
        let (_dir, mut store) = store();
        assert!(
            store
                .unsubscribe("csv@example.org", Source::OneClick, at(0))
                .unwrap()
        );
        assert_eq!(
            store.get("csv@example.org").unwrap().unwrap().status,
            Status::Unsubscribed
        );
        store
            .import([record("b@example.org", "bounced")], false, at(1))
            .unwrap();
        assert!(
            !store
                .unsubscribe("b@example.org", Source::Link, at(2))
                .unwrap()
        );
        assert_eq!(
            store.get("b@example.org").unwrap().unwrap().status,
            Status::Bounced
        );
        assert_eq!(store.suppressed().unwrap().len(), 2);
    }

    #[test]
    fn importing_twice_changes_nothing_and_never_reactivates_without_asking() {
        let (_dir, mut store) = store();
        let rows = [
            record("a@example.org", ""),
            record("b@example.org", "subscribed"),
        ];
        let first = store.import(rows, false, at(0)).unwrap();
        assert_eq!(first.added, 2);
        let again = store.import(rows, false, at(1)).unwrap();
        assert_eq!(
            again,
            ImportSummary {
                unchanged: 2,
                ..ImportSummary::default()
            }
        );
        store
            .unsubscribe("a@example.org", Source::OneClick, at(2))
            .unwrap();
        let kept = store.import(rows, false, at(3)).unwrap();
        assert_eq!(kept.kept_inactive, 1);
        assert_eq!(
            store.get("a@example.org").unwrap().unwrap().status,
            Status::Unsubscribed
        );
        let forced = store.import(rows, true, at(4)).unwrap();
        assert_eq!(forced.updated, 1);
        assert_eq!(
            store.get("a@example.org").unwrap().unwrap().status,
            Status::Active
        );
        assert_eq!(store.history("a@example.org").unwrap().len(), 3);
    }

    #[test]
    fn add_refuses_to_reactivate_without_the_flag() {
        let (_dir, mut store) = store();
        assert_eq!(
            store.add("a@example.org", None, false, at(0)).unwrap(),
            None
        );
        assert!(store.remove("a@example.org", at(1)).unwrap());
        assert!(matches!(
            store.add("a@example.org", None, false, at(2)),
            Err(Error::Reactivate { .. })
        ));
        assert_eq!(
            store.add("a@example.org", None, true, at(3)).unwrap(),
            Some(Status::Unsubscribed)
        );
        assert!(!store.remove("never@example.org", at(4)).unwrap());
    }

    #[test]
    fn a_forgotten_address_leaves_only_a_hash_and_is_not_imported_again() {
        let (_dir, mut store) = store();
        store
            .add("Ann@Example.org", Some("Ann"), false, at(0))
            .unwrap();
        assert!(store.forget("ann@example.org", at(1)).unwrap());
        assert!(store.get("ann@example.org").unwrap().is_none());
        assert!(store.history("ann@example.org").unwrap().is_empty());
        let events: usize = store
            .conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(events, 0);
        // Nothing in the database names her.
        let dump: String = store
            .conn
            .query_row(
                "SELECT group_concat(address_hash) FROM forgotten",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!dump.contains("ann"));
        assert!(store.is_forgotten("ANN@example.org").unwrap());
        assert!(
            store
                .suppressed()
                .unwrap()
                .contains(&address_key("ann@example.org"))
        );
        let kept = store
            .import([record("ann@example.org", "")], false, at(2))
            .unwrap();
        assert_eq!(kept.kept_inactive, 1);
        assert!(store.get("ann@example.org").unwrap().is_none());
        // Signing up anew is new consent.
        store.sign_up("ann@example.org", None, at(3)).unwrap();
        assert!(!store.is_forgotten("ann@example.org").unwrap());
        assert!(!store.forget("nobody@example.org", at(4)).unwrap());
    }

    #[test]
    fn history_cannot_be_rewritten() {
        let (_dir, mut store) = store();
        store.add("a@example.org", None, false, at(0)).unwrap();
        let changed = store
            .conn
            .execute("UPDATE events SET source = 'import'", []);
        assert!(
            changed
                .unwrap_err()
                .to_string()
                .contains("events are history")
        );
    }

    #[test]
    fn stats_count_by_status_and_week() {
        let (_dir, mut store) = store();
        store.add("a@example.org", None, false, at(0)).unwrap();
        store.add("b@example.org", None, false, at(0)).unwrap();
        store.sign_up("c@example.org", None, at(0)).unwrap();
        store
            .unsubscribe("a@example.org", Source::Link, at(60 * 24 * 7))
            .unwrap();
        let stats = store.stats().unwrap();
        assert_eq!(stats.by_status[&Status::Active], 1);
        assert_eq!(stats.by_status[&Status::Pending], 1);
        assert_eq!(stats.by_status[&Status::Unsubscribed], 1);
        assert_eq!(stats.weeks["2026-W49"], (2, 0));
        assert_eq!(stats.weeks["2026-W50"], (0, 1));
    }

    #[test]
    fn a_database_from_a_newer_briefing_is_refused() {
        let (dir, store) = store();
        store.conn.pragma_update(None, "user_version", 99).unwrap();
        drop(store);
        let err = Store::open(&dir.path().join("db/audience.sqlite3")).unwrap_err();
        assert!(
            matches!(err, Error::StoreFromNewer { version: 99, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_database_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audience.sqlite3");
        std::fs::write(&path, "email,name\nann@example.org,Ann\n".repeat(100)).unwrap();
        let err = Store::open(&path).unwrap_err().to_string();
        assert!(err.contains("not an SQLite database"), "{err}");
    }
}
