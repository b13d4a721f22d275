//! `audience`: who the newsletter is for, and where its readers' side runs (the sign-up
//! service's address, the subscriber database, the bounce mailbox).

use std::path::PathBuf;

use crate::content::fields::{Fields, Key};
use crate::content::url::is_loopback;
use crate::content::yaml;

use super::AUDIENCE;

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
const WELCOME: Key = Key::new(
    "welcome",
    "`true` (the default) mails each reader a welcome when they confirm; `false` does not",
);
const HOME_SIGNUP: Key = Key::new(
    "home_signup",
    "`true` (the default) puts a call to subscribe above the latest issue on the home page; `false` leaves only the footer's form",
);
const CLICKS: Key = Key::new(
    "clicks",
    "`true` counts clicks on the links of sent emails (per link, story and issue; never who clicked); `false` (the default) sends the links as they are",
);
const AUDIENCE_KEYS: &[Key] = &[
    DESCRIPTION,
    LIST_URL,
    DATABASE,
    BOUNCE_ADDRESS,
    SOFT_BOUNCE_LIMIT,
    WELCOME,
    HOME_SIGNUP,
    CLICKS,
];
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
    /// Whether a reader who confirms is mailed a welcome (`welcome-email.html` and `.txt`).
    pub welcome: bool,
    /// Whether the home page calls readers to subscribe above the latest issue.
    pub home_signup: bool,
    /// Whether the links of sent emails go through `listen`'s counter (`{url}c/…`).
    pub clicks: bool,
}

impl Default for ListSettings {
    fn default() -> ListSettings {
        ListSettings {
            url: None,
            database: PathBuf::from(".briefing/audience.sqlite3"),
            bounce_address: None,
            soft_bounce_limit: 3,
            welcome: true,
            home_signup: true,
            clicks: false,
        }
    }
}

/// `audience`: one line (who it is for), or a mapping that also says where the sign-up
/// service runs and where subscribers are kept.
pub(super) fn audience(f: &mut Fields<'_, '_, '_>) -> (String, ListSettings) {
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
    if let Some(welcome) = a.boolean(WELCOME) {
        list.welcome = welcome;
    }
    if let Some(home_signup) = a.boolean(HOME_SIGNUP) {
        list.home_signup = home_signup;
    }
    if let Some(clicks) = a.boolean(CLICKS) {
        let pos = a.entry(CLICKS.name).map(|e| e.key_pos);
        match pos {
            Some(pos) if clicks && list.url.is_none() => {
                a.diags
                    .error(
                        pos,
                        "`audience.clicks` needs `audience.url`: clicks are counted by `briefing listen`",
                    )
                    .help(LIST_URL.help);
            }
            _ => list.clicks = clicks,
        }
    }
    (description, list)
}
