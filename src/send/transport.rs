//! Where messages go: an SMTP server through lettre's connection pool, or an outbox folder
//! of `.eml` files.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport as _};

use crate::config::{Security, Smtp};

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Worth retrying: a 4xx reply, a dropped connection, a timeout.
    pub temporary: bool,
    /// What the server or the system said.
    pub reason: String,
}

/// A way to deliver messages.
pub enum Transport {
    /// An SMTP server.
    Smtp(Box<SmtpTransport>),
    /// A folder that receives one `.eml` file per message.
    Outbox(PathBuf),
}

impl Transport {
    /// An SMTP transport with up to `concurrency` pooled connections.
    ///
    /// `password` is the secret read from the environment; it is handed to lettre and nowhere
    /// else.
    ///
    /// # Errors
    ///
    /// A message when the host cannot be used.
    pub fn smtp(
        smtp: &Smtp,
        password: Option<String>,
        concurrency: u32,
    ) -> Result<Transport, String> {
        let builder = match smtp.security {
            Security::Tls => SmtpTransport::relay(&smtp.host),
            Security::StartTls => SmtpTransport::starttls_relay(&smtp.host),
            Security::None => Ok(SmtpTransport::builder_dangerous(&smtp.host)),
        }
        .map_err(|e| format!("cannot use SMTP host `{}`: {e}", smtp.host))?;
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
        Ok(Transport::Smtp(Box::new(builder.build())))
    }

    /// Checks that the server answers and accepts our login, before anything is sent.
    ///
    /// # Errors
    ///
    /// What went wrong, without the password.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Transport::Smtp(smtp) => match smtp.test_connection() {
                Ok(true) => Ok(()),
                Ok(false) => Err("the SMTP server did not answer".to_owned()),
                Err(e) => Err(format!("cannot talk to the SMTP server: {e}")),
            },
            Transport::Outbox(dir) => fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the outbox `{}`: {e}", dir.display())),
        }
    }

    /// Delivers `message`; `file_name` names its `.eml` file in an outbox.
    ///
    /// # Errors
    ///
    /// A [`Failure`], temporary or not.
    pub fn deliver(&self, message: &Message, file_name: &str) -> Result<(), Failure> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).map(|_| ()).map_err(|e| Failure {
                // A 5xx reply is final; a 4xx, a timeout or a broken connection may pass later.
                temporary: !e.is_permanent(),
                reason: e.to_string(),
            }),
            Transport::Outbox(dir) => {
                let path = dir.join(file_name);
                let tmp = dir.join(format!(".{file_name}.tmp"));
                fs::write(&tmp, message.formatted())
                    .and_then(|()| fs::rename(&tmp, &path))
                    .map_err(|e| Failure {
                        temporary: false,
                        reason: format!("cannot write `{}`: {e}", path.display()),
                    })
            }
        }
    }
}
