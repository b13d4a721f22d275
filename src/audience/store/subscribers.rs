//! The lifecycle of an address: sign-up and confirmation, unsubscribes, `subscribers add`,
//! `remove` and `import`, and erasure on request.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::rows::{find, insert, set_status, source_of, status_of, subscriber};
use super::{CONFIRMATION_INTERVAL, Store, timestamp, welcomes};
use crate::audience::address::comparable;
use crate::audience::list::Suppression;
use crate::audience::secret::Key;
use crate::audience::token::erasure_hashes;
use crate::audience::{Source, Status};
use crate::error::{Error, Result};

/// Whether `email` has an erasure record ([`erasure_hashes`]).
fn is_forgotten_in(
    tx: &rusqlite::Transaction<'_>,
    key: &Key,
    email: &str,
) -> rusqlite::Result<bool> {
    let [now, before] = erasure_hashes(key.as_bytes(), email);
    tx.prepare_cached("SELECT 1 FROM forgotten WHERE address_hash IN (?1, ?2)")?
        .query_row(params![now, before], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// Deletes the erasure records of `email`: its owner consented anew.
fn delete_erasure_records(
    tx: &rusqlite::Transaction<'_>,
    key: &Key,
    email: &str,
) -> rusqlite::Result<()> {
    let [now, before] = erasure_hashes(key.as_bytes(), email);
    tx.execute(
        "DELETE FROM forgotten WHERE address_hash IN (?1, ?2)",
        params![now, before],
    )
    .map(drop)
}

/// The mailbox an address delivers to, for the per-address limit of confirmations: the
/// address as mail systems compare it, without a `+tag` and without dots in the local part,
/// so `ann+1@`, `ann+2@` and `a.nn@` count as one.
pub fn mailbox_key(email: &str) -> String {
    let comparable = comparable(email);
    match comparable.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split('+').next().unwrap_or(local).replace('.', "");
            format!("{local}@{domain}")
        }
        None => comparable,
    }
}

/// 16 random bytes in hex.
pub(super) fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    // Without the operating system's randomness nothing is safe; the nonce then falls back
    // to the clock, and the link's HMAC still makes it unforgeable.
    if getrandom::fill(&mut bytes).is_err() {
        bytes = Utc::now()
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .to_le_bytes()
            .repeat(2)
            .try_into()
            .unwrap_or([0; 16]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A reader leaving: who, how, when, and the issue whose link they used (`2026-W25`), if
/// it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaving {
    /// The address.
    pub email: String,
    /// Where the request came from.
    pub source: Source,
    /// When the reader asked.
    pub at: DateTime<Utc>,
    /// The issue of the link, checked by its signature.
    pub issue: Option<String>,
}

/// Writes `leaving` (see [`Store::unsubscribe`]); whether anything changed. A reader who
/// left from an issue's link adds one to that issue's count, once.
fn leave(tx: &rusqlite::Transaction<'_>, leaving: &Leaving) -> rusqlite::Result<bool> {
    let at = timestamp(leaving.at);
    let changed = match find(tx, &leaving.email)? {
        Some((id, Status::Pending | Status::Active)) => {
            set_status(tx, id, &at, Status::Unsubscribed, leaving.source, None)?;
            true
        }
        Some(_) => false,
        None => {
            insert(
                tx,
                &leaving.email,
                None,
                Status::Unsubscribed,
                &at,
                leaving.source,
                None,
            )?;
            true
        }
    };
    if let (true, Some(issue)) = (changed, &leaving.issue) {
        tx.execute(
            "INSERT INTO issue_unsubscribes (issue, readers) VALUES (?1, 1)
             ON CONFLICT (issue) DO UPDATE SET readers = readers + 1",
            params![issue],
        )?;
    }
    Ok(changed)
}

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
    /// How it came about.
    pub source: Source,
    /// More about it (a bounce's status code, say).
    pub detail: Option<String>,
}

