//! The [`DoNotTrack`] request guard: `DNT` and Global Privacy Control.

use std::convert::Infallible;
use std::sync::atomic::Ordering;

use rocket::request::{FromRequest, Outcome, Request};

use crate::notes::Notes;

/// The visitor's tracking preferences: the deprecated `DNT` header and its
/// legally meaningful successor `Sec-GPC` (Global Privacy Control, honoured
/// under CCPA/CPRA).
///
/// `DNT` is parsed exactly like django-security's `request.dnt`: `None`
/// without the header, `Some(true)` for exactly `1`, `Some(false)` for any
/// other value (`0`, `off`, `1 `). `Sec-GPC` counts only as exactly `1`.
///
/// Using the guard marks the response as depending on these headers, so the
/// fairing adds `Vary: DNT, Sec-GPC` to it.
///
/// ```
/// # use rocket::get;
/// use rocket_security::DoNotTrack;
///
/// #[get("/")]
/// fn index(privacy: DoNotTrack) -> &'static str {
///     if privacy.opted_out() { "no analytics" } else { "analytics" }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoNotTrack {
    dnt: Option<bool>,
    gpc: bool,
}

impl DoNotTrack {
    /// `DNT`: `None` if absent, `Some(true)` if exactly `1`, else `Some(false)`.
    pub fn dnt(&self) -> Option<bool> {
        self.dnt
    }

    /// Whether `Sec-GPC: 1` was sent.
    pub fn gpc(&self) -> bool {
        self.gpc
    }

    /// Whether the visitor asked not to be tracked by either header.
    pub fn opted_out(&self) -> bool {
        self.gpc || self.dnt == Some(true)
    }

    /// Reads the preferences from request headers.
    pub fn from_headers(headers: &rocket::http::HeaderMap<'_>) -> Self {
        DoNotTrack { dnt: headers.get_one("DNT").map(|v| v == "1"), gpc: headers.get_one("Sec-GPC") == Some("1") }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for DoNotTrack {
    type Error = Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Infallible> {
        Notes::of(req).vary_privacy.store(true, Ordering::Relaxed);
        Outcome::Success(DoNotTrack::from_headers(req.headers()))
    }
}
