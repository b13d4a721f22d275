//! `briefing send`: one issue to every subscriber, exactly once, resumable.
//!
//! The issue's email arrives rendered ([`Letter`]) and is encoded once; the recipients are
//! planned ([`recipients`]), a list validated in full before the first message leaves; a
//! journal ([`journal`](crate::mail::journal)) records each confirmed delivery as it happens,
//! so a re-run (after a crash, Ctrl-C or failures) mails exactly those not yet delivered.
//! [`workers`] send one message per recipient (never batched: a rejected recipient must not
//! fail the others) under a shared rate ([`pacing`]), and [`progress`] shows how it goes.

mod pacing;
mod progress;
mod recipients;
mod workers;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::audience::list::{Row, Skip, address_key};
use crate::audience::secret::{self, Key};
use crate::content::config::Config;
use crate::content::issue::IssueId;
use crate::content::project::Paths;
use crate::content::url::host;
use crate::content::url::is_loopback;
use crate::error::{Error, Result};
use crate::mail::dkim::Signer;
use crate::mail::journal::Journal;
use crate::mail::message::{self, EncodedLetter, Envelope, Outgoing, build_message};
use crate::mail::transport;
use crate::publish::render::email::Letter;

use pacing::RateLimiter;
use workers::{Earlier, Run};

/// Who to send to.
#[derive(Debug, Clone)]
pub enum Recipients {
    /// Addresses from the command line.
    To(Vec<String>),
    /// A CSV list.
    List(PathBuf),
    /// The active subscribers of the subscriber store.
    Store,
}

/// What `briefing send` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Who to send to.
    pub recipients: Recipients,
    /// Render and check every message, send nothing.
    pub dry_run: bool,
    /// Write `.eml` files here instead of using SMTP.
    pub outbox: Option<PathBuf>,
    /// Messages per second, overriding the config.
    pub rate: Option<f64>,
    /// SMTP sessions at once, overriding the config.
    pub concurrency: Option<u32>,
    /// Send again to those the journal says were delivered.
    pub resend: bool,
    /// What to do with recipients a crashed run left in doubt.
    pub in_doubt: InDoubt,
    /// A proof: never journaled, its Message-IDs its own.
    pub proof: bool,
    /// Send only if no earlier run finished sending this issue to a list at this
    /// destination (`send --due`): checked again once the journal is held, so two timers
    /// cannot both send.
    pub unless_sent: bool,
}

/// What a send to a list is about to do, shown before it starts so that the sender can say
/// yes or no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The issue, e.g. `2026-W25`.
    pub week: String,
    /// The subject line.
    pub subject: String,
    /// How many readers the list holds to mail.
    pub recipients: usize,
    /// How many deliveries of this issue to this destination earlier runs recorded: those
    /// readers are skipped.
    pub delivered_before: usize,
    /// Where they would go.
    pub destination: String,
}

/// What a run does with a recipient whose last attempt has no recorded outcome: the run
/// that tried ended between handing the message over and hearing the server's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InDoubt {
    /// Send again, with the same Message-ID, so that a provider that has it drops the copy.
    #[default]
    Resend,
    /// Leave them alone.
    Skip,
}

