//! `briefing bounces ingest`: delivery failures and spam complaints flow back into the list.
//!
//! Reads `.eml` files, mbox files and Maildirs, and decides for each message, in this order
//! of evidence: a delivery status notification (RFC 3464, `multipart/report;
//! report-type=delivery-status`), a feedback report (RFC 5965 ARF,
//! `report-type=feedback-report`), the VERP return path it was sent to (`bounces+<token>@`,
//! see [`crate::audience::token::verp`]); otherwise it is not a report and is left alone.
//! MIME, and the header blocks inside the reports, are read by mail-parser.
//!
//! Every report is recorded once (by its Message-ID, or a hash of it without one), so
//! ingesting the same mailbox twice changes nothing the second time.

use std::collections::HashMap;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use mail_parser::{Message, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

use crate::audience::address::comparable;
use crate::audience::store::{BounceKind, Finding, Recorded, ReportOptions, Store};
use crate::audience::{Status, token};
use crate::error::{Error, Result};

/// Messages larger than this are not read: no bounce or complaint is anywhere near it, and a
/// mailbox can hold anything.
pub const MAX_MESSAGE: u64 = 10 * 1024 * 1024;

/// One message to look at.
#[derive(Debug)]
pub struct Item {
    /// Where it came from, for messages: a file, or `file (message 3)` in an mbox.
    pub name: String,
    /// Its bytes, or why they could not be read.
    pub raw: std::result::Result<Vec<u8>, String>,
    /// Its file in a Maildir, to be marked seen once processed.
    pub maildir_file: Option<PathBuf>,
}

/// The messages in `paths`: Maildirs (folders with `cur/` and `new/`), mbox files (that
/// start with `From `) and single messages.
///
/// # Errors
///
/// [`Error::ReadFile`] for a path that does not exist or a folder that is no Maildir.
pub fn read_sources(paths: &[PathBuf]) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    for path in paths {
        let metadata = fs::metadata(path).map_err(|source| Error::ReadFile {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            if !path.join("cur").is_dir() && !path.join("new").is_dir() {
                return Err(Error::ReadFile {
                    path: path.clone(),
                    source: std::io::Error::other(
                        "a folder must be a Maildir (with `cur/` and `new/`); name single \
                         messages or mbox files as files",
                    ),
                });
            }
            for sub in ["new", "cur"] {
                let mut files: Vec<PathBuf> = fs::read_dir(path.join(sub))
                    .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
                    .unwrap_or_default();
                files.sort();
                for file in files {
                    // Dot files are a delivery in progress (or not mail).
                    let hidden = file
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
                    if file.is_file() && !hidden {
                        items.push(Item {
                            name: file.display().to_string(),
                            raw: read_capped(&file),
                            maildir_file: Some(file),
                        });
                    }
                }
            }
        } else if is_mbox(path) {
            read_mbox(path, &mut items);
        } else {
            items.push(Item {
                name: path.display().to_string(),
                raw: read_capped(path),
                maildir_file: None,
            });
        }
    }
    Ok(items)
}

fn read_capped(path: &Path) -> std::result::Result<Vec<u8>, String> {
    let file = fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut raw = Vec::new();
    file.take(MAX_MESSAGE + 1)
        .read_to_end(&mut raw)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if raw.len() as u64 > MAX_MESSAGE {
        return Err(format!(
            "it is over {} MB, far larger than any bounce or complaint; left alone",
            MAX_MESSAGE / 1024 / 1024
        ));
    }
    Ok(raw)
}

fn is_mbox(path: &Path) -> bool {
    let mut start = [0u8; 5];
    fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut start))
        .is_ok()
        && &start == b"From "
}

fn read_mbox(path: &Path, items: &mut Vec<Item>) {
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) => {
            items.push(Item {
                name: path.display().to_string(),
                raw: Err(format!("cannot read it: {e}")),
                maildir_file: None,
            });
            return;
        }
    };
    let reader = std::io::BufReader::new(file);
    for (i, message) in mail_parser::mailbox::mbox::MessageIterator::new(reader).enumerate() {
        let name = format!("{} (message {})", path.display(), i + 1);
        let raw = match message {
            Ok(message) if message.contents().len() as u64 > MAX_MESSAGE => Err(format!(
                "it is over {} MB, far larger than any bounce or complaint; left alone",
                MAX_MESSAGE / 1024 / 1024
            )),
            Ok(message) => Ok(message.contents().to_vec()),
            Err(_) => Err("the mbox is damaged here".to_owned()),
        };
        items.push(Item {
            name,
            raw,
            maildir_file: None,
        });
    }
}

