//! `config.yaml`: the newsletter's identity, output and mail settings.
//!
//! Takes the file's text, returns a validated [`Config`] or located diagnostics. Every setting
//! but the identity fields (`title`, `base_url`, `from`) has a default; unknown keys are errors.
//! Secrets never live here: `smtp.password_env` names the environment variable that holds the
//! password, and a `password` key is refused with that advice.

use std::path::{Component, Path, PathBuf};

use lettre::message::Mailbox;

use crate::content::fields::{Fields, Key};
use crate::content::url;
use crate::content::yaml;
use crate::diagnostic::Pos;
use crate::diagnostic::{Diagnostic, FileDiagnostics};

const TITLE: Key = Key::new("title", "the newsletter's name, e.g. `vff Briefing`");
const TAGLINE: Key = Key::new(
    "tagline",
    "one line under the title, e.g. `Weekly signal. No noise.`",
);
const AUDIENCE: Key = Key::new(
    "audience",
    "one line: who it is for, shown in the footer; or a mapping with `description`, `url` and `database`",
);
const DESCRIPTION: Key = Key::new(
    "description",
    "one line: who the newsletter is for, shown in the footer",
);
const LIST_URL: Key = Key::new(
    "url",
    "the public address of `briefing listen`, e.g. `https://news.example.org/list/`",
);
const DATABASE: Key = Key::new(
    "database",
    "the subscriber database, e.g. `.briefing/audience.sqlite3` (the default)",
);
const BOUNCE_ADDRESS: Key = Key::new(
    "bounce_address",
    "the mailbox bounces go to, e.g. `bounces@news.example.org`: each message's envelope sender becomes `bounces+<token>@news.example.org`",
);
const SOFT_BOUNCE_LIMIT: Key = Key::new(
    "soft_bounce_limit",
    "temporary failures within 30 days before an address counts as bounced, e.g. `3`",
);
const AUDIENCE_KEYS: &[Key] = &[
    DESCRIPTION,
    LIST_URL,
    DATABASE,
    BOUNCE_ADDRESS,
    SOFT_BOUNCE_LIMIT,
];
const BASE_URL: Key = Key::new(
    "base_url",
    "the absolute URL the site is published at, e.g. `https://example.org/briefing/`",
);
const LANGUAGE: Key = Key::new("language", "a language tag such as `en`, `de` or `fr`");
const AUTHOR: Key = Key::new("author", "who writes it; shown in the feed");
const FROM: Key = Key::new(
    "from",
    "the sender, e.g. `vff Briefing <briefing@example.org>`",
);
const REPLY_TO: Key = Key::new("reply_to", "where replies go, e.g. `editor@example.org`");
const OUTPUT_DIR: Key = Key::new(
    "output_dir",
    "the folder the site is built into, e.g. `public`",
);
const FIRST_NUMBER: Key = Key::new(
    "first_issue_number",
    "the number of the first issue, e.g. `1`",
);
const UNSUBSCRIBE_URL: Key = Key::new(
    "unsubscribe_url",
    "an http(s) URL with `{token}` where the subscriber's token goes, e.g. `https://example.org/unsubscribe?token={token}`",
);
const PROMISE: Key = Key::new(
    "promise",
    "the footer's promise, e.g. `No spam. Unsubscribe any time.`",
);
const LIST_ID: Key = Key::new(
    "list_id",
    "the List-Id of the mailing list, dot-separated like `briefing.example.org`",
);
const UNSUBSCRIBE_MAILTO: Key = Key::new(
    "unsubscribe_mailto",
    "an address that unsubscribes whoever writes to it, e.g. `unsubscribe@example.org`",
);
const SECRET_ENV: Key = Key::new(
    "unsubscribe_secret_env",
    "the name of the environment variable holding the secret that signs unsubscribe tokens",
);
const DKIM: Key = Key::new(
    "dkim",
    "a mapping with `selector`, `domain`, `key_file` and `algorithm`",
);
const FEED_LIMIT: Key = Key::new(
    "feed_limit",
    "how many of the newest issues `feed.xml` carries, with their full text, e.g. `20`",
);
const SMTP: Key = Key::new(
    "smtp",
    "a mapping with `host`, `port`, `security`, `username`, `password_env`",
);
const SEND: Key = Key::new("send", "a mapping with `rate_per_second` and `concurrency`");
const WATCH: Key = Key::new(
    "watch",
    "a mapping with `stale_after_weeks` and `still_watching_limit`",
);

