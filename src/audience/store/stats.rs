//! Counts: subscribers by status, and sign-ups and unsubscribes per ISO week.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike};

use super::Store;
use super::rows::status_of;
use crate::audience::Status;
use crate::error::Result;

/// Counts for `briefing subscribers stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Subscribers by status.
    pub by_status: BTreeMap<Status, usize>,
    /// Per ISO week (`2026-W48`): how many became active and how many unsubscribed.
    pub weeks: BTreeMap<String, (usize, usize)>,
    /// Welcome messages that could not be sent and wait to be tried again.
    pub failed_welcomes: usize,
}

impl Store {
    /// Subscribers by status (every status present, with 0 for none): one indexed query,
    /// without the history that [`Store::stats`] reads.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::error::Error::Store) when the database cannot be read.
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
    /// [`Error::Store`](crate::error::Error::Store) when the database cannot be read.
    pub fn stats(&self) -> Result<Stats> {
        let mut stats = Stats {
            by_status: self.counts()?,
            failed_welcomes: self.failed_welcomes()?,
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
