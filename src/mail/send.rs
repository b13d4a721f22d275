//! `briefing send`: one issue to every subscriber, exactly once, resumable.
//!
//! The issue's email arrives rendered ([`Letter`]) and is encoded once; the list is validated in full
//! before the first message leaves ([`list`](crate::audience::list)); a journal records each confirmed
//! delivery as it happens ([`journal`](crate::mail::journal)), so a re-run (after a crash, Ctrl-C or failures)
//! mails exactly those not yet delivered. A producer thread streams the list, `concurrency`
//! workers send (one message per recipient, never batched: a rejected recipient must not
//! fail the others) under a shared rate limit, retrying temporary failures with exponential
//! backoff; the calling thread writes the journal and the progress.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;

use crate::audience::store::Store;
use crate::content::config::{Config, DkimAlgorithm};
use crate::content::issue::IssueId;
use crate::content::project::Paths;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::publish::render::email::Letter;

use crate::audience::list::{self as subscribers, Row, Skip};
use crate::mail::journal::Journal;
use crate::mail::message::{self, EncodedLetter, Envelope, Recipient, build_message};
use crate::mail::transport::{self, Failure, Transport};

/// The longest pause between two tries of one message.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Who to send to.
#[derive(Debug, Clone)]
pub enum Audience {
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
    /// Recipients.
    pub audience: Audience,
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
}

