//! [`CspOverride`]: replace, extend or remove a policy for one route.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};

use super::local::{Change, CspChanges, CspLocal};
use super::policy::{check_directive, CspPolicy};

/// Wraps a responder to change the CSP of one route (django-csp's
/// `@csp_exempt` / `@csp_update` / `@csp_replace`, Django 6's `csp_override`),
/// for the enforced and the report-only policy separately.
///
/// The nonce, the reporting directives and the HTTPS-only directives are added
/// to the changed policy as usual.
///
/// ```
/// # use rocket::get;
/// use rocket_security::csp::CspOverride;
///
/// /// Loads a map widget from another origin.
/// #[get("/map")]
/// fn map() -> CspOverride<&'static str> {
///     CspOverride::new("<div id=map></div>")
///         .extend("script-src", ["https://maps.example.com"])
///         .extend("img-src", ["https://tiles.example.com"])
/// }
///
/// /// A legacy page, only observed for now.
/// #[get("/legacy")]
/// fn legacy() -> CspOverride<&'static str> {
///     CspOverride::new("old").remove().report_only_replace("default-src 'self'")
/// }
/// ```
///
/// An invalid policy or source is a programming error: the response becomes
/// a 500 and the reason is logged (target `security`).
#[derive(Debug)]
pub struct CspOverride<R> {
    inner: R,
    changes: CspChanges,
    errors: Vec<String>,
}

impl<R> CspOverride<R> {
    /// Wraps `inner`, changing nothing yet.
    ///
    /// ```
    /// use rocket::{get, response::content::RawHtml, routes};
    /// use rocket_security::csp::CspOverride;
    ///
    /// #[get("/")]
    /// fn index() -> CspOverride<RawHtml<&'static str>> {
    ///     // Any responder; with no change the configured policy is sent as usual.
    ///     CspOverride::new(RawHtml("<h1>hello</h1>"))
    /// }
    ///
    /// let rocket = rocket::build().attach(rocket_security::Security::fairing()).mount("/", routes![index]);
    /// ```
    pub fn new(inner: R) -> Self {
        CspOverride { inner, changes: CspChanges::default(), errors: Vec::new() }
    }

    fn replace_in(mut self, report_only: bool, policy: &str) -> Self {
        match CspPolicy::parse_checked(policy, false).and_then(|p| p.check_complete().map(|_| p)) {
            Ok(p) => *self.slot(report_only) = Change::Replace(p),
            Err(e) => self.errors.push(e),
        }
        self
    }

    fn extend_in<I, S>(mut self, report_only: bool, directive: &str, sources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let sources: Vec<String> = sources.into_iter().map(Into::into).collect();
        if let Err(e) = check_directive(directive, &sources, false) {
            self.errors.push(e);
            return self;
        }
        let slot = self.slot(report_only);
        match slot {
            Change::Extend(list) => list.push((directive.to_string(), sources)),
            Change::Replace(p) => p.extend(&[(directive.to_string(), sources)]),
            _ => *slot = Change::Extend(vec![(directive.to_string(), sources)]),
        }
        self
    }

    fn slot(&mut self, report_only: bool) -> &mut Change {
        if report_only {
            &mut self.changes.report_only
        } else {
            &mut self.changes.enforce
        }
    }

    /// Sends `policy` (validated) as this route's enforced policy.
    ///
    /// ```
    /// use rocket::{get, local::blocking::Client, routes};
    /// use rocket_security::{csp::CspOverride, Security};
    ///
    /// #[get("/embed")]
    /// fn embed() -> CspOverride<&'static str> {
    ///     CspOverride::new("widget").replace("default-src 'self'; frame-ancestors https://partner.example")
    /// }
    ///
    /// let rocket = rocket::custom(rocket::Config::default()).attach(Security::fairing()).mount("/", routes![embed]);
    /// let client = Client::tracked(rocket).unwrap();
    /// let res = client.get("/embed").dispatch();
    /// let csp = res.headers().get_one("Content-Security-Policy").unwrap();
    /// assert_eq!(csp, "default-src 'self'; frame-ancestors https://partner.example; report-uri /security/csp-report");
    /// ```
    pub fn replace(self, policy: &str) -> Self {
        self.replace_in(false, policy)
    }

