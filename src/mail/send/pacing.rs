//! How fast a send goes: one shared rate for every worker, and the pause before a retry.
//! Both wait in small steps so that Ctrl-C never waits for a slow rate or a long backoff.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The longest pause between two tries of one message.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Paces sends across all workers.
pub(super) struct RateLimiter {
    next: Mutex<Instant>,
    interval: Duration,
}

impl RateLimiter {
    pub(super) fn new(per_second: f64) -> RateLimiter {
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
    pub(super) fn wait_unless(&self, stop: &AtomicBool) -> bool {
        let slot = self.reserve(Instant::now());
        sleep_unless(stop, slot.saturating_duration_since(Instant::now()))
    }
}

/// The pause before try `attempt + 1` of a message: 250 ms, doubling, at most
/// [`MAX_BACKOFF`].
pub(super) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * (1 << attempt.min(7))).min(MAX_BACKOFF)
}

/// Sleeps for `pause` in small steps; false when `stop` was raised meanwhile.
pub(super) fn sleep_unless(stop: &AtomicBool, pause: Duration) -> bool {
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