/// A queued sign-up, decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedSignUp {
    /// The address given.
    pub email: String,
    /// The request a confirmation message is due for; `None` when none is (the address is
    /// active already, or its mailbox had one in the last ten minutes).
    pub pending: Option<PendingSignUp>,
}

/// A sign-up waiting for its owner's confirmation: what its link is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignUp {
    /// Its number.
    pub id: i64,
    /// A random value of its own, signed into its link with the id.
    pub nonce: String,
}

/// A sign-up as stored, for the confirmation page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUpRequest {
    /// The address given.
    pub email: String,
    /// The name given, if any.
    pub name: Option<String>,
    /// When (RFC 3339, UTC).
    pub requested_at: String,
    /// Its link was followed already.
    pub used: bool,
}

/// What a confirmation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// Active now.
    Now,
    /// Active already (the link followed twice).
    Already,
    /// Nothing to confirm: unknown, or (for links of earlier versions) no longer pending.
    NotPending,
    /// The link is older than it may be.
    Expired,
}

/// How many rows of an import share a transaction.
pub const IMPORT_BATCH: usize = 1000;

/// One row of an import: the address, the name, the status (mapped to ours), and what the
/// other tool recorded of the reader's consent (kept in the history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The address.
    pub email: String,
    /// The name, if any.
    pub name: Option<String>,
    /// The status it gets.
    pub status: Status,
    /// `imported from Mailchimp; opted in 2024-01-01 10:00 UTC from 203.0.113.9`, say.
    pub consent: Option<String>,
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
    /// How many of the file's addresses have each status after the import.
    pub by_status: std::collections::BTreeMap<Status, usize>,
}

