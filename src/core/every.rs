//! [`Every`]: at most once per period across threads, for a log line that
//! would otherwise repeat on every request (a store that does not answer, a
//! misconfiguration each refused request shows again).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Says "due" at most once per `period_ms` (the first call is due).
pub(crate) struct Every {
    period_ms: u64,
    /// When it last said "due", in ms since the epoch (0: never).
    last: AtomicU64,
}

impl Every {
    pub(crate) const fn millis(period_ms: u64) -> Self {
        Every { period_ms, last: AtomicU64::new(0) }
    }

    /// Whether the period since the last "due" has passed; one caller of
    /// several racing ones wins.
    pub(crate) fn due(&self) -> bool {
        let now =
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis().min(u64::MAX as u128) as u64);
        let last = self.last.load(Ordering::Relaxed);
        now.saturating_sub(last) >= self.period_ms
            && self.last.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::Every;

    #[test]
    fn the_first_call_is_due_and_the_next_within_the_period_is_not() {
        let every = Every::millis(60_000);
        assert!(every.due());
        assert!(!every.due());
        let always = Every::millis(0);
        assert!(always.due());
        assert!(always.due());
    }
}
