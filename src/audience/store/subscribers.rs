//! The lifecycle of an address: sign-up and confirmation, unsubscribes, `subscribers add`,
//! `remove` and `import`, and erasure on request.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::rows::{add_event, find, insert, set_status, source_of, status_of, subscriber};
use super::{CONFIRMATION_INTERVAL, Store, timestamp};
use crate::audience::address::{address_key, comparable};
use crate::audience::{Source, Status};
use crate::error::{Error, Result};

/// The form in which a forgotten address is kept: the 128-bit key sends already skip
/// suppressed addresses by ([`address_key`]). It can tell whether a list holds the address,
/// not which address it was.
fn forgotten_hash(email: &str) -> String {
    format!("{:032x}", address_key(email))
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
                Some((id, Status::Pending)) => {
                    set_status(tx, id, &at, Status::Active, Source::Link, None)?;
                    Confirmed::Now
                }
                Some((_, Status::Active)) => Confirmed::Already,
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
                Some((id, Status::Pending | Status::Active)) => {
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
    #[cfg(test)]
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
