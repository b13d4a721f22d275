//! Bounce and complaint reports: each recorded once, the failures they report kept, and the
//! statuses they lead to.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::rows::{find, set_status};
use super::{Store, timestamp};
use crate::audience::address::comparable;
use crate::audience::{Source, Status};
use crate::error::Result;

/// What a bounce or complaint report says happened to one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BounceKind {
    /// A permanent failure (`5.x.x`): the address does not take mail.
    Hard,
    /// A temporary one (`4.x.x`): counted; enough of them within 30 days count as hard.
    Soft,
    /// A "this is spam" report from the reader's mailbox provider.
    Complaint,
}

impl BounceKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            BounceKind::Hard => "hard",
            BounceKind::Soft => "soft",
            BounceKind::Complaint => "complaint",
        }
    }
}

/// One recipient's failure, as a report gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The recipient.
    pub email: String,
    /// What happened.
    pub kind: BounceKind,
    /// When it counts from: when the report was ingested.
    pub at: DateTime<Utc>,
    /// The date the report gives (its sender's word, kept as a note).
    pub reported_at: Option<DateTime<Utc>>,
    /// The status code (`5.1.1`), or the feedback type of a complaint.
    pub code: Option<String>,
    /// The server's words.
    pub diagnostic: Option<String>,
    /// The issue the reported message was (`2026-W25`), when its proof says: the week of its
    /// VERP address or quoted Message-ID.
    pub issue: Option<String>,
}

/// What recording a finding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The recipient.
    pub email: String,
    /// What the report says happened.
    pub kind: BounceKind,
    /// The status it leads to (`bounced`, `complained`), or `None` when it only counts
    /// (a soft bounce under the limit).
    pub status: Option<Status>,
    /// Soft bounces of this address within 30 days of this one, this one included.
    pub soft_count: usize,
}

/// How [`Store::record_report`] applies what a report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportOptions {
    /// Soft bounces within [`SOFT_BOUNCE_WINDOW`] that make an address bounced.
    pub soft_limit: u32,
    /// Change the store's subscribers; without, only the report is kept (a CSV list is
    /// changed by the caller).
    pub change_subscribers: bool,
    /// Write nothing.
    pub dry_run: bool,
}

/// How far back soft bounces count.
pub const SOFT_BOUNCE_WINDOW: chrono::Duration = chrono::Duration::days(30);

impl Store {
    /// The files of reports read to the end: (key, size, modification time).
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::error::Error::Store) when the database cannot be read.
    pub fn files_read(&self) -> Result<HashSet<(String, u64, i64)>> {
        let mut statement = self
            .conn
            .prepare("SELECT path, size, modified FROM ingested_files")
            .map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .map_err(|e| self.error(&e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.error(&e))
    }

    /// Records that the file `key` (of `size` bytes, changed at `modified`) was read to the
    /// end: the next ingest skips it unread while it stays so.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`](crate::error::Error::StoreBusy) or
    /// [`Error::Store`](crate::error::Error::Store).
    pub fn mark_file_read(&mut self, key: &str, size: u64, modified: i64) -> Result<()> {
        self.write(true, |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO ingested_files (path, size, modified) VALUES (?1, ?2, ?3)",
                params![key, size, modified],
            )
            .map(drop)
        })
    }

    /// Records the report `id` (with `outcome`, a word for the summary) and its findings, in
    /// one transaction: each failure is kept; a hard bounce makes its address `bounced`, a
    /// complaint `complained`, and the soft bounce that reaches `soft_limit` within 30 days
    /// `bounced`. [`ReportOptions`] say whether the store's subscribers change (with an event
    /// each) and whether anything is written at all.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`](crate::error::Error::StoreBusy) or [`Error::Store`](crate::error::Error::Store); nothing is changed then.
    pub fn record_report(
        &mut self,
        id: &str,
        outcome: &str,
        findings: &[Finding],
        options: ReportOptions,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<Recorded>>> {
        self.write(!options.dry_run, |tx| {
            // Seen and recorded in one transaction: two runs at once count a report once.
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO reports (id, ingested_at, outcome) VALUES (?1, ?2, ?3)",
                params![id, timestamp(now), outcome],
            )?;
            if inserted == 0 {
                return Ok(None);
            }
            let mut recorded = Vec::new();
            for finding in findings {
                let key = comparable(&finding.email);
                let at = timestamp(finding.at);
                tx.execute(
                    "INSERT INTO bounces
                     (report_id, address_key, at, kind, status_code, diagnostic, reported_at,
                      issue)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        id,
                        key,
                        at,
                        finding.kind.as_str(),
                        finding.code,
                        finding.diagnostic,
                        finding.reported_at.map(timestamp),
                        finding.issue
                    ],
                )?;
                let soft_count: usize = tx.query_row(
                    "SELECT count(*) FROM bounces WHERE address_key = ?1 AND kind = 'soft'
                     AND at > ?2 AND at <= ?3",
                    params![key, timestamp(finding.at - SOFT_BOUNCE_WINDOW), at],
                    |row| row.get(0),
                )?;
                let status = match finding.kind {
                    BounceKind::Hard => Some(Status::Bounced),
                    BounceKind::Complaint => Some(Status::Complained),
                    BounceKind::Soft if soft_count >= options.soft_limit as usize => {
                        Some(Status::Bounced)
                    }
                    BounceKind::Soft => None,
                };
                // A complaint outranks a bounce; nothing outranks a complaint.
                if options.change_subscribers
                    && let Some(status) = status
                    && let Some((subscriber, before)) = find(tx, &finding.email)?
                    && before != Status::Complained
                    && !(before == Status::Bounced && status == Status::Bounced)
                {
                    let detail = [finding.code.as_deref(), finding.diagnostic.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": ");
                    let detail = match finding.kind {
                        BounceKind::Soft => {
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
                    kind: finding.kind,
                    status,
                    soft_count,
                });
            }
            Ok(Some(recorded))
        })
    }
}

/// Bounces and complaints of one issue (see [`Store::reports_of`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReportCounts {
    /// Permanent failures.
    pub hard: u64,
    /// Temporary ones.
    pub soft: u64,
    /// Spam complaints.
    pub complaints: u64,
}

impl Store {
    /// The bounces and complaints of issue `issue`: those whose proof names it, and those
    /// with no issue (reports proved otherwise, or recorded by earlier versions) ingested from
    /// `from` until `until` (or now), when the issue went out at `from`.
    ///
    /// # Errors
    ///
    /// [`crate::error::Error::Store`] when the database cannot be read.
    pub fn reports_of(
        &self,
        issue: &str,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<ReportCounts> {
        let read = || -> rusqlite::Result<ReportCounts> {
            let mut statement = self.conn.prepare(
                "SELECT kind, count(*) FROM bounces
                 WHERE issue = ?1
                    OR (issue IS NULL AND ?2 IS NOT NULL AND at >= ?2 AND (?3 IS NULL OR at < ?3))
                 GROUP BY kind",
            )?;
            let mut counts = ReportCounts::default();
            let rows = statement.query_map(
                params![issue, from.map(timestamp), until.map(timestamp)],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
            )?;
            for row in rows {
                let (kind, n) = row?;
                let n = u64::try_from(n).unwrap_or(0);
                match kind.as_str() {
                    "hard" => counts.hard += n,
                    "soft" => counts.soft += n,
                    _ => counts.complaints += n,
                }
            }
            Ok(counts)
        };
        read().map_err(|e| self.error(&e))
    }
}
