//! `config.yaml`: the newsletter's identity, output and mail settings.
//!
//! Takes the file's text, returns a validated [`Config`] or located diagnostics. Every setting
//! but the identity fields (`title`, `base_url`, `from`) has a default; unknown keys are errors.
//! Secrets never live here: `smtp.password_env` names the environment variable that holds the
//! password, and a `password` key is refused with that advice.
//!
//! The mail settings are read in [`mail`], the audience's in [`audience`]; this file reads the
//! rest and puts the [`Config`] together.

use std::path::{Component, Path, PathBuf};

use lettre::message::Mailbox;

use crate::content::fields::{Fields, Key};
use crate::content::url;
use crate::content::yaml::{self, Value};
use crate::diagnostic::Pos;
use crate::diagnostic::{Diagnostic, FileDiagnostics};

mod audience;
mod mail;
#[cfg(test)]
mod tests;

pub use audience::ListSettings;
pub use mail::{Dkim, DkimAlgorithm, Security, SendSettings, Smtp};
use mail::{dkim, env_name, send_settings, smtp};

const TITLE: Key = Key::new("title", "the newsletter's name, e.g. `vff Briefing`");
const TAGLINE: Key = Key::new(
    "tagline",
    "one line under the title, e.g. `Weekly signal. No noise.`",
);
const AUDIENCE: Key = Key::new(
    "audience",
    "one line: who it is for, shown in the footer; or a mapping with `description`, `url` and `database`",
);
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
const POSTAL_ADDRESS: Key = Key::new(
    "postal_address",
    "the sender's postal address, shown in every email's footer, e.g. `vff Media, 1 Main St, Springfield, IL 62701, USA`",
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
    "a mapping with `selector`, `domain`, `key_file` and `algorithm`, or a list of them (RSA and Ed25519 together)",
);
const FEED_LIMIT: Key = Key::new(
    "feed_limit",
    "how many of the newest issues `feed.xml` carries, with their full text, e.g. `20`",
);
const TAG_PAGE_SIZE: Key = Key::new(
    "tag_page_size",
    "how many stories one page of a tag lists before the next page, e.g. `50` (the default)",
);
const SEARCH: Key = Key::new(
    "search",
    "`true` (the default) puts a search box on every page, searching the whole archive with no server; `false` leaves the site without JavaScript",
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

const LINKS: Key = Key::new(
    "links",
    "a mapping with `archive_endpoint`, where `check --links --archive` asks for copies",
);
const ARCHIVE_ENDPOINT: Key = Key::new(
    "archive_endpoint",
    "the archive's save address, the source's URL appended, e.g. `https://web.archive.org/save/` (the default)",
);
const LINKS_KEYS: &[Key] = &[ARCHIVE_ENDPOINT];

const TIMEZONE: Key = Key::new(
    "timezone",
    "the IANA time zone `send_at` times are in, e.g. `Europe/Berlin` or `America/New_York` (default `UTC`)",
);

const EMAIL: Key = Key::new(
    "email",
    "a mapping with `greeting` (the line that greets each reader) and `merge_tag` (how another mail tool writes its unsubscribe link)",
);
const MERGE_TAG: Key = Key::new(
    "merge_tag",
    "another mail tool's unsubscribe merge tag, e.g. `*|UNSUB|*` or `{{ unsubscribe_url }}`",
);
const GREETING: Key = Key::new(
    "greeting",
    "the line that greets each reader, with `{first_name}` or `{name}`, e.g. `\"Hi {first_name},\"`; `false` for none",
);
const EMAIL_KEYS: &[Key] = &[MERGE_TAG, GREETING];

/// How many stories one page of a tag lists unless `tag_page_size` says otherwise: a large
/// archive's tag has a thousand.
pub const DEFAULT_TAG_PAGE_SIZE: usize = 50;

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
    POSTAL_ADDRESS,
    FEED_LIMIT,
    TAG_PAGE_SIZE,
    SEARCH,
    DKIM,
    SMTP,
    SEND,
    WATCH,
    LINKS,
    EMAIL,
    TIMEZONE,
];
const CONFIG_ALIASES: &[(&str, &str)] = &[
    ("name", "title"),
    ("url", "base_url"),
    ("lang", "language"),
    ("sender", "from"),
    ("out", "output_dir"),
    ("output", "output_dir"),
];

const STALE_WEEKS: Key = Key::new(
    "stale_after_weeks",
    "after how many weeks an open watch item without a due date shows under \"Still watching\", e.g. `12`",
);
const STILL_WATCHING_LIMIT: Key = Key::new(
    "still_watching_limit",
    "how many items an issue page lists under \"Still watching\" at most (0 hides the block)",
);
const WATCH_KEYS: &[Key] = &[STALE_WEEKS, STILL_WATCHING_LIMIT];

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
    /// DKIM keys; each signs every message (none: unsigned).
    pub dkim: Vec<Dkim>,
    /// How many of the newest issues the feed carries.
    pub feed_limit: usize,
    /// How many stories one page of a tag lists.
    pub tag_page_size: usize,
    /// Whether the site has archive search (`search`, default on).
    pub search: bool,
    /// The footer's promise.
    pub promise: String,
    /// Where `check --links --archive` asks for a copy of a source: this, then the URL.
    pub archive_endpoint: String,
    /// The sender's postal address, shown in every email's footer (CAN-SPAM asks for one in
    /// commercial mail).
    pub postal_address: Option<String>,
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
    /// The line that greets each reader of an email, with `{first_name}` or `{name}`; none
    /// greets nobody.
    pub greeting: Option<String>,
    /// The time zone of `send_at` times without an offset.
    pub timezone: chrono_tz::Tz,
}

