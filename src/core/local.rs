//! Request-local marks: a feature that keeps state in `Request::local_cache`
//! (keyed by type, so each feature's slot is its own) marks the request when
//! it writes, and its response work checks the mark before touching the
//! slot. All marks of a request share one word, so an unmarked request costs
//! one small entry whatever the number of features, and only requests that
//! used a feature pay for its slot.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;

use rocket::Request;

/// One feature's mark; declare it as a `static`.
pub(crate) struct Mark {
    bit: OnceLock<u64>,
}

/// Bits handed out so far (one per `Mark` used in the process).
static NEXT: AtomicU32 = AtomicU32::new(0);

/// The marks of one request.
#[derive(Default)]
struct Marks(AtomicU64);

impl Mark {
    pub(crate) const fn new() -> Self {
        Mark { bit: OnceLock::new() }
    }

    fn bit(&self) -> u64 {
        *self.bit.get_or_init(|| {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            // The crate declares a handful of marks; 64 is a static limit, not input.
            assert!(n < 64, "more than 64 request-local marks");
            1 << n
        })
    }

    /// Marks `req`.
    pub(crate) fn set(&self, req: &Request<'_>) {
        req.local_cache(Marks::default).0.fetch_or(self.bit(), Ordering::Relaxed);
    }

    /// Whether `req` was marked.
    pub(crate) fn is_set(&self, req: &Request<'_>) -> bool {
        req.local_cache(Marks::default).0.load(Ordering::Relaxed) & self.bit() != 0
    }
}

#[cfg(test)]
mod tests {
    use rocket::local::blocking::Client;

    use super::*;

    static A: Mark = Mark::new();
    static B: Mark = Mark::new();

    #[test]
    fn a_mark_is_seen_only_after_it_was_set_and_only_its_own() {
        let client = Client::untracked(rocket::build()).unwrap();
        let req = client.get("/");
        assert!(!A.is_set(req.inner()));
        A.set(req.inner());
        assert!(A.is_set(req.inner()));
        assert!(!B.is_set(req.inner()));
        assert!(!A.is_set(client.get("/").inner()), "marks are per request");
    }
}
