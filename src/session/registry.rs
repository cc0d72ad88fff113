//! The session registry as an instance sees it: the rows in the security
//! database (shared by every instance), and a bounded per-process cache of
//! what was last read, trusted for `revocation_check_ms`. That interval is
//! the documented bound within which a revocation made on one instance is
//! honoured by all of them; a revocation made here is honoured here at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Most session ids one instance remembers (per process, bounded).
const CACHE_CAP: usize = 100_000;

/// What the registry says of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Check {
    /// Live: the request goes on; it belongs to this user (when known).
    Live(Option<std::sync::Arc<str>>),
    /// Ended on the server (revoked, or never issued / pruned), for the
    /// recorded reason when this instance knows it.
    Ended(Option<std::sync::Arc<str>>),
    /// The registry could not answer.
    Unavailable,
}

#[derive(Clone)]
struct Cached {
    live: bool,
    at: Instant,
    /// The registry key of the session, so a revocation by key reaches the entry.
    hash: String,
    /// The user the registry says the session belongs to (a live one), or
    /// why it ended (an ended one), when known.
    user: Option<std::sync::Arc<str>>,
    /// The registry was asked why it ended (an ended one): not again.
    asked: bool,
}

/// The registry of one instance.
pub(crate) struct Registry {
    trust: Duration,
    cache: Mutex<HashMap<String, Cached>>,
}

/// Lowercase hex SHA-256 of a session id: the registry's key (the id itself
/// is only ever inside the encrypted stamp).
pub(crate) fn id_hash(sid: &str) -> String {
    crate::core::hex::encode(&Sha256::digest(sid.as_bytes()))
}

/// The public handle of a session, for "active sessions" pages: the first 16
/// hex digits of its key (enough to tell a user's sessions apart, useless to
/// take one over).
pub(crate) fn public_id(id_hash: &str) -> &str {
    &id_hash[..id_hash.len().min(16)]
}

impl Registry {
    pub(crate) fn new(revocation_check_ms: u64) -> Self {
        Registry { trust: Duration::from_millis(revocation_check_ms), cache: Mutex::new(HashMap::new()) }
    }

