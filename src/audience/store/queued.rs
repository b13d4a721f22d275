//! Unsubscribes that could not be written to the database at once (another process held it
//! longer than a reader can wait: a large import, a backup, a full disk), kept durably until
//! they can be.
//!
//! A mail client does not retry an RFC 8058 one-click POST, so answering it 503 loses the
//! reader's request. Instead each waits as one small file in `<database>.unsubscribes/`,
//! written whole (a temporary file, synced, renamed into place, its folder synced) before the
//! answer leaves. [`Store::suppressed`] counts them at once, so no send mails the reader, and
//! [`Store::apply_queued_unsubscribes`] writes them into the database (each file removed only
//! after its change committed; applying one twice changes nothing) whenever the store is next
//! used for writing by `listen`'s worker, or opened by any command. The files hold addresses:
//! they are the owner's alone, like the database, and `forget` removes them.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{Leaving, Store};
use crate::audience::Source;
use crate::audience::address::comparable;
use crate::audience::secret::{private_dir, private_options};
use crate::error::{Error, Result};

/// One queued unsubscribe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    file: PathBuf,
    /// Who left, how, when, from which issue.
    pub leaving: Leaving,
}

/// The folder beside the database at `database`.
pub fn folder(database: &Path) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".unsubscribes");
    database.with_file_name(name)
}

/// Keeps `leaving` durably in the folder of `database`: on disk, synced, before this
/// returns. One line: time, source, address, and the issue when there is one.
///
/// # Errors
///
/// [`Error::WriteFile`] when it cannot be written (a full disk): only then may the request be
/// refused.
pub fn push(database: &Path, leaving: &Leaving) -> Result<()> {
    let Leaving {
        email,
        source,
        at,
        issue,
    } = leaving;
    let dir = folder(database);
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::WriteFile { path, source }
    };
    private_dir(&dir).map_err(failed(&dir))?;
    let name = format!(
        "{:020}-{}",
        at.timestamp_nanos_opt().unwrap_or_default(),
        super::subscribers::random_hex()
    );
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(format!("{name}.unsubscribe"));
    let written = (|| {
        let mut file = private_options().create_new(true).write(true).open(&tmp)?;
        let issue = issue.as_ref().map(|i| format!("\t{i}")).unwrap_or_default();
        writeln!(
            file,
            "{}\t{}\t{email}{issue}",
            at.to_rfc3339(),
            source.as_str()
        )?;
        file.sync_all()?;
        fs::rename(&tmp, &path)?;
        fs::File::open(&dir)?.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(failed(&path)(e));
    }
    Ok(())
}

/// The largest queued file read: a time, an address and an issue.
const MAX_QUEUED_BYTES: u64 = 64 * 1024;

/// The unsubscribes waiting beside `database`, oldest first. A file that cannot be read or
/// understood is left where it is (and named on stderr), never guessed at.
pub fn waiting(database: &Path) -> Vec<Queued> {
    let Ok(entries) = fs::read_dir(folder(database)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "unsubscribe"))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|file| {
            // A FIFO in a queued file's place is not waited on.
            let text = crate::content::load::read_own_file(&file, MAX_QUEUED_BYTES)
                .and_then(|bytes| String::from_utf8(bytes).ok());
            let parsed = text.as_deref().and_then(|text| {
                // Files of earlier versions have no issue.
                let mut fields = text.trim_end_matches('\n').splitn(4, '\t');
                let at = DateTime::parse_from_rfc3339(fields.next()?).ok()?;
                let source = Source::parse(fields.next()?)?;
                let email = fields.next()?.to_owned();
                let issue = fields.next().map(str::to_owned);
                Some(Leaving {
                    email,
                    source,
                    at: at.with_timezone(&Utc),
                    issue,
                })
            });
            match parsed {
                Some(leaving) => Some(Queued { file, leaving }),
                None => {
                    say_err!(
                        "warning: {} is not a queued unsubscribe; left alone",
                        file.display()
                    );
                    None
                }
            }
        })
        .collect()
}

impl Store {
    /// Writes the queued unsubscribes into the database, each file removed once its change
    /// is committed; how many were applied. Stops at the first that cannot be written (the
    /// store is still busy): the rest wait for the next time.
    ///
    /// # Errors
    ///
    /// [`Error::StoreBusy`] or [`Error::Store`] for the one that could not be written.
    pub fn apply_queued_unsubscribes(&mut self) -> Result<usize> {
        let mut applied = 0;
        for queued in waiting(&self.path) {
            self.unsubscribe_all(std::slice::from_ref(&queued.leaving))?;
            let _ = fs::remove_file(&queued.file);
            applied += 1;
        }
        Ok(applied)
    }

    /// Removes the queued unsubscribes of `email` (for `forget`): the address leaves no file
    /// behind.
    pub(super) fn drop_queued_unsubscribes(&self, email: &str) {
        let key = comparable(email);
        for queued in waiting(&self.path) {
            if comparable(&queued.leaving.email) == key {
                let _ = fs::remove_file(&queued.file);
            }
        }
    }
}
