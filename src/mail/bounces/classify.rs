//! What one message says: a delivery status notification (RFC 3464), a feedback report
//! (RFC 5965 ARF), a bounce in words (the plain text of qmail, Exim, Exchange, Yahoo and
//! others), or not a report; and what in it could prove whose report it is (the VERP
//! addresses it was delivered to, the Message-IDs and unsubscribe links of the original
//! message it quotes). Deciding whether that proof holds is [`super::proof`]'s.
//!
//! MIME, and the header blocks inside the reports, are read by mail-parser.

use chrono::{DateTime, Utc};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use super::words::read_words;
use crate::audience::store::BounceKind;

/// One failure as a report states it: the recipient it names, what happened, the status
/// code (or feedback type), and the server's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The recipient the report names, if it names one.
    pub recipient: Option<String>,
    /// What happened.
    pub kind: BounceKind,
    /// `5.1.1`, or a complaint's feedback type.
    pub code: Option<String>,
    /// The server's words.
    pub words: Option<String>,
}

/// What kind of report a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// A delivery status notification.
    Dsn,
    /// A feedback (spam complaint) report.
    Arf,
    /// A bounce in words, with no machine-readable part: it counts only at a VERP address.
    Words,
}

impl ReportKind {
    /// The word the store keeps for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Dsn => "dsn",
            ReportKind::Arf => "arf",
            ReportKind::Words => "words",
        }
    }
}

/// A report, with everything in it that could prove whose it is.
#[derive(Debug, Clone)]
pub struct Report {
    /// Its kind.
    pub kind: ReportKind,
    /// The failures it names (none for a bounce in words, whose reader only its VERP
    /// address can say).
    pub failures: Vec<Named>,
    /// A bounce in words read as a failure: its kind, status code and words.
    pub words: Option<Named>,
    /// The VERP tokens of every address it was delivered to, and of the original's return
    /// path.
    pub verp: Vec<String>,
    /// Message-IDs of the original message it quotes (headers or text).
    pub message_ids: Vec<String>,
    /// Unsubscribe tokens of the original message it quotes (64 hex digits, wherever the
    /// link template put them), and opaque unsubscribe references (`unsubscribe?u=...`).
    pub unsubscribe: Vec<String>,
    /// The report's own `Date:`, when it has one (it is the sender's word, kept as a note).
    pub date: Option<DateTime<Utc>>,
}

/// What one message is.
#[derive(Debug, Clone)]
pub enum Classified {
    /// A report of failures, or a complaint.
    Report(Box<Report>),
    /// Not a bounce or complaint (a reply, a delivery confirmation, an auto-reply, spam).
    NotAReport,
}

