//! The run itself: a producer thread builds each recipient's message, `concurrency` workers
//! deliver them under the shared rate, retrying temporary failures, and the calling thread
//! keeps the summary and the progress. The journal gets an attempt before a message's data
//! goes out and its outcome after.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use super::pacing::{RateLimiter, backoff, sleep_unless};
use super::progress::Progress;
use super::{InDoubt, Summary, count_skip};
use crate::audience::list::{Recipient, Row, Skip, Suppression};
use crate::error::Error;
use crate::mail::dkim::Signer;
use crate::mail::journal::{Journal, recipient_key};
use crate::mail::message::{EncodedLetter, Envelope, Outgoing, build_message};
use crate::mail::transport::{Failure, Transport};

/// A message built and ready for a session.
pub(super) struct Ready {
    recipient: Recipient,
    message_id: String,
    message: Outgoing,
    /// Its file name in an outbox.
    file_name: String,
    /// A crashed run left this recipient in doubt.
    in_doubt: bool,
}

/// What a worker reports.
pub(super) enum Outcome {
    Delivered { retried: bool, in_doubt: bool },
    Failed { email: String, reason: String },
    Skipped(Skip),
    AlreadyDelivered,
    InDoubtSkipped,
}

/// What the journal says of earlier runs, and what to do about the recipients it leaves in
/// doubt.
pub(super) struct Earlier<'a> {
    /// Delivered already: skipped.
    pub delivered: &'a HashSet<u128>,
    /// Handed over with no answer recorded, with the Message-ID they were sent with.
    pub in_doubt: &'a HashMap<u128, String>,
    /// Send those again, or skip them.
    pub policy: InDoubt,
}

/// One sending run's shared state.
pub(super) struct Run<'a> {
    pub letter: &'a EncodedLetter,
    pub envelope: &'a Envelope,
    pub dkim: Option<&'a Signer>,
    pub transport: &'a dyn Transport,
    pub retries: u32,
    pub limiter: RateLimiter,
    pub stop: &'a AtomicBool,
    /// Set by `--resend`: part of every Message-ID of this run.
    pub round: Option<u64>,
    /// Written by the workers: an attempt before each message's data, its outcome after.
    /// (None for a proof, which leaves no record.)
    pub journal: Option<Mutex<Journal>>,
    /// The first error that stopped the run (a journal that cannot be written).
    pub failure: Mutex<Option<Error>>,
    /// Reads the store's suppression again (who unsubscribed, bounced or complained since
    /// the send began): asked before each batch of a long send.
    pub recheck: Option<&'a (dyn Fn() -> Option<Suppression> + Sync)>,
}

/// A long send reads the suppression again after this many messages, or this long, whichever
/// comes first: a reader who unsubscribes during a send is not mailed by it.
const RECHECK_EVERY: usize = 500;
const RECHECK_AFTER: Duration = Duration::from_secs(1);

impl Run<'_> {
    /// Sends to every row: a producer thread builds messages, `concurrency` workers deliver
    /// them, and this thread keeps the summary and the progress. Returns when every thread
    /// has ended; a stop (Ctrl-C, a journal error) ends each of them within one message.
    pub(super) fn go(
        &self,
        rows: Box<dyn Iterator<Item = Row> + Send>,
        earlier: &Earlier<'_>,
        concurrency: u32,
        total: usize,
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
                let mut since = (0, Instant::now());
                let mut left = None;
                for (seq, row) in rows.enumerate() {
                    if self.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Some(recheck) = self.recheck
                        && (seq - since.0 >= RECHECK_EVERY || since.1.elapsed() >= RECHECK_AFTER)
                    {
                        left = recheck().or(left);
                        since = (seq, Instant::now());
                    }
                    let outcome = match row {
                        Row::Skip(_, reason) => Outcome::Skipped(reason),
                        // Unsubscribed (bounced, complained) since the send began.
                        Row::Send(r)
                            if left
                                .as_ref()
                                .is_some_and(|s: &Suppression| s.contains(&r.email)) =>
                        {
                            Outcome::Skipped(Skip::Inactive)
                        }
                        Row::Send(r) => {
                            let key = recipient_key(&self.envelope.secret, &r.email);
                            let doubt = earlier.in_doubt.get(&key);
                            if earlier.delivered.contains(&key) {
                                Outcome::AlreadyDelivered
                            } else if doubt.is_some() && earlier.policy == InDoubt::Skip {
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

    /// Writes one record with `record`; a run without a journal (a proof) writes none.
    fn record(
        &self,
        record: impl FnOnce(&mut Journal) -> crate::error::Result<()>,
    ) -> crate::error::Result<()> {
        match &self.journal {
            Some(journal) => record(&mut journal.lock().unwrap_or_else(PoisonError::into_inner)),
            None => Ok(()),
        }
    }

    /// Builds `recipient`'s message, or the failure to report when it cannot be built.
    fn prepare(
        &self,
        seq: usize,
        recipient: Recipient,
        in_doubt: Option<&String>,
    ) -> std::result::Result<Ready, Outcome> {
        // A message left in doubt goes again with the Message-ID it was first sent with (an
        // earlier version's included), so a provider that has it drops the copy.
        let message_id = in_doubt.cloned().unwrap_or_else(|| {
            self.envelope
                .message_id(&self.letter.letter.week, &recipient.email, self.round)
        });
        let in_doubt = in_doubt.is_some();
        match self.message(&recipient, &message_id) {
            Ok(message) => Ok(Ready {
                // A proof or a re-send keeps the copies an earlier run left in the outbox.
                file_name: match self.round {
                    Some(round) => format!("{seq:07}-{round}-{}.eml", file_safe(&recipient.email)),
                    None => format!("{seq:07}-{}.eml", file_safe(&recipient.email)),
                },
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
                && let Err(e) = self.record(|j| j.attempt(&email, &message_id))
            {
                // Without the record, a crash now would leave no trace of this message.
                self.abort(e);
                return None;
            }
            match self.transport.deliver(&message, &file_name) {
                Ok(()) => {
                    if let Err(e) = self.record(|j| j.delivered(&email, &message_id)) {
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
                    if let Err(e) = self.record(|j| j.failed(&email, &reason)) {
                        self.abort(e);
                    }
                    return Some(Outcome::Failed { email, reason });
                }
            }
        }
    }

    fn message(&self, recipient: &Recipient, message_id: &str) -> Result<Outgoing, String> {
        let message = build_message(self.letter, self.envelope, recipient, message_id)?;
        Outgoing::seal(&message, self.dkim)
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