/// The greeting's text, when its only placeholders are `{first_name}` and `{name}`.
fn greeting_text(
    e: &mut Fields<'_, '_, '_>,
    line: crate::content::fields::Spanned<String>,
) -> Option<String> {
    let rest = line.value.replace("{first_name}", "").replace("{name}", "");
    if rest.contains(['{', '}']) {
        e.diags
            .error(
                line.pos,
                format!(
                    "`email: greeting` `{}` has a placeholder other than `{{first_name}}` and `{{name}}`",
                    line.value
                ),
            )
            .help(GREETING.help);
        return None;
    }
    Some(line.value)
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
/// its warnings (only Ed25519 DKIM keys, say), or every problem found.
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
    let (audience, list) = audience::audience(&mut f);
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
        // The reader's address sealed into an opaque reference, not in the clear: spam
        // filters score a link that holds the recipient's address, and proxies log it.
        (Some(url), None) => Some(format!("{url}unsubscribe?u={{ref}}")),
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
    let tag_page_size = f
        .integer_in(TAG_PAGE_SIZE, 1, 100_000)
        .map_or(DEFAULT_TAG_PAGE_SIZE, |n| {
            usize::try_from(n.value).unwrap_or(DEFAULT_TAG_PAGE_SIZE)
        });
    let search = f.boolean(SEARCH).unwrap_or(true);
    let promise = f
        .line(PROMISE, false)
        .map_or_else(|| "No spam. Unsubscribe any time.".to_owned(), |s| s.value);
    let postal_address = f.line(POSTAL_ADDRESS, false).map(|s| s.value);
    let archive_endpoint = archive_endpoint(&mut f);
    let smtp = smtp(&mut f);
    let send = send_settings(&mut f);
    let watch = watch_settings(&mut f);
    let timezone = f.line(TIMEZONE, false).and_then(|zone| {
        if let Ok(tz) = zone.value.parse::<chrono_tz::Tz>() {
            return Some(tz);
        }
        // A zone spelled in another case, or the closest name, as the hint.
        let near = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .find(|name| name.eq_ignore_ascii_case(&zone.value))
            .or_else(|| {
                chrono_tz::TZ_VARIANTS
                    .iter()
                    .map(|tz| (strsim::jaro_winkler(tz.name(), &zone.value), tz.name()))
                    .filter(|(score, _)| *score > 0.85)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, name)| name)
            });
        let diag = f.diags.error(
            zone.pos,
            format!("`timezone` `{}` is not an IANA time zone", zone.value),
        );
        match near {
            Some(name) => diag.help(format!("did you mean `{name}`?")),
            None => diag.help(TIMEZONE.help),
        };
        None
    });
    let mut greeting = Some("Hi {first_name},".to_owned());
    let merge_tag = f.mapping(EMAIL).and_then(|(entries, pos)| {
        let mut e = Fields::new(entries, pos, EMAIL_KEYS, &[], "email: ", f.diags);
        if let Some(entry) = e.entry(GREETING.name) {
            let off = matches!(
                &entry.value.value,
                Value::Null | Value::Scalar { quoted: false, .. }
            ) && matches!(
                entry.value.as_text().unwrap_or(""),
                "" | "false" | "off" | "no" | "none"
            );
            if off {
                greeting = None;
            } else if let Some(line) = e.line(GREETING, false) {
                greeting = greeting_text(&mut e, line);
            }
        }
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
        tag_page_size,
        search,
        promise,
        archive_endpoint,
        postal_address,
        smtp,
        send,
        watch,
        merge_tag,
        greeting,
        timezone: timezone.unwrap_or(chrono_tz::UTC),
        list,
    })
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

/// `links.archive_endpoint`, or the Internet Archive's Save Page Now.
fn archive_endpoint(f: &mut Fields<'_, '_, '_>) -> String {
    const DEFAULT: &str = "https://web.archive.org/save/";
    let Some((entries, pos)) = f.mapping(LINKS) else {
        return DEFAULT.to_owned();
    };
    let mut l = Fields::new(entries, pos, LINKS_KEYS, &[], "links: ", f.diags);
    let Some(endpoint) = l.line(ARCHIVE_ENDPOINT, false) else {
        return DEFAULT.to_owned();
    };
    if let Err(message) = url::check(&endpoint.value) {
        l.diags
            .error(endpoint.pos, format!("`links.archive_endpoint`: {message}"))
            .help(ARCHIVE_ENDPOINT.help);
        return DEFAULT.to_owned();
    }
    endpoint.value
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
