//! The row-level steps every change is made of: find an address's row, add one, change its
//! status with an event in its history.

use rusqlite::{OptionalExtension, params};

use crate::audience::address::comparable;
use crate::audience::store::Subscriber;
use crate::audience::{Source, Status};

/// The id and status of `email`'s row.
pub(super) fn find(
    tx: &rusqlite::Transaction<'_>,
    email: &str,
) -> rusqlite::Result<Option<(i64, Status)>> {
    tx.prepare_cached("SELECT id, status FROM subscribers WHERE address_key = ?1")?
        .query_row([comparable(email)], |row| {
            Ok((row.get(0)?, status_of(row, 1)?))
        })
        .optional()
}

pub(super) fn insert(
    tx: &rusqlite::Transaction<'_>,
    email: &str,
    name: Option<&str>,
    status: Status,
    at: &str,
    source: Source,
    detail: Option<&str>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO subscribers (email, address_key, name, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![email, comparable(email), name, status.as_str(), at])?;
    let id = tx.last_insert_rowid();
    add_event(tx, id, at, status, source, detail)
}

pub(super) fn set_status(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    at: &str,
    status: Status,
    source: Source,
    detail: Option<&str>,
) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE subscribers SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, status.as_str(), at])?;
    add_event(tx, id, at, status, source, detail)
}

pub(super) fn add_event(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    at: &str,
    status: Status,
    source: Source,
    detail: Option<&str>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO events (subscriber_id, at, status, source, detail)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id, at, status.as_str(), source.as_str(), detail])
    .map(drop)
}

pub(super) fn subscriber(row: &rusqlite::Row<'_>) -> rusqlite::Result<Subscriber> {
    Ok(Subscriber {
        email: row.get(0)?,
        name: row.get(1)?,
        status: status_of(row, 2)?,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

pub(super) fn status_of(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Status> {
    let text: String = row.get(index)?;
    Status::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown status `{text}`").into(),
        )
    })
}

/// The `Source` in column `index`.
pub(super) fn source_of(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Source> {
    let text: String = row.get(index)?;
    Source::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown source `{text}`").into(),
        )
    })
}
