//! An outbox: one `.eml` file per message, written whole (through a temporary file renamed
//! into place), for a newsletter without SMTP settings, a preview, or another program to
//! pick up.

use std::fs;
use std::path::PathBuf;

use super::{Failure, Transport};
use crate::diagnostic::display_path;
use crate::error::{Error, Result};
use crate::mail::message::Outgoing;

/// A folder that receives one `.eml` file per message.
pub struct Outbox(pub PathBuf);

impl Transport for Outbox {
    fn check(&self) -> Result<()> {
        fs::create_dir_all(&self.0).map_err(|source| Error::CreateOutbox {
            path: self.0.clone(),
            source,
        })
    }

    fn deliver(&self, message: &Outgoing, file_name: &str) -> std::result::Result<(), Failure> {
        let path = self.0.join(file_name);
        let tmp = self.0.join(format!(".{file_name}.tmp"));
        fs::write(&tmp, &message.bytes)
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|e| Failure {
                temporary: false,
                reason: format!("cannot write `{}`: {e}", path.display()),
            })
    }

    fn describe(&self) -> String {
        format!("outbox {}", display_path(&self.0))
    }

    fn kind(&self) -> &'static str {
        "outbox"
    }

    fn identity(&self) -> String {
        // Created by `check` before the journal is opened, so it can be resolved.
        let path = fs::canonicalize(&self.0).unwrap_or_else(|_| self.0.clone());
        path.to_string_lossy().into_owned()
    }
}
