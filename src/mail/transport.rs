//! Where messages go: an SMTP server through lettre's connection pool, or an outbox folder
//! of `.eml` files.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{SmtpTransport, Transport as _};

use crate::content::config::{Config, Security, Smtp as SmtpConfig};
use crate::diagnostic::display_path;
use crate::error::{Error, Result};
use crate::mail::message::Outgoing;

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

/// An SMTP server, through lettre's connection pool.
pub struct Smtp {
    transport: SmtpTransport,
    address: String,
}

impl Smtp {
    /// An SMTP transport with up to `concurrency` pooled connections.
    ///
    /// `password` is the secret read from the environment; it is handed to lettre and nowhere
    /// else.
    ///
    /// # Errors
    ///
    /// [`Error::SmtpHost`] when the host cannot be used.
    pub fn new(smtp: &SmtpConfig, password: Option<String>, concurrency: u32) -> Result<Smtp> {
        let builder = match smtp.security {
            Security::Tls => SmtpTransport::relay(&smtp.host),
            Security::StartTls => SmtpTransport::starttls_relay(&smtp.host),
            Security::None => Ok(SmtpTransport::builder_dangerous(&smtp.host)),
        }
        .map_err(|e| Error::SmtpHost {
            host: smtp.host.clone(),
            detail: e.to_string(),
        })?;
        let mut builder = builder
            .port(smtp.port)
            .timeout(Some(Duration::from_secs(smtp.timeout_seconds)))
            .pool_config(PoolConfig::new().max_size(concurrency).min_idle(0));
        if let Some(username) = &smtp.username {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                password.unwrap_or_default(),
            ));
        }
        Ok(Smtp {
            transport: builder.build(),
            address: format!("{}:{}", smtp.host, smtp.port),
        })
    }
}

impl Transport for Smtp {
    fn check(&self) -> Result<()> {
        match self.transport.test_connection() {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::SmtpUnreachable {
                detail: "it did not answer".to_owned(),
            }),
            Err(e) => Err(Error::SmtpUnreachable {
                detail: e.to_string(),
            }),
        }
    }

    fn deliver(&self, message: &Outgoing, _file_name: &str) -> std::result::Result<(), Failure> {
        self.transport
            .send_raw(&message.envelope, &message.bytes)
            .map(|_| ())
            .map_err(|e| Failure {
                // A 5xx reply is final; a 4xx, a timeout or a broken connection may pass later.
                temporary: !e.is_permanent(),
                reason: e.to_string(),
            })
    }

    fn describe(&self) -> String {
        self.address.clone()
    }

    fn kind(&self) -> &'static str {
        "smtp"
    }

    fn identity(&self) -> String {
        self.address.to_ascii_lowercase()
    }
}

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
