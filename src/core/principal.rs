//! Who a request acts for: a feature that authenticates a request (the
//! `LoginRequired` guard) records the user's identifier here, and a feature
//! that records who did something (the dashboard's triage) reads it, without
//! either knowing the other. Request-local; at most [`MAX`] characters.

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
}