const EMAIL: Key = Key::new(
    "email",
    "a mapping with `merge_tag`: how another mail tool writes its unsubscribe link",
);
const MERGE_TAG: Key = Key::new(
    "merge_tag",
    "another mail tool's unsubscribe merge tag, e.g. `*|UNSUB|*` or `{{ unsubscribe_url }}`",
);
const EMAIL_KEYS: &[Key] = &[MERGE_TAG];

const CONFIG_KEYS: &[Key] = &[
    TITLE,
    TAGLINE,
    AUDIENCE,
    BASE_URL,
    LANGUAGE,
    AUTHOR,
    FROM,
    REPLY_TO,
    OUTPUT_DIR,
    FIRST_NUMBER,
    UNSUBSCRIBE_URL,
    UNSUBSCRIBE_MAILTO,
    SECRET_ENV,
    LIST_ID,
    PROMISE,
    FEED_LIMIT,
    DKIM,
    SMTP,
    SEND,
    WATCH,
    EMAIL,
];
const CONFIG_ALIASES: &[(&str, &str)] = &[
    ("name", "title"),
    ("url", "base_url"),
    ("lang", "language"),
    ("sender", "from"),
    ("out", "output_dir"),
    ("output", "output_dir"),
];

const HOST: Key = Key::new("host", "the SMTP server's host name");
const PORT: Key = Key::new("port", "the SMTP port: 587 for starttls, 465 for tls");
const SECURITY: Key = Key::new(
    "security",
    "`starttls`, `tls`, or `none` (loopback hosts only)",
);
const USERNAME: Key = Key::new("username", "the SMTP login");
const PASSWORD_ENV: Key = Key::new(
    "password_env",
    "the name of the environment variable that holds the password, e.g. `BRIEFING_SMTP_PASSWORD`",
);
const TIMEOUT: Key = Key::new(
    "timeout_seconds",
    "seconds to wait for the server, e.g. `30`",
);
const SMTP_KEYS: &[Key] = &[HOST, PORT, SECURITY, USERNAME, PASSWORD_ENV, TIMEOUT];
const SMTP_ALIASES: &[(&str, &str)] = &[
    ("password", "password_env"),
    ("pass", "password_env"),
    ("user", "username"),
    ("server", "host"),
    ("timeout", "timeout_seconds"),
];

const RATE: Key = Key::new("rate_per_second", "messages per second at most, e.g. `10`");
const CONCURRENCY: Key = Key::new("concurrency", "SMTP sessions at once, from 1 to 64");
const RETRIES: Key = Key::new(
    "retries",
    "how often a temporary failure is retried, from 0 to 10",
);
const SUPPRESSION: Key = Key::new(
    "suppression_file",
    "a file of addresses never to mail, one per line, relative to the newsletter folder",
);
const SEND_KEYS: &[Key] = &[RATE, CONCURRENCY, RETRIES, SUPPRESSION];

const STALE_WEEKS: Key = Key::new(
    "stale_after_weeks",
    "after how many weeks an open watch item without a due date shows under \"Still watching\", e.g. `12`",
);
const STILL_WATCHING_LIMIT: Key = Key::new(
    "still_watching_limit",
    "how many items an issue page lists under \"Still watching\" at most (0 hides the block)",
);
const WATCH_KEYS: &[Key] = &[STALE_WEEKS, STILL_WATCHING_LIMIT];

const SELECTOR: Key = Key::new(
    "selector",
    "the DKIM selector published in DNS, e.g. `briefing`",
);
const DKIM_DOMAIN: Key = Key::new("domain", "the signing domain, e.g. `example.org`");
const KEY_FILE: Key = Key::new(
    "key_file",
    "the private key file, relative to the newsletter folder: base64 Ed25519 seed, or RSA PKCS#1 PEM",
);
const ALGORITHM: Key = Key::new("algorithm", "`ed25519` (preferred) or `rsa`");
const DKIM_KEYS: &[Key] = &[SELECTOR, DKIM_DOMAIN, KEY_FILE, ALGORITHM];