/// The SHA-256, in hex, of the message's body: with the proof it rests on, a report's key in
/// the store. Headers a delivery adds (`Received:`, `Delivered-To:`) differ between two
/// deliveries of one report; its body does not, and nobody without the report can make it.
pub fn body_digest(raw: &[u8]) -> String {
    let body_at = find(raw, b"\r\n\r\n")
        .map(|at| at + 4)
        .or_else(|| find(raw, b"\n\n").map(|at| at + 2))
        .unwrap_or(0);
    hex(&Sha256::digest(&raw[body_at..]))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Classifies one message. `bounce_user` is the local part of `audience.bounce_address`
/// (`bounces`), to find VERP tokens.
///
/// # Errors
///
/// A sentence saying why the bytes are not a message.
pub fn classify(raw: &[u8], bounce_user: Option<&str>) -> Result<Classified, String> {
    classify_at(raw, bounce_user, 0)
}

/// [`classify`], `depth` levels inside forwarded messages.
fn classify_at(raw: &[u8], bounce_user: Option<&str>, depth: u8) -> Result<Classified, String> {
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.parts.is_empty() && !m.headers().is_empty())
        .ok_or("it is not an email message (no headers could be read)")?;
    let report_type = message
        .content_type()
        .filter(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
        .and_then(|ct| ct.attribute("report-type"))
        .map(str::to_ascii_lowercase);
    let verp = bounce_user.map_or_else(Vec::new, |user| verp_tokens(&message, user));
    let at_verp = !verp.is_empty();
    let (kind, failures, words) = match report_type.as_deref() {
        Some("delivery-status" | "global-delivery-status") => match delivery_status(&message) {
            Ok(Some(failures)) => (ReportKind::Dsn, failures, None),
            // Success, or only a delay without failure.
            Ok(None) => return Ok(Classified::NotAReport),
            // A report cut short or written loosely still says, at a VERP address, that the
            // message came back: its words say how.
            Err(_) if at_verp => (ReportKind::Words, Vec::new(), Some(read_words(&message))),
            Err(why) => return Err(why),
        },
        Some("feedback-report") => match feedback_report(&message, bounce_user)? {
            Some(failure) => (ReportKind::Arf, vec![failure], None),
            // `not-spam`.
            None => return Ok(Classified::NotAReport),
        },
        // A mail server that deleted the message unread (a Sieve `reject`, as Dovecot
        // sends it) at a VERP address: the message came back.
        Some("disposition-notification") if at_verp && deleted_unread(&message) => {
            (ReportKind::Words, Vec::new(), Some(read_words(&message)))
        }
        // A read receipt, or another kind of report.
        Some(_) => return Ok(Classified::NotAReport),
        // A report forwarded as an attachment (by a mailbox that forwards to another, or by
        // hand): the report inside is the one to read, with the addresses this one reached.
        None if let Some(inner) = (depth == 0).then(|| forwarded_report(&message)).flatten() => {
            return classify_at(inner, bounce_user, depth + 1).map(|inside| match inside {
                Classified::Report(mut report) => {
                    for token in verp {
                        if !report.verp.contains(&token) {
                            report.verp.push(token);
                        }
                    }
                    Classified::Report(report)
                }
                Classified::NotAReport => Classified::NotAReport,
            });
        }
        // An out-of-office answer, or a reader's reply.
        None if auto_reply(&message) || !(at_verp || from_mail_system(&message)) => {
            return Ok(Classified::NotAReport);
        }
        // At a VERP address a message is a bounce however it is written, and so is a mail
        // system's message at the plain address (which counts only if it quotes our original):
        // its words say how bad (a message with none counts as temporary, so one unclear
        // message never removes a reader).
        None => (ReportKind::Words, Vec::new(), Some(read_words(&message))),
    };
    let (message_ids, unsubscribe) = quoted_original(&message, raw);
    Ok(Classified::Report(Box::new(Report {
        kind,
        failures,
        words,
        verp,
        message_ids,
        unsubscribe,
        date: message
            .date()
            .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
    })))
}

/// The raw bytes of a report attached whole (`message/rfc822` of type `multipart/report`).
fn forwarded_report<'a>(message: &'a Message<'a>) -> Option<&'a [u8]> {
    message.parts.iter().find_map(|part| match &part.body {
        PartType::Message(inner)
            if inner.content_type().is_some_and(|ct| {
                ct.ctype().eq_ignore_ascii_case("multipart")
                    && ct
                        .subtype()
                        .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            }) =>
        {
            Some(inner.raw_message())
        }
        _ => None,
    })
}

/// Whether a disposition notification says the message was deleted, denied or failed
/// rather than displayed.
fn deleted_unread(message: &Message<'_>) -> bool {
    report_part(message, &["disposition-notification"])
        .and_then(|body| headers_of(String::from_utf8_lossy(body).trim().as_bytes()))
        .and_then(|fields| field(&fields, "Disposition"))
        .and_then(|d| {
            d.rsplit_once(';')
                .map(|(_, t)| t.trim().to_ascii_lowercase())
        })
        .is_some_and(|t| {
            ["deleted", "denied", "failed"]
                .iter()
                .any(|w| t.starts_with(w))
        })
}

/// Whether a message is a person's automatic answer (out of office), not a mail system's.
/// Mail systems mark bounces `Auto-Submitted: auto-replied` too (RFC 3834): a message from
/// one (`MAILER-DAEMON`, `postmaster`, a null return path) is never an out-of-office.
fn auto_reply(message: &Message<'_>) -> bool {
    if from_mail_system(message) {
        return false;
    }
    message
        .header_raw("Auto-Submitted")
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("auto-replied"))
        || message.header_raw("X-Autoreply").is_some()
        || message.subject().is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            s.contains("out of office") || s.contains("auto-reply") || s.contains("autoreply")
        })
}

