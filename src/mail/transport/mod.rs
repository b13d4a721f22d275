//! Where messages go: an SMTP relay ([`smtp`]), or an outbox folder of `.eml` files
//! ([`outbox`]). Messages arrive built and signed; a transport only delivers them and says
//! whether a failure is worth retrying.

mod outbox;
mod smtp;

use std::path::Path;

use crate::content::config::Config;
use crate::error::{Error, Result};
use crate::mail::message::Outgoing;

pub use outbox::Outbox;
pub use smtp::Smtp;

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Worth retrying: a 4xx reply, a dropped connection, a timeout.
    pub temporary: bool,
    /// What the server or the system said.
    pub reason: String,
}

/// A way to deliver messages: an SMTP server or an outbox folder. A new way is one more
/// implementation, chosen in [`choose`].
pub trait Transport: Send + Sync {
    /// Checks that messages can be delivered (the server answers and accepts our login; the
    /// folder exists), before anything is sent.
    ///
    /// # Errors
    ///
    /// What went wrong, without the password.
    fn check(&self) -> Result<()>;

    /// Delivers `message`, built and signed; `file_name` names it where a file is written.
    ///
    /// # Errors
    ///
    /// A [`Failure`], temporary or not.
    fn deliver(&self, message: &Outgoing, file_name: &str) -> std::result::Result<(), Failure>;

    /// Where messages go, for the summary: `smtp.example.org:587`, `outbox outbox/2026-w25`.
    fn describe(&self) -> String;

    /// A short name of the kind of destination, part of the journal's name.
    fn kind(&self) -> &'static str;

    /// What tells this destination from another of its kind (a server's address, a folder's
    /// full path), hashed into the journal's name.
    fn identity(&self) -> String;
}

/// The transport for a send: the outbox `outbox` when given, else SMTP when configured, else
/// the outbox `default_outbox`. `env` looks up the SMTP password.
///
/// # Errors
///
/// A password that is needed but not set, or a host lettre cannot use.
pub fn choose(
    config: &Config,
    outbox: Option<&Path>,
    default_outbox: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    concurrency: u32,
) -> Result<Box<dyn Transport>> {
    let smtp = match (outbox, &config.smtp) {
        (Some(dir), _) => return Ok(Box::new(Outbox(dir.to_path_buf()))),
        (None, None) => return Ok(Box::new(Outbox(default_outbox.to_path_buf()))),
        (None, Some(smtp)) => smtp,
    };
    let password = match (&smtp.username, &smtp.password_env) {
        (Some(_), Some(name)) => Some(env(name).ok_or_else(|| Error::PasswordMissing {
            variable: name.clone(),
        })?),
        (Some(_), None) => return Err(Error::PasswordEnvUnnamed),
        _ => None,
    };
    Ok(Box::new(Smtp::new(smtp, password, concurrency)?))
}