/// One failure as a report states it: the recipient (when the report names one), what
/// happened, the status code or feedback type, and the server's words.
pub type Reported = (Option<String>, BounceKind, Option<String>, Option<String>);

/// What a message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A report of failures (or a complaint) for these recipients. Recipients the report
    /// does not name are `None`: the VERP token of the message is their evidence.
    Report {
        /// `dsn`, `arf` or `verp`.
        kind: &'static str,
        /// The failures.
        failures: Vec<Reported>,
    },
    /// Not a bounce or complaint (a reply, a delivery confirmation, an auto-reply, spam).
    NotAReport(String),
}

/// A classified message: what it is, its id, date and VERP token.
#[derive(Debug, Clone)]
pub struct Classified {
    /// The verdict.
    pub verdict: Verdict,
    /// Message-ID, or `sha256:<hex>` of the bytes without one.
    pub id: String,
    /// The report's date.
    pub date: Option<DateTime<Utc>>,
    /// The VERP token the message was addressed to, when there is one.
    pub verp: Option<String>,
}

/// Classifies one message. `bounce_user` is the local part of `audience.bounce_address`
/// (`bounces`), to find VERP tokens.
///
/// # Errors
///
/// A sentence saying why the bytes are not a message.
pub fn classify(raw: &[u8], bounce_user: Option<&str>) -> std::result::Result<Classified, String> {
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.parts.is_empty() && !m.headers().is_empty())
        .ok_or("it is not an email message (no headers could be read)")?;
    let id = message.message_id().map_or_else(
        || {
            let digest = Sha256::digest(raw);
            format!(
                "sha256:{}",
                digest
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            )
        },
        |id| format!("<{id}>"),
    );
    let date = message
        .date()
        .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0));
    let verp = bounce_user.and_then(|user| find_verp(&message, user));
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
    let verdict = match report_type.as_deref() {
        Some("delivery-status" | "global-delivery-status") => delivery_status(&message)?,
        Some("feedback-report") => feedback_report(&message, bounce_user)?,
        Some(other) => Verdict::NotAReport(format!(
            "a report of another kind (`report-type={other}`), neither a delivery status nor a feedback report"
        )),
        None if verp.is_some() && !auto_reply(&message) => Verdict::Report {
            kind: "verp",
            // Without a status, the message only says delivery failed: counted as soft, so
            // one unclear message never removes a reader.
            failures: vec![(
                None,
                BounceKind::Soft,
                None,
                message.subject().map(str::to_owned),
            )],
        },
        None if verp.is_some() => {
            Verdict::NotAReport("an automatic reply (out of office)".to_owned())
        }
        None => Verdict::NotAReport("neither a delivery report nor a complaint".to_owned()),
    };
    Ok(Classified {
        verdict,
        id,
        date,
        verp,
    })
}

fn auto_reply(message: &Message<'_>) -> bool {
    message
        .header_raw("Auto-Submitted")
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("auto-replied"))
        || message.header_raw("X-Autoreply").is_some()
        || message
            .subject()
            .is_some_and(|s| s.to_ascii_lowercase().contains("out of office"))
}

