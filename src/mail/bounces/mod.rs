//! `briefing bounces ingest`: delivery failures and spam complaints flow back into the list,
//! when they prove whose they are.
//!
//! Messages are read one at a time from Maildirs, mbox files and single messages ([`read`]),
//! classified ([`classify`]: a delivery status notification, a feedback report, a bounce in
//! words, or not a report), and proved ([`proof`]: delivered to a subscriber's VERP address,
//! or quoting the original message of ours with its keyed Message-ID or unsubscribe link).
//! A report with proof changes the subscriber it proves, and nobody else; one without is
//! recorded as seen and changes nobody.
//!
//! Every message is recorded once, under a key of ours (the digest of its body, and whom the
//! proof names), checked in the same transaction that records it; a lock keeps two runs from
//! overlapping. The time a report counts from is when it was ingested; the date it gives is
//! kept beside, clamped, never trusted for the 30 days of soft bounces.

mod classify;
mod csv;
mod proof;
mod read;
mod words;

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::audience::Status;
use crate::audience::store::{BounceKind, Finding, Recorded, ReportOptions, Store};
use crate::error::{Error, Result};

use classify::{Classified, Named, Report};
use csv::CsvList;
use proof::Verifier;
use read::{FileMark, Item};

/// What `ingest` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// Change nothing; say what would change.
    pub dry_run: bool,
    /// Apply statuses to this CSV list instead of the store's subscribers.
    pub list: Option<PathBuf>,
    /// Count the reports as ingested at this time instead of now (to replay an old mailbox).
    pub as_of: Option<DateTime<Utc>>,
}

/// The newsletter's side of the reports: its secret, its list's id, the local part of its
/// bounce address (`bounces`), and how many soft bounces make a hard one.
#[derive(Debug, Clone, Copy)]
pub struct Newsletter<'a> {
    /// The key of VERP addresses, Message-IDs and unsubscribe links.
    pub secret: &'a [u8],
    /// `list_id`.
    pub list_id: &'a str,
    /// The local part of `audience.bounce_address`.
    pub bounce_user: Option<&'a str>,
    /// `audience.soft_bounce_limit`.
    pub soft_limit: u32,
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
    /// Reports without proof: the file, and why they changed nobody.
    pub unverified: Vec<(String, String)>,
    /// Reports that named a recipient other than the one their proof names: the file, the
    /// recipient named, and the subscriber counted.
    pub others_named: Vec<(String, String, String)>,
    /// Messages that are not reports.
    pub not_reports: usize,
    /// Messages ingested before.
    pub already: usize,
    /// Files read to the end by an earlier run, skipped unread.
    pub skipped_files: usize,
    /// Messages that could not be used: file and why.
    pub problems: Vec<(String, String)>,
    /// Status changes: address, new status, and why.
    pub changes: Vec<(String, Status, String)>,
    /// Maildir messages marked seen.
    pub marked_seen: usize,
}

/// Ingests the messages of `paths` into `store` (and, with `options.list`, that CSV list).
/// Holds the lock `lock_file` throughout: a second run waits for this one.
///
/// # Errors
///
/// A store that cannot be used, a path that cannot be read, a lock that cannot be taken, or a
/// list that cannot be read or written. Problems with single messages are in the summary,
/// never errors.
pub fn ingest(
    store: &mut Store,
    paths: &[PathBuf],
    lock_file: &Path,
    newsletter: Newsletter<'_>,
    options: &Options,
) -> Result<Summary> {
    let _lock = lock(lock_file)?;
    let now = options.as_of.unwrap_or_else(Utc::now);
    let mut summary = Summary::default();
    let mut csv = match &options.list {
        Some(path) => Some(CsvList::read(path)?),
        None => None,
    };
    let known: Vec<String> = match &csv {
        Some(list) => list.addresses(),
        None => store.list(None)?.into_iter().map(|s| s.email).collect(),
    };
    let verifier = Verifier::new(newsletter.secret, newsletter.list_id, &known);
    let read_before = store.files_read()?;
    let done_before =
        |mark: &FileMark| read_before.contains(&(mark.key.clone(), mark.size, mark.modified));
    let mut finished: Vec<FileMark> = Vec::new();
    // One message at a time: read, decided, recorded, let go.
    let mut messages = read::messages(paths, &done_before)?;
    for item in messages.by_ref() {
        summary.read += 1;
        let decision = decide(&item, newsletter.bounce_user, &verifier, now);
        record(
            store,
            &mut csv,
            (item, decision),
            newsletter,
            options,
            now,
            &mut summary,
            &mut finished,
        )?;
    }
    summary.skipped_files = messages.skipped;
    if let (Some(list), false) = (&csv, options.dry_run) {
        list.write()?;
    }
    if !options.dry_run {
        for mark in finished {
            store.mark_file_read(&mark.key, mark.size, mark.modified)?;
        }
    }
    Ok(summary)
}