    /// What this instance read of `sid` within the trust interval, if anything.
    /// An ended session stays ended here (ids are never reused); a live one
    /// is trusted for the interval only.
    pub(crate) fn cached(&self, sid: &str) -> Option<Check> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let c = cache.get(sid)?;
        if !c.live {
            return Some(Check::Ended(c.user.clone()));
        }
        (c.at.elapsed() < self.trust).then(|| Check::Live(c.user.clone()))
    }

    /// Ends, on this instance at once, the sessions whose keys are `hashes`
    /// (for `reason`, when known).
    pub(crate) fn end_hashes(&self, hashes: &[String], reason: Option<&str>) {
        if hashes.is_empty() {
            return;
        }
        let reason = reason.map(std::sync::Arc::from);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        for c in cache.values_mut().filter(|c| c.live && hashes.contains(&c.hash)) {
            c.live = false;
            c.user = reason.clone();
        }
    }

    /// Remembers that `sid` ended, for `reason` (keeps a reason known already).
    pub(crate) fn remember_ended(&self, sid: &str, reason: Option<&str>) {
        self.remember(sid, false, None);
        let Some(reason) = reason else { return };
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.get_mut(sid).filter(|c| !c.live && c.user.is_none()) {
            c.user = Some(reason.into());
        }
    }

    /// Whether to ask the registry why the ended session `sid` ended: this
    /// instance does not know, and has not asked before (an answer that did
    /// not come is not asked for again).
    pub(crate) fn ask_reason(&self, sid: &str) -> bool {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match cache.get_mut(sid) {
            Some(c) if c.live || c.user.is_some() || c.asked => false,
            Some(c) => {
                c.asked = true;
                true
            }
            None => true,
        }
    }

    /// Forgets every live entry, so the next request of each session asks
    /// the database again (after a gap in the revocations this instance heard).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn forget_live(&self) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.retain(|_, c| !c.live);
    }

    /// Remembers what the database said of `sid` (or what this instance did
    /// to it): live, and whose, or ended (see [`remember_ended`](Self::remember_ended)
    /// for the reason).
    pub(crate) fn remember(&self, sid: &str, live: bool, user: Option<&str>) {
        if self.trust.is_zero() && live {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_CAP && !cache.contains_key(sid) {
            let trust = self.trust;
            cache.retain(|_, c| !c.live || c.at.elapsed() < trust);
            if cache.len() >= CACHE_CAP {
                // Still full of fresh entries: start over (every entry is only a cache).
                cache.clear();
            }
        }
        let hash = match cache.get(sid) {
            // An ended session never comes back, whatever a slower read said.
            Some(c) if !c.live => return,
            Some(c) => c.hash.clone(),
            None => id_hash(sid),
        };
        let user = user.filter(|_| live).map(std::sync::Arc::from);
        cache.insert(sid.to_string(), Cached { live, at: Instant::now(), hash, user, asked: false });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_session_is_trusted_for_the_interval_only() {
        let r = Registry::new(50);
        assert_eq!(r.cached("a"), None);
        r.remember("a", true, None);
        assert_eq!(r.cached("a"), Some(Check::Live(None)));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(r.cached("a"), None, "after the interval the database is asked again");
    }

    #[test]
    fn an_ended_session_stays_ended_on_this_instance() {
        let r = Registry::new(0);
        r.remember("a", true, None);
        assert_eq!(r.cached("a"), None, "interval 0: always ask the database");
        r.remember("a", false, None);
        assert_eq!(r.cached("a"), Some(Check::Ended(None)));
    }

    #[test]
    fn an_ended_session_keeps_the_first_reason_known() {
        let r = Registry::new(60_000);
        r.remember("a", true, Some("alice"));
        r.end_hashes(&[id_hash("a")], Some("session_limit:2"));
        assert_eq!(r.cached("a"), Some(Check::Ended(Some("session_limit:2".into()))));
        r.remember_ended("a", Some("logout"));
        assert_eq!(r.cached("a"), Some(Check::Ended(Some("session_limit:2".into()))));
        r.remember_ended("b", Some("idle"));
        assert_eq!(r.cached("b"), Some(Check::Ended(Some("idle".into()))));
    }

    #[test]
    fn why_a_session_ended_is_asked_once() {
        let r = Registry::new(60_000);
        r.remember("a", true, Some("alice"));
        r.end_hashes(&[id_hash("a")], None);
        assert!(r.ask_reason("a"));
        assert!(!r.ask_reason("a"), "an answer that did not come is not asked for again");
        assert_eq!(r.cached("a"), Some(Check::Ended(None)));
        r.remember_ended("b", Some("logout"));
        assert!(!r.ask_reason("b"), "known already");
    }

    #[test]
    fn a_slower_read_never_brings_an_ended_session_back() {
        let r = Registry::new(60_000);
        r.remember("a", false, None);
        r.remember("a", true, None);
        assert_eq!(r.cached("a"), Some(Check::Ended(None)));
    }

    #[test]
    fn a_revocation_by_key_reaches_the_cached_session() {
        let r = Registry::new(60_000);
        r.remember("a", true, None);
        r.remember("b", true, None);
        r.end_hashes(&[id_hash("a")], None);
        assert_eq!(r.cached("a"), Some(Check::Ended(None)));
        assert_eq!(r.cached("b"), Some(Check::Live(None)));
    }

    #[test]
    fn forgetting_live_entries_keeps_the_ended_ones() {
        let r = Registry::new(60_000);
        r.remember("a", true, None);
        r.remember("b", false, None);
        r.forget_live();
        assert_eq!(r.cached("a"), None, "asks the database again");
        assert_eq!(r.cached("b"), Some(Check::Ended(None)));
    }

    #[test]
    fn the_owner_is_remembered_with_a_live_session() {
        let r = Registry::new(60_000);
        r.remember("a", true, Some("alice"));
        assert_eq!(r.cached("a"), Some(Check::Live(Some("alice".into()))));
    }

    #[test]
    fn keys_are_the_sha256_of_the_id() {
        assert_eq!(id_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(public_id(&id_hash("abc")), "ba7816bf8f01cfea");
    }
}
