//! How mail leaves: `smtp` (the relay), `send` (pace, sessions, retries, a suppression file)
//! and `dkim` (signing). The password never lives here: `smtp.password_env` names the
//! variable that holds it.

use std::path::PathBuf;

use crate::content::fields::{Fields, Key};
use crate::content::url::is_loopback;
use crate::content::yaml::Value;
use crate::diagnostic::Pos;

use super::{DKIM, SEND, SMTP};

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
const DUE_WITHIN: Key = Key::new(
    "due_within_hours",
    "how many hours after its `send_at` `send --due` still sends an issue, e.g. `24`",
);
const SEND_KEYS: &[Key] = &[RATE, CONCURRENCY, RETRIES, SUPPRESSION, DUE_WITHIN];

const SELECTOR: Key = Key::new(
    "selector",
    "the DKIM selector published in DNS, e.g. `briefing`",
);
const DKIM_DOMAIN: Key = Key::new("domain", "the signing domain, e.g. `example.org`");
const KEY_FILE: Key = Key::new(
    "key_file",
    "the private key file, relative to the newsletter folder: an Ed25519 key (PKCS#8 PEM or a base64 seed), or an RSA key (PEM, PKCS#1 or PKCS#8)",
);
const ALGORITHM: Key = Key::new("algorithm", "`rsa` or `ed25519`");
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
    /// Where `key_file` is written in `config.yaml`, for a key `check` cannot load.
    pub key_file_pos: Pos,
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
    /// How many hours after its `send_at` an issue is still sent by `send --due`: a timer
    /// that was down for days must not mail an old issue on its own.
    pub due_within_hours: u32,
}

pub(super) fn smtp(f: &mut Fields<'_, '_, '_>) -> Option<Smtp> {
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

/// Checks that `name` can name an environment variable.
pub(super) fn env_name(
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

/// The `dkim` setting: one key (a mapping) or several (a list of mappings), each signing
/// every message. Several selectors of one domain are how a sender signs with RSA, which every
/// provider verifies, and Ed25519 together.
pub(super) fn dkim(f: &mut Fields<'_, '_, '_>) -> Vec<Dkim> {
    let Some(entry) = f.entry(DKIM.name) else {
        return Vec::new();
    };
    let items: Vec<(&[crate::content::yaml::Entry], Pos, String)> = match &entry.value.value {
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item.as_map() {
                Some(entries) => Some((entries, item.pos, format!("dkim item {}: ", i + 1))),
                None => {
                    f.diags
                        .error(
                            item.pos,
                            format!(
                                "`dkim` item {} must be a mapping, found {}",
                                i + 1,
                                item.kind()
                            ),
                        )
                        .help(DKIM.help);
                    None
                }
            })
            .collect(),
        Value::Null => return Vec::new(),
        _ => match f.mapping(DKIM) {
            Some((entries, pos)) => vec![(entries, pos, "dkim: ".to_owned())],
            None => return Vec::new(),
        },
    };
    let mut keys: Vec<Dkim> = Vec::new();
    for (entries, pos, context) in items {
        let mut d = Fields::new(entries, pos, DKIM_KEYS, &[], &context, f.diags);
        let selector = d.line(SELECTOR, true);
        let domain = d.line(DKIM_DOMAIN, true);
        let key_file = d.line(KEY_FILE, true);
        let algorithm = match d.choice(ALGORITHM, &["ed25519", "rsa"]) {
            Some(choice) if choice.value == "rsa" => DkimAlgorithm::Rsa,
            _ => DkimAlgorithm::Ed25519,
        };
        let (Some(selector), Some(domain), Some(key_file)) = (selector, domain, key_file) else {
            continue;
        };
        if keys
            .iter()
            .any(|k| k.selector == selector.value && k.domain.eq_ignore_ascii_case(&domain.value))
        {
            d.diags
                .error(
                    selector.pos,
                    format!(
                        "two DKIM keys have the selector `{}` of `{}`",
                        selector.value, domain.value
                    ),
                )
                .help("DNS holds one key per selector: give each key a selector of its own");
            continue;
        }
        keys.push(Dkim {
            selector: selector.value,
            domain: domain.value,
            key_file: PathBuf::from(key_file.value),
            key_file_pos: key_file.pos,
            algorithm,
        });
    }
    if !keys.is_empty() && keys.iter().all(|k| k.algorithm == DkimAlgorithm::Ed25519) {
        f.diags
            .warning(
                entry.key_pos,
                "only Ed25519 DKIM keys: several large mailbox providers (Microsoft's and Yahoo's among them) do not verify Ed25519 signatures (RFC 8463), so their readers get mail that counts as unsigned",
            )
            .help("sign with an RSA key too: `briefing dkim keygen --selector NAME` makes both and prints the DNS records");
    }
    keys
}

pub(super) fn send_settings(f: &mut Fields<'_, '_, '_>) -> SendSettings {
    let mut settings = SendSettings {
        rate_per_second: 10.0,
        concurrency: 4,
        retries: 4,
        suppression_file: None,
        due_within_hours: 24,
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
    if let Some(hours) = s.integer_in(DUE_WITHIN, 1, 24 * 366) {
        settings.due_within_hours = u32::try_from(hours.value).unwrap_or(24);
    }
    settings
}
