//! Welcome messages owed to readers who confirmed: queued in the confirmation's own
//! transaction (so a crash between the two cannot lose one), taken by `listen`'s worker, and
//! deleted once sent. One that could not be sent stays, marked failed, until the reader opens
//! their confirmation link again or `listen` starts again (either re-arms it: the publisher
//! may have mended the mail settings); `subscribers stats` counts them. A crash after a message left and before its row was deleted sends it again on the
//! next start (its Message-ID is the same, so a mailbox can tell): at least once, never lost.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, timestamp};
use crate::error::Result;

/// A welcome to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    /// The subscriber's row.
    pub subscriber: i64,
    /// Their address.
    pub email: String,
    /// Their name, if they gave one.
    pub name: Option<String>,
    /// When it was queued (seconds since 1970): tells the welcomes of one reader's
    /// successive subscriptions apart.
    pub queued: i64,
}

/// Queues the welcome of `subscriber`, who just became active.
pub(super) fn queue(
    tx: &rusqlite::Transaction<'_>,
    subscriber: i64,
    at: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO welcomes (subscriber_id, queued_at) VALUES (?1, ?2)",
        params![subscriber, at],
    )
    .map(drop)
}

/// Re-arms the welcome of `subscriber` if one failed: they opened their link again.
pub(super) fn retry(tx: &rusqlite::Transaction<'_>, subscriber: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE welcomes SET failed_at = NULL, failure = NULL WHERE subscriber_id = ?1",
        [subscriber],
    )
    .map(drop)
}

impl Store {
    /// The oldest welcome due (not failed), to a reader who is still active; welcomes of
    /// readers who left meanwhile are dropped unsent.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`](crate::error::Error::StoreBusy) or
    /// [`Error::Store`](crate::error::Error::Store).
    pub fn next_welcome(&mut self) -> Result<Option<Welcome>> {
        self.write(true, |tx| {
            tx.execute(
                "DELETE FROM welcomes WHERE subscriber_id IN
                 (SELECT id FROM subscribers WHERE status != 'active')",
                [],
            )?;
            tx.query_row(
                "SELECT s.id, s.email, s.name, w.queued_at FROM welcomes w JOIN subscribers s
                 ON s.id = w.subscriber_id WHERE w.failed_at IS NULL
                 ORDER BY w.queued_at, s.id LIMIT 1",
                [],
                |row| {
                    Ok(Welcome {
                        subscriber: row.get(0)?,
                        email: row.get(1)?,
                        name: row.get(2)?,
                        queued: DateTime::parse_from_rfc3339(&row.get::<_, String>(3)?)
                            .map_or(0, |at| at.timestamp()),
                    })
                },
            )
            .optional()
        })
    }

    /// The welcome of `subscriber` was sent: it is owed no more.
    ///
    /// # Errors
    ///
    /// As [`Store::next_welcome`].
    pub fn welcomed(&mut self, subscriber: i64) -> Result<()> {
        self.write(true, |tx| {
            tx.execute(
                "DELETE FROM welcomes WHERE subscriber_id = ?1",
                [subscriber],
            )
            .map(drop)
        })
    }

    /// The welcome of `subscriber` could not be sent, for `reason`: kept, and not tried again
    /// until the reader opens their confirmation link again.
    ///
    /// # Errors
    ///
    /// As [`Store::next_welcome`].
    pub fn welcome_failed(
        &mut self,
        subscriber: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(true, |tx| {
            tx.execute(
                "UPDATE welcomes SET failed_at = ?2, failure = ?3 WHERE subscriber_id = ?1",
                params![subscriber, timestamp(now), reason],
            )
            .map(drop)
        })
    }

    /// Every welcome that failed is tried again (at `listen`'s start: the mail settings may
    /// have been mended since).
    ///
    /// # Errors
    ///
    /// As [`Store::next_welcome`].
    pub fn retry_failed_welcomes(&mut self) -> Result<usize> {
        self.write(true, |tx| {
            tx.execute(
                "UPDATE welcomes SET failed_at = NULL, failure = NULL WHERE failed_at IS NOT NULL",
                [],
            )
        })
    }

    /// How many welcomes could not be sent and wait for their reader to open their link again, or `listen` to start again.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::error::Error::Store) when the database cannot be read.
    pub fn failed_welcomes(&self) -> Result<usize> {
        self.conn
            .query_row(
                "SELECT count(*) FROM welcomes WHERE failed_at IS NOT NULL",
                [],
                |row| row.get(0),
            )
            .map_err(|e| self.error(&e))
    }
}
