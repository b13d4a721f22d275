//! An SMTP relay: lettre speaks the protocol over connections this module opens.
//!
//! Why not lettre's `SmtpTransport`: it opens its own sockets without `TCP_NODELAY`, and every
//! SMTP step is a write followed by a wait for the reply. Nagle's algorithm then holds a
//! message's final `\r\n.\r\n` until the relay's delayed ACK (40 ms), and a send ran at a third
//! of the relay's speed at concurrency 1 and two thirds at the default 4 (bench/README.md).
//! Upstream has merged the fix but not released it; rather than carry a patched copy of lettre,
//! this module opens the TCP connection (and, for port 465, the TLS session) itself and hands
//! it to lettre's [`AsyncSmtpConnection::connect_with_transport`], a public entry point made
//! for this. STARTTLS, AUTH and the message itself are lettre's.
//!
//! Connections are kept in a small pool and reused; one that failed is dropped (lettre closes
//! a connection after any error). Every step is bounded by the configured timeout.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::{Failure, Transport};
use crate::content::config::{Security, Smtp as SmtpConfig};
use crate::error::{Error, Result};
use crate::mail::message::Outgoing;

/// An SMTP server, with up to `concurrency` connections kept open between messages.
pub struct Smtp {
    host: String,
    port: u16,
    security: Security,
    timeout: Duration,
    credentials: Option<Credentials>,
    /// Drives the connections; each sending thread blocks on its own message.
    runtime: tokio::runtime::Runtime,
    /// Open connections not in use.
    idle: Mutex<Vec<AsyncSmtpConnection>>,
    /// How many idle connections are kept.
    keep: usize,
    /// The TLS client for port 465, made once.
    tls: Option<tokio_rustls::TlsConnector>,
}

/// The TLS session of a connection opened with TLS (port 465), as lettre takes a stream.
#[derive(Debug)]
struct Tls(TlsStream<TcpStream>);

impl tokio::io::AsyncRead for Tls {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Tls {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Tls {
    fn peer_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

/// Why a connection could not be had or a message not delivered.
struct Problem {
    temporary: bool,
    reason: String,
}

impl From<lettre::transport::smtp::Error> for Problem {
    fn from(e: lettre::transport::smtp::Error) -> Problem {
        // A 5xx reply is final; a 4xx, a timeout or a broken connection may pass later. So is
        // an address whose local part is not ASCII at a relay without SMTPUTF8 (lettre
        // refuses it before sending): no retry changes the relay.
        let reason = e.to_string();
        if reason.contains("does not support SMTPUTF8") {
            return Problem {
                temporary: false,
                reason: "the address's local part is not ASCII and the relay does not offer \
                         SMTPUTF8 (RFC 6531), so it cannot carry it"
                    .to_owned(),
            };
        }
        Problem {
            temporary: !e.is_permanent(),
            reason,
        }
    }
}

impl Problem {
    fn temporary(reason: impl Into<String>) -> Problem {
        Problem {
            temporary: true,
            reason: reason.into(),
        }
    }
}

impl Smtp {
    /// A transport to `smtp` keeping up to `concurrency` connections open.
    ///
    /// `password` is the secret read from the environment; it is handed to lettre and nowhere
    /// else.
    ///
    /// # Errors
    ///
    /// [`Error::SmtpHost`] when the host cannot be used.
    pub fn new(smtp: &SmtpConfig, password: Option<String>, concurrency: u32) -> Result<Smtp> {
        let host_error = |detail: String| Error::SmtpHost {
            host: smtp.host.clone(),
            detail,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| host_error(e.to_string()))?;
        let tls = (smtp.security == Security::Tls).then(|| {
            let roots =
                rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map(|builder| builder.with_root_certificates(roots).with_no_client_auth());
            config.map(|c| tokio_rustls::TlsConnector::from(Arc::new(c)))
        });
        let tls = tls.transpose().map_err(|e| host_error(e.to_string()))?;
        Ok(Smtp {
            host: smtp.host.clone(),
            port: smtp.port,
            security: smtp.security,
            timeout: Duration::from_secs(smtp.timeout_seconds),
            credentials: smtp
                .username
                .as_ref()
                .map(|user| Credentials::new(user.clone(), password.unwrap_or_default())),
            runtime,
            idle: Mutex::new(Vec::new()),
            keep: concurrency.max(1) as usize,
            tls,
        })
    }

