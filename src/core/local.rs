//! Request-local markers: a feature that keeps state in `Request::local_cache`
//! (keyed by type, so each feature's slot is its own) marks the request when
//! it writes, and its response work checks the mark first. A mark is a
//! zero-sized type, so checking an unmarked request allocates nothing; only
//! requests that used the feature pay for its slot.

use rocket::Request;

/// Marks `req` with `M`.
pub(crate) fn mark<M: Default + Send + Sync + 'static>(req: &Request<'_>) {
    req.local_cache(M::default);
}

/// Whether `req` was marked with `M` before this call.
pub(crate) fn is_marked<M: Default + Send + Sync + 'static>(req: &Request<'_>) -> bool {
    let mut marked = true;
    req.local_cache(|| {
        marked = false;
        M::default()
    });
    marked
}

#[cfg(test)]
mod tests {
    use rocket::local::blocking::Client;

    use super::*;

    #[derive(Default)]
    struct Used;

    #[test]
    fn a_mark_is_seen_only_after_it_was_set() {
        let client = Client::untracked(rocket::build()).unwrap();
        let req = client.get("/");
        assert!(!is_marked::<Used>(req.inner()));
        let req = client.get("/");
        mark::<Used>(req.inner());
        assert!(is_marked::<Used>(req.inner()));
    }
}
