//! The sign-up worker: takes each queued sign-up after its answer has left, decides it in the
//! store, and mails the confirmation; and mails the welcome of each reader who confirmed. The queue is in the database, so a sign-up answered 200
//! is decided even if the service stops first: the next start takes it up. It also writes the
//! unsubscribes that were queued beside the database while it was busy.
//!
//! It has its own connection to the store: its waits for a busy database never hold up a
//! request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;

use super::Service;
use crate::audience::store::Store;

/// How long the worker waits for a wake-up before it looks at the queue anyway (a sign-up
/// queued by a service that stopped, a store that was busy).
const IDLE: Duration = Duration::from_secs(1);

/// Wakes the worker, and tells it to stop.
#[derive(Default)]
pub(super) struct SignUps {
    waiting: Mutex<bool>,
    wake_up: Condvar,
    stop: AtomicBool,
}

impl SignUps {
    /// Says a sign-up was queued.
    pub(super) fn wake(&self) {
        *self.waiting.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.wake_up.notify_one();
    }

    /// Tells the worker to stop after the sign-up it is on.
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake();
    }

    fn wait(&self) {
        let waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut waiting, _) = self
            .wake_up
            .wait_timeout_while(waiting, IDLE, |waiting| !*waiting)
            .unwrap_or_else(PoisonError::into_inner);
        *waiting = false;
    }
}

/// Runs until told to stop: every queued sign-up decided and its confirmation mailed, every
/// welcome due mailed, every queued unsubscribe written.
pub(super) fn work(service: &Arc<Service>, mut store: Store) {
    while !service.sign_ups.stop.load(Ordering::SeqCst) {
        if let Err(e) = store.apply_queued_unsubscribes() {
            say_err!("warning: queued unsubscribes wait: {e}");
        }
        take_queue(service, &mut store);
        send_welcomes(service, &mut store);
        service.sign_ups.wait();
    }
}

/// Decides every queued sign-up in `store` and mails what is due; how many were taken. Stops
/// early when the store cannot be used (it is tried again later).
pub(super) fn take_queue(service: &Service, store: &mut Store) -> usize {
    let mut taken = 0;
    loop {
        let next = store.next_sign_up(Utc::now());
        let queued = match next {
            Ok(Some(queued)) => queued,
            Ok(None) => return taken,
            Err(e) => {
                say_err!("error: a sign-up waits in the queue: {e}");
                return taken;
            }
        };
        taken += 1;
        let Some(pending) = queued.pending else {
            continue;
        };
        let sent = deliver(
            service,
            service.confirmation(&queued.email, &pending),
            ("confirm", pending.id),
            &queued.email,
        );
        if let Err(reason) = sent {
            say_err!(
                "error: the confirmation message of sign-up {} was not sent: {reason}",
                pending.id
            );
            let released = store.release_sign_up(&pending);
            if let Err(e) = released {
                say_err!("error: {e}");
            }
        }
    }
}

/// Mails every welcome due; how many were sent. One that cannot be sent is logged and kept,
/// marked failed, for the reader's next confirmation attempt (`subscribers stats` counts
/// them): the confirmation itself stands.
pub(super) fn send_welcomes(service: &Service, store: &mut Store) -> usize {
    let mut sent = 0;
    loop {
        let welcome = match store.next_welcome() {
            Ok(Some(welcome)) => welcome,
            Ok(None) => return sent,
            Err(e) => {
                say_err!("error: welcome messages wait: {e}");
                return sent;
            }
        };
        let delivered = deliver(
            service,
            service.welcome(&welcome),
            ("welcome", welcome.subscriber),
            &welcome.email,
        );
        let recorded = match delivered {
            Ok(()) => {
                sent += 1;
                store.welcomed(welcome.subscriber)
            }
            Err(reason) => {
                say_err!(
                    "error: the welcome message of subscriber {} was not sent: {reason} \
                     (it is tried again when they open their confirmation link again, or when \
                     listen restarts)",
                    welcome.subscriber
                );
                store.welcome_failed(welcome.subscriber, &reason, Utc::now())
            }
        };
        if let Err(e) = recorded {
            // Not marked: it would be taken again at once, so wait for the next round.
            say_err!("error: {e}");
            return sent;
        }
    }
}

/// Delivers `built`, the `kind` message of sign-up or subscriber `id` (the outbox file is
/// named after both), to `email`. Why it was not delivered, in words that may be logged: the
/// server's words may quote the address, which is taken out.
fn deliver(
    service: &Service,
    built: Result<crate::mail::message::Outgoing, String>,
    (kind, id): (&str, i64),
    email: &str,
) -> Result<(), String> {
    built
        .and_then(|message| {
            let file = format!("{kind}-{}-{id}.eml", Utc::now().timestamp_millis());
            service
                .transport
                .deliver(&message, &file)
                .map_err(|failure| failure.reason)
        })
        .map_err(|reason| reason.replace(email, "(the address)"))
}
