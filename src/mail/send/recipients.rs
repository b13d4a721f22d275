//! Who one send mails: a CSV list (streamed, validated in full first), the store's active
//! subscribers, or addresses from the command line. Every row goes through the same checks
//! ([`decide`](crate::audience::list::decide)), and every address that unsubscribed, bounced,
//! complained or was erased is left out.

use std::collections::HashSet;
use std::path::Path;

use super::Recipients;
use crate::audience::Status;
use crate::audience::list::{self, Row, Suppression};
use crate::audience::secret::Key;
use crate::audience::store::Store;
use crate::content::config::Config;
use crate::content::project::Paths;
use crate::diagnostic::{Diagnostic, Pos, Severity};
use crate::error::{Error, Result};

/// The rows of one send, and what names its list in the journal.
pub(super) struct Plan {
    /// Every row, to mail or to skip, in order.
    pub rows: Box<dyn Iterator<Item = Row> + Send>,
    /// How many rows are to be mailed.
    pub total: usize,
    /// Store subscribers not mailed for their status: unsubscribed, bounced, complained.
    pub inactive: usize,
    /// Store subscribers who signed up and have not confirmed: not mailed until they do.
    pub pending: usize,
    /// Store addresses that fail a check added since they were stored: reported, not mailed.
    pub refused: Vec<(String, String)>,
}

/// The plan of a send to `recipients`.
///
/// # Errors
///
/// An invalid list (every bad row as a diagnostic), a bad `--to` address, no store to send to,
/// or a store or list that cannot be read.
pub(super) fn plan(
    paths: &Paths,
    config: &Config,
    recipients: &Recipients,
    secret: &Key,
) -> Result<Plan> {
    let mut suppressed = Suppression::default();
    if let Some(file) = &config.send.suppression_file {
        suppressed.add_keys(list::read_suppression(&paths.root.join(file))?);
    }
    let database = paths.root.join(&config.list.database);
    let store = Store::open_existing(&database, secret.clone())?;
    if let Some(store) = &store
        && !matches!(recipients, Recipients::To(_))
    {
        // Whoever unsubscribed through `briefing listen` (an unsubscribe still queued beside a
        // busy database included), bounced, complained or was erased is not mailed, from the
        // store or from a CSV list.
        suppressed.merge(store.suppressed()?);
    }
    match recipients {
        Recipients::List(path) => from_list(path, suppressed),
        Recipients::Store => {
            let store = store.ok_or(Error::NoAudience { path: database })?;
            from_store(&store, &suppressed)
        }
        Recipients::To(addresses) => from_command_line(addresses, &suppressed),
    }
}

fn from_list(path: &Path, suppressed: Suppression) -> Result<Plan> {
    let stats = list::validate(path, path, &suppressed)
        .map_err(|diagnostics| Error::Invalid { diagnostics })?;
    Ok(Plan {
        rows: Box::new(list::Rows::open(path, suppressed)?),
        total: stats.to_send,
        inactive: 0,
        pending: 0,
        refused: Vec::new(),
    })
}

fn from_store(store: &Store, suppressed: &Suppression) -> Result<Plan> {
    let counts = store.counts()?;
    let inactive = [Status::Unsubscribed, Status::Bounced, Status::Complained]
        .iter()
        .map(|s| counts.get(s).copied().unwrap_or(0))
        .sum();
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    for subscriber in store.list(Some(Status::Active))? {
        // The store holds addresses checked on the way in; one that fails now (a rule added
        // since) is reported, not mailed.
        match list::decide(
            &subscriber.email,
            subscriber.name.as_deref(),
            "",
            suppressed,
            &mut seen,
        ) {
            Ok(row) => rows.push(row),
            Err((message, _)) => refused.push((subscriber.email, message)),
        }
    }
    Ok(Plan {
        total: rows.iter().filter(|r| matches!(r, Row::Send(_))).count(),
        rows: Box::new(rows.into_iter()),
        inactive,
        pending: counts.get(&Status::Pending).copied().unwrap_or(0),
        refused,
    })
}

fn from_command_line(addresses: &[String], suppressed: &Suppression) -> Result<Plan> {
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(addresses.len());
    let mut bad = Vec::new();
    for address in addresses {
        match list::decide(address.trim(), None, "", suppressed, &mut seen) {
            Ok(row) => rows.push(row),
            Err((message, _)) => bad.push(Diagnostic {
                severity: Severity::Error,
                path: "--to".into(),
                pos: Pos::START,
                message,
                help: None,
                line_text: None,
            }),
        }
    }
    if !bad.is_empty() {
        return Err(Error::Invalid { diagnostics: bad });
    }
    Ok(Plan {
        total: rows.iter().filter(|r| matches!(r, Row::Send(_))).count(),
        rows: Box::new(rows.into_iter()),
        inactive: 0,
        pending: 0,
        refused: Vec::new(),
    })
}