/// The VERP token in the headers a delivering server puts the envelope recipient in (or,
/// in the original message inside a report, its Return-Path).
fn find_verp(message: &Message<'_>, user: &str) -> Option<String> {
    let prefix = format!("{}+", user.to_ascii_lowercase());
    let mut candidates: Vec<String> = [
        "Delivered-To",
        "X-Original-To",
        "Envelope-To",
        "X-Envelope-To",
        "To",
        "Return-Path",
    ]
    .iter()
    .filter_map(|name| message.header_raw(*name))
    .map(str::to_owned)
    .collect();
    // The original message inside a report carries the return path we sent it with.
    for part in &message.parts {
        if let mail_parser::PartType::Message(inner) = &part.body {
            candidates.extend(inner.header_raw("Return-Path").map(str::to_owned));
        }
        if part.content_type().is_some_and(|ct| {
            ct.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers"))
        }) && let Some(headers) = headers_of(part.contents())
        {
            candidates.extend(headers.header_raw("Return-Path").map(str::to_owned));
        }
    }
    candidates.iter().find_map(|value| {
        let lower = value.to_ascii_lowercase();
        let start = lower.find(&prefix)? + prefix.len();
        let token: String = lower[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        lower[start + token.len()..]
            .starts_with('@')
            .then_some(token)
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

fn delivery_status(message: &Message<'_>) -> std::result::Result<Verdict, String> {
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
        let Some(recipient) = field(&fields, "Final-Recipient")
            .or_else(|| field(&fields, "Original-Recipient"))
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
        let diagnostic = field(&fields, "Diagnostic-Code").map(|d| {
            d.split_once(';')
                .map_or(d.clone(), |(_, t)| t.trim().to_owned())
        });
        let failure = match (action.as_str(), status.as_deref().map(|s| s.chars().next())) {
            ("delivered" | "relayed" | "expanded", _) => continue,
            (_, Some(Some('5'))) => BounceKind::Hard,
            (_, Some(Some('4'))) => BounceKind::Soft,
            ("failed", _) => BounceKind::Hard,
            ("delayed", _) => BounceKind::Soft,
            _ => continue,
        };
        failures.push((Some(recipient), failure, status, diagnostic));
    }
    if recipients == 0 {
        return Err("a delivery report that names no recipient (cut short?)".into());
    }
    if failures.is_empty() {
        return Ok(Verdict::NotAReport(
            "a delivery report of success or delay with no failure (`Action: delivered`)"
                .to_owned(),
        ));
    }
    Ok(Verdict::Report {
        kind: "dsn",
        failures,
    })
}

fn feedback_report(
    message: &Message<'_>,
    bounce_user: Option<&str>,
) -> std::result::Result<Verdict, String> {
    let body = report_part(message, &["feedback-report"])
        .ok_or("a feedback report without its `message/feedback-report` part (cut short?)")?;
    let fields = headers_of(String::from_utf8_lossy(body).trim().as_bytes())
        .ok_or("its `message/feedback-report` part cannot be read")?;
    let kind = field(&fields, "Feedback-Type")
        .unwrap_or_else(|| "abuse".to_owned())
        .to_ascii_lowercase();
    if kind == "not-spam" {
        return Ok(Verdict::NotAReport(
            "a feedback report that says `not-spam`".to_owned(),
        ));
    }
    // The recipient: the report's Original-Rcpt-To, else the To of the original message
    // (some providers redact both; the VERP token is then the evidence).
    let original_to = message.parts.iter().find_map(|part| match &part.body {
        mail_parser::PartType::Message(inner) => inner
            .to()
            .and_then(|to| to.first())
            .and_then(|a| a.address())
            .map(str::to_owned),
        _ if part.content_type().is_some_and(|ct| {
            ct.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers"))
        }) =>
        {
            headers_of(part.contents()).and_then(|h| {
                h.to()
                    .and_then(|to| to.first())
                    .and_then(|a| a.address())
                    .map(str::to_owned)
            })
        }
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
    Ok(Verdict::Report {
        kind: "arf",
        failures: vec![(recipient, BounceKind::Complaint, Some(kind), None)],
    })
}

/// What `ingest` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// Change nothing; say what would change.
    pub dry_run: bool,
    /// Apply statuses to this CSV list instead of the store's subscribers.
    pub list: Option<PathBuf>,
}

/// How an ingest went.
#[derive(Debug, Default)]
pub struct Summary {
    /// Messages looked at.
    pub read: usize,
    /// Permanent failures.
    pub hard: usize,
    /// Temporary failures.
    pub soft: usize,
    /// Spam complaints.
    pub complaints: usize,
    /// Failures of addresses not on the list.
    pub unknown: usize,
    /// Messages that are not reports.
    pub not_reports: usize,
    /// Messages ingested before.
    pub already: usize,
    /// Messages that could not be used: file and why.
    pub problems: Vec<(String, String)>,
    /// Status changes: address, new status, and why.
    pub changes: Vec<(String, Status, String)>,
    /// Maildir messages marked seen.
    pub marked_seen: usize,
}

/// Ingests `items` into `store` (and, with `options.list`, that CSV list).
///
/// # Errors
///
/// A store that cannot be used, or a list that cannot be read or written. Problems with
/// single messages are in the summary, never errors.
pub fn ingest(
    store: &mut Store,
    items: Vec<Item>,
    (secret, list_id, bounce_user, soft_limit): (&[u8], &str, Option<&str>, u32),
    options: &Options,
) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut csv = match &options.list {
        Some(path) => Some(CsvList::read(path)?),
        None => None,
    };
    // Who each VERP tag stands for: every address of the list, hashed as the send did.
    let known: Vec<String> = match &csv {
        Some(list) => list.addresses(),
        None => store.list(None)?.into_iter().map(|s| s.email).collect(),
    };
    let by_tag: HashMap<String, String> = known
        .iter()
        .map(|email| (token::verp_tag(secret, email, list_id), email.clone()))
        .collect();
    // Each address as mail systems compare it, to the address as the list writes it.
    let on_list: HashMap<String, &String> = known.iter().map(|e| (comparable(e), e)).collect();
    let now = Utc::now();

    for item in items {
        summary.read += 1;
        let raw = match item.raw {
            Ok(raw) => raw,
            Err(reason) => {
                summary.problems.push((item.name, reason));
                continue;
            }
        };
        let classified = match classify(&raw, bounce_user) {
            Ok(c) => c,
            Err(reason) => {
                summary.problems.push((item.name, reason.to_owned()));
                mark_seen(&item.maildir_file, options.dry_run, &mut summary);
                continue;
            }
        };
        if store.report_seen(&classified.id)? {
            summary.already += 1;
            mark_seen(&item.maildir_file, options.dry_run, &mut summary);
            continue;
        }
        let verp_email = match &classified.verp {
            Some(token) => match token::check_verp(secret, token) {
                Some((_, tag)) => by_tag.get(&tag).cloned(),
                None => {
                    summary.problems.push((
                        item.name,
                        format!(
                            "its VERP address `+{token}` has a bad signature: not made by this \
                             newsletter, ignored"
                        ),
                    ));
                    mark_seen(&item.maildir_file, options.dry_run, &mut summary);
                    continue;
                }
            },
            None => None,
        };
        let (kind, failures) = match classified.verdict {
            Verdict::NotAReport(_) => {
                summary.not_reports += 1;
                store.record_report(
                    &classified.id,
                    "not-a-report",
                    &[],
                    ReportOptions {
                        soft_limit,
                        change_subscribers: false,
                        dry_run: options.dry_run,
                    },
                    now,
                )?;
                mark_seen(&item.maildir_file, options.dry_run, &mut summary);
                continue;
            }
            Verdict::Report { kind, failures } => (kind, failures),
        };
        let mut findings = Vec::new();
        for (recipient, failure, code, diagnostic) in failures {
            // The report's recipient when it is on the list; else the one the VERP address
            // names (a forwarded address bounces under another name).
            let email = recipient
                .and_then(|r| on_list.get(&comparable(&r)).map(|e| (*e).clone()))
                .or_else(|| verp_email.clone());
            let Some(email) = email else {
                summary.unknown += 1;
                continue;
            };
            findings.push(Finding {
                email,
                kind: failure,
                at: classified.date.unwrap_or(now),
                code,
                diagnostic,
            });
        }
        let recorded = store.record_report(
            &classified.id,
            kind,
            &findings,
            ReportOptions {
                soft_limit,
                change_subscribers: csv.is_none(),
                dry_run: options.dry_run,
            },
            now,
        )?;
        for Recorded {
            email,
            kind: failure,
            status,
            soft_count,
        } in recorded
        {
            match failure {
                BounceKind::Hard => summary.hard += 1,
                BounceKind::Soft => summary.soft += 1,
                BounceKind::Complaint => summary.complaints += 1,
            }
            if let Some(status) = status {
                let why = match failure {
                    BounceKind::Hard => format!("permanent failure ({})", item.name),
                    BounceKind::Soft => {
                        format!("{soft_count} temporary failures in 30 days ({})", item.name)
                    }
                    BounceKind::Complaint => format!("spam complaint ({})", item.name),
                };
                let changed = match &mut csv {
                    Some(list) => list.set(&email, status),
                    None => true,
                };
                if changed {
                    summary.changes.push((email, status, why));
                }
            }
        }
        mark_seen(&item.maildir_file, options.dry_run, &mut summary);
    }
    if let (Some(list), false) = (&csv, options.dry_run) {
        list.write()?;
    }
    Ok(summary)
}

/// Marks a Maildir message seen: moved from `new/` to `cur/` with the `S` flag, or given
/// the flag in `cur/`. Never deleted.
fn mark_seen(file: &Option<PathBuf>, dry_run: bool, summary: &mut Summary) {
    let Some(file) = file else {
        return;
    };
    if dry_run {
        return;
    }
    let (Some(dir), Some(name)) = (
        file.parent().and_then(Path::parent),
        file.file_name().map(|n| n.to_string_lossy().into_owned()),
    ) else {
        return;
    };
    let (base, flags) = match name.split_once(":2,") {
        Some((base, flags)) => (base.to_owned(), flags.to_owned()),
        None => (name.clone(), String::new()),
    };
    if flags.contains('S') && file.parent().is_some_and(|p| p.ends_with("cur")) {
        return;
    }
    let mut flags: Vec<char> = flags.chars().chain(['S']).collect();
    flags.sort_unstable();
    flags.dedup();
    let target = dir.join("cur").join(format!(
        "{base}:2,{}",
        flags.into_iter().collect::<String>()
    ));
    if fs::rename(file, &target).is_ok() {
        summary.marked_seen += 1;
    }
}

/// A CSV list whose `status` column ingest rewrites, keeping every other column and row.
struct CsvList {
    path: PathBuf,
    headers: csv::StringRecord,
    rows: Vec<csv::StringRecord>,
    email: usize,
    status: usize,
    changed: bool,
}

impl CsvList {
    fn read(path: &Path) -> Result<CsvList> {
        let failed = |source| Error::ReadList {
            path: path.to_path_buf(),
            source,
        };
        let text = fs::read(path).map_err(failed)?;
        let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&text);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text);
        let mut headers = reader
            .headers()
            .map_err(|e| failed(std::io::Error::other(e.to_string())))?
            .clone();
        let find = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let email = find("email").ok_or_else(|| {
            failed(std::io::Error::other(
                "the header row has no `email` column",
            ))
        })?;
        let status = match find("status") {
            Some(i) => i,
            None => {
                headers.push_field("status");
                headers.len() - 1
            }
        };
        let mut rows = Vec::new();
        for record in reader.records() {
            rows.push(record.map_err(|e| failed(std::io::Error::other(e.to_string())))?);
        }
        Ok(CsvList {
            path: path.to_path_buf(),
            headers,
            rows,
            email,
            status,
            changed: false,
        })
    }

    fn addresses(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter_map(|r| r.get(self.email))
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .collect()
    }

    /// Sets the status of every row of `email`; whether any changed.
    fn set(&mut self, email: &str, status: Status) -> bool {
        let key = comparable(email);
        let mut changed = false;
        for row in &mut self.rows {
            if row.get(self.email).is_some_and(|e| comparable(e) == key) {
                let current = row
                    .get(self.status)
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if current == "complained" || current == status.as_str() {
                    continue;
                }
                let mut fields: Vec<String> = row.iter().map(str::to_owned).collect();
                while fields.len() <= self.status {
                    fields.push(String::new());
                }
                fields[self.status] = status.as_str().to_owned();
                *row = csv::StringRecord::from(fields);
                changed = true;
            }
        }
        self.changed |= changed;
        changed
    }

    /// Writes the list back atomically: a new file beside it, flushed, then renamed over it.
    fn write(&self) -> Result<()> {
        if !self.changed {
            return Ok(());
        }
        let failed = |source| Error::WriteFile {
            path: self.path.clone(),
            source,
        };
        let tmp = self.path.with_file_name(format!(
            ".{}.tmp",
            self.path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ));
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_path(&tmp)
            .map_err(|e| failed(std::io::Error::other(e.to_string())))?;
        let written = writer
            .write_record(&self.headers)
            .and_then(|()| self.rows.iter().try_for_each(|r| writer.write_record(r)))
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|()| writer.flush());
        drop(writer);
        written
            .and_then(|()| fs::File::open(&tmp)?.sync_all())
            .and_then(|()| fs::rename(&tmp, &self.path))
            .map_err(|e| {
                let _ = fs::remove_file(&tmp);
                failed(e)
            })
    }
}
