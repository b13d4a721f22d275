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
    /// `serve` stopped rendering what a save left to render after the rest, for a newer
    /// save; the next rebuild renders it (`pipeline::preview`). No command ends with it.
    Superseded,
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
    /// `send --strict-links` refuses an issue with sources known dead.
    DeadSources {
        /// How many, and the command that lists them.
        detail: String,
    },
    /// `check --links` cannot ask the network (the HTTP client cannot be made).
    Links {
        /// What went wrong.
        detail: String,
    },
    /// An option of `subscribers` that cannot be used as given.
    BadOption {
        /// The option.
        option: &'static str,
        /// What is wrong and what to do.
        detail: String,
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
    /// `listen --behind-proxy`, which trusted any machine's `X-Forwarded-For`.
    BehindProxyRemoved,
    /// `listen --bind` with a port and `--port` with another.
    TwoPorts {
        /// The `--bind` given.
        bind: String,
        /// The `--port` given.
        port: u16,
    },
    /// No DNS resolver could be set up for `check --dns`.
    Dns {
        /// Why.
        detail: String,
    },
    /// A selector or domain that is not a DNS name.
    BadDnsName {
        /// The option it was given with (or would be).
        option: &'static str,
        /// What was given.
        text: String,
    },
    /// `dkim keygen` would replace a key file.
    DkimKeyExists {
        /// The file.
        path: PathBuf,
    },
    /// `dkim keygen` cannot write a key file.
    WriteDkimKey {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A time given on the command line that is not a date and time.
    BadTime {
        /// What was given.
        text: String,
    },
    /// `send --due` found the newest due issue unsent, and its time long past.
    DueLongAgo {
        /// The issue.
        week: String,
        /// Its `send_at`, as the newsletter's clock shows it.
        send_at: String,
        /// `send.due_within_hours`.
        hours: i64,
    },
    /// A send to a list was not confirmed with yes.
    SendNotConfirmed,
    /// A send to a list without a terminal to ask on, and without `--yes`.
    ConfirmationNeeded {
        /// How many messages it would send.
        recipients: usize,
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
    /// The search index could not be built.
    Search {
        /// Pagefind's message.
        detail: String,
    },
    /// The links of an email could not be made counted (`audience.clicks`).
    CountLinks {
        /// lol_html's message.
        detail: String,
    },
    /// `send` needs `unsubscribe_url` in config.yaml.
    NoUnsubscribeUrl,
    /// `unsubscribe_url` is not https.
    UnsubscribeUrlNotHttps,
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
            Error::Superseded => write!(
                f,
                "the preview stopped rendering for a newer save, which renders what was left"
            ),
            Error::NothingToPublish => write!(
                f,
                "there are no published cards yet; write one with `briefing new \"Title\"` and set `draft: false`"
            ),
            Error::BadDate { option, text } => write!(
                f,
                "`{option} {text}` is not a date as YYYY-MM-DD, e.g. 2026-06-17"
            ),
            Error::BadRate { rate } => write!(f, "`--rate {rate}` must be a number above 0"),
            Error::BadOption { option, detail } => write!(f, "`{option}`: {detail}"),
            Error::Links { detail } => write!(f, "cannot check links: {detail}"),
            Error::DeadSources { detail } => {
                write!(f, "{detail}; nothing was sent (--strict-links)")
            }
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
            Error::SendNotConfirmed => write!(f, "nothing was sent: the answer was not yes"),
            Error::Dns { detail } => write!(
                f,
                "cannot look up DNS records ({detail}); check the machine's resolver, or give one \
                 with `--dns-server IP:PORT`"
            ),
            Error::BadDnsName { option, text } => write!(
                f,
                "`{text}` is not a DNS name for `{option}`: use letters, digits, hyphens and \
                 dots, e.g. `--selector briefing` or `--domain example.org`"
            ),
            Error::DkimKeyExists { path } => write!(
                f,
                "`{}` exists: a key already published in DNS would stop verifying if it were \
                 replaced; choose another `--selector` (rotate by publishing the new records \
                 first), or move the old file away",
                display_path(path)
            ),
            Error::WriteDkimKey { path, .. } => {
                write!(f, "cannot write the DKIM key `{}`", display_path(path))
            }
            Error::BadTime { text } => write!(
                f,
                "`{text}` is not a date and time: write it like `2026-12-07T07:00` (in the \
                 config's `timezone`) or `2026-12-07T07:00+01:00`"
            ),
            Error::DueLongAgo {
                week,
                send_at,
                hours,
            } => write!(
                f,
                "{week} was due at {send_at}, more than {hours} hours ago \
                 (`send.due_within_hours`), and was not sent: `send --due` will not mail an old \
                 issue on its own; send it with `briefing send --week {week}`, or give it a new \
                 `send_at`"
            ),
            Error::ConfirmationNeeded { recipients } => write!(
                f,
                "this would send {recipients} message{}, and there is no terminal to ask on: \
                 run it in one to be asked, or pass `--yes` (scripts and timers do)",
                plural(*recipients)
            ),
            Error::TwoPorts { bind, port } => write!(
                f,
                "`--bind {bind}` and `--port {port}` name two ports: give the port once, \
                 e.g. `--port {port}`"
            ),
            Error::BehindProxyRemoved => write!(
                f,
                "`--behind-proxy` is gone: it believed `X-Forwarded-For` from any machine, so \
                 anyone could choose the address their sign-ups counted against; name your \
                 proxies instead, e.g. `--trusted-proxy 10.0.0.5` (this machine's own are \
                 trusted without it)"
            ),
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
            Error::Search { detail } => write!(
                f,
                "cannot build the search index: {detail}; `search: false` in config.yaml \
                 builds the site without search"
            ),
            Error::CountLinks { detail } => write!(
                f,
                "template `email.html`, cannot count its links: {detail}; \
                 `audience.clicks: false` sends them as they are"
            ),
            Error::NoUnsubscribeUrl => write!(
                f,
                "`unsubscribe_url` is not set in config.yaml; every message needs a one-click \
                 unsubscribe link, e.g. `https://example.org/unsubscribe?token={{token}}`"
            ),
            Error::UnsubscribeUrlNotHttps => write!(
                f,
                "`unsubscribe_url` must be an https URL: one-click unsubscribe (RFC 8058) requires it"
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
                "the DKIM key `{}` is not a valid {algorithm} key ({detail}); an RSA key is a PEM \
                 file (PKCS#1 or PKCS#8), an Ed25519 key a PKCS#8 PEM file or the base64 of its \
                 32-byte seed",
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
            | Error::WriteDkimKey { source, .. }
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::diagnostic::{Pos, Severity};

    fn io(what: &str) -> io::Error {
        io::Error::other(what.to_owned())
    }

    /// Names the variant of `error`; a variant missing here stops the build, so a new error
    /// cannot be added without its sentence being pinned below.
    fn variant(error: &Error) -> &'static str {
        match error {
            Error::Invalid { .. } => "Invalid",
            Error::MissingConfig { .. } => "MissingConfig",
            Error::ReadFile { .. } => "ReadFile",
            Error::WriteFile { .. } => "WriteFile",
            Error::InitNotEmpty { .. } => "InitNotEmpty",
            Error::CardExists { .. } => "CardExists",
            Error::ForeignOutput { .. } => "ForeignOutput",
            Error::BadWeek { .. } => "BadWeek",
            Error::NoSuchIssue { .. } => "NoSuchIssue",
            Error::NothingToPublish => "NothingToPublish",
            Error::Superseded => "Superseded",
            Error::BadDate { .. } => "BadDate",
            Error::BadRate { .. } => "BadRate",
            Error::BadOption { .. } => "BadOption",
            Error::Links { .. } => "Links",
            Error::DeadSources { .. } => "DeadSources",
            Error::NotOneLine { .. } => "NotOneLine",
            Error::BadSlug { .. } => "BadSlug",
            Error::TitleWithoutSlug => "TitleWithoutSlug",
            Error::WriteJson { .. } => "WriteJson",
            Error::Listen { .. } => "Listen",
            Error::BehindProxyRemoved => "BehindProxyRemoved",
            Error::TwoPorts { .. } => "TwoPorts",
            Error::SendNotConfirmed => "SendNotConfirmed",
            Error::BadTime { .. } => "BadTime",
            Error::DkimKeyExists { .. } => "DkimKeyExists",
            Error::BadDnsName { .. } => "BadDnsName",
            Error::Dns { .. } => "Dns",
            Error::WriteDkimKey { .. } => "WriteDkimKey",
            Error::DueLongAgo { .. } => "DueLongAgo",
            Error::ConfirmationNeeded { .. } => "ConfirmationNeeded",
            Error::WatchFiles { .. } => "WatchFiles",
            Error::TemplateFile { .. } => "TemplateFile",
            Error::UnknownTemplate { .. } => "UnknownTemplate",
            Error::TemplateExists { .. } => "TemplateExists",
            Error::InlineCss { .. } => "InlineCss",
            Error::Search { .. } => "Search",
            Error::CountLinks { .. } => "CountLinks",
            Error::NoUnsubscribeUrl => "NoUnsubscribeUrl",
            Error::UnsubscribeUrlNotHttps => "UnsubscribeUrlNotHttps",
            Error::SecretTooShort { .. } => "SecretTooShort",
            Error::SecretFile { .. } => "SecretFile",
            Error::Store { .. } => "Store",
            Error::StoreBusy { .. } => "StoreBusy",
            Error::StoreFromNewer { .. } => "StoreFromNewer",
            Error::Reactivate { .. } => "Reactivate",
            Error::BadAddress { .. } => "BadAddress",
            Error::NoAudience { .. } => "NoAudience",
            Error::PasswordEnvUnnamed => "PasswordEnvUnnamed",
            Error::PasswordMissing { .. } => "PasswordMissing",
            Error::ReadDkimKey { .. } => "ReadDkimKey",
            Error::BadDkimKey { .. } => "BadDkimKey",
            Error::SmtpHost { .. } => "SmtpHost",
            Error::SmtpUnreachable { .. } => "SmtpUnreachable",
            Error::CreateOutbox { .. } => "CreateOutbox",
            Error::Journal { .. } => "Journal",
            Error::SendRunning { .. } => "SendRunning",
            Error::ReadList { .. } => "ReadList",
            Error::BuildMessage { .. } => "BuildMessage",
            Error::Template { .. } => "Template",
        }
    }

    /// Every sentence a user can be shown, each with the values that fill it (after just's
    /// `tests/error_messages.rs`): a change of wording is a change of this test.
    #[test]
    fn every_error_says_exactly_this() {
        let path = |p: &str| PathBuf::from(p);
        let cases: Vec<(Error, &str)> = vec![
            (
                Error::Invalid {
                    diagnostics: vec![Diagnostic {
                        severity: Severity::Error,
                        path: path("briefs/a.yaml"),
                        pos: Pos::START,
                        message: "bad".to_owned(),
                        help: None,
                        line_text: None,
                    }],
                },
                "found 1 error",
            ),
            (
                Error::MissingConfig { root: path("news") },
                "no `config.yaml` in `news`; run `briefing init` to start a newsletter, or pass `-C DIR`",
            ),
            (
                Error::ReadFile {
                    path: path("a.txt"),
                    source: io("gone"),
                },
                "cannot read `a.txt`",
            ),
            (
                Error::WriteFile {
                    path: path("public/x.html"),
                    source: io("full"),
                },
                "cannot write `public/x.html`",
            ),
            (
                Error::InitNotEmpty { dir: path("news") },
                "`news` is not empty; pass `--force` to write the newsletter files into it anyway",
            ),
            (
                Error::CardExists {
                    path: path("briefs/2026-W25/x.yaml"),
                },
                "`briefs/2026-W25/x.yaml` already exists; pick another title or pass `--slug`",
            ),
            (
                Error::ForeignOutput {
                    path: path("public"),
                },
                "`public` holds files that briefing did not write, and a build replaces the whole folder; empty it, or choose another with `--out` or `output_dir`",
            ),
            (
                Error::BadWeek {
                    text: "2026-25".to_owned(),
                },
                "`--week 2026-25` is not an ISO week like 2026-W25",
            ),
            (
                Error::NoSuchIssue {
                    id: "2026-W26".to_owned(),
                    known: vec!["2026-W24".to_owned(), "2026-W25".to_owned()],
                },
                "there is no issue for 2026-W26; issues exist for 2026-W24, 2026-W25",
            ),
            (
                Error::NothingToPublish,
                "there are no published cards yet; write one with `briefing new \"Title\"` and set `draft: false`",
            ),
            (
                Error::Superseded,
                "the preview stopped rendering for a newer save, which renders what was left",
            ),
            (
                Error::Dns {
                    detail: "no nameservers".into(),
                },
                "cannot look up DNS records (no nameservers); check the machine's resolver, or \
                 give one with `--dns-server IP:PORT`",
            ),
            (
                Error::BadDnsName {
                    option: "--selector",
                    text: "a b".into(),
                },
                "`a b` is not a DNS name for `--selector`: use letters, digits, hyphens and \
                 dots, e.g. `--selector briefing` or `--domain example.org`",
            ),
            (
                Error::DkimKeyExists {
                    path: "k/s-rsa.pem".into(),
                },
                "`k/s-rsa.pem` exists: a key already published in DNS would stop verifying if \
                 it were replaced; choose another `--selector` (rotate by publishing the new \
                 records first), or move the old file away",
            ),
            (
                Error::WriteDkimKey {
                    path: "k/s-rsa.pem".into(),
                    source: io::Error::other("full"),
                },
                "cannot write the DKIM key `k/s-rsa.pem`",
            ),
            (
                Error::BadTime {
                    text: "monday".into(),
                },
                "`monday` is not a date and time: write it like `2026-12-07T07:00` (in the \
                 config's `timezone`) or `2026-12-07T07:00+01:00`",
            ),
            (
                Error::DueLongAgo {
                    week: "2026-W25".into(),
                    send_at: "2026-06-15 07:00 CEST".into(),
                    hours: 24,
                },
                "2026-W25 was due at 2026-06-15 07:00 CEST, more than 24 hours ago \
                 (`send.due_within_hours`), and was not sent: `send --due` will not mail an old \
                 issue on its own; send it with `briefing send --week 2026-W25`, or give it a new \
                 `send_at`",
            ),
            (
                Error::SendNotConfirmed,
                "nothing was sent: the answer was not yes",
            ),
            (
                Error::ConfirmationNeeded { recipients: 2914 },
                "this would send 2914 messages, and there is no terminal to ask on: run it in \
                 one to be asked, or pass `--yes` (scripts and timers do)",
            ),
            (
                Error::TwoPorts {
                    bind: "127.0.0.1:9000".into(),
                    port: 9001,
                },
                "`--bind 127.0.0.1:9000` and `--port 9001` name two ports: give the port once, \
                 e.g. `--port 9001`",
            ),
            (
                Error::BehindProxyRemoved,
                "`--behind-proxy` is gone: it believed `X-Forwarded-For` from any machine, so \
                 anyone could choose the address their sign-ups counted against; name your \
                 proxies instead, e.g. `--trusted-proxy 10.0.0.5` (this machine's own are \
                 trusted without it)",
            ),
            (
                Error::BadDate {
                    option: "--as-of",
                    text: "June".to_owned(),
                },
                "`--as-of June` is not a date as YYYY-MM-DD, e.g. 2026-06-17",
            ),
            (
                Error::BadRate { rate: -1.0 },
                "`--rate -1` must be a number above 0",
            ),
            (
                Error::BadOption {
                    option: "--status-map",
                    detail: "`enabled` has no `=`: write each pair as `their-value=our-status`"
                        .to_owned(),
                },
                "`--status-map`: `enabled` has no `=`: write each pair as `their-value=our-status`",
            ),
            (
                Error::NotOneLine { what: "the title" },
                "the title must be one line of text",
            ),
            (
                Error::BadSlug {
                    slug: "A B".to_owned(),
                },
                "`--slug A B` may use only lowercase letters, digits and single dashes",
            ),
            (
                Error::TitleWithoutSlug,
                "cannot derive a file name from this title; pass `--slug some-words`",
            ),
            (
                Error::WriteJson {
                    source: serde_json::from_str::<u8>("x").unwrap_err(),
                },
                "cannot write JSON",
            ),
            (
                Error::Listen {
                    address: "127.0.0.1:8025".parse().unwrap(),
                    source: io("in use"),
                },
                "cannot listen on 127.0.0.1:8025",
            ),
            (
                Error::WatchFiles {
                    path: None,
                    source: notify::Error::generic("no watcher"),
                },
                "cannot watch files",
            ),
            (
                Error::WatchFiles {
                    path: Some(path("briefs")),
                    source: notify::Error::generic("no watcher"),
                },
                "cannot watch `briefs`",
            ),
            (
                Error::TemplateFile {
                    path: path("templates/x.html"),
                    problem: "it is a FIFO".to_owned(),
                },
                "template `templates/x.html`: it is a FIFO",
            ),
            (
                Error::UnknownTemplate {
                    name: "x.html".to_owned(),
                    known: vec!["a.html".to_owned(), "b.html".to_owned()],
                },
                "there is no built-in template `x.html`; the built-ins are a.html, b.html",
            ),
            (
                Error::TemplateExists {
                    path: path("templates/issue.html"),
                },
                "`templates/issue.html` exists already; pass `--force` to replace it with the built-in",
            ),
            (
                Error::InlineCss {
                    detail: "bad selector".to_owned(),
                },
                "template `email.html`, cannot inline its CSS: bad selector",
            ),
            (
                Error::Search {
                    detail: "out of memory".to_owned(),
                },
                "cannot build the search index: out of memory; `search: false` in config.yaml \
                 builds the site without search",
            ),
            (
                Error::CountLinks {
                    detail: "memory limit".to_owned(),
                },
                "template `email.html`, cannot count its links: memory limit; \
                 `audience.clicks: false` sends them as they are",
            ),
            (
                Error::NoUnsubscribeUrl,
                "`unsubscribe_url` is not set in config.yaml; every message needs a one-click unsubscribe link, e.g. `https://example.org/unsubscribe?token={token}`",
            ),
            (
                Error::UnsubscribeUrlNotHttps,
                "`unsubscribe_url` must be an https URL: one-click unsubscribe (RFC 8058) requires it",
            ),
            (
                Error::SecretTooShort {
                    variable: "BRIEFING_UNSUBSCRIBE_SECRET".to_owned(),
                },
                "the secret in `BRIEFING_UNSUBSCRIBE_SECRET` is shorter than 16 characters; use a long random string, e.g. `openssl rand -hex 32`",
            ),
            (
                Error::SecretFile {
                    path: path(".briefing/secret"),
                    source: io("others can read it"),
                },
                "cannot use the token secret `.briefing/secret`: others can read it",
            ),
            (
                Error::Store {
                    path: path("db.sqlite3"),
                    detail: "the disk is full".to_owned(),
                },
                "subscriber database `db.sqlite3`: the disk is full",
            ),
            (
                Error::StoreBusy {
                    path: path("db.sqlite3"),
                },
                "subscriber database `db.sqlite3` is locked by another process; try again in a moment",
            ),
            (
                Error::StoreFromNewer {
                    path: path("db.sqlite3"),
                    version: 9,
                    known: 3,
                },
                "subscriber database `db.sqlite3` has schema version 9, from a newer briefing (this one knows up to 3); upgrade briefing, or restore a backup",
            ),
            (
                Error::Reactivate {
                    email: "a@example.org".to_owned(),
                    status: "bounced",
                },
                "`a@example.org` is bounced; pass `--reactivate` only if they asked to be mailed again",
            ),
            (
                Error::BadAddress {
                    email: "nope".to_owned(),
                    detail: "not an address".to_owned(),
                },
                "`nope`: not an address",
            ),
            (
                Error::NoAudience {
                    path: path(".briefing/audience.sqlite3"),
                },
                "no one to send to: pass `--list FILE.csv` or `--to ADDR`, or add subscribers to the store (`briefing subscribers import FILE.csv`; it would be `.briefing/audience.sqlite3`)",
            ),
            (
                Error::PasswordEnvUnnamed,
                "`smtp.username` is set but `smtp.password_env` is not; name the environment variable that holds the password",
            ),
            (
                Error::PasswordMissing {
                    variable: "SMTP_PASSWORD".to_owned(),
                },
                "the SMTP password is read from the environment variable `SMTP_PASSWORD`, which is not set",
            ),
            (
                Error::ReadDkimKey {
                    path: path("dkim.key"),
                    source: io("gone"),
                },
                "cannot read the DKIM key `dkim.key`",
            ),
            (
                Error::BadDkimKey {
                    path: path("dkim.key"),
                    algorithm: "RSA",
                    detail: "no PEM".to_owned(),
                },
                "the DKIM key `dkim.key` is not a valid RSA key (no PEM); an RSA key is a PEM file (PKCS#1 or PKCS#8), an Ed25519 key a PKCS#8 PEM file or the base64 of its 32-byte seed",
            ),
            (
                Error::SmtpHost {
                    host: "smtp..x".to_owned(),
                    detail: "bad name".to_owned(),
                },
                "cannot use SMTP host `smtp..x`: bad name",
            ),
            (
                Error::SmtpUnreachable {
                    detail: "it did not answer".to_owned(),
                },
                "cannot talk to the SMTP server: it did not answer",
            ),
            (
                Error::CreateOutbox {
                    path: path("outbox"),
                    source: io("read-only"),
                },
                "cannot create the outbox `outbox`",
            ),
            (
                Error::Journal {
                    path: path(".briefing/sends/x.journal"),
                    action: "write",
                    source: io("full"),
                },
                "cannot write the journal `.briefing/sends/x.journal`",
            ),
            (
                Error::SendRunning {
                    journal: path("x.journal"),
                    pid: Some(42),
                },
                "another `briefing send` of this issue to this list is running as process 42 (it holds `x.journal`); wait for it to end, or stop it, then run this again",
            ),
            (
                Error::SendRunning {
                    journal: path("x.journal"),
                    pid: None,
                },
                "another `briefing send` of this issue to this list is running (it holds `x.journal`); wait for it to end, or stop it, then run this again",
            ),
            (
                Error::ReadList {
                    path: path("list.csv"),
                    source: io("gone"),
                },
                "cannot read `list.csv`",
            ),
            (
                Error::BuildMessage {
                    email: "a@example.org".to_owned(),
                    detail: "bad header".to_owned(),
                },
                "cannot build the message to `a@example.org`: bad header",
            ),
            (
                Error::Template {
                    name: "issue.html".to_owned(),
                    detail: "line 3: undefined value".to_owned(),
                },
                "template `issue.html`, line 3: undefined value",
            ),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for (error, sentence) in &cases {
            assert_eq!(error.to_string(), *sentence, "{}", variant(error));
            seen.insert(variant(error));
        }
        // Each variant has at least one sentence above.
        assert_eq!(
            seen.len(),
            58,
            "a variant's sentence is not pinned: {seen:?}"
        );
    }

    #[test]
    fn causes_are_kept_for_the_caused_by_lines() {
        let error = Error::ReadFile {
            path: PathBuf::from("a.txt"),
            source: io("permission denied"),
        };
        let cause = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(cause.as_deref(), Some("permission denied"));
    }
}