/// Whether a message comes from a mail system rather than a person: a null or daemon return
/// path, or a sender such as `MAILER-DAEMON`, `postmaster` or "Mail Delivery System".
fn from_mail_system(message: &Message<'_>) -> bool {
    let return_path = message
        .header_raw("Return-Path")
        .map(|v| v.trim().to_ascii_lowercase());
    if return_path
        .as_deref()
        .is_some_and(|v| v == "<>" || v.is_empty() || v.contains("mailer-daemon"))
    {
        return true;
    }
    message
        .from()
        .and_then(|from| from.first())
        .is_some_and(|sender| {
            let address = sender.address().unwrap_or_default().to_ascii_lowercase();
            let name = sender.name().unwrap_or_default().to_ascii_lowercase();
            let local = address.split('@').next().unwrap_or_default();
            [
                "mailer-daemon",
                "postmaster",
                "mail-daemon",
                "maildaemon",
                "mailerdaemon",
            ]
            .contains(&local)
                || [
                    "mail delivery",
                    "delivery subsystem",
                    "mail system",
                    "postmaster",
                ]
                .iter()
                .any(|w| name.contains(w))
        })
}

/// The headers a delivering server (or a forwarder) writes the envelope recipient into. Every
/// occurrence counts: a report may carry `Delivered-To` lines of its own, and ours is added
/// on top of them.
const ENVELOPE_HEADERS: [&str; 6] = [
    "Delivered-To",
    "X-Original-To",
    "Envelope-To",
    "X-Envelope-To",
    "X-Delivered-To",
    "To",
];

/// The VERP tokens (`bounces+<token>@`) of every address the message was delivered to, and of
/// the return path of the original it quotes (a complaint whose provider redacted the
/// recipient keeps the return path we sent with).
fn verp_tokens(message: &Message<'_>, user: &str) -> Vec<String> {
    let mut values: Vec<String> = message
        .headers_raw()
        .filter(|(name, _)| {
            ENVELOPE_HEADERS
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
        })
        .map(|(_, value)| value.to_owned())
        .collect();
    for part in &message.parts {
        if let PartType::Message(inner) = &part.body {
            values.extend(
                inner
                    .headers_raw()
                    .filter(|(name, _)| name.eq_ignore_ascii_case("Return-Path"))
                    .map(|(_, v)| v.to_owned()),
            );
        }
        if is_headers_part(part)
            && let Some(headers) = headers_of(part.contents())
        {
            values.extend(
                headers
                    .headers_raw()
                    .filter(|(name, _)| name.eq_ignore_ascii_case("Return-Path"))
                    .map(|(_, v)| v.to_owned()),
            );
        }
    }
    let prefix = format!("{}+", user.to_ascii_lowercase());
    let mut tokens = Vec::new();
    for value in values {
        let lower = value.to_ascii_lowercase();
        let mut from = 0;
        while let Some(found) = lower[from..].find(&prefix) {
            let start = from + found + prefix.len();
            let token: String = lower[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            if lower[start + token.len()..].starts_with('@') && !tokens.contains(&token) {
                tokens.push(token.clone());
            }
            from = start + token.len();
        }
    }
    tokens
}

fn is_headers_part(part: &mail_parser::MessagePart<'_>) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers"))
    })
}

/// A block of `Name: value` fields (a DSN's or ARF report's, or a message's headers), read
/// by mail-parser.
fn headers_of(block: &[u8]) -> Option<Message<'static>> {
    let mut text = block.to_vec();
    text.extend_from_slice(b"\r\n\r\n");
    MessageParser::default()
        .parse(&text)
        .map(Message::into_owned)
}

fn field(block: &Message<'_>, name: &str) -> Option<String> {
    block
        .header_raw(name)
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|v| !v.is_empty())
}

