//! The audience: who reads the newsletter and how they said so.
//!
//! - [`store`] keeps subscribers in an embedded SQLite database, with an append-only history
//!   of every change of status and where it came from (a form, an import, a one-click
//!   unsubscribe...), so a publisher can show when and how consent was given.
//! - [`token`] signs and checks the links mailed to readers: unsubscribe tokens (that never
//!   expire, as RFC 8058 links must keep working) and confirmation tokens (that do).
//! - [`secret`] finds the key those tokens are signed with: an environment variable, or a
//!   random secret `briefing` writes to `.briefing/secret` once.

pub mod address;
pub mod import;
pub mod list;
pub mod secret;
pub mod store;
pub mod token;

use std::fmt;

/// Where a subscriber stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Signed up, has not confirmed yet: not mailed.
    Pending,
    /// Mailed.
    Active,
    /// Asked to stop: never mailed again unless they sign up again.
    Unsubscribed,
    /// Their mail server refused the address for good.
    Bounced,
    /// Reported the newsletter as spam.
    Complained,
}

impl Status {
    /// Every status, in the order `stats` lists them.
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Active,
        Status::Unsubscribed,
        Status::Bounced,
        Status::Complained,
    ];

    /// The name stored in the database and written in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Active => "active",
            Status::Unsubscribed => "unsubscribed",
            Status::Bounced => "bounced",
            Status::Complained => "complained",
        }
    }

    /// The words a status is written in, as stored or as lists from other tools write it
    /// (`subscribed`, `confirmed` and an empty cell mean active; `cleaned` means bounced).
    pub const WORDS: &[(&str, Status)] = &[
        ("", Status::Active),
        ("active", Status::Active),
        ("subscribed", Status::Active),
        ("confirmed", Status::Active),
        ("pending", Status::Pending),
        ("unconfirmed", Status::Pending),
        ("unsubscribed", Status::Unsubscribed),
        ("bounced", Status::Bounced),
        ("cleaned", Status::Bounced),
        ("complained", Status::Complained),
    ];

    /// Reads a status in one of [`Status::WORDS`], whatever its case.
    pub fn parse(text: &str) -> Option<Status> {
        let text = text.trim().to_ascii_lowercase();
        Status::WORDS
            .iter()
            .find(|(word, _)| *word == text)
            .map(|(_, status)| *status)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a change of status came about; kept with every event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The sign-up form of `briefing listen`.
    Form,
    /// `briefing subscribers import`.
    Import,
    /// An RFC 8058 one-click unsubscribe from a mail client.
    OneClick,
    /// A link the reader opened: the confirmation link, or the unsubscribe page's button.
    Link,
    /// `briefing subscribers add` or `remove`.
    Command,
    /// A bounce or complaint report.
    Bounce,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 6] = [
        Source::Form,
        Source::Import,
        Source::OneClick,
        Source::Link,
        Source::Command,
        Source::Bounce,
    ];

    /// The source stored as `text`.
    pub fn parse(text: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::Import => "import",
            Source::OneClick => "one-click",
            Source::Link => "link",
            Source::Command => "command",
            Source::Bounce => "bounce",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
