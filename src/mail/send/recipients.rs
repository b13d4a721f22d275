//! Who one send mails: a CSV list (streamed, validated in full first), the store's active
//! subscribers, or addresses from the command line. Every row goes through the same checks
//! ([`decide`](crate::audience::list::decide)), and every address that unsubscribed, bounced,
//! complained or was erased is left out.

use std::collections::HashSet;
use std::path::Path;

use super::Recipients;
use crate::audience::Status;
use crate::audience::list::{self, Row};
use crate::audience::store::Store;
use crate::content::config::Config;
use crate::content::project::Paths;
use crate::content::slug::slugify;
use crate::diagnostic::{Diagnostic, Pos, Severity};
use crate::error::{Error, Result};

/// The rows of one send, and what names its list in the journal.
pub(super) struct Plan {
    /// Every row, to mail or to skip, in order.
    pub rows: Box<dyn Iterator<Item = Row> + Send>,
    /// Names the list in the journal's file name.
    pub list_key: String,
    /// How many rows are to be mailed.
    pub total: usize,
    /// Store subscribers not mailed for their status: unsubscribed, bounced, complained.
    pub inactive: usize,
    /// Store addresses that fail a check added since they were stored: reported, not mailed.
    pub refused: Vec<(String, String)>,
}

/// The plan of a send to `recipients`.
///
/// # Errors
///
/// An invalid list (every bad row as a diagnostic), a bad `--to` address, no store to send to,
/// or a store or list that cannot be read.
pub(super) fn plan(paths: &Paths, config: &Config, recipients: &Recipients) -> Result<Plan> {
    let mut suppressed = match &config.send.suppression_file {
        Some(file) => list::read_suppression(&paths.root.join(file))?,
        None => HashSet::new(),
    };
    let database = paths.root.join(&config.list.database);
    let store = Store::open_existing(&database)?;
    if let (Some(store), Recipients::List(_)) = (&store, recipients) {
        // Whoever unsubscribed through `briefing listen`, bounced or complained is not
        // mailed from a CSV list either.
        suppressed.extend(store.suppressed()?);
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

fn from_list(path: &Path, suppressed: HashSet<u128>) -> Result<Plan> {
    let stats = list::validate(path, path, &suppressed)
        .map_err(|diagnostics| Error::Invalid { diagnostics })?;
    let stem = path
        .file_stem()
        .map_or_else(|| "list".to_owned(), |s| slugify(&s.to_string_lossy()));
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let list_key = format!(
        "{stem}-{:08x}",
        list::address_key(&canonical.to_string_lossy()) as u32
    );
    Ok(Plan {
        rows: Box::new(list::Rows::open(path, suppressed)?),
        list_key,
        total: stats.to_send,
        inactive: 0,
        refused: Vec::new(),
    })
}

fn from_store(store: &Store, suppressed: &HashSet<u128>) -> Result<Plan> {
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
        list_key: "store".to_owned(),
        inactive,
        refused,
    })
}

fn from_command_line(addresses: &[String], suppressed: &HashSet<u128>) -> Result<Plan> {
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
    let mut sorted: Vec<String> = addresses.iter().map(|a| a.to_lowercase()).collect();
    sorted.sort();
    Ok(Plan {
        total: rows.iter().filter(|r| matches!(r, Row::Send(_))).count(),
        rows: Box::new(rows.into_iter()),
        list_key: format!("to-{:08x}", list::address_key(&sorted.join(",")) as u32),
        inactive: 0,
        refused: Vec::new(),
    })
}