    /// `step`, or a temporary failure once the configured timeout has passed.
    async fn bounded<T>(
        &self,
        what: &str,
        step: impl std::future::Future<Output = std::result::Result<T, Problem>>,
    ) -> std::result::Result<T, Problem> {
        tokio::time::timeout(self.timeout, step)
            .await
            .unwrap_or_else(|_| {
                Err(Problem::temporary(format!(
                    "{what} timed out after {} s",
                    self.timeout.as_secs()
                )))
            })
    }

    /// A new connection: TCP (without Nagle's delay), TLS first or STARTTLS as configured,
    /// the greeting and EHLO, and the login.
    async fn connect(&self) -> std::result::Result<AsyncSmtpConnection, Problem> {
        let hello = ClientId::default();
        let tcp = self
            .bounded("connecting", async {
                TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(|e| Problem::temporary(format!("cannot connect: {e}")))
            })
            .await?;
        tcp.set_nodelay(true)
            .map_err(|e| Problem::temporary(format!("cannot set up the connection: {e}")))?;
        let mut connection = self
            .bounded("the greeting", async {
                let stream: Box<dyn AsyncTokioStream> = match &self.tls {
                    Some(tls) => {
                        let name = rustls::pki_types::ServerName::try_from(self.host.clone())
                            .map_err(|e| Problem {
                                temporary: false,
                                reason: format!("`{}` is not a TLS server name: {e}", self.host),
                            })?;
                        let session = tls.connect(name, tcp).await.map_err(|e| Problem {
                            temporary: false,
                            reason: format!("TLS: {e}"),
                        })?;
                        Box::new(Tls(session))
                    }
                    None => Box::new(tcp),
                };
                Ok(AsyncSmtpConnection::connect_with_transport(stream, &hello).await?)
            })
            .await?;
        if self.security == Security::StartTls {
            if !connection.can_starttls() {
                return Err(Problem {
                    temporary: false,
                    reason: "the server does not offer STARTTLS; set `smtp.security: tls` for \
                             port 465"
                        .to_owned(),
                });
            }
            let parameters = TlsParameters::new(self.host.clone())?;
            self.bounded("STARTTLS", async {
                Ok(connection.starttls(parameters, &hello).await?)
            })
            .await?;
        }
        if let Some(credentials) = &self.credentials {
            self.bounded("the login", async {
                Ok(connection
                    .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await?)
            })
            .await?;
        }
        Ok(connection)
    }

    /// An open connection from the pool, or a new one.
    async fn connection(&self) -> std::result::Result<AsyncSmtpConnection, Problem> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(connection) if !connection.has_broken() => Ok(connection),
            _ => self.connect().await,
        }
    }

    /// Keeps `connection` for the next message, unless the pool is full.
    fn release(&self, connection: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.keep && !connection.has_broken() {
            idle.push(connection);
        }
    }

    async fn send(&self, message: &Outgoing) -> std::result::Result<(), Problem> {
        let mut connection = self.connection().await?;
        let sent = self
            .bounded("sending", async {
                Ok(connection.send(&message.envelope, &message.bytes).await?)
            })
            .await;
        match sent {
            Ok(_) => {
                self.release(connection);
                Ok(())
            }
            // lettre closes a connection after any error; it is not kept.
            Err(problem) => Err(problem),
        }
    }
}

impl Transport for Smtp {
    fn check(&self) -> Result<()> {
        let checked = self.runtime.block_on(async {
            let mut connection = self.connect().await?;
            let alive = self
                .bounded("NOOP", async { Ok(connection.test_connected().await) })
                .await?;
            if alive {
                self.release(connection);
                Ok(())
            } else {
                Err(Problem::temporary("it did not answer"))
            }
        });
        checked.map_err(|problem| Error::SmtpUnreachable {
            detail: problem.reason,
        })
    }

    fn deliver(&self, message: &Outgoing, _file_name: &str) -> std::result::Result<(), Failure> {
        self.runtime
            .block_on(self.send(message))
            .map_err(|problem| Failure {
                temporary: problem.temporary,
                reason: problem.reason,
            })
    }

    fn describe(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn kind(&self) -> &'static str {
        "smtp"
    }

    fn identity(&self) -> String {
        self.describe().to_ascii_lowercase()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        // Say goodbye on the connections still open, briefly: a relay that does not answer
        // QUIT must not hold up the end of a send.
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        let timeout = self.timeout.min(Duration::from_secs(2));
        self.runtime.block_on(async {
            for mut connection in idle {
                let _ = tokio::time::timeout(timeout, connection.quit()).await;
            }
        });
    }
}
