//! The one error type of the library, and every sentence it can say.
//!
//! Problems in the user's cards and config are [`Diagnostic`]s carried by [`Error::Invalid`];
//! everything else (a missing folder, a file that cannot be written) is a variant here with
//! its cause kept in `source`.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, display_path};

/// Anything that stops a command.
#[derive(Debug)]
pub enum Error {
    /// The input has errors; they are printed as diagnostics.
    Invalid {
        /// Every problem found, errors and warnings.
        diagnostics: Vec<Diagnostic>,
    },
    /// No `config.yaml` in the newsletter folder.
    MissingConfig {
        /// The folder that was searched.
        root: PathBuf,
    },
    /// A file could not be read.
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file or folder could not be written.
    WriteFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `init` was pointed at a folder that already holds files.
    InitNotEmpty {
        /// The folder.
        dir: PathBuf,
    },
    /// `new` would overwrite a card.
    CardExists {
        /// The existing card.
        path: PathBuf,
    },
    /// The output folder holds files briefing did not write.
    ForeignOutput {
        /// The folder.
        path: PathBuf,
    },
    /// `--week` is not an ISO week.
    BadWeek {
        /// What was given.
        text: String,
    },
    /// No issue has the week asked for.
    NoSuchIssue {
        /// The week asked for (`2026-W25`).
        id: String,
        /// The weeks that have issues.
        known: Vec<String>,
    },
    /// No card is published, so there is no issue.
    NothingToPublish,
    /// A date option is not `YYYY-MM-DD`.
    BadDate {
        /// The option, e.g. `--as-of`.
        option: &'static str,
        /// What was given.
        text: String,
    },
    /// `--rate` is not a positive number.
    BadRate {
        /// What was given.
        rate: f64,
    },
    /// `new` was given a title or section that is not one line of text.
    NotOneLine {
        /// `the title` or `--section`.
        what: &'static str,
    },
    /// `new --slug` is not a valid slug.
    BadSlug {
        /// What was given.
        slug: String,
    },
    /// `new` cannot derive a file name from the title.
    TitleWithoutSlug,
    /// JSON output could not be made.
    WriteJson {
        /// Why.
        source: serde_json::Error,
    },
    /// The preview server cannot listen on its address.
    Listen {
        /// The address.
        address: std::net::SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The preview server cannot watch the newsletter's files.
    WatchFiles {
        /// The file or folder, when one was being added.
        path: Option<PathBuf>,
        /// Why.
        source: notify::Error,
    },
    /// A template override is not a file that can be read.
    TemplateFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it, and what to do.
        problem: String,
    },
    /// `templates eject` was given a name that is no built-in template.
    UnknownTemplate {
        /// The name given.
        name: String,
        /// The built-in templates.
        known: Vec<String>,
    },
    /// `templates eject` would overwrite a template of the newsletter's.
    TemplateExists {
        /// The file.
        path: PathBuf,
    },
    /// An email's CSS could not be inlined.
    InlineCss {
        /// css-inline's message.
        detail: String,
    },
    /// `send` needs `unsubscribe_url` in config.yaml.
    NoUnsubscribeUrl,
    /// `unsubscribe_url` is not https.
    UnsubscribeUrlNotHttps,
    /// The unsubscribe secret's variable is not set.
    SecretMissing {
        /// The variable's name.
        variable: String,
    },
    /// The unsubscribe secret is too short.
    SecretTooShort {
        /// The variable's name.
        variable: String,
    },
    /// The secret file cannot be read or written.
    SecretFile {
        /// `.briefing/secret`.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The subscriber database cannot be used.
    Store {
        /// The database file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// Another process holds the subscriber database's write lock for too long.
    StoreBusy {
        /// The database file.
        path: PathBuf,
    },
    /// The subscriber database was made by a newer `briefing`.
    StoreFromNewer {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        version: usize,
        /// The newest this `briefing` knows.
        known: usize,
    },
    /// `subscribers add` on an address that unsubscribed, bounced or complained.
    Reactivate {
        /// The address.
        email: String,
        /// Its status.
        status: &'static str,
    },
    /// An address given on the command line is not one.
    BadAddress {
        /// The address.
        email: String,
        /// Why.
        detail: String,
    },
    /// `send` with neither `--to` nor `--list` and no subscriber store.
    NoAudience {
        /// Where the store would be.
        path: PathBuf,
    },
    /// `smtp.username` is set without `smtp.password_env`.
    PasswordEnvUnnamed,
    /// The SMTP password's variable is not set.
    PasswordMissing {
        /// The variable's name.
        variable: String,
    },
    /// The DKIM key cannot be read.
    ReadDkimKey {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The DKIM key is not a key of its algorithm.
    BadDkimKey {
        /// The key file.
        path: PathBuf,
        /// The algorithm's name.
        algorithm: &'static str,
        /// The signer's message.
        detail: String,
    },
    /// lettre cannot use the SMTP host.
    SmtpHost {
        /// The host.
        host: String,
        /// lettre's message.
        detail: String,
    },
    /// The SMTP server cannot be reached, or refused the login.
    SmtpUnreachable {
        /// What went wrong, without the password.
        detail: String,
    },
    /// The outbox folder cannot be created.
    CreateOutbox {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The send journal cannot be used.
    Journal {
        /// The journal (or its folder).
        path: PathBuf,
        /// What was being done: `create`, `repair`, `open`, `write`, `sync`.
        action: &'static str,
        /// Why.
        source: io::Error,
    },
    /// Another `send` of the same issue, list and destination holds the journal.
    SendRunning {
        /// The journal.
        journal: PathBuf,
        /// The process that holds it, when it wrote its id.
        pid: Option<u32>,
    },
    /// A subscriber list or suppression file cannot be read.
    ReadList {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A subscriber list's header row has no email column.
    NoEmailColumn {
        /// The list.
        path: PathBuf,
        /// The columns it has.
        found: Vec<String>,
    },
    /// A recipient's message cannot be built.
    BuildMessage {
        /// The recipient.
        email: String,
        /// Why.
        detail: String,
    },
    /// A template failed to compile or render.
    Template {
        /// The template's name.
        name: String,
        /// The rendered minijinja error, with its location and snippet.
        detail: String,
    },
}

/// The result of a library call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid { diagnostics } => {
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                write!(f, "found {errors} error{}", plural(errors))
            }
            Error::MissingConfig { root } => write!(
                f,
                "no `config.yaml` in `{}`; run `briefing init` to start a newsletter, or pass `-C DIR`",
                display_path(root)
            ),
            Error::ReadFile { path, .. } => write!(f, "cannot read `{}`", display_path(path)),
            Error::WriteFile { path, .. } => write!(f, "cannot write `{}`", display_path(path)),
            Error::InitNotEmpty { dir } => write!(
                f,
                "`{}` is not empty; pass `--force` to write the newsletter files into it anyway",
                display_path(dir)
            ),
            Error::CardExists { path } => write!(
                f,
                "`{}` already exists; pick another title or pass `--slug`",
                display_path(path)
            ),
            Error::ForeignOutput { path } => write!(
                f,
                "`{}` holds files that briefing did not write, and a build replaces the whole folder; \
                 empty it, or choose another with `--out` or `output_dir`",
                display_path(path)
            ),
            Error::BadWeek { text } => {
                write!(f, "`--week {text}` is not an ISO week like 2026-W25")
            }
            Error::NoSuchIssue { id, known } => write!(
                f,
                "there is no issue for {id}; issues exist for {}",
                known.join(", ")
            ),
            Error::NothingToPublish => write!(
                f,
                "there are no published cards to build; write one with `briefing new \"Title\"`"
            ),
            Error::BadDate { option, text } => write!(
                f,
                "`{option} {text}` is not a date as YYYY-MM-DD, e.g. 2026-06-17"
            ),
            Error::BadRate { rate } => write!(f, "`--rate {rate}` must be a number above 0"),
            Error::NotOneLine { what } => write!(f, "{what} must be one line of text"),
            Error::BadSlug { slug } => write!(
                f,
                "`--slug {slug}` may use only lowercase letters, digits and single dashes"
            ),
            Error::TitleWithoutSlug => write!(
                f,
                "cannot derive a file name from this title; pass `--slug some-words`"
            ),
            Error::WriteJson { .. } => write!(f, "cannot write JSON"),
            Error::Listen { address, .. } => write!(f, "cannot listen on {address}"),
            Error::WatchFiles { path: None, .. } => write!(f, "cannot watch files"),
            Error::WatchFiles {
                path: Some(path), ..
            } => write!(f, "cannot watch `{}`", display_path(path)),
            Error::TemplateFile { path, problem } => {
                write!(f, "template `{}`: {problem}", display_path(path))
            }
            Error::UnknownTemplate { name, known } => write!(
                f,
                "there is no built-in template `{name}`; the built-ins are {}",
                known.join(", ")
            ),
            Error::TemplateExists { path } => write!(
                f,
                "`{}` exists already; pass `--force` to replace it with the built-in",
                display_path(path)
            ),
            Error::InlineCss { detail } => {
                write!(f, "template `email.html`, cannot inline its CSS: {detail}")
            }
            Error::NoUnsubscribeUrl => write!(
                f,
                "`unsubscribe_url` is not set in config.yaml; every message needs a one-click \
                 unsubscribe link, e.g. `https://example.org/unsubscribe?token={{token}}`"
            ),
            Error::UnsubscribeUrlNotHttps => write!(
                f,
                "`unsubscribe_url` must be an https URL: one-click unsubscribe (RFC 8058) requires it"
            ),
            Error::SecretMissing { variable } => write!(
                f,
                "set the environment variable `{variable}` to the secret that signs unsubscribe \
                 tokens (e.g. `export {variable}=$(openssl rand -hex 32)`); your unsubscribe \
                 endpoint needs the same secret"
            ),
            Error::SecretTooShort { variable } => write!(
                f,
                "the secret in `{variable}` is shorter than 16 characters; use a long random \
                 string, e.g. `openssl rand -hex 32`"
            ),
            Error::SecretFile { path, source } => write!(
                f,
                "cannot use the token secret `{}`: {source}",
                display_path(path)
            ),
            Error::Store { path, detail } => {
                write!(f, "subscriber database `{}`: {detail}", display_path(path))
            }
            Error::StoreBusy { path } => write!(
                f,
                "subscriber database `{}` is locked by another process; try again in a moment",
                display_path(path)
            ),
            Error::StoreFromNewer {
                path,
                version,
                known,
            } => write!(
                f,
                "subscriber database `{}` has schema version {version}, from a newer briefing \
                 (this one knows up to {known}); upgrade briefing, or restore a backup",
                display_path(path)
            ),
            Error::Reactivate { email, status } => write!(
                f,
                "`{email}` is {status}; pass `--reactivate` only if they asked to be mailed again"
            ),
            Error::BadAddress { email, detail } => write!(f, "`{email}`: {detail}"),
            Error::NoAudience { path } => write!(
                f,
                "no one to send to: pass `--list FILE.csv` or `--to ADDR`, or add subscribers \
                 to the store (`briefing subscribers import FILE.csv`; it would be `{}`)",
                display_path(path)
            ),
            Error::PasswordEnvUnnamed => write!(
                f,
                "`smtp.username` is set but `smtp.password_env` is not; name the environment \
                 variable that holds the password"
            ),
            Error::PasswordMissing { variable } => write!(
                f,
                "the SMTP password is read from the environment variable `{variable}`, which is not set"
            ),
            Error::ReadDkimKey { path, .. } => {
                write!(f, "cannot read the DKIM key `{}`", display_path(path))
            }
            Error::BadDkimKey {
                path,
                algorithm,
                detail,
            } => write!(
                f,
                "the DKIM key `{}` is not a valid {algorithm} key ({detail}); Ed25519 keys are \
                 the base64 of the 32-byte seed",
                display_path(path)
            ),
            Error::SmtpHost { host, detail } => {
                write!(f, "cannot use SMTP host `{host}`: {detail}")
            }
            Error::SmtpUnreachable { detail } => {
                write!(f, "cannot talk to the SMTP server: {detail}")
            }
            Error::CreateOutbox { path, .. } => {
                write!(f, "cannot create the outbox `{}`", display_path(path))
            }
            Error::Journal { path, action, .. } => {
                write!(f, "cannot {action} the journal `{}`", display_path(path))
            }
            Error::SendRunning { journal, pid } => write!(
                f,
                "another `briefing send` of this issue to this list is running{} (it holds `{}`); \
                 wait for it to end, or stop it, then run this again",
                pid.map(|pid| format!(" as process {pid}"))
                    .unwrap_or_default(),
                display_path(journal)
            ),
            Error::ReadList { path, .. } => write!(f, "cannot read `{}`", display_path(path)),
            Error::NoEmailColumn { path, found } => write!(
                f,
                "the header row of `{}` has no `email` column (found {})",
                display_path(path),
                found
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Error::BuildMessage { email, detail } => {
                write!(f, "cannot build the message to `{email}`: {detail}")
            }
            Error::Template { name, detail } => write!(f, "template `{name}`, {detail}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::ReadFile { source, .. }
            | Error::WriteFile { source, .. }
            | Error::Listen { source, .. }
            | Error::ReadDkimKey { source, .. }
            | Error::CreateOutbox { source, .. }
            | Error::Journal { source, .. }
            | Error::SecretFile { source, .. }
            | Error::ReadList { source, .. } => Some(source),
            Error::WriteJson { source } => Some(source),
            Error::WatchFiles { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `"s"` unless `n` is 1.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
