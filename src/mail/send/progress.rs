//! What a running send shows: a progress bar with rate and ETA on a terminal, a line every
//! few seconds in a log.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use super::Summary;

/// A progress bar with rate and ETA on a terminal; a line every few seconds elsewhere.
pub(super) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    pub(super) fn new(total: u64) -> Progress {
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

    pub(super) fn tick(&mut self, summary: &Summary) {
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

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