/// How a send ended.
#[derive(Debug, Default)]
pub struct Summary {
    /// The issue sent.
    pub week: String,
    /// Where messages went: an SMTP server or an outbox folder.
    pub destination: String,
    /// The journal's path.
    pub journal: Option<PathBuf>,
    /// Messages delivered in this run (or, in a dry run, built).
    pub sent: usize,
    /// Rows skipped because the journal has them delivered.
    pub already_delivered: usize,
    /// Rows skipped for their status.
    pub inactive: usize,
    /// Store subscribers not mailed because they have not confirmed their sign-up.
    pub pending: usize,
    /// Rows skipped for the suppression file.
    pub suppressed: usize,
    /// Rows skipped as repeats.
    pub duplicates: usize,
    /// Permanent failures: address and reason.
    pub failed: Vec<(String, String)>,
    /// Messages retried at least once that then went through.
    pub retried: usize,
    /// Recipients a crashed run left in doubt, sent again in this run (with the Message-ID of
    /// the first try).
    pub in_doubt_resent: usize,
    /// Recipients left in doubt and skipped (`--in-doubt skip`).
    pub in_doubt_skipped: usize,
    /// Damaged journal lines, by number, that were skipped.
    pub damaged_lines: Vec<usize>,
    /// Stopped by Ctrl-C before the end.
    pub interrupted: bool,
    /// In a dry run, the first message.
    pub sample: Option<String>,
    /// With [`Options::unless_sent`]: an earlier run had sent the issue, so this one sent
    /// nothing.
    pub already_sent: bool,
}

/// What the caller gives a send besides the issue and the options: how to read the
/// environment, how to stop, how to ask.
pub struct Controls<'a> {
    /// Looks up environment variables (the SMTP password, the token secret), so tests need
    /// not touch the process environment.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Raised by Ctrl-C: the workers finish what is in flight and stop.
    pub stop: &'a AtomicBool,
    /// Shown what a send to a list is about to do: `Ok` to go on, an error to send nothing.
    pub ask: &'a dyn Fn(&Preview) -> Result<()>,
}