    /// Adds `sources` to `directive` of the enforced policy.
    ///
    /// ```
    /// use rocket::{get, local::blocking::Client, routes};
    /// use rocket_security::{csp::CspOverride, Security};
    ///
    /// #[get("/map")]
    /// fn map() -> CspOverride<&'static str> {
    ///     CspOverride::new("<div id=map></div>").extend("img-src", ["https://tiles.example.com"])
    /// }
    ///
    /// let rocket = rocket::custom(rocket::Config::default()).attach(Security::fairing()).mount("/", routes![map]);
    /// let client = Client::tracked(rocket).unwrap();
    /// let res = client.get("/map").dispatch();
    /// let csp = res.headers().get_one("Content-Security-Policy").unwrap();
    /// assert!(csp.contains("img-src 'self' data: https://tiles.example.com;"), "{csp}");
    /// ```
    pub fn extend<I: IntoIterator<Item = S>, S: Into<String>>(self, directive: &str, sources: I) -> Self {
        self.extend_in(false, directive, sources)
    }

    /// Sends no enforced policy on this route.
    ///
    /// ```
    /// use rocket::{get, local::blocking::Client, routes};
    /// use rocket_security::{csp::CspOverride, Security};
    ///
    /// #[get("/legacy")]
    /// fn legacy() -> CspOverride<&'static str> {
    ///     CspOverride::new("<script>document.write('old')</script>").remove()
    /// }
    ///
    /// let rocket = rocket::custom(rocket::Config::default()).attach(Security::fairing()).mount("/", routes![legacy]);
    /// let client = Client::tracked(rocket).unwrap();
    /// assert_eq!(client.get("/legacy").dispatch().headers().get_one("Content-Security-Policy"), None);
    /// ```
    pub fn remove(mut self) -> Self {
        self.changes.enforce = Change::Remove;
        self
    }

    /// Sends `policy` as this route's report-only policy.
    ///
    /// It is sent even where `security.csp.report_only.enabled` is `false`:
    ///
    /// ```
    /// use rocket::{get, local::blocking::Client, routes};
    /// use rocket_security::{csp::CspOverride, Security};
    ///
    /// #[get("/")]
    /// fn index() -> CspOverride<&'static str> {
    ///     CspOverride::new("hello").report_only_replace("default-src 'none'")
    /// }
    ///
    /// let rocket = rocket::custom(rocket::Config::default()).attach(Security::fairing()).mount("/", routes![index]);
    /// let client = Client::tracked(rocket).unwrap();
    /// let res = client.get("/").dispatch();
    /// let csp = res.headers().get_one("Content-Security-Policy-Report-Only").unwrap();
    /// assert_eq!(csp, "default-src 'none'; report-uri /security/csp-report");
    /// ```
    pub fn report_only_replace(self, policy: &str) -> Self {
        self.replace_in(true, policy)
    }

    /// Adds `sources` to `directive` of the report-only policy.
    ///
    /// Try a source out before allowing it (the report-only policy must be
    /// enabled in the configuration for there to be one to extend):
    ///
    /// ```
    /// use rocket::{get, routes};
    /// use rocket_security::csp::CspOverride;
    ///
    /// #[get("/checkout")]
    /// fn checkout() -> CspOverride<&'static str> {
    ///     CspOverride::new("pay").report_only_extend("script-src", ["https://js.payments.example"])
    /// }
    ///
    /// let rocket = rocket::build().attach(rocket_security::Security::fairing()).mount("/", routes![checkout]);
    /// ```
    pub fn report_only_extend<I: IntoIterator<Item = S>, S: Into<String>>(self, directive: &str, sources: I) -> Self {
        self.extend_in(true, directive, sources)
    }

    /// Sends no report-only policy on this route.
    ///
    /// ```
    /// use rocket::{figment::Figment, get, local::blocking::Client, routes};
    /// use rocket_security::{csp::CspOverride, Security};
    ///
    /// #[get("/admin")]
    /// fn admin() -> CspOverride<&'static str> {
    ///     CspOverride::new("admin").report_only_remove()
    /// }
    ///
    /// let figment = Figment::from(rocket::Config::default()).merge(("security.csp.report_only.enabled", true));
    /// let rocket = rocket::custom(figment).attach(Security::fairing()).mount("/", routes![admin]);
    /// let client = Client::tracked(rocket).unwrap();
    /// let res = client.get("/admin").dispatch();
    /// assert!(res.headers().get_one("Content-Security-Policy-Report-Only").is_none());
    /// assert!(res.headers().get_one("Content-Security-Policy").is_some());
    /// ```
    pub fn report_only_remove(mut self) -> Self {
        self.changes.report_only = Change::Remove;
        self
    }
}

impl<'r, 'o: 'r, R: Responder<'r, 'o>> Responder<'r, 'o> for CspOverride<R> {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'o> {
        if !self.errors.is_empty() {
            for e in &self.errors {
                tracing::error!(target: "security", "CspOverride on {}: {e}; answering 500", req.uri());
            }
            return Err(Status::InternalServerError);
        }
        let res = self.inner.respond_to(req)?;
        CspLocal::of(req).record(self.changes);
        Ok(res)
    }
}
