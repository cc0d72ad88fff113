//! Per-route control of security headers: the [`Override`] responder, and
//! the request-local record of what it changed ([`RouteHeaders`]).

use std::borrow::Cow;
use std::sync::Mutex;

use rocket::http::{Header, Status};
use rocket::request::Request;

use rocket::response::{self, Responder};

use super::local::Mark;
use super::rules::check_value;

/// Wraps a responder to set, replace or remove security headers for one route.
///
/// Values set here always win: the fairing neither replaces them nor adds a
/// header the route removed, whatever `security.overwrite` says.
///
/// ```
/// # use rocket::get;
/// use rocket_security::Override;
///
/// /// A page meant to be embedded by a partner site.
/// #[get("/widget")]
/// fn widget() -> Override<&'static str> {
///     Override::new("<p>embeddable</p>")
///         .remove("X-Frame-Options")
///         .set("Content-Security-Policy", "default-src 'self'; frame-ancestors https://partner.example")
/// }
/// ```
///
/// A value with a line break or non-ASCII character is a programming error:
/// the response becomes a 500 and the error is logged (target `security`),
/// rather than the header being dropped silently.
#[derive(Debug)]
pub struct Override<R> {
    inner: R,
    set: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    remove: Vec<Cow<'static, str>>,
}

impl<R> Override<R> {
    /// Wraps `inner`, changing nothing yet.
    ///
    /// ```
    /// use rocket::get;
    /// use rocket_security::Override;
    ///
    /// #[get("/report.csv")]
    /// fn report() -> Override<&'static str> {
    ///     Override::new("id,total\n1,42\n").set("Cache-Control", "private, max-age=60")
    /// }
    /// ```
    pub fn new(inner: R) -> Self {
        Override { inner, set: Vec::new(), remove: Vec::new() }
    }

    /// Sends `name: value` on this response instead of the configured value.
    ///
    /// ```
    /// use rocket::local::blocking::Client;
    /// use rocket::{get, routes};
    /// use rocket_security::{Override, Security};
    ///
    /// #[get("/widget")]
    /// fn widget() -> Override<&'static str> {
    ///     Override::new("embeddable").set("X-Frame-Options", "SAMEORIGIN")
    /// }
    ///
    /// let rocket = rocket::custom(rocket::Config::default()).attach(Security::fairing()).mount("/", routes![widget]);
    /// let client = Client::tracked(rocket).unwrap();
    /// assert_eq!(client.get("/widget").dispatch().headers().get_one("X-Frame-Options"), Some("SAMEORIGIN"));
    /// ```
    pub fn set(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<Cow<'static, str>>) -> Self {
        self.set.push((name.into(), value.into()));
        self
    }

    /// Sends no `name` header on this response.
    ///
    /// ```
    /// use rocket::local::blocking::Client;
    /// use rocket::{get, routes};
    /// use rocket_security::{Override, Security};
    ///
    /// #[get("/widget")]
    /// fn widget() -> Override<&'static str> {
    ///     Override::new("embeddable").remove("X-Frame-Options")
    /// }
    ///
    /// let rocket = rocket::custom(rocket::Config::default()).attach(Security::fairing()).mount("/", routes![widget]);
    /// let client = Client::tracked(rocket).unwrap();
    /// assert_eq!(client.get("/widget").dispatch().headers().get_one("X-Frame-Options"), None);
    /// ```
    pub fn remove(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.remove.push(name.into());
        self
    }
}

impl<'r, 'o: 'r, R: Responder<'r, 'o>> Responder<'r, 'o> for Override<R> {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'o> {
        for name in self.set.iter().map(|(n, _)| n).chain(&self.remove) {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
                tracing::error!(target: "security", "Override: {name:?} is not a header name; answering 500");
                return Err(Status::InternalServerError);
            }
        }
        for (name, value) in &self.set {
            if let Err(e) = check_value(value) {
                tracing::error!(target: "security", "Override::set({name:?}): the value {e}; answering 500");
                return Err(Status::InternalServerError);
            }
        }
        let mut res = self.inner.respond_to(req)?;
        RouteHeaders::record(req, self.set.iter().map(|(n, _)| n.as_ref()), self.remove.iter().map(|n| n.as_ref()));
        for name in &self.remove {
            res.remove_header(name);
        }
        for (name, value) in self.set {
            res.set_header(Header::new(name, value));
        }
        Ok(res)
    }
}

/// The headers routes set or removed with [`Override`] on this request
/// (request-local: `Request::local_cache`). Only a request whose route used
/// `Override` has one; the fairing then lets those headers alone.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouteHeaders {
    /// Lower-cased names of headers the route set or removed itself.
    owned: Vec<String>,
    /// Lower-cased names of headers the route removed (a subset of `owned`).
    pub(crate) removed: Vec<String>,
}

/// The request-local slot: empty until a route records something.
#[derive(Default)]
struct Slot(Mutex<Option<RouteHeaders>>);

/// Marks a request whose route recorded something.
static RECORDED: Mark = Mark::new();

impl RouteHeaders {
    /// Whether the route set or removed `name` itself.
    pub(crate) fn owns(&self, name: &str) -> bool {
        self.owned.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    fn record<'a>(req: &Request<'_>, set: impl Iterator<Item = &'a str>, removed: impl Iterator<Item = &'a str>) {
        RECORDED.set(req);
        let mut slot = req.local_cache(Slot::default).0.lock().unwrap_or_else(|e| e.into_inner());
        let c = slot.get_or_insert_with(RouteHeaders::default);
        c.owned.extend(set.map(str::to_ascii_lowercase));
        for name in removed {
            c.owned.push(name.to_ascii_lowercase());
            c.removed.push(name.to_ascii_lowercase());
        }
    }

    /// What the routes of `req` recorded, if anything (a copy: every
    /// fairing of the crate attached to the app reads it).
    pub(crate) fn of(req: &Request<'_>) -> Option<RouteHeaders> {
        if !RECORDED.is_set(req) {
            return None;
        }
        req.local_cache(Slot::default).0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
