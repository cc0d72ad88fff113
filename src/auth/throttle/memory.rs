//! The counters in this process (`security.throttle.storage = "memory"`, the
//! default): per-process state, documented as such; each instance counts on
//! its own.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::{default_delay, Counter, CounterStore, Judge, Unavailable, Verdict, FORGET_AFTER};

/// Most counters kept in memory (each is a hashed username or address).
const MEMORY_CAP: usize = 100_000;

/// The memory store: a bounded map under one lock.
#[derive(Default)]
pub(crate) struct MemoryStore(Mutex<HashMap<String, Counter>>);

impl MemoryStore {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Counter>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many counters are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map().len()
    }
}

#[rocket::async_trait]
impl CounterStore for MemoryStore {
    async fn get(&self, key: &str, _now: DateTime<Utc>) -> Result<Option<Counter>, Unavailable> {
        Ok(self.map().get(key).copied())
    }

    /// Decided under the map's lock: the attempt is judged and, when
    /// admitted, counted on both counters before any other attempt is judged.
    async fn admit(
        &self,
        user_key: &str,
        ip_key: &str,
        _ip_threshold: u32,
        now: DateTime<Utc>,
        judge: Judge<'_>,
    ) -> Result<Verdict, Unavailable> {
        let mut m = self.map();
        let fresh = |e: Option<&Counter>| match e {
            Some((n, at)) if (now - *at).num_seconds() <= FORGET_AFTER => (*n, *at),
            _ => (0, now),
        };
        let v = judge(fresh(m.get(user_key)), fresh(m.get(ip_key)));
        if v.0 <= 0.0 {
            bump_locked(&mut m, user_key, now);
            bump_locked(&mut m, ip_key, now);
        }
        Ok(v)
    }

    async fn bump(&self, key: &str, now: DateTime<Utc>) {
        bump_locked(&mut self.map(), key, now);
    }

    async fn take_back(&self, key: &str) {
        if let Some(e) = self.map().get_mut(key) {
            e.0 = e.0.saturating_sub(1);
        }
    }

    async fn reset(&self, key: &str) {
        self.map().remove(key);
    }
}

/// One more failure for `key`, under the caller's lock (so concurrent
/// failures all count). The map stays bounded, and a counter that currently
/// imposes a delay is never evicted: a flood of cheap unknown-user attempts
/// cannot clear a victim's delay. When every entry imposes one, a new key is
/// not counted (and logged) rather than evicting any.
fn bump_locked(m: &mut HashMap<String, (u32, DateTime<Utc>)>, key: &str, now: DateTime<Utc>) {
    if m.len() >= MEMORY_CAP && !m.contains_key(key) {
        m.retain(|_, (_, at)| (now - *at).num_seconds() <= FORGET_AFTER);
        if m.len() >= MEMORY_CAP {
            // Drop the counters that delay nothing now (under 3 failures, or their delay is over).
            m.retain(|_, (n, at)| *n >= 3 && *at + Duration::seconds(default_delay(*n) as i64) > now);
        }
        if m.len() >= MEMORY_CAP {
            tracing::warn!(
                target: "security",
                "login throttling: {MEMORY_CAP} counters all impose a delay; this failure is not counted"
            );
            return;
        }
    }
    let entry = m.entry(key.to_string()).or_insert((0, now));
    if (now - entry.1).num_seconds() > FORGET_AFTER {
        entry.0 = 0;
    }
    *entry = (entry.0 + 1, now);
}

#[cfg(test)]
mod eviction_tests {
    use super::*;

    #[test]
    fn a_flood_of_new_keys_never_evicts_a_delaying_counter() {
        let now = Utc::now();
        let mut m = HashMap::new();
        for _ in 0..5 {
            bump_locked(&mut m, "victim", now);
        }
        for i in 0..MEMORY_CAP + 10 {
            bump_locked(&mut m, &format!("flood-{i}"), now);
        }
        assert_eq!(m.get("victim").map(|e| e.0), Some(5), "the victim's delay survives");
        assert!(m.len() <= MEMORY_CAP, "bounded: {}", m.len());
    }
}