/// `rfc822; Ann@Example.org` → `Ann@Example.org`.
fn address_field(value: &str) -> String {
    let address = value.split_once(';').map_or(value, |(_, a)| a).trim();
    address
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

fn report_part<'a>(message: &'a Message<'a>, subtypes: &[&str]) -> Option<&'a [u8]> {
    message.parts.iter().find_map(|part| {
        let ct = part.content_type()?;
        (ct.ctype().eq_ignore_ascii_case("message")
            && ct
                .subtype()
                .is_some_and(|s| subtypes.iter().any(|t| s.eq_ignore_ascii_case(t))))
        .then(|| part.contents())
    })
}

/// The failures of a delivery status notification; `None` when it reports none (success).
fn delivery_status(message: &Message<'_>) -> Result<Option<Vec<Named>>, String> {
    let body = report_part(message, &["delivery-status", "global-delivery-status"])
        .ok_or("a delivery report without its `message/delivery-status` part (cut short?)")?;
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    let mut failures = Vec::new();
    let mut recipients = 0;
    // The first block is about the message; each further one about one recipient.
    for block in text.split("\n\n").skip(1) {
        let Some(fields) = headers_of(block.trim().as_bytes()) else {
            continue;
        };
        // RFC 3464 section 2.3.1: the Original-Recipient is the address as the sender gave
        // it; Final-Recipient may be a mailbox inside the receiving system.
        let Some(recipient) = field(&fields, "Original-Recipient")
            .or_else(|| field(&fields, "X-Actual-Recipient"))
            .or_else(|| field(&fields, "Final-Recipient"))
            .map(|v| address_field(&v))
        else {
            continue;
        };
        recipients += 1;
        let action = field(&fields, "Action")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let status = field(&fields, "Status")
            .map(|s| s.split_whitespace().next().unwrap_or_default().to_owned());
        let words = field(&fields, "Diagnostic-Code").map(|d| {
            d.split_once(';')
                .map_or(d.clone(), |(_, t)| t.trim().to_owned())
        });
        let kind = match (action.as_str(), status.as_deref().map(|s| s.chars().next())) {
            ("delivered" | "relayed" | "expanded", _) => continue,
            (_, Some(Some('5'))) => BounceKind::Hard,
            (_, Some(Some('4'))) => BounceKind::Soft,
            ("failed", _) => BounceKind::Hard,
            ("delayed", _) => BounceKind::Soft,
            _ => continue,
        };
        failures.push(Named {
            recipient: Some(recipient),
            kind,
            code: status,
            words,
        });
    }
    if recipients == 0 {
        return Err("a delivery report that names no recipient (cut short?)".into());
    }
    Ok((!failures.is_empty()).then_some(failures))
}

/// The complaint of a feedback report; `None` for a report that says `not-spam`.
fn feedback_report(
    message: &Message<'_>,
    bounce_user: Option<&str>,
) -> Result<Option<Named>, String> {
    let body = report_part(message, &["feedback-report"])
        .ok_or("a feedback report without its `message/feedback-report` part (cut short?)")?;
    let fields = headers_of(String::from_utf8_lossy(body).trim().as_bytes())
        .ok_or("its `message/feedback-report` part cannot be read")?;
    let kind = field(&fields, "Feedback-Type")
        .unwrap_or_else(|| "abuse".to_owned())
        .to_ascii_lowercase();
    if kind == "not-spam" {
        return Ok(None);
    }
    // The recipient the report names: its Original-Rcpt-To, else the To of the original
    // message (some providers redact both).
    let original_to = message.parts.iter().find_map(|part| match &part.body {
        PartType::Message(inner) => inner
            .to()
            .and_then(|to| to.first())
            .and_then(|a| a.address())
            .map(str::to_owned),
        _ if is_headers_part(part) => headers_of(part.contents()).and_then(|h| {
            h.to()
                .and_then(|to| to.first())
                .and_then(|a| a.address())
                .map(str::to_owned)
        }),
        _ => None,
    });
    let recipient = field(&fields, "Original-Rcpt-To")
        .map(|v| address_field(&v))
        .or(original_to)
        .filter(|a| a.contains('@') && !a.contains("redacted"))
        // Our own VERP address is no recipient.
        .filter(|a| {
            bounce_user.is_none_or(|user| {
                !a.to_ascii_lowercase()
                    .starts_with(&format!("{}+", user.to_ascii_lowercase()))
            })
        });
    Ok(Some(Named {
        recipient,
        kind: BounceKind::Complaint,
        code: Some(kind),
        words: None,
    }))
}

/// The Message-IDs and unsubscribe links of the original message a report quotes: as an
/// attached message, as attached headers, or pasted into its text (qmail and others copy the
/// original below a line). Only ours can prove anything, and [`super::proof`] tells ours.
fn quoted_original(message: &Message<'_>, raw: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut ids = Vec::new();
    let mut links = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    for part in &message.parts {
        match &part.body {
            PartType::Message(inner) => {
                ids.extend(inner.message_id().map(|id| format!("<{id}>")));
                texts.extend(inner.header_raw("List-Unsubscribe").map(str::to_owned));
                if let Some(text) = inner.body_text(0) {
                    texts.push(text.into_owned());
                }
            }
            _ if is_headers_part(part) => {
                if let Some(headers) = headers_of(part.contents()) {
                    ids.extend(headers.message_id().map(|id| format!("<{id}>")));
                    texts.extend(headers.header_raw("List-Unsubscribe").map(str::to_owned));
                }
            }
            _ => {}
        }
    }
    // The report's own text, and the raw bytes of any part a parser would skip.
    texts.push(String::from_utf8_lossy(raw).into_owned());
    for text in &texts {
        ids.extend(message_ids_in(text));
        links.extend(unsubscribe_tokens_in(text));
    }
    ids.sort();
    ids.dedup();
    links.sort();
    links.dedup();
    (ids, links)
}

/// Every `<...@...>` in `text` that has the shape of a Message-ID of ours (a week, then hex).
fn message_ids_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find('<') {
        let start = from + open;
        let Some(close) = text[start..].find('>') else {
            break;
        };
        let candidate = &text[start..=start + close];
        let inner = &candidate[1..candidate.len() - 1];
        if let Some((local, _)) = inner.split_once('@')
            && local.len() >= 24
            && local.len() <= 80
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && local.contains("-w")
        {
            found.push(candidate.to_owned());
        }
        from = start + 1;
    }
    found
}