/// What one message comes to.
enum Decision {
    /// It could not be read or is no message.
    Problem(String),
    /// Not a report.
    NotAReport { key: String },
    /// A report without proof.
    Unverified { key: String, why: String },
    /// A report with proof.
    Proved {
        key: String,
        kind: &'static str,
        finding: Finding,
        /// A recipient the report named, other than the one proved.
        other: Option<String>,
        evidence: &'static str,
    },
}

fn decide(
    item: &Item,
    bounce_user: Option<&str>,
    verifier: &Verifier<'_>,
    now: DateTime<Utc>,
) -> Decision {
    let raw = match &item.raw {
        Ok(raw) => raw,
        Err(why) => return Decision::Problem(why.clone()),
    };
    let digest = classify::body_digest(raw);
    let report = match classify::classify(raw, bounce_user) {
        Ok(Classified::Report(report)) => report,
        Ok(Classified::NotAReport) => {
            return Decision::NotAReport {
                key: format!("none:{digest}"),
            };
        }
        Err(why) => return Decision::Problem(why),
    };
    let (email, evidence) = match verifier.prove(&report) {
        Ok(proved) => proved,
        Err(why) => {
            return Decision::Unverified {
                key: format!("unverified:{digest}"),
                why,
            };
        }
    };
    let (failure, other) = failure_of(&report, &email, verifier);
    // A report of ours names only the reader it went to, or that reader's forwarding address;
    // one whose proof is A's but which names B, another subscriber, was written by someone
    // who knows A's proof and wants B gone (or is A): it changes nobody. The real report for
    // B, if there is one, arrives at B's own address.
    if let Some(named) = other.as_deref().and_then(|o| verifier.on_list(o)) {
        return Decision::Unverified {
            key: format!("unverified:{digest}"),
            why: format!(
                "its proof ({}) is {email}'s, but it names {named}, another subscriber: one of \
                 the two was written by someone else",
                evidence.as_str()
            ),
        };
    }
    Decision::Proved {
        key: format!("{}:{digest}", crate::audience::address::comparable(&email)),
        kind: report.kind.as_str(),
        finding: Finding {
            email,
            kind: failure.kind,
            at: now,
            reported_at: report.date.map(|date| clamp(date, now)),
            code: failure.code,
            diagnostic: failure.words,
            issue: verifier.issue(&report),
        },
        other,
        evidence: evidence.as_str(),
    }
}

/// The failure a proved report says for `email`: its own entry when it names `email`, else
/// the gravest it names (a forwarded address bounces under another name), with that other
/// name; a bounce in words has its words.
fn failure_of(report: &Report, email: &str, verifier: &Verifier<'_>) -> (Named, Option<String>) {
    let key = crate::audience::address::comparable(email);
    if let Some(own) = report.failures.iter().find(|f| {
        f.recipient
            .as_deref()
            .is_some_and(|r| crate::audience::address::comparable(r) == key)
    }) {
        return (own.clone(), None);
    }
    let gravest = report
        .failures
        .iter()
        .max_by_key(|f| match f.kind {
            BounceKind::Complaint => 2,
            BounceKind::Hard => 1,
            BounceKind::Soft => 0,
        })
        .cloned();
    match gravest {
        Some(named) => {
            let other = named
                .recipient
                .clone()
                .map(|r| verifier.on_list(&r).map_or(r.clone(), str::to_owned));
            (named, other)
        }
        None => (
            report.words.clone().unwrap_or(Named {
                recipient: None,
                kind: BounceKind::Soft,
                code: None,
                words: None,
            }),
            None,
        ),
    }
}