impl Store {
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
                    source: source_of(row, 2)?,
                    detail: row.get(3)?,
                })
            })
            .map_err(|e| self.error(&e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.error(&e))
    }

    /// Every subscriber's history (their address with each event), subscribers oldest
    /// first and each one's events in order: the consent record `subscribers export
    /// --history` writes.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn all_history(&self) -> Result<Vec<(String, Event)>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT s.email, e.at, e.status, e.source, e.detail FROM events e
                 JOIN subscribers s ON s.id = e.subscriber_id ORDER BY s.id, e.id",
            )
            .map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    Event {
                        at: row.get(1)?,
                        status: status_of(row, 2)?,
                        source: source_of(row, 3)?,
                        detail: row.get(4)?,
                    },
                ))
            })
            .map_err(|e| self.error(&e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.error(&e))
    }

    /// Takes a sign-up from the form: one insert into the sign-up queue, the same work
    /// whatever the address's standing, so that neither the answer nor its timing tells who
    /// reads. [`Store::next_sign_up`] does the rest later.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; nothing is queued then.
    pub fn queue_sign_up(
        &mut self,
        email: &str,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let at = timestamp(now);
        self.write(true, |tx| {
            tx.execute(
                "INSERT INTO signup_queue (email, name, at) VALUES (?1, ?2, ?3)",
                params![email, name, at],
            )
            .map(drop)
        })
    }

    /// How many sign-ups wait in the queue.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    #[cfg(test)]
    pub fn queued_sign_ups(&self) -> Result<usize> {
        self.conn
            .query_row("SELECT count(*) FROM signup_queue", [], |row| row.get(0))
            .map_err(|e| self.error(&e))
    }

    /// Takes the oldest queued sign-up and decides it, in one transaction (so a crash leaves
    /// it queued, or decided): `None` when the queue is empty.
    ///
    /// A sign-up is a request, not consent: it never changes an address that unsubscribed,
    /// bounced, complained or was erased (they stay as they are, and unmailed, until the
    /// owner follows the confirmation link), and it never renames anyone. A new address
    /// gets a `pending` row. Unless the address is active already, or its mailbox (plus and
    /// dot variants counted together) had a confirmation in the last ten minutes, a
    /// [`PendingSignUp`] is made, whose confirmation link only grants consent.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; the sign-up stays queued then.
    pub fn next_sign_up(&mut self, now: DateTime<Utc>) -> Result<Option<QueuedSignUp>> {
        let at = timestamp(now);
        let recent = timestamp(now - CONFIRMATION_INTERVAL);
        let key = self.key.clone();
        self.write(true, |tx| {
            let queued: Option<(i64, String, Option<String>)> = tx
                .query_row(
                    "SELECT id, email, name FROM signup_queue ORDER BY id LIMIT 1",
                    [],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            let Some((queue_id, email, name)) = queued else {
                return Ok(None);
            };
            tx.execute("DELETE FROM signup_queue WHERE id = ?1", [queue_id])?;
            let before = find(tx, &email)?.map(|(_, status)| status);
            if before == Some(Status::Active) {
                return Ok(Some(QueuedSignUp {
                    email,
                    pending: None,
                }));
            }
            let mailbox = mailbox_key(&email);
            let claimed_lately = tx
                .query_row(
                    "SELECT 1 FROM signups WHERE mailbox_key = ?1 AND requested_at > ?2",
                    params![mailbox, recent],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if claimed_lately {
                return Ok(Some(QueuedSignUp {
                    email,
                    pending: None,
                }));
            }
            if before.is_none() && !is_forgotten_in(tx, &key, &email)? {
                insert(tx, &email, None, Status::Pending, &at, Source::Form, None)?;
            }
            let nonce = random_hex();
            tx.execute(
                "INSERT INTO signups
                 (address_key, mailbox_key, email, name, nonce, requested_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![comparable(&email), mailbox, email, name, nonce, at],
            )?;
            let pending = PendingSignUp {
                id: tx.last_insert_rowid(),
                nonce,
            };
            Ok(Some(QueuedSignUp {
                email,
                pending: Some(pending),
            }))
        })
    }

    /// Gives back the confirmation a sign-up claimed when its message could not be sent, so
    /// the reader can try again at once.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`].
    pub fn release_sign_up(&mut self, sign_up: &PendingSignUp) -> Result<()> {
        let id = sign_up.id;
        self.write(true, |tx| {
            tx.execute(
                "DELETE FROM signups WHERE id = ?1 AND used_at IS NULL",
                [id],
            )
            .map(drop)
        })
    }

    /// The sign-up `id` whose link carries `check` (made by `check_of` from the sign-up's
    /// nonce): `None` when there is none or the check is wrong.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn sign_up(
        &self,
        id: i64,
        check: impl Fn(&PendingSignUp) -> bool,
    ) -> Result<Option<SignUpRequest>> {
        let found = self
            .conn
            .query_row(
                "SELECT email, name, nonce, requested_at, used_at FROM signups WHERE id = ?1",
                [id],
                |row| {
                    let nonce: String = row.get(2)?;
                    let used_at: Option<String> = row.get(4)?;
                    Ok((
                        nonce,
                        SignUpRequest {
                            email: row.get(0)?,
                            name: row.get(1)?,
                            requested_at: row.get(3)?,
                            used: used_at.is_some(),
                        },
                    ))
                },
            )
            .optional()
            .map_err(|e| self.error(&e))?;
        Ok(found
            .filter(|(nonce, _)| {
                check(&PendingSignUp {
                    id,
                    nonce: nonce.clone(),
                })
            })
            .map(|(_, request)| request))
    }

    /// Confirms the sign-up `id` (its link checked by the caller): the one way a sign-up
    /// becomes consent. The link works once and for `valid` after the sign-up; the address
    /// becomes active whatever it was (its owner asked, from their own mailbox), takes the
    /// name this sign-up gave, and an erasure record of it goes. With `welcome`, a welcome
    /// message is queued in the same transaction; a link opened again re-arms one that
    /// failed.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; nothing is changed then.
    pub fn confirm_sign_up(
        &mut self,
        id: i64,
        valid: chrono::Duration,
        now: DateTime<Utc>,
        welcome: bool,
    ) -> Result<Confirmed> {
        let at = timestamp(now);
        let key = self.key.clone();
        self.write(true, |tx| {
            let found: Option<(String, Option<String>, String, Option<String>)> = tx
                .query_row(
                    "SELECT email, name, requested_at, used_at FROM signups WHERE id = ?1",
                    [id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()?;
            let Some((email, name, requested_at, used_at)) = found else {
                return Ok(Confirmed::NotPending);
            };
            if used_at.is_some() {
                return Ok(match find(tx, &email)? {
                    Some((row, Status::Active)) => {
                        welcomes::retry(tx, row)?;
                        Confirmed::Already
                    }
                    _ => Confirmed::NotPending,
                });
            }
            if requested_at < timestamp(now - valid) {
                return Ok(Confirmed::Expired);
            }
            tx.execute(
                "UPDATE signups SET used_at = ?2 WHERE id = ?1",
                params![id, at],
            )?;
            let detail = format!("confirmed the sign-up of {requested_at}");
            match find(tx, &email)? {
                Some((row, status)) => {
                    if name.is_some() {
                        tx.execute(
                            "UPDATE subscribers SET name = ?2 WHERE id = ?1",
                            params![row, name],
                        )?;
                    }
                    if status == Status::Active {
                        welcomes::retry(tx, row)?;
                        return Ok(Confirmed::Already);
                    }
                    set_status(tx, row, &at, Status::Active, Source::Link, Some(&detail))?;
                }
                None => insert(
                    tx,
                    &email,
                    name.as_deref(),
                    Status::Active,
                    &at,
                    Source::Link,
                    Some(&detail),
                )?,
            }
            delete_erasure_records(tx, &key, &email)?;
            if welcome {
                let (row, _) = find(tx, &email)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                welcomes::queue(tx, row, &at)?;
            }
            Ok(Confirmed::Now)
        })
    }

    /// A confirmation link of an earlier version (address, time and token in the link):
    /// a subscriber still `pending` becomes `active`. Nothing else: a link from before an
    /// unsubscribe never undoes it. `welcome` as for [`Store::confirm_sign_up`].
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; nothing is changed then.
    pub fn confirm(&mut self, email: &str, now: DateTime<Utc>, welcome: bool) -> Result<Confirmed> {
        let at = timestamp(now);
        self.write(true, |tx| {
            Ok(match find(tx, email)? {
                Some((id, Status::Pending)) => {
                    set_status(tx, id, &at, Status::Active, Source::Link, None)?;
                    if welcome {
                        welcomes::queue(tx, id, &at)?;
                    }
                    Confirmed::Now
                }
                Some((id, Status::Active)) => {
                    welcomes::retry(tx, id)?;
                    Confirmed::Already
                }
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
        let leaving = Leaving {
            email: email.to_owned(),
            source,
            at: now,
            issue: None,
        };
        self.write(true, |tx| leave(tx, &leaving))
    }

    /// Unsubscribes each of `changes` in one transaction: one sync for all of them (the
    /// service's group commit). As [`Store::unsubscribe`] for each; a reader who left from an
    /// issue's link is counted for that issue.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; none of them is written then.
    pub fn unsubscribe_all(&mut self, changes: &[Leaving]) -> Result<()> {
        self.write(true, |tx| {
            for leaving in changes {
                leave(tx, leaving)?;
            }
            Ok(())
        })
    }

    /// How many readers left from each issue's unsubscribe link, by issue (`2026-W25`).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn unsubscribes_by_issue(&self) -> Result<HashMap<String, u64>> {
        let read = || -> rusqlite::Result<HashMap<String, u64>> {
            let mut statement = self
                .conn
                .prepare("SELECT issue, readers FROM issue_unsubscribes")?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?;
            rows.map(|row| row.map(|(issue, n)| (issue, u64::try_from(n).unwrap_or(0))))
                .collect()
        };
        read().map_err(|e| self.error(&e))
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
        let key = self.key.clone();
        let change = Change {
            email,
            name,
            status: Status::Active,
            reactivate,
            source: Source::Command,
            detail: None,
        };
        // Nothing changes for an address kept inactive, so committing it is harmless.
        let applied = self.write(true, |tx| apply(tx, &key, &change, &at))?;
        match applied {
            Applied::KeptInactive(status) => Err(Error::Reactivate {
                email: email.to_owned(),
                status: status.as_str(),
            }),
            Applied::Changed { before, .. } | Applied::Same(before) => Ok(Some(before)),
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

    /// Imports checked rows, [`IMPORT_BATCH`] to a transaction, so that the service's
    /// unsubscribes never wait long for a big import (a crash leaves the batches before it
    /// imported, and importing again finishes the rest). A row's status is applied, and what
    /// the row says of the reader's consent goes into the event; rows that would make an
    /// unsubscribed, bounced, complained or erased address active again are left alone
    /// unless `reactivate`. Importing the same file twice changes nothing the second time.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; the batch under way is not imported then.
    ///
    /// With `commit` false nothing is written: each batch is rolled back, and the summary
    /// says what the import would do (the rows are distinct addresses, so no batch depends
    /// on another).
    pub fn import(
        &mut self,
        rows: &[ImportRow],
        reactivate: bool,
        commit: bool,
        now: DateTime<Utc>,
    ) -> Result<ImportSummary> {
        let at = timestamp(now);
        let key = self.key.clone();
        let mut summary = ImportSummary::default();
        for batch in rows.chunks(IMPORT_BATCH) {
            self.write(commit, |tx| {
                for row in batch {
                    let change = Change {
                        email: &row.email,
                        name: row.name.as_deref(),
                        status: row.status,
                        reactivate,
                        source: Source::Import,
                        detail: row.consent.as_deref(),
                    };
                    let after = match apply(tx, &key, &change, &at)? {
                        Applied::New => {
                            summary.added += 1;
                            row.status
                        }
                        Applied::Changed { .. } => {
                            summary.updated += 1;
                            row.status
                        }
                        Applied::Same(status) => {
                            summary.unchanged += 1;
                            status
                        }
                        Applied::KeptInactive(status) => {
                            summary.kept_inactive += 1;
                            status
                        }
                    };
                    *summary.by_status.entry(after).or_default() += 1;
                }
                Ok(())
            })?;
        }
        Ok(summary)
    }

    /// Erases `email` on its owner's request: the row, its history, its sign-ups, its bounce
    /// records and the reports recorded under it go; a keyed hash of the address stays, so
    /// that an import or a CSV send does not mail it again unless the owner signs up anew.
    /// Deleted rows are overwritten (`secure_delete`) and the write-ahead log is emptied
    /// after, so no copy of the address stays in the database's files. Returns whether the
    /// store held it.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`]; nothing is erased then.
    pub fn forget(&mut self, email: &str, now: DateTime<Utc>) -> Result<bool> {
        let at = timestamp(now);
        let erasure_key = self.key.clone();
        let held = self.write(true, |tx| {
            let key = comparable(email);
            tx.execute("DELETE FROM bounces WHERE address_key = ?1", [&key])?;
            tx.execute(
                "DELETE FROM events WHERE subscriber_id IN
                 (SELECT id FROM subscribers WHERE address_key = ?1)",
                [&key],
            )?;
            let held = tx.execute("DELETE FROM subscribers WHERE address_key = ?1", [&key])? > 0;
            tx.execute("DELETE FROM signups WHERE address_key = ?1", [&key])?;
            tx.execute(
                "DELETE FROM signup_queue WHERE lower(email) = lower(?1)",
                [email],
            )?;
            // Reports are recorded under `<address>:<digest>`.
            tx.execute(
                "DELETE FROM reports WHERE substr(id, 1, length(?1) + 1) = ?1 || ':'",
                [&key],
            )?;
            let [hash, _] = erasure_hashes(erasure_key.as_bytes(), email);
            tx.execute(
                "INSERT OR IGNORE INTO forgotten (address_hash, at, keyed) VALUES (?1, ?2, 1)",
                params![hash, at],
            )?;
            Ok(held)
        })?;
        self.drop_queued_unsubscribes(email);
        self.empty_wal();
        Ok(held)
    }

    /// Whether `email` was erased with [`Store::forget`] (and has not signed up since).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    #[cfg(test)]
    pub fn is_forgotten(&self, email: &str) -> Result<bool> {
        let [now, before] = erasure_hashes(self.key.as_bytes(), email);
        self.conn
            .query_row(
                "SELECT 1 FROM forgotten WHERE address_hash IN (?1, ?2)",
                params![now, before],
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
    /// complained, and erased (by their keyed hashes).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the database cannot be read.
    pub fn suppressed(&self) -> Result<Suppression> {
        let mut suppression = Suppression::default();
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
        for key in rows {
            suppression.add_address(&key.map_err(|e| self.error(&e))?);
        }
        drop(statement);
        let mut statement = self
            .conn
            .prepare("SELECT address_hash FROM forgotten")
            .map_err(|e| self.error(&e))?;
        let hashes = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(|e| self.error(&e))?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.error(&e))?;
        suppression.add_erased(hashes, self.key.clone());
        // Unsubscribes still waiting to be written count at once.
        for queued in super::queued::waiting(&self.path) {
            suppression.add_address(&comparable(&queued.leaving.email));
        }
        Ok(suppression)
    }
}

/// What [`apply`] did.
enum Applied {
    New,
    Changed { before: Status },
    Same(Status),
    KeptInactive(Status),
}

/// A change [`apply`] makes: `email` to `status`, from `source`.
struct Change<'a> {
    email: &'a str,
    name: Option<&'a str>,
    status: Status,
    /// Whether an address that unsubscribed, bounced, complained or was erased may be made
    /// active again (its owner asked).
    reactivate: bool,
    source: Source,
    /// What the event says besides (an import's record of consent).
    detail: Option<&'a str>,
}

/// Sets `change.email` to `change.status` (adding it if new), recording an event when the
/// status changes; a name given replaces the stored one.
fn apply(
    tx: &rusqlite::Transaction<'_>,
    key: &Key,
    change: &Change<'_>,
    at: &str,
) -> rusqlite::Result<Applied> {
    let Change {
        email,
        name,
        status,
        reactivate,
        source,
        detail,
    } = *change;
    // Cached statements: an import runs these once per row.
    let found: Option<(i64, Status, Option<String>)> = tx
        .prepare_cached("SELECT id, status, name FROM subscribers WHERE address_key = ?1")?
        .query_row([comparable(email)], |row| {
            Ok((row.get(0)?, status_of(row, 1)?, row.get(2)?))
        })
        .optional()?;
    let Some((id, before, old_name)) = found else {
        let forgotten = is_forgotten_in(tx, key, email)?;
        if forgotten && matches!(status, Status::Active | Status::Pending) && !reactivate {
            return Ok(Applied::KeptInactive(Status::Unsubscribed));
        }
        if forgotten {
            delete_erasure_records(tx, key, email)?;
        }
        insert(tx, email, name, status, at, source, detail)?;
        return Ok(Applied::New);
    };
    let was_out = matches!(
        before,
        Status::Unsubscribed | Status::Bounced | Status::Complained
    );
    // Pending is no way back in either: it would let a confirmation mail them.
    if was_out && matches!(status, Status::Active | Status::Pending) && !reactivate {
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
            Applied::Changed { before }
        } else {
            Applied::Same(before)
        });
    }
    set_status(tx, id, at, status, source, detail)?;
    Ok(Applied::Changed { before })
}