/// Sends `letter`, the rendered email of issue `issue`.
///
/// `env` looks up environment variables (the SMTP password, the token secret) so tests need
/// not touch the process environment. `stop` is raised by Ctrl-C.
///
/// # Errors
///
/// Invalid lists (as diagnostics), a missing setting or secret, an SMTP server that cannot be
/// reached, or a journal that cannot be written.
pub fn send(
    paths: &Paths,
    config: &Config,
    (issue, letter): (IssueId, Letter),
    options: &Options,
    env: &dyn Fn(&str) -> Option<String>,
    stop: &AtomicBool,
) -> Result<Summary> {
    let envelope = envelope(config, &paths.root, env, options.dry_run)?;
    let letter = EncodedLetter::new(letter);
    let dkim = dkim(config, &paths.root)?;

    let mut suppressed = match &config.send.suppression_file {
        Some(file) => subscribers::read_suppression(&paths.root.join(file))?,
        None => HashSet::new(),
    };
    let database = paths.root.join(&config.list.database);
    let store = Store::open_existing(&database)?;
    if let (Some(store), Audience::List(_)) = (&store, &options.audience) {
        // Whoever unsubscribed through `briefing listen`, bounced or complained is not
        // mailed from a CSV list either.
        suppressed.extend(store.suppressed()?);
    }
    let mut summary_errors = Vec::new();
    let mut store_inactive = 0;
    let (rows, list_key, total): (Box<dyn Iterator<Item = Row> + Send>, String, usize) =
        match &options.audience {
            Audience::List(path) => {
                let stats = subscribers::validate(path, path, &suppressed)
                    .map_err(|diagnostics| Error::Invalid { diagnostics })?;
                let stem = path.file_stem().map_or_else(
                    || "list".to_owned(),
                    |s| crate::content::slug::slugify(&s.to_string_lossy()),
                );
                let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
                let key = format!(
                    "{stem}-{:08x}",
                    subscribers::address_key(&canonical.to_string_lossy()) as u32
                );
                let rows = subscribers::Rows::open(path, suppressed)?;
                (Box::new(rows), key, stats.to_send)
            }
            Audience::Store => {
                let store = store.ok_or(Error::NoAudience { path: database })?;
                // Those not mailed, for the summary: unsubscribed, bounced, complained.
                let counts = store.counts()?;
                store_inactive = [
                    crate::audience::Status::Unsubscribed,
                    crate::audience::Status::Bounced,
                    crate::audience::Status::Complained,
                ]
                .iter()
                .map(|s| counts.get(s).copied().unwrap_or(0))
                .sum();
                let mut seen = HashSet::new();
                let mut rows = Vec::new();
                for recipient in store.list(Some(crate::audience::Status::Active))? {
                    // The store holds addresses checked on the way in; one that fails now
                    // (a rule added since) is reported, not mailed.
                    match subscribers::decide(
                        &recipient.email,
                        recipient.name.as_deref(),
                        "",
                        &suppressed,
                        &mut seen,
                    ) {
                        Ok(row) => rows.push(row),
                        Err((message, _)) => summary_errors.push((recipient.email, message)),
                    }
                }
                let total = rows.iter().filter(|r| matches!(r, Row::Send(_))).count();
                (Box::new(rows.into_iter()), "store".to_owned(), total)
            }
            Audience::To(addresses) => {
                let mut seen = HashSet::new();
                let mut rows = Vec::with_capacity(addresses.len());
                let mut bad = Vec::new();
                for address in addresses {
                    match subscribers::decide(address.trim(), None, "", &suppressed, &mut seen) {
                        Ok(row) => rows.push(row),
                        Err((message, _)) => bad.push(Diagnostic {
                            severity: crate::diagnostic::Severity::Error,
                            path: "--to".into(),
                            pos: crate::diagnostic::Pos::START,
                            message,
                            help: None,
                            line_text: None,
                        }),
                    }
                }
                if !bad.is_empty() {
                    return Err(Error::Invalid { diagnostics: bad });
                }
                let mut sorted: Vec<String> = addresses.iter().map(|a| a.to_lowercase()).collect();
                sorted.sort();
                let key = format!(
                    "to-{:08x}",
                    subscribers::address_key(&sorted.join(",")) as u32
                );
                let total = rows.iter().filter(|r| matches!(r, Row::Send(_))).count();
                (Box::new(rows.into_iter()), key, total)
            }
        };

    let mut summary = Summary {
        week: issue.to_string(),
        failed: summary_errors,
        inactive: store_inactive,
        ..Summary::default()
    };
    if options.dry_run {
        return dry_run(rows, &letter, &envelope, dkim.as_ref(), summary);
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

    // One journal per issue, list and destination: a preview into another outbox, or a send
    // through another server, is not "already delivered" by this one.
    let destination = format!(
        "{kind}-{:08x}",
        subscribers::address_key(&transport.identity()) as u32
    );
    let sends = paths.root.join(".briefing/sends");
    let journal_path = sends.join(format!("{}.{destination}.{list_key}.journal", issue.slug()));
    let legacy = sends.join(format!("{}.{kind}.{list_key}.journal", issue.slug()));
    if !journal_path.exists() && legacy.is_file() {
        // Journals named before the destination was part of the name: keep their record.
        let _ = std::fs::rename(&legacy, &journal_path);
    }
    let (journal, history) = Journal::open(&journal_path)?;
    summary.journal = Some(journal_path);
    summary.damaged_lines = history.damaged;
    let (delivered, in_doubt) = if options.resend {
        (HashSet::new(), HashSet::new())
    } else {
        (history.delivered, history.in_doubt)
    };
    let rate = options.rate.unwrap_or(config.send.rate_per_second);
    // A deliberate re-send gets Message-IDs of its own; any other run, the same as before.
    let round = options.resend.then(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let run = Run {
        letter: &letter,
        envelope: &envelope,
        dkim: dkim.as_ref(),
        transport: &*transport,
        retries: config.send.retries,
        limiter: RateLimiter::new(rate),
        stop,
        round,
        journal: Mutex::new(journal),
        failure: Mutex::new(None),
    };
    run.go(
        rows,
        (&delivered, &in_doubt, options.in_doubt),
        (concurrency, total),
        &mut summary,
    );
    let Run {
        journal, failure, ..
    } = run;
    if let Some(error) = failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(error);
    }
    journal
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .sync()?;
    summary.interrupted = stop.load(Ordering::SeqCst);
    Ok(summary)
}

/// The sender-side settings, with the token secret from the environment.
fn envelope(
    config: &Config,
    root: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    dry_run: bool,
) -> Result<Envelope> {
    let unsubscribe_url = config
        .unsubscribe_url
        .clone()
        .ok_or(Error::NoUnsubscribeUrl)?;
    let host = crate::content::url::host(&unsubscribe_url);
    let host = host.rsplit_once(':').map_or(host, |(name, _)| name);
    if !unsubscribe_url.to_ascii_lowercase().starts_with("https://")
        && !crate::content::config::is_loopback(host)
    {
        return Err(Error::UnsubscribeUrlNotHttps);
    }
    let variable = &config.unsubscribe_secret_env;
    let secret = if dry_run {
        // A dry run writes nothing; without a secret yet, its tokens are not real ones.
        crate::audience::secret::find(root, variable, env)?
            .map_or_else(|| b"dry-run".to_vec(), |s| s.bytes)
    } else {
        crate::audience::secret::find_or_create(root, variable, env)?.bytes
    };
    let (from, reply_to) = (config.from.clone(), config.reply_to.clone());
    Ok(Envelope {
        message_id_domain: from.email.domain().to_owned(),
        from,
        reply_to,
        list_id: config.list_id.clone(),
        list_name: config.title.clone(),
        unsubscribe_url,
        unsubscribe_mailto: config.unsubscribe_mailto.clone(),
        secret,
        bounce_address: config.list.bounce_address.clone(),
    })
}

/// The DKIM signer, if configured: it covers both List-Unsubscribe headers, as RFC 8058
/// requires (lettre's default header set does not).
pub fn dkim(config: &Config, root: &Path) -> Result<Option<DkimConfig>> {
    let Some(dkim) = &config.dkim else {
        return Ok(None);
    };
    let path = root.join(&dkim.key_file);
    // A key is a few kilobytes: read at most 64 KiB, so a wrong path (a device, a huge file)
    // costs nothing.
    let mut key_text = String::new();
    let read = std::fs::File::open(&path).and_then(|file| {
        std::io::Read::read_to_string(&mut std::io::Read::take(file, 64 * 1024), &mut key_text)
    });
    read.map_err(|source| Error::ReadDkimKey {
        path: path.clone(),
        source,
    })?;
    let algorithm = match dkim.algorithm {
        DkimAlgorithm::Ed25519 => DkimSigningAlgorithm::Ed25519,
        DkimAlgorithm::Rsa => DkimSigningAlgorithm::Rsa,
    };
    let key = DkimSigningKey::new(key_text.trim(), algorithm).map_err(|e| Error::BadDkimKey {
        path: path.clone(),
        algorithm: match dkim.algorithm {
            DkimAlgorithm::Ed25519 => "Ed25519",
            DkimAlgorithm::Rsa => "RSA PKCS#1 PEM",
        },
        detail: e.to_string(),
    })?;
    let headers = [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "Reply-To",
        "MIME-Version",
        "Content-Type",
        "List-Id",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ]
    .into_iter()
    .map(HeaderName::new_from_ascii_str)
    .collect();
    Ok(Some(DkimConfig::new(
        dkim.selector.clone(),
        dkim.domain.clone(),
        key,
        headers,
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    )))
}

fn dry_run(
    rows: Box<dyn Iterator<Item = Row> + Send>,
    letter: &EncodedLetter,
    envelope: &Envelope,
    dkim: Option<&DkimConfig>,
    mut summary: Summary,
) -> Result<Summary> {
    summary.destination = "nowhere (dry run)".to_owned();
    for row in rows {
        match row {
            Row::Send(recipient) => {
                let id = envelope.message_id(&letter.letter.week, &recipient.email, None);
                let mut message =
                    build_message(letter, envelope, &recipient, &id).map_err(|detail| {
                        Error::BuildMessage {
                            email: recipient.email.clone(),
                            detail,
                        }
                    })?;
                if let Some(dkim) = dkim {
                    message.sign(dkim);
                }
                if summary.sample.is_none() {
                    // The headers as sent, then the text part as the reader sees it.
                    let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
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

fn count_skip(summary: &mut Summary, reason: Skip) {
    match reason {
        Skip::Inactive => summary.inactive += 1,
        Skip::Suppressed => summary.suppressed += 1,
        Skip::Duplicate => summary.duplicates += 1,
    }
}

/// Paces sends across all workers.
struct RateLimiter {
    next: Mutex<Instant>,
    interval: Duration,
}

impl RateLimiter {
    fn new(per_second: f64) -> RateLimiter {
        RateLimiter {
            next: Mutex::new(Instant::now()),
            interval: Duration::from_secs_f64(1.0 / per_second.max(0.001)),
        }
    }

    /// Takes the next free slot at or after `now`: the moment a send may start.
    fn reserve(&self, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = (*next).max(now);
        *next = slot + self.interval;
        slot
    }

    /// Waits for the next slot; false, at once, when `stop` is raised meanwhile (a slow
    /// rate must not keep Ctrl-C waiting).
    fn wait_unless(&self, stop: &AtomicBool) -> bool {
        let slot = self.reserve(Instant::now());
        sleep_unless(stop, slot.saturating_duration_since(Instant::now()))
    }
}

/// The pause before try `attempt + 1` of a message: 250 ms, doubling, at most
/// [`MAX_BACKOFF`].
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * (1 << attempt.min(7))).min(MAX_BACKOFF)
}

/// A message built and ready for a session.
struct Ready {
    recipient: Recipient,
    message_id: String,
    message: Message,
    /// Its file name in an outbox.
    file_name: String,
    /// A crashed run left this recipient in doubt.
    in_doubt: bool,
}

/// What a worker reports.
enum Outcome {
    Delivered { retried: bool, in_doubt: bool },
    Failed { email: String, reason: String },
    Skipped(Skip),
    AlreadyDelivered,
    InDoubtSkipped,
}

/// One sending run's shared state.
struct Run<'a> {
    letter: &'a EncodedLetter,
    envelope: &'a Envelope,
    dkim: Option<&'a DkimConfig>,
    transport: &'a dyn Transport,
    retries: u32,
    limiter: RateLimiter,
    stop: &'a AtomicBool,
    /// Set by `--resend`: part of every Message-ID of this run.
    round: Option<u64>,
    /// Written by the workers: an attempt before each message's data, its outcome after.
    journal: Mutex<Journal>,
    /// The first error that stopped the run (a journal that cannot be written).
    failure: Mutex<Option<Error>>,
}

impl Run<'_> {
    /// Sends to every row: a producer thread builds messages, `concurrency` workers deliver
    /// them, and this thread keeps the summary and the progress. Returns when every thread
    /// has ended; a stop (Ctrl-C, a journal error) ends each of them within one message.
    fn go(
        &self,
        rows: Box<dyn Iterator<Item = Row> + Send>,
        (delivered, in_doubt, doubt_policy): (&HashSet<u128>, &HashSet<u128>, InDoubt),
        (concurrency, total): (u32, usize),
        summary: &mut Summary,
    ) {
        let (job_tx, job_rx) = mpsc::sync_channel::<Ready>(concurrency as usize * 2);
        // Owned by the workers alone: when the last one ends, the producer's next send fails
        // instead of waiting for room in a channel nobody reads.
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (out_tx, out_rx) = mpsc::channel::<Outcome>();
        std::thread::scope(|scope| {
            let producer_out = out_tx.clone();
            scope.spawn(move || {
                for (seq, row) in rows.enumerate() {
                    if self.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let outcome = match row {
                        Row::Skip(_, reason) => Outcome::Skipped(reason),
                        Row::Send(r) => {
                            let key = subscribers::address_key(&r.email);
                            let doubt = in_doubt.contains(&key);
                            if delivered.contains(&key) {
                                Outcome::AlreadyDelivered
                            } else if doubt && doubt_policy == InDoubt::Skip {
                                Outcome::InDoubtSkipped
                            } else {
                                // Messages are built here, ahead of the sessions, so that
                                // building the next one overlaps sending this one.
                                match self.prepare(seq, r, doubt) {
                                    Ok(ready) => {
                                        if job_tx.send(ready).is_err() {
                                            break;
                                        }
                                        continue;
                                    }
                                    Err(failed) => failed,
                                }
                            }
                        }
                    };
                    let _ = producer_out.send(outcome);
                }
            });
            for _ in 0..concurrency {
                let out = out_tx.clone();
                let jobs = Arc::clone(&job_rx);
                scope.spawn(move || {
                    while !self.stop.load(Ordering::SeqCst) {
                        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        let Ok(ready) = job else { break };
                        if let Some(outcome) = self.deliver(ready) {
                            let _ = out.send(outcome);
                        }
                    }
                });
            }
            drop(job_rx);
            drop(out_tx);
            let mut progress = Progress::new(total as u64);
            for outcome in out_rx {
                match outcome {
                    Outcome::Delivered { retried, in_doubt } => {
                        summary.sent += 1;
                        summary.retried += usize::from(retried);
                        summary.in_doubt_resent += usize::from(in_doubt);
                    }
                    Outcome::Failed { email, reason } => summary.failed.push((email, reason)),
                    Outcome::Skipped(reason) => {
                        count_skip(summary, reason);
                        continue;
                    }
                    Outcome::AlreadyDelivered => summary.already_delivered += 1,
                    Outcome::InDoubtSkipped => summary.in_doubt_skipped += 1,
                }
                progress.tick(summary);
            }
            progress.finish();
        });
    }

    /// Stops the run for `error`, keeping the first.
    fn abort(&self, error: Error) {
        self.stop.store(true, Ordering::SeqCst);
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(error);
    }

    fn journal(&self) -> std::sync::MutexGuard<'_, Journal> {
        self.journal.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Builds `recipient`'s message, or the failure to report when it cannot be built.
    fn prepare(
        &self,
        seq: usize,
        recipient: Recipient,
        in_doubt: bool,
    ) -> std::result::Result<Ready, Outcome> {
        let message_id =
            self.envelope
                .message_id(&self.letter.letter.week, &recipient.email, self.round);
        match self.message(&recipient, &message_id) {
            Ok(message) => Ok(Ready {
                file_name: format!("{seq:07}-{}.eml", file_safe(&recipient.email)),
                recipient,
                message_id,
                message,
                in_doubt,
            }),
            Err(reason) => Err(Outcome::Failed {
                email: recipient.email,
                reason,
            }),
        }
    }

    /// Sends one message, retrying temporary failures, with an attempt journaled before its
    /// data goes out and the outcome after. `None` when stopped first, or mid-retry: the
    /// recipient is then neither delivered nor failed, and a re-run tries again.
    fn deliver(&self, ready: Ready) -> Option<Outcome> {
        let Ready {
            recipient,
            message_id,
            message,
            file_name,
            in_doubt,
        } = ready;
        let email = recipient.email;
        let mut attempt = 0;
        loop {
            if !self.limiter.wait_unless(self.stop) {
                return None;
            }
            if attempt == 0
                && let Err(e) = self.journal().attempt(&email, &message_id)
            {
                // Without the record, a crash now would leave no trace of this message.
                self.abort(e);
                return None;
            }
            match self.transport.deliver(&message, &file_name) {
                Ok(()) => {
                    if let Err(e) = self.journal().delivered(&email, &message_id) {
                        self.abort(e);
                    }
                    return Some(Outcome::Delivered {
                        retried: attempt > 0,
                        in_doubt,
                    });
                }
                Err(Failure {
                    temporary: true, ..
                }) if attempt < self.retries => {
                    let pause = backoff(attempt);
                    attempt += 1;
                    if !sleep_unless(self.stop, pause) {
                        return None;
                    }
                }
                Err(Failure { temporary, reason }) => {
                    let reason = if temporary {
                        format!("{reason} (gave up after {} tries)", attempt + 1)
                    } else {
                        reason
                    };
                    if let Err(e) = self.journal().failed(&email, &reason) {
                        self.abort(e);
                    }
                    return Some(Outcome::Failed { email, reason });
                }
            }
        }
    }

    fn message(&self, recipient: &Recipient, message_id: &str) -> Result<Message, String> {
        let mut message = build_message(self.letter, self.envelope, recipient, message_id)?;
        if let Some(dkim) = self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }
}

/// Sleeps for `pause` in small steps; false when `stop` was raised meanwhile.
fn sleep_unless(stop: &AtomicBool, pause: Duration) -> bool {
    let until = Instant::now() + pause;
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20).min(until - now));
    }
}

