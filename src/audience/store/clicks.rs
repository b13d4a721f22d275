//! Click counts (`audience.clicks`): per issue, story and link, readers and likely automated
//! requests apart. Nothing here names a reader: the links are the same in every copy of an
//! issue, and `listen` adds counts, never rows per click.

use std::collections::HashMap;

use rusqlite::params;

use super::Store;
use crate::error::Result;

/// What a click was on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClickKey {
    /// The issue (`2026-W25`).
    pub issue: String,
    /// The story's slug, or `-` for a link outside the stories (the header, the footer).
    pub story: String,
    /// The link's target.
    pub url: String,
}

/// Clicks on one link: by readers, and requests that look automated (mail scanners, link
/// previews). In `listen`'s batches, a change: a burst found late moves clicks from readers
/// to automated, so `readers` may be negative there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClickCount {
    /// Clicks taken to be a reader's.
    pub readers: i64,
    /// Requests taken to be a machine's.
    pub automated: i64,
}

impl Store {
    /// Adds `counts` to the stored ones, in one transaction.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`](crate::error::Error::StoreBusy) or
    /// [`Error::Store`](crate::error::Error::Store); nothing is added then.
    pub fn add_clicks(&mut self, counts: &HashMap<ClickKey, ClickCount>) -> Result<()> {
        self.write(true, |tx| {
            let mut add = tx.prepare_cached(
                "INSERT INTO clicks (issue, story, url, readers, automated)
                 VALUES (?1, ?2, ?3, max(?4, 0), max(?5, 0))
                 ON CONFLICT (issue, story, url) DO UPDATE SET
                    readers = max(readers + ?4, 0), automated = max(automated + ?5, 0)",
            )?;
            for (key, count) in counts {
                add.execute(params![
                    key.issue,
                    key.story,
                    key.url,
                    count.readers,
                    count.automated
                ])?;
            }
            Ok(())
        })
    }

    /// The counts of issue `issue`, by story then link.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::error::Error::Store) when the database cannot be read.
    pub fn clicks(&self, issue: &str) -> Result<Vec<(ClickKey, ClickCount)>> {
        let read = || -> rusqlite::Result<Vec<(ClickKey, ClickCount)>> {
            let mut statement = self.conn.prepare(
                "SELECT story, url, readers, automated FROM clicks WHERE issue = ?1
                 ORDER BY story, url",
            )?;
            let rows = statement.query_map(params![issue], |row| {
                Ok((
                    ClickKey {
                        issue: issue.to_owned(),
                        story: row.get(0)?,
                        url: row.get(1)?,
                    },
                    ClickCount {
                        readers: row.get(2)?,
                        automated: row.get(3)?,
                    },
                ))
            })?;
            rows.collect()
        };
        read().map_err(|e| self.error(&e))
    }
}
