//! Whose report a report is, and only with proof.
//!
//! The bounce address is public (it is every message's envelope sender), so a report says
//! nothing by naming a recipient: anyone can write `Final-Recipient: rfc822; victim@…` and
//! mail it. A report counts for a subscriber only when something in it only this newsletter
//! could have made for that subscriber:
//!
//! 1. it was delivered to that subscriber's VERP address (`bounces+<week>.<tag>.<check>@`),
//!    whose check is signed with the newsletter's secret; the address a relay bounces to is
//!    the one authority (a recipient the report names otherwise is shown, and changes nobody);
//! 2. or it quotes the original message's Message-ID, which is keyed the same way and names
//!    its reader (Message-IDs of earlier versions, the first 16 hex digits of the reader's
//!    unsubscribe token, still count);
//! 3. or it quotes the original's unsubscribe link, whose token is that reader's.
//!
//! Anything else is unverified: it changes nobody.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::audience::address::comparable;
use crate::audience::token;

use super::classify::Report;

/// What proved a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// It arrived at the subscriber's VERP address.
    Verp,
    /// It quotes the Message-ID of the subscriber's copy.
    MessageId,
    /// It quotes the subscriber's unsubscribe link.
    UnsubscribeLink,
}

impl Evidence {
    /// In words, for the summary and the history.
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Verp => "its VERP address",
            Evidence::MessageId => "the original's Message-ID",
            Evidence::UnsubscribeLink => "the original's unsubscribe link",
        }
    }
}

/// Tells whose report a report is, for the subscribers of one list.
pub struct Verifier<'a> {
    secret: &'a [u8],
    list_id: &'a str,
    /// Each subscriber's VERP tag (which Message-IDs carry too), to the address.
    by_tag: HashMap<String, String>,
    /// Each subscriber as mail systems compare addresses, to the address as the list has it.
    on_list: HashMap<String, String>,
    /// The Message-ID tags of earlier versions (a token's start), made the first time a
    /// report quotes one.
    by_legacy_tag: OnceLock<HashMap<String, String>>,
    /// Each subscriber's unsubscribe token, made the first time a report quotes a token.
    by_token: OnceLock<HashMap<String, String>>,
    known: &'a [String],
}

impl<'a> Verifier<'a> {
    /// A verifier for the subscribers `known` of `list_id`, under `secret`.
    pub fn new(secret: &'a [u8], list_id: &'a str, known: &'a [String]) -> Verifier<'a> {
        Verifier {
            secret,
            list_id,
            by_tag: known
                .iter()
                .map(|email| (token::verp_tag(secret, email, list_id), email.clone()))
                .collect(),
            on_list: known.iter().map(|e| (comparable(e), e.clone())).collect(),
            by_legacy_tag: OnceLock::new(),
            by_token: OnceLock::new(),
            known,
        }
    }

    /// The address as the list has it, when `email` is on it.
    pub fn on_list(&self, email: &str) -> Option<&str> {
        self.on_list.get(&comparable(email)).map(String::as_str)
    }

    /// The issue `report` is about (`2026-W25`), from the same proofs: the week of a VERP
    /// address or a quoted Message-ID of ours.
    pub fn issue(&self, report: &Report) -> Option<String> {
        let from_verp = report
            .verp
            .iter()
            .find_map(|verp| token::check_verp(self.secret, verp).map(|(week, _)| week));
        let from_id = || {
            report
                .message_ids
                .iter()
                .find_map(|id| token::check_message_id(self.secret, self.list_id, id))
                .map(|(week, _)| week)
        };
        let week = from_verp.or_else(from_id)?;
        // `2026w25` (VERP) or `2026-w25` (Message-ID), as `2026-W25`.
        let compact: String = week
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let (year, number) = compact.split_once('w')?;
        crate::content::issue::IssueId::parse(&format!("{year}-W{number}")).map(|id| id.to_string())
    }

    /// Whose report `report` is, and by what; or why it is unverified.
    ///
    /// # Errors
    ///
    /// Why nothing in it proves whose it is.
    pub fn prove(&self, report: &Report) -> Result<(String, Evidence), String> {
        let mut forged = None;
        let mut stranger = None;
        for verp in &report.verp {
            match token::check_verp(self.secret, verp) {
                Some((_, tag)) => match self.by_tag.get(&tag) {
                    Some(email) => return Ok((email.clone(), Evidence::Verp)),
                    None => stranger = Some(verp.clone()),
                },
                None => forged = Some(verp.clone()),
            }
        }
        for id in &report.message_ids {
            if let Some(email) = self.message_id(id) {
                return Ok((email, Evidence::MessageId));
            }
        }
        if !report.unsubscribe.is_empty() {
            let by_token = self.by_token.get_or_init(|| {
                self.known
                    .iter()
                    .map(|email| {
                        (
                            token::unsubscribe(self.secret, email, self.list_id),
                            email.clone(),
                        )
                    })
                    .collect()
            });
            if let Some(email) = report.unsubscribe.iter().find_map(|t| by_token.get(t)) {
                return Ok((email.clone(), Evidence::UnsubscribeLink));
            }
            // A link's opaque reference opens to its reader's address.
            let opened = report.unsubscribe.iter().find_map(|reference| {
                let email = token::open_unsubscribe_ref(self.secret, self.list_id, reference)?;
                self.on_list(&email).map(str::to_owned)
            });
            if let Some(email) = opened {
                return Ok((email, Evidence::UnsubscribeLink));
            }
        }
        Err(match (forged, stranger) {
            (Some(token), _) => format!(
                "its VERP address `+{token}` has a bad signature: not made by this newsletter"
            ),
            (None, Some(token)) => format!(
                "its VERP address `+{token}` is this newsletter's, for an address no longer on \
                 the list"
            ),
            (None, None) => {
                "no valid VERP address and no original message of ours: anyone could have \
                 written it"
                    .to_owned()
            }
        })
    }

    /// The subscriber a Message-ID of ours was made for.
    fn message_id(&self, id: &str) -> Option<String> {
        if let Some((_, tag)) = token::check_message_id(self.secret, self.list_id, id) {
            return self.by_tag.get(&tag).cloned();
        }
        let tag = token::legacy_message_id_tag(id)?;
        self.by_legacy_tag
            .get_or_init(|| {
                self.known
                    .iter()
                    .map(|email| {
                        let token = token::unsubscribe(self.secret, email, self.list_id);
                        (token[..16].to_owned(), email.clone())
                    })
                    .collect()
            })
            .get(&tag)
            .cloned()
    }
}
