//! Who a request acts for: a feature that authenticates a request (the
//! `LoginRequired` guard) records the user's identifier here, and a feature
//! that records who did something (the dashboard's triage) reads it, without
//! either knowing the other. Request-local; at most [`MAX`] characters.
//!
//! And in which session: the feature that keeps sessions (session expiry)
//! says which one a request carries, and a feature that binds something to
//! the session (the CSRF token) reads it, again without either knowing the
//! other. The id is opaque here; a reader mixes it into its own keyed hash.

use std::sync::OnceLock;

use rocket::Request;

/// The longest identifier kept (the width of the user id columns).
pub(crate) const MAX: usize = 191;

#[derive(Default)]
struct Principal(OnceLock<String>);

/// Records that `req` acts for `id` (the first call wins), cut to [`MAX`] characters.
pub(crate) fn set(req: &Request<'_>, id: &str) {
    let _ = req.local_cache(Principal::default).0.set(id.chars().take(MAX).collect());
}

/// Who `req` acts for, if a guard said so.
pub(crate) fn of<'r>(req: &'r Request<'_>) -> Option<&'r str> {
    req.local_cache(Principal::default).0.get().map(String::as_str)
}

/// What the feature that keeps sessions tells the others about a request.
pub(crate) trait SessionSource: Send + Sync {
    /// The session `req` acts in: the one a login on it started, else the
    /// one its cookies carry, unless it ended on this request.
    fn session(&self, req: &Request<'_>) -> Option<String>;
    /// Whether a login on `req` started a session.
    fn started(&self, req: &Request<'_>) -> bool;
}

/// Managed state: the session feature's [`SessionSource`], when it is on.
pub(crate) struct SessionOf(pub(crate) Box<dyn SessionSource>);

/// The session `req` acts in; `None` without one (or without the feature).
pub(crate) fn session(req: &Request<'_>) -> Option<String> {
    req.rocket().state::<SessionOf>().and_then(|s| s.0.session(req))
}

/// Whether a login on `req` started a session.
pub(crate) fn session_started(req: &Request<'_>) -> bool {
    req.rocket().state::<SessionOf>().is_some_and(|s| s.0.started(req))
}

#[cfg(test)]
mod tests {
    use rocket::local::blocking::Client;

    #[test]
    fn the_first_identifier_is_kept_and_cut_to_the_column_width() {
        let client = Client::untracked(rocket::build()).unwrap();
        let req = client.get("/");
        assert_eq!(super::of(req.inner()), None);
        super::set(req.inner(), &"é".repeat(300));
        super::set(req.inner(), "bob");
        assert_eq!(super::of(req.inner()), Some("é".repeat(191).as_str()));
    }

    #[test]
    fn the_session_is_what_the_session_feature_says() {
        struct Fixed;
        impl super::SessionSource for Fixed {
            fn session(&self, _: &rocket::Request<'_>) -> Option<String> {
                Some("sid".into())
            }
            fn started(&self, _: &rocket::Request<'_>) -> bool {
                true
            }
        }
        let without = Client::untracked(rocket::build()).unwrap();
        assert_eq!(super::session(without.get("/").inner()), None, "no session feature: no session");
        assert!(!super::session_started(without.get("/").inner()));
        let with = Client::untracked(rocket::build().manage(super::SessionOf(Box::new(Fixed)))).unwrap();
        assert_eq!(super::session(with.get("/").inner()).as_deref(), Some("sid"));
        assert!(super::session_started(with.get("/").inner()));
    }
}
