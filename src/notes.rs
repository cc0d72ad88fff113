//! What guards and responders tell the fairing about one response, kept in
//! the request's `local_cache` (one entry per request).

use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, OnceLock};

use rocket::request::Request;

use crate::csp::route::CspChanges;

#[derive(Default)]
pub(crate) struct Notes {
    /// Lower-cased names of headers the route set or removed itself.
    pub(crate) owned: Mutex<Vec<String>>,
    /// Lower-cased names of headers the route removed (a subset of `owned`).
    pub(crate) removed: Mutex<Vec<String>>,
    /// The response depends on `DNT` / `Sec-GPC` (the guard was used).
    pub(crate) vary_privacy: AtomicBool,
    /// The CSP nonce of this response, if a handler asked for one.
    pub(crate) nonce: OnceLock<String>,
    /// Per-route CSP changes made with `CspOverride`.
    pub(crate) csp: Mutex<Option<CspChanges>>,
}

impl Notes {
    pub(crate) fn of<'r>(req: &'r Request<'_>) -> &'r Notes {
        req.local_cache(Notes::default)
    }

    pub(crate) fn owns(&self, name: &str) -> bool {
        let owned = self.owned.lock().unwrap_or_else(|e| e.into_inner());
        !owned.is_empty() && owned.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    pub(crate) fn removed(&self) -> Vec<String> {
        let removed = self.removed.lock().unwrap_or_else(|e| e.into_inner());
        if removed.is_empty() {
            Vec::new()
        } else {
            removed.clone()
        }
    }

    pub(crate) fn csp_changes(&self) -> Option<CspChanges> {
        self.csp.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
