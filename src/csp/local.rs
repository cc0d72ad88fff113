//! The CSP's request-local state (`Request::local_cache`): the nonce a
//! handler asked for and the policy changes its responder made.

use std::sync::{Mutex, OnceLock};

use rocket::request::Request;

use super::policy::CspPolicy;
use crate::core::local::Mark;

/// What a route does to one of the two policies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Change {
    #[default]
    Keep,
    Remove,
    Replace(CspPolicy),
    Extend(Vec<(String, Vec<String>)>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CspChanges {
    pub(crate) enforce: Change,
    pub(crate) report_only: Change,
}

/// One per request that uses CSP; created on first use.
#[derive(Default)]
pub(crate) struct CspLocal {
    /// The nonce of this response, if a handler asked for one.
    pub(crate) nonce: OnceLock<String>,
    changes: Mutex<Option<CspChanges>>,
}

/// Marks a request that has a [`CspLocal`].
static USED: Mark = Mark::new();

impl CspLocal {
    /// The slot of `req`, created on first use.
    pub(crate) fn of<'r>(req: &'r Request<'_>) -> &'r CspLocal {
        USED.set(req);
        req.local_cache(CspLocal::default)
    }

    /// The slot of `req` if a handler or responder used it (no allocation otherwise).
    pub(crate) fn used<'r>(req: &'r Request<'_>) -> Option<&'r CspLocal> {
        USED.is_set(req).then(|| req.local_cache(CspLocal::default))
    }

    /// Records a route's changes.
    pub(crate) fn record(&self, changes: CspChanges) {
        *self.changes.lock().unwrap_or_else(|e| e.into_inner()) = Some(changes);
    }

    /// The route's changes, if it made any (a copy: a second CSP fairing
    /// attached to the app reads them too).
    pub(crate) fn changes(&self) -> Option<CspChanges> {
        self.changes.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