/// Sends `letter`, the rendered email of issue `issue`.
///
/// # Errors
///
/// Invalid lists (as diagnostics), a missing setting or secret, an SMTP server that cannot be
/// reached, or a journal that cannot be written.
pub fn send(
    paths: &Paths,
    config: &Config,
    issue: IssueId,
    letter: Letter,
    options: &Options,
    controls: &Controls<'_>,
) -> Result<Summary> {
    let Controls { env, stop, ask } = *controls;
    let envelope = envelope(config, paths, env, options.dry_run)?;
    let subject = letter.subject.clone();
    // Counted links are made once for the issue, the same in every reader's copy.
    let letter = match (&config.list.url, config.list.clicks) {
        (Some(base), true) => crate::mail::clicks::Counter::new(base, &envelope).count(letter)?,
        _ => letter,
    };
    let letter = EncodedLetter::new(letter);
    let dkim = Signer::load(&config.dkim, &paths.root)?;
    let plan = recipients::plan(paths, config, &options.recipients, &envelope.secret)?;
    let mut summary = Summary {
        week: issue.to_string(),
        failed: plan.refused,
        inactive: plan.inactive,
        pending: plan.pending,
        ..Summary::default()
    };
    if options.dry_run {
        return dry_run(plan.rows, &letter, &envelope, dkim.as_ref(), summary);
    }

    let concurrency = options
        .concurrency
        .unwrap_or(config.send.concurrency)
        .max(1);
    let transport = transport::choose(
        config,
        options.outbox.as_deref(),
        &paths.root.join("outbox").join(issue.slug()),
        env,
        concurrency,
    )?;
    summary.destination = transport.describe();
    transport.check()?;
    let kind = transport.kind();

    // One journal per issue and destination, whatever list a recipient comes from: a second
    // list that overlaps the first (or the same list under another name) mails nobody twice,
    // while a preview into another outbox, or a send through another server, is not "already
    // delivered" by this one.
    let destination = format!("{kind}-{:08x}", address_key(&transport.identity()) as u32);
    let sends = paths.root.join(".briefing/sends");
    let journal_path = sends.join(format!("{}.{destination}.journal", issue.slug()));
    // A proof leaves no trace in the journal: the real send still mails its readers.
    let (journal, delivered, in_doubt) = if options.proof {
        (None, HashSet::new(), HashMap::new())
    } else {
        let earlier = earlier_journals(&sends, &issue.slug(), kind, &destination);
        let (journal, history) = Journal::open(&journal_path, &earlier, &envelope.secret)?;
        // Asked again now that this run holds the journal: another may have just finished.
        if options.unless_sent && sent_marker(&journal_path).exists() {
            summary.already_sent = true;
            return Ok(summary);
        }
        summary.journal = Some(journal_path.clone());
        summary.damaged_lines = history.damaged;
        if options.resend {
            (Some(journal), HashSet::new(), HashMap::new())
        } else {
            (Some(journal), history.delivered, history.in_doubt)
        }
    };
    // A send to a list is shown and confirmed first; one to addresses given on the command
    // line (a proof, a test) is not, nor one with nobody to mail.
    if !matches!(options.recipients, Recipients::To(_)) && plan.total > 0 {
        ask(&Preview {
            week: issue.to_string(),
            subject,
            recipients: plan.total,
            delivered_before: delivered.len(),
            destination: summary.destination.clone(),
        })?;
    }
    let rate = options.rate.unwrap_or(config.send.rate_per_second);
    // A deliberate re-send, and a proof, get Message-IDs of their own (a provider that
    // drops duplicates must not drop the real issue as a copy of the proof); any other run,
    // the same as before. (Milliseconds: two proofs a second apart are two messages.)
    let round = (options.resend || options.proof).then(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    });
    // Who left during the send: the store read again before each batch.
    let database = paths.root.join(&config.list.database);
    let key = envelope.secret.clone();
    let recheck = move || {
        crate::audience::store::Store::open_existing(&database, key.clone())
            .ok()
            .flatten()
            .and_then(|store| store.suppressed().ok())
    };
    let has_store = !matches!(options.recipients, Recipients::To(_))
        && paths.root.join(&config.list.database).exists();
    let run = Run {
        recheck: has_store.then_some(&recheck as &(dyn Fn() -> _ + Sync)),
        letter: &letter,
        envelope: &envelope,
        dkim: dkim.as_ref(),
        transport: &*transport,
        retries: config.send.retries,
        limiter: RateLimiter::new(rate),
        stop,
        round,
        journal: journal.map(Mutex::new),
        failure: Mutex::new(None),
    };
    let earlier = Earlier {
        delivered: &delivered,
        in_doubt: &in_doubt,
        policy: options.in_doubt,
    };
    run.go(plan.rows, &earlier, concurrency, plan.total, &mut summary);
    let Run {
        journal, failure, ..
    } = run;
    if let Some(error) = failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(error);
    }
    summary.interrupted = stop.load(Ordering::SeqCst);
    if let Some(journal) = journal {
        let mut journal = journal.into_inner().unwrap_or_else(PoisonError::into_inner);
        journal.sync()?;
        // A send to a list that went through to the end: `send --due` will not send this
        // issue here again (written while the journal is still held).
        if !summary.interrupted && !matches!(options.recipients, Recipients::To(_)) {
            mark_sent(&journal_path, summary.sent)?;
        }
    }
    Ok(summary)
}

/// The file that says a send of an issue to a list finished at a destination: beside its
/// journal, `<issue>.<destination>.sent`.
fn sent_marker(journal: &Path) -> PathBuf {
    journal.with_extension("sent")
}

