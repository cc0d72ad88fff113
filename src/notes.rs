//! What guards and responders tell the fairing about one response, kept in
//! the request's `local_cache` (one entry per request).
//!
//! The common case is a route that changed nothing: then the fairing reads
//! two atomics and takes no lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use rocket::request::Request;

use crate::csp::route::CspChanges;

#[derive(Default)]
pub(crate) struct Notes {
    /// The response depends on `DNT` / `Sec-GPC` (the guard was used).
    pub(crate) vary_privacy: AtomicBool,
    /// The CSP nonce of this response, if a handler asked for one.
    pub(crate) nonce: OnceLock<String>,
    /// Why an authentication guard failed, for the catcher.
    pub(crate) auth: OnceLock<crate::auth::AuthFailure>,
    /// What session expiry decided for this request.
    pub(crate) session: OnceLock<crate::session::Decision>,
    /// Whether `changes` holds anything.
    changed: AtomicBool,
    changes: Mutex<RouteChanges>,
}

/// Header changes a route made with `Override` / `CspOverride`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouteChanges {
    /// Lower-cased names of headers the route set or removed itself.
    owned: Vec<String>,
    /// Lower-cased names of headers the route removed (a subset of `owned`).
    pub(crate) removed: Vec<String>,
    pub(crate) csp: Option<CspChanges>,
}

impl RouteChanges {
    pub(crate) fn owns(&self, name: &str) -> bool {
        self.owned.iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

impl Notes {
    pub(crate) fn of<'r>(req: &'r Request<'_>) -> &'r Notes {
        req.local_cache(Notes::default)
    }

    /// Records headers a route set or removed.
    pub(crate) fn record_headers<'a>(
        &self,
        set: impl Iterator<Item = &'a str>,
        removed: impl Iterator<Item = &'a str>,
    ) {
        let mut c = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        c.owned.extend(set.map(str::to_ascii_lowercase));
        for name in removed {
            c.owned.push(name.to_ascii_lowercase());
            c.removed.push(name.to_ascii_lowercase());
        }
        self.changed.store(true, Ordering::Release);
    }

    /// Records a route's CSP changes.
    pub(crate) fn record_csp(&self, changes: CspChanges) {
        self.changes.lock().unwrap_or_else(|e| e.into_inner()).csp = Some(changes);
        self.changed.store(true, Ordering::Release);
    }

    /// The route's changes, if it made any.
    pub(crate) fn route_changes(&self) -> Option<RouteChanges> {
        if !self.changed.load(Ordering::Acquire) {
            return None;
        }
        Some(self.changes.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }
}