/// How DKIM signatures are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DkimAlgorithm {
    /// Ed25519 (RFC 8463).
    Ed25519,
    /// RSA-SHA256.
    Rsa,
}

/// DKIM signing settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Dkim {
    /// DNS selector.
    pub selector: String,
    /// Signing domain.
    pub domain: String,
    /// Private key file, relative to the newsletter folder unless absolute.
    pub key_file: PathBuf,
    /// Signature algorithm.
    pub algorithm: DkimAlgorithm,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption; accepted only for a loopback host.
    None,
}

/// SMTP settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Smtp {
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Connection security.
    pub security: Security,
    /// Login name, if the server wants one.
    pub username: Option<String>,
    /// The name of the environment variable holding the password.
    pub password_env: Option<String>,
    /// Connection and command timeout.
    pub timeout_seconds: u64,
}

/// Sending pace.
#[derive(Debug, Clone, PartialEq)]
pub struct SendSettings {
    /// Messages per second at most.
    pub rate_per_second: f64,
    /// SMTP sessions at once.
    pub concurrency: u32,
    /// How often a temporary failure is retried.
    pub retries: u32,
    /// Addresses never to mail, relative to the newsletter folder unless absolute.
    pub suppression_file: Option<PathBuf>,
}

/// How watch items are followed across issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchSettings {
    /// Weeks after which an open item with no due date counts as stale.
    pub stale_after_weeks: u32,
    /// The most items an issue page lists under "Still watching".
    pub still_watching_limit: usize,
}

impl Default for WatchSettings {
    fn default() -> WatchSettings {
        WatchSettings {
            stale_after_weeks: 12,
            still_watching_limit: 8,
        }
    }
}

/// Where subscribers sign up and are kept (`audience.url`, `audience.database`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSettings {
    /// The public address of `briefing listen`, ending in `/`: the site's sign-up form posts
    /// to `{url}subscribe`, and sent mail's unsubscribe links point at `{url}unsubscribe`.
    pub url: Option<String>,
    /// The subscriber database, relative to the root unless absolute.
    pub database: PathBuf,
    /// The mailbox bounces go to; each message's envelope sender is a VERP address on it.
    pub bounce_address: Option<lettre::Address>,
    /// Temporary failures within 30 days that make an address bounced.
    pub soft_bounce_limit: u32,
}

impl Default for ListSettings {
    fn default() -> ListSettings {
        ListSettings {
            url: None,
            database: PathBuf::from(".briefing/audience.sqlite3"),
            bounce_address: None,
            soft_bounce_limit: 3,
        }
    }
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Newsletter name.
    pub title: String,
    /// Line under the title.
    pub tagline: String,
    /// Who it is for.
    pub audience: String,
    /// Absolute http(s) URL of the site, always ending in `/`.
    pub base_url: String,
    /// Language tag, e.g. `en`.
    pub language: String,
    /// Author for the feed.
    pub author: String,
    /// Sender mailbox.
    pub from: Mailbox,
    /// Reply-To mailbox.
    pub reply_to: Option<Mailbox>,
    /// Output folder, relative to the root unless absolute.
    pub output_dir: PathBuf,
    /// Number of the first issue.
    pub first_issue_number: u32,
    /// Unsubscribe URL template with `{token}`.
    pub unsubscribe_url: Option<String>,
    /// Address for mailto unsubscribes.
    pub unsubscribe_mailto: Option<String>,
    /// The environment variable holding the unsubscribe-token secret.
    pub unsubscribe_secret_env: String,
    /// The list's List-Id.
    pub list_id: String,
    /// DKIM signing, if configured.
    pub dkim: Option<Dkim>,
    /// How many of the newest issues the feed carries.
    pub feed_limit: usize,
    /// The footer's promise.
    pub promise: String,
    /// SMTP server; without one, `send` writes to an outbox.
    pub smtp: Option<Smtp>,
    /// Sending pace.
    pub send: SendSettings,
    /// Following watch items.
    pub watch: WatchSettings,
    /// The subscriber list: the sign-up service's address and the database.
    pub list: ListSettings,
    /// Another mail tool's unsubscribe merge tag: when set, `build` also writes each issue's
    /// `email-merge.html` and `email-merge.txt` with it where the unsubscribe link goes.
    pub merge_tag: Option<String>,
}