fn file_safe(email: &str) -> String {
    email
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@.-_+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A progress bar with rate and ETA on a terminal; a line every few seconds elsewhere.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    fn new(total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} · {per_sec} · ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            bar,
            total,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    fn tick(&mut self, summary: &Summary) {
        let done = summary.sent + summary.failed.len() + summary.already_delivered;
        match &self.bar {
            Some(bar) => {
                bar.set_position(done as u64);
                if !summary.failed.is_empty() {
                    bar.set_message(format!("({} failed)", summary.failed.len()));
                }
            }
            None if self.last_line.elapsed() >= Duration::from_secs(2) => {
                self.last_line = Instant::now();
                let rate = (summary.sent + summary.failed.len()) as f64
                    / self.started.elapsed().as_secs_f64().max(0.001);
                say_err!(
                    "sending: {done}/{} done ({} sent, {} failed), {rate:.1}/s",
                    self.total,
                    summary.sent,
                    summary.failed.len()
                );
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limiter_spaces_sends_evenly_and_does_not_save_up_idle_time() {
        let limiter = RateLimiter::new(10.0);
        let start = limiter.reserve(Instant::now());
        let step = Duration::from_millis(100);
        // A burst gets one slot per tenth of a second, in order, whoever asks.
        for n in 1..=5 {
            assert_eq!(limiter.reserve(start), start + step * n);
        }
        // After a pause longer than the queued slots, the next send goes at once: idle time is
        // not saved up into a burst.
        let later = start + Duration::from_secs(10);
        assert_eq!(limiter.reserve(later), later);
        assert_eq!(limiter.reserve(later), later + step);
    }

    #[test]
    fn a_rate_of_almost_nothing_is_slow_but_finite() {
        let limiter = RateLimiter::new(0.0);
        let now = Instant::now();
        assert_eq!(limiter.reserve(now), now);
        assert_eq!(limiter.reserve(now), now + Duration::from_secs(1000));
    }

    #[test]
    fn backoff_doubles_from_a_quarter_second_up_to_the_cap() {
        let pauses: Vec<u128> = (0..10).map(|a| backoff(a).as_millis()).collect();
        assert_eq!(
            pauses,
            [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
