//! Do Not Track and Global Privacy Control: the [`DoNotTrack`] request guard,
//! the `DNT` echo, and `Vary` on responses that depend on them.

use std::convert::Infallible;

use rocket::http::Header;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::Response;

use crate::core::feature::{Builder, Feature};
use crate::core::local::Mark;
use crate::core::part::{Finish, Part};
use crate::core::rules::check_value;

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
    ///
    /// ```
    /// use rocket::http::{Header, HeaderMap};
    /// use rocket_security::DoNotTrack;
    ///
    /// let mut headers = HeaderMap::new();
    /// assert_eq!(DoNotTrack::from_headers(&headers).dnt(), None);
    /// headers.replace(Header::new("DNT", "1"));
    /// assert_eq!(DoNotTrack::from_headers(&headers).dnt(), Some(true));
    /// headers.replace(Header::new("DNT", "off"));
    /// assert_eq!(DoNotTrack::from_headers(&headers).dnt(), Some(false));
    /// ```
    pub fn dnt(&self) -> Option<bool> {
        self.dnt
    }

    /// Whether `Sec-GPC: 1` was sent.
    ///
    /// ```
    /// use rocket::http::{Header, HeaderMap};
    /// use rocket_security::DoNotTrack;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.add(Header::new("Sec-GPC", "1"));
    /// assert!(DoNotTrack::from_headers(&headers).gpc());
    /// headers.replace(Header::new("Sec-GPC", "true")); // only exactly `1` counts
    /// assert!(!DoNotTrack::from_headers(&headers).gpc());
    /// ```
    pub fn gpc(&self) -> bool {
        self.gpc
    }

    /// Whether the visitor asked not to be tracked by either header.
    ///
    /// ```
    /// use rocket::http::{Header, HeaderMap};
    /// use rocket_security::DoNotTrack;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.add(Header::new("DNT", "0"));
    /// assert!(!DoNotTrack::from_headers(&headers).opted_out());
    /// headers.add(Header::new("Sec-GPC", "1")); // GPC alone is enough
    /// assert!(DoNotTrack::from_headers(&headers).opted_out());
    /// ```
    pub fn opted_out(&self) -> bool {
        self.gpc || self.dnt == Some(true)
    }

    /// Reads the preferences from request headers.
    ///
    /// Unlike the request guard, this does not add `Vary: DNT, Sec-GPC` to
    /// the response.
    ///
    /// ```
    /// use rocket::http::{Header, HeaderMap};
    /// use rocket_security::DoNotTrack;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.add(Header::new("DNT", "1"));
    /// let privacy = DoNotTrack::from_headers(&headers);
    /// assert_eq!((privacy.dnt(), privacy.gpc(), privacy.opted_out()), (Some(true), false, true));
    /// ```
    pub fn from_headers(headers: &rocket::http::HeaderMap<'_>) -> Self {
        DoNotTrack { dnt: headers.get_one("DNT").map(|v| v == "1"), gpc: headers.get_one("Sec-GPC") == Some("1") }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for DoNotTrack {
    type Error = Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Infallible> {
        CONSULTED.set(req);
        Outcome::Success(DoNotTrack::from_headers(req.headers()))
    }
}

/// Do Not Track / Global Privacy Control on the response side.
///
/// The request side is the [`DoNotTrack`](crate::DoNotTrack) guard; a response
/// whose handler used it gets `Vary: DNT, Sec-GPC` so caches keep the variants
/// apart.
///
/// ```toml
/// [default.security.dnt]
/// echo = false    # copy the request's DNT header into the response, like
///                 # django-security's DoNotTrackMiddleware; Default: false
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dnt {
    /// Echo the request's `DNT` header (adds `Vary: DNT`). _Default:_ `false`.
    pub echo: bool,
}

impl Feature for Dnt {
    const KEY: &'static str = "dnt";

    fn build(&self, b: &mut Builder<'_>) {
        b.summary.push(format!("DNT echo: {}", if self.echo { "on (with Vary: DNT)" } else { "off" }));
        b.part(Privacy { echo: self.echo });
    }
}

/// Request-local: the handler consulted [`DoNotTrack`].
static CONSULTED: Mark = Mark::new();

/// The response side: the `DNT` echo and `Vary`.
struct Privacy {
    echo: bool,
}

/// Only the `Vary` of responses whose handler consulted [`DoNotTrack`], for
/// fairings that leave the rest of the DNT feature to another one.
pub(crate) fn vary_only() -> impl Part {
    Privacy { echo: false }
}

impl Part for Privacy {
    fn responds(&self) -> bool {
        true
    }

    fn response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>, finish: &Finish<'_>) {
        if self.echo {
            if let Some(dnt) = req.headers().get_one("DNT")
                && check_value(dnt).is_ok()
                && !finish.owns("DNT")
            {
                res.set_header(Header::new("DNT", dnt.to_string()));
            }
            add_vary(res, &["DNT"]);
        }
        if CONSULTED.is_set(req) {
            add_vary(res, &["DNT", "Sec-GPC"]);
        }
    }
}

/// Adds `tokens` to the response's `Vary` header, once each.
fn add_vary(res: &mut Response<'_>, tokens: &[&str]) {
    let existing: Vec<String> = res.headers().get("Vary").map(str::to_string).collect();
    if existing.iter().any(|v| v.trim() == "*") {
        return;
    }
    let mut all: Vec<String> =
        existing.iter().flat_map(|v| v.split(',')).map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
    for t in tokens {
        if !all.iter().any(|a| a.eq_ignore_ascii_case(t)) {
            all.push(t.to_string());
        }
    }
    res.set_header(Header::new("Vary", all.join(", ")));
}