/// Parses and validates `config.yaml`.
///
/// # Errors
///
/// Every problem found, located in the file.
#[cfg(test)]
pub fn parse(path: &Path, text: &str) -> Result<Config, Vec<Diagnostic>> {
    parse_with_warnings(path, text).map(|(config, _)| config)
}

/// Parses and validates `config.yaml`'s text; `path` is used in diagnostics. The config and
/// its warnings (an RSA DKIM key, say), or every problem found.
///
/// # Errors
///
/// Every problem found, located in the file.
pub fn parse_with_warnings(
    path: &Path,
    text: &str,
) -> Result<(Config, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut diags = FileDiagnostics::new(path, text);
    let config = read(text, &mut diags);
    match config {
        Some(config) if !diags.has_errors() => Ok((config, diags.list)),
        _ => Err(diags.list),
    }
}

fn read(text: &str, diags: &mut FileDiagnostics<'_>) -> Option<Config> {
    let root = match yaml::parse(text) {
        Ok(Some(root)) if root.as_map().is_some() => root,
        Ok(Some(root)) => {
            diags.error(
                root.pos,
                format!(
                    "`config.yaml` must be a mapping of keys, found {}",
                    root.kind()
                ),
            );
            return None;
        }
        Ok(None) => {
            diags
                .error(Pos::START, "`config.yaml` is empty")
                .help("it needs at least `title`, `base_url` and `from`");
            return None;
        }
        Err(e) => {
            e.report(diags);
            return None;
        }
    };
    let entries = root.as_map().unwrap_or_default();
    let mut f = Fields::new(entries, root.pos, CONFIG_KEYS, CONFIG_ALIASES, "", diags);

    let title = f.line(TITLE, true);
    let tagline = f.line(TAGLINE, false).map(|s| s.value).unwrap_or_default();
    let (audience, list) = audience(&mut f);
    let base_url = f.line(BASE_URL, true).and_then(|url| {
        if let Err(message) = url::check(&url.value) {
            f.diags
                .error(url.pos, format!("`base_url`: {message}"))
                .help(BASE_URL.help);
            return None;
        }
        if url.value.contains(['?', '#']) {
            f.diags
                .error(url.pos, "`base_url` cannot have a query or fragment")
                .help(BASE_URL.help);
            return None;
        }
        let mut value = url.value;
        if !value.ends_with('/') {
            value.push('/');
        }
        Some(value)
    });
    let language = f.line(LANGUAGE, false).and_then(|lang| {
        let ok = lang.value.split('-').enumerate().all(|(i, part)| {
            let len_ok = if i == 0 {
                (2..=3).contains(&part.len())
            } else {
                (1..=8).contains(&part.len())
            };
            len_ok && part.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if ok {
            Some(lang.value)
        } else {
            f.diags
                .error(
                    lang.pos,
                    format!("`language` `{}` is not a language tag", lang.value),
                )
                .help(LANGUAGE.help);
            None
        }
    });
    let author = f.line(AUTHOR, false).map(|s| s.value);
    let from = mailbox(&mut f, FROM, true);
    let reply_to = mailbox(&mut f, REPLY_TO, false);
    let output_dir = f.line(OUTPUT_DIR, false).and_then(|dir| {
        let path = PathBuf::from(&dir.value);
        let bad = path.components().all(|c| matches!(c, Component::CurDir))
            || ["briefs", "templates"].iter().any(|d| path == Path::new(d));
        if bad {
            f.diags
                .error(
                    dir.pos,
                    format!(
                        "`output_dir` `{}` would be replaced on every build",
                        dir.value
                    ),
                )
                .help("the build swaps in a fresh folder; name one of its own, e.g. `public`");
            None
        } else {
            Some(path)
        }
    });
    let first_issue_number = f
        .integer_in(FIRST_NUMBER, 0, 1_000_000)
        .and_then(|n| u32::try_from(n.value).ok());
    let unsubscribe_url = f.line(UNSUBSCRIBE_URL, false).and_then(|url| {
        let probe = url.value.replace("{token}", "t").replace("{email}", "e");
        if let Err(message) = url::check(&probe) {
            f.diags
                .error(url.pos, format!("`unsubscribe_url`: {message}"))
                .help(UNSUBSCRIBE_URL.help);
            return None;
        }
        if !url.value.contains("{token}") {
            f.diags
                .error(url.pos, "`unsubscribe_url` has no `{token}` placeholder")
                .help(UNSUBSCRIBE_URL.help);
            return None;
        }
        Some(url.value)
    });
    let unsubscribe_url = match (&list.url, unsubscribe_url) {
        (Some(url), None) => Some(format!("{url}unsubscribe?email={{email}}&token={{token}}")),
        (Some(_), Some(_)) => {
            let pos = f
                .entry(UNSUBSCRIBE_URL.name)
                .map_or(Pos::START, |e| e.key_pos);
            f.diags
                .error(pos, "`unsubscribe_url` and `audience.url` are both set")
                .help("with `audience.url`, `briefing listen` handles unsubscribes: delete `unsubscribe_url`");
            None
        }
        (None, url) => url,
    };
    let unsubscribe_mailto = f.line(UNSUBSCRIBE_MAILTO, false).and_then(|addr| {
        if addr.value.parse::<lettre::Address>().is_ok() {
            return Some(addr.value);
        }
        f.diags
            .error(
                addr.pos,
                format!(
                    "`unsubscribe_mailto` `{}` is not an email address",
                    addr.value
                ),
            )
            .help(UNSUBSCRIBE_MAILTO.help);
        None
    });
    let unsubscribe_secret_env = f
        .line(SECRET_ENV, false)
        .and_then(|name| env_name(&mut f, SECRET_ENV, name))
        .unwrap_or_else(|| "BRIEFING_UNSUBSCRIBE_SECRET".to_owned());
    let list_id = f.line(LIST_ID, false).and_then(|id| {
        let valid = id.value.contains('.')
            && id.value.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if valid {
            return Some(id.value);
        }
        f.diags
            .error(
                id.pos,
                format!("`list_id` `{}` is not a dot-separated name", id.value),
            )
            .help(LIST_ID.help);
        None
    });
    let dkim = dkim(&mut f);
    let feed_limit = f
        .integer_in(FEED_LIMIT, 1, 100_000)
        .map_or(20, |n| usize::try_from(n.value).unwrap_or(20));
    let promise = f
        .line(PROMISE, false)
        .map_or_else(|| "No spam. Unsubscribe any time.".to_owned(), |s| s.value);
    let smtp = smtp(&mut f);
    let send = send_settings(&mut f);
    let watch = watch_settings(&mut f);
    let merge_tag = f.mapping(EMAIL).and_then(|(entries, pos)| {
        let mut e = Fields::new(entries, pos, EMAIL_KEYS, &[], "email: ", f.diags);
        e.line(MERGE_TAG, false).map(|tag| tag.value)
    });

    let title = title?.value;
    let base_url = base_url?;
    let list_id = list_id.unwrap_or_else(|| default_list_id(&title, &base_url));
    Some(Config {
        author: author.unwrap_or_else(|| title.clone()),
        title,
        tagline,
        audience,
        base_url,
        language: language.unwrap_or_else(|| "en".to_owned()),
        from: from?,
        reply_to,
        output_dir: output_dir.unwrap_or_else(|| PathBuf::from("public")),
        first_issue_number: first_issue_number.unwrap_or(1),
        unsubscribe_url,
        unsubscribe_mailto,
        unsubscribe_secret_env,
        list_id,
        dkim,
        feed_limit,
        promise,
        smtp,
        send,
        watch,
        merge_tag,
        list,
    })
}

/// `audience`: one line (who it is for), or a mapping that also says where the sign-up
/// service runs and where subscribers are kept.
fn audience(f: &mut Fields<'_, '_, '_>) -> (String, ListSettings) {
    let mut list = ListSettings::default();
    let is_mapping = f
        .entry(AUDIENCE.name)
        .is_some_and(|e| matches!(e.value.value, yaml::Value::Map(_)));
    if !is_mapping {
        let line = f.line(AUDIENCE, false).map(|s| s.value).unwrap_or_default();
        return (line, list);
    }
    let Some((entries, pos)) = f.mapping(AUDIENCE) else {
        return (String::new(), list);
    };
    let mut a = Fields::new(entries, pos, AUDIENCE_KEYS, &[], "audience: ", f.diags);
    let description = a
        .line(DESCRIPTION, false)
        .map(|s| s.value)
        .unwrap_or_default();
    if let Some(url) = a.line(LIST_URL, false) {
        let mut value = url.value.clone();
        if !value.ends_with('/') {
            value.push('/');
        }
        let host = crate::content::url::host(&value)
            .rsplit_once(':')
            .map_or(crate::content::url::host(&value), |(h, _)| h);
        if let Err(message) = crate::content::url::check(&value) {
            a.diags
                .error(url.pos, format!("`audience.url`: {message}"))
                .help(LIST_URL.help);
        } else if value.contains(['?', '#', '{']) {
            a.diags
                .error(
                    url.pos,
                    "`audience.url` cannot have a query, a fragment or `{`",
                )
                .help(LIST_URL.help);
        } else if !value.to_ascii_lowercase().starts_with("https://") && !is_loopback(host) {
            a.diags
                .error(url.pos, "`audience.url` must be an https URL")
                .help("one-click unsubscribe (RFC 8058) requires https; plain http is only for a service on this machine");
        } else {
            list.url = Some(value);
        }
    }
    if let Some(database) = a.line(DATABASE, false) {
        list.database = PathBuf::from(database.value);
    }
    if let Some(address) = a.line(BOUNCE_ADDRESS, false) {
        match address.value.parse::<lettre::Address>() {
            Ok(parsed) if !parsed.user().contains('+') => list.bounce_address = Some(parsed),
            Ok(_) => {
                a.diags
                    .error(
                        address.pos,
                        "`audience.bounce_address` cannot contain `+`: briefing adds `+<token>` to it",
                    )
                    .help(BOUNCE_ADDRESS.help);
            }
            Err(_) => {
                a.diags
                    .error(
                        address.pos,
                        format!(
                            "`audience.bounce_address` `{}` is not an email address",
                            address.value
                        ),
                    )
                    .help(BOUNCE_ADDRESS.help);
            }
        }
    }
    if let Some(limit) = a.integer_in(SOFT_BOUNCE_LIMIT, 1, 100) {
        list.soft_bounce_limit = u32::try_from(limit.value).unwrap_or(3);
    }
    (description, list)
}

fn mailbox(f: &mut Fields<'_, '_, '_>, key: Key, required: bool) -> Option<Mailbox> {
    let value = f.line(key, required)?;
    match value.value.parse::<Mailbox>() {
        Ok(mailbox) => Some(mailbox),
        Err(_) => {
            f.diags
                .error(
                    value.pos,
                    format!("`{}` `{}` is not an email address", key.name, value.value),
                )
                .help(key.help);
            None
        }
    }
}

fn smtp(f: &mut Fields<'_, '_, '_>) -> Option<Smtp> {
    let (entries, pos) = f.mapping(SMTP)?;
    if let Some(password) = entries.iter().find(|e| e.key == "password") {
        let diag = f
            .diags
            .error(password.key_pos, "passwords do not belong in `config.yaml`");
        diag.help("put it in an environment variable and name that variable in `password_env`");
        // The snippet would print the secret.
        diag.line_text = None;
    }
    let known_and_password: Vec<Key> = SMTP_KEYS
        .iter()
        .copied()
        .chain([Key::new("password", "")])
        .collect();
    let mut s = Fields::new(
        entries,
        pos,
        &known_and_password,
        SMTP_ALIASES,
        "smtp: ",
        f.diags,
    );
    let host = s.line(HOST, true);
    let security = match s
        .choice(SECURITY, &["starttls", "tls", "none"])
        .map(|c| c.value)
    {
        Some("tls") => Security::Tls,
        Some("none") => Security::None,
        _ => Security::StartTls,
    };
    let default_port = match security {
        Security::StartTls => 587,
        Security::Tls => 465,
        Security::None => 25,
    };
    let port = s
        .integer_in(PORT, 1, 65_535)
        .and_then(|p| u16::try_from(p.value).ok())
        .unwrap_or(default_port);
    let username = s.line(USERNAME, false).map(|u| u.value);
    let password_env = s
        .line(PASSWORD_ENV, false)
        .and_then(|name| env_name(&mut s, PASSWORD_ENV, name));
    let timeout_seconds = s
        .integer_in(TIMEOUT, 1, 600)
        .map_or(30, |t| t.value.unsigned_abs());
    let host = host?;
    if security == Security::None && !is_loopback(&host.value) {
        s.diags
            .error(
                host.pos,
                format!(
                    "`security: none` would send mail and password in clear text to `{}`",
                    host.value
                ),
            )
            .help("use `starttls` or `tls`; `none` is only for a server on this machine");
        return None;
    }
    Some(Smtp {
        host: host.value,
        port,
        security,
        username,
        password_env,
        timeout_seconds,
    })
}

/// `<title slug>.<host of base_url>`, e.g. `vff-briefing.briefing.example.org`.
fn default_list_id(title: &str, base_url: &str) -> String {
    let host = base_url
        .split_once("//")
        .map_or(base_url, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or("localhost");
    let name = crate::content::slug::slugify(title);
    let name = if name.is_empty() {
        "briefing".to_owned()
    } else {
        name
    };
    format!("{name}.{host}")
}

/// Checks that `name` can name an environment variable.
fn env_name(
    f: &mut Fields<'_, '_, '_>,
    key: Key,
    name: crate::content::fields::Spanned<String>,
) -> Option<String> {
    let valid = name
        .value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        return Some(name.value);
    }
    f.diags
        .error(
            name.pos,
            format!(
                "`{}` `{}` is not an environment variable name",
                key.name, name.value
            ),
        )
        .help(key.help);
    None
}

fn dkim(f: &mut Fields<'_, '_, '_>) -> Option<Dkim> {
    let (entries, pos) = f.mapping(DKIM)?;
    let mut d = Fields::new(entries, pos, DKIM_KEYS, &[], "dkim: ", f.diags);
    let selector = d.line(SELECTOR, true);
    let domain = d.line(DKIM_DOMAIN, true);
    let key_file = d.line(KEY_FILE, true);
    let algorithm = match d.choice(ALGORITHM, &["ed25519", "rsa"]) {
        Some(choice) if choice.value == "rsa" => {
            d.diags
                .warning(
                    choice.pos,
                    "RSA DKIM signs with the `rsa` crate, which has an unfixed timing advisory (RUSTSEC-2023-0071)",
                )
                .help("prefer `ed25519` (RFC 8463)");
            DkimAlgorithm::Rsa
        }
        _ => DkimAlgorithm::Ed25519,
    };
    Some(Dkim {
        selector: selector?.value,
        domain: domain?.value,
        key_file: PathBuf::from(key_file?.value),
        algorithm,
    })
}

/// Whether `host` names this machine.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn send_settings(f: &mut Fields<'_, '_, '_>) -> SendSettings {
    let mut settings = SendSettings {
        rate_per_second: 10.0,
        concurrency: 4,
        retries: 4,
        suppression_file: None,
    };
    let Some((entries, pos)) = f.mapping(SEND) else {
        return settings;
    };
    let mut s = Fields::new(entries, pos, SEND_KEYS, &[], "send: ", f.diags);
    if let Some(rate) = s.positive_number(RATE) {
        settings.rate_per_second = rate.value;
    }
    if let Some(concurrency) = s.integer_in(CONCURRENCY, 1, 64) {
        settings.concurrency = u32::try_from(concurrency.value).unwrap_or(1);
    }
    if let Some(retries) = s.integer_in(RETRIES, 0, 10) {
        settings.retries = u32::try_from(retries.value).unwrap_or(0);
    }
    settings.suppression_file = s.line(SUPPRESSION, false).map(|p| PathBuf::from(p.value));
    settings
}

fn watch_settings(f: &mut Fields<'_, '_, '_>) -> WatchSettings {
    let mut settings = WatchSettings::default();
    let Some((entries, pos)) = f.mapping(WATCH) else {
        return settings;
    };
    let mut w = Fields::new(entries, pos, WATCH_KEYS, &[], "watch: ", f.diags);
    if let Some(weeks) = w.integer_in(STALE_WEEKS, 1, 520) {
        settings.stale_after_weeks = u32::try_from(weeks.value).unwrap_or(12);
    }
    if let Some(limit) = w.integer_in(STILL_WATCHING_LIMIT, 0, 100) {
        settings.still_watching_limit = usize::try_from(limit.value).unwrap_or(8);
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Config {
        parse(Path::new("config.yaml"), text).unwrap()
    }

    fn errors(text: &str) -> Vec<String> {
        parse(Path::new("config.yaml"), text)
            .unwrap_err()
            .iter()
            .map(Diagnostic::headline)
            .collect()
    }

    const MINIMAL: &str = "title: vff Briefing\nbase_url: https://example.org/brief\nfrom: Briefing <b@example.org>\n";

    #[test]
    fn fills_defaults_for_everything_but_identity() {
        let config = parse_ok(MINIMAL);
        assert_eq!(config.base_url, "https://example.org/brief/");
        assert_eq!(config.language, "en");
        assert_eq!(config.author, "vff Briefing");
        assert_eq!(config.output_dir, PathBuf::from("public"));
        assert_eq!(config.first_issue_number, 1);
        assert_eq!(config.smtp, None);
        assert_eq!(config.send.concurrency, 4);
    }

    #[test]
    fn requires_identity_fields() {
        assert_eq!(
            errors("tagline: x\n"),
            [
                "config.yaml:1:1: error: missing required key `title`",
                "config.yaml:1:1: error: missing required key `base_url`",
                "config.yaml:1:1: error: missing required key `from`",
            ]
        );
    }

    #[test]
    fn unknown_keys_suggest_the_right_one() {
        let text = format!("{MINIMAL}titel: x\n");
        let err = parse(Path::new("config.yaml"), &text).unwrap_err();
        assert_eq!(
            err[0].headline(),
            "config.yaml:4:1: error: unknown key `titel`"
        );
        assert_eq!(err[0].help.as_deref(), Some("did you mean `title`?"));
    }

    #[test]
    fn refuses_a_password_in_the_file() {
        let text = format!("{MINIMAL}smtp:\n  host: mail.example.org\n  password: hunter2\n");
        let err = parse(Path::new("config.yaml"), &text).unwrap_err();
        assert_eq!(
            err[0].headline(),
            "config.yaml:6:3: error: passwords do not belong in `config.yaml`"
        );
        let shown = crate::diagnostic::render(&err[0], crate::diagnostic::Style::new(false));
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn reads_smtp_with_port_defaults() {
        let text = format!(
            "{MINIMAL}smtp:\n  host: mail.example.org\n  security: tls\n  password_env: SMTP_PASS\n"
        );
        let smtp = parse_ok(&text).smtp.unwrap();
        assert_eq!(smtp.port, 465);
        assert_eq!(smtp.security, Security::Tls);
        assert_eq!(smtp.password_env.as_deref(), Some("SMTP_PASS"));
    }

    #[test]
    fn plain_smtp_only_to_loopback() {
        let ok = format!("{MINIMAL}smtp:\n  host: 127.0.0.1\n  port: 2525\n  security: none\n");
        assert_eq!(parse_ok(&ok).smtp.unwrap().port, 2525);
        let bad = format!("{MINIMAL}smtp:\n  host: mail.example.org\n  security: none\n");
        assert!(errors(&bad)[0].contains("clear text"));
    }

    #[test]
    fn rejects_bad_values_with_their_positions() {
        let text = "title: T\nbase_url: javascript:alert(1)\nfrom: not an address\n\
                    output_dir: .\nsmtp:\n  host: h\n  security: ssl\nsend:\n  concurrency: 0\n";
        assert_eq!(
            errors(text),
            [
                "config.yaml:2:11: error: `base_url`: only http and https links are allowed, found a `javascript:` URL",
                "config.yaml:3:7: error: `from` `not an address` is not an email address",
                "config.yaml:4:13: error: `output_dir` `.` would be replaced on every build",
                "config.yaml:7:13: error: smtp: `security` must be one of `starttls`, `tls` or `none`, found `ssl`",
                "config.yaml:9:16: error: send: `concurrency` must be from 1 to 64, found 0",
            ]
        );
    }
}