/// Every run of exactly 64 hex digits in `text`: an unsubscribe token has that shape, and
/// the link template (`audience.url`'s, or `unsubscribe_url`) may put it in a query or a
/// path. Only ours prove anything.
fn unsubscribe_tokens_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_hexdigit() {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && bytes[at].is_ascii_hexdigit() {
            at += 1;
        }
        if at - start == 64 {
            found.push(text[start..at].to_ascii_lowercase());
        }
    }
    found.extend(unsubscribe_refs_in(text));
    found
}

/// Every opaque unsubscribe reference (`unsubscribe?u=<base64url>`, as links made with
/// `audience.url` carry) in `text`; kept as written, since only opening one proves anything.
fn unsubscribe_refs_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("unsubscribe?u=") {
        let start = at + "unsubscribe?u=".len();
        let end = text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map_or(text.len(), |n| start + n);
        if end - start >= 40 {
            found.push(text[start..end].to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(raw: &str) -> Named {
        read_words(&MessageParser::default().parse(raw.as_bytes()).unwrap())
    }

    // A bounce that pastes the original below its text carries the original's unsubscribe
    // link, whose opaque reference opens to that reader: proof of whose bounce it is.
    #[test]
    fn a_pasted_unsubscribe_reference_proves_its_reader_and_nobody_else() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let list = "news.example.org";
        let reference = crate::audience::token::unsubscribe_ref(secret, "ann@example.org", list);
        let raw = format!(
            "From: MAILER-DAEMON@mx.example.net\r\nTo: bounces@example.org\r\n\
             Subject: failure notice\r\n\r\nSorry, I couldn't deliver it. 550 5.1.1 no such user\r\n\
             --- Below this line is a copy of the message.\r\n\r\nUnsubscribe: \
             https://news.example.org/list/unsubscribe?u={reference}\r\n"
        );
        let Ok(Classified::Report(report)) = classify(raw.as_bytes(), Some("bounces")) else {
            panic!("not read as a report");
        };
        assert!(
            report.unsubscribe.contains(&reference),
            "{:?}",
            report.unsubscribe
        );
        let known = ["bob@example.org".to_owned(), "Ann@Example.org".to_owned()];
        let verifier = super::super::proof::Verifier::new(secret, list, &known);
        let (email, _) = verifier.prove(&report).unwrap();
        assert_eq!(email, "Ann@Example.org");
        // Not on this list: it proves nothing.
        let others = ["bob@example.org".to_owned()];
        let verifier = super::super::proof::Verifier::new(secret, list, &others);
        assert!(verifier.prove(&report).is_err());
    }

    // The issue a report is about comes from the same proof as whose it is: a quoted
    // Message-ID of ours names its week; one with its check changed names nothing.
    #[test]
    fn a_quoted_message_id_names_the_issue_of_the_report() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let list = "news.example.org";
        let id = crate::audience::token::message_id(
            secret,
            ("ann@example.org", list),
            "2026-W25",
            None,
            "example.org",
        );
        let report = |id: &str| {
            let raw = format!(
                "From: MAILER-DAEMON@mx.example.net\r\nTo: bounces@example.org\r\n\
                 Subject: failure notice\r\n\r\n550 5.1.1 no such user\r\n\
                 --- Below this line is a copy of the message.\r\n\r\nMessage-ID: {id}\r\n"
            );
            let Ok(Classified::Report(report)) = classify(raw.as_bytes(), Some("bounces")) else {
                panic!("not read as a report");
            };
            report
        };
        let known = ["ann@example.org".to_owned()];
        let verifier = super::super::proof::Verifier::new(secret, list, &known);
        assert_eq!(verifier.issue(&report(&id)).as_deref(), Some("2026-W25"));
        let forged = id.replace("2026-w25", "2026-w24");
        assert_eq!(verifier.issue(&report(&forged)), None);
    }

    #[test]
    fn words_that_say_the_server_retries_are_temporary_whatever_else_they_say() {
        let retry = words(
            "From: MAILER-DAEMON@x\nSubject: Delayed Mail\n\nYour message could not be \
             delivered yet. Delivery attempts will continue to be made for 5 days.\n",
        );
        assert_eq!(retry.kind, BounceKind::Soft);
        let gave_up = words(
            "From: MAILER-DAEMON@x\nSubject: failure notice\n\nSorry, I wasn't able to \
             establish an SMTP connection. (#4.4.1)\nI'm not going to try again; this message \
             has been in the queue too long.\n",
        );
        assert_eq!(gave_up.kind, BounceKind::Hard, "{gave_up:?}");
        let unclear = words("From: MAILER-DAEMON@x\nSubject: Notice\n\nSomething happened.\n");
        assert_eq!(unclear.kind, BounceKind::Soft);
    }

    #[test]
    fn an_unsubscribe_token_is_a_run_of_exactly_64_hex_digits() {
        let token = "ab".repeat(32);
        let text = format!("u?token={token}&x <{token}0> /u/{}/", token.to_uppercase());
        assert_eq!(unsubscribe_tokens_in(&text), [token.clone(), token]);
    }

    #[test]
    fn a_mail_systems_auto_reply_is_a_bounce_and_a_persons_is_not() {
        fn parse(raw: &str) -> Message<'_> {
            MessageParser::default().parse(raw.as_bytes()).unwrap()
        }
        let daemon = parse(
            "From: Mail Delivery System <MAILER-DAEMON@x.example>\nAuto-Submitted: auto-replied\n\
             Subject: Undeliverable\n\nNo such user\n",
        );
        assert!(!auto_reply(&daemon));
        let person = parse(
            "From: Kate <kate@example.org>\nAuto-Submitted: auto-replied\nSubject: Away\n\nBack \
             on Monday\n",
        );
        assert!(auto_reply(&person));
    }
}