/// A report's date, kept only within a year before the ingest and a day after.
fn clamp(date: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    date.clamp(
        now - chrono::Duration::days(365),
        now + chrono::Duration::days(1),
    )
}

#[allow(clippy::too_many_arguments)]
fn record(
    store: &mut Store,
    csv: &mut Option<CsvList>,
    (item, decision): (Item, Decision),
    newsletter: Newsletter<'_>,
    options: &Options,
    now: DateTime<Utc>,
    summary: &mut Summary,
    finished: &mut Vec<FileMark>,
) -> Result<()> {
    let report_options = |change_subscribers| ReportOptions {
        soft_limit: newsletter.soft_limit,
        change_subscribers,
        dry_run: options.dry_run,
    };
    let name = item.name.clone();
    match decision {
        Decision::Problem(why) => {
            // Neither marked read nor seen: a message that could not be read is reported again
            // next time, until it is removed or can be read (a permission fixed, say).
            summary.problems.push((name, why));
            return Ok(());
        }
        Decision::NotAReport { key } => {
            match store.record_report(&key, "not-a-report", &[], report_options(false), now)? {
                Some(_) => summary.not_reports += 1,
                None => summary.already += 1,
            }
        }
        Decision::Unverified { key, why } => {
            match store.record_report(&key, "unverified", &[], report_options(false), now)? {
                Some(_) => summary.unverified.push((name, why)),
                None => summary.already += 1,
            }
        }
        Decision::Proved {
            key,
            kind,
            finding,
            other,
            evidence,
        } => {
            let email = finding.email.clone();
            let recorded = store.record_report(
                &key,
                kind,
                std::slice::from_ref(&finding),
                report_options(csv.is_none()),
                now,
            )?;
            let Some(recorded) = recorded else {
                summary.already += 1;
                mark_seen(&item.maildir_file, options.dry_run, summary);
                finished.extend(item.finishes);
                return Ok(());
            };
            if let Some(other) = other {
                summary.others_named.push((name.clone(), other, email));
            }
            for Recorded {
                email,
                kind,
                status,
                soft_count,
            } in recorded
            {
                match kind {
                    BounceKind::Hard => summary.hard += 1,
                    BounceKind::Soft => summary.soft += 1,
                    BounceKind::Complaint => summary.complaints += 1,
                }
                let Some(status) = status else {
                    continue;
                };
                let why = match kind {
                    BounceKind::Hard => format!("permanent failure ({name}; {evidence})"),
                    BounceKind::Soft => {
                        format!("{soft_count} temporary failures in 30 days ({name}; {evidence})")
                    }
                    BounceKind::Complaint => format!("spam complaint ({name}; {evidence})"),
                };
                let changed = match csv {
                    Some(list) => list.set(&email, status),
                    None => true,
                };
                if changed {
                    summary.changes.push((email, status, why));
                }
            }
        }
    }
    mark_seen(&item.maildir_file, options.dry_run, summary);
    finished.extend(item.finishes);
    Ok(())
}

/// Takes the ingest lock at `path`, waiting for a run that holds it.
fn lock(path: &Path) -> Result<fs::File> {
    let failed = |source| Error::WriteFile {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        crate::audience::secret::private_dir(parent).map_err(failed)?;
    }
    let file = crate::audience::secret::private_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(failed)?;
    file.lock().map_err(failed)?;
    Ok(file)
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