/// Whether a send of `issue` to a list went through to the end at the destination this
/// configuration (and `outbox`) would send to: what `send --due` asks before it renders
/// anything. Connects to nothing.
///
/// # Errors
///
/// A password that is needed but not set, or a host lettre cannot use.
pub fn already_sent(
    paths: &Paths,
    config: &Config,
    issue: IssueId,
    outbox: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<bool> {
    let transport = transport::choose(
        config,
        outbox,
        &paths.root.join("outbox").join(issue.slug()),
        env,
        1,
    )?;
    let destination = format!(
        "{}-{:08x}",
        transport.kind(),
        address_key(&transport.identity()) as u32
    );
    let journal = paths
        .root
        .join(".briefing/sends")
        .join(format!("{}.{destination}.journal", issue.slug()));
    Ok(sent_marker(&journal).exists())
}

/// Writes the sent marker beside `journal`, synced: a crash after it returns does not lose it.
fn mark_sent(journal: &Path, sent: usize) -> Result<()> {
    use std::io::Write as _;
    let path = sent_marker(journal);
    let error = |source| Error::Journal {
        path: path.clone(),
        action: "write",
        source,
    };
    let mut file = std::fs::File::create(&path).map_err(error)?;
    writeln!(
        file,
        "sent to the list at {}; {sent} messages in the last run",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
    .map_err(error)?;
    file.sync_all().map_err(error)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(error)?;
    }
    Ok(())
}

/// The journals earlier versions kept for this issue and destination, one per list
/// (`<issue>.<destination>.<list>.journal`, and before that `<issue>.<kind>.<list>.journal`):
/// their deliveries still count.
fn earlier_journals(sends: &Path, issue: &str, kind: &str, destination: &str) -> Vec<PathBuf> {
    let mine = format!("{issue}.{destination}.journal");
    let Ok(entries) = std::fs::read_dir(sends) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|path| {
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            name != mine
                && name.ends_with(".journal")
                && (name.starts_with(&format!("{issue}.{destination}."))
                    || name.starts_with(&format!("{issue}.{kind}.")))
        })
        .collect();
    found.sort();
    found
}

/// The sender-side settings, with the token secret from the environment or the secret file.
fn envelope(
    config: &Config,
    paths: &Paths,
    env: &dyn Fn(&str) -> Option<String>,
    dry_run: bool,
) -> Result<Envelope> {
    let unsubscribe_url = config
        .unsubscribe_url
        .as_deref()
        .ok_or(Error::NoUnsubscribeUrl)?;
    let host = host(unsubscribe_url);
    let host = host.rsplit_once(':').map_or(host, |(name, _)| name);
    if !unsubscribe_url.to_ascii_lowercase().starts_with("https://") && !is_loopback(host) {
        return Err(Error::UnsubscribeUrlNotHttps);
    }
    let variable = &config.unsubscribe_secret_env;
    let key = if dry_run {
        // A dry run writes nothing; without a secret yet, its tokens are not real ones.
        secret::find(&paths.root, variable, env)?
            .map_or_else(|| Key::new(b"dry-run".to_vec()), |s| s.key)
    } else {
        secret::find_or_create(&paths.root, variable, env)?.key
    };
    Ok(Envelope::new(config, key))
}

fn dry_run(
    rows: Box<dyn Iterator<Item = Row> + Send>,
    letter: &EncodedLetter,
    envelope: &Envelope,
    dkim: Option<&Signer>,
    mut summary: Summary,
) -> Result<Summary> {
    summary.destination = "nowhere (dry run)".to_owned();
    for row in rows {
        match row {
            Row::Send(recipient) => {
                let id = envelope.message_id(&letter.letter.week, &recipient.email, None);
                let message = build_message(letter, envelope, &recipient, &id)
                    .and_then(|message| Outgoing::seal(&message, dkim))
                    .map_err(|detail| Error::BuildMessage {
                        email: recipient.email.clone(),
                        detail,
                    })?;
                if summary.sample.is_none() {
                    // The headers as sent, then the text part as the reader sees it.
                    let raw = String::from_utf8_lossy(&message.bytes).into_owned();
                    let headers = raw
                        .split("\r\n\r\n")
                        .next()
                        .unwrap_or("")
                        .replace("\r\n", "\n");
                    let (_, text) = message::personalise(&letter.letter, envelope, &recipient);
                    summary.sample = Some(format!("{headers}\n\n{text}"));
                }
                summary.sent += 1;
            }
            Row::Skip(_, reason) => count_skip(&mut summary, reason),
        }
    }
    Ok(summary)
}

pub(super) fn count_skip(summary: &mut Summary, reason: Skip) {
    match reason {
        Skip::Inactive => summary.inactive += 1,
        Skip::Suppressed => summary.suppressed += 1,
        Skip::Duplicate => summary.duplicates += 1,
    }
}
