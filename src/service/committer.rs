//! Group commit of unsubscribes: the requests that arrive while one commit is being synced
//! to disk go into the next commit together, so the cost of a sync (`synchronous = FULL`) is
//! shared by all of them instead of paid by each in turn. Every request is still answered
//! only after the commit that holds it is on disk.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use crate::audience::store::{Leaving, Store};
use crate::error::{Error, Result};

/// The most unsubscribes written in one commit.
const MOST: usize = 512;

/// One unsubscribe waiting for its commit, and where to say how it went.
struct Request {
    leaving: Leaving,
    done: oneshot::Sender<Result<()>>,
}

/// Hands unsubscribes to the committing thread.
pub(super) struct Committer {
    requests: Sender<Request>,
}

impl Committer {
    /// Starts the thread that commits unsubscribes into `store`; it ends when the
    /// committer is dropped.
    pub(super) fn start(store: Arc<Mutex<Store>>) -> Committer {
        let (requests, incoming) = channel();
        std::thread::spawn(move || commit_all(&store, &incoming));
        Committer { requests }
    }

    /// Writes `leaving`; returns once the commit that holds it is on disk.
    ///
    /// # Errors
    ///
    /// The store's error for the commit (busy, full disk): nothing of it was written.
    pub(super) async fn unsubscribe(&self, leaving: Leaving) -> Result<()> {
        let (done, answer) = oneshot::channel();
        let request = Request { leaving, done };
        if self.requests.send(request).is_err() {
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

/// The error of a commit, for each request it held (a busy store stays "busy", so that the
/// requests are queued beside it).
fn each(error: &Error) -> Error {
    match error {
        Error::StoreBusy { path } => Error::StoreBusy { path: path.clone() },
        other => Error::Store {
            path: std::path::PathBuf::new(),
            detail: other.to_string(),
        },
    }
}

fn stopped() -> Error {
    Error::Store {
        path: std::path::PathBuf::new(),
        detail: "the thread that writes unsubscribes has stopped".to_owned(),
    }
}

/// Takes the requests waiting, commits them together, answers each; until the committer
/// is dropped.
fn commit_all(store: &Mutex<Store>, incoming: &Receiver<Request>) {
    while let Ok(first) = incoming.recv() {
        let mut batch = vec![first];
        while batch.len() < MOST {
            match incoming.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let changes: Vec<Leaving> = batch.iter().map(|r| r.leaving.clone()).collect();
        let written = store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unsubscribe_all(&changes);
        for request in batch {
            let outcome = match &written {
                Ok(()) => Ok(()),
                Err(e) => Err(each(e)),
            };
            let _ = request.done.send(outcome);
        }
    }
}
